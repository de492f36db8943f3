"""Continuous states (chapter 6, *Continuous states: Kalman filters, particle filters and RNNs*).

* :func:`kalman_rnn`: the steady-state Kalman filter is a linear RNN. For each state dimension
  and seed, a random stable linear-Gaussian model with one scalar sensor; a linear RNN with
  k = state_dim hidden units trained by the training rule on (observations, true states) with
  the squared error (:func:`probrnn.training.fit_real_input_rnns`, ``cell="linear"``), and
  compared with the Riccati solution through quantities that do not depend on the hidden
  basis: the eigenvalues of the recurrent matrix and the impulse response O U^j W of the
  input-output map, and its test MSE with the exact Kalman filter's.
* :func:`continuous`: Figure 7 in continuous state. Kitagawa's growth model; for each size s, a
  tanh RNN with k = s units trained on (observations, true states) with the squared error,
  and a bootstrap particle filter with M = s particles that knows the model, both scored
  against the grid filter (exact up to its grid): MSE of the posterior mean to the grid
  filter's mean, MSE to the true state, and for the particle filter the Wasserstein-1 distance
  of its weighted particles to the grid posterior (NaN for the RNN, which outputs a mean only).

Seeds derive from the base seed and the grid point (:func:`~probrnn.experiments.common.derive_seed`,
first key 14, the issue of the chapter), so a row does not depend on which other rows ran.

Symbols in the chapter and names here: the chapter's transition F is the model's ``A``, its
state z_t is the package's ``x``/``states``; the observation matrix C and the noise
covariances Q, R keep their names.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from ..continuous import (
    GrowthModel,
    LinearGaussianSSM,
    bin_onto_grid,
    bootstrap_filter,
    grid_filter,
    kalman_filter,
    steady_state_filter,
    steady_state_gain,
    steady_state_rnn_weights,
    wasserstein1,
)
from ..threads import map_threads
from ..training import FitTask, fit_real_input_rnns
from ..validate import check_bool, check_int, check_int_grid, check_table
from .common import announce, base_seed, derive_seed, scale_config, workers_for

KEY = 14  # first key of every derived seed of this module
LAGS = 10  # impulse-response lags compared in kalman_rnn

KALMAN = {
    "quick": dict(state_dims=(1,), n_seeds=1, n_train=500, n_test=200, T=20, max_steps=200),
    "paper": dict(state_dims=(1, 2, 3), n_seeds=3, n_train=4000, n_test=1000, T=40,
                  max_steps=None),
}
CONTINUOUS = {
    "quick": dict(sizes=(2, 5), n_reps=1, n_train=300, n_test=50, T=20, max_steps=200,
                  grid_points=300, pf_sizes=(50,)),
    "paper": dict(sizes=(1, 2, 5, 10, 20, 50, 100), n_reps=2, n_train=5000, n_test=500, T=50,
                  max_steps=None, grid_points=1000, pf_sizes=(200, 500, 1000)),
}


# ---------------------------------------------------------------------- linear-Gaussian part
def kalman_model(state_dim: int, seed: int, steady_start: bool = True) -> LinearGaussianSSM:
    """The model of :func:`kalman_rnn` for one state dimension and seed: a random stable model
    (:meth:`LinearGaussianSSM.random`, spectral radius 0.95) with one scalar sensor (p = 1),
    whose sensor noise variance R is multiplied by 4 so that the filter averages over several
    steps (a long memory is what makes the recurrent weights worth comparing), and started at
    mean 0.

    With ``steady_start`` (the default) z_1 has the steady-state *predicted* covariance
    P^-_inf of the Riccati equation: the model is started as if it had been observed for
    ever, so every exact gain K_t equals K_inf and the Kalman filter *is* the linear RNN
    h_t = (I - K_inf C) F h_{t-1} + K_inf y_t from h_0 = 0. Without it, z_1 has the random
    covariance of :meth:`LinearGaussianSSM.random`, and K_t reaches K_inf only after a
    start-up transient, which a constant-weight network cannot follow.
    """
    state_dim = check_int(state_dim, "state_dim", minimum=1)
    m = LinearGaussianSSM.random(state_dim, 1, rng=derive_seed(KEY, seed, state_dim, 0),
                                 spectral_radius=0.95)
    model = LinearGaussianSSM(m.A, m.C, m.Q, 4.0 * m.R, np.zeros(state_dim), m.cov0)
    if not check_bool(steady_start, "steady_start"):
        return model
    _, P = steady_state_gain(model)
    P_pred = model.A @ P @ model.A.T + model.Q
    return LinearGaussianSSM(model.A, model.C, model.Q, model.R, model.mean0,
                             (P_pred + P_pred.T) / 2)


def impulse_response(U, W, read_out, lags: int = LAGS) -> np.ndarray:
    """(lags, out, in): O U^j W for j = 0..lags-1 (O = ``read_out``), the response of the
    output to an input pulse j steps back; unchanged by any change of hidden basis h -> S h."""
    out, M = [], np.asarray(W, dtype=float)
    for _ in range(lags):
        out.append(read_out @ M)
        M = U @ M
    return np.stack(out)


def matched_eig_error(a, b) -> float:
    """Largest |lambda - mu| over the best one-to-one matching of two sets of eigenvalues."""
    ea, eb = np.linalg.eigvals(a), np.linalg.eigvals(b)
    cost = np.abs(ea[:, None] - eb[None, :])
    r, c = linear_sum_assignment(cost)
    return float(cost[r, c].max())


def linear_rnn_weights(net):
    """(U, W, O) of a one-layer linear :class:`~probrnn.rnn.real_input.RealInputRNN`: recurrent
    (k, k), input (k, p) and read-out (n_out, k) weights, float64."""
    w = [t.detach().double().cpu().numpy() for t in net.weights()]
    return w[1], w[0], w[4]


def _mse(est, states) -> float:
    """Mean over sequences and steps of the squared error summed over state components."""
    diff = np.asarray(est) - np.asarray(states)
    return float((diff.reshape(diff.shape[0], diff.shape[1], -1) ** 2).sum(-1).mean())


def kalman_group(seed: int, scale: str, state_dim: int, seeds, cfg: dict) -> list:
    """Rows of :func:`kalman_rnn` for one state dimension and replicate seeds ``seeds``; the
    linear RNNs of the group are trained together as one batched model."""
    tasks, data = [], []
    for s in seeds:
        model = kalman_model(state_dim, derive_seed(seed, s))
        z_tr, y_tr = model.sample(cfg["n_train"], cfg["T"], rng=derive_seed(KEY, seed, s, 1))
        z_te, y_te = model.sample(cfg["n_test"], cfg["T"], rng=derive_seed(KEY, seed, s, 2))
        tasks.append(FitTask(y_tr, z_tr, seed=derive_seed(KEY, seed, s, 3)))
        data.append((model, z_te, y_te))
    start = time.perf_counter()
    fits = fit_real_input_rnns(tasks, input_size=1, hidden_size=state_dim, cell="linear",
                               progress=False, max_steps=cfg["max_steps"])
    announce(scale, f"kalman_rnn: {len(tasks)} linear RNN(s), state_dim = {state_dim}, in "
             f"{time.perf_counter() - start:.0f} s")
    rows = []
    for s, task, (model, z_te, y_te), (net, hist) in zip(seeds, tasks, data, fits, strict=True):
        U_k, K = steady_state_rnn_weights(model)
        U, W, read_out = linear_rnn_weights(net)
        ir_k = impulse_response(U_k, K, np.eye(state_dim))
        ir = impulse_response(U, W, read_out)
        rows.append(dict(
            seed=s, base_seed=seed, scale=scale, state_dim=state_dim, k=state_dim, p=1,
            T=cfg["T"], n_train=cfg["n_train"], n_test=cfg["n_test"], run_seed=task.seed,
            mse_rnn=_mse(net.predict(y_te), z_te),
            mse_kalman=_mse(kalman_filter(model, y_te).means, z_te),
            mse_steady=_mse(steady_state_filter(model, y_te), z_te),
            gain_error=float(np.linalg.norm(read_out @ W - K) / np.linalg.norm(K)),
            impulse_error=float(np.linalg.norm(ir - ir_k) / np.linalg.norm(ir_k)),
            eig_error=matched_eig_error(U, U_k),
            rho_kalman=float(np.abs(np.linalg.eigvals(U_k)).max()),
            rho_rnn=float(np.abs(np.linalg.eigvals(U)).max()),
            **hist.record()))
    return rows


def kalman_rnn(scale: str = "quick", seed: int = 0, state_dims=None, n_seeds=None,
               workers=None) -> pd.DataFrame:
    """Linear RNNs against the steady-state Kalman filter.

    Args:
        scale: "quick" (state_dim 1, one seed, T = 20, 500 training sequences, cap 200 steps:
            seconds) or "paper" (state_dim 1, 2, 3; three seeds each; T = 40; 4,000 training and
            1,000 test sequences; the training rule's own cap).
        seed: base seed; replicate ``s`` of a state dimension uses the model
            :func:`kalman_model` (state_dim, derive_seed(seed, s)).
        state_dims, n_seeds: override the grid.
        workers: worker threads (default 2 at paper scale, 1 at quick).

    Returns:
        One row per (state_dim, seed): ``mse_rnn``, ``mse_kalman`` (exact filter),
        ``mse_steady`` (the steady-state filter: the linear RNN with the Riccati weights), each
        the mean over test sequences and steps of the squared error summed over components;
        ``gain_error`` = ||O W - K|| / ||K|| (the learned input-output gain against K),
        ``impulse_error`` (the same for the first 10 terms O U^j W of the impulse response),
        ``eig_error`` (largest distance between matched eigenvalues of the learned recurrent
        matrix U and of (I - K C) F), the spectral radii, and the training record (``steps``,
        ``hit_cap``, ...). Models start in the steady state
        (:func:`kalman_model`), so the exact filter is the steady-state one.
    """
    cfg = scale_config(scale, KALMAN)
    seed = base_seed(seed)
    workers = workers_for(scale, workers)
    dims = cfg["state_dims"] if state_dims is None else check_int_grid(
        state_dims, "state_dims", minimum=1, maximum=8)
    seeds = tuple(range(cfg["n_seeds"] if n_seeds is None
                        else check_int(n_seeds, "n_seeds", minimum=1)))
    jobs = [(seed, scale, dim, seeds, cfg) for dim in sorted(dims, reverse=True)]
    rows = [row for group in map_threads(kalman_group, jobs, workers) for row in group]
    return pd.DataFrame(rows).sort_values(["state_dim", "seed"], ignore_index=True)


def kalman_rnn_figure(df: pd.DataFrame):
    """The plotly figure of a :func:`kalman_rnn` table (:mod:`probrnn.figures.continuous`)."""
    from ..figures.continuous import kalman_rnn_panels

    return kalman_rnn_panels(df)


# ---------------------------------------------------------------------- growth model part
def growth_test_set(seed: int, n_test: int, T: int, grid_points: int = 1000):
    """(model, states, obs, grid filter result) of :func:`continuous`'s test set."""
    model = GrowthModel()
    states, obs = model.sample(n_test, T, rng=derive_seed(KEY, seed, 7, 1))
    return model, states, obs, grid_filter(model, obs, model.default_grid(grid_points))


def growth_training_set(seed: int, rep: int, n_train: int, T: int):
    """(states, obs) of replicate ``rep``'s training set."""
    return GrowthModel().sample(n_train, T, rng=derive_seed(KEY, seed, 7, 2, rep))


def standardiser(obs, states):
    """Training-set means and standard deviations ``(y_mean, y_sd, z_sd)``: the RNN reads
    (y - y_mean) / y_sd and predicts z / z_sd (a tanh unit saturates on raw inputs up to 40,
    and the rule's ``min_delta`` is meant for losses of order 1)."""
    return float(np.mean(obs)), float(np.std(obs)), float(np.std(states))


def per_step(means, grid_means) -> dict:
    """``mse_t1 .. mse_tT``: the squared error to the grid filter's mean at each step, averaged
    over the test sequences (the chapter's slider figure plots them)."""
    err = ((np.asarray(means) - np.asarray(grid_means)) ** 2).mean(axis=0)
    return {f"mse_t{t + 1}": float(e) for t, e in enumerate(err)}


def pf_scores(model, obs, states, grid_res, M: int, pf_seed: int) -> dict:
    """A bootstrap filter with M particles scored against the grid filter."""
    res = bootstrap_filter(model, obs, M, rng=pf_seed)
    binned = bin_onto_grid(res.particles, grid_res.grid, np.exp(res.log_weights))
    return dict(**per_step(res.means, grid_res.means),
                mse_to_grid_mean=_mse(res.means, grid_res.means),
                mse_to_state=_mse(res.means, states),
                w1=float(wasserstein1(binned, grid_res.weights, grid_res.grid).mean()),
                mean_ess=float(res.ess.mean()))


def pf_row(seed: int, scale: str, size: int, rep: int, cfg: dict, _data=None) -> dict:
    """One particle-filter row of :func:`continuous`: M = ``size`` particles."""
    model, states, obs, grid_res = _data if _data is not None else growth_test_set(
        seed, cfg["n_test"], cfg["T"], cfg["grid_points"])
    pf_seed = derive_seed(KEY, seed, 7, 4, rep, size)
    start = time.perf_counter()
    scores = pf_scores(model, obs, states, grid_res, size, pf_seed)
    return dict(size=size, method="pf", rep=rep, seed=seed, scale=scale, T=cfg["T"],
                n_test=cfg["n_test"], n_train=0, run_seed=pf_seed,
                mse_grid_to_state=_mse(grid_res.means, states), **scores,
                seconds=round(time.perf_counter() - start, 4), steps=0, hit_cap=False)


def rnn_rows(seed: int, scale: str, size: int, reps, cfg: dict, _data=None,
             lr: float | None = None) -> list:
    """RNN rows of :func:`continuous`: tanh RNNs with k = ``size`` units, one per replicate,
    trained together by the training rule (``lr`` overrides its learning rate:
    ``benchmarks/check_learning_rate.py``)."""
    model, states, obs, grid_res = _data if _data is not None else growth_test_set(
        seed, cfg["n_test"], cfg["T"], cfg["grid_points"])
    tasks, scales = [], []
    for rep in reps:
        z_tr, y_tr = growth_training_set(seed, rep, cfg["n_train"], cfg["T"])
        y_mean, y_sd, z_sd = standardiser(y_tr, z_tr)
        tasks.append(FitTask(((y_tr - y_mean) / y_sd)[..., None], (z_tr / z_sd)[..., None],
                             seed=derive_seed(KEY, seed, 7, 3, rep, size)))
        scales.append((y_mean, y_sd, z_sd))
    start = time.perf_counter()
    fits = fit_real_input_rnns(tasks, input_size=1, hidden_size=size, progress=False,
                               max_steps=cfg["max_steps"], lr=lr)
    announce(scale, f"continuous: {len(tasks)} tanh RNN(s) with k = {size} in "
             f"{time.perf_counter() - start:.0f} s")
    rows = []
    for rep, task, (y_mean, y_sd, z_sd), (net, hist) in zip(reps, tasks, scales, fits,
                                                             strict=True):
        means = net.predict(((obs - y_mean) / y_sd)[..., None])[..., 0] * z_sd
        rows.append(dict(size=size, method="rnn", rep=rep, seed=seed, scale=scale, T=cfg["T"],
                         n_test=cfg["n_test"], n_train=cfg["n_train"], run_seed=task.seed,
                         mse_grid_to_state=_mse(grid_res.means, states),
                         mse_to_grid_mean=_mse(means, grid_res.means),
                         mse_to_state=_mse(means, states), w1=np.nan, mean_ess=np.nan,
                         y_mean=y_mean, y_sd=y_sd, z_sd=z_sd, **hist.record(),
                         **per_step(means, grid_res.means)))
    return rows


def continuous(scale: str = "quick", seed: int = 0, sizes=None, n_reps=None, workers=None,
               rnn: bool = True) -> pd.DataFrame:
    """Figure 7 in continuous state: tanh RNNs with k = s units against bootstrap filters with
    M = s particles on Kitagawa's growth model, scored against the grid filter.

    Args:
        scale: "quick" (s in {2, 5}, one replicate, T = 20, a coarse grid, cap 200 steps:
            seconds) or "paper" (s = 1, 2, 5, ..., 100; two replicates; T = 50; 5,000
            training and 500 test sequences; 1,000 grid points). Both scales add particle
            filters only at larger sizes (``pf_sizes``: 200, 500, 1,000 at paper scale), which
            cost seconds, to show where the filter overtakes the best RNN.
        seed: base seed (the test set and every replicate derive from it).
        sizes, n_reps: override the grid (``sizes`` drops the particle-filter-only sizes).
        workers: worker threads for RNN training (default 2 at paper scale, 1 at quick).
        rnn: False skips the RNNs (particle-filter rows only: seconds).

    Returns:
        One row per (size, method in {"rnn", "pf"}, rep): ``mse_to_grid_mean`` (the posterior
        mean's squared error to the grid filter's, averaged over sequences and steps),
        ``mse_to_state``, ``mse_grid_to_state`` (the grid filter's own, the optimum), ``w1``
        (the particle filter's mean Wasserstein-1 distance to the grid posterior; NaN for the
        RNN, which outputs a mean only), ``steps`` and ``hit_cap`` (0 and False for a particle
        filter), ``mse_t1 .. mse_tT`` (the MSE to the grid mean at each step), seeds and, for
        an RNN, its training record and input/target scalings.
    """
    cfg = scale_config(scale, CONTINUOUS)
    seed = base_seed(seed)
    workers = workers_for(scale, workers)
    custom = sizes is not None
    sizes = cfg["sizes"] if sizes is None else check_int_grid(sizes, "sizes", minimum=1,
                                                              maximum=10_000)
    reps = tuple(range(cfg["n_reps"] if n_reps is None
                       else check_int(n_reps, "n_reps", minimum=1)))
    rnn = check_bool(rnn, "rnn")
    data = growth_test_set(seed, cfg["n_test"], cfg["T"], cfg["grid_points"])
    pf_sizes = sorted(set(sizes) | ({*cfg["pf_sizes"]} if not custom else set()))
    rows = [pf_row(seed, scale, s, r, cfg, data) for s in pf_sizes for r in reps]
    if rnn:
        jobs = [(seed, scale, s, reps, cfg, data) for s in sorted(sizes, reverse=True)]
        rows += [row for group in map_threads(rnn_rows, jobs, workers) for row in group]
    return pd.DataFrame(rows).sort_values(["method", "size", "rep"], ignore_index=True)


CONTINUOUS_COLUMNS = ("size", "method", "rep", "mse_to_grid_mean", "mse_to_state", "w1",
                      "steps", "hit_cap")


def size_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Replicate means of a :func:`continuous` table: rows size, columns (score, method)."""
    df = check_table(df, CONTINUOUS_COLUMNS, numeric=("size", "mse_to_grid_mean"))
    return df.groupby(["size", "method"])[["mse_to_grid_mean", "mse_to_state", "w1"]].mean(
    ).unstack("method")


def continuous_figure(df: pd.DataFrame):
    """The plotly figure of a :func:`continuous` table (:mod:`probrnn.figures.continuous`)."""
    from ..figures.continuous import size_panels

    return size_panels(df)


# ---------------------------------------------------------------------- one live comparison
def compare_one(M: int, k: int, seed: int = 0, n_train: int = 1000, n_test: int = 100,
                T: int = 30, max_steps: int = 400) -> dict:
    """A small live version of one size: a bootstrap filter with M particles and a tanh RNN with
    k units on the growth model, the RNN trained by the rule with its cap lowered to
    ``max_steps`` (seconds; it may stop short of convergence: ``history.hit_cap`` says).

    Returns ``dict(states, obs, grid, pf, rnn_means, scores, history)``: the test set, the grid
    filter's result, the particle filter's result, the RNN's posterior means (n_test, T) and a
    DataFrame of the scores per method.
    """
    M, k = check_int(M, "M", minimum=1, maximum=100_000), check_int(k, "k", minimum=1,
                                                                    maximum=1000)
    seed = base_seed(seed)
    n_train = check_int(n_train, "n_train", minimum=20)
    n_test = check_int(n_test, "n_test", minimum=1)
    T = check_int(T, "T", minimum=2)
    max_steps = check_int(max_steps, "max_steps", minimum=1)
    model, states, obs, grid_res = growth_test_set(seed, n_test, T)
    pf = bootstrap_filter(model, obs, M, rng=derive_seed(KEY, seed, 9, M))
    binned = bin_onto_grid(pf.particles, grid_res.grid, np.exp(pf.log_weights))
    z_tr, y_tr = growth_training_set(seed, 99, n_train, T)
    y_mean, y_sd, z_sd = standardiser(y_tr, z_tr)
    [(net, hist)] = fit_real_input_rnns(
        [FitTask(((y_tr - y_mean) / y_sd)[..., None], (z_tr / z_sd)[..., None],
                 seed=derive_seed(KEY, seed, 9, 2, k))],
        input_size=1, hidden_size=k, progress=False, max_steps=max_steps)
    rnn_means = net.predict(((obs - y_mean) / y_sd)[..., None])[..., 0] * z_sd
    scores = pd.DataFrame([
        dict(method="grid filter (reference)", mse_to_grid_mean=0.0,
             mse_to_state=_mse(grid_res.means, states), w1=0.0),
        dict(method=f"particle filter, M = {M}", mse_to_grid_mean=_mse(pf.means, grid_res.means),
             mse_to_state=_mse(pf.means, states),
             w1=float(wasserstein1(binned, grid_res.weights, grid_res.grid).mean())),
        dict(method=f"tanh RNN, k = {k}", mse_to_grid_mean=_mse(rnn_means, grid_res.means),
             mse_to_state=_mse(rnn_means, states), w1=np.nan),
    ])
    return dict(states=states, obs=obs, grid=grid_res, pf=pf, rnn_means=rnn_means,
                scores=scores, history=hist)


__all__ = ["kalman_rnn", "kalman_rnn_figure", "kalman_model", "impulse_response",
           "matched_eig_error", "linear_rnn_weights", "continuous", "continuous_figure",
           "growth_test_set", "growth_training_set", "size_summary", "compare_one",
           "KALMAN", "CONTINUOUS"]
