"""The trainer: one loop that trains R networks side by side under the training rule.

Every RNN of the book goes through :func:`train_members`, whether it predicts hidden states
(chapter 3) or next symbols (chapter 2), alone or in a sweep of hundreds. The R members of a
:class:`probrnn.rnn.batched.BatchedRNN` are trained at once, each on its own data with its own
minibatches, learning rate and stopping time (:mod:`probrnn.training.rule`):

1. each step, every member draws ``batch_size`` rows of its training split (its own
   ``torch.Generator``) and takes one Adam step (:mod:`probrnn.training.adam`) on its mean
   cross-entropy; the gradient is written out by hand for the one-layer tanh RNN
   (:mod:`probrnn.training.tanh_bptt`) and comes from autograd for every other cell;
2. after each step the members' averaged weights follow their trained ones (an exponential
   moving average, :mod:`probrnn.training.rule`); every ``eval_every`` steps each member's
   held-out loss is measured on its averaged weights; its best averaged weights are kept;
   plateaus halve its learning rate and a long one stops it (or the cap does);
3. members that have stopped leave the batch, so the others do not pay for them.

A member's result depends only on its data, its generator and the rule, not on the other
members of the batch (up to floating-point rounding in the batched products).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from ..rnn.batched import BatchedRNN
from ..threads import compute_threads
from .adam import BatchedAdam
from .loss import held_out_loss, per_step_loss
from .rule import TrainingRule
from .tanh_bptt import tanh_rnn_loss_and_grads

PATIENCE, CAP = "patience", "cap"


@dataclass
class MemberData:
    """One member's data: inputs and targets (n, T) int64 for training and for the held-out
    split (an empty held-out split means: select on the training rows)."""

    obs: np.ndarray
    targets: np.ndarray
    val_obs: np.ndarray
    val_targets: np.ndarray


@dataclass
class TrainedMembers:
    """What :func:`train_members` returns, for R members and E evaluations.

    weights:     R lists of tensors: each member's best weights (lowest held-out loss), on the
                 CPU, in the order of :func:`probrnn.rnn.cells.parameter_shapes`
    eval_steps:  (E,) the steps at which held-out losses were measured
    train_loss:  (E, R) mean training loss since the previous evaluation (NaN once stopped)
    val_loss:    (E, R) held-out loss (NaN once stopped)
    best_val:    (R,) the lowest held-out loss, whose weights are kept
    best_step:   (R,) the step it was reached at
    steps_run:   (R,) steps each member trained for
    stop_reason: R strings, "patience" or "cap"
    lr:          (R,) the initial learning rates; final_lr (R,) after the plateau halvings
    seconds:     (R,) wall-clock time from the start until each member stopped
    """

    weights: list
    eval_steps: np.ndarray
    train_loss: np.ndarray
    val_loss: np.ndarray
    best_val: np.ndarray
    best_step: np.ndarray
    steps_run: np.ndarray
    stop_reason: list
    lr: np.ndarray
    final_lr: np.ndarray
    seconds: np.ndarray
    settings: dict = field(default_factory=dict)


def train_members(model: BatchedRNN, data: list[MemberData], generators, lrs,
                  rule: TrainingRule, *, device=None, progress: bool = False,
                  desc: str = "training", threads: int | None = 1,
                  autograd: bool = False) -> TrainedMembers:
    """Train every member of ``model`` on its own ``data`` under ``rule``; keep its best weights.

    Args:
        model: a :class:`BatchedRNN` with R members (its initial weights).
        data: R :class:`MemberData`.
        generators: R ``torch.Generator`` (CPU) for each member's minibatch rows.
        lrs: R initial learning rates.
        rule: the :class:`TrainingRule` (batch size, evaluation, plateau, patience, cap).
        device: where to train (the members' weights come back on the CPU).
        progress: a tqdm bar on stderr.
        threads: torch and BLAS threads while training (see
            :func:`probrnn.threads.compute_threads`); results depend on it in the last bits.
        autograd: use autograd even for the one-layer tanh RNN (for tests and benchmarks).
    """
    with compute_threads(threads):
        return _Training(model, data, generators, lrs, rule, device, autograd).run(progress, desc)


def _pad(arrays, width: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack (n_r, T[, d]) arrays into (R, n_max, T[, d]), with a (R, n_max) mask of real rows."""
    n_max = max(1, max(a.shape[0] for a in arrays))
    out = np.zeros((len(arrays), n_max, width, *arrays[0].shape[2:]), dtype=arrays[0].dtype)
    mask = np.zeros((len(arrays), n_max), dtype=bool)
    for r, a in enumerate(arrays):
        out[r, : a.shape[0]] = a
        mask[r, : a.shape[0]] = True
    return torch.from_numpy(out), torch.from_numpy(mask)


class _Training:
    """The state of one training run; :meth:`run` is the loop."""

    CHUNK = 64  # steps of minibatch rows drawn at once per member

    def __init__(self, model, data, generators, lrs, rule, device, autograd):
        self.rule = rule
        self.plateau, self.patience = rule.waits_for(model.hidden_size)
        self.device = torch.device(device) if device is not None else model.head_w.device
        self.model = model.to(self.device)
        R = self.R = model.n_members
        if not (len(data) == len(generators) == len(lrs) == R):
            raise ValueError(f"need one data set, generator and learning rate per member ({R}); "
                             f"got {len(data)}, {len(generators)} and {len(lrs)}")
        T = data[0].obs.shape[1]
        obs, _ = _pad([d.obs for d in data], T)
        targets, _ = _pad([d.targets for d in data], T)
        self.sizes = torch.tensor([d.obs.shape[0] for d in data])
        # all members' rows in one (R * n_max, T) table; member r's rows start at r * n_max
        self.obs_rows = obs.reshape(-1, *obs.shape[2:]).to(self.device)  # (R n_max, T[, d])
        self.target_rows = targets.reshape(-1, *targets.shape[2:]).to(self.device)
        self.offsets = torch.arange(R) * obs.shape[1]
        sel = [(d.obs, d.targets) if d.val_obs.shape[0] == 0 else (d.val_obs, d.val_targets)
               for d in data]  # selection rows: held-out split, else the training rows
        sel_obs, self.sel_mask = _pad([o for o, _ in sel], T)
        sel_targets, _ = _pad([t for _, t in sel], T)
        self.sel_obs, self.sel_targets = sel_obs.to(self.device), sel_targets.to(self.device)
        self.sel_mask = self.sel_mask.to(self.device)
        self.generators = list(generators)
        self.hand_written = (model.cell == "rnn" and model.num_layers == 1 and not autograd
                             and not model.real_inputs and model.loss == "cross_entropy"
                             and not model.bidirectional)
        self.products = rule.products_for(model.hidden_size) if self.hand_written else None
        self.lr0 = torch.tensor([float(v) for v in lrs], dtype=torch.float64)
        self.lr = self.lr0.clone().to(self.device)
        # per member (global index); the initial weights stand until a held-out loss is finite
        self.n_out = list(model.n_out)
        self.best = [self._weights_of(model.parameters_in_order(), r, r) for r in range(R)]
        self.best_val = np.full(R, np.inf)
        self.ref_val = np.full(R, np.inf)  # the last improvement that counted (> min_delta)
        self.best_step = np.zeros(R, dtype=np.int64)
        self.stale = np.zeros(R, dtype=np.int64)
        self.steps_run = np.zeros(R, dtype=np.int64)
        self.stop_reason = [""] * R
        self.seconds = np.zeros(R)
        self.final_lr = self.lr0.numpy().copy()
        # the working set: members still training
        self.active = torch.arange(R)
        self.params = self.model.parameters_in_order()
        self.opt = BatchedAdam(self.params)
        self.averaged = ([p.detach().clone() for p in self.params] if rule.average > 0
                         else None)  # the weight average (see rule.py), like the parameters
        self.workspace = {}
        self.rows_chunk = None
        self.history = []  # (step, train (R,), val (R,))
        self.running = torch.zeros(R, dtype=torch.float64)
        self.n_running = 0

    def _weights_of(self, params, pos: int, r: int) -> list[torch.Tensor]:
        """Member r's weights (at position ``pos`` of ``params``) on the CPU, its read-out cut
        to its own number of outputs (the padding rows dropped)."""
        out = [p.detach()[pos].cpu().clone() for p in params]
        m = self.n_out[r]
        out[-2], out[-1] = out[-2][:m], out[-1][:m]
        return out

    # ------------------------------------------------------------------ one step
    def _minibatch(self, step: int):
        B, c = self.rule.batch_size, step % self.CHUNK
        if c == 0:  # draw the next CHUNK steps' rows of every active member, each from its own
            self.rows_chunk = torch.stack([
                torch.floor(torch.rand((self.CHUNK, B), generator=self.generators[r],
                                       dtype=torch.float64) * int(self.sizes[r])).long()
                + int(self.offsets[r]) for r in self.active.tolist()], dim=1)  # (CHUNK, A, B)
        rows = self.rows_chunk[c].reshape(-1).to(self.device)
        A = len(self.active)
        x = self.obs_rows.index_select(0, rows).reshape(A, B, *self.obs_rows.shape[1:])
        y = self.target_rows.index_select(0, rows).reshape(A, B, *self.target_rows.shape[1:])
        return x, y

    def _step(self, step: int) -> None:
        x, y = self._minibatch(step)
        if self.hand_written:  # the tanh RNN's gradient written out (same numbers, fewer steps)
            pad = self.model.pad_mask if self.model.padded else None
            loss, grads = tanh_rnn_loss_and_grads(*[p.detach() for p in self.params], x, y,
                                                  pad, self.workspace, products=self.products)
            for p, g in zip(self.params, grads, strict=True):
                p.grad = g
        else:
            loss = per_step_loss(self.model, x, y).mean(dim=(1, 2))  # (A,)
            for p in self.params:
                p.grad = None
            loss.sum().backward()
        self.opt.step(self.lr)
        if self.averaged is not None:
            decay = min(self.rule.average, (step + 2) / (step + 11))  # (1 + s) / (10 + s)
            with torch.no_grad():
                torch._foreach_lerp_(self.averaged, [p.detach() for p in self.params],
                                     1.0 - decay)
        self.running[self.active] += loss.detach().double().cpu()
        self.n_running += 1

    # ------------------------------------------------------------------ evaluation
    def _evaluate(self, step: int, start: float) -> list[int]:
        """Held-out losses of the active members; keeps best weights, halves learning rates on
        plateaus; returns the working-set positions of the members that stop now."""
        act = self.active
        trained = None
        if self.averaged is not None:  # evaluate (and keep) the averaged weights
            with torch.no_grad():
                trained = [p.detach().clone() for p in self.params]
                torch._foreach_copy_([p.detach() for p in self.params], self.averaged)
        val = held_out_loss(self.model, self.sel_obs[act], self.sel_targets[act],
                            self.sel_mask[act]).cpu().numpy()
        train = np.full(self.R, np.nan)
        vals = np.full(self.R, np.nan)
        train[act.numpy()] = (self.running[act] / max(self.n_running, 1)).numpy()
        vals[act.numpy()] = val
        self.history.append((step, train, vals))
        self.running.zero_()
        self.n_running = 0
        rule, stopping = self.rule, []
        for pos, r in enumerate(act.tolist()):
            v = val[pos]
            if v < self.best_val[r]:
                self.best_val[r], self.best_step[r] = v, step
                self.best[r] = self._weights_of(self.params, pos, r)
            if v < self.ref_val[r] - rule.min_delta:
                self.ref_val[r], self.stale[r] = v, 0
            else:
                self.stale[r] += 1
                if self.stale[r] % self.plateau == 0:
                    self.lr[pos] *= 0.5
            reason = PATIENCE if self.stale[r] >= self.patience else (
                CAP if step >= rule.max_steps else "")
            if reason:
                self.stop_reason[r], self.steps_run[r] = reason, step
                self.seconds[r] = time.perf_counter() - start
                self.final_lr[r] = float(self.lr[pos])
                stopping.append(pos)
        if trained is not None:  # training goes on from the trained weights
            with torch.no_grad():
                torch._foreach_copy_([p.detach() for p in self.params], trained)
        return stopping

    def _drop(self, stopping: list[int]) -> None:
        """Remove stopped members from the working set (their best weights are kept)."""
        keep = [i for i in range(len(self.active)) if i not in set(stopping)]
        if not keep:
            self.active = self.active[:0]
            return
        keep_t = torch.tensor(keep)
        self.active = self.active[keep_t]
        self.model = self.model.take(keep_t)
        self.params = self.model.parameters_in_order()
        self.opt = self.opt.take(keep_t.to(self.device), self.params)
        if self.averaged is not None:
            self.averaged = [a[keep_t.to(self.device)].clone() for a in self.averaged]
        self.lr = self.lr[keep_t.to(self.device)]
        self.rows_chunk = self.rows_chunk[:, keep_t] if self.rows_chunk is not None else None
        self.workspace = {}

    # ------------------------------------------------------------------ the loop
    def run(self, progress: bool, desc: str) -> TrainedMembers:
        rule = self.rule
        bar = _progress(desc) if progress else None
        start = time.perf_counter()
        step = 0
        while len(self.active):
            self._step(step)
            step += 1
            if step % rule.eval_every == 0 or step >= rule.max_steps:
                stopping = self._evaluate(step, start)
                if stopping:
                    self._drop(stopping)
                if bar is not None:
                    bar.set_postfix(training=len(self.active), refresh=False)
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
        steps = np.array([h[0] for h in self.history])
        return TrainedMembers(
            weights=self.best, eval_steps=steps,
            train_loss=np.array([h[1] for h in self.history]),
            val_loss=np.array([h[2] for h in self.history]),
            best_val=self.best_val, best_step=self.best_step, steps_run=self.steps_run,
            stop_reason=self.stop_reason, lr=self.lr0.numpy(), final_lr=self.final_lr,
            seconds=self.seconds,
            settings=dict(rule.as_dict(), plateau_used=self.plateau, patience_used=self.patience,
                          products=str(self.products if self.products is not None
                                       else self.params[0].dtype).replace("torch.", "")))


def _progress(desc: str):
    from tqdm import tqdm

    return tqdm(desc=desc, unit="step", file=sys.stderr, leave=False, mininterval=0.5)
