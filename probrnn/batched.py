"""Many small state-predicting RNNs trained at once, as one batched model.

Chapter *RNNs as approximations of the forward algorithm*. A sweep (Figure 5: k x n x HMM draws,
each with several random restarts) trains dozens of tiny networks; one at a time, a k = 1 RNN
spends nearly all its time in Python and kernel-launch overhead. Here R independent networks
are stacked along a leading "member" axis, every weight gets shape (R, ...), and one step of
one optimiser updates them all with batched matrix products (``torch.bmm``).

The members never interact: the loss is a sum of per-member losses, so each member's gradient
is its own, and Adam acts element by element. Each member draws its initial weights and its
minibatches from its own ``torch.Generator``, so what a member learns does not depend on which
other members share the batch (up to floating-point rounding in the batched products).

The cell equations are torch's (``nn.RNN``/``nn.GRU``/``nn.LSTM``, same gate order), so a
member exports exactly to a :class:`probrnn.state_rnn.StateRNN` (:meth:`BatchedStateRNN.export`).
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from .state_rnn import GATES, StateRNN
from .tanh_bptt import tanh_rnn_loss_and_grads
from .threads import torch_threads


def member_init(gen: torch.Generator, n_symbols: int, n_states: int, hidden_size: int,
                gates: int, num_layers: int, dtype) -> list[torch.Tensor]:
    """One member's initial weights, drawn from ``gen`` like torch's defaults.

    Every weight and bias is uniform on (-1/sqrt(k), 1/sqrt(k)) (torch's RNN and Linear
    defaults for fan-in k). Returned in the order: per layer (w_ih (Gk, in), w_hh (Gk, k),
    b_ih (Gk,), b_hh (Gk,)), then head weight (m, k) and head bias (m,).
    """
    k, G = hidden_size, gates
    bound = 1.0 / math.sqrt(k)
    shapes = []
    for layer in range(num_layers):
        fan_in = n_symbols if layer == 0 else k
        shapes += [(G * k, fan_in), (G * k, k), (G * k,), (G * k,)]
    shapes += [(n_states, k), (n_states,)]
    return [(torch.rand(s, generator=gen, dtype=torch.float64) * 2 - 1).mul_(bound).to(dtype)
            for s in shapes]


class BatchedStateRNN(nn.Module):
    """R independent :class:`StateRNN` s (same K, k, cell, layers) as one module.

    Member r predicts ``n_states[r]`` states; logits are padded to m_max = max(n_states) and the
    padding is masked with -inf, so it gets probability zero and no gradient.

    Args:
        n_symbols: K.
        n_states: sequence of R ints, each member's m.
        hidden_size: k.
        cell: "rnn", "gru" or "lstm".
        num_layers: stacked layers.
        generators: R torch.Generators (CPU); each member draws its initial weights from its own.
    """

    def __init__(self, n_symbols: int, n_states, hidden_size: int, cell: str, num_layers: int,
                 generators, dtype=torch.float32):
        super().__init__()
        self.n_symbols, self.hidden_size, self.cell = n_symbols, hidden_size, cell
        self.num_layers = num_layers
        self.n_states = [int(m) for m in n_states]
        R, m_max, G, k = len(self.n_states), max(self.n_states), GATES[cell], hidden_size
        inits = [member_init(g, n_symbols, m, k, G, num_layers, dtype)
                 for g, m in zip(generators, self.n_states, strict=True)]
        n_rec = 4 * num_layers
        self.rec = nn.ParameterList(
            [nn.Parameter(torch.stack([init[i] for init in inits])) for i in range(n_rec)]
        )
        head_w = torch.zeros(R, m_max, k, dtype=dtype)
        head_b = torch.zeros(R, m_max, dtype=dtype)
        for r, init in enumerate(inits):
            head_w[r, : self.n_states[r]] = init[n_rec]
            head_b[r, : self.n_states[r]] = init[n_rec + 1]
        self.head_w, self.head_b = nn.Parameter(head_w), nn.Parameter(head_b)
        pad = torch.arange(m_max)[None, :] >= torch.tensor(self.n_states)[:, None]  # (R, m_max)
        self.register_buffer("pad_mask", pad)
        self.padded = bool(pad.any())

    @property
    def n_members(self) -> int:
        return len(self.n_states)

    def hidden_steps(self, obs: torch.Tensor) -> list[torch.Tensor]:
        """obs (R, B, T) int64 -> the last layer's hidden states, a list of T (R, B, k).

        Inputs are arranged time-major (row t * B + b), so each step's slice is contiguous.
        """
        R, B, T = obs.shape
        k, G = self.hidden_size, GATES[self.cell]
        symbols = torch.arange(self.n_symbols, device=obs.device)
        # one-hot by comparison (faster on a CPU than one_hot's scatter)
        x = (obs.transpose(1, 2).reshape(R, T * B, 1) == symbols).to(self.head_w.dtype)
        fold = self.cell != "gru"  # rnn, lstm: b_hh adds to b_ih (GRU's b_hn sits inside r *)
        for layer in range(self.num_layers):
            w_ih, w_hh, b_ih, b_hh = self.rec[4 * layer: 4 * layer + 4]
            bias = b_ih + b_hh if fold else b_ih
            gi = torch.baddbmm(bias[:, None, :], x, w_ih.transpose(1, 2))  # (R, TB, Gk)
            # unbind, not gi[:, t]: the backward of T slices would zero-fill T full copies
            gis = gi.reshape(R, T, B, G * k).unbind(dim=1)  # T x (R, B, Gk)
            w_hh_t = w_hh.transpose(1, 2)  # (R, k, Gk)
            h = c = None  # h_0 = c_0 = 0
            outs = []
            for t in range(T):
                if fold:  # pre-activation W x + U h + b, with U h_0 = 0 skipped
                    pre = gis[t] if h is None else _matmul_add(gis[t], h, w_hh_t)
                    h, c = _cell_step(self.cell, pre, None, h, c, k)
                else:
                    gh = (b_hh[:, None, :].expand_as(gis[t]) if h is None
                          else _matmul_add(b_hh[:, None, :], h, w_hh_t))  # (R, B, Gk)
                    h, c = _cell_step(self.cell, gis[t], gh, h, c, k)
                outs.append(h)
            if layer + 1 == self.num_layers:
                return outs
            x = torch.stack(outs, dim=1).reshape(R, T * B, k)  # (R, TB, k)
        raise AssertionError("unreachable")

    def hidden_time_major(self, obs: torch.Tensor) -> torch.Tensor:
        """obs (R, B, T) int64 -> last layer's hidden states, time-major (R, T * B, k)."""
        R, B, T = obs.shape
        return torch.stack(self.hidden_steps(obs), dim=1).reshape(R, T * B, self.hidden_size)

    def hidden(self, obs: torch.Tensor) -> torch.Tensor:
        """obs (R, B, T) int64 -> last layer's hidden states (R, B, T, k)."""
        R, B, T = obs.shape
        return self.hidden_time_major(obs).reshape(R, T, B, -1).transpose(1, 2)

    def state_logits(self, obs: torch.Tensor) -> torch.Tensor:
        """obs (R, B, T) int64 -> logits (R, m_max, T * B) (time-major), padding set to -inf.

        States come before steps in this layout, so the softmax runs over a non-innermost
        dimension and is vectorised across the steps (for m = 2, a softmax over a last
        dimension of size 2 is several times slower on a CPU).
        """
        h = self.hidden_time_major(obs)  # (R, TB, k)
        logits = torch.baddbmm(self.head_b[:, :, None], self.head_w, h.transpose(1, 2))
        if self.padded:
            logits = logits.masked_fill(self.pad_mask[:, :, None], float("-inf"))
        return logits  # (R, m_max, TB)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """obs (R, B, T) int64 -> logits (R, B, T, m_max), padding states set to -inf."""
        R, B, T = obs.shape
        return self.state_logits(obs).reshape(R, -1, T, B).permute(0, 3, 2, 1)

    def export(self, r: int) -> StateRNN:
        """Member r as a standalone :class:`StateRNN` (same numbers, on the CPU)."""
        m = self.n_states[r]
        net = StateRNN(self.n_symbols, m, self.hidden_size, self.cell, self.num_layers)
        net = net.to(self.head_w.dtype)
        rnn = net.core.rnn
        with torch.no_grad():
            for layer in range(self.num_layers):
                w_ih, w_hh, b_ih, b_hh = (p[r].detach().cpu()
                                          for p in self.rec[4 * layer: 4 * layer + 4])
                getattr(rnn, f"weight_ih_l{layer}").copy_(w_ih)
                getattr(rnn, f"weight_hh_l{layer}").copy_(w_hh)
                getattr(rnn, f"bias_ih_l{layer}").copy_(b_ih)
                getattr(rnn, f"bias_hh_l{layer}").copy_(b_hh)
            net.head.weight.copy_(self.head_w[r, :m].detach().cpu())
            net.head.bias.copy_(self.head_b[r, :m].detach().cpu())
        return net.eval()


