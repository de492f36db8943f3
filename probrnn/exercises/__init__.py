"""Exercises a student can check: ``check(label, attempt)`` from a notebook.

::

    from probrnn.exercises import check
    check("ex-hmm-2", log_forward)          # prints which cases passed; True if all did

The checker of an exercise runs the student's function on cases of its own (random models from
fixed seeds, edge cases such as one step or ten thousand) and answers, for a failed case, with
the input (and the code that rebuilds it), what was expected, what came back, the tolerance and,
where it recognises a usual slip (one step late, rows not normalised, axes swapped, a NaN from
underflow), a hint. The answer is a :class:`CheckResult`: it prints as text, shows as a coloured
box in Jupyter, and is true exactly when every case passed.

One module per chapter holds its checkers; :data:`CATALOG` lists every exercise of the book with
its kind, difficulty and time, and what ``check`` expects for it (``python -m probrnn
exercises`` prints the list).
"""

from __future__ import annotations

from . import continuous, hmm_forward, particle_filters, rnn_forward, rnn_generative, smoothing
from .catalog import BY_LABEL, CATALOG, Entry, catalog_table
from .result import Case, CheckResult

CHECKERS = {**hmm_forward.CHECKERS, **rnn_generative.CHECKERS, **rnn_forward.CHECKERS,
            **particle_filters.CHECKERS, **smoothing.CHECKERS,
            **continuous.CHECKERS}


def check(label: str, attempt) -> CheckResult:
    """Check a student's ``attempt`` at the exercise ``label`` (for instance ``"ex-hmm-2"``).

    ``attempt`` is what the exercise asks for, usually a function; ``CATALOG`` (or
    ``python -m probrnn exercises``) says what each exercise's checker expects.
    """
    if label not in BY_LABEL:
        raise ValueError(f"no exercise labelled {label!r}; the exercises are "
                         f"{[e.label for e in CATALOG]}")
    if label not in CHECKERS:
        entry = BY_LABEL[label]
        raise ValueError(f"{label} ({entry.title}) is a {entry.kind} exercise with no checker: "
                         f"compare your answer with the solution in the book. Exercises with a "
                         f"checker: {sorted(CHECKERS)}")
    return CHECKERS[label](attempt)


__all__ = ["check", "CheckResult", "Case", "CATALOG", "Entry", "catalog_table", "CHECKERS"]
