"""Checkers for the exercises of the chapter *RNNs as approximations of the forward algorithm*.

``ex-rnnfwd-2`` trains networks (as the exercise asks: a one-unit and a two-unit tanh RNN on
5,000 sequences of the student's HMM, by the book's training rule), so it takes some seconds;
the others compare with a closed form or with the exact recursion.
"""

from __future__ import annotations

import numpy as np

from ..hmm import HMM
from .result import CaseFailed, checked, compare, scalar


def shifted_start_reference(hmm: HMM, obs) -> np.ndarray:
    """The update of the exact construction without its start-up term, from h_0 = pi:
    h_t = N(D_{x_t} V h_{t-1}), returned for t = 1..T, shape (n, T, m)."""
    D, V = hmm.belief_operators()
    obs = np.atleast_2d(obs)
    h = np.broadcast_to(hmm.startprob, (obs.shape[0], hmm.m))
    out = []
    for t in range(obs.shape[1]):
        a = D[obs[:, t]].diagonal(axis1=1, axis2=2) * (h @ V.T)   # (n, m)
        h = a / a.sum(axis=1, keepdims=True)
        out.append(h)
    return np.stack(out, axis=1)


def check_shifted_start(attempt):
    """ex-rnnfwd-4: ``shifted_start(hmm, obs)`` runs h_t = N(D_{x_t} V h_{t-1}) from h_0 = pi
    (the exact construction without the start-up term) and returns h_1..h_T, (n, T, m)."""
    specs = [("HMM.random(3, 4, rng=0), 50 sequences of length 10", 3, 4, 0, (50, 10)),
             ("m = 2, K = 3, 20 sequences of length 6", 2, 3, 1, (20, 6)),
             ("m = 8, K = 5, 10 sequences of length 1", 8, 5, 2, (10, 1)),
             ("m = 5, K = 10, 3 sequences of length 200", 5, 10, 3, (3, 200))]

    def case(m, K, seed, shape):
        def body():
            hmm = HMM.random(m, K, rng=seed)
            _, obs = hmm.sample(shape[0], shape[1], rng=seed + 100)
            expected = shifted_start_reference(hmm, obs)
            got = attempt(hmm, obs.copy())
            arr = np.asarray(got, dtype=np.float64) if got is not None else None
            if arr is not None and arr.shape == expected.shape and not np.allclose(
                    arr, expected, atol=1e-9) and np.allclose(arr, hmm.filter(obs), atol=1e-9):
                raise CaseFailed("your output is the exact filter hmm.filter(obs). The exercise "
                                 "asks for the recursion *without* the start-up term, started from "
                                 "h_0 = pi, so that h_1 = N(D_{x_1} V pi): one transition too many "
                                 "at the first step.")
            if arr is not None and arr.shape == (shape[0], shape[1] + 1, m):
                raise CaseFailed(f"you return T + 1 = {shape[1] + 1} steps, h_0 included; return "
                                 f"h_1..h_T, shape {expected.shape}.")
            compare(got, expected, "h_1..h_T", atol=1e-9, rtol=1e-7, time_axis=1, prob_axis=-1,
                    axis_names=("n", "T", "m"))
        return body

    return checked("ex-rnnfwd-4", "The start-up term",
                   [(name, case(m, K, s, sh),
                     f"hmm = HMM.random({m}, {K}, rng={s}); _, obs = hmm.sample({sh[0]}, {sh[1]}, "
                     f"rng={s + 100})") for name, m, K, s, sh in specs])


