"""Fitting the book's RNNs: the public entry points of the trainer.

* :func:`fit_state_rnn` / :func:`fit_state_rnns`: RNNs that read x_1..t and predict the hidden
  state H_t (chapter 3, the paper's 3.2 and 4.1), one or a whole sweep at once;
* :func:`fit_sequence_rnn` / :func:`fit_sequence_rnns`: RNNs that read x_1..t and predict
  x_{t+1}, fitted by maximum conditional likelihood (chapter 2, the paper's 3.1).

Both train by the one rule of :mod:`probrnn.training.rule` through the one loop of
:mod:`probrnn.training.trainer`: a sweep's networks (every task times its restarts) are members
of one batched model. Everything random derives from each task's seed: its held-out split,
each restart's initial weights and minibatches.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from ..rnn.batched import BatchedRNN
from ..rnn.cells import as_torch_generator, check_cell
from ..rnn.real_input import LOSSES, RealInputRNN
from ..rnn.sequence import EmpiricalFirstSymbol, SequenceRNN, check_sequences
from ..rnn.state import StateRNN
from ..validate import (
    check_bool,
    check_choice,
    check_device,
    check_dtype,
    check_float_array,
    check_index_array,
    check_int,
    check_obs,
    check_real,
    check_seed,
    check_states,
)
from .rule import DEFAULT_RULE, TrainingRule
from .trainer import CAP, MemberData, train_members

__all__ = ["FitTask", "FitHistory", "fit_state_rnn", "fit_state_rnns", "fit_sequence_rnn",
           "fit_sequence_rnns", "fit_real_input_rnns"]


@dataclass
class FitTask:
    """One data set of a sweep: ``obs`` (n, T) and, for a state RNN, ``states`` (n, T) and the
    HMM's m (``n_states``); ``seed`` drives everything random in its fit."""

    obs: np.ndarray
    states: np.ndarray | None = None
    n_states: int | None = None
    seed: int = 0


