"""Addressable streams of uniforms: the particle filter's only source of randomness.

Chapter 4, *Particle filters*. The uniforms of sequence i at step t are a fixed slice of a
stream keyed on (seed, t, purpose): a PCG64 seeded by ``SeedSequence([seed, t, purpose])`` and
advanced to row i. Nothing depends on generator state carried between steps, so any step of any
sequence can be replayed alone; that is what lets :class:`probrnn.ParticleFilterRNN` be a pure
recurrence whose hidden vector holds the seed.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..validate import MAX_SEED, as_rng, check_seed

# Purposes of the uniform streams, part of each stream's key.
PROPAGATE, RESAMPLE, OUTPUT = 0, 1, 2


def resolve_seed(rng) -> int:
    """The stream seed for ``rng``: an int is used as it is, a Generator (or None, or a
    SeedSequence) draws one. Raises ValueError for anything else."""
    if isinstance(rng, numbers.Integral) and not isinstance(rng, (bool, np.bool_)):
        return check_seed(rng, "rng seed")
    return int(as_rng(rng).integers(MAX_SEED, dtype=np.int64))


def stream(seed: int, t: int, purpose: int, first: int, count: int, width: int,
           out: np.ndarray | None = None) -> np.ndarray:
    """Rows ``first .. first + count - 1`` of the stream of uniforms keyed on
    ``(seed, t, purpose)``, laid out row-major with ``width`` per row: (count, width) float64
    in [0, 1). Entry j of row i is the (i * width + j)-th draw of a PCG64 seeded with
    ``SeedSequence([seed, t, purpose])``, so any row can be regenerated on its own."""
    bits = np.random.PCG64(np.random.SeedSequence([seed, t, purpose]))
    if first:
        bits.advance(first * width)
    if out is None:
        out = np.empty((count, width))
    return np.random.Generator(bits).random(out=out)


def stream_rows(seeds: np.ndarray, t: np.ndarray, purpose: int, rows: np.ndarray, width: int,
                out: np.ndarray | None = None) -> np.ndarray:
    """:func:`stream` for rows that may each have their own (seed, t, row): (n, width).

    One call per run of consecutive rows sharing (seed, t) with consecutive row numbers, so a
    batch laid out as :func:`particle_filter` lays it out is a single call.
    """
    n = seeds.shape[0]
    if out is None:
        out = np.empty((n, width))
    seeds, t, rows = (np.asarray(a, dtype=np.int64) for a in (seeds, t, rows))
    # a new run starts where the seed or step changes or the row numbers are not consecutive
    cut = (seeds[1:] != seeds[:-1]) | (t[1:] != t[:-1]) | (rows[1:] != rows[:-1] + 1)
    starts = np.concatenate([[0], np.flatnonzero(cut) + 1, [n]])
    for a, b in zip(starts[:-1], starts[1:], strict=True):
        stream(int(seeds[a]), int(t[a]), purpose, int(rows[a]), int(b - a), width,
               out=out[a:b])
    return out
