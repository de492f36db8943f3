"""Checkers for the exercises of the chapter *Particle filters, and a particle filter as an
RNN*.

Resampling is compared index for index with :func:`probrnn.particle_filter.resampling.
systematic_resample`; the locally optimal proposal, a random algorithm, is checked by what must
hold for any correct implementation: shapes and probabilities, the same seed giving the same
result, convergence to the forward algorithm as M grows, exactness of the first step's proposal
on average, and a smaller error than the bootstrap filter's at M = 20.
"""

from __future__ import annotations

from math import comb

import numpy as np

from ..hmm import HMM
from ..metrics import total_variation
from ..particle_filter import particle_filter
from ..particle_filter.resampling import systematic_resample
from .result import CaseFailed, as_array, checked, compare


def _shifted_grid(w, v) -> np.ndarray:
    """The ancestors for the grid (i + 1 + v) / M, i = 0..M-1 (the usual off-by-one)."""
    u = np.minimum((np.arange(1, len(w) + 1) + v) / len(w), np.nextafter(1.0, 0))
    c = np.cumsum(w) / np.sum(w)
    return (u[:, None] >= c[None, :-1]).sum(1)


def check_systematic(attempt):
    """ex-pf-2: ``systematic(weights, v)`` returns the M ancestor indices of systematic
    resampling: the i-th is the first k with (i + v) / M < c_k, c the normalised cumulative
    weights."""
    rng = np.random.default_rng(2024)
    specs = [("8 random weights, v = 0.37", rng.random(8), 0.37),
             ("weights that do not sum to one (their sum is 3.7)", np.array([0.5, 1.2, 0.3, 1.7]),
              0.61),
             ("v = 0 (the grid starts at 0)", rng.random(10), 0.0),
             ("v just below 1", rng.random(10), 0.999999),
             ("a zero weight (that particle must never be drawn)",
              np.array([0.2, 0.0, 0.5, 0.0, 0.3]), 0.5),
             ("one particle holds almost all the weight", np.array([1e-9, 1.0, 1e-9, 1e-9]), 0.2),
             ("one particle (M = 1)", np.array([0.7]), 0.3),
             ("1,000 particles", rng.random(1000), 0.123)]

    def case(w, v):
        def body():
            expected = systematic_resample(w[None], np.array([v]))[0]
            got = attempt(w.copy(), v)
            arr = as_array(got, "ancestor indices", expected.shape)
            counts = np.bincount(expected, minlength=len(w))
            if arr.shape == expected.shape and np.array_equal(arr, counts) and not np.array_equal(
                    arr, expected):
                raise CaseFailed("you return how many copies each particle gets (np.bincount of "
                                 "the ancestors); return the ancestor index of each new particle.")
            if arr.shape != expected.shape:
                raise CaseFailed(f"expected {len(w)} ancestor indices (shape {expected.shape}), "
                                 f"got shape {arr.shape}.")
            if not np.array_equal(arr, expected):
                i = int(np.flatnonzero(arr != expected)[0])
                c = np.cumsum(w) / np.sum(w)
                u = (i + v) / len(w)
                hint = ""
                unnorm = np.array([int(np.sum(u_ >= np.cumsum(w)[:-1]))
                                   for u_ in (np.arange(len(w)) + v) / len(w)])
                if np.array_equal(arr, unnorm) and not np.isclose(w.sum(), 1):
                    hint = "\nHint: normalise the weights (divide the cumulative sums by their total)."
                elif np.array_equal(arr, _shifted_grid(w, v)):
                    hint = ("\nHint: your grid starts at (1 + v) / M; it should start at v / M "
                            "(u_i = (i + v) / M for i = 0, ..., M - 1).")
                elif np.array_equal(arr, expected[::-1]):
                    hint = "\nHint: your order is reversed."
                around = np.array2string(c[max(0, expected[i] - 1):expected[i] + 2], precision=4)
                raise CaseFailed(f"ancestor {i} differs: the grid point is u_{i} = (i + v) / M = "
                                 f"{u:.6g}; with the normalised cumulative weights {around} "
                                 f"around it the ancestor is {int(expected[i])}, you return "
                                 f"{int(arr[i])} ({int((arr != expected).sum())} of {len(w)} "
                                 f"ancestors differ)." + hint)
        return body

    return checked("ex-pf-2", "Implement systematic resampling and compare its variance",
                   [(name, case(w, v), "") for name, w, v in specs])


def check_particle_counts(attempt):
    """ex-pf-3 (b): ``count_particle_states(m, M)`` returns (the number of ordered particle
    vectors, the number of distinct histograms) for M particles over m states:
    (m ** M, comb(M + m - 1, m - 1))."""
    specs = [(5, 5), (2, 3), (3, 1), (1, 4), (4, 10), (10, 3)]

    def case(m, M):
        def body():
            expected = (m ** M, comb(M + m - 1, m - 1))
            got = attempt(m, M)
            try:
                ordered, hists = (int(round(float(g))) for g in got)
            except (TypeError, ValueError):
                raise CaseFailed(f"expected a pair (ordered vectors, histograms), got {got!r}") from None
            if (ordered, hists) != expected:
                which = [name for name, a, b in (("ordered vectors", ordered, expected[0]),
                                                 ("histograms", hists, expected[1])) if a != b]
                raise CaseFailed(f"m = {m} states, M = {M} particles: expected {expected[0]} "
                                 f"ordered particle vectors and {expected[1]} histograms, got "
                                 f"({ordered}, {hists}); wrong: {' and '.join(which)}. A histogram "
                                 f"is a way of putting M identical balls into m boxes.")
        return body

    return checked("ex-pf-3", "How much can the particles say?",
                   [(f"m = {m}, M = {M}", case(m, M), "") for m, M in specs])


