"""Adam for R networks at once, each with its own learning rate.

Adam (Kingma & Ba, 2015) with torch.optim.Adam's defaults (betas 0.9 and 0.999, eps 1e-8),
element by element, so the members of a batched model stay independent; the learning rate is a
vector with one entry per member (the leading axis of every parameter). Written out because
torch.optim imports torch._dynamo on its first step, which costs over a second in every fresh
process, and because it has no per-member learning rate.
"""

from __future__ import annotations

import torch


class BatchedAdam:
    """Adam over a list of tensors whose leading axis is the member (R, ...).

    ``step(lr)`` takes ``lr`` (R,) and uses each tensor's ``.grad``. :meth:`take` keeps only
    some members (when the others have stopped training).
    """

    def __init__(self, params, betas=(0.9, 0.999), eps=1e-8):
        self.params = list(params)
        self.b1, self.b2, self.eps = betas[0], betas[1], eps
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.t = 0

    @torch.no_grad()
    def step(self, lr: torch.Tensor) -> None:
        self.t += 1
        c1, c2 = 1 - self.b1 ** self.t, 1 - self.b2 ** self.t
        grads = [p.grad for p in self.params]
        # one fused call per line for all tensors (torch._foreach_*: same arithmetic as a loop)
        torch._foreach_mul_(self.m, self.b1)
        torch._foreach_add_(self.m, grads, alpha=1 - self.b1)
        torch._foreach_mul_(self.v, self.b2)
        torch._foreach_addcmul_(self.v, grads, grads, value=1 - self.b2)
        denom = torch._foreach_div(self.v, c2)
        torch._foreach_sqrt_(denom)
        torch._foreach_add_(denom, self.eps)
        update = torch._foreach_div(self.m, denom)
        for p, u in zip(self.params, update, strict=True):
            scale = (lr / c1).to(p.dtype).view(-1, *([1] * (p.dim() - 1)))  # (R, 1, ...)
            p.addcmul_(u, scale, value=-1.0)

    def take(self, keep: torch.Tensor, params) -> BatchedAdam:
        """The optimiser of the members ``keep`` (indices), for their new tensors ``params``."""
        new = BatchedAdam.__new__(BatchedAdam)
        new.params = list(params)
        new.b1, new.b2, new.eps, new.t = self.b1, self.b2, self.eps, self.t
        new.m = [m[keep].clone() for m in self.m]
        new.v = [v[keep].clone() for v in self.v]
        return new
