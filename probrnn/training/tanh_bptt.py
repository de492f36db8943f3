"""Hand-written backpropagation through time for R tanh RNNs at once (the paper's RNN).

Chapter *RNNs as approximations of the forward algorithm*. Training the state-predicting tanh
RNN h_t = tanh(W x_t + U h_{t-1} + b), p(s_t | x_1..t) = softmax(V h_t + c), through autograd
records about a dozen small operations per time step, each with its own bookkeeping and
temporary tensors. Written out, a step is one batched matrix product and one tanh forward, and
one product and one multiply backward, all in place in three buffers that are reused from one
training step to the next:

    forward    H_t = tanh(G_t + H_{t-1} U^T),    G_t = (W + b)[x_t] (x is one-hot: a lookup)
    read-out   Z = H V^T + c,  loss = mean over positions of  -log softmax(Z)[s]
    backward   dZ = (softmax(Z) - onehot(s)) / (B T)
               dH = dZ V  (from the read-out)  +  D_{t+1} U  (from the next step)
               D_t = dH_t * (1 - H_t^2)                       (through tanh)
               dU = sum_t D_t^T H_{t-1},  dV = dZ^T H,  dW[:, j] = sum of D_t where x_t = j

The first steps are cheaper still. The state after t symbols is a deterministic function of
those symbols (the paper's point that the RNN's transitions are deterministic), so sequences
that share a prefix share its states. With K symbols there are only K^t prefixes of length t:
while that is at most half the batch, the state of every prefix is computed once (a tree:
prefix c = parent * K + x) and the sequences look theirs up; backward, the sequences'
gradients are summed per prefix and sent down the tree. With K = 3 and a batch of 256 this
covers the first four of eight steps, and removes 12 of the 21 large matrix products of a
training step (measured: 1.7x faster for k = 100). The large products themselves go through
numpy's BLAS on a CPU (:func:`_bmm`), faster there than torch's.

All of it is batched over R independent members (a leading axis), so the gradient of the sum
of the members' losses is each member's own gradient. ``tests/test_tanh_bptt.py`` checks it
against autograd through :class:`probrnn.rnn.batched.BatchedRNN`, and training with it against
training with autograd. The pieces, in the order a training step runs them:

1. :func:`_forward_prefixes`: the first P steps, once per prefix;
2. :func:`_forward_sequences`: the remaining steps, once per sequence;
3. :func:`_loss_and_output_gradient`: the read-out's loss and dZ;
4. :func:`_backward_sequences`: back through the per-sequence steps;
5. :func:`_backward_prefixes`: back through the per-prefix steps, down the tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch


def prefix_levels(n_symbols: int, batch_size: int, T: int) -> int:
    """How many first steps to compute once per possible prefix rather than per sequence.

    The state after t + 1 symbols depends only on those symbols, and there are K^(t+1) of
    them: while that is at most half the batch, computing every prefix's state once is cheaper
    than computing every sequence's.
    """
    levels = 0
    while levels < T and n_symbols ** (levels + 1) <= batch_size // 2:
        levels += 1
    return levels


@dataclass
class _Step:
    """What the forward pass keeps for the backward pass (R members, B sequences, T steps,
    k units, m outputs, the first P steps per prefix)."""

    R: int
    B: int
    T: int
    K: int
    k: int
    m: int
    P: int
    table: torch.Tensor  # (R, K, k): W x + b for each symbol x
    u_t: torch.Tensor  # (R, k, k): U transposed
    logits: torch.Tensor  # (T, R, m, B)
    Hp: list = field(default_factory=list)  # per prefix step t < P: (R, K^(t+1), k)
    codes: list = field(default_factory=list)  # per prefix step: (R, B) each sequence's prefix
    H: torch.Tensor | None = None  # (T - P, R, B, k) the per-sequence states
    rows: torch.Tensor | None = None  # (T - P) R B rows of the (R K, k) table, one per state
    head_rep: torch.Tensor | None = None  # the read-out repeated per step (k > 1)
    products: torch.dtype | None = None  # the k x k products' precision (None: the weights')

    @property
    def scalar(self) -> bool:
        """k = 1: every (n, 1) @ (1, 1) product is an elementwise multiply, much cheaper."""
        return self.k == 1

    def mm(self, a, b, add_to=None):  # a k x k product: in ``products`` precision if set
        if self.products is None:
            return _bmm(a, b, add_to=add_to)
        return _bmm_rounded(a, b, self.products, add_to=add_to)

    def times(self, a, w):  # a (R, n, k) @ w (R, k, k)
        return a * w if self.scalar else self.mm(a, w)

    def gram(self, a, b):  # a^T b summed over rows: (R, n, k), (R, n, k) -> (R, k, k)
        return (a * b).sum(1, keepdim=True) if self.scalar else self.mm(a.transpose(1, 2), b)


def tanh_rnn_loss_and_grads(w_ih, w_hh, b_ih, b_hh, head_w, head_b, obs, states, pad_mask=None,
                            workspace: dict | None = None, n_prefix: int | None = None,
                            products: torch.dtype | None = None):
    """Per-member mean cross-entropy of R tanh RNNs and its gradient, without autograd.

    Args:
        w_ih (R, k, K), w_hh (R, k, k), b_ih (R, k), b_hh (R, k): the recurrent layer.
        head_w (R, m, k), head_b (R, m): the read-out to m logits.
        obs (R, B, T) int64 symbols in [0, K); states (R, B, T) int64 targets in [0, m).
        pad_mask (R, m) bool or None: logits to drop (a member with fewer outputs than m).
        workspace: a dict to keep the large (T, R, B, k) buffers in between calls (pass the
            same dict at every training step). Writing into memory that is already mapped
            is about 3x faster on a CPU than into a fresh allocation of a few megabytes.
        n_prefix: the first ``n_prefix`` steps are computed per possible prefix (K, K^2, ...
            rows) instead of per sequence (B rows); default :func:`prefix_levels` for k > 1,
            0 for k = 1. The numbers are the same either way, up to rounding.
        products: None (the default) computes the k x k products in the weights' precision;
            ``torch.bfloat16`` rounds their two factors to bfloat16 (8 significant bits) and
            accumulates in float32 (:func:`_bmm_rounded`). Weights, states, the read-out and
            the gradients that are returned stay in the weights' precision.

    Returns:
        loss (R,): each member's mean of -log p(s_t | x_1..t) over its B * T positions;
        grads: the gradients of ``loss.sum()`` for (w_ih, w_hh, b_ih, b_hh, head_w, head_b),
        with their shapes.
    """
    R, B, T = obs.shape
    k, K = w_ih.shape[1], w_ih.shape[2]
    m = head_w.shape[1]
    if n_prefix is None:  # with k = 1 the products are cheap multiplies: nothing to save
        n_prefix = prefix_levels(K, B, T) if k > 1 else 0
    P = min(int(n_prefix), T)
    ws = {} if workspace is None else workspace
    dtype, device = w_hh.dtype, w_hh.device
    step = _Step(R, B, T, K, k, m, P,
                 table=w_ih.transpose(1, 2) + (b_ih + b_hh)[:, None, :],
                 u_t=w_hh.transpose(1, 2),
                 logits=torch.empty(T, R, m, B, dtype=dtype, device=device),
                 products=products)

    def buffer(name):
        buf = ws.get(name)
        if buf is None or buf.shape != (T - P, R, B, k) or buf.dtype != dtype \
                or buf.device != device:
            buf = ws[name] = torch.empty(T - P, R, B, k, dtype=dtype, device=device)
        return buf

    _forward_prefixes(step, obs, head_w, head_b)
    _forward_sequences(step, obs, head_w, head_b, buffer("H"))
    loss, dZ = _loss_and_output_gradient(step, states, pad_mask)
    g_w_hh = torch.zeros_like(w_hh)
    g_head_w = torch.zeros_like(head_w)
    g_table = torch.zeros(R * K, k, dtype=dtype, device=device)
    dHp_next = _backward_sequences(step, dZ, w_hh, head_w, g_w_hh, g_head_w, g_table,
                                   buffer("D"), buffer("H2"))
    g_table = g_table.view(R, K, k)
    _backward_prefixes(step, dZ, dHp_next, w_hh, head_w, g_w_hh, g_head_w, g_table)
    g_w_ih = g_table.transpose(1, 2).contiguous()
    g_b = g_table.sum(1)
    g_head_b = dZ.sum(dim=(0, 3))
    return loss, [g_w_ih, g_w_hh, g_b, g_b.clone(), g_head_w, g_head_b]


def _forward_prefixes(s: _Step, obs, head_w, head_b) -> None:
    """Steps t < P, once per prefix: prefix c = (x_0 .. x_t) has index c = parent * K + x_t,
    and its state is ``s.Hp[t][:, c]`` (R, K^(t+1), k); ``s.codes[t]`` (R, B) is each
    sequence's prefix index. Their logits go to ``s.logits[t]``."""
    R, K, k, m, B = s.R, s.K, s.k, s.m, s.B
    for t in range(s.P):
        if t == 0:
            pre, code = s.table.clone(), obs[:, :, 0]
        else:
            pre = (s.times(s.Hp[t - 1], s.u_t)[:, :, None, :] + s.table[:, None]).reshape(R, -1, k)
            code = s.codes[t - 1] * K + obs[:, :, t]
        _tanh_(pre)
        s.Hp.append(pre)
        s.codes.append(code)
        per_prefix = torch.baddbmm(head_b[:, :, None], head_w, pre.transpose(1, 2))
        torch.gather(per_prefix, 2, code[:, None, :].expand(R, m, B), out=s.logits[t])


