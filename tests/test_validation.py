"""Every bad input of the foundation issue gets a ValueError that names the fault."""

import numpy as np
import pytest

from probrnn import HMM

PI = [0.5, 0.5]
A = [[0.9, 0.1], [0.2, 0.8]]
B = [[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]]


@pytest.mark.parametrize(
    "args,match",
    [
        (([0.5, 0.6], A, B), r"startprob must sum to 1 \(got a sum of 1.1\)"),
        ((PI, [[0.9, 0.2], [0.2, 0.8]], B), r"rows of transmat must sum to 1 \(got row sums of row 0: 1.1\)"),
        ((PI, A, [[0.5, 0.3, 0.2], [0.1, 0.1, 0.1]]), r"rows of emissionprob .*row 1: 0.3"),
        ((PI, [[0.9, 0.1, 0.0], [0.2, 0.8, 0.0]], B), r"transmat must have shape \(m, m\)"),
        ((PI, [[1.0]], B), r"transmat must have shape \(m, m\) = \(2, 2\)"),
        ((PI, A, [[0.5, 0.5]]), r"emissionprob must have shape \(m, K\) with m = 2"),
        (([[0.5, 0.5]], A, B), r"startprob must be 1-D"),
        (([1.2, -0.2], A, B), r"startprob has negative entries"),
        (([np.nan, 1.0], A, B), r"startprob has NaN or infinite"),
        ((PI, [[np.inf, 0.0], [0.2, 0.8]], B), r"transmat has NaN or infinite"),
        (([], A, B), r"startprob is empty"),
        ((PI, A, np.zeros((2, 0))), r"emissionprob is empty"),
        ((["a", "b"], A, B), r"startprob must hold numbers"),
    ],
)
def test_bad_parameters(args, match):
    with pytest.raises(ValueError, match=match):
        HMM(*args)


def test_all_bad_rows_are_listed():
    with pytest.raises(ValueError, match=r"row 0: 0.5, row 2: 2"):
        HMM([1, 0, 0], [[0.5, 0, 0], [0, 1, 0], [1, 1, 0]], [[1], [1], [1]])


@pytest.mark.parametrize(
    "obs,match",
    [
        ([0, 1, 3], r"symbols outside \[0, 3\): \[3\]"),
        ([[0, 1], [-1, 2]], r"symbols outside \[0, 3\): \[-1\] \(first at index \[1, 0\]\)"),
        ([0.5, 1.0], r"must hold integer symbols .*non-integer"),
        ([np.nan, 1.0], r"must hold integer symbols"),
        (["a", "b"], r"must hold integer symbols"),
        ([], r"obs is empty"),
        (np.zeros((0, 5), dtype=int), r"obs is empty"),
        (np.zeros((3, 0), dtype=int), r"obs is empty"),
        (np.zeros((2, 2, 2), dtype=int), r"shape \(T,\) or \(n, T\)"),
        ([[0, 1, 2], [0, 1]], r"different lengths \[2, 3\]"),
        (5, r"shape \(T,\) or \(n, T\)"),
    ],
)
@pytest.mark.parametrize("method", ["filter", "predict_next", "log_likelihood"])
def test_bad_observations(obs, match, method):
    hmm = HMM(PI, A, B)
    with pytest.raises(ValueError, match=match):
        getattr(hmm, method)(obs)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(m=0, n_symbols=3), r"m \(number of hidden states\) must be at least 1 \(got 0\)"),
        (dict(m=-2, n_symbols=3), r"must be at least 1"),
        (dict(m=2.5, n_symbols=3), r"m \(number of hidden states\) must be an integer"),
        (dict(m=2, n_symbols=0), r"n_symbols must be at least 1"),
        (dict(m=2, n_symbols=3, concentration=0), r"concentration must be > 0"),
        (dict(m=2, n_symbols=3, concentration=-1.0), r"concentration must be > 0"),
        (dict(m=2, n_symbols=3, concentration="x"), r"concentration must be a real number"),
        (dict(m=2, n_symbols=3, concentration=float("inf")), r"concentration must be finite"),
        (dict(m=2, n_symbols=3, rng="seed"),
         r"rng must be a non-negative integer seed, a numpy.random.Generator or None"),
        (dict(m=2, n_symbols=3, rng=1.5), r"rng must be a non-negative integer seed"),
        (dict(m=2, n_symbols=3, rng=-1), r"non-negative"),
    ],
)
def test_bad_random_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        HMM.random(**kwargs)


@pytest.mark.parametrize(
    "n,T,match",
    [(-1, 5, r"n \(number of sequences\) must be at least 1 \(got -1\)"),
     (0, 5, r"n \(number of sequences\) must be at least 1 \(got 0\)"),
     (3, 0, r"T \(sequence length\) must be at least 1 \(got 0\)"),
     (3, -4, r"T \(sequence length\) must be at least 1"),
     (2.0, 5, r"n \(number of sequences\) must be an integer"),
     (3, True, r"T \(sequence length\) must be an integer")],
)
def test_bad_sample_arguments(n, T, match):
    with pytest.raises(ValueError, match=match):
        HMM(PI, A, B).sample(n, T, rng=0)


def test_from_hmmlearn_without_parameters():
    from hmmlearn.hmm import CategoricalHMM

    with pytest.raises(ValueError, match="has no startprob_"):
        HMM.from_hmmlearn(CategoricalHMM(n_components=2))