def check_accuracy_difference_sd(attempt):
    """ex-rnnfwd-3: ``accuracy_difference_sd(r, N)``, the standard deviation of the
    difference of two accuracies over N steps when the argmaxes disagree on a share r of
    the steps and each is right on half of those: sqrt(r / N) (steps independent)."""
    specs = [(0.05, 800), (0.05, 80_000), (0.2, 1_000), (0.01, 1_000_000)]

    def case(r, N):
        def body():
            expected = np.sqrt(r / N)
            got = scalar(attempt(r, N), "a standard deviation")
            if abs(got - expected) <= 0.05 * expected:
                return
            hints = {r / N: "that is the variance; take its square root",
                     np.sqrt(r): "that is the standard deviation of one step; the accuracy is "
                                     "a mean over N steps (divide by sqrt(N))",
                     np.sqrt(r / (2 * N)): "on a disagreement step the difference is +1 or -1, "
                                               "so its square is 1 on a share r of the steps, "
                                               "not r / 2",
                     np.sqrt(r * (1 - r) / N): "the mean of the difference is 0, so its "
                                                        "variance per step is E[D^2] = r"}
            hint = next((h for v, h in hints.items() if abs(got - v) <= 0.02 * v), "")
            raise CaseFailed(f"for r = {r}, N = {N}: expected about {expected:.5g}, got "
                             f"{got:.5g} (tolerance 5%)." + (f"\nHint: {hint}." if hint else ""))
        return body

    return checked("ex-rnnfwd-3", "Lucky networks",
                   [(f"r = {d}, N = {N:,}", case(d, N), "") for d, N in specs])


def _agreement_by_units(hmm: HMM, n_train: int = 5000, T: int = 8) -> dict[int, float]:
    from ..metrics import compare_posteriors
    from ..training import FitTask, fit_state_rnns

    train_s, train_o = hmm.sample(n_train, T, rng=0)
    test_s, test_o = hmm.sample(n_train, T, rng=1)
    reference = hmm.filter(test_o)
    out = {}
    for k in (1, 2):
        [(model, _)] = fit_state_rnns([FitTask(train_o, train_s, hmm.m, seed=0)],
                                      n_symbols=hmm.n_symbols, hidden_size=k)
        out[k] = compare_posteriors(model.predict_proba(test_o), reference,
                                    test_s)["agreement_off_ties"]
    return out


GAP = 0.02


def check_designed_hmm(attempt):
    """ex-rnnfwd-2: an HMM with 2 states and 3 symbols (or a function returning one) on which
    a one-unit tanh RNN, trained on 5,000 sequences of length 8 by the book's rule, agrees with
    the forward algorithm off near-ties at least 0.02 less often than a two-unit one."""

    def body():
        hmm = attempt() if callable(attempt) and not isinstance(attempt, HMM) else attempt
        if not isinstance(hmm, HMM):
            raise CaseFailed(f"expected a probrnn.HMM (or a function returning one), got "
                             f"{type(hmm).__name__}")
        if (hmm.m, hmm.n_symbols) != (2, 3):
            raise CaseFailed(f"the exercise asks for 2 states and 3 symbols; your HMM has "
                             f"m = {hmm.m} and K = {hmm.n_symbols}.")
        agree = _agreement_by_units(hmm)
        if not agree[1] < agree[2] - GAP:
            A, pi = hmm.transmat, hmm.startprob
            lo, hi = sorted((A[0, 1], A[1, 1]))
            hint = ""
            if lo <= pi[1] <= hi:
                hint = (f"\nHint: pi_1 = {pi[1]:.3f} lies between A_01 = {A[0, 1]:.3f} and "
                        f"A_11 = {A[1, 1]:.3f}, so the chain's own predictions can reproduce the "
                        f"start and one unit needs no separate first step (see 'When one unit is "
                        f"not enough: the first step'). Put pi_1 outside that interval.")
            raise CaseFailed(f"agreement off near-ties with the forward algorithm: one unit "
                             f"{agree[1]:.4f}, two units {agree[2]:.4f}; the exercise wants the "
                             f"one-unit network at least {GAP} below the two-unit one." + hint)

    return checked("ex-rnnfwd-2", "Make a small RNN fail",
                   [("one- and two-unit RNNs trained on 5,000 sequences of your HMM (seed 0), "
                     "scored on 5,000 others", body, "")])


CHECKERS = {"ex-rnnfwd-2": check_designed_hmm, "ex-rnnfwd-3": check_accuracy_difference_sd,
            "ex-rnnfwd-4": check_shifted_start}
