"""The book's one vocabulary for judging an approximate filter against an exact one.

Every chapter compares something (an RNN, a particle filter, a bidirectional RNN) with an exact
posterior (the forward algorithm, the smoother, the Kalman filter) in these terms:

=======================  =====================================================================
name                     meaning (per step t of every test sequence, then averaged)
=======================  =====================================================================
``accuracy``             the approximation's argmax equals the true hidden state
``accuracy_ref``         the reference's (exact) argmax equals the true hidden state
``agreement``            the two argmaxes are equal
``near_tie_share``       share of steps where the reference's runner-up has at least
                         ``NEAR_TIE_RATIO`` times its leader's probability
``agreement_off_ties``   agreement on the other steps
``accuracy_regret``      p_ref(leader) - p_ref(approximation's argmax): the accuracy lost in
                         expectation by choosing the approximation's state (0 on agreement, and
                         small on a disagreement at a near-tie)
``mean_tv``              total variation 1/2 sum_i |p(i) - p_ref(i)|
``log_loss``             -log p(true state), nats; ``log_loss_ref`` the same for the reference
``excess_log_loss``      log_loss - log_loss_ref; in expectation the KL divergence from the
                         reference to the approximation
``accuracy_gap_se``      standard error, over sequences, of accuracy - accuracy_ref
=======================  =====================================================================

The near-tie rule compares the two largest probabilities with each other, not with a fixed
margin, so whether a step is a near-tie does not depend on the number of states m: a posterior
spread over 512 states has near-ties only where its two leaders are close.
"""

from __future__ import annotations

import numpy as np

from .validate import as_rng, check_bool, check_index_array, check_int, check_prob_rows, check_real

NEAR_TIE_RATIO = 0.8
TINY = 1e-300  # floor of a probability inside a log: a zero costs 690 nats, not infinity


def total_variation(p, q) -> np.ndarray:
    """Total-variation distance 1/2 sum |p - q| over the last axis: (..., m) -> (...).

    ``p`` and ``q`` hold probability vectors along their last axis (each checked and
    renormalised); their shapes must be equal or broadcast (one distribution against many).
    """
    a, b = check_prob_rows(p, "p"), check_prob_rows(q, "q")
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"p and q must be distributions over the same m outcomes (got shapes "
                         f"{a.shape} and {b.shape})")
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"p and q must have the same shape or shapes that broadcast (got "
                         f"{a.shape} and {b.shape})") from None
    return 0.5 * np.abs(a - b).sum(-1)


def argmax_states(proba, tie_seed=None) -> np.ndarray:
    """argmax over the last axis: (..., m) -> (...). With ``tie_seed`` a tie (entries within
    1e-12 of the largest, common in a particle filter's histogram) is broken uniformly at
    random from that seed; without it the first index wins."""
    return _argmax_states(check_prob_rows(proba, "proba"), tie_seed)


def _argmax_states(proba: np.ndarray, tie_seed=None) -> np.ndarray:
    if tie_seed is None:
        return proba.argmax(-1)
    top = proba >= proba.max(axis=-1, keepdims=True) - 1e-12
    u = as_rng(tie_seed, "tie_seed").random(proba.shape)
    return np.argmax(np.where(top, u, -1.0), axis=-1)


def near_ties(reference, ratio: float = NEAR_TIE_RATIO) -> np.ndarray:
    """(..., m) -> (...) bool: the runner-up has at least ``ratio`` times the leader's
    probability (always False for m = 1)."""
    return _near_ties(check_prob_rows(reference, "reference"), check_real(ratio, "ratio", 0.0, 1.0))


def _near_ties(reference: np.ndarray, ratio: float) -> np.ndarray:
    m = reference.shape[-1]
    if m < 2:
        return np.zeros(reference.shape[:-1], dtype=bool)
    top2 = np.partition(reference, m - 2, axis=-1)[..., -2:]  # ascending: runner-up, leader
    return top2[..., 0] >= ratio * top2[..., 1]


