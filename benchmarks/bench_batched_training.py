"""Training a sweep's RNNs together against training them one at a time.

Figure 5's sweep trains, per HMM draw, 8 training sizes with k = 1 (4 random restarts each:
32 networks), k = 20 (2 restarts: 16) and k = 100 (1 restart: 8). This script trains those 56
networks with the same data, number of steps, batch size and learning-rate schedule:

* **one at a time, torch**: each an ordinary ``StateRNN`` (torch's ``nn.RNN``, autograd,
  ``torch.optim.Adam``), with one torch thread and with two; the faster is the baseline of
  each group;
* **one at a time, this package**: each through :func:`probrnn.batched.train_batched` with a
  single member (hand-written gradients, :mod:`probrnn.tanh_bptt`): what batching adds on top;
* **batched**: each group of equal k as one :class:`probrnn.batched.BatchedStateRNN`, one
  thread;
* **batched, two worker threads**: the groups spread over two threads of one process
  (:func:`probrnn.threads.map_threads`; the k = 100 group, which dominates, split in two);
* **batched, two worker processes**: the same jobs in two fresh processes, including the time
  they take to start (importing torch).

It prints the times per group and for the whole sweep, and the machine's load.

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
from probrnn.batched import BatchedStateRNN, MemberData, train_batched
from probrnn.nets import torch_generator
from probrnn.state_rnn import StateRNN

from probrnn import HMM
from probrnn.rnn import default_settings
from probrnn.threads import map_threads, torch_threads

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


def train_group(k: int, members: list[int], steps: int, data=None) -> float:
    """Train members (indices into the k-group) as one batched model; returns seconds."""
    data = sweep_data(GROUPS[k]) if data is None else data
    start = time.perf_counter()
    gens = [torch_generator(r) for r in members]
    model = BatchedStateRNN(3, [2] * len(members), k, "rnn", 1, gens)
    train_batched(model, [data[r] for r in members], gens, **_kw(k, steps))
    return time.perf_counter() - start


def one_at_a_time_torch(k: int, steps: int, threads: int) -> float:
    """Seconds to train the k-group network by network as plain nn.RNNs."""
    data, kw = sweep_data(GROUPS[k]), _kw(k, steps)
    with torch_threads(threads):
        start = time.perf_counter()
        for r, d in enumerate(data):
            plain_loop(d, k, steps, kw["batch_size"], kw["lr"], seed=r)
        return time.perf_counter() - start


def one_at_a_time_package(k: int, steps: int) -> float:
    """Seconds to train the k-group network by network with this package's trainer."""
    data, kw = sweep_data(GROUPS[k]), _kw(k, steps)
    start = time.perf_counter()
    for r, d in enumerate(data):
        gens = [torch_generator(r)]
        train_batched(BatchedStateRNN(3, [2], k, "rnn", 1, gens), [d], gens, **kw)
    return time.perf_counter() - start


def sweep_jobs() -> list[tuple[int, list[int]]]:
    """The whole sweep as jobs for two workers, longest first: k = 100 in two halves."""
    n100 = len(N_SIZES) * GROUPS[100]
    return [(100, list(range(0, n100, 2))), (100, list(range(1, n100, 2))),
            (20, list(range(len(N_SIZES) * GROUPS[20]))),
            (1, list(range(len(N_SIZES) * GROUPS[1])))]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args(argv)
    steps = args.steps
    load = os.getloadavg()[0]
    rows = []
    for k, restarts in GROUPS.items():
        n_nets = len(N_SIZES) * restarts
        torch1, torch2 = one_at_a_time_torch(k, steps, 1), one_at_a_time_torch(k, steps, 2)
        with torch_threads(1):
            package = one_at_a_time_package(k, steps)
            batched = train_group(k, list(range(n_nets)), steps)
        rows.append(dict(k=k, networks=n_nets, steps=steps, torch_1thread_s=round(torch1, 2),
                         torch_2threads_s=round(torch2, 2), package_s=round(package, 2),
                         batched_s=round(batched, 2),
                         vs_torch=round(min(torch1, torch2) / batched, 1),
                         vs_package=round(package / batched, 1)))
    table = pd.DataFrame(rows)
    print("one group at a time (seconds; ratios are one-at-a-time / batched):")
    print(table.to_string(index=False))

    jobs = sweep_jobs()
    datas = {k: sweep_data(r) for k, r in GROUPS.items()}
    start = time.perf_counter()
    map_threads(train_group, [(k, members, steps, datas[k]) for k, members in jobs], workers=2)
    t_threads = time.perf_counter() - start

    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=2, mp_context=mp.get_context("spawn")) as ex:
        futures = [ex.submit(train_group, k, members, steps) for k, members in jobs]
        [f.result() for f in futures]
    t_procs = time.perf_counter() - start

    base_torch = table[["torch_1thread_s", "torch_2threads_s"]].min(axis=1).sum()
    base_package = table.package_s.sum()
    batched = table.batched_s.sum()
    print(f"\nwhole sweep ({table.networks.sum()} networks, {steps} steps each):"
          "                  vs torch   vs package")
    for name, t in [("one at a time, torch nn.RNN", base_torch),
                    ("one at a time, this package", base_package),
                    ("batched, one thread", batched),
                    ("batched, two worker threads", t_threads),
                    ("batched, two worker processes (with start-up)", t_procs)]:
        print(f"  {name:48s} {t:6.1f} s   {base_torch / t:5.1f}x   {base_package / t:5.1f}x")
    print(f"load average {load:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return table


if __name__ == "__main__":
    main()
