"""Checkers for the exercises of the chapter *Smoothing, and bidirectional RNNs*.

The smoother of a single sequence is compared with the package's forward-backward
(:meth:`probrnn.HMM.smooth`) on random models, a sequence of one step, one of ten thousand steps
(where unscaled messages underflow) and a model with zeros; the fixed-lag smoother with a
reference that runs forward-backward on every truncated prefix.
"""

from __future__ import annotations

import numpy as np

from ..hmm import HMM
from .result import CaseFailed, checked, compare

_ZEROS = HMM([0.6, 0.4, 0.0], [[0.5, 0.5, 0.0], [0.1, 0.6, 0.3], [0.3, 0.0, 0.7]],
             [[0.7, 0.3, 0.0], [0.0, 0.2, 0.8], [0.5, 0.0, 0.5]])
_ZEROS_CODE = ("hmm = HMM([0.6, 0.4, 0.0], [[0.5, 0.5, 0.0], [0.1, 0.6, 0.3], [0.3, 0.0, 0.7]], "
               "[[0.7, 0.3, 0.0], [0.0, 0.2, 0.8], [0.5, 0.0, 0.5]])")


def check_smooth_one(attempt):
    """ex-smooth-2: ``smooth_one(hmm, x)`` returns p(H_t | x_1..T), shape (T, m), for one
    sequence ``x`` (T,)."""
    specs = [("HMM.random(3, 4, rng=0), a sequence of length 12", HMM.random(3, 4, rng=0), 12, 1,
              "hmm = HMM.random(3, 4, rng=0); x = hmm.sample(1, 12, rng=1)[1][0]"),
             ("m = 8, a sequence of length 30", HMM.random(8, 3, rng=2), 30, 3,
              "hmm = HMM.random(8, 3, rng=2); x = hmm.sample(1, 30, rng=3)[1][0]"),
             ("a sequence of length 1 (beta_T = 1: the smoother is the filter)",
              HMM.random(3, 4, rng=4), 1, 5, ""),
             ("zeros in pi, A and B", _ZEROS, 15, 6,
              _ZEROS_CODE + "; x = hmm.sample(1, 15, rng=6)[1][0]"),
             ("a sequence of length 10,000 (unscaled messages underflow)",
              HMM.random(3, 4, rng=7), 10_000, 8,
              "hmm = HMM.random(3, 4, rng=7); x = hmm.sample(1, 10_000, rng=8)[1][0]")]

    def case(hmm, T, seed):
        def body():
            x = hmm.sample(1, T, rng=seed)[1][0]
            expected = hmm.smooth(x)
            got = attempt(hmm, x.copy())
            arr = np.asarray(got, dtype=np.float64) if got is not None else None
            if arr is not None and arr.shape == expected.shape and T > 1:
                if np.allclose(arr, hmm.filter(x), atol=1e-8) and not np.allclose(
                        expected, hmm.filter(x), atol=1e-6):
                    raise CaseFailed("you return the filter p(H_t | x_1..t); multiply each belief "
                                     "by the backward message beta_t and renormalise.")
                if np.all(np.isfinite(arr)) and not np.allclose(arr.sum(1), 1, atol=1e-6):
                    raise CaseFailed("your rows do not sum to 1: normalise alpha_t * beta_t over "
                                     "the states at every t.")
            compare(got, expected, "p(H_t | x_1..T)", atol=1e-8, rtol=1e-6, time_axis=0,
                    prob_axis=1, axis_names=("T", "m"))
        return body

    return checked("ex-smooth-2", "The backward pass, scaled",
                   [(name, case(h, T, s), setup) for name, h, T, s, setup in specs])


def fixed_lag_reference(hmm: HMM, obs, lag: int) -> np.ndarray:
    """p(H_t | x_1..min(t + lag, T)) for obs (n, T): forward-backward on each truncated prefix
    (slow and plain, for checking)."""
    obs = np.asarray(obs)
    n, T = obs.shape
    out = np.empty((n, T, hmm.m))
    for t in range(T):
        end = min(t + lag, T - 1)
        out[:, t] = hmm.smooth(obs[:, : end + 1])[:, t]
    return out


def check_fixed_lag(attempt):
    """ex-smooth-3: ``fixed_lag(hmm, obs, lag)`` returns p(H_t | x_1..min(t+lag, T)), shape
    (n, T, m), for obs (n, T)."""
    specs = [("HMM.random(4, 3, rng=10), 20 sequences of length 16, lag 2",
              HMM.random(4, 3, rng=10), (20, 16), 2),
             ("lag 0 (the filter)", HMM.random(3, 3, rng=11), (10, 12), 0),
             ("lag T (the smoother)", HMM.random(3, 3, rng=12), (10, 12), 12),
             ("lag 5, m = 2", HMM.random(2, 3, rng=13), (15, 20), 5),
             ("zeros in pi, A and B, lag 3", _ZEROS, (10, 10), 3)]

    def case(hmm, shape, lag, seed):
        def body():
            _, obs = hmm.sample(shape[0], shape[1], rng=seed)
            expected = fixed_lag_reference(hmm, obs, lag)
            got = attempt(hmm, obs.copy(), lag)
            arr = np.asarray(got, dtype=np.float64) if got is not None else None
            if arr is not None and arr.shape == expected.shape and lag > 0:
                for off in (-1, 1):
                    other = fixed_lag_reference(hmm, obs, max(lag + off, 0))
                    if np.allclose(arr, other, atol=1e-8) and not np.allclose(
                            other, expected, atol=1e-6):
                        raise CaseFailed(f"your posteriors are those of lag {lag + off}: step t "
                                         f"sees x_1..t+lag, the symbols up to and including "
                                         f"x_(t+lag) (an off-by-one in the window's end?).")
            compare(got, expected, "p(H_t | x_1..t+lag)", atol=1e-8, rtol=1e-6, time_axis=1,
                    prob_axis=2, axis_names=("n", "T", "m"))
        return body

    return checked("ex-smooth-3", "How much future is enough?",
                   [(name, case(h, s, lag, 100 + i), "")
                    for i, (name, h, s, lag) in enumerate(specs)])


CHECKERS = {"ex-smooth-2": check_smooth_one, "ex-smooth-3": check_fixed_lag}
