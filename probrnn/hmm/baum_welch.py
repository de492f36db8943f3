"""Baum-Welch: maximum-likelihood HMM parameters by expectation-maximisation, batched.

Introduced in the chapter *RNNs as generative models*, where it is the classical way to learn a
predictor of the next symbol from observations alone. Each iteration

1. **E-step** (:func:`expected_counts`): from the forward-backward passes over *all* sequences at
   once (:func:`~probrnn.hmm.smoothing.forward_backward`), the expected numbers of starts in
   each state, of transitions i -> j and of emissions of each symbol from each state:

       start_i  = sum_seq gamma_1(i),           gamma_t(i)   = p(H_t = i | x_1..T)
       trans_ij = sum_seq sum_{t>=2} xi_t(i, j), xi_t(i, j) = p(H_{t-1} = i, H_t = j | x_1..T)
                = A_ij sum_seq sum_{t>=2} alpha_{t-1}(i) B_j(x_t) beta_t(j) / c_t,
       emit_ix  = sum_seq sum_{t: x_t = x} gamma_t(i),

   with the filter's alpha_t and c_t = p(x_t | x_1..t-1) and the scaled backward messages
   beta_t of :mod:`~probrnn.hmm.smoothing`. They are accumulated during the backward sweep, one
   step at a time: the transition counts with one (m, n) x (n, m) matrix product per step,
   never an (n, T, m, m) array; the emission counts with one product by the step's one-hot
   symbols, (K, n) x (n, m);
2. **M-step** (:func:`m_step`): normalise each row of counts. A row whose total count is below
   1e-290 (a state the data never visit, or never leave) keeps its previous values, so no NaN.

The log-likelihood of the data under the parameters *before* each M-step is recorded, exactly
like hmmlearn's ``monitor_.history``; EM stops when it improves by less than ``tol`` (converged)
or after ``n_iter`` iterations. The functions trust their inputs; :meth:`probrnn.HMM.fit`
validates them once and runs the restarts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .forward import first_impossible_step, hmm_filter, raise_if_impossible
from .smoothing import TINY, forward_backward


class ExpectedCounts(NamedTuple):
    """The E-step's sufficient statistics, summed over n sequences of length T.

    start:          (m,)    sum_seq p(H_1 = i | x)
    trans:          (m, m)  sum_seq sum_{t>=2} p(H_{t-1} = i, H_t = j | x)
    emit:           (m, K)  sum_seq sum_t p(H_t = i | x) [x_t = k]
    log_likelihood: (n,)    log p(x_1..T) of each sequence (``-inf``: it contributes no counts)
    """

    start: np.ndarray
    trans: np.ndarray
    emit: np.ndarray
    log_likelihood: np.ndarray


def expected_counts(startprob, transmat, emissionprob, obs) -> ExpectedCounts:
    """The E-step over all sequences ``obs`` (n, T) at once (see the module docstring).

    The counts are accumulated during the backward sweep of
    :func:`~probrnn.hmm.smoothing.forward_backward`, step by step; the steps of a row whose
    scaled numbers cannot be trusted (see :mod:`~probrnn.hmm.smoothing`) are recomputed in log
    space.
    """
    fb = forward_backward(startprob, transmat, emissionprob, obs, counts=True)
    start, trans, emit = fb.counts
    return ExpectedCounts(start, trans, emit, fb.log_normalizers.sum(axis=1))


def m_step(counts: ExpectedCounts, startprob, transmat, emissionprob):
    """Maximum-likelihood (pi, A, B) from expected counts: each row normalised; a row whose total
    is below 1e-290 keeps its previous values (the data say nothing about it)."""
    pi = _normalise_rows(counts.start[None, :], startprob[None, :])[0]
    return pi, _normalise_rows(counts.trans, transmat), _normalise_rows(counts.emit, emissionprob)


def _normalise_rows(counts, previous):
    total = counts.sum(axis=1)
    keep = ~(total >= TINY)
    out = counts / np.where(keep, 1.0, total)[:, None]
    out[keep] = previous[keep]
    return out


class BaumWelchRun(NamedTuple):
    """One EM run from one start: the final parameters, the log-likelihood before each M-step
    (``history``, one entry per iteration) and whether it stopped by ``tol`` (not ``n_iter``)."""

    startprob: np.ndarray
    transmat: np.ndarray
    emissionprob: np.ndarray
    history: np.ndarray
    converged: bool


def baum_welch(startprob, transmat, emissionprob, obs, *, n_iter: int, tol: float,
               name: str = "the start") -> BaumWelchRun:
    """EM from one start, in hmmlearn's order: E-step, M-step, record the log-likelihood (of the
    parameters before the M-step), stop if it improved by less than ``tol``; at most ``n_iter``
    iterations. ``obs`` (n, T) int64. A sequence of probability zero under the start raises a
    ValueError naming it and ``name`` (EM never makes a possible sequence impossible)."""
    params = (startprob, transmat, emissionprob)
    history = []
    converged = False
    for _ in range(n_iter):
        fb = forward_backward(*params, obs, counts=True)
        if fb.impossible.any():
            raise_if_impossible(
                first_impossible_step(fb.log_normalizers), "Baum-Welch's E-step",
                under=name if not history else f"the parameters of iteration {len(history)}")
        ll = float(fb.log_normalizers.sum())
        params = m_step(ExpectedCounts(*fb.counts, fb.log_normalizers.sum(axis=1)), *params)
        history.append(ll)
        if len(history) >= 2 and history[-1] - history[-2] < tol:
            converged = True
            break
    return BaumWelchRun(*params, np.array(history), converged)


@dataclass(frozen=True)
class BaumWelchInfo:
    """What :meth:`probrnn.HMM.fit` did, over R restarts.

    log_likelihoods:          (I,) the winning restart's total log-likelihood of the data under
                              the parameters before each M-step (hmmlearn's ``monitor_.history``)
    iterations:               I, the iterations the winning restart ran
    converged:                whether it stopped because the gain fell below ``tol`` (not
                              because it reached ``n_iter``)
    best_restart:             the index of the winning restart (highest final log-likelihood;
                              the lowest index among ties)
    restart_log_likelihoods:  (R,) each restart's log-likelihood under its final parameters
    restart_iterations:       (R,) iterations each restart ran
    """

    log_likelihoods: np.ndarray
    iterations: int
    converged: bool
    best_restart: int
    restart_log_likelihoods: np.ndarray
    restart_iterations: np.ndarray

    @property
    def log_likelihood(self) -> float:
        """The winner's log-likelihood under its final (returned) parameters."""
        return float(self.restart_log_likelihoods[self.best_restart])


def fit_restarts(obs, starts, *, n_iter: int, tol: float, names=None):
    """:func:`baum_welch` from each start (a list of (pi, A, B), with ``names`` for the error
    messages); keep the best by final log-likelihood. Returns ``((pi, A, B), BaumWelchInfo)``."""
    runs, finals = [], []
    names = names or [f"the start of restart {i}" for i in range(len(starts))]
    for start, name in zip(starts, names, strict=True):
        run = baum_welch(*start, obs, n_iter=n_iter, tol=tol, name=name)
        res = hmm_filter(run.startprob, run.transmat, run.emissionprob, obs)
        runs.append(run)
        finals.append(float(res.log_likelihood.sum()))
    finals = np.array(finals)
    best = int(np.argmax(finals))
    win = runs[best]
    info = BaumWelchInfo(log_likelihoods=win.history, iterations=len(win.history),
                         converged=win.converged, best_restart=best,
                         restart_log_likelihoods=finals,
                         restart_iterations=np.array([len(r.history) for r in runs]))
    return (win.startprob, win.transmat, win.emissionprob), info
