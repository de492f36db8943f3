"""One-dimensional state space models with Gaussian noise: what the grid and particle filters
need to know about a model.

Chapter *Continuous states* (issue 14). The grid filter (:mod:`~probrnn.continuous.grid_filter`)
and the bootstrap particle filter (:mod:`~probrnn.continuous.bootstrap`) work with any model of
the form

    x_1 ~ N(prior_mean, prior_var)
    x_t = f_t(x_{t-1}) + w_t,   w_t ~ N(0, state_var)     (t = 2..T)
    y_t = h(x_t) + v_t,         v_t ~ N(0, obs_var)       (t = 1..T)

with scalar x_t and y_t. A subclass of :class:`ScalarSSM` supplies the two functions,
:meth:`~ScalarSSM.transition_mean` f_t and :meth:`~ScalarSSM.obs_mean` h; the filters use only

* :meth:`~ScalarSSM.transition_mean` to build the grid's transition densities and to move
  particles (a Gaussian step around it),
* :meth:`~ScalarSSM.obs_log_density` log p(y_t | x_t) to weigh grid points and particles.

Time t is 1-based, as in the formulas: array index s holds x_{s+1}, and the transition into
array index s uses f_{s+1}. :class:`ScalarLinearSSM` is the linear-Gaussian model with d = p = 1,
where the Kalman filter is exact (:func:`as_scalar` converts a 1-D
:class:`~probrnn.continuous.LinearGaussianSSM`).
"""

from __future__ import annotations

import numpy as np

from ..validate import as_rng, check_float_array, check_int, check_real

LOG_2PI = float(np.log(2 * np.pi))


class ScalarSSM:
    """Base class: x_1 ~ N(prior_mean, prior_var), x_t = f_t(x_{t-1}) + N(0, state_var),
    y_t = h(x_t) + N(0, obs_var). Subclasses define :meth:`transition_mean` and
    :meth:`obs_mean` (vectorised, any shape) and call ``super().__init__``."""

    def __init__(self, prior_mean, prior_var, state_var, obs_var):
        self.prior_mean = check_real(prior_mean, "prior_mean")
        self.prior_var = check_real(prior_var, "prior_var", 0.0, low_open=True)
        self.state_var = check_real(state_var, "state_var", 0.0, low_open=True)
        self.obs_var = check_real(obs_var, "obs_var", 0.0, low_open=True)

    # ------------------------------------------------------------------ the model
    def transition_mean(self, x: np.ndarray, t: int) -> np.ndarray:
        """f_t(x), elementwise: the mean of x_t given x_{t-1} = x (t >= 2, 1-based)."""
        raise NotImplementedError

    def obs_mean(self, x: np.ndarray) -> np.ndarray:
        """h(x), elementwise: the mean of y_t given x_t = x."""
        raise NotImplementedError

    def obs_log_density(self, y: np.ndarray, x: np.ndarray) -> np.ndarray:
        """log N(y; h(x), obs_var), broadcasting y against x. Finite for any finite y and x
        (a far-off observation gives a large negative number, never -inf or NaN)."""
        r = self.obs_var
        return -0.5 * ((y - self.obs_mean(x)) ** 2 / r + np.log(r) + LOG_2PI)

    def default_grid(self, size: int = 1000) -> np.ndarray:
        """A grid of ``size`` evenly spaced points covering the states the model visits."""
        raise NotImplementedError

    # ------------------------------------------------------------------ sampling
    def sample(self, n, T, rng=None) -> tuple[np.ndarray, np.ndarray]:
        """Draw n independent sequences of length T: ``(states, obs)``, both (n, T) float64.

        The standard normals come from ``rng`` in two blocks, states' (n, T) then
        observations' (n, T); only time is a loop.
        """
        n = check_int(n, "n (number of sequences)", minimum=1)
        T = check_int(T, "T (sequence length)", minimum=1)
        gen = as_rng(rng)
        z_x = gen.standard_normal((n, T))
        z_y = gen.standard_normal((n, T))
        states = np.empty((n, T))
        states[:, 0] = self.prior_mean + np.sqrt(self.prior_var) * z_x[:, 0]
        sd = np.sqrt(self.state_var)
        for s in range(1, T):
            states[:, s] = self.transition_mean(states[:, s - 1], s + 1) + sd * z_x[:, s]
        obs = self.obs_mean(states) + np.sqrt(self.obs_var) * z_y
        return states, obs