def _forward_sequences(s: _Step, obs, head_w, head_b, H) -> None:
    """Steps t >= P, once per sequence, in the layout (T - P, R, B, k): a step's states of all
    members are one contiguous block, so each step is a single batched product. ``H`` first
    holds the pre-activations W x_t + b, then the hidden states."""
    R, B, T, K, k, m, P = s.R, s.B, s.T, s.K, s.k, s.m, s.P
    s.H = H
    rows = obs[:, :, P:].permute(2, 0, 1) + K * torch.arange(R, device=obs.device)[:, None]
    s.rows = rows.reshape(-1)  # rows of the (R K, k) table
    if P == T:
        return
    torch.index_select(s.table.reshape(R * K, k), 0, s.rows, out=H.view(-1, k))
    for j in range(T - P):  # j = t - P
        if j == 0 and P > 0:  # the previous state is a prefix's: gather its product
            prev = s.times(s.Hp[P - 1], s.u_t)
            H[0].add_(prev.gather(1, s.codes[P - 1][:, :, None].expand(R, B, k)))
        elif j > 0:
            if s.scalar:
                H[j].addcmul_(H[j - 1], s.u_t)
            else:
                s.mm(H[j - 1], s.u_t, add_to=H[j])
        _tanh_(H[j])
    if s.scalar:  # k = 1: the read-out is an outer product
        torch.addcmul(head_b.view(1, R, m, 1), head_w.view(1, R, m, 1),
                      H.view(T - P, R, 1, B), out=s.logits[P:])
    else:
        s.head_rep = head_w[None].expand(T - P, R, m, k).reshape(-1, m, k)
        torch.baddbmm(head_b.repeat(T - P, 1)[:, :, None], s.head_rep,
                      H.view(-1, B, k).transpose(1, 2), out=s.logits[P:].view(-1, m, B))


