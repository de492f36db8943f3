"""A discrete hidden Markov model with exact, batched, numerically stable inference.

Introduced in the chapter *Hidden Markov models and the forward algorithm* (the paper's 2.2 and
3.2). Conventions follow hmmlearn's ``CategoricalHMM``:

* ``startprob``    (m,)    pi_i = p(H_1 = i)
* ``transmat``     (m, m)  A_ij = p(H_{t+1} = j | H_t = i)   (rows are "from")
* ``emissionprob`` (m, K)  B_ix = p(X_t = x | H_t = i)

m is the number of hidden states, K the number of observation symbols.

Inference: :meth:`HMM.filter` (p(H_t | x_1..t)), :meth:`HMM.smooth` (p(H_t | x_1..T)),
:meth:`HMM.viterbi` (the most probable path), :meth:`HMM.log_likelihood`; learning:
:meth:`HMM.fit` (Baum-Welch). Each validates its inputs here and calls a pure, batched function
of :mod:`~probrnn.hmm.forward`, :mod:`~probrnn.hmm.smoothing`, :mod:`~probrnn.hmm.viterbi` or
:mod:`~probrnn.hmm.baum_welch`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..sampling import inverse_cdf
from ..validate import (
    as_rng,
    check_bool,
    check_hmm,
    check_int,
    check_obs,
    check_prob_vector,
    check_real,
    check_size,
    check_stochastic_matrix,
)
from .baum_welch import BaumWelchInfo, fit_restarts
from .forward import (
    FilterResult,
    first_impossible_step,
    hmm_filter,
    predict_next,
    raise_if_impossible,
)
from .smoothing import forward_backward
from .viterbi import viterbi_with_diagnostics


class BeliefOperators(NamedTuple):
    """The paper's linear belief dynamics alpha_{t+1} = D_{x_{t+1}} V alpha_t (section 3.2).

    D: (K, m, m)  D[x] = diag(p(X = x | H = 1), ..., p(X = x | H = m))
    V: (m, m)     V[i, j] = p(H_{t+1} = i | H_t = j)  (columns are "from"), so V = transmat.T
    """

    D: np.ndarray
    V: np.ndarray


class HMM:
    """A categorical hidden Markov model (hmmlearn's conventions; see the module docstring).

    Parameters are validated once here: shapes, m/K agreement, finiteness, non-negativity and
    rows summing to 1 (to 1e-6). They are stored as read-only float64 arrays.
    """

    def __init__(self, startprob, transmat, emissionprob):
        pi = check_prob_vector(startprob, "startprob")
        A = check_stochastic_matrix(transmat, "transmat")
        B = check_stochastic_matrix(emissionprob, "emissionprob")
        m = pi.shape[0]
        if A.shape != (m, m):
            raise ValueError(
                f"transmat must have shape (m, m) = ({m}, {m}) to match startprob (m = {m}); "
                f"got {A.shape}"
            )
        if B.shape[0] != m:
            raise ValueError(
                f"emissionprob must have shape (m, K) with m = {m} rows to match startprob; "
                f"got {B.shape}"
            )
        for arr in (pi, A, B):
            arr.flags.writeable = False
        self.startprob, self.transmat, self.emissionprob = pi, A, B

    # ------------------------------------------------------------------ construction
    @classmethod
    def random(cls, m, n_symbols, rng=None, concentration=1.0) -> HMM:
        """Draw pi, every row of A and every row of B from a symmetric Dirichlet(concentration).

        With ``concentration=1`` (uniform on the simplex) this is the paper's set-up in 4.1.
        The draws come in the order pi, A (row by row), B (row by row) from ``rng``.
        """
        m = check_int(m, "m (number of hidden states)", minimum=1)
        K = check_int(n_symbols, "n_symbols", minimum=1)
        conc = check_real(concentration, "concentration", 0.0, low_open=True)
        check_size(m * (m + K + 1), "HMM.random(m, n_symbols)", "parameters")
        gen = as_rng(rng)
        pi = _dirichlet(gen, conc, 1, m)[0]
        A = _dirichlet(gen, conc, m, m)
        B = _dirichlet(gen, conc, m, K)
        return cls(pi, A, B)

    @classmethod
    def from_hmmlearn(cls, model) -> HMM:
        """From a fitted or hand-set ``hmmlearn.hmm.CategoricalHMM``."""
        for attr in ("startprob_", "transmat_", "emissionprob_"):
            if not hasattr(model, attr):
                raise ValueError(f"model has no {attr}: pass a CategoricalHMM with its parameters set")
        return cls(model.startprob_, model.transmat_, model.emissionprob_)

    def to_hmmlearn(self):
        """An ``hmmlearn.hmm.CategoricalHMM`` with exactly these parameters (init/fit untouched)."""
        from hmmlearn.hmm import CategoricalHMM

        model = CategoricalHMM(
            n_components=self.m, n_features=self.n_symbols, init_params="", params="ste"
        )
        model.startprob_ = np.array(self.startprob)
        model.transmat_ = np.array(self.transmat)
        model.emissionprob_ = np.array(self.emissionprob)
        return model

    # ------------------------------------------------------------------ properties
    @property
    def m(self) -> int:
        """Number of hidden states."""
        return self.startprob.shape[0]

    @property
    def n_symbols(self) -> int:
        """Number of observation symbols K."""
        return self.emissionprob.shape[1]

    @property
    def n_params(self) -> int:
        """Free parameters: (m - 1) + m (m - 1) + m (K - 1)."""
        m, K = self.m, self.n_symbols
        return (m - 1) + m * (m - 1) + m * (K - 1)

    def __repr__(self) -> str:
        return f"HMM(m={self.m}, n_symbols={self.n_symbols})"

    # ------------------------------------------------------------------ sampling
    def sample(self, n, T, rng=None) -> tuple[np.ndarray, np.ndarray]:
        """Draw n independent sequences of length T.

        Returns ``(states, obs)``, int64 arrays of shape (n, T). Batched over sequences: one
        uniform per sequence and step, turned into a draw by the inverse CDF.
        """
        n = check_int(n, "n (number of sequences)", minimum=1)
        T = check_int(T, "T (sequence length)", minimum=1)
        check_size(4 * n * T, "sample(n, T)", "numbers (states, symbols and their uniforms)")
        gen = as_rng(rng)
        cum_pi = np.cumsum(self.startprob)
        cum_A = np.cumsum(self.transmat, axis=1)  # (m, m)
        cum_B = np.cumsum(self.emissionprob, axis=1)  # (m, K)
        u_h = gen.random((n, T))
        u_x = gen.random((n, T))
        states = np.empty((n, T), dtype=np.int64)
        obs = np.empty((n, T), dtype=np.int64)
        states[:, 0] = inverse_cdf(cum_pi[None, :], u_h[:, 0])
        for t in range(1, T):
            states[:, t] = inverse_cdf(cum_A[states[:, t - 1]], u_h[:, t])
        for t in range(T):
            obs[:, t] = inverse_cdf(cum_B[states[:, t]], u_x[:, t])
        return states, obs

    # ------------------------------------------------------------------ inference
    def _forward(self, obs):
        arr, single = check_obs(obs, self.n_symbols)
        res = hmm_filter(self.startprob, self.transmat, self.emissionprob, arr)
        return res, single

    def forward(self, obs, allow_zero=False) -> FilterResult:
        """The forward algorithm's whole result: ``filtered`` (n, T, m) p(H_t | x_1..t) and
        ``log_normalizers`` (n, T) log p(x_t | x_1..t-1) (a single (T,) sequence gives (T, m)
        and (T,)). A sequence of probability zero raises ``ValueError`` unless ``allow_zero``,
        when its normalisers are -inf from the impossible step on and its beliefs all zero."""
        allow_zero = check_bool(allow_zero, "allow_zero")
        res, single = self._forward(obs)
        if not allow_zero:
            self._raise_if_impossible(res)
        if single:
            return FilterResult(res.filtered[0], res.log_normalizers[0])
        return res

    @staticmethod
    def _raise_if_impossible(res, undefined="p(H_t | x_1..t)", under="the model"):
        raise_if_impossible(first_impossible_step(res.log_normalizers), undefined, under)

    def filter(self, obs) -> np.ndarray:
        """Filtering distributions p(H_t | x_1..t) for every t (the forward algorithm).

        ``obs`` (n, T) -> (n, T, m); a single sequence (T,) -> (T, m). Scaled at every step, so
        T = 10,000 neither underflows nor returns NaN. Raises ``ValueError`` for a sequence of
        probability zero under the model.
        """
        res, single = self._forward(obs)
        self._raise_if_impossible(res)
        return res.filtered[0] if single else res.filtered

    def predict_next(self, obs) -> np.ndarray:
        """Predictive distributions p(X_{t+1} | x_1..t): (n, T) -> (n, T, K); (T,) -> (T, K).

        Entry t is the paper's g(alpha_t) (section 3.2), generalised from binary to K symbols.
        """
        filtered = self.filter(obs)
        return predict_next(filtered, self.transmat, self.emissionprob)

    def log_likelihood(self, obs, allow_zero=False) -> np.ndarray:
        """log p(x_1..T) for each sequence: (n, T) -> (n,); a single (T,) sequence -> float.

        A sequence of probability zero raises ``ValueError`` naming it, unless
        ``allow_zero=True``, when its log-likelihood is ``-inf`` (never NaN).
        """
        allow_zero = check_bool(allow_zero, "allow_zero")
        res, single = self._forward(obs)
        if not allow_zero:
            self._raise_if_impossible(res)
        ll = res.log_likelihood
        return float(ll[0]) if single else ll

    def smooth(self, obs) -> np.ndarray:
        """Smoothed distributions p(H_t | x_1..T) for every t (forward-backward).

        ``obs`` (n, T) -> (n, T, m); a single sequence (T,) -> (T, m). The filter's beliefs times
        rescaled backward messages (:func:`~probrnn.hmm.smoothing.hmm_smooth`): T = 10,000 and
        probabilities like 1e-300 give neither underflow nor NaN. Raises ``ValueError`` naming
        the sequence and step for a sequence of probability zero under the model.
        """
        arr, single = check_obs(obs, self.n_symbols)
        fb = forward_backward(self.startprob, self.transmat, self.emissionprob, arr)
        if fb.impossible.any():
            raise_if_impossible(first_impossible_step(fb.log_normalizers), "p(H_t | x_1..T)")
        return fb.smoothed[0] if single else fb.smoothed

    def viterbi(self, obs):
        """The most probable hidden path of each sequence (the Viterbi algorithm, in log space).

        ``obs`` (n, T) -> ``(paths (n, T) int64, log_probs (n,))`` with log_probs = log p(path,
        x_1..T); a single sequence (T,) -> ``(path (T,), float)``. Ties go to the lowest state
        index (see :mod:`probrnn.hmm.viterbi`), so the result is deterministic. Raises
        ``ValueError`` naming the sequence and step for a sequence of probability zero.
        """
        arr, single = check_obs(obs, self.n_symbols)
        res = viterbi_with_diagnostics(self.startprob, self.transmat, self.emissionprob, arr)
        raise_if_impossible(res.first_impossible, "its most probable path")
        if single:
            return res.paths[0], float(res.log_probs[0])
        return res.paths, res.log_probs

    @classmethod
    def fit(cls, obs, m, n_symbols, *, n_iter=100, tol=1e-4, rng=None, restarts=1, init=None
            ) -> tuple[HMM, BaumWelchInfo]:
        """Fit an HMM to observations by Baum-Welch (EM), best of ``restarts`` starts.

        Args:
            obs: (n, T) symbols in [0, n_symbols), or one sequence (T,).
            m, n_symbols: numbers of hidden states and of symbols.
            n_iter: at most this many EM iterations per restart.
            tol: stop when the total log-likelihood improves by less than this (hmmlearn's
                rule: an iteration that lowers it stops too).
            rng: seed or ``numpy.random.Generator`` for the random starts: each is
                :meth:`HMM.random` (pi, every row of A, every row of B ~ Dirichlet(1), drawn in
                that order), restart after restart from this one generator.
            restarts: number of EM runs; the one with the highest final log-likelihood wins
                (the lowest index among ties).
            init: an :class:`HMM` (m states, n_symbols symbols) to start the first restart
                from instead of a random draw (the others stay random). Every sequence must be
                possible under it.

        Returns:
            ``(hmm, info)``: the fitted model and a :class:`~probrnn.hmm.baum_welch.BaumWelchInfo`
            (the winner's log-likelihood before each M-step, as hmmlearn's
            ``monitor_.history``; iterations; converged, i.e. stopped by ``tol`` and not by
            ``n_iter``; the winning restart; every restart's final log-likelihood).

        A state the data never visit (or never leave) keeps its previous row instead of
        becoming 0/0 (see :func:`~probrnn.hmm.baum_welch.m_step`).
        """
        m = check_int(m, "m (number of hidden states)", minimum=1)
        K = check_int(n_symbols, "n_symbols", minimum=1)
        arr, _ = check_obs(obs, K)
        n_iter = check_int(n_iter, "n_iter", minimum=1)
        tol = check_real(tol, "tol", 0.0)
        restarts = check_int(restarts, "restarts", minimum=1)
        gen = as_rng(rng)
        starts = []
        if init is not None:
            init = check_hmm(init, "init")
            if (init.m, init.n_symbols) != (m, K):
                raise ValueError(f"init has m = {init.m} states and {init.n_symbols} symbols; "
                                 f"fit asked for m = {m} and n_symbols = {K}")
            starts.append(init)
        while len(starts) < restarts:
            starts.append(cls.random(m, K, rng=gen))
        names = [f"the start of restart {i}" for i in range(restarts)]
        if init is not None:
            names[0] = "init"
        params, info = fit_restarts(arr, [(s.startprob, s.transmat, s.emissionprob) for s in starts],
                                    n_iter=n_iter, tol=tol, names=names)
        return cls(*params), info

    def belief_operators(self) -> BeliefOperators:
        """The paper's D_x and V (section 3.2), so that alpha_{t+1} = D_{x_{t+1}} V alpha_t.

        ``D`` (K, m, m): D[x] = diag(emissionprob[:, x]).
        ``V`` (m, m): V[i, j] = p(H_{t+1} = i | H_t = j). The paper's V has columns as the
        "from" state; hmmlearn's ``transmat`` has rows as "from", so ``V = transmat.T``.
        The unnormalised forward variables alpha_t(i) = p(H_t = i, x_1..t) then obey
        alpha_1 = D_{x_1} pi and alpha_{t+1} = D_{x_{t+1}} V alpha_t.
        """
        D = np.stack([np.diag(self.emissionprob[:, x]) for x in range(self.n_symbols)])
        return BeliefOperators(D=D, V=np.array(self.transmat.T))


def _dirichlet(gen: np.random.Generator, conc: float, rows: int, dim: int) -> np.ndarray:
    """(rows, dim) Dirichlet(conc) draws via normalised Gammas (stable for small conc)."""
    g = gen.standard_gamma(conc, size=(rows, dim))
    # divided by each row's largest first: for huge concentrations the draws are near 1e308
    # and their sum would overflow (the normalised vector is the same)
    top = g.max(axis=1, keepdims=True)
    g = g / np.where(top > 0, top, 1.0)
    s = g.sum(axis=1, keepdims=True)
    # For tiny concentrations every Gamma can underflow to 0: fall back to a random vertex.
    empty = s[:, 0] <= 0
    if empty.any():
        g[empty] = np.eye(dim)[gen.integers(dim, size=int(empty.sum()))]
        s = g.sum(axis=1, keepdims=True)
    return g / s
