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

All of it is batched over R independent members (a leading axis), so the gradient of the sum
of the members' losses is each member's own gradient. ``tests/test_tanh_bptt.py`` checks it
against autograd through :class:`probrnn.batched.BatchedStateRNN`, and training with it against
training with autograd.
"""

from __future__ import annotations

import numpy as np
import torch


def tanh_rnn_loss_and_grads(w_ih, w_hh, b_ih, b_hh, head_w, head_b, obs, states, pad_mask=None,
                            workspace: dict | None = None):
    """Per-member mean cross-entropy of R tanh RNNs and its gradient, without autograd.

    Args:
        w_ih (R, k, K), w_hh (R, k, k), b_ih (R, k), b_hh (R, k): the recurrent layer.
        head_w (R, m, k), head_b (R, m): the read-out to m state logits.
        obs (R, B, T) int64 symbols in [0, K); states (R, B, T) int64 states in [0, m).
        pad_mask (R, m) bool or None: logits to drop (a member with fewer states than m).
        workspace: a dict to keep the large (T, R, B, k) buffers in between calls (pass the
            same dict at every training step). Writing into memory that is already mapped
            is about 3x faster on a CPU than into a fresh allocation of a few megabytes.

    Returns:
        loss (R,): each member's mean of -log p(s_t | x_1..t) over its B * T positions;
        grads: the gradients of ``loss.sum()`` for (w_ih, w_hh, b_ih, b_hh, head_w, head_b),
        with their shapes.
    """
    R, B, T = obs.shape
    k, K = w_ih.shape[1], w_ih.shape[2]
    m = head_w.shape[1]
    N = T * B
    ws = {} if workspace is None else workspace

    def buffer(name):
        buf = ws.get(name)
        if buf is None or buf.shape != (T, R, B, k) or buf.dtype != w_hh.dtype \
                or buf.device != w_hh.device:
            buf = ws[name] = torch.empty(T, R, B, k, dtype=w_hh.dtype, device=w_hh.device)
        return buf

    # Layout (T, R, B, k): a step's states of all members are one contiguous block, so each
    # step is a single batched product (a strided block would be split into R products).
    rows = obs.permute(2, 0, 1) + K * torch.arange(R, device=obs.device)[:, None]  # (T, R, B)
    rows = rows.reshape(-1)  # rows of the (R K, k) input table
    table = (w_ih.transpose(1, 2) + (b_ih + b_hh)[:, None, :]).reshape(R * K, k)
    H = buffer("H")  # pre-activations G, overwritten with the hidden states
    torch.index_select(table, 0, rows, out=H.view(T * R * B, k))
    _tanh_(H[0])
    scalar = k == 1  # a (B, 1) @ (1, 1) product: an elementwise multiply is much cheaper
    u_t = w_hh.transpose(1, 2)
    for t in range(1, T):
        if scalar:
            H[t].addcmul_(H[t - 1], u_t)
        else:
            H[t].baddbmm_(H[t - 1], u_t)
        _tanh_(H[t])

    # read-out for all (t, r) blocks at once: logits (T, R, m, B), states before positions so
    # that the softmax over m is vectorised along B
    if scalar:  # k = 1: the read-out is an outer product
        logits = torch.addcmul(head_b.view(1, R, m, 1), head_w.view(1, R, m, 1),
                               H.view(T, R, 1, B))
    else:
        head_rep = head_w[None].expand(T, R, m, k).reshape(T * R, m, k)
        logits = torch.baddbmm(head_b.repeat(T, 1)[:, :, None], head_rep,
                               H.view(T * R, B, k).transpose(1, 2)).view(T, R, m, B)
    if pad_mask is not None:
        logits.masked_fill_(pad_mask[None, :, :, None], float("-inf"))
    logp = torch.log_softmax(logits, dim=2)
    target = states.permute(2, 0, 1).unsqueeze(2)  # (T, R, 1, B) state indices
    picked = logp.gather(2, target)  # log p(s_t | x_1..t)
    loss = -picked.sum(dim=(0, 2, 3)) / N  # (R,)

    # dZ = (softmax - onehot(s)) / N; padded entries have probability 0
    dZ = logp.exp_().scatter_(2, target, picked.exp_().sub_(1.0)).div_(N)  # (T, R, m, B)
    D = buffer("D")  # dH from the read-out, then the gradients D_t of the pre-activations
    if scalar:
        g_head_w = (dZ * H.view(T, R, 1, B)).sum(dim=(0, 3)).view(R, m, 1)
        torch.sum(dZ * head_w.view(1, R, m, 1), dim=2, out=D.view(T, R, B))
    else:
        dZ_blocks = dZ.view(T * R, m, B)
        g_head_w = torch.bmm(dZ_blocks, H.view(T * R, B, k)).view(T, R, m, k).sum(0)
        torch.bmm(dZ_blocks.transpose(1, 2), head_rep, out=D.view(T * R, B, k))
    g_head_b = dZ.sum(dim=(0, 3))
    H2 = torch.mul(H, H, out=buffer("H2"))
    D[T - 1].addcmul_(D[T - 1], H2[T - 1], value=-1.0)  # * (1 - h^2)
    for t in range(T - 1, 0, -1):  # D_{t-1} = (dH_{t-1} + D_t U) * (1 - H_{t-1}^2)
        if scalar:
            D[t - 1].addcmul_(D[t], w_hh)
        else:
            D[t - 1].baddbmm_(D[t], w_hh)
        D[t - 1].addcmul_(D[t - 1], H2[t - 1], value=-1.0)

    if scalar:
        g_w_hh = (D[1:] * H[:-1]).sum(dim=(0, 2)).view(R, 1, 1)
    else:
        g_w_hh = torch.zeros_like(w_hh)
        for t in range(1, T):  # sum_t D_t^T H_{t-1}
            g_w_hh.baddbmm_(D[t].transpose(1, 2), H[t - 1])
    g_table = torch.zeros(R * K, k, dtype=H.dtype, device=H.device)
    g_table.index_add_(0, rows, D.view(T * R * B, k))
    g_table = g_table.view(R, K, k)
    g_w_ih = g_table.transpose(1, 2).contiguous()
    g_b = g_table.sum(1)
    return loss, [g_w_ih, g_w_hh, g_b, g_b.clone(), g_head_w, g_head_b]


def _tanh_(x: torch.Tensor) -> None:
    """tanh in place. On a CPU through numpy's vectorised tanh: torch 2.13's CPU tanh runs at
    about 2.5 ns per float32, numpy's at 0.4 (measured here), and the forward pass calls it
    on every hidden state. Elsewhere (a GPU), torch's own."""
    if x.device.type == "cpu" and not x.requires_grad:
        a = x.numpy()
        np.tanh(a, out=a)
    else:
        x.tanh_()
