"""The losses the book's RNNs are trained on, per step and per member.

* **cross-entropy** of a discrete target: for a state RNN (chapter 3) the target at step t is
  the hidden state H_t and the input x_1..t; for a next-symbol RNN (chapter 2) the input is
  x_1..t and the target x_{t+1}; for a binned-posterior RNN (the continuous-state chapter) the
  target is the bin of the true state. The loss of member r is
  -(1 / (B T)) sum log softmax(C h_t + c)[target_t].
* **squared error** of a real target (the linear RNN of the continuous-state chapter, whose
  target is the true state x_t): (1 / (B T)) sum 1/2 ||C h_t + c - x_t||^2.

Both are computed here through autograd (any cell); :mod:`probrnn.training.tanh_bptt` computes
the cross-entropy and its gradient by hand for the one-layer tanh RNN on symbols.
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
    R, B, T = obs.shape[:3]
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


def squared_error(model: BatchedRNN, obs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """obs (R, B, T[, d]), targets (R, B, T, p) real -> per-step 1/2 ||C h_t + c - x_t||^2,
    time-major (R, T, B)."""
    R, B, T = obs.shape[:3]
    out = model.state_logits(obs).reshape(R, -1, T, B)  # (R, p, T, B)
    err = out - targets.permute(0, 3, 2, 1).to(out.dtype)
    return 0.5 * (err * err).sum(1)  # (R, T, B)


def per_step_loss(model: BatchedRNN, obs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The model's own loss (``model.loss``) per step, time-major (R, T, B)."""
    if model.loss == "squared_error":
        return squared_error(model, obs, targets)
    return cross_entropy(model, obs, targets)


def held_out_loss(model: BatchedRNN, obs: torch.Tensor, targets: torch.Tensor,
                  mask: torch.Tensor, chunk: int = 512) -> torch.Tensor:
    """(R,) mean loss of each member on its own rows of obs/targets (R, n, T[, d]); ``mask``
    (R, n) marks each member's real rows (the others are padding)."""
    R, n, T = obs.shape[:3]
    total = torch.zeros(R, dtype=torch.float64, device=obs.device)
    with torch.no_grad():
        for s in range(0, n, chunk):
            ce = per_step_loss(model, obs[:, s:s + chunk], targets[:, s:s + chunk])  # (R, T, b)
            total += (ce.sum(1) * mask[:, s:s + chunk]).sum(-1).double()
    count = mask.sum(1).clamp(min=1).double() * T
    return total / count
