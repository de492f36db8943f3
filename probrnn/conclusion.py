"""The book's interpretations side by side, with what the committed results show.

Chapter *Conclusion* (``book/07_conclusion.ipynb``). Every chapter commits the table of its long
experiment under ``results/``; this module reads the seven tables the conclusion needs and
reduces them to

* :func:`headline_numbers`: a flat ``{name: number}`` dict, the numbers each chapter asserts
  (the same reductions as the chapters' own cells), prefixed by chapter: ``gen_`` (chapter 2,
  ``predictive``), ``fwd_`` (chapter 3, ``fig5`` and ``fig6``), ``pf_`` (chapter 4, ``fig7``),
  ``sm_`` (chapter 5, ``smoothing``), ``kal_`` and ``cont_`` (chapter 6, ``kalman_rnn`` and
  ``continuous``);
* :func:`interpretations_table`: one row per interpretation (chapters 2 to 6) and the columns
  model, inference procedure, what is exact, what is approximate, what our experiments showed
  and where they differ from the paper; the fifth column is written from the headline numbers;
* :func:`table_html`: that table as HTML whose cells wrap, so it fits the book's text column.

:func:`load_conclusion_results` loads the tables and names every missing one with the chapter
and the command that writes it. All functions are pure: tables in, numbers or text out.
"""

from __future__ import annotations

import html
from typing import NamedTuple

import numpy as np
import pandas as pd

from .experiments.common import ResultsNotFoundError, load_results
from .validate import check_table


class Source(NamedTuple):
    """Where a results table comes from and the columns the conclusion reads."""

    chapter: str  # the notebook's file name without suffix
    columns: tuple[str, ...]


SOURCES: dict[str, Source] = {
    "predictive": Source("02_rnn_generative", (
        "m", "n", "replicate", "predictor", "excess_ce", "hit_cap")),
    "fig5": Source("03_rnn_forward", (
        "part", "hmm_index", "k", "n_train", "accuracy", "accuracy_ref", "agreement_off_ties",
        "accuracy_gap_se", "agreement_small", "hit_cap")),
    "fig6": Source("03_rnn_forward", (
        "m", "k", "accuracy", "accuracy_ref", "agreement", "near_tie_share", "accuracy_regret",
        "mean_tv", "accuracy_gap_se", "hit_cap")),
    "fig7": Source("04_particle_filters", (
        "kind", "part", "d", "rep", "n_train", "accuracy", "agreement", "mean_tv", "hit_cap")),
    "smoothing": Source("05_smoothing", (
        "m", "k", "n_train", "hmm_index", "direction", "accuracy", "accuracy_ref",
        "accuracy_filter", "agreement", "near_tie_share", "agreement_off_ties", "mean_tv",
        "excess_log_loss", "steps", "hit_cap")),
    "kalman_rnn": Source("06_continuous", (
        "seed", "state_dim", "k", "n_train", "mse_rnn", "mse_kalman", "mse_steady",
        "gain_error", "eig_error", "steps", "hit_cap")),
    "continuous": Source("06_continuous", (
        "size", "method", "rep", "mse_to_grid_mean", "mse_to_state", "w1", "steps", "hit_cap")),
}

COLUMNS = ("model", "inference procedure", "what is exact", "what is approximate",
           "what our experiments showed", "where they differ from the paper")

ROWS = ("RNN as graphical model (ch. 2)", "RNN as forward algorithm (ch. 3)",
        "particle filter as RNN (ch. 4)", "smoothing, bidirectional RNN (ch. 5)",
        "continuous states (ch. 6)")


def load_conclusion_results(start=None) -> dict[str, pd.DataFrame]:
    """Every table of :data:`SOURCES`, loaded by :func:`probrnn.experiments.common.load_results`
    (``start``: the folder to look from). If any is missing, one
    :class:`~probrnn.experiments.common.ResultsNotFoundError` names all the missing files, the
    chapter that writes each and its command."""
    results, missing = {}, []
    for name in SOURCES:
        try:
            results[name] = load_results(name, start)
        except ResultsNotFoundError:
            missing.append(name)
    if missing:
        what = "; ".join(
            f"results/{name}.csv (written for book/{SOURCES[name].chapter}.ipynb by "
            f"`python -m probrnn reproduce {name} --scale paper --out results`)"
            for name in missing)
        raise ResultsNotFoundError(f"the conclusion needs {len(missing)} results file(s) that "
                                   f"are missing: {what}")
    return results


