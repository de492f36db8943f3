"""Checkers for the exercises of the chapter *Hidden Markov models and the forward algorithm*.

Each runs the student's function on models and sequences of its own (random HMMs from fixed
seeds, plus edge cases: one step, ten thousand steps, zeros in the emission matrix) and compares
with the package's forward algorithm (:meth:`probrnn.HMM.filter`,
:meth:`probrnn.HMM.log_likelihood`).
"""

from __future__ import annotations

import numpy as np

from ..hmm import HMM
from .result import CaseFailed, checked, compare, scalar


def _cases_two_state():
    sticky = HMM([0.5, 0.5], [[0.99, 0.01], [0.01, 0.99]], [[0.999, 0.001], [0.001, 0.999]])
    out = []
    for seed, T in ((0, 12), (1, 12), (2, 30)):
        hmm = HMM.random(2, 3, rng=seed)
        x = hmm.sample(1, T, rng=seed + 10)[1][0]
        out.append((f"HMM.random(2, 3, rng={seed}), one sequence of length {T}", hmm, x,
                    f"hmm = HMM.random(2, 3, rng={seed}); x = hmm.sample(1, {T}, rng={seed + 10})[1][0]"))
    hmm = HMM.random(2, 4, rng=3)
    out.append(("a sequence of length 1", hmm, np.array([2]),
                "hmm = HMM.random(2, 4, rng=3); x = np.array([2])"))
    out.append(("near-deterministic HMM, alternating symbols (probabilities near 0 and 1)", sticky,
                np.array([0, 1] * 10), "hmm = HMM([0.5, 0.5], [[0.99, 0.01], [0.01, 0.99]], "
                "[[0.999, 0.001], [0.001, 0.999]]); x = np.array([0, 1] * 10)"))
    hmm = HMM.random(2, 3, rng=4)
    x = hmm.sample(1, 5000, rng=5)[1][0]
    out.append(("one sequence of length 5,000 (no underflow allowed)", hmm, x,
                "hmm = HMM.random(2, 3, rng=4); x = hmm.sample(1, 5000, rng=5)[1][0]"))
    return out


def check_two_state_filter(attempt):
    """ex-hmm-1: ``two_state_filter(hmm, x)`` returns ``P(H_t = 1 | x_1..t)`` for t = 1..T."""

    def case(hmm, x):
        def body():
            expected = hmm.filter(x)[:, 1]
            got = attempt(hmm, np.array(x))
            arr = np.asarray(got, dtype=np.float64) if got is not None else None
            if arr is not None and arr.shape == expected.shape and np.allclose(arr, 1 - expected,
                                                                               atol=1e-8):
                raise CaseFailed("you return P(H_t = 0 | x_1..t); the exercise asks for state 1, "
                                 "the second state (0-based), so p_t = P(H_t = 1 | x_1..t).")
            if arr is not None and arr.shape == (len(x), 2):
                raise CaseFailed("you return both states' probabilities, shape (T, 2); return only "
                                 "p_t = P(H_t = 1 | x_1..t), shape (T,).")
            compare(got, expected, "p_t = P(H_t = 1 | x_1..t)", atol=1e-9, rtol=1e-7, time_axis=0,
                    axis_names=("T",))
        return body

    return checked("ex-hmm-1", "Two states, one number",
                   [(name, case(h, x), setup) for name, h, x, setup in _cases_two_state()])