@dataclass
class FitHistory:
    """What happened in one fit (one task, its R restarts; E evaluations of the held-out loss).

    eval_steps:  (E,) steps at which the held-out loss was measured
    train_loss:  (E, R) mean training cross-entropy since the previous evaluation, per restart
                 (NaN after that restart stopped)
    val_loss:    (E, R) held-out cross-entropy per restart (training rows if none held out)
    best_val:    (R,) each restart's lowest held-out loss; ``chosen`` is the argmin
    best_step:   (R,) the step of that loss
    steps_run:   (R,) steps each restart trained for
    stop_reason: R strings: "patience" (the held-out loss stopped improving) or "cap"
    lr:          the initial learning rate; ``final_lr`` (R,) after the plateau halvings
    seconds:     (R,) wall-clock time until each restart stopped (it trained beside others)
    chosen:      the restart whose weights the returned model holds
    settings:    the training rule and everything else that was used (seeds, sizes, ...)
    """

    eval_steps: np.ndarray
    train_loss: np.ndarray
    val_loss: np.ndarray
    best_val: np.ndarray
    best_step: np.ndarray
    steps_run: np.ndarray
    stop_reason: list
    lr: float
    final_lr: np.ndarray
    seconds: np.ndarray
    chosen: int
    settings: dict = field(default_factory=dict)

    @property
    def val_loss_chosen(self) -> float:
        """Held-out cross-entropy of the returned model."""
        return float(self.best_val[self.chosen])

    @property
    def hit_cap(self) -> bool:
        """True if the returned model stopped at the cap, not because it had converged."""
        return self.stop_reason[self.chosen] == CAP

    def record(self) -> dict:
        """The columns every result table carries about a fit: steps run, why it stopped
        (and whether at the cap, and the cap), learning rate, restarts, held-out loss,
        seconds (of the chosen restart) and the precision of the trainer's k x k products
        ("float32" or "bfloat16", :meth:`probrnn.training.rule.TrainingRule.products_for`)."""
        c = self.chosen
        return dict(steps=int(self.steps_run[c]), stop=self.stop_reason[c],
                    hit_cap=self.hit_cap, cap=int(self.settings["max_steps"]),
                    lr=float(self.lr), final_lr=float(self.final_lr[c]),
                    restarts=len(self.best_val), chosen_restart=c,
                    val_loss=self.val_loss_chosen, train_seconds=round(float(self.seconds[c]), 3),
                    products=self.settings.get("products", "float32"))

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one row per (evaluation step, restart) while that restart trained."""
        E, R = self.val_loss.shape
        frame = pd.DataFrame({
            "step": np.repeat(self.eval_steps, R),
            "restart": np.tile(np.arange(R), E),
            "train_loss": self.train_loss.ravel(),
            "val_loss": self.val_loss.ravel(),
            "chosen": np.tile(np.arange(R) == self.chosen, E),
        })
        return frame.dropna(subset=["val_loss"]).reset_index(drop=True)


# ---------------------------------------------------------------------------- helpers
def _child_seeds(seed: int, count: int) -> list[int]:
    """``count`` independent 32-bit seeds derived from ``seed`` (numpy's SeedSequence)."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(count)]


def _split(n: int, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (train, held out): round(val_fraction * n) rows held out, none if n < 10."""
    n_val = int(round(val_fraction * n)) if n >= 10 else 0
    perm = np.random.default_rng(seed).permutation(n)
    return perm[n_val:], perm[:n_val]


def _rule(rule, overrides: dict) -> TrainingRule:
    if rule is None:
        rule = DEFAULT_RULE
    if not isinstance(rule, TrainingRule):
        raise ValueError(f"rule must be a probrnn.training.TrainingRule (got {type(rule).__name__})")
    unknown = sorted(set(overrides) - set(rule.as_dict()))
    if unknown:
        raise ValueError(f"unknown training setting(s) {unknown}: choose from "
                         f"{sorted(rule.as_dict())}")
    return rule.with_(**overrides)


def _train(kind: str, member_data, seeds, n_out, *, n_symbols, hidden_size, cell, num_layers,
           rule, device, dtype, progress, desc, threads, real_inputs=False,
           loss="cross_entropy", bidirectional=False):
    """Train one member per entry of ``member_data`` (with its restart seed); returns the
    :class:`~probrnn.training.trainer.TrainedMembers`."""
    gens = [as_torch_generator(s) for s in seeds]
    model = BatchedRNN(n_symbols, n_out, hidden_size, cell, num_layers, gens, dtype=dtype,
                       real_inputs=real_inputs, loss=loss, bidirectional=bidirectional)
    lr = rule.learning_rate(hidden_size)
    if progress is None:
        import sys

        progress = sys.stderr.isatty() and hidden_size ** 2 * len(seeds) > 1e6
    return train_members(model, member_data, gens, [lr] * len(seeds), rule, device=device,
                         progress=progress, desc=desc or f"training {len(seeds)} {kind} RNN(s), "
                         f"k={hidden_size}", threads=threads)


def _histories(fit, n_tasks: int, restarts: int, extra):
    """Pick each task's best restart; yield (first member index, chosen, FitHistory)."""
    for i in range(n_tasks):
        sl = slice(i * restarts, (i + 1) * restarts)
        best = fit.best_val[sl]
        if not np.isfinite(best).any():
            raise ValueError(f"training diverged for task {i}: its held-out loss was never "
                             "finite; lower the learning rate (rule.lr or rule.lr_scale)")
        chosen = int(np.argmin(best))
        hist = FitHistory(
            eval_steps=fit.eval_steps, train_loss=fit.train_loss[:, sl],
            val_loss=fit.val_loss[:, sl], best_val=best, best_step=fit.best_step[sl],
            steps_run=fit.steps_run[sl], stop_reason=fit.stop_reason[sl],
            lr=float(fit.lr[i * restarts]), final_lr=fit.final_lr[sl], seconds=fit.seconds[sl],
            chosen=chosen, settings=dict(fit.settings, **extra[i]))
        yield i * restarts + chosen, hist


def _tasks(tasks) -> list:
    """The tasks as a non-empty list of FitTask (a single FitTask is a list of one)."""
    if isinstance(tasks, FitTask):
        return [tasks]
    if isinstance(tasks, (str, bytes)) or not hasattr(tasks, "__iter__"):
        raise ValueError(f"tasks must be a FitTask or a sequence of FitTask (got "
                         f"{type(tasks).__name__}: {tasks!r})")
    tasks = list(tasks)
    if not tasks:
        raise ValueError("tasks is empty: pass at least one FitTask")
    for i, task in enumerate(tasks):
        if not isinstance(task, FitTask):
            raise ValueError(f"tasks[{i}] must be a FitTask (got {type(task).__name__})")
    return tasks


def _common(n_symbols, hidden_size, cell, num_layers, device, dtype, threads, progress=None):
    if progress is not None:
        check_bool(progress, "progress")
    n_symbols = check_int(n_symbols, "n_symbols", minimum=1)
    hidden_size = check_int(hidden_size, "hidden_size", minimum=1)
    num_layers = check_int(num_layers, "num_layers", minimum=1)
    if threads is not None:
        check_int(threads, "threads", minimum=1)
    return (n_symbols, hidden_size, check_cell(cell), num_layers, check_device(device),
            check_dtype(dtype))


# ---------------------------------------------------------------------------- state RNNs
def fit_state_rnns(tasks, *, n_symbols: int, hidden_size: int, cell: str = "rnn",
                   num_layers: int = 1, rule: TrainingRule | None = None, device=None,
                   dtype=torch.float32, progress: bool | None = None, desc: str | None = None,
                   threads: int | None = 1, bidirectional: bool = False,
                   **settings) -> list[tuple[StateRNN, FitHistory]]:
    """Train one :class:`StateRNN` per :class:`FitTask`, all at once, by the training rule.

    Every task gets ``rule.restarts_for(k)`` networks; all are trained together as one batched
    model, and for each task the restart with the lowest held-out cross-entropy is returned.
    A task's result depends only on its data, its seed and the rule, not on the other tasks.

    Args: as :func:`fit_state_rnn`; the tasks share n_symbols, hidden_size, cell and T, and each
    has its own ``states`` and ``n_states``. ``bidirectional=True`` trains RNNs that read the
    whole sequence (a forward and a backward pass, one layer), whose outputs estimate the
    smoother p(H_t | x_1..T) rather than the filter.

    Returns:
        A list of ``(model, history)``, one per task, in order.
    """
    n_symbols, hidden_size, cell, num_layers, device, dtype = _common(
        n_symbols, hidden_size, cell, num_layers, device, dtype, threads, progress)
    bidirectional = check_bool(bidirectional, "bidirectional")
    if bidirectional and (num_layers != 1 or cell == "linear"):
        raise ValueError("a bidirectional state RNN has one layer of cell 'rnn', 'gru' or "
                         f"'lstm' (got num_layers={num_layers}, cell={cell!r})")
    rule = _rule(rule, settings)
    tasks = _tasks(tasks)
    restarts = rule.restarts_for(hidden_size)
    data, seeds, n_out, extra, T = [], [], [], [], None
    for i, task in enumerate(tasks):
        if task.states is None or task.n_states is None:
            raise ValueError(f"tasks[{i}] needs states and n_states to train a state RNN")
        n_states = check_int(task.n_states, f"tasks[{i}].n_states", minimum=1)
        obs, _ = check_obs(task.obs, n_symbols, name=f"tasks[{i}].obs")
        states = check_states(task.states, n_states, obs.shape, name=f"tasks[{i}].states")
        if T is None:
            T = obs.shape[1]
        elif obs.shape[1] != T:
            raise ValueError(f"all tasks must share one sequence length T = {T} "
                             f"(tasks[{i}] has T = {obs.shape[1]})")
        seed = check_seed(task.seed, f"tasks[{i}].seed")
        split_seed, *restart_seeds = _child_seeds(seed, 1 + restarts)
        tr, va = _split(obs.shape[0], rule.val_fraction, split_seed)
        member = MemberData(obs[tr], states[tr], obs[va], states[va])
        data += [member] * restarts
        seeds += restart_seeds
        n_out += [n_states] * restarts
        extra.append(dict(kind="state", bidirectional=bidirectional, seed=seed,
                          n_train=len(tr), n_val=len(va),
                          hidden_size=hidden_size, cell=cell, num_layers=num_layers,
                          restarts=restarts, device=str(device),
                          dtype=str(dtype).replace("torch.", "")))
    fit = _train("state", data, seeds, n_out, n_symbols=n_symbols, hidden_size=hidden_size,
                 cell=cell, num_layers=num_layers, rule=rule, device=device, dtype=dtype,
                 progress=progress, desc=desc, threads=threads, bidirectional=bidirectional)
    out = []
    for member, hist in _histories(fit, len(tasks), restarts, extra):
        net = StateRNN(n_symbols, n_out[member], hidden_size, cell, num_layers, seed=0,
                       bidirectional=bidirectional)
        net = net.to(dtype).set_weights(fit.weights[member]).to(device).eval()
        out.append((net, hist))
    return out


def fit_state_rnn(obs, states, *, n_symbols: int, n_states: int, hidden_size: int,
                  cell: str = "rnn", seed: int = 0, num_layers: int = 1,
                  rule: TrainingRule | None = None, device=None, dtype=torch.float32,
                  progress: bool | None = None, threads: int | None = 1,
                  bidirectional: bool = False, **settings) -> tuple[StateRNN, FitHistory]:
    """Train a :class:`StateRNN` to predict hidden states from observations.

    The network minimises the cross-entropy of the true hidden state H_t given x_1..t, whose
    minimiser over all functions of x_1..t is the forward algorithm's p(H_t | x_1..t): a
    perfectly trained RNN reproduces the filter without ever seeing the HMM's parameters.

    Args:
        obs: (n, T) int symbols in [0, n_symbols).
        states: (n, T) int hidden states in [0, n_states), aligned with ``obs``.
        n_symbols, n_states, hidden_size: K, m and k.
        cell: "rnn" (tanh, the paper's), "gru" or "lstm".
        seed: everything random (held-out split, initial weights, minibatches) derives from it.
        num_layers: stacked recurrent layers.
        rule: the :class:`~probrnn.training.rule.TrainingRule` (default: the book's); keyword
            ``settings`` override single fields of it (``max_steps=2000``, ``lr=0.01``, ...).
        device: default CUDA if present, else the CPU.
        dtype: torch.float32 (default) or torch.float64.
        progress: a tqdm bar on stderr; default: only for long runs in a terminal.
        threads: torch and BLAS threads while training (default 1: fastest for small
            networks, and robust when other processes share the cores; None leaves torch's
            setting, and None or 2 change results in the last bits; 2 can help for k in the
            hundreds on an otherwise idle machine).
        bidirectional: read the whole sequence (forward and backward passes): the outputs
            then estimate p(H_t | x_1..T), the smoother (chapter *Smoothing*).

    Returns:
        ``(model, history)``: the trained :class:`StateRNN` (``model.predict_proba(obs)`` gives
        (n, T, m) numpy probabilities) and its :class:`FitHistory`.
    """
    task = FitTask(obs, states, check_int(n_states, "n_states", minimum=1), check_seed(seed))
    [(net, hist)] = fit_state_rnns([task], n_symbols=n_symbols, hidden_size=hidden_size,
                                   cell=cell, num_layers=num_layers, rule=rule, device=device,
                                   dtype=dtype, progress=progress, threads=threads,
                                   bidirectional=bidirectional, **settings)
    return net, hist


# ---------------------------------------------------------------------------- sequence RNNs
def fit_sequence_rnns(tasks, *, n_symbols: int, hidden_size: int, cell: str = "rnn",
                      num_layers: int = 1, rule: TrainingRule | None = None, device=None,
                      dtype=torch.float32, first_pseudocount: float = 0.0,
                      progress: bool | None = None, desc: str | None = None,
                      threads: int | None = 1, **settings) -> list[SequenceRNN]:
    """Fit one :class:`SequenceRNN` per :class:`FitTask` (only ``obs`` and ``seed`` are used),
    all at once, by the training rule. Returns the models, each with its ``history``
    (:class:`FitHistory`) and ``first_model`` (the first-symbol frequencies of its data)."""
    n_symbols, hidden_size, cell, num_layers, device, dtype = _common(
        n_symbols, hidden_size, cell, num_layers, device, dtype, threads, progress)
    rule = _rule(rule, settings)
    first_pseudocount = check_real(first_pseudocount, "first_pseudocount", 0.0)
    tasks = _tasks(tasks)
    restarts = rule.restarts_for(hidden_size)
    data, seeds, extra, firsts, T = [], [], [], [], None
    for i, task in enumerate(tasks):
        obs, _ = check_sequences(task.obs, n_symbols, name=f"tasks[{i}].obs")
        if obs.shape[1] < 2:
            raise ValueError(f"tasks[{i}].obs needs sequences of length T >= 2 to have a next "
                             f"symbol to predict (got T = {obs.shape[1]})")
        if T is None:
            T = obs.shape[1]
        elif obs.shape[1] != T:
            raise ValueError(f"all tasks must share one sequence length T = {T} "
                             f"(tasks[{i}] has T = {obs.shape[1]})")
        seed = check_seed(task.seed, f"tasks[{i}].seed")
        split_seed, *restart_seeds = _child_seeds(seed, 1 + restarts)
        tr, va = _split(obs.shape[0], rule.val_fraction, split_seed)
        # inputs x_1..x_{T-1}, targets x_2..x_T: a read-out over the K symbols
        member = MemberData(obs[tr, :-1], obs[tr, 1:], obs[va, :-1], obs[va, 1:])
        data += [member] * restarts
        seeds += restart_seeds
        firsts.append(EmpiricalFirstSymbol.fit(obs, n_symbols, first_pseudocount))
        extra.append(dict(kind="sequence", seed=seed, n_train=len(tr), n_val=len(va),
                          hidden_size=hidden_size, cell=cell, num_layers=num_layers,
                          restarts=restarts, device=str(device),
                          dtype=str(dtype).replace("torch.", "")))
    fit = _train("sequence", data, seeds, [n_symbols] * len(seeds), n_symbols=n_symbols,
                 hidden_size=hidden_size, cell=cell, num_layers=num_layers, rule=rule,
                 device=device, dtype=dtype, progress=progress, desc=desc, threads=threads)
    out = []
    for (member, hist), first in zip(_histories(fit, len(tasks), restarts, extra), firsts,
                                     strict=True):
        net = SequenceRNN(n_symbols, hidden_size, cell, num_layers, seed=0)
        net = net.to(dtype).set_weights(fit.weights[member]).to(device).eval()
        net.first_model = first
        net.history = hist
        out.append(net)
    return out


def fit_sequence_rnn(obs, *, n_symbols: int, hidden_size: int, cell: str = "rnn",
                     seed: int = 0, num_layers: int = 1, rule: TrainingRule | None = None,
                     device=None, dtype=torch.float32, first_pseudocount: float = 0.0,
                     progress: bool | None = None, threads: int | None = 1, **settings
                     ) -> SequenceRNN:
    """Fit a :class:`SequenceRNN` by maximum conditional likelihood (the paper's 3.1).

    It minimises the mean of -log g_beta(h_t)[x_{t+1}] over t = 1..T-1 (X_1 is not modelled:
    Remark 1), by the training rule of :mod:`probrnn.training.rule`.

    Args:
        obs: (n, T) training symbols, T >= 2 (one length for all sequences).
        n_symbols, hidden_size, cell, num_layers: as for :class:`SequenceRNN`.
        seed: the held-out split, the initial weights and the minibatches derive from it.
        rule, settings, device, dtype, progress, threads: as for :func:`fit_state_rnn`.
        first_pseudocount: smoothing of the returned model's ``first_model``, the empirical
            distribution of ``obs[:, 0]`` (Remark 1; the RNN never sees it as a target).

    Returns:
        The trained model (in eval mode) with ``history`` (:class:`FitHistory`) and
        ``first_model``.
    """
    [net] = fit_sequence_rnns([FitTask(obs, seed=check_seed(seed))], n_symbols=n_symbols,
                              hidden_size=hidden_size, cell=cell, num_layers=num_layers,
                              rule=rule, device=device, dtype=dtype,
                              first_pseudocount=first_pseudocount, progress=progress,
                              threads=threads, **settings)
    return net


# ---------------------------------------------------------------------------- real inputs
def fit_real_input_rnns(tasks, *, input_size: int, hidden_size: int, loss: str = "squared_error",
                        n_out: int | None = None, cell: str = "rnn", num_layers: int = 1,
                        rule: TrainingRule | None = None, device=None, dtype=torch.float32,
                        progress: bool | None = None, desc: str | None = None,
                        threads: int | None = 1, **settings
                        ) -> list[tuple[RealInputRNN, FitHistory]]:
    """Train one :class:`~probrnn.rnn.real_input.RealInputRNN` per :class:`FitTask`, all at
    once, by the training rule: ``task.obs`` (n, T, input_size) real observations and
    ``task.states`` the targets, (n, T, p) real states for ``loss="squared_error"`` or (n, T)
    bin indices in [0, ``n_out``) for ``loss="cross_entropy"``.

    Returns a list of ``(model, history)``, one per task, in order.
    """
    _, hidden_size, cell, num_layers, device, dtype = _common(
        1, hidden_size, cell, num_layers, device, dtype, threads, progress)
    input_size = check_int(input_size, "input_size", minimum=1)
    loss = check_choice(loss, "loss", LOSSES)
    rule = _rule(rule, settings)
    tasks = _tasks(tasks)
    if loss == "cross_entropy":
        if n_out is None:
            raise ValueError("loss='cross_entropy' needs n_out, the number of bins")
        n_out = check_int(n_out, "n_out", minimum=1)
    restarts = rule.restarts_for(hidden_size)
    data, seeds, extra, shape = [], [], [], None
    for i, task in enumerate(tasks):
        if task.states is None:
            raise ValueError(f"tasks[{i}] must be a FitTask with obs and states (the targets)")
        obs = check_float_array(task.obs, f"tasks[{i}].obs", 3).astype(np.float32)
        if obs.shape[-1] != input_size:
            raise ValueError(f"tasks[{i}].obs must have input_size = {input_size} values per "
                             f"step (got shape {obs.shape})")
        if loss == "squared_error":
            targets = check_float_array(task.states, f"tasks[{i}].states", 3)
            targets = targets.astype(np.float32)
            if n_out is None:
                n_out = targets.shape[-1]
            if targets.shape[-1] != n_out:
                raise ValueError(f"tasks[{i}].states must have {n_out} values per step "
                                 f"(got shape {targets.shape})")
        else:
            targets, _ = check_index_array(task.states, f"tasks[{i}].states", n_out, "bins",
                                           ndims=(2,))
        if targets.shape[:2] != obs.shape[:2]:
            raise ValueError(f"tasks[{i}]: obs {obs.shape} and states {targets.shape} must "
                             "share (n, T)")
        if shape is None:
            shape = obs.shape[1]
        elif obs.shape[1] != shape:
            raise ValueError(f"all tasks must share one sequence length T = {shape} "
                             f"(tasks[{i}] has T = {obs.shape[1]})")
        seed = check_seed(task.seed, f"tasks[{i}].seed")
        split_seed, *restart_seeds = _child_seeds(seed, 1 + restarts)
        tr, va = _split(obs.shape[0], rule.val_fraction, split_seed)
        data += [MemberData(obs[tr], targets[tr], obs[va], targets[va])] * restarts
        seeds += restart_seeds
        extra.append(dict(kind=f"real input, {loss}", seed=seed, n_train=len(tr),
                          n_val=len(va), hidden_size=hidden_size, cell=cell,
                          num_layers=num_layers, restarts=restarts, device=str(device),
                          dtype=str(dtype).replace("torch.", "")))
    fit = _train("real-input", data, seeds, [n_out] * len(seeds), n_symbols=input_size,
                 hidden_size=hidden_size, cell=cell, num_layers=num_layers, rule=rule,
                 device=device, dtype=dtype, progress=progress, desc=desc, threads=threads,
                 real_inputs=True, loss=loss)
    out = []
    for member, hist in _histories(fit, len(tasks), restarts, extra):
        net = RealInputRNN(input_size, n_out, hidden_size, cell, num_layers, seed=0, loss=loss)
        net = net.to(dtype).set_weights(fit.weights[member]).to(device).eval()
        out.append((net, hist))
    return out