def compare_posteriors(proba, reference, states, *, tie_seed=None, n_small: int | None = None,
                       near_tie_ratio: float = NEAR_TIE_RATIO, per_step: bool = False) -> dict:
    """Every metric of the module docstring for an approximation against a reference.

    Args:
        proba: (n, T, m) the approximation's p(H_t | ...) (an RNN, a particle filter, ...).
        reference: (n, T, m) the exact posterior (``hmm.filter(obs)``, ``hmm.smooth(obs)``).
        states: (n, T) the true hidden states.
        tie_seed: break ties in the approximation's argmax at random from this seed.
        n_small: also report ``accuracy_small``, ``accuracy_ref_small`` and
            ``agreement_small`` on the first ``n_small`` sequences (the paper's 100).
        near_tie_ratio: see :func:`near_ties`.
        per_step: also report ``accuracy_t1``, ``agreement_t1``, ... for every step.

    Returns a dict of floats (``agreement_off_ties`` is NaN when every step is a near-tie).
    """
    p = check_prob_rows(proba, "proba", 3)
    f = check_prob_rows(reference, "reference", 3)
    if p.shape != f.shape:
        raise ValueError(f"proba and reference must have the same shape (n, T, m) (got {p.shape} "
                         f"and {f.shape})")
    s, _ = check_index_array(states, "states", f.shape[-1], "values", ndims=(2,))
    if s.shape != f.shape[:2]:
        raise ValueError(f"states must have shape (n, T) = {f.shape[:2]} (got {s.shape})")
    ratio = check_real(near_tie_ratio, "near_tie_ratio", 0.0, 1.0)
    per_step = check_bool(per_step, "per_step")
    approx, exact = _argmax_states(p, tie_seed), f.argmax(-1)
    hit, hit_ref, same = approx == s, exact == s, approx == exact
    tie = _near_ties(f, ratio)
    best = np.take_along_axis(f, exact[..., None], -1)[..., 0]
    chosen = np.take_along_axis(f, approx[..., None], -1)[..., 0]
    ll = -np.log(np.maximum(np.take_along_axis(p, s[..., None], -1)[..., 0], TINY))
    ll_ref = -np.log(np.maximum(np.take_along_axis(f, s[..., None], -1)[..., 0], TINY))
    gap = hit.mean(1) - hit_ref.mean(1)  # (n,) per sequence
    out = dict(
        accuracy=float(hit.mean()), accuracy_ref=float(hit_ref.mean()),
        agreement=float(same.mean()), near_tie_share=float(tie.mean()),
        agreement_off_ties=float(same[~tie].mean()) if (~tie).any() else float("nan"),
        accuracy_regret=float((best - chosen).mean()),
        mean_tv=float(total_variation(p, f).mean()),
        log_loss=float(ll.mean()), log_loss_ref=float(ll_ref.mean()),
        excess_log_loss=float(ll.mean() - ll_ref.mean()),
        accuracy_gap_se=float(gap.std(ddof=1) / np.sqrt(len(gap))) if len(gap) > 1 else 0.0,
    )
    if n_small is not None:
        k = min(check_int(n_small, "n_small", minimum=1), s.shape[0])
        out.update(accuracy_small=float(hit[:k].mean()), accuracy_ref_small=float(hit_ref[:k].mean()),
                   agreement_small=float(same[:k].mean()))
    if per_step:
        for t in range(s.shape[1]):
            out[f"accuracy_t{t + 1}"] = float(hit[:, t].mean())
            out[f"agreement_t{t + 1}"] = float(same[:, t].mean())
    return out


def next_symbol_cross_entropy(probs, obs) -> float:
    """Mean -log q(x_{t+1} | x_1..t) over sequences and t = 1..T-1, nats per symbol.

    probs: (n, T, K) predictive distributions (entry t predicts obs[:, t+1]); obs: (n, T).
    A zero probability of an observed symbol counts as -log(1e-300), not infinity.
    """
    q = check_prob_rows(probs, "probs", 3)
    x, _ = check_index_array(obs, "obs", q.shape[-1], "symbols", ndims=(2,))
    if x.shape != q.shape[:2]:
        raise ValueError(f"obs must have shape (n, T) = {q.shape[:2]} to match probs (got "
                         f"{x.shape})")
    if x.shape[1] < 2:
        raise ValueError("probs and obs need T >= 2 steps: with T = 1 there is no next symbol "
                         "to score")
    picked = np.take_along_axis(q[:, :-1], x[:, 1:, None], axis=2)[..., 0]  # (n, T-1)
    return float(-np.log(np.maximum(picked, TINY)).mean())
