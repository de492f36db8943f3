"""What a checker answers: a :class:`CheckResult` of :class:`Case` outcomes, true when every case
passed, printed as plain text and, in a notebook, as a small coloured box.

:func:`run_case` calls the student's function on one case and turns an exception into a failed
case that names it; :func:`compare` compares an array with the expected one and says exactly
what differs (shape, NaN, where and by how much, and the usual slips: rows not normalised, a
shift of one step, the axes in another order).
"""

from __future__ import annotations

import html
import time
import traceback
import warnings
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Case:
    """One input the checker tried: what it was, how to rebuild it, and the outcome."""

    name: str
    passed: bool
    message: str = ""
    setup: str = ""   # Python that rebuilds the input, for the student to try it


@dataclass
class CheckResult:
    """The outcome of :func:`probrnn.exercises.check`: true when every case passed."""

    label: str
    title: str
    cases: list[Case] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return bool(self.cases) and all(c.passed for c in self.cases)

    @property
    def failed(self) -> list[Case]:
        return [c for c in self.cases if not c.passed]

    def __bool__(self) -> bool:
        return self.passed

    def summary(self) -> str:
        n = len(self.cases)
        if self.passed:
            return f"{self.label} ({self.title}): passed all {n} cases"
        return f"{self.label} ({self.title}): failed {len(self.failed)} of {n} cases"

    DETAILED = 2  # failed cases shown in full; the others by name (all are in .cases)

    def __str__(self) -> str:
        lines, shown = [self.summary()], 0
        for c in self.cases:
            mark = "ok  " if c.passed else "FAIL"
            lines.append(f"  {mark} {c.name}")
            if not c.passed and shown < self.DETAILED:
                shown += 1
                lines += [f"       {ln}" for ln in c.message.splitlines()]
                if c.setup:
                    lines.append(f"       to try it yourself: {c.setup}")
        if len(self.failed) > shown:
            lines.append(f"  ({len(self.failed) - shown} more failed cases are shown by name only; "
                         f"result.failed[i].message has each message)")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour, bg = ("#1a7f37", "#eef8f0") if self.passed else ("#b42318", "#fdf0ef")
        items, shown = [], 0
        for c in self.cases:
            mark = "&#10003;" if c.passed else "&#10007;"
            detail = ""
            if not c.passed:
                text = html.escape(c.message)
                if c.setup:
                    text += f"\n\nto try it yourself: {html.escape(c.setup)}"
                detail = f"<pre style='white-space:pre-wrap;margin:0.2em 0 0.4em'>{text}</pre>"
                if shown >= self.DETAILED:
                    detail = f"<details><summary>details</summary>{detail}</details>"
                shown += 1
            items.append(f"<li>{mark} {html.escape(c.name)}{detail}</li>")
        return (f"<div style='border-left:5px solid {colour};background:{bg};padding:0.4em 0.8em'>"
                f"<strong style='color:{colour}'>{html.escape(self.summary())}</strong>"
                f"<ul style='list-style:none;padding-left:0.5em;margin:0.3em 0'>{''.join(items)}</ul>"
                f"</div>")


class CaseFailed(Exception):
    """Raised inside a case to fail it with a message."""


