"""Checkers for the exercises of the chapter *Continuous states: Kalman filters, particle filters
and RNNs*.

Each is compared with the package's own algorithm on models it draws from fixed seeds: the
scalar steady-state gain with :func:`probrnn.continuous.steady_state_gain`, the Kalman filter
with missing observations with exact conditioning of the joint Gaussian of the whole
sequence (:func:`joint_conditional`), and a grid filter with
:func:`probrnn.continuous.grid_filter`.
"""

from __future__ import annotations

import numpy as np

from ..continuous import (
    GrowthModel,
    LinearGaussianSSM,
    ScalarLinearSSM,
    grid_filter,
    steady_state_gain,
)
from .result import CaseFailed, checked, compare


def check_scalar_gain(attempt):
    """ex-cont-1: ``scalar_steady_gain(F, C, Q, R)`` returns the steady-state gain K_inf of the
    scalar model z_t = F z_{t-1} + N(0, Q), y_t = C z_t + N(0, R) (the checker's local names
    are lower case)."""
    specs = [("F = 0.9, C = 1, Q = 1, R = 1", (0.9, 1.0, 1.0, 1.0)),
             ("a noisy sensor: R = 25", (0.95, 1.0, 0.5, 25.0)),
             ("a precise sensor: R = 0.01", (0.5, 2.0, 1.0, 0.01)),
             ("a negative F and C", (-0.7, -0.5, 2.0, 1.0)),
             ("an unstable state, F = 1.2 (still a steady gain)", (1.2, 1.0, 1.0, 1.0)),
             ("no state noise, Q = 0, stable F: the gain dies out", (0.5, 1.0, 0.0, 1.0))]

    def case(f, c, q, r):
        def body():
            model = LinearGaussianSSM([[f]], [[c]], [[q]], [[r]], [0.0], [[1.0]])
            K, _ = steady_state_gain(model)
            got = attempt(f, c, q, r)
            try:
                value = float(np.asarray(got, dtype=float).reshape(-1)[0])
            except (TypeError, ValueError, IndexError):
                raise CaseFailed(f"expected a number, got {type(got).__name__}") from None
            k = float(K[0, 0])
            if not np.isclose(value, k, rtol=1e-6, atol=1e-8):
                p_pred = k * r / (c * (1 - k * c)) if c * (1 - k * c) != 0 else np.nan
                if np.isclose(value, p_pred, rtol=1e-6):
                    raise CaseFailed("you return the predicted variance P^-; the gain is "
                                     "K = C P^- / (C^2 P^- + R).")
                if np.isclose(value, (1 - k * c) * f, rtol=1e-6):
                    raise CaseFailed("you return the recurrent weight (1 - K C) F; return K "
                                     "itself.")
            compare(value, k, "the steady-state gain K_inf", atol=1e-8, rtol=1e-6)
        return body

    return checked("ex-cont-1", "The scalar steady-state gain",
                   [(name, case(*args), f"scalar_steady_gain{args}") for name, args in specs])


def joint_conditional(model, y):
    """Filtered means and covariances (T, n_z), (T, n_z, n_z) of one sequence y (T, n_y) whose
    missing steps are rows of NaN, by conditioning the joint Gaussian of (z_1..T, y_1..T) on the
    observed entries of y_1..t: no recursion, so independent of any Kalman filter."""
    F, C, Q, R = model.A, model.C, model.Q, model.R
    T, nz, ny = y.shape[0], model.d, model.p
    var = [model.cov0]
    for _ in range(1, T):
        var.append(F @ var[-1] @ F.T + Q)
    Czz = np.zeros((T * nz, T * nz))
    for t in range(T):
        for s in range(t + 1):
            block = np.linalg.matrix_power(F, t - s) @ var[s]
            Czz[t * nz:(t + 1) * nz, s * nz:(s + 1) * nz] = block
            Czz[s * nz:(s + 1) * nz, t * nz:(t + 1) * nz] = block.T
    mz = np.concatenate([np.linalg.matrix_power(F, t) @ model.mean0 for t in range(T)])
    Cb = np.kron(np.eye(T), C)
    my, Czy = Cb @ mz, Czz @ Cb.T
    Cyy = Cb @ Czz @ Cb.T + np.kron(np.eye(T), R)
    seen = ~np.isnan(y).any(axis=1)
    means, covs = np.empty((T, nz)), np.empty((T, nz, nz))
    for t in range(T):
        zt = slice(t * nz, (t + 1) * nz)
        idx = np.concatenate([np.arange(s * ny, (s + 1) * ny) for s in range(t + 1) if seen[s]]
                             + [np.zeros(0, dtype=int)])
        if idx.size == 0:
            means[t], covs[t] = mz[zt], Czz[zt, zt]
            continue
        gain = np.linalg.solve(Cyy[np.ix_(idx, idx)], Czy[zt][:, idx].T).T
        means[t] = mz[zt] + gain @ (y.reshape(-1)[idx] - my[idx])
        covs[t] = Czz[zt, zt] - gain @ Czy[zt][:, idx].T
    return means, covs


