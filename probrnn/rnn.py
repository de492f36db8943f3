"""RNNs trained to infer an HMM's hidden state: the paper's 3.2 and 4.1.

Chapter *RNNs as approximations of the forward algorithm*. The public entry points:

* :class:`StateRNN` (in :mod:`probrnn.state_rnn`): observations (B, T) -> logits over the m
  hidden states (B, T, m); ``predict_proba(obs) -> (n, T, m)``.
* :func:`fit_state_rnn`: train one on (observation, hidden state) pairs, robustly (several
  random restarts trained together, the best kept on a held-out split).
* :func:`fit_state_rnns`: the same for many data sets at once (a sweep), as one batched model.
* :func:`exact_forward_rnn` (in :mod:`probrnn.exact_rnn`): the constructive side of
  Proposition 6, an RNN whose update is the normalised forward recursion.
* :func:`fit_belief_probe` (in :mod:`probrnn.probe`): the map phi read back from a trained RNN.
"""

from __future__ import annotations

import math
import numbers
import sys
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from ._validate import check_index_range, check_int, check_obs
from .batched import BatchedStateRNN, MemberData, train_batched
from .exact_rnn import ExactForwardRNN, exact_forward_rnn
from .nets import check_cell, default_device, torch_generator
from .probe import BeliefProbe, fit_belief_probe
from .state_rnn import StateRNN, state_rnn_n_params

__all__ = [
    "StateRNN", "FitHistory", "FitTask", "fit_state_rnn", "fit_state_rnns", "default_settings",
    "untrained_state_rnn",
    "exact_forward_rnn", "ExactForwardRNN", "fit_belief_probe", "BeliefProbe",
    "state_rnn_n_params",
]


def default_settings(hidden_size: int) -> dict:
    """Training settings used when the caller leaves them out, as a function of k.

    * ``lr = 0.1 / sqrt(k)``: Adam's step, smaller for wider layers (whose pre-activations
      sum more terms), decayed along a cosine to 5% of it;
    * ``restarts``: 4 for k <= 4, 2 for k <= 32, else 1. A tiny RNN can stall in a poor
      optimum from an unlucky start; its restarts cost almost nothing when trained together;
    * ``steps``: 600 for k <= 32, 300 above (wider networks converge in fewer steps, and
      each of their steps costs more), of ``batch_size = 256`` sequences (128 for k > 256);
    * ``eval_every = 25``: how often the held-out loss is checked to keep the best weights.
    """
    k = hidden_size
    return dict(
        lr=0.1 / math.sqrt(k),
        restarts=4 if k <= 4 else (2 if k <= 32 else 1),
        steps=600 if k <= 32 else 300,
        batch_size=256 if k <= 256 else 128,
        eval_every=25,
    )


@dataclass
class FitHistory:
    """Training record of one :func:`fit_state_rnn` call.

    steps:       (E,) steps at which losses were evaluated
    train_loss:  (E, R) mean training cross-entropy since the previous evaluation, per restart
    val_loss:    (E, R) held-out cross-entropy per restart (training rows if no held-out split)
    best_val:    (R,) each restart's lowest held-out loss; ``chosen`` is the argmin
    chosen:      the restart whose weights the returned model holds
    seconds:     wall-clock time of the whole (batched) training run it was part of
    settings:    every setting used (lr, steps, batch_size, restarts, seeds, ...)
    """

    steps: np.ndarray
    train_loss: np.ndarray
    val_loss: np.ndarray
    best_val: np.ndarray
    best_step: np.ndarray
    chosen: int
    seconds: float
    settings: dict = field(default_factory=dict)

    @property
    def val_loss_chosen(self) -> float:
        """Held-out cross-entropy of the returned model."""
        return float(self.best_val[self.chosen])

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one row per (evaluation step, restart)."""
        E, R = self.val_loss.shape
        return pd.DataFrame({
            "step": np.repeat(self.steps, R),
            "restart": np.tile(np.arange(R), E),
            "train_loss": self.train_loss.ravel(),
            "val_loss": self.val_loss.ravel(),
            "chosen": np.tile(np.arange(R) == self.chosen, E),
        })


@dataclass
class FitTask:
    """One data set of a sweep: ``obs`` and ``states`` (n, T), the HMM's m, and a seed."""

    obs: np.ndarray
    states: np.ndarray
    n_states: int
    seed: int = 0


def _check_states(states, n_states: int, shape) -> np.ndarray:
    try:
        arr = np.asarray(states)
    except ValueError as err:
        raise ValueError(f"states must be a rectangular array of integers ({err})") from None
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.shape != shape:
        raise ValueError(
            f"obs and states must have the same shape (n, T): got obs {shape} and states "
            f"{np.shape(states)}"
        )
    if not (np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool):
        if not np.issubdtype(arr.dtype, np.floating) or np.any(arr != np.round(arr)):
            raise ValueError(f"states must hold integer state indices (got dtype {arr.dtype})")
    arr = arr.astype(np.int64)
    check_index_range(arr, n_states, "states", what="values", bound=f"n_states={n_states}")
    return arr