def _table(results, name: str) -> pd.DataFrame:
    if not isinstance(results, dict):
        raise ValueError(f"results must be a dict of tables by name (got "
                         f"{type(results).__name__})")
    if name not in results:
        raise ValueError(f"results lacks the table {name!r} (results/{name}.csv, from "
                         f"book/{SOURCES[name].chapter}.ipynb); it has {sorted(results)}")
    return check_table(results[name], SOURCES[name].columns, f"results[{name!r}]")


def _flags(col: pd.Series) -> pd.Series:
    """A column of True/False read back from a CSV (bools, strings or blanks) as bools;
    a blank (a row with no training, such as a particle filter's) is False."""
    return col.map(lambda v: v is True or (isinstance(v, (bool, np.bool_)) and bool(v))
                   or str(v).strip().lower() == "true")


def _capped(df: pd.DataFrame) -> float:
    return float(_flags(df["hit_cap"]).sum())


def _ahead_to(better: pd.Series) -> float:
    """The largest size s (the index, ascending) such that ``better`` holds at every size up to
    s; NaN when it fails at the smallest."""
    better = better.sort_index()
    if better.empty or not better.iloc[0]:
        return float("nan")
    failing = better.index[~better.to_numpy(dtype=bool)]
    if len(failing) == 0:
        return float(better.index[-1])
    return float(better.index[better.index < failing[0]][-1])


def _first(flags: pd.Series) -> float:
    """The smallest size (the index) where ``flags`` holds; NaN if none."""
    sizes = flags.index[flags.to_numpy(dtype=bool)]
    return float(sizes.min()) if len(sizes) else float("nan")


def _at_largest_n(df: pd.DataFrame, by: list[str], n: str = "n_train") -> pd.DataFrame:
    return df[df[n] == df.groupby(by)[n].transform("max")]


def _generative(pred: pd.DataFrame) -> dict[str, float]:
    mean = pred.groupby(["m", "n", "predictor"]).excess_ce.mean().unstack("predictor")
    rnn, bw = mean["rnn"].unstack("n"), mean["baum_welch"].unstack("n")
    n_max, n_min = float(rnn.columns.max()), float(rnn.columns.min())
    m_min = rnn.index.min()
    last = pred[pred.n == n_max].pivot_table(
        index=["m", "replicate"], columns="predictor", values="excess_ce")
    many = rnn.index[rnn.index >= 8]
    return {
        "gen_n_max": n_max,
        "gen_n_min": n_min,
        "gen_m_min": float(m_min),
        "gen_rnn_excess_m_min": float(rnn.loc[m_min, n_max]),
        "gen_rnn_falls_with_n": float((np.diff(rnn.to_numpy(), axis=1) < 0).all()),
        "gen_bw_better_m_min_share": float((bw.loc[m_min] < rnn.loc[m_min]).mean()),
        "gen_bw_better_share_n_max": float((last.baum_welch < last.rnn).mean()),
        "gen_rnn_better_scarce_share": float(
            (rnn.loc[many, n_min] < bw.loc[many, n_min]).mean()) if len(many) else np.nan,
        "gen_capped": _capped(pred[pred.predictor == "rnn"]),
    }