def _matmul_add(a, h, w_t):
    """a + h @ w_t, batched over members: h (R, B, k), w_t (R, k, Gk), a broadcastable."""
    if h.shape[-1] == 1:  # a (B, 1) x (1, Gk) product is an outer product: skip bmm's overhead
        return torch.addcmul(a, h, w_t)
    return torch.baddbmm(a, h, w_t)


def _cell_step(cell: str, gi, gh, h, c, k: int):
    """One step of torch's cell equations, batched over members.

    rnn and lstm get the whole pre-activation in ``gi`` (``gh`` is None); the GRU gets the
    input part ``gi`` and the recurrent part ``gh`` (R, B, 3k) separately. ``h``/``c`` None
    stand for zeros (the first step).
    """
    if cell == "rnn":
        return torch.tanh(gi), c
    if cell == "gru":
        i_r, i_z, i_n = gi.split(k, dim=-1)
        h_r, h_z, h_n = gh.split(k, dim=-1)
        r = torch.sigmoid(i_r + h_r)
        z = torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)
        return (n - z * n if h is None else (1 - z) * n + z * h), c
    i, f, g, o = gi.split(k, dim=-1)
    ig = torch.sigmoid(i) * torch.tanh(g)
    c = ig if c is None else torch.sigmoid(f) * c + ig
    return torch.sigmoid(o) * torch.tanh(c), c


