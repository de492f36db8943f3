"""Many small RNNs as one batched model: what the trainer (:mod:`probrnn.training`) trains.

A sweep (Figure 5: k x n x HMM draws, each with several random restarts) trains dozens of tiny
networks; one at a time, a k = 1 RNN spends nearly all its time in Python and kernel-launch
overhead. Here R independent networks are stacked along a leading "member" axis, every weight
gets shape (R, ...), and one step of one optimiser updates them all with batched matrix
products (``torch.bmm``). A member is a :class:`probrnn.rnn.cells.ReadoutRNN`: a state RNN
(n_out = m, chapter 3) or a next-symbol RNN (n_out = K, chapter 2).

The members never interact: the loss is a sum of per-member losses, so each member's gradient
is its own, and Adam acts element by element. Each member draws its initial weights and its
minibatches from its own ``torch.Generator``, so what a member learns does not depend on which
other members share the batch (up to floating-point rounding in the batched products).

The cell equations are torch's (``nn.RNN``/``nn.GRU``/``nn.LSTM``, same gate order), so a
member exports exactly to a standalone network (:meth:`BatchedRNN.member_weights`).
"""

from __future__ import annotations

import torch
from torch import nn

from .cells import GATES, init_weights, parameter_shapes


class BatchedRNN(nn.Module):
    """R independent read-out RNNs (same K, k, cell, layers) as one module.

    Member r has ``n_out[r]`` logits (m states or K next symbols); logits are padded to
    m_max = max(n_out) and the padding is masked with -inf, so it gets probability zero and no
    gradient.

    Args:
        n_symbols: K.
        n_out: sequence of R ints, each member's number of logits.
        hidden_size: k.
        cell: "rnn", "gru" or "lstm".
        num_layers: stacked layers.
        generators: R torch.Generators (CPU); each member draws its initial weights from its own.
    """

    def __init__(self, n_symbols: int, n_out, hidden_size: int, cell: str, num_layers: int,
                 generators, dtype=torch.float32, real_inputs: bool = False,
                 loss: str = "cross_entropy", bidirectional: bool = False):
        super().__init__()
        self.real_inputs, self.loss = bool(real_inputs), loss
        self.bidirectional = bool(bidirectional)
        if self.bidirectional and num_layers != 1:
            raise ValueError("a batched bidirectional RNN has one layer (num_layers=1)")
        self.n_symbols, self.hidden_size, self.cell = n_symbols, hidden_size, cell
        self.num_layers = num_layers
        self.n_out = [int(m) for m in n_out]
        R, m_max, k = len(self.n_out), max(self.n_out), hidden_size
        inits = [init_weights(g, parameter_shapes(n_symbols, m, k, cell, num_layers,
                                                  self.bidirectional), k, dtype)
                 for g, m in zip(generators, self.n_out, strict=True)]
        n_rec = 4 * num_layers * (2 if self.bidirectional else 1)
        self.rec = nn.ParameterList(
            [nn.Parameter(torch.stack([init[i] for init in inits])) for i in range(n_rec)]
        )
        head_w = torch.zeros(R, m_max, inits[0][n_rec].shape[1], dtype=dtype)
        head_b = torch.zeros(R, m_max, dtype=dtype)
        for r, init in enumerate(inits):
            head_w[r, : self.n_out[r]] = init[n_rec]
            head_b[r, : self.n_out[r]] = init[n_rec + 1]
        self.head_w, self.head_b = nn.Parameter(head_w), nn.Parameter(head_b)
        pad = torch.arange(m_max)[None, :] >= torch.tensor(self.n_out)[:, None]  # (R, m_max)
        self.register_buffer("pad_mask", pad)
        self.padded = bool(pad.any())

    @property
    def n_members(self) -> int:
        return len(self.n_out)

    def parameters_in_order(self) -> list[nn.Parameter]:
        """The recurrent weights then the read-out, each with a leading member axis (R, ...),
        in the order of :func:`probrnn.rnn.cells.parameter_shapes`."""
        return [*self.rec, self.head_w, self.head_b]

    def hidden_steps(self, obs: torch.Tensor) -> list[torch.Tensor]:
        """obs (R, B, T) int64 (or (R, B, T, d) real) -> the last layer's hidden states, a list
        of T (R, B, k) ((R, B, 2k) for a bidirectional RNN: forward units, then backward).

        Inputs are arranged time-major (row t * B + b), so each step's slice is contiguous.
        """
        R, B, T = obs.shape[:3]
        if self.real_inputs:
            x = obs.transpose(1, 2).reshape(R, T * B, -1).to(self.head_w.dtype)  # (R, TB, d)
        else:  # one-hot by comparison (faster on a CPU than one_hot's scatter)
            symbols = torch.arange(self.n_symbols, device=obs.device)
            x = (obs.transpose(1, 2).reshape(R, T * B, 1) == symbols).to(self.head_w.dtype)
        if self.bidirectional:
            fwd = self._layer(x, self.rec[0:4], R, B, T, reverse=False)
            bwd = self._layer(x, self.rec[4:8], R, B, T, reverse=True)
            return [torch.cat([f, b], dim=-1) for f, b in zip(fwd, bwd, strict=True)]
        for layer in range(self.num_layers):
            outs = self._layer(x, self.rec[4 * layer: 4 * layer + 4], R, B, T)
            if layer + 1 == self.num_layers:
                return outs
            x = torch.stack(outs, dim=1).reshape(R, T * B, -1)  # (R, TB, k)
        raise AssertionError("unreachable")

    def _layer(self, x, weights, R: int, B: int, T: int, reverse: bool = False) -> list:
        """One recurrent layer over time-major inputs x (R, TB, in): a list of T (R, B, k),
        in time order (computed from the last step back when ``reverse``)."""
        k, G = self.hidden_size, GATES[self.cell]
        fold = self.cell != "gru"  # rnn, lstm: b_hh adds to b_ih (GRU's b_hn sits inside r *)
        w_ih, w_hh, b_ih, b_hh = weights
        bias = b_ih + b_hh if fold else b_ih
        gi = torch.baddbmm(bias[:, None, :], x, w_ih.transpose(1, 2))  # (R, TB, Gk)
        # unbind, not gi[:, t]: the backward of T slices would zero-fill T full copies
        gis = gi.reshape(R, T, B, G * k).unbind(dim=1)  # T x (R, B, Gk)
        w_hh_t = w_hh.transpose(1, 2)  # (R, k, Gk)
        h = c = None  # h_0 = c_0 = 0
        outs = []
        for t in (range(T - 1, -1, -1) if reverse else range(T)):
            if fold:  # pre-activation W x + U h + b, with U h_0 = 0 skipped
                pre = gis[t] if h is None else _matmul_add(gis[t], h, w_hh_t)
                h, c = _cell_step(self.cell, pre, None, h, c, k)
            else:
                gh = (b_hh[:, None, :].expand_as(gis[t]) if h is None
                      else _matmul_add(b_hh[:, None, :], h, w_hh_t))  # (R, B, Gk)
                h, c = _cell_step(self.cell, gis[t], gh, h, c, k)
            outs.append(h)
        return outs[::-1] if reverse else outs

    def hidden_time_major(self, obs: torch.Tensor) -> torch.Tensor:
        """obs (R, B, T[, d]) -> last layer's hidden states, time-major (R, T * B, k)."""
        R, B, T = obs.shape[:3]
        return torch.stack(self.hidden_steps(obs), dim=1).reshape(R, T * B, -1)

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
        """obs (R, B, T[, d]) -> logits (R, B, T, m_max), padding states set to -inf."""
        R, B, T = obs.shape[:3]
        return self.state_logits(obs).reshape(R, -1, T, B).permute(0, 3, 2, 1)

    def take(self, keep) -> BatchedRNN:
        """A new batched model holding copies of the members ``keep`` (indices), in that order."""
        keep = torch.as_tensor(keep, dtype=torch.long, device=self.head_w.device)
        new = BatchedRNN.__new__(BatchedRNN)
        nn.Module.__init__(new)
        new.real_inputs, new.loss = self.real_inputs, self.loss
        new.bidirectional = self.bidirectional
        new.n_symbols, new.hidden_size, new.cell = self.n_symbols, self.hidden_size, self.cell
        new.num_layers = self.num_layers
        new.n_out = [self.n_out[i] for i in keep.tolist()]
        new.rec = nn.ParameterList([nn.Parameter(p.detach()[keep].clone()) for p in self.rec])
        new.head_w = nn.Parameter(self.head_w.detach()[keep].clone())
        new.head_b = nn.Parameter(self.head_b.detach()[keep].clone())
        new.register_buffer("pad_mask", self.pad_mask[keep])
        new.padded = bool(new.pad_mask.any())
        return new

    def member_weights(self, r: int) -> list[torch.Tensor]:
        """Member r's weights (detached, on the CPU) in the order of
        :func:`probrnn.rnn.cells.parameter_shapes`, ready for
        :meth:`probrnn.rnn.cells.ReadoutRNN.set_weights`."""
        m = self.n_out[r]
        rec = [p[r].detach().cpu() for p in self.rec]
        return rec + [self.head_w[r, :m].detach().cpu(), self.head_b[r, :m].detach().cpu()]


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
    if cell == "linear":
        return gi, c
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