def check_kalman_missing(attempt):
    """ex-cont-2: ``kalman_missing(F, C, Q, R, mean0, cov0, y)`` returns the filtered means
    (T, n_z) and covariances (T, n_z, n_z) of one sequence y (T, n_y) in which a missing step
    is a row of NaN."""
    cases = []
    specs = [("nothing missing (the ordinary filter), n_z = 2, n_y = 1", 2, 1, 6, 0, ()),
             ("steps 3 and 4 missing", 2, 1, 7, 1, (2, 3)),
             ("the first step missing", 3, 2, 5, 2, (0,)),
             ("every step missing: the prior, propagated", 2, 2, 4, 3, (0, 1, 2, 3)),
             ("the last step missing", 1, 1, 5, 4, (4,))]
    for name, nz, ny, T, seed, gone in specs:
        def body(nz=nz, ny=ny, T=T, seed=seed, gone=gone):
            model = LinearGaussianSSM.random(nz, ny, rng=seed)
            y = model.sample(1, T, rng=seed + 10)[1][0]
            y[list(gone)] = np.nan
            ref_means, ref_covs = joint_conditional(model, y)
            got = attempt(model.A.copy(), model.C.copy(), model.Q.copy(), model.R.copy(),
                          model.mean0.copy(), model.cov0.copy(), y.copy())
            if not isinstance(got, (tuple, list)) or len(got) != 2:
                raise CaseFailed("expected a pair (means (T, n_z), covs (T, n_z, n_z))")
            means, covs = got
            if np.isnan(np.asarray(means, dtype=float)).any():
                raise CaseFailed("your means contain NaN: a missing y_t must skip the update "
                                 "(the filtered belief is then the predicted one), not use NaN.")
            compare(means, ref_means, "the filtered means", atol=1e-8, rtol=1e-6, time_axis=0,
                    axis_names=("T", "n_z"))
            compare(covs, ref_covs, "the filtered covariances", atol=1e-8, rtol=1e-6,
                    time_axis=0, axis_names=("T", "n_z", "n_z"))
        cases.append((name, body, f"LinearGaussianSSM.random({nz}, {ny}, rng={seed}); "
                                  f"missing steps {list(gone)}"))
    return checked("ex-cont-2", "The Kalman filter with missing observations", cases)


def check_grid_loop(attempt):
    """ex-cont-3: ``my_grid_filter(model, y, grid)`` returns the filtering masses (T, G) on the
    grid points for one sequence y (T,)."""
    cases = []
    for name, model, G, T, seed in [
            ("growth model, 200 points, T = 10", GrowthModel(), 200, 10, 0),
            ("growth model, 400 points, T = 30", GrowthModel(), 400, 30, 1),
            ("a scalar linear model, 300 points, T = 15",
             ScalarLinearSSM(0.8, 1.0, 1.0, 0.5), 300, 15, 2),
            ("one step, T = 1", GrowthModel(), 100, 1, 3)]:
        def body(model=model, G=G, T=T, seed=seed):
            grid = model.default_grid(G)
            y = model.sample(1, T, rng=seed)[1][0]
            ref = grid_filter(model, y, grid)
            got = attempt(model, y.copy(), grid.copy())
            compare(got, ref.weights, "the grid posterior masses", atol=1e-7, rtol=1e-5,
                    time_axis=0, prob_axis=1, axis_names=("T", "G"))
        cases.append((name, body, f"{model!r}.sample(1, {T}, rng={seed})"))
    return checked("ex-cont-3", "A grid filter in a few lines", cases)


CHECKERS = {"ex-cont-1": check_scalar_gain, "ex-cont-2": check_kalman_missing,
            "ex-cont-3": check_grid_loop}

__all__ = ["CHECKERS", "check_scalar_gain", "check_kalman_missing", "joint_conditional", "check_grid_loop"]