def _pf4_hmm() -> HMM:
    from ..experiments.particle_filters import experiment_hmm

    return experiment_hmm(0)


CONSISTENCY_M, CONSISTENCY_TV = 1000, 0.03


def check_optimal_proposal(attempt):
    """ex-pf-4: ``optimal_proposal_filter(hmm, obs, M, rng)`` returns the particle histograms
    (n, T, m) of the filter with the locally optimal proposal."""
    hmm = _pf4_hmm()
    _, obs = hmm.sample(200, 8, rng=1)
    exact = hmm.filter(obs)
    cases = []

    def shape_and_probabilities():
        got = attempt(hmm, obs.copy(), 20, 0)
        arr = as_array(got, "particle histograms", exact.shape)
        if arr.shape != exact.shape:
            compare(arr, exact, "the histograms", axis_names=("n", "T", "m"))
        if not np.isfinite(arr).all():
            raise CaseFailed("your histograms contain NaN or infinite entries.")
        if (arr < -1e-12).any() or not np.allclose(arr.sum(-1), 1, atol=1e-9):
            compare(arr, arr / arr.sum(-1, keepdims=True), "the histograms", prob_axis=-1)
        if not np.allclose(arr * 20, np.round(arr * 20), atol=1e-9):
            raise CaseFailed("with M = 20 equally weighted particles every histogram entry is a "
                             "multiple of 1/20; yours are not (do you return weighted "
                             "histograms, or the exact posterior?).")
    cases.append(("200 sequences of the chapter's HMM (m = 5, K = 10), M = 20: shape (n, T, m), "
                  "histograms of M equally weighted particles", shape_and_probabilities))

    def reproducible():
        a = np.asarray(attempt(hmm, obs[:20].copy(), 20, 7), dtype=float)
        b = np.asarray(attempt(hmm, obs[:20].copy(), 20, 7), dtype=float)
        c = np.asarray(attempt(hmm, obs[:20].copy(), 20, 8), dtype=float)
        if not np.array_equal(a, b):
            raise CaseFailed("two runs with rng = 7 differ: make every draw come from "
                             "np.random.default_rng(rng), and no other source of randomness.")
        if np.array_equal(a, c):
            raise CaseFailed("rng = 7 and rng = 8 give identical histograms: is the rng used?")
    cases.append(("the same rng gives the same result, another rng another", reproducible))

    def converges():
        got = np.asarray(attempt(hmm, obs[:20].copy(), CONSISTENCY_M, 1), dtype=float)
        tv = total_variation(got, exact[:20])
        if tv.mean() > CONSISTENCY_TV:
            t = int(np.argmax(tv.mean(0)))
            raise CaseFailed(f"with M = {CONSISTENCY_M:,} particles the histograms should be close to "
                             f"the forward algorithm; mean total variation {tv.mean():.4f} (> "
                             f"{CONSISTENCY_TV}), "
                             f"worst at step t = {t + 1} ({tv.mean(0)[t]:.4f}). A consistent filter's "
                             f"error shrinks like 1/sqrt(M). Check the weights (they belong to the "
                             f"parents: sum_k A[h, k] B[k, x_t]) and that you resample the parents "
                             f"by them before moving.")
    cases.append((f"M = {CONSISTENCY_M:,} on 20 sequences: mean total variation to the forward "
                  f"algorithm at most {CONSISTENCY_TV}", converges))

    def beats_bootstrap():
        ours = np.mean([total_variation(np.asarray(attempt(hmm, obs.copy(), 20, s), dtype=float),
                                        exact).mean() for s in range(5)])
        boot = np.mean([total_variation(particle_filter(hmm, obs, 20, rng=s).filtered,
                                        exact).mean() for s in range(5)])
        if not ours < boot:
            raise CaseFailed(f"at M = 20 (5 seeds, 200 sequences) your mean total variation is "
                             f"{ours:.4f}, the bootstrap filter's {boot:.4f}: the locally optimal "
                             f"proposal should be closer to the forward algorithm.")
    cases.append(("M = 20: closer to the forward algorithm than the bootstrap filter", beats_bootstrap))

    def one_step_and_one_particle():
        got = np.asarray(attempt(hmm, obs[:5, :1].copy(), 1, 3), dtype=float)
        if got.shape != (5, 1, hmm.m):
            raise CaseFailed(f"for obs of shape (5, 1) and M = 1 expected shape (5, 1, {hmm.m}), "
                             f"got {got.shape}")
        if not np.allclose(np.sort(got, axis=-1)[..., -1], 1.0):
            raise CaseFailed("with one particle every histogram puts all its mass on one state.")
    cases.append(("edge case: T = 1 and M = 1", one_step_and_one_particle))

    return checked("ex-pf-4", "A better proposal", [(n, b, "") for n, b in cases])


CHECKERS = {"ex-pf-2": check_systematic, "ex-pf-3": check_particle_counts,
            "ex-pf-4": check_optimal_proposal}
