"""The forward algorithm's public entry points: :func:`hmm_filter` and :func:`predict_next`
for any array-likes, validated once.

Chapter 1, *Hidden Markov models and the forward algorithm*. The pure functions of
:mod:`probrnn.hmm.forward` trust their inputs (float64 parameters that are already
probabilities, (n, T) int64 symbols): they are what :class:`probrnn.HMM` and the smoother call
in their loops. The names exported by ``probrnn`` and ``probrnn.hmm`` are these thin wrappers,
which check and convert everything first, exactly as :class:`probrnn.HMM` does.
"""

from __future__ import annotations

import numpy as np

from ..validate import check_prob_rows
from . import forward
from .forward import FilterResult
from .model import HMM


def hmm_filter(startprob, transmat, emissionprob, obs, allow_zero=False) -> FilterResult:
    """The scaled forward algorithm, batched over sequences, for any array-like inputs.

    Args:
        startprob: (m,) initial distribution pi.
        transmat: (m, m) row-stochastic A, ``A[i, j] = p(H_{t+1} = j | H_t = i)``.
        emissionprob: (m, K) row-stochastic B, ``B[i, x] = p(X_t = x | H_t = i)``.
        obs: (n, T) or (T,) integer symbols in [0, K).
        allow_zero: a sequence of probability zero raises ValueError (as in
            :meth:`probrnn.HMM.filter`) unless True, when its ``log_normalizers`` are -inf from
            the impossible step on and its beliefs all zero.

    Returns:
        :class:`~probrnn.hmm.forward.FilterResult`: ``filtered`` (n, T, m) p(H_t | x_1..t) and
        ``log_normalizers`` (n, T) log p(x_t | x_1..t-1); a single (T,) sequence gives (T, m)
        and (T,). ``result.log_likelihood`` is log p(x_1..T).

    The parameters are validated like :class:`probrnn.HMM`'s (shapes, entries in [0, 1], rows
    summing to 1 within 1e-6, then renormalised).
    """
    return HMM(startprob, transmat, emissionprob).forward(obs, allow_zero)


def predict_next(filtered, transmat, emissionprob) -> np.ndarray:
    """p(X_{t+1} | x_1..t) from filtered beliefs p(H_t | x_1..t): (..., m) -> (..., K).

    ``filtered`` must hold probability vectors along its last axis; ``transmat`` (m, m) and
    ``emissionprob`` (m, K) are validated like :class:`probrnn.HMM`'s.
    """
    belief = check_prob_rows(filtered, "filtered")
    m = belief.shape[-1]
    hmm = HMM(np.full(m, 1.0 / m), transmat, emissionprob)
    return forward.predict_next(belief, hmm.transmat, hmm.emissionprob)


def hmm_smooth(startprob, transmat, emissionprob, obs) -> np.ndarray:
    """Forward-backward for any array-like inputs: p(H_t | x_1..T), (n, T) -> (n, T, m) or
    (T,) -> (T, m); validated like :class:`probrnn.HMM` (see :meth:`probrnn.HMM.smooth`)."""
    return HMM(startprob, transmat, emissionprob).smooth(obs)


def hmm_viterbi(startprob, transmat, emissionprob, obs):
    """The most probable hidden path for any array-like inputs: ``(paths (n, T), log_probs
    (n,))`` (or a (T,) path and a float); see :meth:`probrnn.HMM.viterbi`."""
    return HMM(startprob, transmat, emissionprob).viterbi(obs)


__all__ = ["hmm_filter", "hmm_smooth", "hmm_viterbi", "predict_next"]
