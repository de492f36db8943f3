"""The conclusion's table and headline numbers (probrnn.conclusion).

Chapters 2 to 4's numbers are recomputed from the committed tables by the chapters' own
formulas, written out again here, and must match; chapters 5 and 6's tables are synthetic
frames with the columns those chapters commit, built so that the answer is known.
"""

import numpy as np
import pandas as pd
import pytest

import probrnn.experiments.common as common
from probrnn import conclusion as cc
from probrnn.experiments.common import ResultsNotFoundError, load_results

COMMITTED = ("predictive", "fig5", "fig6", "fig7")


def synthetic_smoothing(rng=0, gain=0.05):
    """Rows like results/smoothing.csv: the smoother is ``gain`` more accurate than the filter on
    every HMM; the bidirectional RNN is close to the smoother, the one-way RNN to the filter."""
    rng = np.random.default_rng(rng)
    rows = []
    for m in (2, 4):
        for hmm_index in range(3):
            acc_filter = 0.7 + 0.1 * rng.random()
            for k in (2, 8):
                for n_train in (1000, 20000):
                    for direction in ("bi", "uni"):
                        bi = direction == "bi"
                        closeness = 0.01 if n_train == 20000 else 0.05
                        rows.append(dict(
                            m=m, k=k, n_train=n_train, hmm_index=hmm_index,
                            direction=direction,
                            accuracy=(acc_filter + gain if bi else acc_filter) - closeness,
                            accuracy_ref=acc_filter + gain, accuracy_filter=acc_filter,
                            agreement=0.97 if bi else 0.85, near_tie_share=0.06,
                            agreement_off_ties=0.995 if bi else 0.9,
                            mean_tv=closeness if bi else 0.1 + closeness,
                            excess_log_loss=closeness / 2 if bi else 0.05,
                            steps=int(rng.integers(500, 3000)), hit_cap=False))
    return pd.DataFrame(rows)


def synthetic_kalman(ratio=1.02):
    """Rows like results/kalman_rnn.csv; at the largest n every RNN's MSE is ``ratio`` times
    the Kalman filter's."""
    rows = []
    for seed in range(3):
        for state_dim in (1, 2):
            for n_train in (100, 5000):
                mse_kalman = 0.5 + 0.1 * seed
                r = ratio if n_train == 5000 else 1.3
                rows.append(dict(seed=seed, state_dim=state_dim, k=state_dim, n_train=n_train,
                                 mse_rnn=r * mse_kalman, mse_kalman=mse_kalman,
                                 mse_steady=1.001 * mse_kalman,
                                 gain_error=0.01 if n_train == 5000 else 0.2,
                                 eig_error=0.02 if n_train == 5000 else 0.3,
                                 steps=800, hit_cap=False))
    return pd.DataFrame(rows)


def synthetic_continuous(sizes=(1, 10, 100, 1000), rnn_better_to=100):
    """Rows like results/continuous.csv; the RNN's mean is closer to the exact one up to size
    ``rnn_better_to``, the particle filter's error falls like 1/M. Particle filter rows leave
    steps and hit_cap blank (nothing is trained)."""
    rows = []
    for size in sizes:
        for rep in range(2):
            pf = 10.0 / size
            rnn = pf / 2 if size <= rnn_better_to else pf * 2
            rows.append(dict(size=size, method="pf", rep=rep, mse_to_grid_mean=pf,
                             mse_to_state=5 + pf, w1=np.sqrt(pf), steps=np.nan, hit_cap=np.nan))
            rows.append(dict(size=size, method="rnn", rep=rep, mse_to_grid_mean=rnn,
                             mse_to_state=5 + rnn, w1=np.nan, steps=900, hit_cap=False))
    return pd.DataFrame(rows)


def synthetic_extensions():
    return {"smoothing": synthetic_smoothing(), "kalman_rnn": synthetic_kalman(),
            "continuous": synthetic_continuous()}


@pytest.fixture(scope="module")
def results():
    return {**{name: load_results(name) for name in COMMITTED}, **synthetic_extensions()}


@pytest.fixture(scope="module")
def h(results):
    return cc.headline_numbers(results)


def test_chapter_2_numbers_are_the_chapters(results, h):
    df = results["predictive"]
    pivot = df.groupby(["m", "n", "predictor"]).excess_ce.mean().unstack("predictor")
    rnn, bw = pivot["rnn"].unstack("n"), pivot["baum_welch"].unstack("n")
    assert h["gen_rnn_excess_m_min"] == pytest.approx(rnn.loc[2, 3000])
    assert h["gen_rnn_excess_m_min"] < 0.003  # chapter 2's assert
    assert h["gen_bw_better_m_min_share"] == 1.0  # Baum-Welch better at every n for m = 2
    assert h["gen_rnn_better_scarce_share"] == 1.0  # the RNN better at n = 30 for m >= 8
    assert h["gen_rnn_falls_with_n"] == 1.0
    assert h["gen_bw_better_share_n_max"] >= 0.75
    assert (bw.loc[8:, 30] > rnn.loc[8:, 30]).all()


