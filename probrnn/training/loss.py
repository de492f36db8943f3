"""The loss every RNN of the book is trained on: the mean cross-entropy of a target per step.

For a state RNN (chapter 3) the target at step t is the hidden state H_t and the input is
x_1..t; for a next-symbol RNN (chapter 2) the input is x_1..t and the target x_{t+1}. Either way
the loss of member r is -(1 / (B T)) sum log softmax(C h_t + c)[target_t], computed here through
autograd (any cell); :mod:`probrnn.training.tanh_bptt` computes the same numbers and their
gradient by hand for the one-layer tanh RNN.
"""

from __future__ import annotations

import torch

from ..rnn.batched import BatchedRNN


def cross_entropy(model: BatchedRNN, obs: torch.Tensor, targets: torch.Tensor,
                  per_step: bool | None = None):
    """obs, targets (R, B, T) -> per-step cross-entropy -log p(targets | obs), time-major
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
        target = targets.transpose(1, 2).reshape(R, 1, T * B)
        # pick log p(state) with a comparison mask: faster than gather along dim 1 on a CPU
        return -torch.where(target == ids, logp, 0.0).sum(1).reshape(R, T, B)
    out = []
    for t, h in enumerate(model.hidden_steps(obs)):
        logits = torch.baddbmm(model.head_b[:, :, None], model.head_w, h.transpose(1, 2))
        if model.padded:
            logits = logits.masked_fill(model.pad_mask[:, :, None], float("-inf"))
        logp = torch.log_softmax(logits, dim=1)  # (R, m, B)
        out.append(-torch.where(targets[:, None, :, t] == ids, logp, 0.0).sum(1))  # (R, B)
    return torch.stack(out, dim=1)  # (R, T, B)


def held_out_loss(model: BatchedRNN, obs: torch.Tensor, targets: torch.Tensor,
                  mask: torch.Tensor, chunk: int = 512) -> torch.Tensor:
    """(R,) mean cross-entropy of each member on its own rows of obs/targets (R, n, T); ``mask``
    (R, n) marks each member's real rows (the others are padding)."""
    R, n, T = obs.shape
    total = torch.zeros(R, dtype=torch.float64, device=obs.device)
    with torch.no_grad():
        for s in range(0, n, chunk):
            ce = cross_entropy(model, obs[:, s:s + chunk], targets[:, s:s + chunk])  # (R, T, b)
            total += (ce.sum(1) * mask[:, s:s + chunk]).sum(-1).double()
    count = mask.sum(1).clamp(min=1).double() * T
    return total / count
