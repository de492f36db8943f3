"""Batched sweep training against training the same RNNs one at a time.

Figure 5's sweep trains, per HMM draw, 8 training sizes with k = 1 (4 random restarts each:
32 networks), k = 20 (2 restarts: 16) and k = 100 (1 restart: 8). This script trains those
networks, with the same data, number of steps, batch size and learning-rate schedule,

* **one at a time**, each as an ordinary ``StateRNN`` (torch's ``nn.RNN``) with its own Adam,
  and each through the batched code with a single member (the faster of the two is the
  baseline);
* **batched**: each group of equal k as one :class:`probrnn.batched.BatchedStateRNN`;
* **batched, two processes**: the same groups spread over two worker processes (one per core;
  the k = 100 group is split in two, since it dominates the cost).

Everything runs with one torch thread per process (the package's setting, see
:func:`probrnn.batched.torch_threads`). It prints the times per group and for the whole sweep.

Usage: python benchmarks/bench_batched_training.py [--steps 300]
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import os
import time
from concurrent.futures import ProcessPoolExecutor

import pandas as pd
import torch

from probrnn import HMM
from probrnn.batched import BatchedStateRNN, MemberData, torch_threads, train_batched
from probrnn.nets import torch_generator
from probrnn.rnn import default_settings
from probrnn.state_rnn import StateRNN

N_SIZES = (100, 200, 500, 1000, 2000, 5000, 10000, 20000)
GROUPS = {1: 4, 20: 2, 100: 1}  # k -> restarts, as in the Figure 5 sweep


def sweep_data(restarts: int, seed: int = 0) -> list[MemberData]:
    """One Figure 5 group's training sets: nested subsets of one pool, x restarts."""
    hmm = HMM.random(2, 3, rng=seed)
    states, obs = hmm.sample(max(N_SIZES), 8, rng=seed + 1)
    val_states, val_obs = hmm.sample(100, 8, rng=seed + 2)  # a small held-out set
    return [MemberData(obs[:n], states[:n], val_obs, val_states, 2) for n in N_SIZES
            for _ in range(restarts)]


def plain_loop(data: MemberData, k: int, steps: int, batch_size: int, lr: float, seed: int):
    """The baseline: one StateRNN (torch nn.RNN), Adam, the same cosine schedule."""
    gen = torch_generator(seed)
    net = StateRNN(3, 2, k)
    with torch.no_grad():  # torch's default init, drawn from our generator
        for p in net.parameters():
            p.uniform_(-1 / math.sqrt(k), 1 / math.sqrt(k), generator=gen)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    obs, states = torch.from_numpy(data.obs), torch.from_numpy(data.states)
    for step in range(steps):
        idx = torch.randint(obs.shape[0], (batch_size,), generator=gen)
        cosine = 0.5 * (1 + math.cos(math.pi * step / max(steps - 1, 1)))
        for g in opt.param_groups:
            g["lr"] = lr * (0.05 + 0.95 * cosine)
        logits = net(obs[idx])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 2), states[idx].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return net


def _kw(k: int, steps: int) -> dict:
    s = default_settings(k)
    return dict(steps=steps, batch_size=s["batch_size"], lr=s["lr"], eval_every=steps)


def train_group(k: int, members: list[int], steps: int) -> float:
    """Train members (indices into the k-group) as one batched model; returns seconds."""
    data = sweep_data(GROUPS[k])
    with torch_threads(1):
        start = time.perf_counter()
        gens = [torch_generator(r) for r in members]
        model = BatchedStateRNN(3, [2] * len(members), k, "rnn", 1, gens)
        train_batched(model, [data[r] for r in members], gens, **_kw(k, steps))
        return time.perf_counter() - start


def one_at_a_time(k: int, steps: int) -> tuple[float, float]:
    """Seconds for the k-group trained network by network: (plain nn.RNN, batched code)."""
    data = sweep_data(GROUPS[k])
    kw = _kw(k, steps)
    with torch_threads(1):
        start = time.perf_counter()
        for r, d in enumerate(data):
            plain_loop(d, k, steps, kw["batch_size"], kw["lr"], seed=r)
        t_plain = time.perf_counter() - start
        start = time.perf_counter()
        for r, d in enumerate(data):
            gens = [torch_generator(r)]
            train_batched(BatchedStateRNN(3, [2], k, "rnn", 1, gens), [d], gens, **kw)
        t_single = time.perf_counter() - start
    return t_plain, t_single


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args(argv)
    steps = args.steps
    load = os.getloadavg()[0]
    rows = []
    for k, restarts in GROUPS.items():
        n_nets = len(N_SIZES) * restarts
        t_plain, t_single = one_at_a_time(k, steps)
        t_batched = train_group(k, list(range(n_nets)), steps)
        rows.append(dict(k=k, networks=n_nets, steps=steps, plain_nn_rnn_s=round(t_plain, 2),
                         one_member_batched_code_s=round(t_single, 2),
                         batched_s=round(t_batched, 2),
                         speedup=round(min(t_plain, t_single) / t_batched, 1)))
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))

    # the whole sweep on two worker processes: split the dominant k = 100 group in two
    n100 = len(N_SIZES) * GROUPS[100]
    jobs = [(100, list(range(0, n100, 2))), (100, list(range(1, n100, 2))),
            (20, list(range(len(N_SIZES) * GROUPS[20]))),
            (1, list(range(len(N_SIZES) * GROUPS[1])))]
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=2, mp_context=mp.get_context("spawn")) as ex:
        futures = [ex.submit(train_group, k, members, steps) for k, members in jobs]
        [f.result() for f in futures]
    t_two = time.perf_counter() - start

    base = table[["plain_nn_rnn_s", "one_member_batched_code_s"]].min(axis=1).sum()
    batched = table.batched_s.sum()
    print(f"\nwhole sweep ({table.networks.sum()} networks, {steps} steps each):")
    print(f"  one at a time            {base:7.1f} s")
    print(f"  batched, one process     {batched:7.1f} s   speed-up {base / batched:4.1f}x")
    print(f"  batched, two processes   {t_two:7.1f} s   speed-up {base / t_two:4.1f}x "
          "(includes starting the workers)")
    print(f"load average {load:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return table


if __name__ == "__main__":
    main()
