"""The RNN as a graphical model M(G; alpha, beta) (the paper's 3.1, Figure 3).

Chapter 2, *RNNs as generative models and as graphical models*. The graph G over
H_1..T (hidden, real vectors) and X_1..T (symbols) has the edges

    X_t -> H_t,   H_{t-1} -> H_t,   H_t -> X_{t+1},

and M(G; alpha, beta) gives them the conditional distributions

    P(H_1 | X_1 = x_1)                 = delta(H_1 = f_alpha(0, x_1))
    P(H_t | H_{t-1} = h, X_t = x)      = delta(H_t = f_alpha(h, x))        (t = 2..T)
    P(X_{t+1} = . | H_t = h)           = g_beta(h)                         (t = 1..T-1)

given X_1 (which M(G) does not model, as the RNN does not: Remark 1). :class:`RNNGraphicalModel`
builds it from any :class:`probrnn.SequenceRNN`, samples it ancestrally, and
estimates P(X_{t+1} | X_1..t = prefix) *from the graphical model* (by Monte Carlo or by
enumerating the joint) so that Theorem 5 (the estimate equals the RNN's own g_beta(h_t*)) can
be checked rather than assumed. :class:`NoisyRNNGraphicalModel` keeps the graph but replaces
the point masses by N(f_alpha(h, x), sigma^2 I): Proposition 4 then fails, and so does Theorem 5.

**Horizon.** A model is built for prefixes of at most ``horizon`` symbols (default 8): its graph
G spans T = horizon + 1 time steps, so every conditional P(X_{t+1} | x_1..t) with
1 <= t <= horizon is a marginal of the joint over X_1..T that :meth:`conditional` sums out
(``method="enumerate"`` sums over all K^(T - t) completions of the prefix). A longer prefix is a
``ValueError``. Sampling (:meth:`RNNGraphicalModel.sample`) accepts any length, since the
conditional distributions do not depend on t.

All arithmetic runs in float64, on a copy of the RNN's weights taken afresh at every public call
(so the model always describes the network as it is now, even if its weights were edited after
the model was built).
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np
import torch

from ..rnn.sequence import SequenceRNN, check_sequences, resolve_first, single_threaded
from ..sampling import inverse_cdf
from ..validate import as_array, as_rng, check_choice, check_int, check_real, check_size

MAX_ENUMERATION = 2**20  # most completions summed by ``method="enumerate"``
METHODS = ("monte_carlo", "rejection", "enumerate")
# Largest transition noise: the hidden units of a cell are bounded (|h| <= 1), so any larger
# noise only risks overflowing the read-out's products to infinity.
MAX_NOISE_STD = 1e100


class _MCFields(NamedTuple):
    estimate: np.ndarray
    stderr: np.ndarray


class MonteCarloEstimate(_MCFields):
    """A Monte Carlo estimate of P(X_{t+1} = . | x_1..t): unpacks as ``(estimate, stderr)``.

    estimate: (K,) the estimated probabilities.
    stderr:   (K,) their standard errors (see :meth:`RNNGraphicalModel.conditional`).
    Attributes ``n_samples`` (draws made) and ``n_effective`` (effective sample size: Kish's
    for likelihood weighting, the number of prefix matches for rejection).
    """

    def __new__(cls, estimate, stderr, *, n_samples: int, n_effective: float):
        self = super().__new__(cls, estimate, stderr)
        self.n_samples = n_samples
        self.n_effective = n_effective
        return self

    def z_scores(self, reference) -> np.ndarray:
        """(estimate - reference) / stderr, (K,)."""
        return (self.estimate - np.asarray(reference, dtype=np.float64)) / self.stderr


class RNNGraphicalModel:
    """M(G; alpha, beta) of a :class:`SequenceRNN` (see the module docstring).

    Args:
        rnn: any SequenceRNN (trained or not).
        horizon: the longest prefix :meth:`conditional` accepts (the graph has horizon + 1
            time steps).
    """

    deterministic = True

    def __init__(self, rnn: SequenceRNN, horizon: int = 8):
        if not isinstance(rnn, SequenceRNN):
            raise ValueError(f"rnn must be a probrnn SequenceRNN (got {type(rnn).__name__})")
        self.horizon = check_int(horizon, "horizon", minimum=1)
        self.rnn = rnn
        self.net = rnn.float64_copy()

    def refresh(self) -> None:
        """Take a fresh float64 copy of the RNN's current weights (done at the start of every
        public call, so the model always describes the network as it is now)."""
        self.net = self.rnn.float64_copy()

    @property
    def n_symbols(self) -> int:
        return self.rnn.n_symbols

    @property
    def state_size(self) -> int:
        return self.rnn.state_size

    @property
    def first_model(self):
        return self.rnn.first_model

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(K={self.n_symbols}, S={self.state_size}, "
                f"horizon={self.horizon})")

    # -------------------------------------------------------------- conditional distributions
    def transition(self, h: torch.Tensor, x: torch.Tensor, gen: np.random.Generator):
        """A draw of H_t ~ P(H_t | H_{t-1} = h, X_t = x): here the point mass f_alpha(h, x)."""
        return self.net.step(h, x)

    def emission(self, h: torch.Tensor) -> torch.Tensor:
        """P(X_{t+1} = . | H_t = h) = g_beta(h): (B, S) -> (B, K)."""
        return self.net.emit(h)

    def log_emission(self, h: torch.Tensor) -> torch.Tensor:
        """log P(X_{t+1} = . | H_t = h) = log g_beta(h) by a log-softmax: (B, S) -> (B, K),
        finite wherever the logits are (the log of :meth:`emission` can underflow to -inf)."""
        return self.net.emit_log(h)

    def initial_state(self, batch: int) -> torch.Tensor:
        return self.net.initial_state(batch)

    def as_tensor(self, x) -> torch.Tensor:
        return torch.as_tensor(np.ascontiguousarray(x), device=self.net.device)

    # -------------------------------------------------------------- sampling
    @single_threaded
    def sample(self, n: int, T: int, first=None, rng=None) -> tuple[np.ndarray, np.ndarray]:
        """Ancestral sampling of (H_1..T, X_1..T) given X_1.

        ``first``: None (X_1 from the RNN's ``first_model``), a symbol, an (n,) array of
        symbols, or an :class:`~probrnn.sequence_rnn.EmpiricalFirstSymbol`.
        Returns ``(hidden (n, T, S) float64, obs (n, T) int64)``: H_1 from P(H_1 | X_1), then
        for t = 1..T-1: X_{t+1} ~ g_beta(H_t) and H_{t+1} ~ P(H_{t+1} | H_t, X_{t+1}).
        """
        n = check_int(n, "n (number of sequences)", minimum=1)
        T = check_int(T, "T (sequence length)", minimum=1)
        check_size(n * T * (self.state_size + 1), "sample(n, T)", "numbers (hidden states and symbols)")
        gen = as_rng(rng)
        self.refresh()
        obs = np.empty((n, T), dtype=np.int64)
        obs[:, 0] = resolve_first(first, n, self.n_symbols, self.first_model, gen)
        hidden = np.empty((n, T, self.state_size))
        with torch.no_grad():
            h = self.transition(self.initial_state(n), self.as_tensor(obs[:, 0]), gen)
            hidden[:, 0] = h.cpu().numpy()
            for t in range(1, T):
                cum = torch.cumsum(self.emission(h), dim=-1).cpu().numpy()
                obs[:, t] = inverse_cdf(cum, gen.random(n))
                h = self.transition(h, self.as_tensor(obs[:, t]), gen)
                hidden[:, t] = h.cpu().numpy()
        return hidden, obs

    # -------------------------------------------------------------- P(X_{t+1} | prefix)
    def _check_prefix(self, prefix) -> np.ndarray:
        arr = as_array(prefix, "prefix", "integer symbols")
        if arr.ndim != 1:
            raise ValueError(f"prefix must be one sequence of symbols, shape (t,) (got shape "
                             f"{arr.shape})")
        if arr.size == 0:
            raise ValueError("prefix is empty: M(G) is defined given X_1 (it does not model X_1, "
                             "Remark 1), so pass at least the first symbol")
        if arr.size > self.horizon:
            raise ValueError(
                f"prefix has {arr.size} symbols, longer than the model's horizon of "
                f"{self.horizon} (its graph spans horizon + 1 = {self.horizon + 1} time steps); "
                f"build the model with horizon >= {arr.size}")
        seq, _ = check_sequences(arr, self.n_symbols, name="prefix")
        return seq[0]

    @single_threaded
    def conditional(self, prefix, method: str = "monte_carlo", n_samples: int = 50_000,
                    rng=None):
        """Estimate P(X_{t+1} = . | X_1..t = prefix) from the graphical model, t = len(prefix).

        ``method="monte_carlo"`` (likelihood weighting, i.e. importance sampling with the
        evidence clamped): draw ``n_samples`` paths H_1..t ancestrally with X_1..t fixed to the
        prefix, weight each by prod_{s<t} P(X_{s+1} = x_{s+1} | H_s), draw X_{t+1} ~ g_beta(H_t),
        and return the weighted share of each symbol as a :class:`MonteCarloEstimate`
        ``(estimate, stderr)``. The standard error is the delta-method one of a self-normalised
        importance sampler, sqrt(sum_i w_i^2 (1[X_i = x] - p_x)^2) with normalised weights,
        floored at 1 / n_effective so a symbol never drawn still gets an honest error bar.

        ``method="rejection"``: the plainest estimator: draw ``n_samples`` sequences X_1..t+1
        from M(G) given X_1 = prefix[0], keep those whose X_2..t match the prefix, and return
        the share of each X_{t+1} among them (binomial standard error, same floor; a
        ValueError if no draw matched).

        ``method="enumerate"`` (point-mass models only): the exact marginal, by summing the
        joint P(x_2..T | x_1) = prod_t g_beta(h_t)[x_{t+1}] over all K^(T - t) completions
        x_{t+1..T} of the prefix (T = horizon + 1) and normalising; returns a (K,) array.
        """
        seq = self._check_prefix(prefix)
        self.refresh()
        method = check_choice(method, "method", METHODS)
        if method == "enumerate":
            return self._enumerate(seq)
        n_samples = check_int(n_samples, "n_samples", minimum=1)
        check_size(n_samples * (self.state_size + self.n_symbols), "conditional(n_samples)",
                   "numbers")
        gen = as_rng(rng)
        with torch.no_grad():
            if method == "monte_carlo":
                return self._likelihood_weighting(seq, n_samples, gen)
            return self._rejection(seq, n_samples, gen)

    def _likelihood_weighting(self, seq, N, gen) -> MonteCarloEstimate:
        K, t = self.n_symbols, seq.size
        log_w = torch.zeros(N, dtype=torch.float64, device=self.net.device)
        h = self.transition(self.initial_state(N), self.as_tensor(np.full(N, seq[0])), gen)
        for s in range(1, t):
            log_w += self.log_emission(h)[:, seq[s]]  # (N,) log P(X_{s+1} = x_{s+1} | H_s)
            h = self.transition(h, self.as_tensor(np.full(N, seq[s])), gen)
        cum = torch.cumsum(self.emission(h), dim=-1).cpu().numpy()
        x_next = inverse_cdf(cum, gen.random(N))  # (N,)
        log_w = log_w.cpu().numpy()  # finite: a log-softmax of finite logits
        w = np.exp(log_w - log_w.max())
        w /= w.sum()
        onehot = np.eye(K)[x_next]  # (N, K)
        est = w @ onehot
        ess = 1.0 / np.sum(w**2)
        se = np.sqrt(np.sum(w[:, None] ** 2 * (onehot - est) ** 2, axis=0))
        se = np.maximum(se, 1.0 / ess)
        return MonteCarloEstimate(est, se, n_samples=N, n_effective=float(ess))

    def _rejection(self, seq, N, gen) -> MonteCarloEstimate:
        K, t = self.n_symbols, seq.size
        _, obs = self.sample(N, t + 1, first=seq[0], rng=gen)
        match = np.all(obs[:, 1:t] == seq[1:], axis=1)
        n_match = int(match.sum())
        if n_match == 0:
            raise ValueError(f"none of the n_samples = {N} draws matched the prefix "
                             f"{seq.tolist()}, so rejection has no estimate: raise n_samples or "
                             "use method='monte_carlo'")
        est = np.bincount(obs[match, t], minlength=K) / n_match
        se = np.maximum(np.sqrt(est * (1 - est) / n_match), 1.0 / n_match)
        return MonteCarloEstimate(est, se, n_samples=N, n_effective=float(n_match))

    def _enumerate(self, seq) -> np.ndarray:
        K, t, T = self.n_symbols, seq.size, self.horizon + 1
        n_completions = K ** (T - t)
        if n_completions > MAX_ENUMERATION:
            raise ValueError(
                f"enumeration would sum over K^(T - t) = {K}^{T - t} = {n_completions} "
                f"completions (more than {MAX_ENUMERATION}); build the model with a smaller "
                "horizon or use method='monte_carlo'")
        with torch.no_grad():
            # The prefix's own factors are common to every completion: compute them once.
            h = self.transition(self.initial_state(1), self.as_tensor(seq[:1]), None)
            for s in range(1, t):
                h = self.transition(h, self.as_tensor(seq[s: s + 1]), None)
            tails = _all_sequences(K, T - t)  # (C, T - t): x_{t+1..T}
            C = tails.shape[0]
            h = h.expand(C, -1)
            log_joint = torch.zeros(C, dtype=torch.float64, device=self.net.device)
            for j in range(T - t):
                x = self.as_tensor(tails[:, j])
                log_joint += self.log_emission(h).gather(1, x[:, None])[:, 0]
                if j < T - t - 1:
                    h = self.transition(h, x, None)
            log_joint = log_joint.cpu().numpy()
        # P(x_{t+1} = x, prefix) up to the common prefix factor, then normalise over x.
        log_marg = np.array([np.logaddexp.reduce(log_joint[tails[:, 0] == x]) for x in range(K)])
        return np.exp(log_marg - np.logaddexp.reduce(log_marg))

    @single_threaded
    def rnn_conditional(self, prefix) -> np.ndarray:
        """The RNN's own answer g_beta(h_t*), h_t* computed by the network on the prefix: (K,)."""
        seq = self._check_prefix(prefix)
        self.refresh()
        with torch.no_grad():
            logits = self.net(self.as_tensor(seq[None, :]))  # (1, t, K)
            return torch.softmax(logits[0, -1], dim=-1).cpu().numpy()


class NoisyRNNGraphicalModel(RNNGraphicalModel):
    """The same graph G with Gaussian transitions: H_t ~ N(f_alpha(H_{t-1}, X_t), sigma^2 I).

    Not equivalent to the RNN: H_t now varies given (H_{t-1}, X_t), so Proposition 4 fails and
    P(X_{t+1} | x_1..t) is an average of g_beta over a spread of H_t rather than g_beta(h_t*).
    Only Monte Carlo conditionals are available (``method="enumerate"`` raises ValueError).
    """

    deterministic = False

    def __init__(self, rnn: SequenceRNN, noise_std: float, horizon: int = 8):
        super().__init__(rnn, horizon)
        self.noise_std = check_real(noise_std, "noise_std", 0.0, MAX_NOISE_STD)

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}, noise_std={self.noise_std})"

    def transition(self, h, x, gen):
        mean = self.net.step(h, x)
        if self.noise_std == 0:
            return mean
        if gen is None:
            raise ValueError("a noisy model needs an rng to draw its transitions")
        noise = torch.as_tensor(gen.standard_normal(tuple(mean.shape)), device=mean.device)
        return mean + self.noise_std * noise

    def _enumerate(self, seq):
        raise ValueError("method='enumerate' needs point-mass transitions; the noisy model's "
                         "H_t are continuous random variables: use method='monte_carlo'")


def _all_sequences(K: int, length: int) -> np.ndarray:
    """All K^length symbol sequences in lexicographic order: (K^length, length) int64."""
    return np.array(list(itertools.product(range(K), repeat=length)), dtype=np.int64).reshape(
        K**length, length)