def check_log_forward(attempt):
    """ex-hmm-2: ``log_forward(hmm, obs)`` returns ``log p(x_1..T)`` for each row of ``obs``."""
    zeros = HMM([0.6, 0.4, 0.0], [[0.5, 0.5, 0.0], [0.1, 0.6, 0.3], [0.3, 0.0, 0.7]],
                [[0.7, 0.3, 0.0], [0.0, 0.2, 0.8], [0.5, 0.0, 0.5]])
    specs = [("a batch of 5 sequences of length 8, HMM.random(3, 4, rng=21)",
              HMM.random(3, 4, rng=21), (5, 8), 22),
             ("a batch of 4 sequences of length 1", HMM.random(3, 4, rng=23), (4, 1), 24),
             ("one state (m = 1)", HMM.random(1, 3, rng=25), (3, 6), 26),
             ("m = 16, 20 sequences of length 12", HMM.random(16, 5, rng=27), (20, 12), 28),
             ("2 sequences of length 10,000 (a plain product underflows)",
              HMM.random(3, 4, rng=29), (2, 10_000), 30),
             ("zeros in the transition and emission matrices (log 0 = -inf inside the recursion)",
              zeros, (6, 10), 31)]

    def case(hmm, shape, seed):
        def body():
            _, obs = hmm.sample(shape[0], shape[1], rng=seed)
            expected = hmm.log_likelihood(obs)
            got = attempt(hmm, obs.copy())
            arr = np.asarray(got, dtype=np.float64) if got is not None else None
            if arr is not None and arr.shape == obs.shape:
                raise CaseFailed(f"you return one value per step, shape {arr.shape}; the exercise "
                                 f"asks for log p(x_1..T), one number per sequence: shape "
                                 f"{expected.shape}.")
            if arr is not None and arr.shape == expected.shape and np.all(arr > 0) and np.allclose(
                    np.log(np.maximum(arr, 1e-300)), expected, rtol=1e-6, atol=1e-6):
                raise CaseFailed("you return the likelihood p(x_1..T) itself; return its logarithm "
                                 "(and never leave log space: p underflows for long sequences).")
            if arr is not None and arr.shape == expected.shape and shape[1] > 1:
                shorter = hmm.log_likelihood(obs[:, :-1])
                if np.allclose(arr, shorter, rtol=1e-7, atol=1e-7):
                    raise CaseFailed("your values are log p(x_1..T-1): the last step is missing "
                                     "(a range(1, T - 1) where range(1, T) was meant?).")
            compare(got, expected, "log p(x_1..T)", atol=1e-7, rtol=1e-9, axis_names=("n",))
        return body

    setups = {0: "hmm = HMM.random(3, 4, rng=21); _, obs = hmm.sample(5, 8, rng=22)",
              4: "hmm = HMM.random(3, 4, rng=29); _, obs = hmm.sample(2, 10_000, rng=30)"}
    return checked("ex-hmm-2", "Filtering in log space",
                   [(name, case(h, s, seed), setups.get(i, ""))
                    for i, (name, h, s, seed) in enumerate(specs)])


def _true_accuracy(m, K, concentration, seed, n=20_000, T=8) -> tuple[float, float]:
    model = HMM.random(m, K, rng=seed, concentration=concentration)
    s, o = model.sample(n, T, rng=10_000 + seed)
    hits = (model.filter(o).argmax(-1) == s).mean(axis=1)  # per sequence
    return float(hits.mean()), float(hits.std(ddof=1) / np.sqrt(n))


ACCURACY_TOL = 0.03


def check_filter_accuracy(attempt):
    """ex-hmm-4: ``filter_accuracy(m, K, concentration, seed=0)``: the share of steps at which
    the filter's most probable state is the true one, for ``HMM.random(m, K, rng=seed,
    concentration=concentration)``, estimated from sampled sequences (length 8, as in the
    chapter). It must be within 0.03 of the checker's estimate from 20,000 sequences (use a
    thousand sequences or more)."""
    specs = [(8, 2, 1.0, 0), (8, 64, 1.0, 0), (8, 8, 0.1, 0), (2, 3, 1.0, 5), (32, 3, 1.0, 1)]

    def case(m, K, conc, seed):
        def body():
            truth, se = _true_accuracy(m, K, conc, seed)
            got = scalar(attempt(m, K, conc, seed=seed), "the filter's accuracy")
            if 1 < got <= 100 and abs(got / 100 - truth) <= ACCURACY_TOL:
                raise CaseFailed(f"you return {got:.4g}, a percentage; return a share in [0, 1] "
                                 f"({got / 100:.4g}).")
            if not 0 <= got <= 1:
                raise CaseFailed(f"an accuracy is a share of steps in [0, 1]; got {got:.4g}.")
            if abs(got - truth) > ACCURACY_TOL:
                hint = ""
                if abs(got - 1 / m) < 0.02 < abs(truth - 1 / m):
                    hint = (f"\nHint: {got:.3f} is about chance (1/m = {1 / m:.3f}): are you "
                            f"comparing the argmax over the right axis (the states, the last one) "
                            f"with the hidden states (not the observations)?")
                raise CaseFailed(f"expected an accuracy of about {truth:.4f} (20,000 sequences of "
                                 f"length 8; standard error {se:.4f}), got {got:.4f}: off by "
                                 f"{abs(got - truth):.4f}, more than the tolerance {ACCURACY_TOL}."
                                 + hint)
        return body

    return checked("ex-hmm-4", "How informative are the symbols?",
                   [(f"m = {m}, K = {K}, concentration = {c}, seed = {s}", case(m, K, c, s),
                     f"filter_accuracy({m}, {K}, {c}, seed={s})") for m, K, c, s in specs])


CHECKERS = {"ex-hmm-1": check_two_state_filter, "ex-hmm-2": check_log_forward,
            "ex-hmm-4": check_filter_accuracy}
