"""What the trainer's two speed-ups buy: batching networks, and the hand-written gradient.

Figure 5's sweep trains, per HMM draw, 8 training sizes with k = 1 (4 random restarts each:
32 networks), k = 20 (2 restarts: 16) and k = 100 (1 restart: 8), by the book's training rule.
This script trains those 56 networks for a fixed number of steps (early stopping off, so every
way does the same work) with the same data, batch size and learning rate, four ways:

* **one at a time, torch**: each an ordinary ``StateRNN`` (torch's ``nn.RNN``, autograd,
  ``torch.optim.Adam``), one torch thread;
* **batched, autograd**: each group of equal k as one :class:`probrnn.rnn.batched.BatchedRNN`
  trained by :func:`probrnn.training.trainer.train_members` with ``autograd=True``;
* **batched, hand-written**: the same model, data and steps with the hand-written gradient of
  :mod:`probrnn.training.tanh_bptt` (the default for the one-layer tanh RNN);
* **batched, hand-written, two worker threads**: the groups spread over two threads
  (:func:`probrnn.threads.map_threads`; the k = 100 group, which dominates, split in two).

The ratio *autograd / hand-written* on the same batched model is what the hand-written
gradient buys; the package keeps it only because this ratio is well above 1.

Usage: python benchmarks/bench_batched_training.py [--steps 300]
"""

from __future__ import annotations

import argparse
import os
import time

import pandas as pd
import torch

from probrnn import HMM, StateRNN
from probrnn.rnn.batched import BatchedRNN
from probrnn.rnn.cells import as_torch_generator
from probrnn.threads import map_threads, torch_threads
from probrnn.training import DEFAULT_RULE
from probrnn.training.trainer import MemberData, train_members

N_SIZES = (100, 200, 500, 1000, 2000, 5000, 10000, 20000)
KS = (1, 20, 100)


def sweep_data(k: int, seed: int = 0) -> list[MemberData]:
    """One Figure 5 group's training sets: nested subsets of one pool, times the restarts."""
    hmm = HMM.random(2, 3, rng=seed)
    states, obs = hmm.sample(max(N_SIZES), 8, rng=seed + 1)
    val_states, val_obs = hmm.sample(100, 8, rng=seed + 2)  # a small held-out set
    return [MemberData(obs[:n], states[:n], val_obs, val_states) for n in N_SIZES
            for _ in range(DEFAULT_RULE.restarts_for(k))]


def fixed_rule(steps: int):
    """The book's rule with early stopping off: exactly ``steps`` steps."""
    return DEFAULT_RULE.with_(max_steps=steps, eval_every=steps, patience=10**6, plateau=10**6)


def plain_loop(data: MemberData, k: int, steps: int, seed: int) -> StateRNN:
    """The baseline: one StateRNN (torch nn.RNN), torch.optim.Adam, the same data and rate."""
    gen = as_torch_generator(seed)
    net = StateRNN(3, 2, k, seed=gen)
    opt = torch.optim.Adam(net.parameters(), lr=DEFAULT_RULE.learning_rate(k))
    obs, states = torch.from_numpy(data.obs), torch.from_numpy(data.targets)
    for _ in range(steps):
        idx = torch.randint(obs.shape[0], (DEFAULT_RULE.batch_size,), generator=gen)
        logits = net(obs[idx])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 2), states[idx].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return net


def train_group(k: int, members: list[int], steps: int, autograd: bool = False,
                data=None) -> float:
    """Train the members (indices into the k-group) as one batched model; returns seconds."""
    data = sweep_data(k) if data is None else data
    start = time.perf_counter()
    gens = [as_torch_generator(r) for r in members]
    model = BatchedRNN(3, [2] * len(members), k, "rnn", 1, gens)
    train_members(model, [data[r] for r in members], gens,
                  [DEFAULT_RULE.learning_rate(k)] * len(members), fixed_rule(steps),
                  autograd=autograd)
    return time.perf_counter() - start


def one_at_a_time_torch(k: int, steps: int) -> float:
    """Seconds to train the k-group network by network as plain nn.RNNs (one thread)."""
    data = sweep_data(k)
    with torch_threads(1):
        start = time.perf_counter()
        for r, d in enumerate(data):
            plain_loop(d, k, steps, seed=r)
        return time.perf_counter() - start


def sweep_jobs() -> list[tuple[int, list[int]]]:
    """The whole sweep as jobs for two workers, longest first: k = 100 in two halves."""
    n = {k: len(N_SIZES) * DEFAULT_RULE.restarts_for(k) for k in KS}
    return [(100, list(range(0, n[100], 2))), (100, list(range(1, n[100], 2))),
            (20, list(range(n[20]))), (1, list(range(n[1])))]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args(argv)
    steps = args.steps
    load = os.getloadavg()[0]
    rows = []
    for k in KS:
        n_nets = len(N_SIZES) * DEFAULT_RULE.restarts_for(k)
        torch1 = one_at_a_time_torch(k, steps)
        with torch_threads(1):
            auto = train_group(k, list(range(n_nets)), steps, autograd=True)
            hand = train_group(k, list(range(n_nets)), steps)
        rows.append(dict(k=k, networks=n_nets, steps=steps, torch_one_at_a_time_s=round(torch1, 2),
                         batched_autograd_s=round(auto, 2), batched_hand_written_s=round(hand, 2),
                         hand_written_vs_autograd=round(auto / hand, 1),
                         batched_vs_torch=round(torch1 / hand, 1)))
    table = pd.DataFrame(rows)
    print("one group at a time, one thread (seconds):")
    print(table.to_string(index=False))

    datas = {k: sweep_data(k) for k in KS}
    start = time.perf_counter()
    map_threads(train_group, [(k, members, steps, False, datas[k]) for k, members in sweep_jobs()],
                workers=2)
    t_threads = time.perf_counter() - start

    base = table.torch_one_at_a_time_s.sum()
    print(f"\nwhole sweep ({table.networks.sum()} networks, {steps} steps each):"
          "                     vs torch")
    for name, t in [("one at a time, torch nn.RNN", base),
                    ("batched, autograd, one thread", table.batched_autograd_s.sum()),
                    ("batched, hand-written, one thread", table.batched_hand_written_s.sum()),
                    ("batched, hand-written, two worker threads", t_threads)]:
        print(f"  {name:48s} {t:6.1f} s   {base / t:5.1f}x")
    print(f"load average {load:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return table


if __name__ == "__main__":
    main()