def _forward(fig5: pd.DataFrame, fig6: pd.DataFrame) -> dict[str, float]:
    grid = fig5[fig5.part == "grid"]
    at_20k = grid[grid.n_train == grid.n_train.max()]
    k1 = at_20k[at_20k.k == 1]
    census = fig5[fig5.part == "census"]
    f20 = fig6[fig6.k == 20].set_index("m").sort_index()
    wide = fig6[fig6.k == fig6.k.max()].set_index("m").sort_index()
    both = pd.concat([fig5, fig6])
    se = both.accuracy_gap_se.where(both.accuracy_gap_se > 0)
    out = {
        "fwd_n_max": float(grid.n_train.max()),
        "fwd_k1_median_off_ties": float(k1.agreement_off_ties.median()),
        "fwd_k1_median_accuracy_gap": float((k1.accuracy_ref - k1.accuracy).abs().median()),
        "fwd_min_off_ties_n_max": float(at_20k.agreement_off_ties.min()),
        "fwd_exact_on_100_share": float((at_20k.agreement_small == 1).mean()),
        "fwd_m_max": float(f20.index.max()),
        "fwd_agreement_m2": float(f20.agreement.iloc[0]),
        "fwd_agreement_m_max": float(f20.agreement.iloc[-1]),
        "fwd_ties_m_max": float(f20.near_tie_share.iloc[-1]),
        "fwd_regret_max": float(fig6.accuracy_regret.max()),
        "fwd_tv_growth": float(f20.mean_tv.iloc[-1] / f20.mean_tv.iloc[0]),
        "fwd_wide_k": float(fig6.k.max()),
        "fwd_wide_tv_ratio": float(wide.mean_tv.iloc[-1] / f20.mean_tv.iloc[-1]),
        "fwd_max_z": float(((both.accuracy - both.accuracy_ref) / se).max()),
        "fwd_capped": _capped(fig5) + _capped(fig6),
    }
    if not census.empty:
        off = census.groupby("k").agreement_off_ties
        out["fwd_census_k1_below_share"] = float(off.agg(lambda a: (a < 0.97).mean()).get(1))
        out["fwd_census_k1_worst"] = float(off.min().get(1, np.nan))
        out["fwd_census_k2_worst"] = float(off.min().get(2, np.nan))
    return out


def _particle(fig7: pd.DataFrame) -> dict[str, float]:
    grid = fig7[fig7.part == "grid"]
    agree = grid.groupby(["kind", "d"]).agreement.mean().unstack("kind")
    tv = grid.groupby(["kind", "d"]).mean_tv.mean().unstack("kind")
    plateau = tv.rnn[tv.index >= 5]
    out = {
        "pf_d_max": float(agree.index.max()),
        "pf_rnn_ahead_to": _ahead_to(agree.rnn >= agree.pf),
        "pf_ahead_sizes": float((agree.pf > agree.rnn).sum()),
        "pf_first_ahead": _first(agree.pf > agree.rnn),
        "pf_tv_d_max": float(tv.pf.iloc[-1]),
        "pf_rnn_margin_d_max": float(agree.rnn.iloc[-1] - agree.pf.iloc[-1]),
        "pf_rnn_tv_plateau": float(plateau.median()),
        "pf_rnn_tv_spread": float(plateau.max() / plateau.min()),
        "pf_capped": _capped(fig7[fig7.kind == "rnn"]),
    }
    data = fig7[(fig7.kind == "rnn") & (fig7.rep == 0)]
    data = data[(data.part == "data") | (data.n_train == 20000)]
    tv_n = data.pivot_table(index="n_train", columns="d", values="mean_tv").dropna(axis=1)
    if {20000, 60000} <= set(tv_n.index) and tv_n.shape[1]:
        out["pf_tv_change_3x_data"] = float((tv_n.loc[60000] / tv_n.loc[20000] - 1).max())
        out["pf_tv_3x_data_below_pf"] = float((tv_n.loc[60000] < tv.pf.iloc[-1]).all())
    return out


