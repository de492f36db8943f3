"""Checkers for the exercises of the chapter *RNNs as generative models and as graphical
models*.

``ex-gen-3`` checks the student's Theorem 5 table against the network it must describe (rebuilt
here from the seed); ``ex-gen-4`` trains through the student's function, so it takes seconds.
"""

from __future__ import annotations

import numpy as np

from ..hmm import HMM
from .result import CaseFailed, as_array, checked


def _all_prefixes(K: int, max_length: int) -> list[str]:
    import itertools

    return ["".join(map(str, p)) for t in range(1, max_length + 1)
            for p in itertools.product(range(K), repeat=t)]


def check_lstm_theorem5(attempt):
    """ex-gen-3: ``lstm_theorem5(seed)`` returns the :func:`probrnn.graphical.theorem5_table` of
    ``SequenceRNN(4, 6, "lstm", num_layers=2, seed=seed)`` wrapped in
    ``RNNGraphicalModel(..., horizon=3)``, for every prefix of length 1 to 3."""
    from ..rnn import SequenceRNN

    def case(seed):
        def body():
            table = attempt(seed)
            cols = {"prefix", "x", "rnn", "monte_carlo_z", "enumerate_abs_error"}
            if not hasattr(table, "columns") or not cols <= set(table.columns):
                raise CaseFailed(f"expected the DataFrame of theorem5_table (columns {sorted(cols)} "
                                 f"among others), got {type(table).__name__}")
            want = _all_prefixes(4, 3)
            have = set(table["prefix"].astype(str))
            missing = [p for p in want if p not in have]
            if missing:
                raise CaseFailed(f"your table covers {len(have)} prefixes; Theorem 5 is to be checked "
                                 f"for all {len(want)} prefixes of length 1 to 3 over 4 symbols "
                                 f"(4 + 16 + 64); missing for instance {missing[:3]} (is max_length 3 "
                                 f"and the network built for 4 symbols?).")
            rnn = SequenceRNN(4, 6, "lstm", num_layers=2, seed=seed)
            for prefix in ("0", "31", "123"):
                g = rnn.predict_next(np.array([int(c) for c in prefix]))[-1]
                rows = table[table["prefix"].astype(str) == prefix].sort_values("x")
                got = rows["rnn"].to_numpy(dtype=float)
                if got.shape != g.shape or not np.allclose(got, g, atol=1e-6):
                    raise CaseFailed(f"for prefix {prefix} your 'rnn' column is {np.round(got, 4)}, but "
                                     f"SequenceRNN(4, 6, 'lstm', num_layers=2, seed={seed}) predicts "
                                     f"{np.round(g, 4)}: build the network from the seed you are given.")
            z = table["monte_carlo_z"].abs().max()
            err = table["enumerate_abs_error"].max()
            if not z < 4:
                raise CaseFailed(f"a Monte Carlo estimate is {z:.1f} standard errors from the network's "
                                 f"prediction (the chapter accepts |z| < 4): use enough samples "
                                 f"(20,000 per prefix) and the graphical model of the same network.")
            if not err < 1e-6:
                raise CaseFailed(f"enumeration differs from the network by up to {err:.2e} (should be "
                                 f"below 1e-6): is the graphical model built on the same network?")
        return body

    return checked("ex-gen-3", "Theorem 5 for an LSTM over four symbols",
                   [(f"seed = {s}", case(s), f"lstm_theorem5({s})") for s in (5, 11)])


def _first_symbol_data(seed: int):
    A = np.full((3, 3), 0.05) + 0.85 * np.eye(3)
    B = np.full((3, 3), 0.1) + 0.7 * np.eye(3)
    starts = {0: [0.9, 0.05, 0.05], 1: [0.1, 0.2, 0.7]}
    hmm = HMM(startprob=starts[seed], transmat=A, emissionprob=B)
    _, train = hmm.sample(3000, 20, rng=seed + 1)
    return hmm.startprob @ hmm.emissionprob, train


def check_first_symbol_model(attempt):
    """ex-gen-4: ``first_symbol_model(train, n_symbols, seed)`` trains a next-symbol RNN on
    ``train`` (n, T) with a start symbol prepended and returns its prediction after the start
    symbol, renormalised over the n_symbols real symbols: an estimate of P(X_1), (K,)."""

    def case(seed):
        def body():
            p_first, train = _first_symbol_data(seed)
            got = attempt(train.copy(), 3, seed)
            arr = as_array(got, "P(X_1)", (3,))
            if arr.shape == (4,):
                raise CaseFailed("you return 4 probabilities, the start symbol's included; drop its "
                                 "entry and renormalise over the 3 real symbols.")
            if arr.shape != (3,):
                raise CaseFailed(f"expected one probability per symbol, shape (3,), got {arr.shape}.")
            if not np.isfinite(arr).all() or (arr < 0).any():
                raise CaseFailed(f"expected probabilities, got {arr}.")
            if not np.isclose(arr.sum(), 1, atol=1e-6):
                raise CaseFailed(f"your probabilities sum to {arr.sum():.4f}: renormalise over the 3 "
                                 f"real symbols (the start symbol keeps a little mass).")
            tv = 0.5 * np.abs(arr - p_first).sum()
            if tv > 0.05:
                hint = ""
                if np.allclose(arr, 1 / 3, atol=0.03):
                    hint = "\nHint: that is about uniform, as an untrained output would be."
                raise CaseFailed(f"expected about P(X_1) = {np.round(p_first, 3)} (the true first-"
                                 f"symbol distribution of these sequences), got {np.round(arr, 3)}: "
                                 f"total variation {tv:.3f} > 0.05. Train on the sequences with the "
                                 f"start symbol prepended, so that the first real symbol is a "
                                 f"target." + hint)
        return body

    return checked("ex-gen-4", "Letting the RNN model the first symbol",
                   [(f"3,000 sequences of a sticky HMM whose first symbol is mostly {'0' if s == 0 else '2'}",
                     case(s), "see probrnn/exercises/rnn_generative.py: _first_symbol_data") for s in (0, 1)])


CHECKERS = {"ex-gen-3": check_lstm_theorem5, "ex-gen-4": check_first_symbol_model}
