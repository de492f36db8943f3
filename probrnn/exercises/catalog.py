"""Every exercise of the book, with its kind, difficulty and estimated time.

One :class:`Entry` per ``{exercise}`` block of the chapters, in the book's order. ``kind`` is
``"pen and paper"`` (a derivation or an argument; some end in a number or a formula that a
checker can test) or ``"code"``; ``difficulty`` is 1 (a direct application), 2 (several steps,
or an idea from the chapter used in a new place) or 3 (open-ended, or a proof with a trick);
``minutes`` is the time we expect a student who has read the chapter to need. ``attempt``
describes what :func:`probrnn.exercises.check` expects for the exercises that have a checker.

The test ``tests/test_exercises.py`` fails when a chapter gains an exercise that is not listed
here, or when a title here no longer matches the chapter's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = ("pen and paper", "code")


@dataclass(frozen=True)
class Entry:
    label: str
    chapter: str      # the chapter's file name without suffix, e.g. "01_hmm_forward"
    title: str
    kind: str
    difficulty: int   # 1, 2 or 3
    minutes: int
    attempt: str = ""  # what check(label, attempt) takes; "" when there is no checker

    @property
    def stars(self) -> str:
        return "\u2605" * self.difficulty + "\u2606" * (3 - self.difficulty)

    @property
    def label_line(self) -> str:
        """The one-line label shown at the top of the exercise in the book."""
        kind = self.kind[0].upper() + self.kind[1:]
        line = f"{kind} \u00b7 {self.stars} \u00b7 about {self.minutes} min"
        if self.attempt:
            name = re.match(r"[A-Za-z_]\w*", self.attempt).group(0)  # what is checked
            line += f" \u00b7 check it: `check(\"{self.label}\", {name})`"
        return f"*{line}*"


CATALOG: tuple[Entry, ...] = (
    Entry("ex-hmm-1", "01_hmm_forward", "Two states, one number", "pen and paper", 2, 30,
          "two_state_filter(hmm, x) -> (T,) array of P(H_t = 1 | x_1..t)"),
    Entry("ex-hmm-2", "01_hmm_forward", "Filtering in log space", "code", 2, 45,
          "log_forward(hmm, obs) -> (n,) array of log p(x_1..T) for obs (n, T)"),
    Entry("ex-hmm-3", "01_hmm_forward", "The predictive distribution sums to one", "pen and paper",
          1, 15),
    Entry("ex-hmm-4", "01_hmm_forward", "How informative are the symbols?", "code", 1, 30,
          "filter_accuracy(m, K, concentration, seed=0) -> float, the filter's accuracy on "
          "HMM.random(m, K, rng=seed, concentration=concentration)"),
    Entry("ex-gen-1", "02_rnn_generative", "Normalisation of the chain rule", "pen and paper", 2, 30),
    Entry("ex-gen-2", "02_rnn_generative", "Which independences survive the noise?", "pen and paper",
          2, 30),
    Entry("ex-gen-3", "02_rnn_generative", "Theorem 5 for an LSTM over four symbols", "code", 2, 45,
          "lstm_theorem5(seed) -> the theorem5_table of SequenceRNN(4, 6, \"lstm\", num_layers=2, "
          "seed=seed) for every prefix of length 1 to 3"),
    Entry("ex-gen-4", "02_rnn_generative", "Letting the RNN model the first symbol", "code", 3, 60,
          "first_symbol_model(train, n_symbols, seed) -> (K,) the RNN's P(X_1) after the start "
          "symbol, trained on train (n, T)"),
    Entry("ex-rnnfwd-1", "03_rnn_forward", "One unit for two states", "pen and paper", 3, 60),
    Entry("ex-rnnfwd-2", "03_rnn_forward", "Make a small RNN fail", "code", 3, 60,
          "designed: an HMM with 2 states and 3 symbols (or a function returning one)"),
    Entry("ex-rnnfwd-3", "03_rnn_forward", "Lucky networks", "pen and paper", 2, 20,
          "accuracy_difference_sd(r, N) -> float"),
    Entry("ex-rnnfwd-4", "03_rnn_forward", "The start-up term", "code", 2, 40,
          "shifted_start(hmm, obs) -> (n, T, m), the update without the start-up term from "
          "h_0 = pi"),
    Entry("ex-pf-1", "04_particle_filters", "Bias of the histogram, no bias in the likelihood",
          "pen and paper", 3, 45),
    Entry("ex-pf-2", "04_particle_filters", "Implement systematic resampling and compare its "
          "variance", "code", 2, 45, "systematic(weights, v) -> (M,) ancestor indices"),
    Entry("ex-pf-3", "04_particle_filters", "How much can the particles say?", "pen and paper", 2, 30,
          "count_particle_states(m, M) -> (ordered particle vectors, distinct histograms)"),
    Entry("ex-pf-4", "04_particle_filters", "A better proposal", "code", 3, 90,
          "optimal_proposal_filter(hmm, obs, M, rng) -> (n, T, m) particle histograms"),
    Entry("ex-smooth-1", "05_smoothing", "Every step gives the likelihood", "pen and paper", 2, 30),
    Entry("ex-smooth-2", "05_smoothing", "The backward pass, scaled", "code", 2, 45,
          "smooth_one(hmm, x) -> (T, m) p(H_t | x_1..T) for one sequence x (T,)"),
    Entry("ex-smooth-3", "05_smoothing", "How much future is enough?", "code", 2, 45,
          "fixed_lag(hmm, obs, lag) -> (n, T, m) p(H_t | x_1..min(t+lag, T)) for obs (n, T)"),
    Entry("ex-smooth-4", "05_smoothing", "Whole paths or single steps", "pen and paper", 2, 30),
    Entry("ex-cont-1", "06_continuous", "The scalar steady-state gain", "pen and paper", 2, 30,
          "scalar_steady_gain(F, C, Q, R) -> K_inf, the steady-state Kalman gain of the scalar "
          "model"),
    Entry("ex-cont-2", "06_continuous", "The Kalman filter with missing observations", "code", 2,
          40, "kalman_missing(F, C, Q, R, mean0, cov0, y) -> (means (T, n_z), covs (T, n_z, n_z)) "
          "for one sequence y (T, n_y) whose missing steps are rows of NaN"),
    Entry("ex-cont-3", "06_continuous", "A grid filter in a few lines", "code", 2, 45,
          "my_grid_filter(model, y, grid) -> (T, G) filtering masses on the grid"),
    Entry("ex-cont-4", "06_continuous", "Why train on the state?", "pen and paper", 2, 20),
)

BY_LABEL = {e.label: e for e in CATALOG}


def catalog_table():
    """The catalog as a pandas DataFrame (one row per exercise)."""
    import pandas as pd

    return pd.DataFrame([{"label": e.label, "chapter": e.chapter, "title": e.title, "kind": e.kind,
                          "difficulty": e.stars, "minutes": e.minutes,
                          "checker": "yes" if e.attempt else ""} for e in CATALOG])