class ScalarLinearSSM(ScalarSSM):
    """x_t = a x_{t-1} + N(0, q), y_t = c x_t + N(0, r), x_1 ~ N(m0, P0): the 1-D
    linear-Gaussian model, where the Kalman filter is exact."""

    def __init__(self, a, c, q, r, mean0=0.0, var0=1.0):
        super().__init__(mean0, var0, q, r)
        self.a = check_real(a, "a")
        self.c = check_real(c, "c")

    def transition_mean(self, x, t):
        return self.a * x

    def obs_mean(self, x):
        return self.c * x

    def default_grid(self, size: int = 1000) -> np.ndarray:
        """``size`` points over the prior mean +- 10 standard deviations of the widest of the
        prior and (if |a| < 1) the stationary distribution q / (1 - a^2)."""
        size = check_int(size, "size", minimum=2)
        if abs(self.a) >= 1:
            raise ValueError(f"a = {self.a} gives a non-stationary state (|a| >= 1): pass a grid "
                             "that covers the range of your data")
        sd = np.sqrt(max(self.prior_var, self.state_var / (1 - self.a ** 2)))
        half = abs(self.prior_mean) + 10 * sd
        return np.linspace(-half, half, size)

    def to_lgssm(self):
        """The same model as a :class:`~probrnn.continuous.LinearGaussianSSM` (d = p = 1)."""
        from .lgssm import LinearGaussianSSM

        return LinearGaussianSSM([[self.a]], [[self.c]], [[self.state_var]], [[self.obs_var]],
                                 [self.prior_mean], [[self.prior_var]])

    def __repr__(self) -> str:
        return (f"ScalarLinearSSM(a={self.a}, c={self.c}, q={self.state_var}, r={self.obs_var}, "
                f"mean0={self.prior_mean}, var0={self.prior_var})")


def as_scalar(model, name: str = "model") -> ScalarSSM:
    """A :class:`ScalarSSM` as it is, or a :class:`~probrnn.continuous.LinearGaussianSSM` with
    d = p = 1 (and cov0 > 0) as a :class:`ScalarLinearSSM`; anything else is refused."""
    from .lgssm import LinearGaussianSSM

    if isinstance(model, ScalarSSM):
        return model
    if isinstance(model, LinearGaussianSSM):
        if (model.d, model.p) != (1, 1):
            raise ValueError(f"{name} must have a 1-D state and observation for this filter "
                             f"(got d = {model.d}, p = {model.p}); use kalman_filter")
        if model.cov0[0, 0] <= 0 or model.Q[0, 0] <= 0:
            raise ValueError(f"{name} needs cov0 > 0 and Q > 0 for a density on the grid "
                             f"(got cov0 = {model.cov0[0, 0]}, Q = {model.Q[0, 0]})")
        return ScalarLinearSSM(model.A[0, 0], model.C[0, 0], model.Q[0, 0], model.R[0, 0],
                               model.mean0[0], model.cov0[0, 0])
    raise ValueError(f"{name} must be a probrnn.continuous.ScalarSSM or a 1-D LinearGaussianSSM "
                     f"(got {type(model).__name__})")


def check_scalar_obs(obs, name: str = "obs") -> tuple[np.ndarray, bool]:
    """Scalar observations as a float64 (n, T) array; a single (T,) sequence is accepted (the
    second return value is then True). A trailing axis of size 1, (n, T, 1), is dropped. A 2-D
    array is always a batch: (T, 1) is T sequences of length 1, so pass (T,) for one sequence."""
    arr = check_float_array(obs, name, (1, 2, 3))
    if arr.ndim == 3:
        if arr.shape[2] != 1:
            raise ValueError(f"{name} must have shape (n, T) or (T,) for a 1-D model (or (n, T, 1));"
                             f" got shape {arr.shape}")
        arr = arr[:, :, 0]
    single = arr.ndim == 1
    return (arr[None] if single else arr), single


__all__ = ["ScalarSSM", "ScalarLinearSSM", "as_scalar", "check_scalar_obs"]
