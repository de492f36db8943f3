"""The bootstrap particle filter for a discrete HMM (the paper's 2.3), batched and seed-addressable.

Introduced in the chapter *Particle filters*. Each of n sequences carries M particles, hidden
states H^(1..M). At every step t:

1. **propagate**: G^(j) = inverse CDF of p(H_t | H_{t-1} = H^(j)) at a uniform u^(j)
   (at t = 1 the "previous state" is a virtual start state whose transition row is pi);
2. **weight**: W^(j) = p(x_t | G^(j)), the emission probability (the bootstrap proposal is the
   transition itself, so the paper's ratio P(H_t | x_t, H_{t-1}) / q reduces to this);
3. **normalise** the weights; the weighted histogram of the G^(j) estimates p(H_t | x_1..t) and
   mean(W) estimates p(x_t | x_1..t-1);
4. **resample**: H^(j) = G^(a_j), a_j the inverse CDF of the normalised weights at a uniform.

All particles of all sequences move at once (numpy over (n, M) arrays); only time is a loop.

Randomness is *addressable*: the uniforms of sequence i at step t are a fixed slice of a stream
keyed on (seed, t, purpose) (a PCG64 seeded by ``SeedSequence([seed, t, purpose])`` and
advanced to row i). Nothing depends on generator state carried between steps, which is what
lets :class:`probrnn.pf_rnn.ParticleFilterRNN` replay the filter as a pure recurrence.

Two facts make it fast without changing any draw:

* Particles in the same state have the same weight, so the inverse CDF over particles, taken
  with the particles grouped by state, is the inverse CDF over the m states with weights
  ``count_s * p(x_t | s)``: resampling costs m - 1 comparisons per particle.
* Propagation uses a guide table (Chen & Asau's method): the top bits of each uniform pick a
  bin whose answer is precomputed; the few uniforms in a bin that straddles a threshold are
  finished with exact comparisons. The result is exactly ``#{k : c_k <= u}``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..validate import check_hmm, check_int, check_obs, check_size
from .resampling import check_scheme, count_at_most, cumulative_thresholds, systematic_grid
from .streams import PROPAGATE, RESAMPLE, resolve_seed, stream_rows


class ParticleFilterResult(NamedTuple):
    """Output of :func:`particle_filter` for n sequences of length T, m states, M particles.

    filtered:        (n, T, m)  weighted particle histogram, estimate of p(H_t | x_{1:t})
    log_likelihood:  (n,)       log of the unbiased estimate of p(x_{1:T}); -inf if impossible
    ess:             (n, T)     effective sample size (sum W)^2 / sum W^2 before resampling,
                                in [1, M]; 0 where every particle found x_t impossible
    particles:       (n, T, M)  states H_t^(1..M) after resampling (the RNN's hidden units),
                                smallest unsigned integer dtype that holds m - 1
    log_normalizers: (n, T)     log of the estimate of p(x_t | x_{1:t-1}), mean_j W_t^(j)
    impossible:      (n, T)     True where every particle gave x_t probability zero
    seed:            int        the stream seed used; ``rng=seed`` replays the run exactly

    A single (T,) sequence gives the same fields without the leading n axis.
    At an impossible step the filter keeps its propagated particles unweighted (``filtered``
    is then their plain histogram, the filter's prediction), so nothing is NaN; the estimate
    of p(x_{1:T}) is 0 (``log_likelihood = -inf``), which is what keeps it unbiased.
    """

    filtered: np.ndarray
    log_likelihood: np.ndarray
    ess: np.ndarray
    particles: np.ndarray
    log_normalizers: np.ndarray
    impossible: np.ndarray
    seed: int


# ---------------------------------------------------------------------------- the kernel
def particle_dtype(m: int) -> np.dtype:
    """Smallest unsigned integer dtype that holds the states 0..m (m is the virtual start)."""
    return np.dtype(np.min_scalar_type(m))


class BootstrapKernel:
    """Precomputed tables of one HMM for the moves of the bootstrap filter.

    Rows of the transition table are indexed by the previous state 0..m-1, plus a virtual
    start state ``m`` whose row is pi (so t = 1 is a propagation like any other).
    The methods take optional ``out`` arrays so that a filter can reuse its buffers.
    """

    def __init__(self, hmm):
        m = hmm.m
        self.m, self.n_symbols = m, hmm.n_symbols
        rows = np.vstack([hmm.transmat, hmm.startprob[None, :]])  # (m + 1, m)
        self.thresholds = np.ascontiguousarray(cumulative_thresholds(rows))  # (m + 1, m - 1)
        self.emis_t = np.ascontiguousarray(hmm.emissionprob.T)  # (K, m)
        # Guide table: bins [b/L, (b+1)/L); entry = the answer for the whole bin, or -1 if a
        # threshold falls strictly inside the bin (those few draws are finished exactly).
        bits = int(np.clip(np.ceil(np.log2(16 * max(m, 2))), 10, 16))
        while (m + 1) << bits > 1 << 22 and bits > 4:
            bits -= 1
        self.bits = bits
        L = 1 << bits
        edges = np.arange(L + 1, dtype=np.float64) / L  # exact: L is a power of two
        guide = np.empty((m + 1, L), dtype=np.int64)
        for s in range(m + 1):
            lo = np.searchsorted(self.thresholds[s], edges[:-1], side="right")
            hi = np.searchsorted(self.thresholds[s], edges[1:], side="left")
            guide[s] = np.where(hi > lo, -1, lo)
        self.guide = guide.ravel()

    def propagate(self, parents: np.ndarray, u: np.ndarray, out: np.ndarray | None = None,
                  scratch: np.ndarray | None = None) -> np.ndarray:
        """parents (n, M) states (m = the start), u (n, M) uniforms -> (n, M) int64 states.

        State = ``#{k : c_k(parent) <= u}``, the inverse CDF of row ``parent``. ``out`` and
        ``scratch`` are optional int64 (n, M) buffers.
        """
        L = 1 << self.bits
        if out is None:
            out = np.empty(u.shape, dtype=np.int64)
        if scratch is None:
            scratch = np.empty(u.shape, dtype=np.int64)
        np.copyto(scratch, parents, casting="unsafe")  # int64: the shift must not overflow
        scratch <<= self.bits  # start of row ``parent`` of the guide table
        np.multiply(u, L, out=out, casting="unsafe")  # floor(u L): exact, L is a power of 2
        scratch += out
        np.take(self.guide, scratch, out=out, mode="clip")
        amb = np.flatnonzero(out < 0)
        if amb.size:
            rows = parents.ravel()[amb].astype(np.int64)
            out.flat[amb] = count_at_most(self.thresholds, u.ravel()[amb], rows=rows)
        return out

    def counts(self, states: np.ndarray, scratch: np.ndarray | None = None) -> np.ndarray:
        """(n, M) int64 states -> (n, m) number of particles in each state."""
        n = states.shape[0]
        offset = (np.arange(n, dtype=np.int64) * self.m)[:, None]
        idx = np.add(states, offset, out=scratch)
        return np.bincount(idx.ravel(), minlength=n * self.m).reshape(n, self.m)

    def weigh(self, counts: np.ndarray, x: np.ndarray, n_particles: int):
        """Aggregate the weights by state.

        Returns ``W`` (n, m) proportional to count_s * p(x | s) (the summed weight of the
        particles in state s, divided by the largest likelihood among occupied states so that
        tiny likelihoods neither underflow nor overflow; plain counts in a row where all are
        zero), ``impossible`` (n,), ``ess`` (n,) and ``log_mean`` (n,) = log of the mean weight,
        the estimate of p(x_t | x_1..t-1).
        """
        occupied = np.where(counts > 0, self.emis_t[x], 0.0)  # (n, m) p(x_t | s), 0 if empty
        top = np.max(occupied, axis=1)  # (n,) largest occupied likelihood
        impossible = top <= 0.0
        scale = np.where(impossible, 1.0, top)
        # in [0, 1]: an empty state's likelihood, which may be far above a subnormal ``top``,
        # never enters (1 / 1e-310 would overflow, and 0 * inf is NaN)
        ratio = occupied / scale[:, None]
        W = counts * ratio  # (n, m)
        S = W.sum(axis=1)
        S2 = (W * ratio).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_mean = np.where(impossible, -np.inf,
                                np.log(np.where(impossible, 1.0, S)) + np.log(scale)
                                - np.log(n_particles))
            ess = np.where(impossible, 0.0, S * S / np.where(impossible, 1.0, S2))
        if impossible.any():
            W[impossible] = counts[impossible]  # keep the particles, unweighted
        return W, impossible, ess, log_mean

    def resample(self, W: np.ndarray, u: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """(n, m) state weights, (n, M) uniforms -> (n, M) resampled states (in ``out``).

        Multinomial or systematic is decided by the uniforms (i.i.d. or an even grid).
        """
        return count_at_most(cumulative_thresholds(W), u, out=out)


def resampling_uniforms(scheme: str, seeds, t, rows, n_particles: int, out=None) -> np.ndarray:
    """(n, M) uniforms of the resampling step: i.i.d. (multinomial) or an even grid
    ``(j + v) / M`` with one uniform v per row (systematic)."""
    if scheme == "multinomial":
        return stream_rows(seeds, t, RESAMPLE, rows, n_particles, out=out)
    v = stream_rows(seeds, t, RESAMPLE, rows, 1)[:, 0]
    grid = systematic_grid(v, n_particles)
    if out is not None:
        out[...] = grid
        return out
    return grid


# ---------------------------------------------------------------------------- the filter
def particle_filter(hmm, obs, n_particles, rng=None, resampling="multinomial"
                    ) -> ParticleFilterResult:
    """Bootstrap particle filter with M = ``n_particles`` particles per sequence.

    Args:
        hmm: a :class:`probrnn.HMM` (m states, K symbols).
        obs: (n, T) or (T,) int symbols in [0, K).
        n_particles: M >= 1, an integer.
        rng: int seed in [0, 2**63), numpy Generator, SeedSequence or None. The same int seed
            gives the same run; the seed actually used is returned in ``result.seed``.
        resampling: "multinomial" (M i.i.d. uniforms) or "systematic" (one uniform per row).

    Returns:
        :class:`ParticleFilterResult`. Sequence i uses stream row i, so its particles do not
        depend on the other sequences in the batch but do depend on its position i.

    Cost: O(n M T) time, vectorised over sequences and particles; the particles of every step
    are kept, (n, T, M) small unsigned integers.
    """
    check_hmm(hmm)
    arr, single = check_obs(obs, hmm.n_symbols)
    M = check_int(n_particles, "n_particles", minimum=1)
    n, T = arr.shape
    check_size(n * T * (M + hmm.m), "particle_filter(obs, n_particles)",
               "numbers (particles and beliefs of every step)")
    scheme = check_scheme(resampling)
    seed = resolve_seed(rng)
    kern = BootstrapKernel(hmm)
    m = hmm.m
    filtered = np.empty((n, T, m))
    log_c = np.empty((n, T))
    ess = np.empty((n, T))
    impossible = np.zeros((n, T), dtype=bool)
    sdtype = particle_dtype(m)
    particles = np.empty((n, T, M), dtype=sdtype)
    seeds = np.full(n, seed, dtype=np.int64)
    rows = np.arange(n, dtype=np.int64)
    # Buffers reused at every step (fresh large arrays would cost page faults each time).
    u = np.empty((n, M))
    proposed = np.empty((n, M), dtype=np.int64)
    scratch = np.empty((n, M), dtype=np.int64)
    parents = np.full((n, M), m, dtype=sdtype)  # the virtual start state
    for t in range(T):
        steps = np.full(n, t, dtype=np.int64)
        stream_rows(seeds, steps, PROPAGATE, rows, M, out=u)
        kern.propagate(parents, u, out=proposed, scratch=scratch)  # (n, M)
        counts = kern.counts(proposed, scratch=scratch)  # (n, m)
        W, impossible[:, t], ess[:, t], log_c[:, t] = kern.weigh(counts, arr[:, t], M)
        np.divide(W, W.sum(axis=1, keepdims=True), out=filtered[:, t])
        resampling_uniforms(scheme, seeds, steps, rows, M, out=u)
        kern.resample(W, u, out=parents)
        particles[:, t] = parents
    loglik = log_c.sum(axis=1)
    if single:
        return ParticleFilterResult(filtered[0], float(loglik[0]), ess[0], particles[0],
                                    log_c[0], impossible[0], seed)
    return ParticleFilterResult(filtered, loglik, ess, particles, log_c, impossible, seed)


__all__ = ["ParticleFilterResult", "particle_filter", "BootstrapKernel", "resampling_uniforms",
           "particle_dtype"]
