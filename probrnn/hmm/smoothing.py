"""Smoothing: p(H_t | x_1..T) by the forward-backward algorithm, batched and stable.

Introduced in the chapter *Hidden Markov models and the forward algorithm*, after filtering.
The filter's beliefs alpha_t = p(H_t | x_1..t) and normalisers c_t = p(x_t | x_1..t-1)
(:func:`~probrnn.hmm.forward.hmm_filter`) are multiplied by backward messages scaled by the
same normalisers,

    beta_T = 1,   beta_t = A (B_{x_{t+1}} * beta_{t+1}) / c_{t+1}
           = p(x_{t+1..T} | H_t = .) / p(x_{t+1..T} | x_1..t),

one (n, m) x (m, m) matmul per step over all sequences, the forward pass's mirror image. Then
gamma_t(i) = p(H_t = i | x_1..T) = alpha_t(i) beta_t(i), which sums to 1 (it is renormalised
anyway, and a sum that is not 1 to within 1e-6 flags lost digits). Nothing underflows however
long T is.

The same backward sweep can accumulate Baum-Welch's expected counts instead
(:mod:`~probrnn.hmm.baum_welch`), while each step's numbers are at hand, so that the E-step reads
every array once.

A sequence whose linear-space numbers cannot be trusted (a normaliser below 1e-290, a message
that could overflow, a posterior that does not sum to 1: it takes probabilities near 1e-300 in
the model) is recomputed in log space (:func:`log_forward_backward`) for the steps concerned, so
no inf or NaN is ever returned. The functions trust their inputs; :class:`probrnn.HMM`
validates them once.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .forward import _forward_block, block_rows, log_matmul_exp

TINY = 1e-290  # below this a linear-space quantity is recomputed in log space (as in forward.py)
_LOG_TINY = float(np.log(TINY))
_CHUNK = 2**21  # elements of an (r, m, m) temporary in the log-space routines (16 MB)


class ForwardBackward(NamedTuple):
    """Output of :func:`forward_backward` for n sequences of length T over m states.

    smoothed:        (n, T, m)  p(H_t | x_1..T); all-zero rows for impossible sequences
                                (None when the counts were asked for)
    log_normalizers: (n, T)     log p(x_t | x_1..t-1) (the filter's); ``-inf`` where impossible
    impossible:      (n,) bool  sequences of probability zero
    log_space_rows:  (r,) int   the sequences (partly) recomputed in log space
    counts:          ``(start (m,), trans (m, m), emit (m, K))`` expected counts summed over the
                     possible sequences (see :mod:`~probrnn.hmm.baum_welch`), or None
    """

    smoothed: np.ndarray
    log_normalizers: np.ndarray
    impossible: np.ndarray
    log_space_rows: np.ndarray
    counts: tuple | None


def hmm_smooth(startprob, transmat, emissionprob, obs) -> np.ndarray:
    """Smoothed posteriors p(H_t | x_1..T) for every t, batched over sequences.

    Args:
        startprob: (m,) initial distribution pi.
        transmat: (m, m) row-stochastic A.
        emissionprob: (m, K) row-stochastic B.
        obs: (n, T) int64 symbols in [0, K).

    Returns:
        (n, T, m) posteriors; each row sums to 1. A sequence of probability zero under the
        model gets all-zero rows (never NaN); :meth:`probrnn.HMM.smooth` raises for it.
    """
    return forward_backward(startprob, transmat, emissionprob, obs).smoothed


def forward_backward(startprob, transmat, emissionprob, obs, counts: bool = False
                     ) -> ForwardBackward:
    """The scaled forward pass (the loop of :func:`~probrnn.hmm.forward.hmm_filter`), then one
    backward sweep that turns its beliefs into posteriors in place or, if ``counts``,
    accumulates Baum-Welch's expected counts instead (``smoothed`` is then None). See
    :class:`ForwardBackward` for the output.

    Rows are independent, so both passes run block by block: a block of rows is filtered and
    at once swept back, while its (T, rows, m) beliefs are still in the processor's cache
    (with counts, the beliefs of one block at a time are all that is ever stored)."""
    n, T = obs.shape
    m, K = emissionprob.shape
    emis_t = np.ascontiguousarray(emissionprob.T)  # (K, m): row x is p(x | H = .)
    obs_t = np.ascontiguousarray(obs.T)  # (T, n)
    log_c = np.empty((T, n))
    impossible = np.zeros(n, dtype=bool)
    failed_at = np.full(n, -1)
    block = block_rows(m)
    gamma = None if counts else np.empty((T, n, m))  # time-major, as hmm_filter stores it
    # a block's p(H_t | x_<t) (t >= 1) and, with counts, its beliefs: one allocation, which
    # numpy backs with huge pages from 4 MB on (one Baum-Welch E-step at m = 16, n = 10,000:
    # 6.2-6.4 ms, against 7.8-8.1 ms with two 2 MB buffers)
    buf = np.empty((2 if counts else 1, T, min(block, n), m))
    preds, work = buf[0], (buf[1] if counts else None)
    # with every A_ij >= 1e-280, p(H_t = j | x_<t) >= 1e-280 / m > 0 for every row in use
    consts = (np.ascontiguousarray(transmat.T), np.ones(m),
              bool(transmat.min() >= _POSITIVE) if m else True, K)
    acc = (np.zeros(m), np.zeros((m, m)), np.zeros((K, m))) if counts else None
    for lo in range(0, n, block):
        rows = slice(lo, min(n, lo + block))
        g = work[:, :rows.stop - lo] if counts else gamma[:, rows]
        for t in range(T):  # p(x_t | H_t = .), one contiguous (rows, m) block per step
            np.take(emis_t, obs_t[t, rows], axis=0, out=g[t], mode="clip")
        pb = preds[:, :rows.stop - lo]
        _forward_block(g, log_c[:, rows], startprob, transmat, emis_t, obs[rows], pb)
        lc = log_c[:, rows]
        impossible[rows] = np.isneginf(lc).any(axis=0)
        # A row whose forward pass fell back to log space at some step (a normaliser below
        # TINY, whose inverse the scaled backward messages cannot hold) is redone whole.
        failed_at[rows][(lc < _LOG_TINY).any(axis=0) & ~impossible[rows]] = T - 1
        _sweep_block(g, pb, lc, impossible[rows], failed_at[rows], obs_t[:, rows], consts,
                     acc)
    if counts:
        start, trans, emit_t = acc
        acc = (start, trans * transmat, emit_t.T.copy())
    rows = np.flatnonzero(failed_at >= 0)
    if rows.size:  # redo, in log space, the steps t <= failed_at of these rows
        la, lb, ll = log_forward_backward(startprob, transmat, emissionprob, obs[rows])
        redo = np.arange(T)[:, None] <= failed_at[rows]  # (T, r)
        exact = _posteriors_from_logs(la, lb, ll)  # (T, r, m)
        if counts:
            start, trans, emit = acc
            start += exact[0].sum(axis=0)  # every redone row redoes t = 0
            emit += _emission_counts(exact * redo[:, :, None], obs[rows].T, K)
            trans += _log_space_trans(la, lb, ll, transmat, emissionprob, obs[rows], redo)
        else:
            sub = gamma[:, rows]
            sub[redo] = exact[redo]
            gamma[:, rows] = sub
    smoothed = None if counts else gamma.transpose(1, 0, 2)
    return ForwardBackward(smoothed, log_c.T, impossible, rows, acc)


_HUGE = 1e300  # a row whose next message could exceed this is handed to log space
_POSITIVE = 1e-280  # transition probabilities at least this large: no prediction is 0


def _sweep_block(gamma, preds, log_c, impossible, failed_at, obs_t, consts, acc):
    """From t = T-1 down to 0, on one block of rows: overwrite the beliefs ``gamma`` (T, n, m)
    with the posteriors, or (if ``acc`` is not None) accumulate the expected counts into it.

    The backward messages are scaled by the forward normalisers (beta_T = 1, beta_t = A
    (B_{x_{t+1}} * beta_{t+1}) / c_{t+1}), so that alpha_t * beta_t is already the posterior and
    s_t = sum_i alpha_t(i) beta_t(i) = 1 in exact arithmetic. The factor u_t = B_{x_t} * beta_t
    / c_t is read off what is at hand: the forward pass made alpha_t = p_t * B_{x_t} / c_t from
    its prediction p_t = p(H_t | x_<t) (``preds`` (T, n, m)), so u_t = (alpha_t * beta_t) / p_t,
    one division instead of gathering the emission probabilities and scaling them row by row
    (one Baum-Welch iteration at m = 16 on 10,000 sequences: 6.5-7.1 ms against 7.2-7.5 ms in
    alternating runs). Where p_t(j) is 0, u_t(j) is set to 0. That, and a forward step taken in
    log space (whose alpha_t is exact where the linear p_t(j) may have lost digits), can only
    err in states whose p_t(j) is subnormal or 0 (below 2.3e-308), where the linear p_t(j) is
    off by at most m * 5e-324: every term alpha_{t-1}(i) A_ij u_t(j) that reaches a posterior
    has alpha_{t-1}(i) A_ij <= p_t(j), and u_t(j) <= 1e300 on every row in use (the overflow
    test below), so such a state moves a term by at most about m * 5e-24.

    A row *fails* at t if s_t is not 1 to within 1e-6 (digits lost to underflow) or if t > 0 and
    sum_i beta_t(i) / c_t > 1e300 (the next message might overflow): from then on (t' <= t) it
    gets zero weight, and ``failed_at`` (n,) (updated in place; -1: never) records t so that the
    caller redoes gamma_t' and xi_t' for t' <= t in log space. (xi_{t+1} = alpha_t^T u_{t+1} * A
    only uses quantities that passed at t + 1.) Rows that come in with ``failed_at = T - 1``,
    and ``impossible`` rows, get zero weight throughout; with these rules no inf or NaN can
    arise.

    ``log_c`` (T, n) are the forward pass's log-normalisers, ``obs_t`` (T, n) the symbols,
    ``consts`` (A^T, ones(m), whether every A_ij >= 1e-280, K); ``acc`` (start (m,),
    trans (m, m), emit (K, m)) counts with A not yet applied to the transitions (the caller
    multiplies by it once).
    """
    trans_t, ones, positive, K = consts
    T, n, m = gamma.shape
    ok = ~impossible & (failed_at < 0)
    all_ok = bool(ok.all())
    limit = np.exp(log_c) * _HUGE  # sum(beta_t) / c_t <= 1e300  <=>  sum(beta_t) <= limit
    # the largest sum(beta) that every row in use allows (see _failures)
    min_limit = (limit.min(axis=1) if all_ok else np.where(ok, limit, np.inf).min(axis=1)) \
        if n else np.zeros(T)
    beta = np.ones((n, m))
    if not all_ok:  # rows not in use carry zeros throughout
        beta[~ok] = 0.0
    # every row in use, and every A_ij >= 1e-280: no prediction is 0, divide without a mask
    plain = all_ok and positive
    u = np.empty((n, m))  # u_{t+1} = B_{x_{t+1}} * beta_{t+1} / c_{t+1}
    if acc is not None:
        start, trans, emit_t = acc
        flat_idx = obs_t + np.arange(n) * K  # (T, n): where x_t sits in a flattened (n, K)
        scaled = np.zeros((n, K))  # a step's one-hot symbols times a per-row factor
        scaled_flat = scaled.reshape(-1)
    for t in range(T - 1, -1, -1):
        g = gamma[t]  # alpha_t (n, m); becomes alpha_t * beta_t
        if t < T - 1:
            np.matmul(u, trans_t, out=beta)
            if acc is not None:  # xi_{t+1}(i, j) = alpha_t(i) A_ij u(j); A_ij comes at the end
                trans += g.T @ u
        g *= beta
        s = g @ ones  # (n,) 1 up to rounding
        fail = _failures(s, beta, limit[t], min_limit[t], ok, t > 0)
        if fail is not None:
            failed_at[fail] = t
            ok &= ~fail
            beta[fail] = 0.0
            g[fail] = 0.0
            all_ok = False
        if t > 0:  # u_t = (alpha_t * beta_t) / p_t, for the next (earlier) step
            if plain:
                np.divide(g, preds[t], out=u)
            else:
                u.fill(0.0)
                np.divide(g, preds[t], out=u, where=preds[t] > 0)
        inv_s = 1.0 / s if all_ok else np.divide(1.0, s, out=np.zeros(n), where=ok)
        if acc is None:
            g *= inv_s[:, None]
            continue
        scaled_flat[flat_idx[t]] = inv_s
        emit_t += scaled.T @ g  # (K, m): sum over rows of gamma_t by symbol
        scaled_flat[flat_idx[t]] = 0.0
        if t == 0:
            start += inv_s @ g


def _failures(s, beta, limit, min_limit, ok, check_beta):
    """The rows in use (``ok``) that fail this step (see :func:`_backward_sweep`), or None.
    Two reductions decide the usual case, where nothing fails: every s within 1e-6 of 1, and
    m max(beta) below the smallest limit (so every row's sum(beta) is below its own)."""
    fine = np.abs(s - 1.0).max() <= 1e-6  # False if any s is NaN
    if check_beta:
        fine = fine and beta.max() * beta.shape[1] <= min_limit
    if fine:
        return None
    good = np.abs(s - 1.0) <= 1e-6  # False for NaN
    if check_beta:
        good &= beta.sum(axis=1) <= limit
    fail = ok & ~good
    return fail if fail.any() else None


def _emission_counts(gamma, obs_t, K):
    """sum over steps and rows of gamma (T, r, m) by symbol (obs_t (T, r)): (m, K)."""
    m = gamma.shape[2]
    onehot = np.eye(K)[obs_t.reshape(-1)]  # (T r, K)
    return gamma.reshape(-1, m).T @ onehot


# ------------------------------------------------------------------------------ log space
def log_forward_backward(startprob, transmat, emissionprob, obs):
    """Forward-backward entirely in log space, for the few rows that need it.

    ``obs`` (r, T). Returns ``(log_alpha, log_beta, log_likelihood)``: (T, r, m) log p(H_t = .,
    x_1..t), (T, r, m) log p(x_{t+1..T} | H_t = .) and (r,) log p(x_1..T). Each step is an exact
    log-sum-exp over an (r, m, m) array (chunked over rows), so nothing underflows, whatever the
    magnitudes involved. Slower than the scaled passes; the answer where they cannot be trusted.
    """
    r, T = obs.shape
    m = startprob.shape[0]
    with np.errstate(divide="ignore"):
        log_pi, log_a, log_b_t = np.log(startprob), np.log(transmat), np.log(emissionprob.T)
    log_alpha = np.empty((T, r, m))
    log_beta = np.empty((T, r, m))
    log_alpha[0] = log_pi + log_b_t[obs[:, 0]]
    for t in range(1, T):
        log_alpha[t] = log_matmul_exp(log_alpha[t - 1], log_a) + log_b_t[obs[:, t]]
    log_beta[T - 1] = 0.0
    log_a_t = np.ascontiguousarray(log_a.T)
    for t in range(T - 2, -1, -1):
        log_beta[t] = log_matmul_exp(log_b_t[obs[:, t + 1]] + log_beta[t + 1], log_a_t)
    return log_alpha, log_beta, logsumexp(log_alpha[T - 1], axis=1)


def _posteriors_from_logs(log_alpha, log_beta, log_lik):
    """(T, r, m) posteriors exp(log alpha + log beta - log p(x)), renormalised; zero rows for
    sequences of probability zero."""
    log_gamma = log_alpha + log_beta
    norm = logsumexp(log_gamma, axis=2)  # (T, r), equal to log_lik up to rounding
    ok = np.isfinite(norm)
    gamma = np.exp(log_gamma - np.where(ok, norm, 0.0)[:, :, None])
    gamma[~ok] = 0.0
    gamma[:, ~np.isfinite(log_lik)] = 0.0
    return gamma


def _log_space_trans(log_alpha, log_beta, log_lik, transmat, emissionprob, obs, redo):
    """sum over rows and steps 1 <= t with ``redo[t]`` of xi_t(i, j), from log-space passes
    over r rows (``redo`` (T, r) bool): (m, m)."""
    T, r, m = log_alpha.shape
    with np.errstate(divide="ignore"):
        log_a, log_b_t = np.log(transmat), np.log(emissionprob.T)
    total = np.zeros((m, m))
    keep = redo & np.isfinite(log_lik)[None, :]  # (T, r)
    step = max(1, _CHUNK // (m * m))
    for t in range(1, T):
        right = log_b_t[obs[:, t]] + log_beta[t] - np.where(keep[t], log_lik, 0.0)[:, None]
        for lo in range(0, r, step):
            sl = slice(lo, lo + step)
            xi = np.exp(log_alpha[t - 1, sl, :, None] + log_a + right[sl, None, :])  # (r', m, m)
            xi[~keep[t, sl]] = 0.0
            total += xi.sum(axis=0)
    return total


def logsumexp(x, axis):
    """log(sum(exp(x), axis)) without overflow or warnings; ``-inf`` where every term is."""
    top = np.max(x, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return np.log(np.sum(np.exp(x - top), axis=axis)) + np.squeeze(top, axis=axis)
