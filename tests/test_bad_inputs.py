"""Bad inputs, entry point by entry point (issue 12, items 3-5).

Every public entry point is tried with the kinds of fault the issue lists: numerics, inputs not
checked where they enter, experiments that misrecord what ran, import-order dependence, the
command line, exported helpers that trust their input, and hidden global state. The rule:

* a refused input raises ``ValueError`` whose message names the argument and the fault
  (``REFUSED``: nothing else may escape, no TypeError or IndexError from numpy, torch or pandas);
* an accepted input gives a finite result of the documented shape (``ACCEPTED``);
* extreme but valid models give the right numbers, checked against independent references in
  log space (brute-force enumeration of the hidden paths, or a log-space forward pass written
  here).

Models are tiny and experiments are only asked to refuse (they check before they train), so
the file runs in seconds.
"""

from __future__ import annotations

import itertools
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.special import logsumexp

import probrnn
from probrnn import (
    HMM,
    EmpiricalFirstSymbol,
    ExactForwardRNN,
    FitTask,
    NoisyRNNGraphicalModel,
    ParticleFilterRNN,
    RNNGraphicalModel,
    SequenceRNN,
    StateRNN,
    TrainingRule,
    exact_forward_rnn,
    fit_belief_probe,
    fit_sequence_rnn,
    fit_state_rnn,
    fit_state_rnns,
    hmm_filter,
    particle_filter,
    untrained_state_rnn,
)
from probrnn.experiments import fig5, fig6, fig7, lr_check, pf_convergence, predictive
from probrnn.experiments.common import load_results
from probrnn.experiments.particle_filters import (
    compare_one,
    convergence_slope,
    fig7_figure,
    pf_convergence_figure,
    recompute_pf_row,
)
from probrnn.experiments.rnn_forward import (
    fig5_figure,
    fig5_points,
    fig6_figure,
    fig6_points,
    forward_grid,
    lr_check_figure,
    recompute_row,
    train_and_compare,
)
from probrnn.experiments.rnn_generative import (
    compare_predictors,
    fit_baum_welch,
    live_point,
    memoryless_cross_entropy,
    predictive_figure,
    predictive_point,
    sticky_hmm,
    summarize,
)
from probrnn.figures import hmm_forward as fig_hmm
from probrnn.figures import particle_filters as fig_pf
from probrnn.figures import rnn_forward as fig_fwd
from probrnn.figures import rnn_generative as fig_gen
from probrnn.graphical import future_dependence, sample_future, theorem5_table
from probrnn.metrics import (
    argmax_states,
    compare_posteriors,
    near_ties,
    next_symbol_cross_entropy,
    total_variation,
)
from probrnn.particle_filter.resampling import multinomial_resample, systematic_resample
from probrnn.threads import map_threads

ROOT = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------------------- shared models
PI, A, B = [0.6, 0.4], [[0.9, 0.1], [0.2, 0.8]], [[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]]
H = HMM(PI, A, B)  # m = 2, K = 3
Z = HMM([1, 0], np.eye(2), [[1, 0, 0], [0, 1, 0]])  # [0, 1] has probability zero
SUBNORMAL = HMM([0.5, 0.5], np.eye(2), [[1, 1e-310], [1, 0]])  # the example
S = SequenceRNN(3, 4, seed=0)
ST = StateRNN(3, 2, 4, seed=0)
EX = exact_forward_rnn(H)
G = RNNGraphicalModel(SequenceRNN(2, 3, seed=1), horizon=3)
NOISY = NoisyRNNGraphicalModel(G.rnn, 0.1, horizon=3)
PFR = ParticleFilterRNN(H, 4)
H0 = PFR.initial_state(0)
OBS = np.random.default_rng(0).integers(0, 3, (12, 5))
HID = ST.hidden_states(OBS)  # (12, 5, 4)
BEL = H.filter(OBS)  # (12, 5, 2)
PROBE = fit_belief_probe(HID, BEL)
P3 = np.full((2, 3, 2), 0.5)  # a valid (n, T, m) posterior
S3 = np.zeros((2, 3), dtype=int)


# a fig5 row (as read back from a CSV: integers as floats, no k_planned) small enough to retrain
SMALL_ROW = {
    key: (float(v) if isinstance(v, int) else v)
    for key, v in fig5_points(ks=[1], ns=[200])[0].items()
    if key != "k_planned"
} | {"n_pool": 20.0, "n_train": 20.0, "n_test": 20.0, "k": 1.0, "cap": 2.0, "cell": "rnn", "lr": 0.01}


def _pf_table():
    return fig7(rnn=False, sizes=[2], n_reps=1)


# ---------------------------------------------------------------------------- the table
def bad(name, call, match):
    return pytest.param(call, match, id=name)


def garbage_symbols(arg: str, call):
    """The same garbage, given as the symbols argument ``arg`` of ``call``: each is refused
    with a message naming ``arg`` (ragged, complex, strings, None, dicts, non-integers, NaN,
    out of range, empty, wrong rank, too large for int64)."""
    a = re.escape(arg)
    return [
        bad(f"{arg}-ragged", lambda: call([[0, 1], [0]]), f"{a} (holds sequences of different|must be)"),
        bad(f"{arg}-complex", lambda: call(np.array([0, 1], dtype=complex)), f"{a} must hold real"),
        bad(f"{arg}-string", lambda: call("01"), f"{a} must be"),
        bad(f"{arg}-strings", lambda: call(["0", "1"]), f"{a} must hold"),
        bad(f"{arg}-None", lambda: call(None), f"{a} must be"),
        bad(f"{arg}-dict", lambda: call({0: 1}), f"{a} must be"),
        bad(f"{arg}-half", lambda: call([0.5, 1.0]), f"{a} must hold integer"),
        bad(f"{arg}-nan", lambda: call([np.nan, 1.0]), f"{a} must hold integer"),
        bad(f"{arg}-too-big", lambda: call([0, 7]), f"{a} has symbols outside"),
        bad(f"{arg}-negative", lambda: call([-1, 0]), f"{a} has symbols outside"),
        bad(f"{arg}-huge-float", lambda: call([1e30, 0.0]), f"{a} has symbols outside"),
        bad(
            f"{arg}-uint64",
            lambda: call(np.array([2**63 + 5, 0], dtype=np.uint64)),
            f"{a} has symbols outside",
        ),
        bad(f"{arg}-empty", lambda: call([]), f"{a} is empty"),
        bad(f"{arg}-3d", lambda: call(np.zeros((1, 1, 2), dtype=int)), f"{a} must"),
        bad(f"{arg}-python-bigint", lambda: call([2**70, 0]), f"{a} must"),
    ]


def garbage_probabilities(arg: str, call):
    """Garbage given as the probability array ``arg`` of ``call``."""
    a = re.escape(arg)
    return [
        bad(f"{arg}-nan", lambda: call([np.nan, 1.0]), f"{a} has NaN"),
        bad(f"{arg}-inf", lambda: call([np.inf, 0.0]), f"{a} has NaN or infinite"),
        bad(f"{arg}-complex", lambda: call(np.array([0.5, 0.5], dtype=complex)), f"{a} must hold real"),
        bad(f"{arg}-string", lambda: call("0.5 0.5"), f"{a} must be an array"),
        bad(f"{arg}-strings", lambda: call(["0.5", "0.5"]), f"{a} must hold numbers"),
        bad(f"{arg}-ragged", lambda: call([[0.5, 0.5], [1.0]]), f"{a} must be a rectangular"),
        bad(f"{arg}-None", lambda: call(None), f"{a} must be an array"),
        bad(f"{arg}-negative", lambda: call([1.5, -0.5]), f"{a} has (negative entries|entries above 1)"),
        bad(f"{arg}-huge", lambda: call([1e308, 1e308]), f"{a} has entries above 1"),
        bad(f"{arg}-sum", lambda: call([0.5, 0.6]), f"{a} must sum to 1|{a} must hold probability"),
    ]


def _set(h, i, v):
    h = h.copy()
    h[i] = v
    return h


