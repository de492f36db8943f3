"""Reading the forward algorithm's beliefs out of a trained RNN's hidden units.

Chapter *RNNs as approximations of the forward algorithm*. Proposition 6 asks for a map phi
from beliefs to hidden states with h_t = phi(alpha_t). If a trained RNN has such a structure,
the belief should be recoverable from the hidden state. The probe fits the simplest map that
lands on the probability simplex, psi(h) = softmax(h W + c) (the book writes it rho(h) =
softmax(Gamma h + gamma), with Gamma = W^T and gamma = c), by minimising the cross-entropy
to the forward beliefs (soft targets) on half of the sequences, and reports how well it does on
the other half: R^2 (share of the beliefs' variance explained) and the mean total-variation
distance.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax

from ..validate import as_rng, check_float_array, check_prob_rows, check_real

# Largest hidden value a probe accepts: it standardises and squares them, which must not
# overflow (an RNN's hidden units lie in [-1, 1]).
MAX_ABS_HIDDEN = 1e100


class BeliefProbe(NamedTuple):
    """A fitted probe psi(h) = softmax(standardise(h) W + c) and its held-out fit.

    W (k, m), c (m,), mean/scale (k,): the map; r2, mean_tv: on the held-out sequences;
    r2_train, mean_tv_train: on the fitting half; n_fit, n_test: sequences in each half.
    """

    W: np.ndarray
    c: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    r2: float
    mean_tv: float
    r2_train: float
    mean_tv_train: float
    n_fit: int
    n_test: int

    def predict(self, hidden) -> np.ndarray:
        """psi(h): (..., k) -> (..., m) probabilities."""
        h = check_float_array(hidden, "hidden", max_abs=MAX_ABS_HIDDEN)
        if h.ndim == 0 or h.shape[-1] != self.W.shape[0]:
            raise ValueError(f"hidden must have k = {self.W.shape[0]} units in its last axis "
                             f"(got shape {h.shape})")
        z = (h - self.mean) / self.scale
        return np.exp(log_softmax(z @ self.W + self.c, axis=-1))


def _scores(pred, target):
    ss_res = ((pred - target) ** 2).sum()
    ss_tot = ((target - target.mean(axis=0)) ** 2).sum()
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan")
    return float(r2), float(0.5 * np.abs(pred - target).sum(-1).mean())


def fit_belief_probe(hidden, beliefs, *, test_fraction: float = 0.5, ridge: float = 1e-6,
                     rng=0) -> BeliefProbe:
    """Fit psi: hidden units -> beliefs on some sequences, score it on the others.

    Args:
        hidden: (n, T, k) hidden states of an RNN (``model.hidden_states(obs)``).
        beliefs: (n, T, m) forward-algorithm beliefs of the same sequences (``hmm.filter(obs)``).
        test_fraction: share of the n sequences held out for scoring.
        ridge: L2 penalty on W (keeps the fit finite when a belief is exactly 0 or 1).
        rng: seed or Generator for the split of sequences.
    """
    h = check_float_array(hidden, "hidden", 3, max_abs=MAX_ABS_HIDDEN)
    a = check_prob_rows(beliefs, "beliefs", 3)
    if h.shape[:2] != a.shape[:2]:
        raise ValueError(f"hidden (n, T, k) and beliefs (n, T, m) must share n and T "
                         f"(got shapes {h.shape} and {a.shape})")
    test_fraction = check_real(test_fraction, "test_fraction", 0.0, 1.0, low_open=True,
                               high_open=True)
    ridge = check_real(ridge, "ridge", 0.0)
    gen = as_rng(rng)
    n, _, k = h.shape
    m = a.shape[2]
    n_test = int(round(test_fraction * n))
    if n < 2:
        raise ValueError(f"need at least 2 sequences to fit and test a probe (got n = {n})")
    if n_test < 1 or n - n_test < 1:
        raise ValueError(f"test_fraction = {test_fraction} of n = {n} sequences leaves "
                         f"{n_test} to test and {n - n_test} to fit: each needs at least one")
    perm = gen.permutation(n)
    test, fit = perm[:n_test], perm[n_test:]
    for part, rows in (("held-out", test), ("fitting", fit)):
        if np.ptp(a[rows].reshape(-1, a.shape[2]), axis=0).max() == 0:
            raise ValueError(f"the beliefs of the {part} sequences are all the same, so R^2 is "
                             "undefined there: give sequences whose beliefs vary")
    hf, af = h[fit].reshape(-1, k), a[fit].reshape(-1, m)
    mean, scale = hf.mean(0), hf.std(0)
    scale = np.where(scale > 1e-12, scale, 1.0)
    z = (hf - mean) / scale
    N = z.shape[0]

    def loss(theta):
        W, c = theta[: k * m].reshape(k, m), theta[k * m:]
        logp = log_softmax(z @ W + c, axis=1)
        p = np.exp(logp)
        val = -(af * logp).sum() / N + 0.5 * ridge * (W ** 2).sum()
        g = (p - af) / N  # (N, m)
        return val, np.concatenate([(z.T @ g + ridge * W).ravel(), g.sum(0)])

    theta0 = np.zeros(k * m + m)
    theta0[k * m:] = np.log(np.clip(af.mean(0), 1e-12, None))
    res = minimize(loss, theta0, jac=True, method="L-BFGS-B", options=dict(maxiter=500))
    W, c = res.x[: k * m].reshape(k, m), res.x[k * m:]
    probe = BeliefProbe(W, c, mean, scale, 0.0, 0.0, 0.0, 0.0, len(fit), n_test)
    r2_tr, tv_tr = _scores(probe.predict(h[fit]).reshape(-1, m), af)
    r2, tv = _scores(probe.predict(h[test]).reshape(-1, m), a[test].reshape(-1, m))
    return probe._replace(r2=r2, mean_tv=tv, r2_train=r2_tr, mean_tv_train=tv_tr)