def _smoothing(sm: pd.DataFrame) -> dict[str, float]:
    """Chapter 5's numbers at its widest networks and most data (the largest k and n_train):
    worst agreement off near-ties and worst total variation over m for the bidirectional
    networks, the one-way networks' at the same k and n, and the smoother's gain per HMM."""
    top = sm[(sm.k == sm.k.max()) & (sm.n_train == sm.n_train.max())]
    bi, uni = top[top.direction == "bi"], top[top.direction == "uni"]
    gain = (sm.groupby(["m", "hmm_index"])[["accuracy_ref", "accuracy_filter"]].first()
            .pipe(lambda g: g.accuracy_ref - g.accuracy_filter))
    pairs = top.pivot_table(index=["m", "hmm_index"], columns="direction",
                            values="mean_tv").dropna()
    both = {"bi", "uni"} <= set(pairs.columns) and len(pairs)
    return {
        "sm_k": float(sm.k.max()),
        "sm_n": float(sm.n_train.max()),
        "sm_gain": float(gain.median()),
        "sm_gain_min": float(gain.min()),
        "sm_gain_max": float(gain.max()),
        "sm_bi_off_ties": float(bi.agreement_off_ties.min()),
        "sm_bi_tv": float(bi.mean_tv.max()),
        "sm_bi_excess_log_loss": float(bi.excess_log_loss.max()),
        "sm_bi_accuracy_gap": float((bi.accuracy_ref - bi.accuracy).median()),
        "sm_bi_max_lead": float((sm[sm.direction == "bi"].accuracy
                                 - sm[sm.direction == "bi"].accuracy_ref).max()),
        "sm_uni_vs_filter": float((uni.accuracy - uni.accuracy_filter).median()),
        "sm_uni_max_lead_over_filter": float((uni.accuracy - uni.accuracy_filter).max()),
        "sm_uni_tv": float(uni.mean_tv.min()),
        "sm_pairs": float(len(pairs)) if both else 0.0,
        "sm_bi_closer_share": (float((pairs["bi"] < pairs["uni"]).mean()) if both else np.nan),
        "sm_capped": _capped(sm),
    }


def _continuous(kal: pd.DataFrame, cont: pd.DataFrame) -> dict[str, float]:
    final = _at_largest_n(kal, ["seed", "state_dim", "k"])
    ratio = final.mse_rnn / final.mse_kalman
    mse = cont.groupby(["method", "size"]).mse_to_grid_mean.mean().unstack("method")
    mse = mse.sort_index()
    return {
        "kal_ratio_median": float(ratio.median()),
        "kal_ratio_min": float(ratio.min()),
        "kal_ratio_max": float(ratio.max()),
        "kal_steady_ratio": float((final.mse_steady / final.mse_kalman).median()),
        "kal_gain_error": float(final.gain_error.median()),
        "kal_eig_error_max": float(final.eig_error.max()),
        "kal_capped": _capped(kal),
        "cont_size_min": float(mse.index.min()),
        "cont_size_max": float(mse.index.max()),
        "cont_rnn_ahead_to": _ahead_to(mse.rnn <= mse.pf),
        "cont_pf_ahead_sizes": float((mse.pf < mse.rnn).sum()),
        "cont_pf_first_ahead": _first(mse.pf < mse.rnn),
        "cont_pf_mse_size_max": float(mse.pf.iloc[-1]),
        "cont_rnn_mse_size_max": float(mse.rnn.iloc[-1]),
        "cont_pf_improvement": float(mse.pf.iloc[0] / mse.pf.iloc[-1]),
        # the fewest particles closer to the exact mean than every RNN trained (NaN: none)
        "cont_pf_beats_best_rnn_from": _first(mse.pf < mse.rnn.min()),
        "cont_capped": _capped(cont[cont.method == "rnn"]),
    }


def headline_numbers(results: dict[str, pd.DataFrame]) -> dict[str, float]:
    """The numbers the chapters assert, recomputed from their committed tables.

    ``results`` maps each name of :data:`SOURCES` to its table (as
    :func:`load_conclusion_results` returns). Shares are in [0, 1]; ``*_capped`` count networks
    that stopped at the step cap; ``*_ahead_to`` is the largest size up to which the RNN is at
    least as good at every size (NaN: behind already at the smallest); MSE ratios divide by the
    exact filter's. Each key's prefix names its chapter (see the module docstring).
    """
    t = {name: _table(results, name) for name in SOURCES}
    return {**_generative(t["predictive"]), **_forward(t["fig5"], t["fig6"]),
            **_particle(t["fig7"]), **_smoothing(t["smoothing"]),
            **_continuous(t["kalman_rnn"], t["continuous"])}


