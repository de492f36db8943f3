"""Exact inference in a discrete HMM: the forward algorithm as pure, batched functions.

Introduced in the chapter *Hidden Markov models and the forward algorithm*. Every RNN and particle
filter in the book is judged against :func:`hmm_filter`.

The functions trust their inputs; :class:`probrnn.HMM` validates them once at the boundary,
and the exported ``probrnn.hmm_filter`` is the validating wrapper of :mod:`probrnn.hmm.public`.
Notation (hmmlearn's): ``startprob`` pi (m,), ``transmat`` A (m, m) with
``A[i, j] = p(H_{t+1} = j | H_t = i)``, ``emissionprob`` B (m, K) with ``B[i, x] = p(X_t = x | H_t = i)``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import logsumexp


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
    normaliser is kept, and their sum is the log-likelihood. A step whose normaliser is so
    small that it underflows in linear space (below about 1e-290: say an emission probability
    of 1e-200 times a prediction of 1e-200) is redone in log space for the rows concerned, so
    a likelihood of 1e-400 is reported as such, not as impossible; so is a step where one
    state's product p(x_t | h) p(h | x_<t) falls below the normal floating-point range (it
    would lose its digits, and a later observation can make that state the likely one). A
    sequence with an
    impossible symbol gets ``log_normalizers = -inf`` from that step on and an all-zero belief
    (never NaN).
    """
    n, T = obs.shape
    m = startprob.shape[0]
    emis_t = np.ascontiguousarray(emissionprob.T)  # (K, m): row x is p(x | H = .)
    # One gather of every likelihood p(x_t | H_t = .), stored time-major so that each step's
    # (n, m) block is contiguous; the beliefs then overwrite it in place, and the result is
    # returned as an (n, T, m) view.
    out = np.take(emis_t, np.ascontiguousarray(obs.T), axis=0)  # (T, n, m); 4x emis_t[obs.T]
    log_c = np.empty((T, n))
    # Rows are independent: taking them in blocks keeps each step's arrays in cache (a fifth
    # faster at n = 10,000, m = 64) and gives bit-for-bit the same numbers.
    block = block_rows(m)
    for lo in range(0, n, block):
        rows = slice(lo, min(n, lo + block))
        _forward_block(out[:, rows], log_c[:, rows], startprob, transmat, emis_t, obs[rows])
    return FilterResult(out.transpose(1, 0, 2), log_c.T)


_BLOCK_ROWS, _BLOCK_BYTES = 2048, 2**18  # rows per block: at least 2048, more when m is small