def run_case(result: CheckResult, name: str, body, setup: str = "") -> Case:
    """Run ``body()`` as one case of ``result``: it passes unless it raises. A
    :class:`CaseFailed` gives its message; any other exception is reported as the student's
    function raising it (with the last line of the traceback that is in their code)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                body()
        case = Case(name, True, setup=setup)
    except CaseFailed as err:
        case = Case(name, False, str(err), setup)
    except Exception as err:  # the student's code raised
        where = traceback.extract_tb(err.__traceback__)[-1]
        case = Case(name, False, f"your function raised {type(err).__name__}: {err}\n"
                                 f"(at line {where.lineno} of {where.filename}: {where.line})", setup)
    result.cases.append(case)
    return case


def checked(label: str, title: str, cases) -> CheckResult:
    """Run the cases ``[(name, body, setup), ...]`` and time them."""
    result = CheckResult(label, title)
    start = time.perf_counter()
    for name, body, setup in cases:
        run_case(result, name, body, setup)
    result.seconds = time.perf_counter() - start
    return result


# --------------------------------------------------------------------------- comparing arrays
def as_array(got, what: str, expected_shape: tuple) -> np.ndarray:
    """``got`` as a float array, or a failed case saying what came back instead."""
    if got is None:
        raise CaseFailed(f"your function returned None: did you forget `return`? Expected {what} "
                         f"of shape {expected_shape}.")
    try:
        if hasattr(got, "detach"):  # a torch tensor
            got = got.detach().cpu().numpy()
        arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        raise CaseFailed(f"expected {what} (an array of shape {expected_shape}), got "
                         f"{type(got).__name__}: {str(got)[:80]}") from None
    return arr


def _where(idx) -> str:
    return "[" + ", ".join(str(int(i)) for i in idx) + "]"


def compare(got, expected, what: str, atol: float = 1e-8, rtol: float = 1e-6,
            time_axis: int | None = None, prob_axis: int | None = None,
            axis_names: tuple | None = None) -> None:
    """Fail the case unless ``got`` equals ``expected`` within ``atol + rtol * |expected|``.

    ``time_axis`` lets it recognise an output shifted by one step, ``prob_axis`` one whose
    probability vectors are not normalised, ``axis_names`` (e.g. ``("n", "T", "m")``) names the
    axes in the shape message.
    """
    expected = np.asarray(expected, dtype=np.float64)
    arr = as_array(got, what, expected.shape)
    names = f" = ({', '.join(axis_names)})" if axis_names else ""
    if arr.shape != expected.shape:
        hint = ""
        if arr.size == expected.size and arr.ndim == expected.ndim:
            for perm in _permutations(expected.ndim):
                if tuple(expected.shape[p] for p in perm) == arr.shape and np.allclose(
                        arr, np.transpose(expected, perm), atol=atol, rtol=rtol, equal_nan=False):
                    hint = (f"\nThe values are right but the axes are in another order: your axis "
                            f"k is axis {list(perm)}[k] of the expected array (np.transpose or "
                            f"np.moveaxis fixes it).")
                    break
        if arr.size == expected.size and not hint:
            hint = "\nSame number of entries: a reshape or an axis order gone wrong?"
        raise CaseFailed(f"expected {what} of shape {expected.shape}{names}, got shape "
                         f"{arr.shape}.{hint}")
    bad = ~np.isfinite(arr) & np.isfinite(expected)
    if bad.any():
        idx = np.argwhere(bad)[0]
        raise CaseFailed(f"{what}: your output has {int(bad.sum())} NaN or infinite entries where "
                         f"the expected values are finite; the first at index {_where(idx)}, expected "
                         f"{expected[tuple(idx)]:.6g}, got {arr[tuple(idx)]}."
                         + _nan_hint(arr, expected))
    if np.allclose(arr, expected, atol=atol, rtol=rtol, equal_nan=True):
        return
    diff = np.where(np.isfinite(expected), np.abs(arr - expected), 0.0)
    idx = np.unravel_index(np.argmax(diff - (atol + rtol * np.abs(np.nan_to_num(expected)))),
                           diff.shape)
    msg = (f"{what}: {int((diff > atol + rtol * np.abs(np.nan_to_num(expected))).sum())} of "
           f"{arr.size} entries differ. The worst, at index {_where(idx)}: expected "
           f"{expected[idx]:.8g}, got {arr[idx]:.8g} (difference {diff[idx]:.3g}; tolerance "
           f"{atol:g} + {rtol:g} x |expected|).")
    raise CaseFailed(msg + diagnose(arr, expected, atol, rtol, time_axis, prob_axis))


def _permutations(n: int):
    import itertools

    return [p for p in itertools.permutations(range(n)) if p != tuple(range(n))]


def _nan_hint(arr, expected) -> str:
    if np.isneginf(arr).any() or (arr == 0).any():
        return ("\nA -inf or 0 where a small positive number belongs is usually underflow: "
                "normalise at every step, or work with logarithms throughout.")
    return "\nA NaN usually comes from 0/0 (a row that summed to zero) or log(0) - log(0)."


def diagnose(arr, expected, atol, rtol, time_axis=None, prob_axis=None) -> str:
    """The usual slips, recognised: a one-step shift, rows not normalised or normalised over
    the wrong axis."""
    hints = []
    close = lambda a, b: a.shape == b.shape and np.allclose(a, b, atol=max(atol, 1e-7), rtol=max(rtol, 1e-5))  # noqa: E731
    if time_axis is not None and arr.shape[time_axis] > 1:
        later = np.take(arr, range(1, arr.shape[time_axis]), axis=time_axis)
        earlier = np.take(arr, range(arr.shape[time_axis] - 1), axis=time_axis)
        exp_later = np.take(expected, range(1, expected.shape[time_axis]), axis=time_axis)
        exp_earlier = np.take(expected, range(expected.shape[time_axis] - 1), axis=time_axis)
        if close(later, exp_earlier):
            hints.append("Your output is one step late: your step t holds what belongs at step t - 1 "
                         "(do you return the state before the first update, or skip the first "
                         "symbol?).")
        elif close(earlier, exp_later):
            hints.append("Your output is one step early: your step t holds what belongs at step "
                         "t + 1 (is the first symbol used twice, or the last step missing?).")
        elif np.allclose(np.take(arr, [0], axis=time_axis), np.take(expected, [0], axis=time_axis),
                         atol=max(atol, 1e-7), rtol=max(rtol, 1e-5)):
            hints.append("The first step is right and later steps are not: look at the update "
                         "from one step to the next.")
        else:
            hints.append("Already the first step differs: look at how the recursion starts.")
    if prob_axis is not None:
        sums = arr.sum(axis=prob_axis)
        if not np.allclose(sums, 1.0, atol=1e-6):
            scaled = arr / np.expand_dims(np.where(sums == 0, 1.0, sums), prob_axis)
            if close(scaled, expected):
                hints.append(f"Your probability vectors are not normalised (they sum to between "
                             f"{np.nanmin(sums):.4g} and {np.nanmax(sums):.4g}); divide by their sum.")
            else:
                for ax in range(arr.ndim):
                    if ax != prob_axis % arr.ndim and arr.shape[ax] > 1 and np.allclose(
                            arr.sum(axis=ax), 1.0, atol=1e-6):
                        hints.append(f"Your entries sum to one over axis {ax}, not over the last "
                                     f"axis (the states): normalise over axis {prob_axis}.")
                        break
                else:
                    hints.append(f"Your probability vectors do not sum to one (sums from "
                                 f"{np.nanmin(sums):.4g} to {np.nanmax(sums):.4g}).")
    return "".join("\nHint: " + h for h in hints)


def scalar(got, what: str) -> float:
    """``got`` as one finite real number, or a failed case."""
    if isinstance(got, (bool, np.bool_)) or got is None:
        raise CaseFailed(f"expected {what} (a number), got {got!r}")
    try:
        value = float(np.asarray(got, dtype=np.float64).reshape(()))
    except (TypeError, ValueError):
        raise CaseFailed(f"expected {what} (one number), got {type(got).__name__}: "
                         f"{str(got)[:80]}") from None
    if not np.isfinite(value):
        raise CaseFailed(f"expected {what} (a finite number), got {value}")
    return value