def test_chapter_3_numbers_are_the_chapters(results, h):
    fig5, fig6 = results["fig5"], results["fig6"]
    k1 = fig5[(fig5.part == "grid") & (fig5.n_train == 20000) & (fig5.k == 1)]
    assert h["fwd_k1_median_off_ties"] == pytest.approx(k1.agreement_off_ties.median())
    assert h["fwd_k1_median_off_ties"] >= 0.97
    assert h["fwd_min_off_ties_n_max"] >= 0.999
    census = fig5[fig5.part == "census"].groupby("k").agreement_off_ties
    assert h["fwd_census_k1_below_share"] == 0 and h["fwd_census_k2_worst"] >= 0.999
    assert h["fwd_census_k1_worst"] == pytest.approx(census.min()[1]) and h["fwd_census_k1_worst"] < 0.99
    f20 = fig6[fig6.k == 20].set_index("m")
    assert h["fwd_agreement_m2"] == pytest.approx(f20.agreement[2])
    assert h["fwd_agreement_m_max"] == pytest.approx(f20.agreement[512])
    assert h["fwd_agreement_m_max"] < 0.5
    assert h["fwd_ties_m_max"] > 0.9 and h["fwd_regret_max"] < 0.003
    assert h["fwd_wide_tv_ratio"] >= 0.9 and h["fwd_max_z"] < 3
    assert h["fwd_capped"] == 0


def test_chapter_4_numbers_are_the_chapters(results, h):
    grid = results["fig7"][results["fig7"].part == "grid"]
    agree = grid.groupby(["kind", "d"]).agreement.mean().unstack("kind")
    ahead = agree.rnn >= agree.pf
    assert h["pf_rnn_ahead_to"] == max(d for d in agree.index if ahead.loc[:d].all()) >= 500
    assert h["pf_d_max"] == 1000 and h["pf_ahead_sizes"] <= 1
    pf_ahead = [d for d in agree.index if agree.pf[d] > agree.rnn[d]]
    assert h["pf_ahead_sizes"] == len(pf_ahead)
    if pf_ahead:
        assert h["pf_first_ahead"] == min(pf_ahead)
    else:
        assert np.isnan(h["pf_first_ahead"]) and h["pf_rnn_ahead_to"] == h["pf_d_max"]
    assert h["pf_tv_d_max"] < 1.2 * h["pf_rnn_tv_plateau"] and h["pf_rnn_tv_spread"] < 1.5
    assert h["pf_tv_change_3x_data"] < 0 and h["pf_tv_3x_data_below_pf"] == 1.0
    assert h["pf_capped"] == 0


def test_smoothing_numbers_from_known_frames(h):
    assert h["sm_gain"] == pytest.approx(0.05) and h["sm_gain_min"] == pytest.approx(0.05)
    assert h["sm_bi_off_ties"] == pytest.approx(0.995)
    assert h["sm_bi_tv"] == pytest.approx(0.01)  # the largest n only
    assert h["sm_bi_accuracy_gap"] == pytest.approx(0.01)
    assert h["sm_uni_vs_filter"] == pytest.approx(-0.01)
    assert h["sm_bi_closer_share"] == 1.0 and h["sm_capped"] == 0


def test_continuous_numbers_from_known_frames(h):
    assert h["kal_ratio_median"] == pytest.approx(1.02)  # the largest n only
    assert h["kal_steady_ratio"] == pytest.approx(1.001)
    assert h["kal_gain_error"] == pytest.approx(0.01) and h["kal_eig_error_max"] == 0.02
    assert h["cont_rnn_ahead_to"] == 100 and h["cont_pf_ahead_sizes"] == 1
    assert h["cont_pf_first_ahead"] == 1000
    assert h["cont_pf_improvement"] == pytest.approx(1000)
    assert h["cont_capped"] == 0  # blank hit_cap of particle filters is not a cap


def test_caps_are_counted_whatever_the_csv_made_of_them(results):
    capped = synthetic_smoothing()
    capped.loc[[0, 5], "hit_cap"] = True
    cont = synthetic_continuous()
    cont["hit_cap"] = cont.hit_cap.map({False: "False", True: "True"})  # strings, blanks
    cont.loc[cont.method == "rnn", "hit_cap"] = ["True"] + ["False"] * 7
    h = cc.headline_numbers({**results, "smoothing": capped, "continuous": cont})
    assert h["sm_capped"] == 2 and h["cont_capped"] == 1


@pytest.mark.parametrize("better, expected", [
    ([True, True, False, True], 10), ([True] * 4, 1000), ([False, True, True, True], np.nan),
    ([True, False, False, False], 1)])
def test_ahead_to(better, expected):
    got = cc._ahead_to(pd.Series(better, index=[1, 10, 100, 1000]))
    assert (np.isnan(got) and np.isnan(expected)) or got == expected


