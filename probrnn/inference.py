"""Exact inference in a discrete HMM: the forward algorithm as pure, batched functions.

Introduced in the chapter *Hidden Markov models and the forward algorithm*. Every RNN and particle
filter in the book is judged against :func:`hmm_filter`.

The functions trust their inputs; :class:`probrnn.HMM` validates them once at the boundary.
Notation (hmmlearn's): ``startprob`` pi (m,), ``transmat`` A (m, m) with
``A[i, j] = p(H_{t+1} = j | H_t = i)``, ``emissionprob`` B (m, K) with ``B[i, x] = p(X_t = x | H_t = i)``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class FilterResult(NamedTuple):
    """Output of :func:`hmm_filter` for n sequences of length T over m states.

    filtered:        (n, T, m)  p(H_t | x_{1:t})
    log_normalizers: (n, T)     log p(x_t | x_{1:t-1}); ``-inf`` where x_t is impossible
    """

    filtered: np.ndarray
    log_normalizers: np.ndarray

    @property
    def log_likelihood(self) -> np.ndarray:
        """(n,) log p(x_{1:T}) = sum_t log p(x_t | x_{1:t-1})."""
        return self.log_normalizers.sum(axis=-1)


def hmm_filter(startprob, transmat, emissionprob, obs) -> FilterResult:
    """Scaled forward algorithm, batched over sequences.

    Args:
        startprob: (m,) initial distribution pi.
        transmat: (m, m) row-stochastic A.
        emissionprob: (m, K) row-stochastic B.
        obs: (n, T) int64 symbols in [0, K).

    Returns:
        :class:`FilterResult` with ``filtered`` (n, T, m) and ``log_normalizers`` (n, T).

    Each step normalises the belief, so nothing underflows however long T is; the log of each
    normaliser is kept, and their sum is the log-likelihood. A sequence with an impossible
    symbol gets ``log_normalizers = -inf`` from that step on and an all-zero belief (never NaN).
    """
    n, T = obs.shape
    m = startprob.shape[0]
    emis_t = np.ascontiguousarray(emissionprob.T)  # (K, m): row x is p(x | H = .)
    # One gather of every likelihood p(x_t | H_t = .), stored time-major so that each step's
    # (n, m) block is contiguous; the beliefs then overwrite it in place, and the result is
    # returned as an (n, T, m) view.
    out = emis_t[obs.T]  # (T, n, m)
    log_c = np.empty((T, n))
    pred = np.empty((n, m))
    ones = np.ones(m)
    for t in range(T):
        alpha = out[t]  # (n, m), holds p(x_t | H_t = .)
        if t == 0:
            alpha *= startprob
        else:
            np.matmul(out[t - 1], transmat, out=pred)  # p(H_t | x_<t)
            alpha *= pred
        c = alpha @ ones  # (n,) p(x_t | x_<t); a matrix-vector product is faster than .sum(1)
        with np.errstate(divide="ignore"):
            np.log(c, out=log_c[t])
        c[c <= 0.0] = 1.0  # impossible x_t: the belief stays all-zero, never NaN
        alpha *= np.reciprocal(c)[:, None]
    return FilterResult(out.transpose(1, 0, 2), log_c.T)


def predict_next(filtered, transmat, emissionprob) -> np.ndarray:
    """p(X_{t+1} | x_{1:t}) from the filtered beliefs: (..., m) -> (..., K)."""
    return (filtered @ transmat) @ emissionprob


def brute_force_filter(startprob, transmat, emissionprob, obs_seq):
    """Reference by enumeration of all m**T hidden paths of one sequence ``obs_seq`` (T,).

    Returns (filtered (T, m), log_likelihood). Exponential cost: for tests with tiny m and T.
    """
    import itertools

    m = startprob.shape[0]
    T = len(obs_seq)
    filtered = np.zeros((T, m))
    prefix_lik = np.zeros(T)
    for path in itertools.product(range(m), repeat=T):
        p = startprob[path[0]] * emissionprob[path[0], obs_seq[0]]
        for t in range(T):
            if t > 0:
                p *= transmat[path[t - 1], path[t]] * emissionprob[path[t], obs_seq[t]]
            # p is the joint of (h_{1:t}, x_{1:t}); summing over the later states of the path
            # counts each prefix m**(T-1-t) times, so divide that out.
            w = p / m ** (T - 1 - t)
            filtered[t, path[t]] += w
            prefix_lik[t] += w
    with np.errstate(divide="ignore", invalid="ignore"):
        filtered = filtered / prefix_lik[:, None]
        return filtered, float(np.log(prefix_lik[-1]))