def block_rows(m: int) -> int:
    """Rows per block of the forward and backward passes over m states (measured best at
    m = 16 and 64 with n = 10,000, T = 8): at least 2,048, more when m is small."""
    return max(_BLOCK_ROWS, _BLOCK_BYTES // (8 * m))


def _forward_block(out, log_c, startprob, transmat, emis_t, obs, preds=None):
    """The forward loop over one block of rows: ``out`` (T, b, m) holds the likelihoods and
    receives the beliefs, ``log_c`` (T, b) the log-normalisers, ``obs`` (b, T).

    For the smoother: ``preds`` (T, b, m), if given, receives the predictions p(H_t | x_<t)
    of the steps t >= 1 (in linear space, also for rows that took a step in log space)."""
    T, n, m = out.shape
    pred = np.empty((n, m))
    ones = np.ones(m)
    for t in range(T):
        alpha = out[t]  # (n, m), holds p(x_t | H_t = .)
        if t == 0:
            np.copyto(pred, startprob)
        else:
            if preds is not None:
                pred = preds[t]
            np.matmul(out[t - 1], transmat, out=pred)  # p(H_t | x_<t)
        alpha *= pred
        c = alpha @ ones  # (n,) p(x_t | x_<t); a matrix-vector product is faster than .sum(1)
        small = c < _TINY
        if alpha.min() < _NORMAL:  # one flat reduction; rows are inspected only if it fires
            low = np.flatnonzero(np.min(alpha, axis=1) < _NORMAL)
            # a product of positive factors that is subnormal or 0 has lost its digits
            lost = (alpha[low] < _NORMAL) & (pred[low] > 0) & (emis_t[obs[low, t]] > 0)
            small[low[lost.any(axis=1)]] = True
        if small.any():
            rows = np.flatnonzero(small)
            prev = startprob[None, :] if t == 0 else out[t - 1, rows]
            alpha[rows], c[rows] = _log_space_step(prev, transmat if t else None,
                                                   emis_t[obs[rows, t]], log_c[t], rows)
            np.log(c, out=log_c[t], where=~small)  # c >= _TINY there
            c[c <= 0.0] = 1.0  # impossible x_t: the belief stays all-zero, never NaN
        else:  # the usual case: every c >= _TINY
            np.log(c, out=log_c[t])
        alpha /= c[:, None]  # a division, not a reciprocal: 1 / 1e-310 overflows


_TINY = 1e-290  # normalisers below this are recomputed in log space
_NORMAL = np.finfo(np.float64).tiny  # 2.2e-308: a smaller product has lost precision


def _log_space_step(prev, transmat, lik, log_c_t, rows):
    """One forward step for the rows whose normaliser underflows, in log space.

    prev (r, m) the previous normalised beliefs (or pi broadcast for the first step),
    transmat (m, m) or None for the first step, lik (r, m) p(x_t | H_t = .). Writes log p(x_t |
    x_<t) into ``log_c_t[rows]`` and returns the normalised beliefs (r, m) and a normaliser of
    1 for each row (0 where x_t is impossible).
    """
    with np.errstate(divide="ignore"):
        log_prev = np.log(prev)
        if transmat is None:
            log_pred = np.broadcast_to(log_prev, lik.shape)
        else:
            log_pred = log_matmul_exp(log_prev, np.log(transmat))  # (r, m)
        log_alpha = log_pred + np.log(lik)
    top = log_alpha.max(axis=1, keepdims=True)
    possible = np.isfinite(top[:, 0])
    safe_top = np.where(possible[:, None], top, 0.0)
    w = np.exp(log_alpha - safe_top)  # exp(-inf) = 0
    s = w.sum(axis=1)
    log_c_t[rows] = np.where(possible, np.log(np.where(possible, s, 1.0)) + safe_top[:, 0],
                             -np.inf)
    beliefs = np.where(possible[:, None], w / np.where(possible, s, 1.0)[:, None], 0.0)
    return beliefs, possible.astype(np.float64)


_CHUNK = 1 << 22  # entries of the temporary of one log-space product


def log_matmul_exp(log_u, log_m):
    """log(exp(log_u) @ exp(log_m)), exactly: (r, m) x (m, m') -> (r, m').

    Each output entry is a log-sum-exp over its m terms (an (r, m, m') temporary, chunked over
    rows), so unlike a max-shifted matmul it stays exact when the large terms of ``log_u`` and
    ``log_m`` do not line up.
    """
    r, m = log_u.shape
    out = np.empty((r, log_m.shape[1]))
    step = max(1, _CHUNK // max(1, m * log_m.shape[1]))
    with np.errstate(divide="ignore"):
        for lo in range(0, r, step):
            terms = log_u[lo:lo + step, :, None] + log_m[None]  # (r', m, m')
            out[lo:lo + step] = logsumexp(terms, axis=1)
    return out


def first_impossible_step(log_normalizers) -> np.ndarray:
    """(n, T) log-normalisers -> (n,) the first t with a ``-inf`` one (x_t impossible given
    x_1..t-1), or -1 for a sequence of positive probability."""
    impossible = np.isneginf(log_normalizers)
    return np.where(impossible.any(axis=1), np.argmax(impossible, axis=1), -1)


def raise_if_impossible(first_step, undefined: str, under: str = "the model") -> None:
    """Raise a ValueError naming the first sequence whose ``first_step`` (n,) is not -1, the
    step at which it became impossible and how many sequences are affected; ``undefined`` says
    what cannot be computed for it."""
    seqs = np.flatnonzero(np.asarray(first_step) >= 0)
    if seqs.size:
        i = int(seqs[0])
        t = int(first_step[i])
        raise ValueError(
            f"observation sequence {i} has probability zero under {under}: its symbol at "
            f"t = {t} (0-based) is impossible given the symbols before it "
            f"({seqs.size} sequence(s) affected: {seqs[:10].tolist()}); "
            f"{undefined} is undefined"
        )


def predict_next(filtered, transmat, emissionprob) -> np.ndarray:
    """p(X_{t+1} | x_{1:t}) from the filtered beliefs: (..., m) -> (..., K)."""
    return (filtered @ transmat) @ emissionprob