def _loss_and_output_gradient(s: _Step, states, pad_mask):
    """The loss (R,) and dZ = (softmax - onehot(s)) / (B T) for all steps (T, R, m, B);
    padded logits get probability 0 and gradient 0."""
    logits = s.logits
    if pad_mask is not None:
        logits.masked_fill_(pad_mask[None, :, :, None], float("-inf"))
    logp = torch.log_softmax(logits, dim=2)
    target = states.permute(2, 0, 1).unsqueeze(2)  # (T, R, 1, B) target indices
    picked = logp.gather(2, target)  # log p(s_t | x_1..t)
    N = s.T * s.B
    loss = -picked.sum(dim=(0, 2, 3)) / N  # (R,)
    dZ = logp.exp_().scatter_(2, target, picked.exp_().sub_(1.0)).div_(N)
    return loss, dZ


def _backward_sequences(s: _Step, dZ, w_hh, head_w, g_w_hh, g_head_w, g_table, D, H2):
    """Back through the per-sequence steps, D_j = (dH_j + D_{j+1} U) * (1 - H_j^2), adding
    into the gradients in place. Returns the gradient reaching the last prefix step from the
    first sequence step (None if there are no prefix steps)."""
    R, B, T, k, m, P, H = s.R, s.B, s.T, s.k, s.m, s.P, s.H
    if P == T:
        return None
    dZs = dZ[P:]  # D first holds dH from the read-out
    if s.scalar:
        g_head_w += (dZs * H.view(T - P, R, 1, B)).sum(dim=(0, 3)).view(R, m, 1)
        torch.sum(dZs * head_w.view(1, R, m, 1), dim=2, out=D.view(T - P, R, B))
    else:
        dZ_blocks = dZs.reshape(-1, m, B)
        g_head_w += torch.bmm(dZ_blocks, H.view(-1, B, k)).view(T - P, R, m, k).sum(0)
        torch.bmm(dZ_blocks.transpose(1, 2), s.head_rep, out=D.view(-1, B, k))
    torch.mul(H, H, out=H2)
    for j in range(T - P - 1, -1, -1):
        D[j].addcmul_(D[j], H2[j], value=-1.0)  # through tanh
        if j > 0:
            if s.scalar:
                D[j - 1].addcmul_(D[j], w_hh)
                g_w_hh += (D[j] * H[j - 1]).sum(1, keepdim=True)
            else:
                s.mm(D[j], w_hh, add_to=D[j - 1])
                s.mm(D[j].transpose(1, 2), H[j - 1], add_to=g_w_hh)
    g_table.index_add_(0, s.rows, D.view(-1, k))
    if P == 0:
        return None
    # the sequences' gradients at step P, summed per prefix of step P - 1
    D_agg = torch.zeros(R, s.Hp[P - 1].shape[1], k, dtype=D.dtype, device=D.device)
    D_agg.scatter_add_(1, s.codes[P - 1][:, :, None].expand(R, B, k), D[0])
    g_w_hh += s.gram(D_agg, s.Hp[P - 1])
    return s.times(D_agg, w_hh)