def _check_task(obs, states, n_symbols: int, n_states: int):
    arr = np.asarray(obs) if not isinstance(obs, (list, tuple)) else obs
    st = np.asarray(states) if not isinstance(states, (list, tuple)) else states
    if np.ndim(arr) in (1, 2) and np.ndim(st) in (1, 2) and np.shape(arr) != np.shape(st):
        raise ValueError(
            f"obs and states must have the same shape (n, T): got obs {np.shape(arr)} and "
            f"states {np.shape(st)}"
        )
    obs_arr, _ = check_obs(obs, n_symbols)
    return obs_arr, _check_states(states, n_states, obs_arr.shape)


def _child_seeds(seed: int, count: int) -> list[int]:
    """``count`` independent 32-bit seeds derived from ``seed`` (numpy's SeedSequence)."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(count)]


def _split(obs, states, val_fraction: float, seed: int) -> MemberData:
    """Shuffle rows with ``seed`` and hold out round(val_fraction * n) of them (none if n < 10)."""
    n = obs.shape[0]
    n_val = int(round(val_fraction * n)) if n >= 10 else 0
    perm = np.random.default_rng(seed).permutation(n)
    val, train = perm[:n_val], perm[n_val:]
    return MemberData(obs[train], states[train], obs[val], states[val], 0)


def fit_state_rnns(tasks, *, n_symbols: int, hidden_size: int, cell: str = "rnn",
                   num_layers: int = 1, restarts: int | None = None, steps: int | None = None,
                   batch_size: int | None = None, lr: float | None = None,
                   val_fraction: float = 0.1, eval_every: int | None = None, device=None,
                   dtype=torch.float32, progress: bool | None = None,
                   desc: str | None = None, threads: int | None = 1
                   ) -> list[tuple[StateRNN, FitHistory]]:
    """Train one :class:`StateRNN` per :class:`FitTask`, all at once as a batched model.

    Every task gets ``restarts`` networks; all ``len(tasks) * restarts`` are trained together
    (:mod:`probrnn.batched`), and for each task the restart with the lowest held-out
    cross-entropy is returned. A task's result depends only on its data, its seed and the
    settings, not on the other tasks in the batch (up to floating-point rounding).

    Args: as :func:`fit_state_rnn`; the tasks share n_symbols, hidden_size, cell, T.

    Returns:
        A list of ``(model, history)``, one per task, in order.
    """
    tasks = list(tasks)
    if not tasks:
        raise ValueError("tasks is empty: pass at least one FitTask")
    n_symbols = check_int(n_symbols, "n_symbols", minimum=1)
    hidden_size = check_int(hidden_size, "hidden_size", minimum=1)
    num_layers = check_int(num_layers, "num_layers", minimum=1)
    cell = check_cell(cell)
    defaults = default_settings(hidden_size)
    restarts = defaults["restarts"] if restarts is None else check_int(restarts, "restarts", 1)
    steps = defaults["steps"] if steps is None else check_int(steps, "steps", 1)
    batch_size = (defaults["batch_size"] if batch_size is None
                  else check_int(batch_size, "batch_size", 1))
    eval_every = (defaults["eval_every"] if eval_every is None
                  else check_int(eval_every, "eval_every", 1))
    if lr is None:
        lr = defaults["lr"]
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not (0 < lr < math.inf):
        raise ValueError(f"lr must be a positive finite number (got {lr!r})")
    if isinstance(val_fraction, bool) or not isinstance(val_fraction, numbers.Real) \
            or not 0 <= val_fraction <= 0.5:
        raise ValueError(f"val_fraction must be a number in [0, 0.5] (got {val_fraction!r})")
    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"dtype must be torch.float32 or torch.float64 (got {dtype!r})")
    device = torch.device(device) if device is not None else default_device()

    members, gens, ms, T = [], [], [], None
    for i, task in enumerate(tasks):
        n_states = check_int(task.n_states, f"tasks[{i}].n_states", minimum=1)
        obs, states = _check_task(task.obs, task.states, n_symbols, n_states)
        if T is None:
            T = obs.shape[1]
        elif obs.shape[1] != T:
            raise ValueError(f"all tasks must share one sequence length T = {T} "
                             f"(tasks[{i}] has T = {obs.shape[1]})")
        seed = check_int(task.seed, f"tasks[{i}].seed", minimum=0)
        split_seed, *restart_seeds = _child_seeds(seed, 1 + restarts)
        data = _split(obs, states, val_fraction, split_seed)
        data.n_states = n_states
        for s in restart_seeds:
            members.append(data)
            gens.append(torch_generator(s))
            ms.append(n_states)
    if progress is None:
        progress = sys.stderr.isatty() and hidden_size * hidden_size * steps * len(ms) > 5e8
    model = BatchedStateRNN(n_symbols, ms, hidden_size, cell, num_layers, gens, dtype=dtype)
    fit = train_batched(model, members, gens, steps=steps, batch_size=batch_size, lr=lr,
                        eval_every=eval_every, device=device, progress=progress,
                        desc=desc or f"training {len(tasks)} x {restarts} RNN(s), k={hidden_size}",
                        threads=threads)
    settings = dict(fit.settings, restarts=restarts, cell=cell, num_layers=num_layers,
                    hidden_size=hidden_size, val_fraction=val_fraction, device=str(device),
                    dtype=str(dtype).replace("torch.", ""))
    out = []
    for i, task in enumerate(tasks):
        sl = slice(i * restarts, (i + 1) * restarts)
        chosen = int(np.argmin(fit.best_val[sl]))
        net = fit.model.export(i * restarts + chosen).to(device)
        hist = FitHistory(
            steps=fit.steps, train_loss=fit.train_loss[:, sl], val_loss=fit.val_loss[:, sl],
            best_val=fit.best_val[sl], best_step=fit.best_step[sl], chosen=chosen,
            seconds=fit.seconds, settings=dict(settings, seed=int(task.seed),
                                               n_train=int(members[i * restarts].obs.shape[0]),
                                               n_val=int(members[i * restarts].val_obs.shape[0])),
        )
        out.append((net, hist))
    return out


def untrained_state_rnn(n_symbols: int, n_states: int, hidden_size: int, cell: str = "rnn",
                        seed: int = 0, num_layers: int = 1) -> StateRNN:
    """A :class:`StateRNN` with torch's default random initial weights, drawn from ``seed``
    (a baseline: what do random hidden units already tell about the beliefs?)."""
    n_symbols = check_int(n_symbols, "n_symbols", minimum=1)
    n_states = check_int(n_states, "n_states", minimum=1)
    hidden_size = check_int(hidden_size, "hidden_size", minimum=1)
    num_layers = check_int(num_layers, "num_layers", minimum=1)
    gen = torch_generator(check_int(seed, "seed", minimum=0))
    model = BatchedStateRNN(n_symbols, [n_states], hidden_size, check_cell(cell), num_layers,
                            [gen])
    return model.export(0)


def fit_state_rnn(obs, states, *, n_symbols: int, n_states: int, hidden_size: int,
                  cell: str = "rnn", seed: int = 0, num_layers: int = 1,
                  restarts: int | None = None, steps: int | None = None,
                  batch_size: int | None = None, lr: float | None = None,
                  val_fraction: float = 0.1, eval_every: int | None = None, device=None,
                  dtype=torch.float32, progress: bool | None = None, threads: int | None = 1
                  ) -> tuple[StateRNN, FitHistory]:
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
        restarts, steps, batch_size, lr, eval_every: see :func:`default_settings` (defaults
            depend on k and need no tuning for the book's HMMs).
        val_fraction: share of the n sequences held out to pick the restart and the step whose
            weights are kept (none held out when n < 10; training loss is used instead).
        device: default :func:`probrnn.nets.default_device` (CUDA if present).
        dtype: torch.float32 (default) or torch.float64.
        progress: a tqdm bar on stderr; default: only for long runs in a terminal.
        threads: torch intra-op threads while training (default 1: fastest for small
            networks, and robust when other processes share the cores; None leaves torch's
            setting; 2 can help for k in the hundreds on an otherwise idle machine).

    Returns:
        ``(model, history)``: the trained :class:`StateRNN` (``model.predict_proba(obs)`` gives
        (n, T, m) numpy probabilities) and its :class:`FitHistory`.
    """
    n_states = check_int(n_states, "n_states", minimum=1)
    hidden_size = check_int(hidden_size, "hidden_size", minimum=1)
    check_cell(cell)
    n_symbols = check_int(n_symbols, "n_symbols", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    obs, states = _check_task(obs, states, n_symbols, n_states)
    [(net, hist)] = fit_state_rnns(
        [FitTask(obs, states, n_states, seed)], n_symbols=n_symbols, hidden_size=hidden_size,
        cell=cell, num_layers=num_layers, restarts=restarts, steps=steps,
        batch_size=batch_size, lr=lr, val_fraction=val_fraction, eval_every=eval_every,
        device=device, dtype=dtype, progress=progress, threads=threads,
    )
    return net, hist