REFUSED = [
    # ------------------------------------------------------------------ HMM construction
    *garbage_probabilities("startprob", lambda p: HMM(p, A, B)),
    bad(
        "HMM-transmat-row-sum",
        lambda: HMM(PI, [[0.9, 0.2], [0.2, 0.8]], B),
        r"rows of transmat must sum to 1 \(got row sums of row 0: 1.1\)",
    ),
    bad("HMM-emission-shape", lambda: HMM(PI, A, [[0.5, 0.5]]), r"emissionprob must have shape \(m, K\)"),
    bad("HMM-transmat-3d", lambda: HMM(PI, np.eye(2)[None], B), "transmat must be 2-D"),
    bad("HMM-transmat-shape", lambda: HMM(PI, [[1.0]], B), r"transmat must have shape \(m, m\)"),
    bad("HMM-startprob-scalar", lambda: HMM(1.0, [[1.0]], [[1.0]]), "startprob must be 1-D"),
    bad("HMM-empty", lambda: HMM([], A, B), "startprob is empty"),
    bad(
        "HMM-torch-complex",
        lambda: HMM(torch.tensor([0.5, 0.5], dtype=torch.complex64), A, B),
        "startprob must hold real",
    ),
    bad(
        "HMM.random-m-float", lambda: HMM.random(2.0, 3), r"m \(number of hidden states\) must be an integer"
    ),
    bad("HMM.random-m-0", lambda: HMM.random(0, 3), "m .* must be at least 1"),
    bad("HMM.random-K-str", lambda: HMM.random(2, "3"), "n_symbols must be an integer"),
    bad("HMM.random-conc-0", lambda: HMM.random(2, 3, concentration=0), "concentration must be > 0"),
    bad(
        "HMM.random-conc-inf", lambda: HMM.random(2, 3, concentration=np.inf), "concentration must be finite"
    ),
    bad(
        "HMM.random-conc-nan", lambda: HMM.random(2, 3, concentration=np.nan), "concentration must be finite"
    ),
    bad("HMM.random-rng-float", lambda: HMM.random(2, 3, rng=1.5), "rng must be a non-negative integer seed"),
    bad("HMM.random-rng-negative", lambda: HMM.random(2, 3, rng=-1), "rng seed must be a non-negative"),
    bad(
        "HMM.random-rng-2**70",
        lambda: HMM.random(2, 3, rng=2**70),
        "rng seed must be a non-negative integer below 2",
    ),
    bad("HMM.random-rng-legacy", lambda: HMM.random(2, 3, rng=np.random.RandomState(0)), "rng must be"),
    bad("HMM.random-rng-torch", lambda: HMM.random(2, 3, rng=torch.Generator()), "rng must be"),
    bad("HMM.random-too-large", lambda: HMM.random(10**6, 10**6), "asks for .* parameters"),
    bad("HMM.from_hmmlearn-None", lambda: HMM.from_hmmlearn(None), "model has no startprob_"),
    # ------------------------------------------------------------------ HMM methods
    bad("HMM.sample-n-0", lambda: H.sample(0, 3), r"n \(number of sequences\) must be at least 1"),
    bad("HMM.sample-T-0", lambda: H.sample(2, 0), r"T \(sequence length\) must be at least 1"),
    bad("HMM.sample-n-float", lambda: H.sample(2.0, 3), "n .* must be an integer"),
    bad("HMM.sample-n-torch-float", lambda: H.sample(torch.tensor(2.0), 3), "n .* must be an integer"),
    bad("HMM.sample-huge", lambda: H.sample(10**9, 10**9), r"sample\(n, T\) asks for"),
    bad("HMM.sample-rng-float", lambda: H.sample(2, 3, rng=0.5), "rng must be"),
    *garbage_symbols("obs", H.filter),
    *garbage_symbols("obs", H.predict_next),
    *garbage_symbols("obs", H.log_likelihood),
    bad("HMM.filter-zero-probability", lambda: Z.filter([0, 1]), "sequence 0 has probability zero"),
    bad("HMM.predict_next-zero-probability", lambda: Z.predict_next([0, 1]), "probability zero"),
    bad("HMM.log_likelihood-zero-probability", lambda: Z.log_likelihood([0, 1]), "probability zero"),
    bad(
        "HMM.log_likelihood-allow_zero-int",
        lambda: Z.log_likelihood([0, 1], allow_zero=1),
        "allow_zero must be True or False",
    ),
    # ------------------------------------------------------------------ exported helpers
    *garbage_symbols("obs", lambda o: hmm_filter(PI, A, B, o)),
    bad("hmm_filter-startprob-unnormalised", lambda: hmm_filter([0.5, 0.7], A, B, [0, 1]), "startprob"),
    bad(
        "hmm_filter-transmat-rows",
        lambda: hmm_filter(PI, [[1, 1], [0, 1]], B, [0, 1]),
        "rows of transmat must sum to 1",
    ),
    bad(
        "hmm_filter-emission-nan",
        lambda: hmm_filter(PI, A, [[np.nan, 1, 0], B[1]], [0]),
        "emissionprob has NaN",
    ),
    bad(
        "hmm_filter-zero-probability",
        lambda: hmm_filter([1, 0], np.eye(2), [[1, 0], [0, 1]], [0, 1]),
        "probability zero",
    ),
    bad(
        "hmm.predict_next-not-beliefs",
        lambda: probrnn.hmm.predict_next([[2.0, -1.0]], A, B),
        "filtered has negative",
    ),
    bad(
        "ExactForwardRNN-unnormalised",
        lambda: ExactForwardRNN([0.5, 0.5], [[0.9, 0.86], [0.5, 0.5]], np.eye(2)),
        r"rows of transmat must sum to 1 \(got row sums of row 0: 1.76\)",
    ),
    bad(
        "ExactForwardRNN-shapes", lambda: ExactForwardRNN([0.5, 0.5], [[1.0]], np.eye(2)), "transmat must be"
    ),
    bad("ExactForwardRNN-dtype", lambda: ExactForwardRNN(PI, A, B, dtype=torch.float16), "dtype must be"),
    bad(
        "ExactForwardRNN-float32-underflow",
        lambda: ExactForwardRNN(PI, A, [[1 - 1e-60, 1e-60, 0], B[1]], dtype=torch.float32),
        "below float32's smallest normal",
    ),
    bad("exact_forward_rnn-not-hmm", lambda: exact_forward_rnn("hmm"), "hmm must be a probrnn.HMM"),
    *garbage_symbols("obs", EX.predict_proba),
    bad(
        "exact.predict_proba-zero-probability",
        lambda: exact_forward_rnn(Z).predict_proba([0, 1]),
        "sequence 0 has probability zero",
    ),
    bad(
        "exact.predict_next-zero-probability",
        lambda: exact_forward_rnn(Z).predict_next([[0, 0], [0, 1]]),
        "sequence 1 has probability zero",
    ),
    # ------------------------------------------------------------------ particle filter
    *garbage_symbols("obs", lambda o: particle_filter(H, o, 3, rng=0)),
    bad("particle_filter-hmm", lambda: particle_filter(None, [0, 1], 3), "hmm must be a probrnn.HMM"),
    bad("particle_filter-M-0", lambda: particle_filter(H, [0, 1], 0), "n_particles must be at least 1"),
    bad("particle_filter-M-float", lambda: particle_filter(H, [0, 1], 2.0), "n_particles must be an integer"),
    bad("particle_filter-M-bool", lambda: particle_filter(H, [0, 1], True), "n_particles must be an integer"),
    bad("particle_filter-M-huge", lambda: particle_filter(H, [0, 1], 10**12), "asks for"),
    bad("particle_filter-rng-float", lambda: particle_filter(H, [0, 1], 3, rng=1.0), "rng must be"),
    bad("particle_filter-rng-negative", lambda: particle_filter(H, [0, 1], 3, rng=-3), "rng seed must be"),
    bad(
        "particle_filter-resampling",
        lambda: particle_filter(H, [0, 1], 3, resampling="stratified"),
        "unknown resampling scheme 'stratified'",
    ),
    bad("ParticleFilterRNN-hmm", lambda: ParticleFilterRNN("x", 3), "hmm must be a probrnn.HMM"),
    bad("ParticleFilterRNN-M", lambda: ParticleFilterRNN(H, 0), "n_particles must be at least 1"),
    bad("ParticleFilterRNN-resampling", lambda: ParticleFilterRNN(H, 3, resampling=1), "unknown resampling"),
    bad("pfrnn.initial_state-seed-float", lambda: PFR.initial_state(1.0), "seed must be an integer"),
    bad("pfrnn.initial_state-seed-negative", lambda: PFR.initial_state(-1), "seed must be a non-negative"),
    bad("pfrnn.initial_state-n-0", lambda: PFR.initial_state(0, n=0), "n .* must be at least 1"),
    bad("pfrnn.f-h-float", lambda: PFR.f(H0.astype(float), 1), "h must hold integers"),
    bad("pfrnn.f-h-string", lambda: PFR.f("abc", 1), "h must be an array"),
    bad("pfrnn.f-h-ragged", lambda: PFR.f([[1, 2], [1]], 1), "h must be a rectangular"),
    bad("pfrnn.f-h-None", lambda: PFR.f(None, 1), "h must be an array"),
    bad("pfrnn.f-h-shape", lambda: PFR.f(H0[:-1], 1), r"h must have shape \(M \+ 3,\)"),
    bad("pfrnn.f-h-3d", lambda: PFR.f(H0[None, None], 1), r"h must have shape"),
    bad("pfrnn.f-h-particle", lambda: PFR.f(_set(H0, 3, 9), 1), "h row 0 has particles outside"),
    bad("pfrnn.f-h-seed", lambda: PFR.f(_set(H0, 0, -5), 1), "h has a seed, stream or step"),
    bad(
        "pfrnn.f-h-uint64",
        lambda: PFR.f(_set(H0.astype(np.uint64), 0, 2**64 - 1), 1),
        "h has a seed, stream or step .* outside",
    ),
    bad("pfrnn.f-x-range", lambda: PFR.f(H0, 5), "x has symbols outside"),
    bad("pfrnn.f-x-float", lambda: PFR.f(H0, 1.5), "x must hold integer"),
    bad("pfrnn.f-x-two", lambda: PFR.f(H0, [1, 1]), "x must hold one symbol per row of h"),
    bad("pfrnn.f-x-None", lambda: PFR.f(H0, None), "x must be an array"),
    bad("pfrnn.step-h-bool", lambda: PFR.step(np.zeros(7, bool), 1), "h must hold integers"),
    bad("pfrnn.g-h-float", lambda: PFR.g(H0.astype(float)), "h must hold integers"),
    bad("pfrnn.g_sample-h-shape", lambda: PFR.g_sample(np.zeros((2, 3), dtype=int)), "h must have shape"),
    bad("pfrnn.propagate-h-str", lambda: PFR.propagate("h"), "h must be an array"),
    bad("pfrnn.particles-str", lambda: ParticleFilterRNN.particles("abc"), "h must be an array"),
    bad("pfrnn.particles-short", lambda: ParticleFilterRNN.particles([1, 2, 3]), r"h must be hidden vectors"),
    bad("pfrnn.run-seed-float", lambda: PFR.run([0, 1], 0.5), "seed must be an integer"),
    bad("pfrnn.run-seed-None", lambda: PFR.run([0, 1], None), "seed must be an integer"),
    *garbage_symbols("obs", lambda o: PFR.run(o, 0)),
    # ------------------------------------------------------------------ resampling helpers
    bad(
        "multinomial-zero-row",
        lambda: multinomial_resample([[0, 0]], [[0.5, 0.5]]),
        "weights has rows that are all zero",
    ),
    bad(
        "multinomial-negative", lambda: multinomial_resample([[-1, 2]], [[0.5, 0.5]]), "weights has negative"
    ),
    bad("multinomial-nan", lambda: multinomial_resample([[np.nan, 1]], [[0.5, 0.5]]), "weights has NaN"),
    bad(
        "multinomial-u-1",
        lambda: multinomial_resample([[1, 2]], [[1.0, 0.5]]),
        r"u must hold uniforms in \[0, 1\)",
    ),
    bad("multinomial-u-shape", lambda: multinomial_resample([[1, 2]], [[0.5]]), "u must have shape"),
    bad("multinomial-1d", lambda: multinomial_resample([1, 2], [0.5, 0.2]), "weights must be 2-D"),
    bad("multinomial-str", lambda: multinomial_resample("ab", [0.5]), "weights must be an array"),
    bad("systematic-v-2d", lambda: systematic_resample([[1, 2]], [[0.1]]), "v must be 1-D"),
    bad("systematic-v-len", lambda: systematic_resample([[1, 2]], [0.1, 0.2]), "v must have shape"),
    bad("systematic-v-neg", lambda: systematic_resample([[1, 2]], [-0.1]), "v must hold uniforms"),
    # ------------------------------------------------------------------ RNN models
    bad("SequenceRNN-K-0", lambda: SequenceRNN(0, 3), "n_symbols must be at least 1"),
    bad("SequenceRNN-k-float", lambda: SequenceRNN(2, 2.0), "hidden_size must be an integer"),
    bad("SequenceRNN-cell", lambda: SequenceRNN(2, 2, cell="transformer"), "unknown cell 'transformer'"),
    bad("SequenceRNN-cell-None", lambda: SequenceRNN(2, 2, cell=None), "unknown cell None"),
    bad("SequenceRNN-layers", lambda: SequenceRNN(2, 2, num_layers=0), "num_layers must be at least 1"),
    bad("SequenceRNN-seed-float", lambda: SequenceRNN(2, 2, seed=1.0), "seed must be an integer"),
    bad("SequenceRNN-seed-negative", lambda: SequenceRNN(2, 2, seed=-1), "seed must be a non-negative"),
    bad(
        "SequenceRNN-seed-numpy-gen",
        lambda: SequenceRNN(2, 2, seed=np.random.default_rng(0)),
        "seed must be an integer",
    ),
    *garbage_symbols("obs", S.predict_next),
    *garbage_symbols("obs", S.log_likelihood),
    bad(
        "SequenceRNN.predict_next-padded",
        lambda: S.predict_next([[0, 1, 2], [0, np.nan, np.nan]]),
        "padded into a rectangle",
    ),
    bad(
        "SequenceRNN.log_likelihood-first-sum",
        lambda: S.log_likelihood([0, 1], first_model=[0.2, 0.3, 0.4]),
        "probs must sum to 1",
    ),
    bad(
        "SequenceRNN.log_likelihood-first-K",
        lambda: S.log_likelihood([0, 1], first_model=[0.5, 0.5]),
        "first_model has 2 symbols",
    ),
    bad(
        "SequenceRNN.log_likelihood-first-zero",
        lambda: S.log_likelihood([0, 1], first_model=[0, 0.5, 0.5]),
        "sequence 0 has probability zero under first_model",
    ),
    bad(
        "SequenceRNN.log_likelihood-allow_zero",
        lambda: S.log_likelihood([0, 1], allow_zero="no"),
        "allow_zero must be True or False",
    ),
    bad("SequenceRNN.sample-n-0", lambda: S.sample(0, 3), r"n \(number of sequences\) must be at least 1"),
    bad("SequenceRNN.sample-n-negative", lambda: S.sample(-1, 3), "n .* must be at least 1"),
    bad("SequenceRNN.sample-T-0", lambda: S.sample(2, 0), r"T \(sequence length\) must be at least 1"),
    bad("SequenceRNN.sample-first-range", lambda: S.sample(2, 3, first=5), "first has symbols outside"),
    bad("SequenceRNN.sample-first-float", lambda: S.sample(2, 3, first=1.5), "first must hold integer"),
    bad(
        "SequenceRNN.sample-first-shape",
        lambda: S.sample(2, 3, first=[0, 1, 2]),
        r"first must be a symbol, an \(n,\)",
    ),
    bad(
        "SequenceRNN.sample-first-ragged",
        lambda: S.sample(2, 3, first=[[0, 1], [0]]),
        "first must be a symbol",
    ),
    bad(
        "SequenceRNN.sample-first-model-K",
        lambda: S.sample(2, 3, first=EmpiricalFirstSymbol([0.5, 0.5])),
        "first-symbol model has 2 symbols",
    ),
    bad("SequenceRNN.sample-rng", lambda: S.sample(2, 3, rng=0.5), "rng must be"),
    bad("SequenceRNN.sample-huge", lambda: S.sample(10**6, 10**6), "asks for"),
    bad("EmpiricalFirstSymbol-probs", lambda: EmpiricalFirstSymbol([0.5, 0.6]), "probs must sum to 1"),
    bad(
        "EmpiricalFirstSymbol.fit-pseudocount",
        lambda: EmpiricalFirstSymbol.fit([[0, 1]], 2, np.nan),
        "pseudocount must be finite",
    ),
    bad(
        "EmpiricalFirstSymbol.fit-K",
        lambda: EmpiricalFirstSymbol.fit([[0, 1]], 0),
        "n_symbols must be at least 1",
    ),
    bad(
        "EmpiricalFirstSymbol.log_prob-range",
        lambda: EmpiricalFirstSymbol([0.5, 0.5]).log_prob(5),
        "x has symbols outside",
    ),
    bad(
        "EmpiricalFirstSymbol.log_prob-str",
        lambda: EmpiricalFirstSymbol([0.5, 0.5]).log_prob("a"),
        "x must be",
    ),
    bad(
        "EmpiricalFirstSymbol.log_prob-float",
        lambda: EmpiricalFirstSymbol([0.5, 0.5]).log_prob(0.5),
        "x must hold integer",
    ),
    bad(
        "EmpiricalFirstSymbol.sample-n-0",
        lambda: EmpiricalFirstSymbol([0.5, 0.5]).sample(0),
        "n .* must be at least 1",
    ),
    bad("StateRNN-n_states", lambda: StateRNN(3, 0, 4), "n_states must be at least 1"),
    bad("StateRNN-seed-float", lambda: StateRNN(3, 2, 4, seed=2.5), "seed must be an integer"),
    bad(
        "untrained_state_rnn-seed",
        lambda: untrained_state_rnn(3, 2, 4, seed=-1),
        "seed must be a non-negative",
    ),
    *garbage_symbols("obs", ST.predict_proba),
    *garbage_symbols("obs", ST.hidden_states),
    # ------------------------------------------------------------------ belief probe
    bad("probe-nan-hidden", lambda: fit_belief_probe(_set(HID, (0, 0, 0), np.nan), BEL), "hidden has NaN"),
    bad("probe-huge-hidden", lambda: fit_belief_probe(HID * 1e300, BEL), "hidden has entries of magnitude"),
    bad("probe-beliefs", lambda: fit_belief_probe(HID, BEL * 2), "beliefs has entries above 1"),
    bad("probe-beliefs-nan", lambda: fit_belief_probe(HID, BEL * np.nan), "beliefs has NaN"),
    bad("probe-shapes", lambda: fit_belief_probe(HID[:5], BEL), "must share n and T"),
    bad("probe-2d", lambda: fit_belief_probe(HID[0], BEL[0]), "hidden must be 3-D"),
    bad(
        "probe-test_fraction-1",
        lambda: fit_belief_probe(HID, BEL, test_fraction=1),
        "test_fraction must be < 1",
    ),
    bad(
        "probe-test_fraction-str",
        lambda: fit_belief_probe(HID, BEL, test_fraction="0.5"),
        "test_fraction must be a real",
    ),
    bad(
        "probe-test_fraction-tiny",
        lambda: fit_belief_probe(HID[:2], BEL[:2], test_fraction=0.01),
        "test_fraction = 0.01 of n = 2 sequences leaves 0 to test",
    ),
    bad("probe-n-1", lambda: fit_belief_probe(HID[:1], BEL[:1]), "need at least 2 sequences"),
    bad("probe-ridge", lambda: fit_belief_probe(HID, BEL, ridge=np.inf), "ridge must be finite"),
    bad("probe-rng", lambda: fit_belief_probe(HID, BEL, rng=0.5), "rng must be"),
    bad(
        "probe-constant-beliefs", lambda: fit_belief_probe(HID, np.full_like(BEL, 0.5)), "R\\^2 is undefined"
    ),
    bad("probe.predict-nan", lambda: PROBE.predict(_set(HID, (0, 0, 0), np.nan)), "hidden has NaN"),
    bad("probe.predict-k", lambda: PROBE.predict(np.zeros((3, 2))), "hidden must have k = 4 units"),
    bad("probe.predict-scalar", lambda: PROBE.predict(0.0), "hidden must have k = 4 units"),
    bad(
        "probe.predict-huge", lambda: PROBE.predict(np.full((1, 4), 1e308)), "hidden has entries of magnitude"
    ),
    bad("probe.predict-str", lambda: PROBE.predict("abc"), "hidden must be an array"),
    bad("probe.predict-empty", lambda: PROBE.predict(np.zeros((0, 4))), "hidden is empty"),
    # ------------------------------------------------------------------ graphical model
    bad("RNNGraphicalModel-rnn", lambda: RNNGraphicalModel("rnn"), "rnn must be a probrnn SequenceRNN"),
    bad("RNNGraphicalModel-horizon", lambda: RNNGraphicalModel(G.rnn, 0), "horizon must be at least 1"),
    bad("Noisy-noise-negative", lambda: NoisyRNNGraphicalModel(G.rnn, -1), "noise_std must be >= 0"),
    bad("Noisy-noise-nan", lambda: NoisyRNNGraphicalModel(G.rnn, np.nan), "noise_std must be finite"),
    bad("Noisy-noise-huge", lambda: NoisyRNNGraphicalModel(G.rnn, 1e308), "noise_std must be <= 1e\\+100"),
    bad("G.sample-n-0", lambda: G.sample(0, 3), r"n \(number of sequences\) must be at least 1"),
    bad("G.sample-T-0", lambda: G.sample(2, 0), "T .* must be at least 1"),
    bad("G.sample-first", lambda: G.sample(2, 3, first=7), "first has symbols outside"),
    bad("G.sample-rng", lambda: G.sample(2, 3, rng=-1), "rng seed must be"),
    *[
        bad(f"G.{meth}-prefix-{name}", (lambda meth=meth, p=p: getattr(G, meth)(p)), f"prefix {m}")
        for meth in ("conditional", "rnn_conditional")
        for name, p, m in (
            ("str", "01", "must be an array"),
            ("float", [0.5], "must hold integer"),
            ("2d", [[0, 1]], "must be one sequence"),
            ("empty", [], "is empty"),
            ("long", [0] * 5, "has 5 symbols, longer than the model's horizon"),
            ("ragged", [[0, 1], [0]], "must be a rectangular"),
            ("None", None, "must be an array"),
            ("range", [0, 5], "has symbols outside"),
            ("complex", np.array([0, 1], dtype=complex), "must hold real"),
        )
    ],
    bad("G.conditional-method", lambda: G.conditional([0], method="exact"), "unknown method 'exact'"),
    bad("G.conditional-n_samples", lambda: G.conditional([0], n_samples=0), "n_samples must be at least 1"),
    bad(
        "G.conditional-rejection-no-match",
        lambda: G.conditional([0, 1, 1], method="rejection", n_samples=1, rng=0),
        "none of the n_samples = 1 draws matched",
    ),
    bad("Noisy.conditional-enumerate", lambda: NOISY.conditional([0], method="enumerate"), "point-mass"),
    bad("theorem5_table-model", lambda: theorem5_table("m", G.rnn), "model must be an RNNGraphicalModel"),
    bad(
        "theorem5_table-rnn-K",
        lambda: theorem5_table(G, S, max_length=1),
        "rnn has K = 3 symbols but the model K = 2",
    ),
    bad(
        "theorem5_table-max_length",
        lambda: theorem5_table(G, G.rnn, max_length=0),
        "max_length must be at least 1",
    ),
    bad(
        "theorem5_table-horizon",
        lambda: theorem5_table(G, G.rnn, max_length=9),
        "exceeds the model's horizon",
    ),
    bad(
        "theorem5_table-n_samples",
        lambda: theorem5_table(G, G.rnn, max_length=1, n_samples=0),
        "n_samples must be at least 1",
    ),
    bad(
        "theorem5_table-methods-empty",
        lambda: theorem5_table(G, G.rnn, max_length=1, methods=()),
        "methods is empty",
    ),
    bad(
        "theorem5_table-methods-unknown",
        lambda: theorem5_table(G, G.rnn, max_length=1, methods=("x",)),
        "unknown method 'x'",
    ),
    bad(
        "theorem5_table-noisy-enumerate",
        lambda: theorem5_table(NOISY, G.rnn, max_length=1, methods="enumerate"),
        "point-mass",
    ),
    bad("theorem5_table-rng", lambda: theorem5_table(G, G.rnn, max_length=1, rng=1.5), "rng must be"),
    bad("sample_future-model", lambda: sample_future("m", 1, 10), "model must be an RNNGraphicalModel"),
    bad("sample_future-n", lambda: sample_future(G, 1, 1), "n must be at least 2"),
    bad("sample_future-x-range", lambda: sample_future(G, 5, 10), "x_t has symbols outside"),
    bad("sample_future-x-list", lambda: sample_future(G, [1, 0], 10), "x_t must be one symbol"),
    bad("sample_future-x-str", lambda: sample_future(G, "1", 10), "x_t must be one symbol"),
    bad("sample_future-x-half", lambda: sample_future(G, 0.5, 10), "x_t must hold integer"),
    bad(
        "sample_future-h_prev-shape",
        lambda: sample_future(G, 1, 10, h_prev=[0.0]),
        r"h_prev must have shape \(S,\)",
    ),
    bad("sample_future-h_prev-nan", lambda: sample_future(G, 1, 10, h_prev=[np.nan] * 3), "h_prev has NaN"),
    bad("future_dependence-n", lambda: future_dependence(np.zeros((1, 3)), [1]), "n >= 2"),
    bad("future_dependence-mismatch", lambda: future_dependence(np.zeros((5, 3)), [1, 0]), r"x_after \(n,\)"),
    bad("future_dependence-nan", lambda: future_dependence(np.full((5, 3), np.nan), [1] * 5), "h_t has NaN"),
    bad(
        "future_dependence-huge",
        lambda: future_dependence(np.full((5, 3), 1e308), [1] * 5),
        "h_t has entries of magnitude",
    ),
    bad(
        "future_dependence-symbol",
        lambda: future_dependence(np.zeros((5, 3)), [1] * 5, symbol=1.5),
        "symbol must be an integer",
    ),
    bad(
        "future_dependence-x_after",
        lambda: future_dependence(np.zeros((5, 3)), [0.5] * 5),
        "x_after must hold integer",
    ),
    bad("future_dependence-1d", lambda: future_dependence(np.zeros(5), [1] * 5), "h_t must be 2-D"),
    # ------------------------------------------------------------------ metrics
    bad(
        "compare_posteriors-shapes",
        lambda: compare_posteriors(P3, P3[:1], S3),
        "proba and reference must have the same shape",
    ),
    bad(
        "compare_posteriors-not-probabilities",
        lambda: compare_posteriors(P3 * 3, P3, S3),
        "proba has entries above 1",
    ),
    bad("compare_posteriors-negative", lambda: compare_posteriors(P3 - 1, P3, S3), "proba has negative"),
    bad(
        "compare_posteriors-sum",
        lambda: compare_posteriors(P3 * 0.5, P3, S3),
        "proba must hold probability vectors",
    ),
    bad("compare_posteriors-nan", lambda: compare_posteriors(P3, P3 * np.nan, S3), "reference has NaN"),
    bad(
        "compare_posteriors-states",
        lambda: compare_posteriors(P3, P3, S3 + 2),
        r"states has values outside \[0, 2\)",
    ),
    bad(
        "compare_posteriors-states-float",
        lambda: compare_posteriors(P3, P3, S3 + 0.5),
        "states must hold integer",
    ),
    bad(
        "compare_posteriors-states-shape",
        lambda: compare_posteriors(P3, P3, S3[:, :2]),
        r"states must have shape \(n, T\)",
    ),
    bad("compare_posteriors-2d", lambda: compare_posteriors(P3[0], P3[0], S3[0]), "proba must be 3-D"),
    bad(
        "compare_posteriors-tie_seed",
        lambda: compare_posteriors(P3, P3, S3, tie_seed=0.5),
        "tie_seed must be",
    ),
    bad(
        "compare_posteriors-n_small",
        lambda: compare_posteriors(P3, P3, S3, n_small=0),
        "n_small must be at least 1",
    ),
    bad(
        "compare_posteriors-ratio",
        lambda: compare_posteriors(P3, P3, S3, near_tie_ratio=2),
        "near_tie_ratio must be <= 1",
    ),
    bad(
        "compare_posteriors-per_step",
        lambda: compare_posteriors(P3, P3, S3, per_step=1),
        "per_step must be True or False",
    ),
    bad(
        "total_variation-shapes",
        lambda: total_variation([0.5, 0.5], [1, 0, 0]),
        "p and q must be distributions over the same m",
    ),
    bad(
        "total_variation-broadcast",
        lambda: total_variation(np.full((3, 2), 0.5), np.full((2, 2), 0.5)),
        "shapes that broadcast",
    ),
    bad("total_variation-str", lambda: total_variation("ab", [1, 0]), "p must be an array"),
    bad("total_variation-ragged", lambda: total_variation([[1], [1, 0]], [1, 0]), "p must be a rectangular"),
    bad("total_variation-complex", lambda: total_variation(np.array([1j, 0]), [1, 0]), "p must hold real"),
    bad("total_variation-nan", lambda: total_variation([np.nan, 1], [1, 0]), "p has NaN"),
    bad("total_variation-scalar", lambda: total_variation(0.5, 0.5), "p must hold probability vectors"),
    bad(
        "total_variation-huge",
        lambda: total_variation([1, 0], [1e308, -1e308]),
        "q has (negative|entries above)",
    ),
    bad("cross_entropy-T-1", lambda: next_symbol_cross_entropy(np.full((2, 1, 2), 0.5), S3[:, :1]), "T >= 2"),
    bad(
        "cross_entropy-obs",
        lambda: next_symbol_cross_entropy(np.full((2, 3, 2), 0.5), S3 + 5),
        "obs has symbols outside",
    ),
    bad(
        "cross_entropy-negative",
        lambda: next_symbol_cross_entropy(np.full((2, 3, 2), -0.5), S3),
        "probs has negative",
    ),
    bad(
        "cross_entropy-not-probabilities",
        lambda: next_symbol_cross_entropy(np.full((2, 3, 2), 5.0), S3),
        "probs has entries above 1",
    ),
    bad(
        "cross_entropy-shape",
        lambda: next_symbol_cross_entropy(np.full((2, 3, 2), 0.5), S3[:1]),
        r"obs must have shape \(n, T\)",
    ),
    # ------------------------------------------------------------------ training (the entry points)
    bad(
        "fit_sequence_rnn-lr-nan",
        lambda: fit_sequence_rnn(OBS, n_symbols=3, hidden_size=2, lr=np.nan),
        "lr must be finite",
    ),
    bad(
        "fit_sequence_rnn-lr-inf",
        lambda: fit_sequence_rnn(OBS, n_symbols=3, hidden_size=2, lr=np.inf),
        "lr must be finite",
    ),
    bad(
        "fit_sequence_rnn-lr-negative",
        lambda: fit_sequence_rnn(OBS, n_symbols=3, hidden_size=2, lr=-1.0),
        "lr must be > 0",
    ),
    bad(
        "fit_sequence_rnn-lr_scale",
        lambda: fit_sequence_rnn(OBS, n_symbols=3, hidden_size=2, lr_scale=np.inf),
        "lr_scale must be finite",
    ),
    bad(
        "fit_sequence_rnn-device",
        lambda: fit_sequence_rnn(OBS, n_symbols=3, hidden_size=2, device="foo"),
        "device 'foo' is not a torch device",
    ),
    bad(
        "fit_sequence_rnn-device-int",
        lambda: fit_sequence_rnn(OBS, n_symbols=3, hidden_size=2, device=0),
        "device must be",
    ),
    bad(
        "fit_sequence_rnn-dtype",
        lambda: fit_sequence_rnn(OBS, n_symbols=3, hidden_size=2, dtype="float32"),
        "dtype must be",
    ),
    bad("fit_sequence_rnn-T-1", lambda: fit_sequence_rnn(OBS[:, :1], n_symbols=3, hidden_size=2), "T >= 2"),
    bad(
        "fit_sequence_rnn-setting",
        lambda: fit_sequence_rnn(OBS, n_symbols=3, hidden_size=2, epochs=3),
        r"unknown training setting\(s\) \['epochs'\]",
    ),
    bad(
        "fit_sequence_rnn-seed",
        lambda: fit_sequence_rnn(OBS, n_symbols=3, hidden_size=2, seed=1.0),
        "seed must be an integer",
    ),
    bad(
        "fit_state_rnn-states",
        lambda: fit_state_rnn(OBS, OBS + 5, n_symbols=3, n_states=2, hidden_size=2),
        "states has values outside",
    ),
    bad(
        "fit_state_rnn-n_states",
        lambda: fit_state_rnn(OBS, OBS % 2, n_symbols=3, n_states=2.0, hidden_size=2),
        "n_states must be an integer",
    ),
    bad("fit_state_rnns-empty", lambda: fit_state_rnns([], n_symbols=3, hidden_size=2), "tasks is empty"),
    bad(
        "fit_state_rnns-not-task",
        lambda: fit_state_rnns([1], n_symbols=3, hidden_size=2),
        r"tasks\[0\] must be a FitTask",
    ),
    bad(
        "FitTask-seed",
        lambda: fit_state_rnns([FitTask(OBS, OBS % 2, 2, 1.5)], n_symbols=3, hidden_size=2),
        r"tasks\[0\].seed must be an integer",
    ),
    bad("TrainingRule-lr", lambda: TrainingRule(lr=np.nan), "lr must be finite"),
    bad("TrainingRule-max_steps", lambda: TrainingRule(max_steps=1.5), "max_steps must be an integer"),
    bad("TrainingRule-val_fraction", lambda: TrainingRule(val_fraction=0.6), "val_fraction must be <= 0.5"),
    bad("TrainingRule-average-one", lambda: TrainingRule(average=1.0), "average must be < 1"),
    bad("TrainingRule-average-negative", lambda: TrainingRule(average=-0.1), "average must be >= 0"),
    bad("TrainingRule-average-nan", lambda: TrainingRule(average=float("nan")), "average must be finite"),
    bad("TrainingRule-wide_from", lambda: TrainingRule(wide_from=0), "wide_from must be at least 1"),
    bad("TrainingRule-wide_from-float", lambda: TrainingRule(wide_from=2.5), "wide_from must be an integer"),
    # ---------------------------------------------------- experiments: never record what did not run
    *[
        bad(f"{f.__name__}-seed-{name}", (lambda f=f, v=v: f(seed=v)), m)
        for f in (fig5, fig6, fig7, lr_check, pf_convergence, predictive)
        for name, v, m in (
            ("float", 1.0, "seed must be an integer .got float: 1.0"),
            ("negative", -1, "seed must be a non-negative integer"),
            ("string", "1", "seed must be an integer"),
            ("numpy-float", np.float64(3.0), "seed must be an integer"),
        )
    ],
    *[
        bad(f"{f.__name__}-scale", (lambda f=f: f(scale="big")), "unknown scale 'big'")
        for f in (fig5, fig6, fig7, lr_check, pf_convergence, predictive)
    ],
    *[
        bad(f"{f.__name__}-workers-{v}", (lambda f=f, v=v: f(workers=v)), "workers must be")
        for f in (fig5, fig6, fig7, lr_check)
        for v in (0, 1.0)
    ],
    bad("fig7-n_reps-0", lambda: fig7(n_reps=0), "n_reps must be at least 1"),
    bad("fig7-n_reps-float", lambda: fig7(n_reps=1.0), "n_reps must be an integer"),
    bad("fig7-sizes-empty", lambda: fig7(sizes=[]), "sizes is empty"),
    bad("fig7-sizes-empty-array", lambda: fig7(sizes=np.array([], dtype=int)), "sizes is empty"),
    bad("fig7-sizes-float", lambda: fig7(sizes=[1.5]), r"sizes\[0\] must be an integer"),
    bad("fig7-sizes-integral-float", lambda: fig7(sizes=[2.0]), r"sizes\[0\] must be an integer"),
    bad("fig7-sizes-string", lambda: fig7(sizes="12"), "sizes must be a non-empty sequence"),
    bad("fig7-sizes-scalar", lambda: fig7(sizes=5), "sizes must be a non-empty sequence"),
    bad("fig7-sizes-0", lambda: fig7(sizes=[0]), r"sizes\[0\] must be at least 1"),
    bad("fig7-rnn", lambda: fig7(rnn=0), "rnn must be True or False"),
    bad("pf_convergence-Ms-empty", lambda: pf_convergence(Ms=[]), "Ms is empty"),
    bad("pf_convergence-Ms-0", lambda: pf_convergence(Ms=[0]), r"Ms\[0\] must be at least 1"),
    bad("pf_convergence-n_reps-0", lambda: pf_convergence(n_reps=0), "n_reps must be at least 1"),
    bad("fig5-ks-empty", lambda: fig5(ks=[]), "ks is empty"),
    bad("fig5-ns-empty", lambda: fig5(ns=[]), "ns is empty"),
    bad("fig5-ns-float", lambda: fig5(ns=[200.0]), r"ns\[0\] must be an integer"),
    bad("fig5-ns-pool", lambda: fig5(ns=[10**9]), "exceeds the quick pool"),
    bad("fig5-hmm_indices-empty", lambda: fig5(hmm_indices=[]), "hmm_indices is empty"),
    bad("fig5-hmm_indices-negative", lambda: fig5(hmm_indices=[-1]), r"hmm_indices\[0\] must be at least 0"),
    bad("fig6-ms-empty", lambda: fig6(ms=[]), "ms is empty"),
    bad("fig6-ks-empty", lambda: fig6(ks=[]), "ks is empty"),
    bad("fig6-ms-0", lambda: fig6(ms=[0]), r"ms\[0\] must be at least 1"),
    bad("lr_check-ks-empty", lambda: lr_check(ks=[]), "ks is empty"),
    bad("lr_check-factors-empty", lambda: lr_check(factors=[]), "factors is empty"),
    bad("lr_check-factors-nan", lambda: lr_check(factors=[np.nan]), r"factors\[0\] must be finite"),
    bad("lr_check-factors-scalar", lambda: lr_check(factors=1.0), "factors must be a non-empty sequence"),
    bad("lr_check-factors-0", lambda: lr_check(factors=[0.0]), r"factors\[0\] must be > 0"),
    bad("predictive-ms-empty", lambda: predictive(ms=[]), "ms is empty"),
    bad("predictive-ns-empty", lambda: predictive(ns=[]), "ns is empty"),
    bad("predictive-ns-off-grid", lambda: predictive(ns=[7]), r"ns \[7\] are not on the 'quick' grid"),
    bad("predictive-progress", lambda: predictive(progress=1), "progress must be True or False"),
    bad("fig5_points-ks", lambda: fig5_points(ks=[]), "ks is empty"),
    bad("fig5_points-part", lambda: fig5_points(part="xx"), "unknown part 'xx'"),
    bad("fig5_points-seed", lambda: fig5_points(seed=0.5), "seed must be an integer"),
    bad("fig6_points-ms", lambda: fig6_points(ms=[]), "ms is empty"),
    bad("fig6_points-seed", lambda: fig6_points(seed=-2), "seed must be a non-negative"),
    bad("forward_grid-ms", lambda: forward_grid(ms=[]), "ms is empty"),
    bad("forward_grid-ns", lambda: forward_grid(ns=[1]), r"ns\[0\] must be at least 2"),
    bad("forward_grid-n_test", lambda: forward_grid(n_test=0), "n_test must be at least 1"),
    bad("forward_grid-workers", lambda: forward_grid(workers=0), "workers must be at least 1"),
    bad("forward_grid-max_steps", lambda: forward_grid(max_steps=1.5), "max_steps must be an integer"),
    bad("train_and_compare-hmm", lambda: train_and_compare("hmm", 1, 10), "hmm must be a probrnn.HMM"),
    bad("train_and_compare-k", lambda: train_and_compare(H, 1.0, 10), "hidden_size must be an integer"),
    bad("train_and_compare-n", lambda: train_and_compare(H, 1, 1), "n must be at least 2"),
    bad("train_and_compare-T", lambda: train_and_compare(H, 1, 10, T=1.5), "T .* must be an integer"),
    bad("train_and_compare-seed", lambda: train_and_compare(H, 1, 10, seed=1.0), "seed must be an integer"),
    bad("train_and_compare-cell", lambda: train_and_compare(H, 1, 10, cell="x"), "unknown cell 'x'"),
    bad("compare_one-M", lambda: compare_one(0, 1), "M must be at least 1"),
    bad("compare_one-k", lambda: compare_one(1, 0), "k must be at least 1"),
    bad("compare_one-n_train", lambda: compare_one(1, 1, n_train=1), "n_train must be at least 2"),
    bad("compare_one-n_test", lambda: compare_one(1, 1, n_test=0), "n_test must be at least 1"),
    bad("compare_one-seed", lambda: compare_one(1, 1, seed=0.5), "seed must be an integer"),
    bad("compare_one-max_steps", lambda: compare_one(1, 1, max_steps=0), "max_steps must be at least 1"),
    bad("predictive_point-m", lambda: predictive_point(0, 30), "m must be at least 1"),
    bad("predictive_point-n", lambda: predictive_point(2, 7), "n = 7 is not on the 'paper' grid"),
    bad("predictive_point-n-float", lambda: predictive_point(2, 30.0), "n must be an integer"),
    bad(
        "predictive_point-replicate",
        lambda: predictive_point(2, 30, replicate=-1),
        "replicate must be at least 0",
    ),
    bad("predictive_point-scale", lambda: predictive_point(2, 30, scale="x"), "unknown scale 'x'"),
    bad(
        "predictive_point-predictors-empty",
        lambda: predictive_point(2, 30, predictors=()),
        "predictors is empty",
    ),
    bad(
        "predictive_point-predictors-unknown",
        lambda: predictive_point(2, 30, predictors=("x",)),
        "unknown predictor 'x'",
    ),
    bad(
        "compare_predictors-predictors",
        lambda: compare_predictors(
            H, OBS, OBS, hidden_size=2, rnn_seed=0, bw_seed=0, max_steps=1, bw_iter=1, predictors=("oracle",)
        ),
        "unknown predictor 'oracle'",
    ),
    bad(
        "fit_baum_welch-train", lambda: fit_baum_welch(OBS + 3, 2, 3, 0, 1, 0.1), "train has symbols outside"
    ),
    bad("fit_baum_welch-n_iter", lambda: fit_baum_welch(OBS, 2, 3, 0, 0, 0.1), "n_iter must be at least 1"),
    bad("fit_baum_welch-seed", lambda: fit_baum_welch(OBS, 2, 3, -1, 1, 0.1), "seed must be a non-negative"),
    bad(
        "memoryless_cross_entropy-obs",
        lambda: memoryless_cross_entropy(H, [0, 1]),
        r"obs must have shape \(n, T\)",
    ),
    bad("memoryless_cross_entropy-T", lambda: memoryless_cross_entropy(H, [[0]]), "T >= 2"),
    bad("sticky_hmm-m", lambda: sticky_hmm(0, 3), "m must be at least 1"),
    bad("sticky_hmm-stay", lambda: sticky_hmm(3, 3, stay=2), "stay must be <= 1"),
    bad("sticky_hmm-stay-nan", lambda: sticky_hmm(3, 3, stay=np.nan), "stay must be finite"),
    bad(
        "sticky_hmm-concentration",
        lambda: sticky_hmm(3, 3, emission_concentration=0),
        "emission_concentration must be > 0",
    ),
    bad("sticky_hmm-rng", lambda: sticky_hmm(3, 3, rng=0.5), "rng must be"),
    bad("live_point-T", lambda: live_point(2, 2, 10, T=0), r"T \(sequence length\) must be at least 2"),
    bad("live_point-hidden_size", lambda: live_point(2, 0, 10), "hidden_size must be at least 1"),
    bad("live_point-bw_iter", lambda: live_point(2, 2, 10, bw_iter=0), "bw_iter must be at least 1"),
    bad(
        "summarize-empty",
        lambda: summarize(pd.DataFrame()),
        r"df lacks the columns \['m', 'n', 'predictor', 'excess_ce'\]",
    ),
    bad("recompute_row-empty", lambda: recompute_row({}), "row lacks the fields"),
    bad("recompute_row-str", lambda: recompute_row("row"), "row must be a table row"),
    bad(
        "recompute_row-seed",
        lambda: recompute_row({**fig5_points()[0], "k": 1, "cap": 10, "cell": "rnn", "lr": 0.01, "seed": -1}),
        r"row\['seed'\] must be a non-negative",
    ),
    bad(
        "recompute_row-k-float",
        lambda: recompute_row({**fig5_points()[0], "k": 1.5, "cap": 10, "cell": "rnn", "lr": 0.01}),
        r"row\['k'\] must be an integer",
    ),
    bad(
        "recompute_row-k-nan",
        lambda: recompute_row({**fig5_points()[0], "k": np.nan, "cap": 10, "cell": "rnn", "lr": 0.01}),
        r"row\['k'\] must be an integer",
    ),
    bad(
        "recompute_row-lr",
        lambda: recompute_row({**fig5_points()[0], "k": 1, "cap": 10, "cell": "rnn", "lr": np.inf}),
        r"row\['lr'\] must be finite",
    ),
    bad("recompute_pf_row-empty", lambda: recompute_pf_row({}), r"row lacks the fields \['kind'\]"),
    bad("recompute_pf_row-kind", lambda: recompute_pf_row({"kind": "rnn"}), "needs a particle-filter row"),
    bad("recompute_pf_row-partial", lambda: recompute_pf_row({"kind": "pf"}), "row lacks the fields"),
    bad(
        "recompute_pf_row-seed-nan",
        lambda: recompute_pf_row(
            {"kind": "pf", "seed": np.nan, "scale": "quick", "d": 1, "rep": 0, "n_test": 10}
        ),
        r"row\['seed'\] must be an integer",
    ),
    bad(
        "recompute_pf_row-d-float",
        lambda: recompute_pf_row(
            {"kind": "pf", "seed": 0, "scale": "quick", "d": 1.5, "rep": 0, "n_test": 10}
        ),
        r"row\['d'\] must be an integer",
    ),
    bad(
        "recompute_pf_row-scale",
        lambda: recompute_pf_row({"kind": "pf", "seed": 0, "scale": "huge", "d": 1, "rep": 0, "n_test": 10}),
        r"unknown row\['scale'\]",
    ),
    bad("convergence_slope-empty", lambda: convergence_slope(pd.DataFrame()), "df lacks the columns"),
    bad(
        "convergence_slope-zero",
        lambda: convergence_slope(
            pd.DataFrame({"resampling": ["multinomial"] * 2, "M": [1, 2], "mean_tv": [0.0, 0.1]})
        ),
        r"df\['mean_tv'\] must be positive and finite",
    ),
    bad(
        "convergence_slope-one-M",
        lambda: convergence_slope(pd.DataFrame({"resampling": ["multinomial"], "M": [1], "mean_tv": [0.1]})),
        "at least two values of M",
    ),
    bad(
        "convergence_slope-scheme",
        lambda: convergence_slope(
            pd.DataFrame({"resampling": ["x"], "M": [1], "mean_tv": [0.1]}), resampling="x"
        ),
        "unknown resampling 'x'",
    ),
    bad("load_results-name-path", lambda: load_results("../fig5"), "name must be a results table's name"),
    bad("load_results-name-None", lambda: load_results(None), "name must be a results table's name"),
    bad("load_results-name-csv", lambda: load_results("fig5.csv"), "without '.csv'"),
    bad(
        "load_results-start-file",
        lambda: load_results("fig5", start=__file__),
        "is not an existing directory",
    ),
    bad("load_results-start-int", lambda: load_results("fig5", start=3), "start must be a directory path"),
    bad("load_results-name-nul", lambda: load_results("fig\x005"), "name must be a results table's name"),
    bad("metrics.argmax_states-str", lambda: argmax_states("abc"), "proba must be an array"),
    bad("metrics.argmax_states-tie_seed", lambda: argmax_states(P3, tie_seed=-1), "tie_seed seed must be"),
    bad("metrics.near_ties-ratio", lambda: near_ties(P3, ratio=2), "ratio must be <= 1"),
    bad("metrics.near_ties-not-probabilities", lambda: near_ties(P3 * 2), "reference must hold probability"),
    # ------------------------------------------------------------------ figures: ill-formed tables
    *[
        bad(f"{f.__name__}-{name}", (lambda f=f, t=t: f(t)), m)
        for f in (
            fig5_figure,
            fig6_figure,
            lr_check_figure,
            fig7_figure,
            pf_convergence_figure,
            predictive_figure,
            fig_fwd.fig5_spread,
            fig_fwd.fig6_measures,
            fig_fwd.grid_heatmaps,
            fig_fwd.training_curves,
            fig_pf.size_sliders,
            fig_gen.theorem5_figure,
            fig_gen.ngram_figure,
            fig_gen.comparison_bars,
            fig_gen.excess_ce_figure,
        )
        for name, t, m in (
            ("empty", pd.DataFrame(), "lacks the columns|has no agreement_t"),
            ("None", None, "must be a pandas DataFrame"),
            ("list", [1, 2], "must be a pandas DataFrame"),
            ("wrong-columns", pd.DataFrame({"x": [1]}), "lacks the columns|has no agreement_t"),
        )
    ],
    bad("fig7_figure-no-rows", lambda: fig7_figure(_pf_table().head(0)), "df is empty"),
    bad("fig7_figure-strings", lambda: fig7_figure(_pf_table().astype(str)), r"df\['d'\] must hold numbers"),
    bad(
        "fig5_figure-census-only",
        lambda: fig5_figure(
            pd.DataFrame(
                {
                    c: [1]
                    for c in (
                        "hmm_index",
                        "k",
                        "n_train",
                        "accuracy",
                        "accuracy_ref",
                        "agreement",
                        "accuracy_small",
                        "accuracy_ref_small",
                        "agreement_small",
                    )
                }
                | {"part": ["census"]}
            )
        ),
        "no rows with part == 'grid'",
    ),
    bad(
        "pf_convergence_figure-zero",
        lambda: pf_convergence_figure(
            pd.DataFrame({"resampling": ["multinomial"] * 2, "M": [1, 2], "mean_tv": [0.0, 0.1]})
        ),
        "must be positive and finite",
    ),
    bad(
        "pf_convergence_figure-one-M",
        lambda: pf_convergence_figure(
            pd.DataFrame({"resampling": ["multinomial"], "M": [1], "mean_tv": [0.1]})
        ),
        "at least two values of M",
    ),
    bad(
        "belief_trajectories-empty", lambda: fig_hmm.belief_trajectories({}), "runs must be a non-empty dict"
    ),
    bad("belief_trajectories-tuple", lambda: fig_hmm.belief_trajectories({2: (1, 2)}), r"runs\[2\] must be"),
    bad(
        "belief_trajectories-shape",
        lambda: fig_hmm.belief_trajectories({2: ([0], [0], [[1.0]])}),
        r"filtered .*must hold probability vectors|runs\[2\] must be",
    ),
    bad("rnn_vs_forward-str", lambda: fig_fwd.rnn_vs_forward("a", "b"), "filtered must be an array"),
    bad("rnn_vs_forward-metrics", lambda: fig_fwd.rnn_vs_forward(P3, P3, metrics={"x": 1}), "metrics lacks"),
    bad(
        "posterior_scatter-panel",
        lambda: fig_fwd.posterior_scatter({"a": 3}),
        r"panels\['a'\] must be a non-empty dict",
    ),
    bad(
        "particle_time_slider-1d",
        lambda: fig_pf.particle_time_slider([0], [1.0], [0], [1]),
        "proposed must be",
    ),
    bad(
        "particle_time_slider-str",
        lambda: fig_pf.particle_time_slider("a", "b", "c", "d"),
        "proposed must be",
    ),
    bad(
        "belief_comparison-1d",
        lambda: fig_pf.belief_comparison({"a": np.full(2, 0.5)}),
        r"posteriors\['a'\] must be 2-D",
    ),
    bad(
        "pf_graphical_model-float",
        lambda: fig_pf.pf_graphical_model(2.5),
        "n_particles .* must be an integer",
    ),
    bad(
        "pf_graphical_model-str", lambda: fig_pf.pf_graphical_model("3"), "n_particles .* must be an integer"
    ),
    bad("graph_figure-T", lambda: fig_gen.graph_figure(10**6), "T .* must be at most 50"),
    bad(
        "sequences_figure-K",
        lambda: fig_gen.sequences_figure({"a": np.zeros((2, 3), int)}, 0),
        "n_symbols must be at least 1",
    ),
    bad(
        "sequences_figure-symbols",
        lambda: fig_gen.sequences_figure({"a": np.full((2, 3), 4)}, 2),
        r"samples\['a'\] has symbols outside",
    ),
    bad(
        "dependence_figure-unit",
        lambda: fig_gen.dependence_figure(np.zeros((3, 2)), [0, 1, 1], np.zeros((3, 2)), [0, 1, 1], unit=5),
        "unit must be at most 1",
    ),
]