def _backward_prefixes(s: _Step, dZ, dHp_next, w_hh, head_w, g_w_hh, g_head_w, g_table):
    """Back through the per-prefix steps, from the longest prefixes to the first symbol: each
    prefix's read-out gradient is the sum over the sequences that share it, and a prefix's
    gradient goes to its parent (one symbol shorter)."""
    R, B, K, k, m = s.R, s.B, s.K, s.k, s.m
    for t in range(s.P - 1, -1, -1):
        Hp = s.Hp[t]
        dZp = torch.zeros(R, m, Hp.shape[1], dtype=Hp.dtype, device=Hp.device)
        dZp.scatter_add_(2, s.codes[t][:, None, :].expand(R, m, B), dZ[t])
        g_head_w += torch.bmm(dZp, Hp)
        dH = torch.bmm(dZp.transpose(1, 2), head_w)  # (R, n_t, k)
        if dHp_next is not None:
            dH += dHp_next
        Dp = dH.addcmul_(dH, Hp * Hp, value=-1.0)  # through tanh
        by_symbol = Dp.view(R, -1, K, k)  # (R, parents, x_t, k)
        g_table += by_symbol.sum(1)
        if t > 0:
            children = by_symbol.sum(2)  # (R, K^t, k): summed over the last symbol
            dHp_next = s.times(children, w_hh)
            g_w_hh += s.gram(children, s.Hp[t - 1])


def _tanh_(x: torch.Tensor) -> None:
    """tanh in place. On a CPU through numpy's vectorised tanh: torch 2.13's CPU tanh runs at
    about 2.5 ns per float32, numpy's at 0.4 (measured here), and the forward pass calls it
    on every hidden state. Elsewhere (a GPU), torch's own."""
    if x.device.type == "cpu" and x.dtype in (torch.float32, torch.float64) and not x.requires_grad:
        a = x.numpy()
        np.tanh(a, out=a)
    else:
        x.tanh_()


def _bmm_rounded(a: torch.Tensor, b: torch.Tensor, dtype: torch.dtype,
                 add_to: torch.Tensor | None = None) -> torch.Tensor:
    """(R, n, p) @ (R, p, q) with both factors rounded to ``dtype`` (bfloat16), the sums
    accumulated in float32 by the library's kernel, the product rounded to ``dtype`` (torch
    2.13 has no float32 output for bfloat16 products on a CPU) and returned in ``a``'s dtype
    (or added into ``add_to``).

    Why: on a CPU with bfloat16 instructions (AVX-512 BF16, as here) torch multiplies
    (256 x 1,000) by (1,000 x 1,000) in 1.04 ms against 3.96 for float32, and a training step
    at k = 1,000 takes 30 ms instead of 73 (k = 500: 8.7 against 19.7; k = 200: 3.0 against
    4.2; no gain at k = 100). Rounding each factor to 8 significant bits perturbs every
    product by about 0.4% of its size: noise well below the minibatch noise of the gradient.
    The effect on the book's results is measured against float32 training in the README
    (*Training in bfloat16*) and by ``benchmarks/check_convergence.py --fp32``.
    """
    prod = torch.bmm(a.to(dtype), b.to(dtype)).to(a.dtype)
    return prod if add_to is None else add_to.add_(prod)


def _bmm(a: torch.Tensor, b: torch.Tensor, add_to: torch.Tensor | None = None) -> torch.Tensor:
    """(R, n, p) @ (R, p, q) -> (R, n, q), added into ``add_to`` in place if given.

    The k x k products of a step (H U^T forward; D U and the gradient D^T H backward) are nearly
    all of its time. On a CPU they go through numpy's BLAS (OpenBLAS), 1.04-1.13x faster than
    torch 2.13's ``baddbmm_`` for k = 100 to 1,000 (5-9% slower at k = 50), and a training step
    at k = 1000 takes 81-82 ms instead of 88-92 (one thread; ``benchmarks/bench_products.py``).
    The thread count of that BLAS is fixed while training (:func:`probrnn.threads.blas_threads`).
    Elsewhere (a GPU), torch's own.
    """
    if a.device.type == "cpu" and a.dtype in (torch.float32, torch.float64):
        prod = torch.from_numpy(np.matmul(a.numpy(), b.numpy()))
    else:
        prod = torch.bmm(a, b)
    return prod if add_to is None else add_to.add_(prod)
