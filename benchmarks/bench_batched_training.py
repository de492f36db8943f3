"""Batched sweep training against training the same RNNs one at a time.

A Figure 5 sweep trains, per HMM draw, 8 training sizes x 4 random restarts = 32 networks with
k = 1 (and 8 x 2 = 16 with k = 20). This script trains such groups

* one at a time as ordinary ``StateRNN`` s (torch's ``nn.RNN``), each with its own Adam;
* one at a time through the batched code with a single member;
* all at once as one :class:`probrnn.batched.BatchedStateRNN`;

with the same number of steps, batch size, learning rate schedule and data, and reports the
wall-clock times and the speed-up. Everything runs with one torch thread (the setting the
package trains with; see :func:`probrnn.batched.torch_threads`).

Usage: python benchmarks/bench_batched_training.py [--steps 200] [--repeats 1]
"""

from __future__ import annotations

import argparse
import math
import os
import time

import pandas as pd
import torch

from probrnn import HMM
from probrnn.batched import BatchedStateRNN, MemberData, torch_threads, train_batched
from probrnn.nets import torch_generator
from probrnn.state_rnn import StateRNN


def sweep_data(n_sizes=(100, 200, 500, 1000, 2000, 5000, 10000, 20000), restarts=4, seed=0):
    """The training sets of one Figure 5 group: nested subsets of one pool, x restarts."""
    hmm = HMM.random(2, 3, rng=seed)
    states, obs = hmm.sample(max(n_sizes), 8, rng=seed + 1)
    val_states, val_obs = hmm.sample(100, 8, rng=seed + 2)  # a small held-out set
    return [MemberData(obs[:n], states[:n], val_obs, val_states, 2) for n in n_sizes
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


def run(k: int, restarts: int, steps: int, batch_size: int = 256) -> dict:
    data = sweep_data(restarts=restarts)
    R = len(data)
    lr = 0.1 / math.sqrt(k)
    kw = dict(steps=steps, batch_size=batch_size, lr=lr, eval_every=steps)
    with torch_threads(1):
        start = time.perf_counter()
        for r, d in enumerate(data):
            plain_loop(d, k, steps, batch_size, lr, seed=r)
        t_plain = time.perf_counter() - start

        start = time.perf_counter()
        for r, d in enumerate(data):
            gens = [torch_generator(r)]
            train_batched(BatchedStateRNN(3, [2], k, "rnn", 1, gens), [d], gens, **kw)
        t_single = time.perf_counter() - start

        start = time.perf_counter()
        gens = [torch_generator(r) for r in range(R)]
        train_batched(BatchedStateRNN(3, [2] * R, k, "rnn", 1, gens), data, gens, **kw)
        t_batched = time.perf_counter() - start
    one_at_a_time = min(t_plain, t_single)
    return dict(k=k, networks=R, steps=steps, batch_size=batch_size,
                plain_nn_rnn_s=round(t_plain, 2), batched_code_one_by_one_s=round(t_single, 2),
                batched_s=round(t_batched, 2), speedup=round(one_at_a_time / t_batched, 1))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    rows = [run(1, 4, args.steps), run(20, 2, args.steps)]
    table = pd.DataFrame(rows)
    slow = table[["plain_nn_rnn_s", "batched_code_one_by_one_s"]].min(axis=1).sum()
    print(table.to_string(index=False))
    print(f"both groups (48 networks): one at a time {slow:.1f} s, batched "
          f"{table.batched_s.sum():.1f} s, speed-up {slow / table.batched_s.sum():.1f}x "
          f"(load average {load:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    return table


if __name__ == "__main__":
    main()