def _size(v: float) -> str:
    return "no size" if not np.isfinite(v) else f"{v:,.0f}"


def _share(v: float, of: str) -> str:
    """"every n", "no n" or "40% of n"."""
    if v == 1:
        return f"every {of}"
    return f"no {of}" if v == 0 else f"{100 * v:.0f}% of {of}"


def _cells(h: dict[str, float]) -> list[list[str]]:
    pf_catch = ("agrees with the paper: the PF never agrees more often (at "
                f"d = {_size(h['pf_d_max'])} by {h['pf_rnn_margin_d_max']:.3f} less)"
                if h["pf_ahead_sizes"] == 0 else
                f"the PF agrees more often only at d = {_size(h['pf_first_ahead'])}"
                if h["pf_ahead_sizes"] == 1 else
                f"the PF agrees more often at {h['pf_ahead_sizes']:.0f} sizes, the first "
                f"d = {_size(h['pf_first_ahead'])}")
    data3 = (f"; 3x the data lowers its TV by at least {-100 * h['pf_tv_change_3x_data']:.0f}%"
             if "pf_tv_change_3x_data" in h else "")
    census = ("" if "fwd_census_k1_below_share" not in h else
              f"; one unit short on {100 * h['fwd_census_k1_below_share']:.0f}% of draws"
              if h["fwd_census_k1_below_share"] > 0 else
              f"; at least 0.97 on every census draw (worst {h['fwd_census_k1_worst']:.3f})")
    pf_best = ("" if not np.isfinite(h.get("cont_pf_beats_best_rnn_from", np.nan)) else
               f"; {_size(h['cont_pf_beats_best_rnn_from'])} particles beat every RNN")
    cont_ahead = (f"closer to the exact mean at every size up to {_size(h['cont_rnn_ahead_to'])}"
                  if np.isfinite(h["cont_rnn_ahead_to"]) else
                  "behind the PF already at the smallest size")
    return [
        ["next-symbol RNN; graph G with point-mass transitions",
         "run the RNN; read P(Xₜ₊₁ | x₁,…,xₜ) off its output",
         "Theorem 5: the graphical model's conditionals are the RNN's",
         "an RNN fitted to observations, for the HMM's predictive",
         f"excess cross-entropy {h['gen_rnn_excess_m_min']:.4f} nats at m = "
         f"{h['gen_m_min']:.0f}, n = {h['gen_n_max']:,.0f}; Baum-Welch better there at "
         f"{_share(h['gen_bw_better_m_min_share'], 'n')}; the RNN better at n = "
         f"{h['gen_n_min']:.0f} for {_share(h['gen_rnn_better_scarce_share'], 'm >= 8')}",
         "the paper leaves prediction to future work; we use sticky HMMs"],
        ["HMM with m states; tanh RNN with k units",
         "RNN trained on (x, H) pairs; the forward algorithm as reference",
         "forward algorithm; an m-unit RNN built from it (chapter 3's exact RNN)",
         "a k-unit RNN learned from data, with an unknown map phi",
         f"k = 1: median agreement off near-ties {h['fwd_k1_median_off_ties']:.3f}{census}; "
         f"m = {h['fwd_m_max']:.0f}: agreement {h['fwd_agreement_m_max']:.2f}, "
         f"{100 * h['fwd_ties_m_max']:.0f}% near-ties, accuracy regret <= "
         f"{h['fwd_regret_max']:.4f}",
         f"paper: 'exactly the same' on 100 test sequences; ours at n = {h['fwd_n_max']:,.0f} "
         f"are exactly the same there in {100 * h['fwd_exact_on_100_share']:.0f}% of cases; "
         "agreement falls with m through near-ties and data, not local optima"],
        ["HMM, m = 5, K = 10; d units against d particles",
         "bootstrap PF with the true parameters; RNN from data",
         "a seeded PF is a deterministic recurrence; PF = forward as M grows",
         "PF: Monte Carlo error ~ M^-1/2; RNN: a learned summary",
         f"the RNN agrees more often up to d = {_size(h['pf_rnn_ahead_to'])}; PF TV "
         f"{h['pf_tv_d_max']:.3f} at d = {h['pf_d_max']:,.0f}, RNN plateau (median TV, "
         f"d >= 5) {h['pf_rnn_tv_plateau']:.3f}{data3}",
         f"{pf_catch}; its plateau is a limit of data, as the paper expected"],
        ["HMM; bidirectional and one-way RNNs",
         "forward-backward against RNNs trained on (x, H) pairs",
         "forward-backward smoother P(H\u209c | x\u2081,\u2026,x_T)",
         "a bidirectional RNN learned from data",
         f"the smoother gains {h['sm_gain_min']:.3f} to {h['sm_gain_max']:.3f} accuracy over "
         f"the filter; at k = {h['sm_k']:.0f}, n = {h['sm_n']:,.0f}, for every m, the "
         f"bidirectional RNN agrees off near-ties on at least {h['sm_bi_off_ties']:.3f}, TV at "
         f"most {h['sm_bi_tv']:.3f}; the one-way RNN's median accuracy is "
         f"{h['sm_uni_vs_filter']:+.3f} against the filter's",
         "beyond the paper, which only filters"],
        ["linear-Gaussian SSM; Kitagawa's growth model",
         "Kalman and grid filters; linear RNN, PF and tanh RNN",
         "Kalman filter, a linear RNN in steady state; grid filter up to its grid",
         "linear RNN from data; PF; tanh RNN on the nonlinear model",
         f"linear RNN MSE {h['kal_ratio_median']:.3f} x the Kalman filter's, relative gain "
         f"error {h['kal_gain_error']:.3g}; growth model: the RNN is {cont_ahead}{pf_best}",
         "beyond the paper, which names SSMs but runs no experiment"],
    ]