def test_rnn_behind_everywhere_is_said(results):
    h = cc.headline_numbers({**results, "continuous": synthetic_continuous(rnn_better_to=0)})
    assert np.isnan(h["cont_rnn_ahead_to"])
    table = cc.interpretations_table(
        {**results, "continuous": synthetic_continuous(rnn_better_to=0)})
    assert "behind the PF already at the smallest size" in table.iloc[4, 4]


def test_table_shape_and_cells(results, h):
    table = cc.interpretations_table(results)
    assert list(table.columns) == list(cc.COLUMNS) and list(table.index) == list(cc.ROWS)
    assert table.map(lambda s: isinstance(s, str) and 0 < len(s) < 260).all().all()
    showed = table["what our experiments showed"]
    assert f"{h['fwd_k1_median_off_ties']:.3f}" in showed.iloc[1]
    assert f"d = {h['pf_rnn_ahead_to']:,.0f}" in showed.iloc[2]
    assert f"{h['sm_bi_off_ties']:.3f}" in showed.iloc[3]
    assert "up to 100" in showed.iloc[4]
    assert "n = 30 for every m >= 8" in showed.iloc[0]
    catch = ("the PF never agrees more often" if h["pf_ahead_sizes"] == 0 else
             f"only at d = {h['pf_first_ahead']:,.0f}")
    assert catch in table.iloc[2, 5]


def test_table_html_wraps_and_escapes():
    table = pd.DataFrame({"a <b>": ["x & y"], "c": ["long " * 50]}, index=["row"])
    out = cc.table_html(table)
    assert "table-layout:fixed" in out and "width:100%" in out
    assert "a &lt;b&gt;" in out and "x &amp; y" in out and "<b>" not in out
    assert out.count("<col ") == 3 and out.count("<tr>") == 2
    for bad in ([1, 2], [1, 2, -1], [1, float("nan"), 1]):
        with pytest.raises(ValueError, match="widths must be 3 positive numbers"):
            cc.table_html(table, widths=bad)
    with pytest.raises(ValueError, match="non-empty pandas DataFrame"):
        cc.table_html(pd.DataFrame())


def test_bad_results_are_refused_by_name(results):
    partial = {k: v for k, v in results.items() if k != "smoothing"}
    with pytest.raises(ValueError, match="lacks the table 'smoothing'.*05_smoothing"):
        cc.headline_numbers(partial)
    with pytest.raises(ValueError, match="dict of tables"):
        cc.headline_numbers([results["fig5"]])
    broken = {**results, "kalman_rnn": synthetic_kalman().drop(columns="gain_error")}
    with pytest.raises(ValueError, match=r"results\['kalman_rnn'\] lacks the columns "
                                         r"\['gain_error'\]"):
        cc.headline_numbers(broken)


def test_missing_files_are_all_named(tmp_path, monkeypatch):
    (tmp_path / "results").mkdir()
    for name in COMMITTED:
        load_results(name).to_csv(tmp_path / "results" / f"{name}.csv", index=False)
    synthetic_smoothing().to_csv(tmp_path / "results" / "smoothing.csv", index=False)
    monkeypatch.setattr(common, "repository_root", lambda: tmp_path / "elsewhere")
    with pytest.raises(ResultsNotFoundError) as err:
        cc.load_conclusion_results(start=tmp_path)
    message = str(err.value)
    assert "results/kalman_rnn.csv" in message and "results/continuous.csv" in message
    assert "06_continuous" in message and "reproduce continuous" in message
    assert "smoothing.csv" not in message and "fig5" not in message
    for name, df in synthetic_extensions().items():
        df.to_csv(tmp_path / "results" / f"{name}.csv", index=False)
    loaded = cc.load_conclusion_results(start=tmp_path)
    assert set(loaded) == set(cc.SOURCES)
    assert cc.headline_numbers(loaded)["cont_capped"] == 0  # blanks read back from the CSV


def test_chapter_4_margin_and_chapter_6_particles_come_from_the_tables(results, h):
    grid = results["fig7"][results["fig7"].part == "grid"]
    agree = grid.groupby(["kind", "d"]).agreement.mean().unstack("kind")
    assert h["pf_rnn_margin_d_max"] == pytest.approx(agree.rnn.iloc[-1] - agree.pf.iloc[-1])
    cont = results["continuous"]
    mse = cont.groupby(["method", "size"]).mse_to_grid_mean.mean().unstack("method")
    beats = [s for s in mse.index if mse.pf[s] < mse.rnn.min()]
    assert h["cont_pf_beats_best_rnn_from"] == (beats[0] if beats else np.nan) or not beats
    table = cc.interpretations_table(results)
    if beats:
        assert f"{beats[0]:,.0f} particles beat every RNN" in table.iloc[4, 4]
    if h["pf_ahead_sizes"] == 0:
        assert f"by {h['pf_rnn_margin_d_max']:.3f} less" in table.iloc[2, 5]