# ---------------------------------------------------------------------- training


@dataclass
class MemberData:
    """One member's training and selection data: int64 arrays (n, T) and its m."""

    obs: np.ndarray
    states: np.ndarray
    val_obs: np.ndarray
    val_states: np.ndarray
    n_states: int


@dataclass
class BatchedFit:
    """What :func:`train_batched` returns.

    model:      the batched model holding each member's best weights (lowest selection loss)
    steps:      (E,) the steps at which losses were evaluated
    train_loss: (E, R) mean cross-entropy of the minibatches since the previous evaluation
    val_loss:   (E, R) cross-entropy on each member's selection set (its held-out split)
    best_val:   (R,) the lowest selection loss, whose weights ``model`` holds
    best_step:  (R,) the step it was reached at
    seconds:    wall-clock training time
    """

    model: BatchedStateRNN
    steps: np.ndarray
    train_loss: np.ndarray
    val_loss: np.ndarray
    best_val: np.ndarray
    best_step: np.ndarray
    seconds: float
    settings: dict = field(default_factory=dict)


def _pad(arrays, width: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack (n_r, T) arrays into (R, n_max, T), with a (R, n_max) mask of real rows."""
    n_max = max(1, max(a.shape[0] for a in arrays))
    out = np.zeros((len(arrays), n_max, width), dtype=np.int64)
    mask = np.zeros((len(arrays), n_max), dtype=bool)
    for r, a in enumerate(arrays):
        out[r, : a.shape[0]] = a
        mask[r, : a.shape[0]] = True
    return torch.from_numpy(out), torch.from_numpy(mask)


def _cross_entropy(model: BatchedStateRNN, obs: torch.Tensor, states: torch.Tensor,
                   per_step: bool | None = None):
    """obs, states (R, B, T) -> per-step cross-entropy -log p(states | obs), time-major
    (R, T, B).

    Narrow layers run the read-out once on all steps; wide ones (k >= 8) run it step by step,
    which avoids copying all hidden states into one tensor (and back, for the gradient): on a
    CPU that copy then costs more than the extra small operations. The choice depends on k
    only, never on the number of members, so a member computes the same numbers whatever
    batch it is trained in. ``per_step`` forces one way.
    """
    R, B, T = obs.shape
    ids = torch.arange(model.head_w.shape[1], device=obs.device)[:, None]  # (m, 1)
    if per_step is None:
        per_step = model.hidden_size >= 8
    if not per_step:
        logp = torch.log_softmax(model.state_logits(obs), dim=1)  # (R, m, TB)
        target = states.transpose(1, 2).reshape(R, 1, T * B)
        # pick log p(state) with a comparison mask: faster than gather along dim 1 on a CPU
        return -torch.where(target == ids, logp, 0.0).sum(1).reshape(R, T, B)
    out = []
    for t, h in enumerate(model.hidden_steps(obs)):
        logits = torch.baddbmm(model.head_b[:, :, None], model.head_w, h.transpose(1, 2))
        if model.padded:
            logits = logits.masked_fill(model.pad_mask[:, :, None], float("-inf"))
        logp = torch.log_softmax(logits, dim=1)  # (R, m, B)
        out.append(-torch.where(states[:, None, :, t] == ids, logp, 0.0).sum(1))  # (R, B)
    return torch.stack(out, dim=1)  # (R, T, B)


def selection_loss(model: BatchedStateRNN, obs: torch.Tensor, states: torch.Tensor,
                   mask: torch.Tensor, chunk: int = 512) -> torch.Tensor:
    """(R,) mean cross-entropy of each member on its own rows of obs/states (R, n, T)."""
    R, n, T = obs.shape
    total = torch.zeros(R, dtype=torch.float64, device=obs.device)
    with torch.no_grad():
        for s in range(0, n, chunk):
            ce = _cross_entropy(model, obs[:, s:s + chunk], states[:, s:s + chunk])  # (R, T, b)
            total += (ce.sum(1) * mask[:, s:s + chunk]).sum(-1).double()
    count = mask.sum(1).clamp(min=1).double() * T
    return total / count


def train_batched(model: BatchedStateRNN, data: list[MemberData], generators, *, steps: int,
                  batch_size: int, lr: float, final_lr_ratio: float = 0.05,
                  eval_every: int = 50, device=None, progress: bool = False,
                  desc: str = "training", threads: int | None = 1,
                  autograd: bool = False) -> BatchedFit:
    """Train every member of ``model`` on its own data; keep each member's best weights.

    Args:
        model: a :class:`BatchedStateRNN` with R members.
        data: R :class:`MemberData`; member r samples minibatches from ``data[r].obs``.
        generators: R torch.Generators (CPU) for each member's minibatch indices.
        steps: gradient steps (each member sees ``batch_size`` sequences per step, drawn
            uniformly with replacement from its own training rows).
        lr: Adam's learning rate, decayed along a cosine to ``lr * final_lr_ratio``.
        eval_every: evaluate every member's selection loss every this many steps; a member's
            weights are kept whenever its selection loss improves (early stopping per member).

    Members with an empty selection set are selected on their training rows instead.
    ``threads``: torch intra-op threads during training (see :func:`torch_threads`).
    The one-layer tanh RNN gets its gradients from :mod:`probrnn.tanh_bptt` (the same numbers
    up to rounding, several times faster); ``autograd=True`` uses torch's autograd instead, as
    every other cell does.
    """
    with torch_threads(threads):
        return _train(model, data, generators, steps, batch_size, lr, final_lr_ratio,
                      eval_every, device, progress, desc, autograd)


def _train(model, data, generators, steps, batch_size, lr, final_lr_ratio, eval_every, device,
           progress, desc, autograd) -> BatchedFit:
    device = torch.device(device) if device is not None else model.head_w.device
    model = model.to(device)
    R, T = model.n_members, data[0].obs.shape[1]
    obs, _ = _pad([d.obs for d in data], T)
    states, _ = _pad([d.states for d in data], T)
    sizes = torch.tensor([d.obs.shape[0] for d in data])
    sel = [(d.obs, d.states) if d.val_obs.shape[0] == 0 else (d.val_obs, d.val_states)
           for d in data]  # selection rows: held-out split, else the training rows
    sel_obs, sel_mask = _pad([o for o, _ in sel], T)
    sel_states, _ = _pad([s for _, s in sel], T)
    obs, states = obs.to(device), states.to(device)
    # all members' rows in one (R * n_max, T) table; member r's rows start at r * n_max
    obs_rows, states_rows = obs.reshape(-1, T), states.reshape(-1, T)
    row_offset = (torch.arange(R) * obs.shape[1])[None, :, None]  # (1, R, 1)
    sel_obs, sel_states, sel_mask = sel_obs.to(device), sel_states.to(device), sel_mask.to(device)

    params = [*model.rec, model.head_w, model.head_b]  # tanh_rnn_loss_and_grads's order
    opt = _Adam(params)
    hand_written = model.cell == "rnn" and model.num_layers == 1 and not autograd
    pad_mask = model.pad_mask if model.padded else None
    workspace = {}  # its buffers, reused at every step
    best = [p.detach().clone() for p in params]
    best_val = torch.full((R,), float("inf"), dtype=torch.float64, device=device)
    best_step = np.zeros(R, dtype=np.int64)
    hist_steps, hist_train, hist_val = [], [], []
    running = torch.zeros(R, dtype=torch.float64, device=device)
    n_run = 0
    chunk = 64
    idx_chunk = None
    bar = _progress(steps, desc) if progress else None
    start = time.perf_counter()

    def evaluate(step):
        nonlocal n_run
        val = selection_loss(model, sel_obs, sel_states, sel_mask)
        better = val < best_val
        if better.any():
            with torch.no_grad():
                for b, p in zip(best, params, strict=True):
                    b[better] = p.detach()[better]
            best_val[better] = val[better]
            best_step[better.cpu().numpy()] = step
        hist_steps.append(step)
        hist_train.append((running / max(n_run, 1)).cpu().numpy())
        hist_val.append(val.cpu().numpy())
        running.zero_()
        n_run = 0

    for step in range(steps):
        if step % chunk == 0:
            idx_chunk = torch.stack([
                torch.floor(torch.rand((chunk, batch_size), generator=g, dtype=torch.float64)
                            * int(sizes[r])).long()
                for r, g in enumerate(generators)
            ], dim=1)  # (chunk, R, B): row indices within each member's data
            idx_chunk = (idx_chunk + row_offset).to(device)  # rows of the flattened data
        rows = idx_chunk[step % chunk].reshape(-1)  # (R B,)
        x = obs_rows.index_select(0, rows).reshape(R, batch_size, T)  # (R, B, T)
        y = states_rows.index_select(0, rows).reshape(R, batch_size, T)
        cosine = 0.5 * (1 + math.cos(math.pi * step / max(steps - 1, 1)))
        if hand_written:  # the tanh RNN's gradient written out (same numbers, fewer steps)
            loss_r, grads = tanh_rnn_loss_and_grads(*[p.detach() for p in params], x, y,
                                                    pad_mask, workspace)
            for p, g in zip(params, grads, strict=True):
                p.grad = g
        else:
            loss_r = _cross_entropy(model, x, y).mean(dim=(1, 2))  # (R,)
            for p in params:
                p.grad = None
            loss_r.sum().backward()
        opt.step(lr * (final_lr_ratio + (1 - final_lr_ratio) * cosine))
        running += loss_r.detach().double()
        n_run += 1
        if (step + 1) % eval_every == 0 or step + 1 == steps:
            evaluate(step + 1)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    with torch.no_grad():
        for b, p in zip(best, params, strict=True):
            p.copy_(b)
    return BatchedFit(
        model=model.eval(), steps=np.array(hist_steps), train_loss=np.array(hist_train),
        val_loss=np.array(hist_val), best_val=best_val.cpu().numpy(), best_step=best_step,
        seconds=time.perf_counter() - start,
        settings=dict(steps=steps, batch_size=batch_size, lr=lr, final_lr_ratio=final_lr_ratio,
                      eval_every=eval_every),
    )


class _Adam:
    """Adam (Kingma & Ba; torch.optim.Adam's defaults: betas 0.9, 0.999, eps 1e-8), element by
    element, so batched members stay independent. Written out because torch.optim imports
    torch._dynamo on its first step, which costs over a second in every fresh process."""

    def __init__(self, params, betas=(0.9, 0.999), eps=1e-8):
        self.params = list(params)
        self.b1, self.b2, self.eps = betas[0], betas[1], eps
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.t = 0

    @torch.no_grad()
    def step(self, lr: float) -> None:
        self.t += 1
        c1, c2 = 1 - self.b1 ** self.t, 1 - self.b2 ** self.t
        live = [i for i, p in enumerate(self.params) if p.grad is not None]
        params = [self.params[i] for i in live]
        grads = [p.grad for p in params]
        m, v = [self.m[i] for i in live], [self.v[i] for i in live]
        # one fused call per line for all tensors (torch._foreach_*: same arithmetic as a loop)
        torch._foreach_mul_(m, self.b1)
        torch._foreach_add_(m, grads, alpha=1 - self.b1)
        torch._foreach_mul_(v, self.b2)
        torch._foreach_addcmul_(v, grads, grads, value=1 - self.b2)
        denom = torch._foreach_div(v, c2)
        torch._foreach_sqrt_(denom)
        torch._foreach_add_(denom, self.eps)
        torch._foreach_addcdiv_(params, m, denom, value=-lr / c1)


def _progress(total: int, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, file=sys.stderr, leave=False, mininterval=0.5)
