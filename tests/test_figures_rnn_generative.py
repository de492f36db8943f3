"""The display tables that chapter 2's cells build through ``probrnn.figures.rnn_generative``
(moved out of the chapter so that its code cells stay short)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from probrnn.figures.rnn_generative import bigram_table, first_symbol_table, ngram_figure

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- first_symbol_table
def test_first_symbol_table_puts_the_three_distributions_side_by_side():
    truth, emp, g0 = [0.7, 0.2, 0.1], np.array([0.68, 0.22, 0.1]), np.array([0.3, 0.3, 0.4])
    table = first_symbol_table(truth, emp, g0)
    assert isinstance(table, pd.DataFrame)
    assert list(table.columns) == ["true P(X_1)", "empirical (first_model)",
                                   "g(h_0), never trained for it"]
    assert list(table.index) == [0, 1, 2]
    np.testing.assert_allclose(table.to_numpy(), np.stack([truth, emp, g0], axis=1))


@pytest.mark.parametrize("args,message", [
    (([0.5, 0.5], [0.5, 0.5], [0.2, 0.3, 0.5]), "same length K"),
    (([0.5, 0.6], [0.5, 0.5], [0.5, 0.5]), "truth must sum to 1"),
    (([0.5, 0.5], [1.5, -0.5], [0.5, 0.5]), "empirical has negative entries"),
    (([0.5, 0.5], [0.5, 0.5], [[0.5, 0.5]]), "g_h0 must be 1-D"),
])
def test_first_symbol_table_rejects_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        first_symbol_table(*args)


# --------------------------------------------------------------------------- bigram_table
def test_bigram_table_counts_pairs_and_their_standard_errors():
    a = np.array([[0, 1, 1], [1, 1, 0]])  # pairs 01 11 | 11 10
    b = np.array([[0, 0, 0], [0, 0, 0], [0, 0, 1]])  # pairs 00 00 | 00 00 | 00 01
    table = bigram_table({"A": a, "B": b}, n_symbols=2)
    assert list(table.columns) == ["ngram", "source", "freq", "se"]
    assert list(table.source) == ["A"] * 4 + ["B"] * 4
    assert list(table.ngram) == ["00", "01", "10", "11"] * 2
    A, B = table[table.source == "A"], table[table.source == "B"]
    np.testing.assert_allclose(A.freq, [0, 1 / 4, 1 / 4, 2 / 4])
    np.testing.assert_allclose(B.freq, [5 / 6, 1 / 6, 0, 0])
    # per-sequence shares of A: 01 -> (1/2, 0), 10 -> (0, 1/2), 11 -> (1/2, 1/2)
    se_a = np.std([0.5, 0], ddof=1) / np.sqrt(2)
    np.testing.assert_allclose(A.se, [0, se_a, se_a, 0])
    np.testing.assert_allclose(B.se, [np.std([1, 1, 0.5], ddof=1) / np.sqrt(3)] * 2 + [0, 0])
    for src in ("A", "B"):
        assert table[table.source == src].freq.sum() == pytest.approx(1)
    fig = ngram_figure(table)  # the table is ngram_figure's input
    assert [t.name for t in fig.data] == ["A", "B"]


def test_bigram_table_matches_a_direct_count_on_random_sequences():
    obs = np.random.default_rng(0).integers(0, 3, size=(50, 7))
    table = bigram_table({"x": obs}, n_symbols=3)
    assert len(table) == 9
    for (a, b), freq in zip([(a, b) for a in range(3) for b in range(3)], table.freq, strict=True):
        assert freq == pytest.approx(((obs[:, :-1] == a) & (obs[:, 1:] == b)).mean())


@pytest.mark.parametrize("samples,n_symbols,message", [
    ({}, 2, "non-empty dict"),
    ([[0, 1], [1, 0]], 2, "non-empty dict"),
    ({"A": np.array([[0, 2], [1, 0]])}, 2, r"samples\['A'\] has symbols outside \[0, 2\)"),
    ({"A": np.array([[0, 1, 1]])}, 2, "n >= 2 sequences"),
    ({"A": np.array([[0], [1]])}, 2, "T >= 2 steps"),
    ({"A": np.array([0, 1, 1])}, 2, r"must be \(n, T\)"),
    ({"A": np.array([[0, 1], [1, 0]])}, 0, "n_symbols"),
])
def test_bigram_table_rejects_bad_input(samples, n_symbols, message):
    with pytest.raises(ValueError, match=message):
        bigram_table(samples, n_symbols)
