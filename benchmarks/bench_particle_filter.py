"""Benchmark: probrnn.particle_filter against Chopin's ``particles`` bootstrap filter.

Set-up (issue 4): a 5-state, 10-symbol HMM, T = 8, n = 1,000 sequences, M = 1,000 particles,
resampling at every step. We report particle-steps per second (n T M / seconds) and the time
per sequence; the reference filters one sequence at a time, so the ratio is per sequence.

References, each checked against the forward algorithm (mean total variation) so the numbers
compare filters that do the same job:

* ``particles`` (Chopin's SMC library, ``particles.SMC`` on ``state_space_models.Bootstrap``):
  - *stock*: a subclass of its ``hmm.HMM`` with categorical emissions; its ``Categorical``
    draws the transitions of the N particles with a Python loop over particles;
  - *vectorised*: the same model with the transition draw replaced by a vectorised inverse CDF,
    the library's best case for this model.
  It pins an older numpy, so it lives in its own environment and runs in a subprocess::

      python3 -m venv /work/venv-particles && /work/venv-particles/bin/pip install particles

  (``--particles-python`` points elsewhere; without it the comparison is skipped and said so).
* *loop*: a plain numpy bootstrap filter run sequence by sequence (the documented fallback),
  vectorised over particles only, with ``searchsorted`` resampling.
* *batched naive*: the same, vectorised over sequences too, resampling by ``np.searchsorted`` of
  unsorted uniforms into per-row cumulative weights (the "about 9 million" version of the issue).

Run (from the repository root)::

    /work/venv/bin/python benchmarks/bench_particle_filter.py [--repeats 3] [--ref-sequences 20]

The machine is shared: the script prints the 1-minute load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

M_STATES, K_SYMBOLS, T, N_SEQ, N_PART = 5, 10, 8, 1000, 1000
DEFAULT_PARTICLES_PYTHON = "/work/venv-particles/bin/python"


# ----------------------------------------------------------------------------- worker side
def _particles_worker(path: str) -> None:
    """Runs inside the ``particles`` environment: reads the model and data, times the filter,
    prints JSON. Imports nothing from probrnn."""
    import particles
    from particles import distributions as dists
    from particles import hmm as phmm
    from particles import state_space_models as ssm

    spec = json.loads(Path(path).read_text())
    pi, A, B = (np.array(spec[k]) for k in ("startprob", "transmat", "emissionprob"))
    obs = np.array(spec["obs"], dtype=np.int64)
    N = spec["n_particles"]
    # particles draws from numpy's global generator, so the reference is seeded that way
    np.random.seed(spec["seed"])  # noqa: NPY002

    class VecCategorical(dists.Categorical):
        def rvs(self, size=None):
            cp = np.cumsum(self.p, axis=-1)
            u = np.random.rand(self.p.shape[0])  # noqa: NPY002 (the library's own generator)
            return np.minimum((u[:, None] >= cp).sum(axis=1), cp.shape[-1] - 1)

    class CatHMM(phmm.HMM):
        default_params = {"emis": None, **phmm.HMM.default_params}

        def PY(self, t, xp, x):
            return dists.Categorical(p=self.emis[x])

    class VecCatHMM(CatHMM):
        def PX(self, t, xp):
            return VecCategorical(p=self.trans_mat[xp, :])

    from importlib.metadata import version

    out = {"particles_version": version("particles"), "numpy": np.__version__}

    def run(model, y):
        fk = ssm.Bootstrap(ssm=model, data=list(y))
        pf = particles.SMC(fk=fk, N=N, resampling="multinomial", ESSrmin=1.0, collect=[])
        filt = np.zeros((len(y), len(pi)))
        for t in range(len(y)):
            next(pf)
            filt[t] = np.bincount(pf.X, weights=pf.W, minlength=len(pi))
        return filt, pf.logLt

    for name, cls in (("stock", CatHMM), ("vectorised", VecCatHMM)):
        model = cls(init_dist=pi, trans_mat=A, emis=B)
        run(model, obs[0])  # warm-up (any just-in-time compilation happens here)
        filt = np.zeros((len(obs), obs.shape[1], len(pi)))
        loglik = np.zeros(len(obs))
        elapsed = np.inf
        for _ in range(spec["repeats"]):  # best of the repeats, as for probrnn
            start = time.perf_counter()
            for i, y in enumerate(obs):
                filt[i], loglik[i] = run(model, y)
            elapsed = min(elapsed, time.perf_counter() - start)
        out[name] = {"seconds": elapsed, "sequences": len(obs), "filtered": filt.tolist(),
                     "loglik": loglik.tolist()}
    print(json.dumps(out))


# ----------------------------------------------------------------------------- references
def loop_filter(pi, A, B, obs, M, rng):
    """Plain bootstrap filter, one sequence at a time (vectorised over particles only)."""
    n, T_ = obs.shape
    m = len(pi)
    cum_pi, cum_A = np.cumsum(pi), np.cumsum(A, axis=1)
    filt = np.empty((n, T_, m))
    for i in range(n):
        parts = np.minimum(np.searchsorted(cum_pi, rng.random(M), side="right"), m - 1)
        for t in range(T_):
            if t:
                u = rng.random(M)
                parts = np.minimum((u[:, None] >= cum_A[parts]).sum(axis=1), m - 1)
            w = B[parts, obs[i, t]]
            w = w / w.sum()
            filt[i, t] = np.bincount(parts, weights=w, minlength=m)
            cw = np.cumsum(w)
            parts = parts[np.minimum(np.searchsorted(cw / cw[-1], rng.random(M), side="right"),
                                     M - 1)]
    return filt


def batched_naive_filter(pi, A, B, obs, M, rng):
    """Vectorised over sequences and particles; resampling by one ``np.searchsorted`` of
    unsorted uniforms into per-row cumulative weights shifted by the row index."""
    n, T_ = obs.shape
    m = len(pi)
    cum_pi, cum_A = np.cumsum(pi), np.cumsum(A, axis=1)
    filt = np.empty((n, T_, m))
    offset = np.arange(n)[:, None]
    parts = np.minimum(np.searchsorted(cum_pi, rng.random((n, M)), side="right"), m - 1)
    for t in range(T_):
        if t:
            u = rng.random((n, M))
            parts = np.minimum((u[..., None] >= cum_A[parts]).sum(axis=-1), m - 1)
        w = B[parts, obs[:, t][:, None]]  # (n, M)
        w /= w.sum(axis=1, keepdims=True)
        filt[:, t] = np.stack([(w * (parts == s)).sum(axis=1) for s in range(m)], axis=1)
        cw = np.cumsum(w, axis=1)
        cw /= cw[:, -1:]
        idx = np.searchsorted((cw + offset).ravel(), (rng.random((n, M)) + offset).ravel())
        idx = np.minimum(idx, n * M - 1).reshape(n, M) - offset * M
        parts = np.take_along_axis(parts, np.clip(idx, 0, M - 1), axis=1)
    return filt


# ----------------------------------------------------------------------------- driver
def _best(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ref-sequences", type=int, default=20,
                        help="sequences timed for the per-sequence references")
    parser.add_argument("--particles-python", default=DEFAULT_PARTICLES_PYTHON)
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _particles_worker(args.worker)
        return 0

    from probrnn import HMM
    from probrnn.metrics import total_variation
    from probrnn.particle_filter import particle_filter

    load_before = os.getloadavg()[0]
    hmm = HMM.random(M_STATES, K_SYMBOLS, rng=0)
    _, obs = hmm.sample(N_SEQ, T, rng=1)
    exact = hmm.filter(obs)
    rows = []

    def record(name, seconds, sequences, filt):
        per_seq = seconds / sequences
        rows.append({"name": name, "seconds": seconds, "sequences": sequences,
                     "ms_per_sequence": 1e3 * per_seq,
                     "particle_steps_per_s": sequences * T * N_PART / seconds,
                     "mean_tv": float(total_variation(filt, exact[:sequences]).mean())})

    particle_filter(hmm, obs[:10], N_PART, rng=0)  # warm-up
    for scheme in ("multinomial", "systematic"):
        sec, res = _best(lambda s=scheme: particle_filter(hmm, obs, N_PART, rng=0, resampling=s),
                         args.repeats)
        record(f"probrnn.particle_filter ({scheme})", sec, N_SEQ, res.filtered)

    pi, A, B = hmm.startprob, hmm.transmat, hmm.emissionprob
    r = args.ref_sequences
    sec, filt = _best(lambda: loop_filter(pi, A, B, obs[:r], N_PART, np.random.default_rng(2)),
                      args.repeats)
    record("per-sequence numpy loop", sec, r, filt)
    sec, filt = _best(lambda: batched_naive_filter(pi, A, B, obs, N_PART,
                                                   np.random.default_rng(2)), args.repeats)
    record("batched naive numpy (searchsorted)", sec, N_SEQ, filt)

    note = ""
    py = Path(args.particles_python)
    if py.exists():
        spec = {"startprob": pi.tolist(), "transmat": A.tolist(), "emissionprob": B.tolist(),
                "obs": obs[:r].tolist(), "n_particles": N_PART, "seed": 3,
                "repeats": args.repeats}
        tmp = Path(f"/tmp/bench_pf_spec_{os.getpid()}.json")
        tmp.write_text(json.dumps(spec))
        try:
            proc = subprocess.run([str(py), __file__, "--worker", str(tmp)], capture_output=True,
                                  text=True, check=True)
        finally:
            tmp.unlink()
        ref = json.loads(proc.stdout)
        note = f"particles {ref['particles_version']} with numpy {ref['numpy']}"
        for name in ("stock", "vectorised"):
            rr = ref[name]
            record(f"particles.SMC bootstrap ({name})", rr["seconds"], rr["sequences"],
                   np.array(rr["filtered"]))
    else:
        note = f"particles environment not found at {py}: library comparison skipped"

    load_after = os.getloadavg()[0]
    ours = rows[0]["ms_per_sequence"]
    print(f"HMM m={M_STATES}, K={K_SYMBOLS}, T={T}, n={N_SEQ}, M={N_PART}; "
          f"load average {load_before:.2f} -> {load_after:.2f} on {os.cpu_count()} cores; {note}")
    print(f"{'filter':45s} {'ms/seq':>9s} {'Mpart-steps/s':>14s} {'x slower':>9s} {'mean TV':>8s}")
    for row in rows:
        row["ratio_vs_probrnn"] = row["ms_per_sequence"] / ours
        print(f"{row['name']:45s} {row['ms_per_sequence']:9.3f} "
              f"{row['particle_steps_per_s'] / 1e6:14.2f} {row['ratio_vs_probrnn']:9.1f} "
              f"{row['mean_tv']:8.4f}")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "load_before": load_before,
                                         "load_after": load_after, "note": note}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