@pytest.mark.parametrize("call, match", REFUSED)
def test_refused_with_a_value_error_naming_the_fault(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------------------- accepted inputs
def finite(shape=None):
    """A check: the result (an array, a float, or a tuple/NamedTuple of them) is finite and,
    for an array, of ``shape``."""

    def check(out):
        arrays = [out] if not isinstance(out, tuple) else [a for a in out if not isinstance(a, (int, bool))]
        for a in arrays:
            a = a.detach().numpy() if isinstance(a, torch.Tensor) else np.asarray(a, dtype=float)
            assert np.isfinite(a).all()
        if shape is not None:
            assert np.shape(arrays[0]) == shape

    return check


def ok(name, call, check):
    return pytest.param(call, check, id=name)


ACCEPTED = [
    ok(
        "HMM-torch-parameters",
        lambda: HMM(torch.tensor(PI), torch.tensor(A), torch.tensor(B)).filter([0, 1]),
        finite((2, 2)),
    ),
    ok("HMM-bool-startprob", lambda: HMM([True, False], np.eye(2), np.eye(2)).filter([0]), finite((1, 2))),
    ok("HMM-1x1", lambda: HMM([1.0], [[1.0]], [[1.0]]).filter([0, 0]), finite((2, 1))),
    ok("HMM.random-numpy-int", lambda: HMM.random(np.int64(3), 2, rng=np.uint8(4)).startprob, finite((3,))),
    ok("HMM.random-torch-int", lambda: HMM.random(torch.tensor(3), 2, rng=0).startprob, finite((3,))),
    ok(
        "HMM.random-huge-concentration",
        lambda: HMM.random(3, 3, rng=0, concentration=1e308).transmat,
        finite((3, 3)),
    ),
    ok(
        "HMM.random-tiny-concentration",
        lambda: HMM.random(3, 3, rng=0, concentration=1e-300).transmat,
        finite((3, 3)),
    ),
    ok(
        "HMM.random-generator", lambda: HMM.random(2, 2, rng=np.random.default_rng(0)).startprob, finite((2,))
    ),
    ok(
        "HMM.random-seedsequence",
        lambda: HMM.random(2, 2, rng=np.random.SeedSequence(0)).startprob,
        finite((2,)),
    ),
    ok("HMM.sample", lambda: H.sample(np.int32(2), 3, rng=0), finite((2, 3))),
    ok("HMM.filter-torch-obs", lambda: H.filter(torch.tensor([0, 1, 2])), finite((3, 2))),
    ok("HMM.filter-integral-floats", lambda: H.filter([0.0, 2.0]), finite((2, 2))),
    ok("HMM.filter-bools", lambda: H.filter([True, False]), finite((2, 2))),
    ok("HMM.filter-uint8", lambda: H.filter(np.array([[0, 1]], dtype=np.uint8)), finite((1, 2, 2))),
    ok("HMM.predict_next", lambda: H.predict_next([[0, 1, 2]]), finite((1, 3, 3))),
    ok("HMM.log_likelihood", lambda: H.log_likelihood([[0, 1], [2, 2]]), finite((2,))),
    ok("HMM.belief_operators", lambda: H.belief_operators(), finite((3, 2, 2))),
    ok(
        "HMM.from_hmmlearn",
        lambda: HMM.from_hmmlearn(
            SimpleNamespace(startprob_=H.startprob, transmat_=H.transmat, emissionprob_=H.emissionprob)
        ).filter([0]),
        finite((1, 2)),
    ),
    ok("hmm_filter-lists", lambda: hmm_filter(PI, A, B, [0, 1]).filtered, finite((2, 2))),
    ok("hmm_filter-batch", lambda: hmm_filter(PI, A, B, [[0, 1], [1, 2]]).log_likelihood, finite((2,))),
    ok("hmm.predict_next-lists", lambda: probrnn.hmm.predict_next([[0.5, 0.5]], A, B), finite((1, 3))),
    ok("particle_filter", lambda: particle_filter(H, [[0, 1], [2, 2]], 5, rng=0), finite((2, 2, 2))),
    ok(
        "particle_filter-torch-obs",
        lambda: particle_filter(H, torch.tensor([0, 1]), 5, rng=0).filtered,
        finite((2, 2)),
    ),
    ok(
        "particle_filter-systematic",
        lambda: particle_filter(H, [0, 1], 3, rng=1, resampling="systematic").ess,
        finite((2,)),
    ),
    ok("particle_filter-M-1", lambda: particle_filter(H, [0, 1, 2], 1, rng=0).log_likelihood, finite(())),
    ok("pfrnn.f-list", lambda: PFR.f(list(H0), 1), finite((7,))),
    ok("pfrnn.f-torch", lambda: PFR.f(torch.tensor(H0), torch.tensor(1)), finite((7,))),
    ok("pfrnn.step", lambda: PFR.step(H0, 1).weights, finite((4,))),
    ok("pfrnn.g", lambda: PFR.g(PFR.f(H0, 1)).next_symbol_probs, finite((3,))),
    ok("pfrnn.g_sample", lambda: PFR.g_sample(H0), finite(())),
    ok("pfrnn.propagate", lambda: PFR.propagate(PFR.initial_state(0, n=2)), finite((2, 4))),
    ok("pfrnn.run", lambda: PFR.run([[0, 1, 2]], 3), finite((1, 3, 7))),
    ok("pfrnn.particles", lambda: ParticleFilterRNN.particles(PFR.initial_state(0, 2)), finite((2, 4))),
    ok(
        "multinomial_resample-huge-weights",
        lambda: multinomial_resample([[1e308, 1e308]], [[0.3, 0.7]]),
        finite((1, 2)),
    ),
    ok("systematic_resample", lambda: systematic_resample([[0.2, 0.8]], [0.5]), finite((1, 2))),
    ok(
        "SequenceRNN.predict_next-torch", lambda: S.predict_next(torch.tensor([[0, 1, 2]])), finite((1, 3, 3))
    ),
    ok("SequenceRNN.log_likelihood-T-1", lambda: S.log_likelihood([0]), finite(())),
    ok(
        "SequenceRNN.log_likelihood-first",
        lambda: S.log_likelihood([[0, 1]], first_model=[0.2, 0.3, 0.5]),
        finite((1,)),
    ),
    ok(
        "SequenceRNN.log_likelihood-allow_zero",
        lambda: S.log_likelihood([1, 1], first_model=[0, 0.5, 0.5], allow_zero=True),
        finite(()),
    ),
    ok(
        "SequenceRNN.sample-first-torch",
        lambda: S.sample(2, 3, first=torch.tensor([0, 1]), rng=0),
        finite((2, 3)),
    ),
    ok("SequenceRNN.sample-T-1", lambda: S.sample(2, 1, rng=0), finite((2, 1))),
    ok(
        "EmpiricalFirstSymbol.fit-huge-pseudocount",
        lambda: EmpiricalFirstSymbol.fit([[0, 1]], 3, 1e308).probs,
        finite((3,)),
    ),
    ok(
        "EmpiricalFirstSymbol.log_prob-array",
        lambda: EmpiricalFirstSymbol([0.5, 0.5]).log_prob([[0, 1]]),
        finite((1, 2)),
    ),
    ok("StateRNN.predict_proba", lambda: ST.predict_proba(torch.tensor([0, 1, 2])), finite((3, 2))),
    ok("StateRNN.hidden_states", lambda: ST.hidden_states([[0, 1]]), finite((1, 2, 4))),
    ok(
        "StateRNN-seed-generator",
        lambda: StateRNN(3, 2, 2, seed=torch.Generator().manual_seed(1)).predict_proba([0]),
        finite((1, 2)),
    ),
    ok("exact.predict_proba", lambda: EX.predict_proba([[0, 1, 2]]), finite((1, 3, 2))),
    ok("exact.predict_next", lambda: EX.predict_next([0, 1]), finite((2, 3))),
    ok("exact.hidden_states", lambda: EX.hidden_states([0]), finite((1, 2))),
    ok(
        "fit_belief_probe-torch",
        lambda: fit_belief_probe(torch.tensor(HID), torch.tensor(BEL)).r2,
        finite(()),
    ),
    ok(
        "fit_belief_probe-constant-hidden",
        lambda: fit_belief_probe(np.zeros_like(HID), BEL).mean_tv,
        finite(()),
    ),
    ok("BeliefProbe.predict-1d", lambda: PROBE.predict(np.zeros(4)), finite((2,))),
    ok("BeliefProbe.predict-large", lambda: PROBE.predict(np.full((1, 4), 1e100)), finite((1, 2))),
    ok("G.sample", lambda: G.sample(2, 3, rng=0)[0], finite((2, 3, 3))),
    ok(
        "G.conditional-torch-prefix",
        lambda: G.conditional(torch.tensor([0, 1]), method="enumerate"),
        finite((2,)),
    ),
    ok("G.conditional-monte_carlo", lambda: G.conditional([0, 1], n_samples=50, rng=0), finite((2,))),
    ok("G.rnn_conditional", lambda: G.rnn_conditional([0, 1]), finite((2,))),
    ok(
        "Noisy.conditional-large-noise",
        lambda: NoisyRNNGraphicalModel(G.rnn, 1e3, horizon=3).conditional([0, 1, 1], n_samples=50, rng=0),
        finite((2,)),
    ),
    ok(
        "theorem5_table-one-method-string",
        lambda: theorem5_table(G, G.rnn, max_length=2, methods="enumerate")[["rnn", "enumerate"]].to_numpy(),
        finite((12, 2)),
    ),
    ok("sample_future", lambda: sample_future(G, np.int64(1), 10, rng=0), finite((10, 3))),
    ok("sample_future-h_prev", lambda: sample_future(G, 1.0, 10, h_prev=[1e300] * 3, rng=0), finite((10, 3))),
    ok(
        "future_dependence",
        lambda: future_dependence(np.random.default_rng(0).random((5, 3)), [0, 1, 1, 0, 1]),
        finite((3,)),
    ),
    ok(
        "compare_posteriors-torch",
        lambda: compare_posteriors(torch.tensor(P3), torch.tensor(P3), torch.tensor(S3))["accuracy"],
        finite(()),
    ),
    ok(
        "compare_posteriors-within-tolerance",
        lambda: compare_posteriors(P3 * (1 + 1e-7), P3, S3)["log_loss"],
        finite(()),
    ),
    ok("total_variation-broadcast", lambda: total_variation(np.full((3, 2), 0.5), [1, 0]), finite((3,))),
    ok(
        "next_symbol_cross_entropy",
        lambda: next_symbol_cross_entropy(np.full((2, 3, 2), 0.5), S3),
        finite(()),
    ),
    ok("fig5_points", lambda: np.array([len(fig5_points(ks=[1], ns=[200]))]), finite((1,))),
    ok("fig7-pf-only", lambda: _pf_table()[["accuracy", "agreement", "mean_tv"]].to_numpy(), finite((1, 3))),
    ok("pf_convergence", lambda: pf_convergence(Ms=[5, 10], n_reps=1)["mean_tv"].to_numpy(), finite((4,))),
    ok(
        "recompute_pf_row-floats",
        lambda: np.array(
            [
                recompute_pf_row(
                    {"kind": "pf", "seed": 0.0, "scale": "quick", "d": 2.0, "rep": 0.0, "n_test": 10.0}
                )["accuracy"]
            ]
        ),
        finite((1,)),
    ),
    ok(
        "sticky_hmm-extreme",
        lambda: sticky_hmm(3, 3, rng=0, emission_concentration=1e-300).emissionprob,
        finite((3, 3)),
    ),
    ok("memoryless_cross_entropy", lambda: memoryless_cross_entropy(Z, [[0, 2]]), finite(())),
    ok("metrics.near_ties", lambda: near_ties(P3).astype(float), finite((2, 3))),
    ok(
        "recompute_row-floats-and-no-k_planned",
        lambda: np.array([recompute_row(SMALL_ROW)["accuracy"]]),
        finite((1,)),
    ),
]


@pytest.mark.parametrize("call, check", ACCEPTED)
def test_accepted_inputs_give_finite_results_of_the_documented_shape(call, check):
    check(call())


def test_figures_accept_well_formed_tables():
    pf = _pf_table()
    assert len(fig7_figure(pf).data) > 0
    conv = pf_convergence(Ms=[5, 10], n_reps=1)
    assert len(pf_convergence_figure(conv).data) > 0
    assert convergence_slope(conv)[0] < 0
    pred = pd.DataFrame(
        {
            "m": [2, 2],
            "n": [10, 20],
            "predictor": ["rnn", "rnn"],
            "excess_ce": [0.1, -0.01],
            "ce_memoryless": [0.5, 0.5],
            "ce_optimal": [0.3, 0.3],
            "replicate": [0, 0],
        }
    )
    assert len(predictive_figure(pred).data) > 0
    assert len(summarize(pred)) == 2


# ---------------------------------------------------------------------------- trainer faults
@pytest.mark.parametrize("tasks", [None, 3, "abc"])
def test_trainer_tasks_not_a_sequence(tasks):
    with pytest.raises(ValueError, match="tasks"):
        fit_state_rnns(tasks, n_symbols=3, hidden_size=2)


# ---------------------------------------------------------------------------- numerics
def log_space_forward(pi, A, B, obs):
    """Reference: log p(H_t | x_1..t) (T, m) and log p(x_t | x_<t) (T,), every step in log
    space with logsumexp (no scaling, no fallback: an independent implementation)."""
    with np.errstate(divide="ignore"):
        lpi, lA, lB = np.log(pi), np.log(A), np.log(B)
    lf, lc = np.empty((len(obs), len(pi))), np.empty(len(obs))
    for t, x in enumerate(obs):
        pred = lpi if t == 0 else logsumexp(lf[t - 1][:, None] + lA, axis=0)
        a = pred + lB[:, x]
        lc[t] = logsumexp(a)
        lf[t] = a - lc[t]
    return lf, lc


def log_space_enumeration(pi, A, B, obs):
    """Reference by brute force: log p(x_1..T) and log p(H_T | x_1..T), summing every hidden
    path's log-joint with logsumexp."""
    with np.errstate(divide="ignore"):
        lpi, lA, lB = np.log(pi), np.log(A), np.log(B)
    m, T = len(pi), len(obs)
    joint = np.full(m, -np.inf)
    for path in itertools.product(range(m), repeat=T):
        lj = lpi[path[0]] + lB[path[0], obs[0]]
        for t in range(1, T):
            lj += lA[path[t - 1], path[t]] + lB[path[t], obs[t]]
        joint[path[-1]] = np.logaddexp(joint[path[-1]], lj)
    ll = logsumexp(joint)
    return ll, joint - ll


def test_subnormal_normaliser_gives_finite_correct_beliefs():
    """The issue's example: a normaliser of 1e-310 must not overflow its reciprocal."""
    f = SUBNORMAL.filter([1, 1])
    assert np.isfinite(f).all()
    np.testing.assert_allclose(f, [[1, 0], [1, 0]])
    ll, last = log_space_enumeration(SUBNORMAL.startprob, SUBNORMAL.transmat, SUBNORMAL.emissionprob, [1, 1])
    assert SUBNORMAL.log_likelihood([1, 1]) == pytest.approx(ll, rel=1e-12)
    assert ll == pytest.approx(np.log(0.5) + 2 * np.log(1e-310), rel=1e-12)
    np.testing.assert_allclose(exact_forward_rnn(SUBNORMAL).predict_proba([1, 1]), f)


def test_particle_filter_ess_is_finite_where_the_weights_are_subnormal():
    """The ESS of the issue's example, against the ESS of the same proposals recomputed in log
    space (the filter as an RNN replays the proposals exactly)."""
    M, obs = 50, [1, 1, 0, 1]
    res = particle_filter(SUBNORMAL, obs, M, rng=3)
    assert np.isfinite(res.ess).all() and np.isfinite(res.filtered).all()
    assert ((res.ess >= 1) & (res.ess <= M)).all()
    rnn, h = ParticleFilterRNN(SUBNORMAL, M), ParticleFilterRNN(SUBNORMAL, M).initial_state(3)
    with np.errstate(divide="ignore"):
        log_b = np.log(SUBNORMAL.emissionprob)
    for t, x in enumerate(obs):
        step = rnn.step(h, x)
        lw = log_b[step.proposed, x]
        ess = np.exp(2 * logsumexp(lw) - logsumexp(2 * lw))
        assert res.ess[t] == pytest.approx(ess, rel=1e-12)
        assert res.log_normalizers[t] == pytest.approx(logsumexp(lw) - np.log(M), rel=1e-12)
        h = step.h


def test_empty_state_with_a_far_larger_likelihood_does_not_give_nan():
    """All particles sit in a state whose likelihood is subnormal while an empty state's is 1:
    1 / 1e-310 must not enter the weights."""
    hmm = HMM([0, 1], np.eye(2), [[0, 1], [1 - 1e-310, 1e-310]])
    res = particle_filter(hmm, [1, 1], 5, rng=0)
    assert np.isfinite(res.ess).all() and (res.ess == 5).all()
    assert res.log_likelihood == pytest.approx(2 * np.log(1e-310), rel=1e-12)
    step = ParticleFilterRNN(hmm, 5).step(ParticleFilterRNN(hmm, 5).initial_state(0), 1)
    np.testing.assert_allclose(step.weights, 0.2)


def test_likelihood_near_1e_minus_400_is_reported_as_such():
    """Probabilities of 1e-200 twice in one step: p(x_1) = p(H_1 = 1) p(x_1 | H_1 = 1) =
    1e-200 * 1e-200, and p(x_1, x_2) = 1e-600."""
    pi, A_, B_ = [1 - 1e-200, 1e-200], np.eye(2), [[1, 0], [1 - 1e-200, 1e-200]]
    hmm = HMM(pi, A_, B_)
    ref, ref_last = log_space_enumeration(hmm.startprob, hmm.transmat, hmm.emissionprob, [1, 1])
    assert ref == pytest.approx(3 * np.log(1e-200), rel=1e-12)
    ll = hmm.log_likelihood([1, 1])
    assert np.isfinite(ll) and ll == pytest.approx(ref, rel=1e-12)
    np.testing.assert_allclose(hmm.filter([1, 1])[-1], np.exp(ref_last), atol=1e-15)
    res = hmm_filter(pi, A_, B_, [1, 1])
    assert res.log_likelihood == pytest.approx(ref, rel=1e-12)
    assert res.log_normalizers[0] == pytest.approx(np.log(1e-200) * 2, rel=1e-12)
    np.testing.assert_allclose(exact_forward_rnn(hmm).predict_proba([1, 1]), [[0, 1], [0, 1]], atol=1e-15)


def test_subnormal_products_do_not_lose_a_state_that_becomes_likely():
    """A state whose product p(x | h) p(h | past) is 1e-323 (subnormal: one digit) while the
    normaliser is an ordinary 1e-100; the next symbol only that state can emit. The filter
    must keep all the digits (it redoes such a step in log space), or the log-likelihood is off
    by a percent."""
    pi = [1 - 1e-200, 1e-200]
    A_ = np.eye(2)
    B_ = [[1e-100, 1 - 1e-100, 0], [1e-123, 0.5, 0.5 - 1e-123]]
    hmm = HMM(pi, A_, B_)
    obs = [0, 2]
    lf, lc = log_space_forward(hmm.startprob, hmm.transmat, hmm.emissionprob, obs)
    np.testing.assert_allclose(hmm.filter(obs), np.exp(lf), rtol=1e-12, atol=1e-300)
    assert hmm.log_likelihood(obs) == pytest.approx(lc.sum(), rel=1e-12)


def test_rows_within_tolerance_are_renormalised_so_no_log_probability_exceeds_zero():
    hmm = HMM([0.5, 0.5 + 4e-7], [[1 + 5e-7, 0.0], [0.3, 0.7 + 5e-7]], [[1.0 + 9e-7], [1.0]])
    assert np.log(hmm.startprob).max() <= 0 and np.log(hmm.emissionprob).max() <= 0
    assert abs(hmm.startprob.sum() - 1) < 1e-15 and np.abs(hmm.transmat.sum(1) - 1).max() < 1e-15
    assert hmm.transmat[0, 0] == 1.0 and hmm.emissionprob.max() == 1.0
    assert hmm.log_likelihood([0, 0, 0]) <= 0
    assert EmpiricalFirstSymbol([0.5, 0.5 + 9e-7]).log_prob([0, 1]).max() <= 0
    assert S.log_likelihood([0, 1], first_model=[1 + 9e-7, 0, 0]) <= 0
    probs = np.full((1, 2, 2), 0.5 + 4e-7)
    assert next_symbol_cross_entropy(probs, [[0, 1]]) >= 0
    assert compare_posteriors(probs, probs, [[0, 1]])["log_loss"] >= 0


def test_hmm_filter_wrapper_agrees_with_the_model_and_keeps_the_pure_kernel():
    from probrnn.hmm import forward

    obs = np.array([[0, 1, 2], [2, 2, 1]])
    res = hmm_filter(PI, A, B, obs.tolist())
    np.testing.assert_array_equal(res.filtered, H.filter(obs))
    np.testing.assert_array_equal(res.log_likelihood, H.log_likelihood(obs))
    single = hmm_filter(PI, A, B, [0, 1, 2])
    assert single.filtered.shape == (3, 2) and single.log_normalizers.shape == (3,)
    assert np.isneginf(
        hmm_filter([1, 0], np.eye(2), [[1, 0], [0, 1]], [0, 1], allow_zero=True).log_likelihood
    )
    assert probrnn.hmm_filter is hmm_filter is probrnn.hmm.hmm_filter
    assert forward.hmm_filter is not hmm_filter  # the trusted kernel is still there, unchanged


def test_exact_rnn_start_up_term_does_not_leak_pi():
    """1 - 1'h is 1e-16, not 0, after rounding: that share of pi must not reach a state whose
    belief is far smaller than it."""
    pi = [1 / 3, 1 / 3, 1 / 3]
    A_ = np.eye(3)
    B_ = [[1e-200, 0.5, 0.5], [0.9, 5e-151, 0.1], [0.7, 1e-151, 0.3]]
    hmm = HMM(pi, A_, B_)
    obs = [0, 2, 2, 2, 1]  # state 0 is at 1e-200 after x_1; x_5 favours it by 1e150
    lf, _ = log_space_forward(hmm.startprob, hmm.transmat, hmm.emissionprob, obs)
    np.testing.assert_allclose(exact_forward_rnn(hmm).predict_proba(obs), np.exp(lf), rtol=1e-10, atol=1e-300)


# ---------------------------------------------------------------------------- hidden global state
def test_models_draw_their_weights_from_their_seed_never_the_global_generators():
    torch_state, np_state = torch.get_rng_state(), np.random.get_state()[1].copy()  # noqa: NPY002
    nets = [
        SequenceRNN(3, 4, seed=7),
        SequenceRNN(3, 4, seed=7),
        StateRNN(3, 2, 4, seed=7),
        untrained_state_rnn(3, 2, 4, seed=7),
        SequenceRNN(3, 4, cell="lstm", seed=None),
        StateRNN(3, 2, 4, cell="gru"),
    ]
    HMM.random(3, 3)
    assert torch.equal(torch.get_rng_state(), torch_state)
    np.testing.assert_array_equal(np.random.get_state()[1], np_state)  # noqa: NPY002
    for a, b in zip(nets[0].parameters(), nets[1].parameters(), strict=True):
        assert torch.equal(a, b)
    for a, b in zip(nets[2].parameters(), nets[3].parameters(), strict=True):
        assert torch.equal(a, b)
    torch.manual_seed(0)
    first = SequenceRNN(3, 4)
    torch.manual_seed(0)
    second = SequenceRNN(3, 4)  # seed=None: fresh entropy, not torch's (reset) global state
    assert not all(torch.equal(a, b) for a, b in zip(first.parameters(), second.parameters(), strict=True))


def test_map_threads_reports_a_failure_at_once_and_cancels_the_rest():
    started = []

    def job(i):
        started.append(i)
        if i == 1:
            time.sleep(0.05)
            raise RuntimeError("job 1 failed")
        time.sleep(3.0)
        return i

    start = time.perf_counter()
    with pytest.raises(RuntimeError, match="job 1 failed") as info:
        map_threads(job, [(i,) for i in range(8)], workers=2)
    assert time.perf_counter() - start < 2.0  # not after job 0 (3 s), nor after all 8 (12 s)
    assert "job 1 of 8" in "".join(getattr(info.value, "__notes__", ["job 1 of 8"]))
    time.sleep(0.2)  # job 1's worker is free: it would have begun job 2 by now
    assert sorted(started) == [0, 1]  # jobs 2..7 never began (job 0 ends in the background)


@pytest.mark.parametrize(
    "jobs, match",
    [
        (None, "jobs must be a sequence"),
        ([1], r"jobs\[0\] must be a tuple"),
        ("ab", "jobs must be a sequence"),
    ],
)
def test_map_threads_refuses_bad_jobs(jobs, match):
    with pytest.raises(ValueError, match=match):
        map_threads(pow, jobs)
    with pytest.raises(ValueError, match="fn must be callable"):
        map_threads(3, [(1,)])


# ---------------------------------------------------------------------------- import order
IMPORT_ORDER_CHECK = """
import inspect, sys, probrnn, probrnn.experiments as e
import probrnn.experiments.rnn_generative, probrnn.particle_filter.bootstrap
assert inspect.isfunction(e.predictive), e.predictive
assert inspect.isfunction(e.fig7) and inspect.isfunction(e.fig5)
assert inspect.isfunction(probrnn.particle_filter), probrnn.particle_filter
assert inspect.isfunction(probrnn.hmm_filter)
assert inspect.isclass(probrnn.SequenceRNN) and inspect.isclass(probrnn.HMM)
from probrnn import *
from probrnn.__main__ import EXPERIMENTS
assert sorted(EXPERIMENTS) == sorted(e.REGISTRY)
"""
LIGHT_IMPORTS = """
import inspect, sys
import probrnn.particle_filter.streams, probrnn.__main__
assert inspect.isfunction(probrnn.particle_filter), probrnn.particle_filter
assert 'torch' not in sys.modules, 'import probrnn loaded torch'
probrnn.StateRNN
assert 'torch' in sys.modules
"""


def test_public_names_do_not_depend_on_import_order():
    """``probrnn.experiments.predictive`` is the function whichever module is imported first
    (each order in a fresh interpreter, run side by side), and ``import probrnn`` (as the
    command line does) loads no torch."""
    codes = [
        f"import {first}\n{IMPORT_ORDER_CHECK}"
        for first in ("probrnn.experiments.rnn_generative", "probrnn.experiments", "probrnn.__main__")
    ]
    codes.append(LIGHT_IMPORTS)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        for code in codes
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err


# ---------------------------------------------------------------------------- the command line
def _env():
    return {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _cli(*args, cwd):
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "probrnn", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=_env(),
        timeout=120,
    )
    return done, time.perf_counter() - start


def _unwritable(tmp_path):
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        return str(locked)
    return "/proc/self"  # even root cannot create files there


@pytest.mark.parametrize("kind", ["file", "under-a-file", "unwritable", "empty"])
def test_cli_refuses_a_bad_out_before_computing_anything(tmp_path, kind):
    (tmp_path / "afile").write_text("keep me")
    out = {
        "file": "afile",
        "under-a-file": "afile/results",
        "unwritable": _unwritable(tmp_path),
        "empty": "",
    }[kind]
    done, seconds = _cli("reproduce", "fig7", "--scale", "quick", "--out", out, cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("python -m probrnn reproduce: error: --out")
    assert "Traceback" not in done.stderr and "running" not in done.stdout
    assert seconds < 10  # torch and the experiments are not even imported (about 0.3 s)
    assert (tmp_path / "afile").read_text() == "keep me"


@pytest.mark.parametrize(
    "args, match",
    [
        (["reproduce", "fig7", "--seed", "-1"], "--seed"),
        (["reproduce", "fig7", "--seed", "1.5"], "--seed"),
        (["reproduce", "fig7", "--seed", "99999999999999999999"], "--seed"),
        (["reproduce", "fig7", "--scale", "huge"], "--scale"),
        (["reproduce", "fig99"], "invalid choice"),
        (["reproduce"], "names"),
    ],
)
def test_cli_refuses_bad_arguments_with_one_usage_error(tmp_path, args, match):
    done, _ = _cli(*args, cwd=tmp_path)
    assert done.returncode == 2 and match in done.stderr and "Traceback" not in done.stderr


def test_reproduce_refuses_before_computing(tmp_path):
    from probrnn.__main__ import reproduce

    with pytest.raises(ValueError, match="unknown experiment 'fig99'"):
        reproduce(["fig99"], "quick", tmp_path)
    with pytest.raises(ValueError, match="experiments is empty"):
        reproduce([], "quick", tmp_path)
    with pytest.raises(ValueError, match="unknown scale 'big'"):
        reproduce("fig7", "big", tmp_path)
    with pytest.raises(ValueError, match="--seed must be an integer"):
        reproduce("fig7", "quick", tmp_path, seed=1.5)
    with pytest.raises(ValueError, match="--out must be a path"):
        reproduce("fig7", "quick", 3)
    with pytest.raises(ValueError, match="--out .* holds a NUL character"):
        reproduce("fig7", "quick", str(tmp_path / "a\x00b"))
    assert list(tmp_path.iterdir()) == []


def test_files_are_written_atomically(tmp_path):
    from probrnn.__main__ import write_atomic

    target = tmp_path / "table.csv"
    target.write_text("old table\n")

    def half_then_fail(path):
        path.write_text("half a tab")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, half_then_fail)
    assert target.read_text() == "old table\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]  # no temporary file left
    write_atomic(target, lambda p: p.write_text("new table\n"))
    assert target.read_text() == "new table\n"
    assert target.stat().st_mode & 0o044  # readable by others, not mkstemp's private 0600


# ---------------------------------------------------------------------------- results loaders
def test_load_results_names_every_place_it_looked_and_never_fetches(tmp_path, monkeypatch):
    from probrnn.experiments.common import ResultsNotFoundError, repository_root

    def no_network(*args, **kwargs):
        raise AssertionError("load_results tried the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    start = tmp_path / "a" / "b"
    start.mkdir(parents=True)
    with pytest.raises(ValueError, match="no results/nowhere_table.csv in") as info:
        load_results("nowhere_table", start=start)
    assert isinstance(info.value, (FileNotFoundError, ResultsNotFoundError))
    message = str(info.value)
    for folder in (start, start.parent, tmp_path, repository_root()):
        assert str(folder / "results") in message
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "t.csv").write_text("a,b\n1,2\n")
    assert load_results("t", start=start).shape == (1, 2)
    (tmp_path / "results" / "empty.csv").write_text("")
    with pytest.raises(ValueError, match="could not read .*empty.csv"):
        load_results("empty", start=start)
    (tmp_path / "results" / "header.csv").write_text("a,b\n")
    with pytest.raises(ValueError, match="header.csv has no rows"):
        load_results("header", start=start)


# ---------------------------------------------------------------------------- experiments record what ran
def test_experiments_record_integer_seeds_and_the_grid_that_ran():
    df = fig7(rnn=False, sizes=[3, 1, 3], n_reps=1, seed=np.int64(5))
    assert sorted(df["d"]) == [1, 3] and set(df["seed"]) == {5}
    assert df["seed"].dtype.kind == "i" and df["d"].dtype.kind == "i"
    points = fig5_points(ks=[1], ns=[200], hmm_indices=[2], seed=np.uint16(9))
    assert [(p["k_planned"], p["n_train"], p["hmm_index"], p["seed"]) for p in points] == [(1, 200, 2, 9)]
    assert all(type(p["seed"]) is int for p in points)
