"""The Viterbi algorithm: the most probable hidden path argmax_h p(h_1..T | x_1..T), batched.

Introduced in the chapter *Hidden Markov models and the forward algorithm*, beside smoothing:
where the forward algorithm sums over the previous state, Viterbi maximises over it,

    delta_1(j) = log pi_j + log B_j(x_1),
    delta_t(j) = max_i [delta_{t-1}(i) + log A_ij] + log B_j(x_t),

remembering the maximising i, then reads the path backwards from argmax_j delta_T(j). It works in
log space, so nothing underflows; a zero probability is ``-inf`` and is never combined with
``+inf``, so no NaN can appear.

**Ties** are broken towards the lowest state index, both for the last state and for each
remembered predecessor. The path returned is therefore, among all the most probable paths, the
one that is smallest when compared from the end: the lowest h_T, then given it the lowest h_{T-1},
and so on. (Ties are decided on the floating-point sums, so two paths equal in exact arithmetic
but rounded differently are not a tie.)

The functions trust their inputs; :class:`probrnn.HMM` validates them once at the boundary.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

_CHUNK = 2**21  # elements of the (rows, m, m) array of candidate scores (16 MB)


class ViterbiResult(NamedTuple):
    """Output of :func:`viterbi_with_diagnostics` for n sequences of length T.

    paths:        (n, T) int64  the most probable hidden path (ties: see the module docstring)
    log_probs:    (n,)          log max_h p(h_1..T, x_1..T); ``-inf`` for impossible sequences
    first_impossible: (n,) int64  the first t (0-based) at which every path has probability zero,
                                  -1 for possible sequences
    """

    paths: np.ndarray
    log_probs: np.ndarray
    first_impossible: np.ndarray


def hmm_viterbi(startprob, transmat, emissionprob, obs) -> tuple[np.ndarray, np.ndarray]:
    """Most probable hidden paths, batched over sequences (a Python loop over time only).

    Args:
        startprob: (m,) initial distribution pi.
        transmat: (m, m) row-stochastic A.
        emissionprob: (m, K) row-stochastic B.
        obs: (n, T) int64 symbols in [0, K).

    Returns:
        ``(paths, log_probs)``: (n, T) int64 states and (n,) log p(path, x_1..T) of each path.
        A sequence of probability zero gets ``log_probs = -inf`` and an all-zero path;
        :meth:`probrnn.HMM.viterbi` raises for it.
    """
    res = viterbi_with_diagnostics(startprob, transmat, emissionprob, obs)
    return res.paths, res.log_probs


def viterbi_with_diagnostics(startprob, transmat, emissionprob, obs) -> ViterbiResult:
    """:func:`hmm_viterbi` plus the first impossible step of each sequence."""
    n, T = obs.shape
    m = startprob.shape[0]
    with np.errstate(divide="ignore"):
        log_pi, log_a, log_b_t = np.log(startprob), np.log(transmat), np.log(emissionprob.T)
    paths = np.zeros((n, T), dtype=np.int64)
    log_probs = np.empty(n)
    first_impossible = np.full(n, -1, dtype=np.int64)
    step = max(1, _CHUNK // (m * m))
    back_dtype = np.min_scalar_type(m - 1)
    for lo in range(0, n, step):
        rows = slice(lo, min(n, lo + step))
        o = obs[rows]  # (r, T)
        r = o.shape[0]
        back = np.empty((T, r, m), dtype=back_dtype)  # back[t, k, j]: best predecessor of j
        dead = np.zeros(r, dtype=bool)
        first = first_impossible[rows]
        delta = log_pi + log_b_t[o[:, 0]]  # (r, m)
        for t in range(T):
            if t > 0:
                scores = delta[:, :, None] + log_a  # (r, m_from, m_to)
                best = scores.argmax(axis=1)  # lowest "from" index among ties
                back[t] = best
                delta = np.take_along_axis(scores, best[:, None, :], axis=1)[:, 0, :]
                delta += log_b_t[o[:, t]]
            now_dead = np.isneginf(delta.max(axis=1)) & ~dead
            first[now_dead] = t
            dead |= now_dead
        last = delta.argmax(axis=1)  # lowest index among ties
        log_probs[rows] = delta[np.arange(r), last]
        path = paths[rows]
        path[:, T - 1] = last
        for t in range(T - 1, 0, -1):
            path[:, t - 1] = back[t, np.arange(r), path[:, t]]
        path[dead] = 0
        first_impossible[rows] = first
    return ViterbiResult(paths, log_probs, first_impossible)
