"""A particle filter with its seed fixed is a recurrent network (the paper's 3.3).

Introduced in the chapter *Particle filters*. :class:`ParticleFilterRNN` writes the bootstrap
filter of :mod:`probrnn.particle` as h_t = f(h_{t-1}, x_t), output g(h_t), where the hidden
vector is a row of M + 3 integers::

    h = [seed, stream, t, H^(1), ..., H^(M)]

``seed`` is injected at h_0 and never changes; ``stream`` is the sequence's row in the filter's
batch (its slot in the streams of uniforms); ``t`` counts the steps taken; the H^(j) are the
particles after resampling (at h_0 they sit in a virtual start state m whose transition row is
pi, the paper's "H_0 arbitrary"). f is f^r(f^p(h), h, x): propagation by the inverse CDF of the
transition rows, then resampling by the inverse CDF of the weights (the paper's equations 1-2),
with every uniform read from the stream keyed on (seed, t, purpose): nothing outside h, so f is
a pure function. Run from ``initial_state(seed)`` it reproduces ``particle_filter(...,
rng=seed)`` particle for particle.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..validate import (
    MAX_SEED,
    as_array,
    check_hmm,
    check_int,
    check_integers,
    check_obs,
    check_seed,
)
from .bootstrap import BootstrapKernel, resampling_uniforms
from .resampling import check_scheme, count_at_most, cumulative_thresholds
from .streams import OUTPUT, PROPAGATE, stream_rows

HEADER = 3  # seed, stream, t


class Step(NamedTuple):
    """One step of the recurrence for n rows (the pieces the chapter's figures draw).

    proposed:   (n, M) G_t^(j), the propagated particles, f^p(h_{t-1})
    weights:    (n, M) normalised W_t^(j) of the proposed particles (uniform if impossible)
    impossible: (n,)   every particle gave x_t probability zero
    h:          (n, M + 3) the new hidden vector h_t = f^r(G_t, h_{t-1}, x_t)
    """

    proposed: np.ndarray
    weights: np.ndarray
    impossible: np.ndarray
    h: np.ndarray


class Output(NamedTuple):
    """g(h_t): what the network predicts from its hidden vector, for n rows.

    state_probs:       (n, m) histogram of the particles, estimate of p(H_t | x_1..t)
                       (all zero at h_0, where the particles are in the virtual start state)
    next_symbol_probs: (n, K) estimate of p(X_{t+1} | x_1..t) = hist @ A @ B (pi @ B at h_0)
    """

    state_probs: np.ndarray
    next_symbol_probs: np.ndarray


class Sample(NamedTuple):
    """The paper's sampled g(h_t): a particle picked and simulated forward, all by inverse CDF
    at uniforms keyed on (seed, t) - deterministic given h. Each (n,) int64."""

    state: np.ndarray
    next_state: np.ndarray
    next_symbol: np.ndarray


class ParticleFilterRNN:
    """The bootstrap particle filter of ``hmm`` with M particles as a deterministic recurrence.

    Args:
        hmm: a :class:`probrnn.HMM`.
        n_particles: M >= 1.
        resampling: "multinomial" or "systematic", as in :func:`probrnn.particle_filter`.

    Hidden vectors are int64 arrays (n, M + 3) or a single (M + 3,); see the module docstring.
    """

    def __init__(self, hmm, n_particles, resampling="multinomial"):
        check_hmm(hmm)
        self.hmm = hmm
        self.n_particles = check_int(n_particles, "n_particles", minimum=1)
        self.resampling = check_scheme(resampling)
        self._kernel = BootstrapKernel(hmm)
        ext = np.vstack([hmm.transmat, hmm.startprob[None, :]])  # (m + 1, m), row m = pi
        self._next_state = ext  # p(H_{t+1} | H_t) with the virtual start
        self._next_symbol = ext @ hmm.emissionprob  # (m + 1, K)

    @property
    def hidden_size(self) -> int:
        """Length of the hidden vector: M particles plus seed, stream and step."""
        return self.n_particles + HEADER

    def __repr__(self) -> str:
        return (f"ParticleFilterRNN({self.hmm!r}, n_particles={self.n_particles}, "
                f"resampling={self.resampling!r})")

    # ------------------------------------------------------------------ h_0
    def initial_state(self, seed, n=None) -> np.ndarray:
        """h_0 for a seed: (M + 3,) if ``n`` is None, else (n, M + 3) with streams 0..n-1,
        the layout :func:`probrnn.particle_filter` uses for an (n, T) batch."""
        seed = check_seed(seed)
        rows = 1 if n is None else check_int(n, "n (number of sequences)", minimum=1)
        h = np.empty((rows, self.hidden_size), dtype=np.int64)
        h[:, 0] = int(seed)
        h[:, 1] = np.arange(rows)
        h[:, 2] = 0
        h[:, HEADER:] = self.hmm.m  # the virtual start state
        return h[0] if n is None else h

    # ------------------------------------------------------------------ f
    def _check_h(self, h) -> tuple[np.ndarray, bool]:
        arr = _hidden_array(h)
        single = arr.ndim == 1
        if arr.ndim not in (1, 2) or arr.shape[-1] != self.hidden_size or arr.size == 0:
            raise ValueError(f"h must have shape (M + 3,) or (n, M + 3) = (n, {self.hidden_size}) "
                             f"(got {arr.shape})")
        head = np.atleast_2d(arr)[:, :HEADER]
        if (head < 0).any() or (head > MAX_SEED).any():
            raise ValueError("h has a seed, stream or step (its first 3 entries) outside "
                             "[0, 2**63)")
        arr = np.atleast_2d(arr).astype(np.int64)
        head, parts = arr[:, :HEADER], arr[:, HEADER:]
        m = self.hmm.m
        started = head[:, 2] > 0
        bad = (parts < 0) | (parts > m) | ((parts == m) & started[:, None])
        if bad.any():
            i = int(np.argwhere(bad)[0][0])
            raise ValueError(f"h row {i} has particles outside the states 0..{m - 1} "
                             f"(the start state {m} is only allowed at step 0)")
        return arr, single

    def _check_x(self, x, n: int) -> np.ndarray:
        arr = check_integers(x, "x", "symbols", 0, self.hmm.n_symbols)
        if arr.ndim > 1 or arr.size != n:
            raise ValueError(f"x must hold one symbol per row of h, shape ({n},) (got shape "
                             f"{arr.shape})")
        return arr.reshape(n)

    def propagate(self, h) -> np.ndarray:
        """f^p(h_{t-1}): the proposed particles G_t (n, M) (or (M,)), by the inverse CDF of
        each particle's transition row at the uniforms of (seed, t, propagate)."""
        arr, single = self._check_h(h)
        G = self._propagate(arr)
        return G[0] if single else G

    def _propagate(self, arr):
        u = stream_rows(arr[:, 0], arr[:, 2], PROPAGATE, arr[:, 1], self.n_particles)
        return self._kernel.propagate(arr[:, HEADER:], u)

    def step(self, h, x) -> Step:
        """Both halves of f with the intermediate pieces: see :class:`Step`."""
        arr, single = self._check_h(h)
        xs = self._check_x(x, arr.shape[0])
        kern, M = self._kernel, self.n_particles
        G = self._propagate(arr)  # (n, M)
        W, impossible, _, _ = kern.weigh(kern.counts(G), xs, M)  # (n, m) per state
        u = resampling_uniforms(self.resampling, arr[:, 0], arr[:, 2], arr[:, 1], M)
        new = np.empty_like(arr)
        new[:, :HEADER] = arr[:, :HEADER]
        new[:, 2] += 1
        kern.resample(W, u, out=new[:, HEADER:])
        per_particle = np.take_along_axis(kern.emis_t[xs], G, axis=1)  # p(x_t | G^(j))
        top = per_particle.max(axis=1, keepdims=True)
        per_particle /= np.where(top > 0, top, 1.0)  # scale-free: no subnormal sums
        per_particle[impossible] = 1.0
        per_particle /= per_particle.sum(axis=1, keepdims=True)
        if single:
            return Step(G[0], per_particle[0], bool(impossible[0]), new[0])
        return Step(G, per_particle, impossible, new)

    def f(self, h, x) -> np.ndarray:
        """h_t = f(h_{t-1}, x_t): (n, M + 3) and (n,) symbols -> (n, M + 3); or (M + 3,) and a
        symbol -> (M + 3,). Pure: the input is not modified and equal inputs give equal outputs."""
        return self.step(h, x).h

    __call__ = f

    @staticmethod
    def particles(h) -> np.ndarray:
        """The particle part H^(1..M) of hidden vectors (..., M + 3) -> (..., M)."""
        arr = _hidden_array(h)
        if arr.ndim < 1 or arr.shape[-1] <= HEADER:
            raise ValueError(f"h must be hidden vectors of shape (..., M + 3) with M >= 1 (got "
                             f"shape {arr.shape})")
        return arr[..., HEADER:]

    # ------------------------------------------------------------------ g
    def g(self, h) -> Output:
        """g(h_t): the particle histogram and the next-symbol distribution (see :class:`Output`)."""
        arr, single = self._check_h(h)
        m = self.hmm.m
        n = arr.shape[0]
        idx = arr[:, HEADER:] + (m + 1) * np.arange(n)[:, None]
        hist = np.bincount(idx.ravel(), minlength=n * (m + 1)).reshape(n, m + 1)
        hist = hist / self.n_particles
        out = Output(hist[:, :m], hist @ self._next_symbol)
        return Output(*(a[0] for a in out)) if single else out

    def g_sample(self, h) -> Sample:
        """The paper's deterministic-given-h sample of g: pick particle J = inverse CDF of the
        uniform weights, then H_{t+1} ~ A[H^(J)] and X_{t+1} ~ B[H_{t+1}], all by inverse CDF
        at three uniforms of the stream keyed on (seed, t, output)."""
        arr, single = self._check_h(h)
        u = stream_rows(arr[:, 0], arr[:, 2], OUTPUT, arr[:, 1], 3)  # (n, 3)
        M = self.n_particles
        j = np.minimum((u[:, 0] * M).astype(np.int64), M - 1)  # uniform over the particles
        state = arr[np.arange(arr.shape[0]), HEADER + j]
        nxt = count_at_most(cumulative_thresholds(self._next_state), u[:, 1], rows=state)
        sym = count_at_most(cumulative_thresholds(self.hmm.emissionprob), u[:, 2], rows=nxt)
        out = Sample(state, nxt, sym)
        return Sample(*(a[0] for a in out)) if single else out

    # ------------------------------------------------------------------ unrolled
    def run(self, obs, seed) -> np.ndarray:
        """h_1 .. h_T from h_0 = ``initial_state(seed, n)``: (n, T) -> (n, T, M + 3), or
        (T,) -> (T, M + 3). Its ``[..., 3:]`` equals ``particle_filter(hmm, obs, M,
        rng=seed).particles``."""
        arr, single = check_obs(obs, self.hmm.n_symbols)
        n, T = arr.shape
        h = self.initial_state(seed, n)
        hs = np.empty((n, T, self.hidden_size), dtype=np.int64)
        for t in range(T):
            h = self.f(h, arr[:, t])
            hs[:, t] = h
        return hs[0] if single else hs


def _hidden_array(h) -> np.ndarray:
    """Hidden vectors as an integer array: they hold seeds up to 2**63, which floats do not
    represent exactly, so floats (even integer-valued ones) are refused."""
    arr = as_array(h, "h", "integers (seed, stream, step, particles)")
    if not np.issubdtype(arr.dtype, np.integer):
        why = (": hidden vectors carry seeds up to 2**63, which floats do not represent exactly"
               if arr.dtype.kind == "f" else "")
        raise ValueError(f"h must hold integers (got dtype {arr.dtype}){why}")
    return arr


__all__ = ["ParticleFilterRNN", "Step", "Output", "Sample"]