def interpretations_table(results: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per interpretation (chapters 2 to 6, :data:`ROWS`), the columns :data:`COLUMNS`;
    the column "what our experiments showed" is written from :func:`headline_numbers`."""
    table = pd.DataFrame(_cells(headline_numbers(results)), index=list(ROWS),
                         columns=list(COLUMNS))
    table.index.name = "reading"
    return table


def table_html(table: pd.DataFrame, widths=None) -> str:
    """``table`` as an HTML table whose cells wrap: fixed layout at the column's full width, so
    it never makes the reader scroll sideways. ``widths``: one relative width per column,
    the index first (default: equal, the index a little narrower)."""
    if not isinstance(table, pd.DataFrame) or table.empty:
        raise ValueError(f"table must be a non-empty pandas DataFrame (got "
                         f"{type(table).__name__})")
    n = table.shape[1] + 1
    widths = [0.8] + [1.0] * (n - 1) if widths is None else list(widths)
    if len(widths) != n or not all(np.isfinite(w) and w > 0 for w in widths):
        raise ValueError(f"widths must be {n} positive numbers, the index first (got {widths})")
    total = float(sum(widths))
    cell = ("text-align:left;vertical-align:top;white-space:normal;overflow-wrap:break-word;"
            "hyphens:auto;"
            "padding:4px 6px;border-bottom:1px solid #bbb;")
    cols = "".join(f'<col style="width:{100 * w / total:.1f}%">' for w in widths)
    head = "".join(f'<th style="{cell}">{html.escape(str(c))}</th>'
                   for c in [table.index.name or "", *table.columns])
    body = "".join(
        "<tr>" + f'<th style="{cell}">{html.escape(str(i))}</th>'
        + "".join(f'<td style="{cell}">{html.escape(str(v))}</td>' for v in row) + "</tr>"
        for i, row in zip(table.index, table.itertuples(index=False), strict=True))
    return ('<table class="probrnn-wrapped" lang="en" style="table-layout:fixed;width:100%;'
            'border-collapse:collapse;font-size:0.8em;line-height:1.3">'
            f"<colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>")
