"""The one training rule of the book: every RNN, of every size, in every chapter, is trained by it.

A comparison of an RNN with the forward algorithm or a particle filter says something about RNNs
only if each network was trained as well as its size allows. So every network is trained

* with Adam on minibatches of ``batch_size`` sequences drawn with replacement from its own
  training split, at the learning rate of :meth:`TrainingRule.learning_rate` (a rule of k,
  checked against a grid of learning rates at several sizes by the experiment ``lr_check``);
* with its weights averaged over the recent steps (Polyak-Ruppert averaging): after s steps
  the averaged weights are an exponential moving average of the trained ones with decay
  min(``average``, (1 + s) / (10 + s)), so about the last tenth of the steps (at most the last
  100) count. Minibatch noise leaves the trained weights wandering around the minimum; their
  average sits nearer to it, so two trainings that stop at different times end closer to each
  other. The held-out loss is measured, and the weights kept, on the averaged weights;
* until its held-out loss stops improving: every ``eval_every`` steps the loss on a held-out
  tenth of the data is measured; the weights are kept whenever it improves by more than
  ``min_delta`` nats; after ``plateau`` evaluations without improvement the learning rate is
  halved, and after ``patience`` evaluations without improvement training stops (**patience**);
  for networks wider than ``wide_from`` units both counts grow by sqrt(k / ``wide_from``)
  (:meth:`TrainingRule.waits_for`): their learning rate falls as 1/sqrt(k), so each step moves
  the weights less and a real but slow improvement of the held-out loss takes proportionally
  more steps to rise above the fluctuations of its measurement;
* under a cap of ``max_steps`` steps, generous enough that it is rarely reached; a network that
  reaches it stops there (**cap**) and is flagged in every table and figure;
* from ``restarts`` random initialisations, trained side by side; the one with the lowest
  held-out loss is kept;
* for the one-layer tanh RNNs of ``bf16_from`` units or more, with the k x k products of the
  hand-written gradient (:mod:`probrnn.training.tanh_bptt`) computed in bfloat16 (factors
  rounded to 8 significant bits, sums accumulated in float32): 2.5x faster per step at
  k = 1,000 on this CPU. Weights, optimiser, averaged weights and every held-out and test
  evaluation stay in float32. The README (*Training in bfloat16*) measures its effect against
  float32 training of the same rows.

Every fit records what ran: steps, why it stopped, learning rate, restarts, held-out loss and
seconds (:class:`probrnn.training.fit.FitHistory`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

from ..validate import check_int, check_real


@dataclass(frozen=True)
class TrainingRule:
    """The settings of the training rule (see the module docstring); the defaults are the
    book's, used for every network unless an argument overrides them.

    batch_size:  sequences per step and network
    lr:          Adam's initial learning rate, or None for :meth:`learning_rate` (k)
    lr_scale:    c in the rule lr = c / sqrt(k)
    eval_every:  steps between two evaluations of the held-out loss
    plateau:     evaluations without improvement before the learning rate is halved
    patience:    evaluations without improvement before training stops
    min_delta:   an improvement of the held-out loss (nats per step) smaller than this is none
    max_steps:   the cap
    restarts:    random initialisations per network, or None for :meth:`restarts_for` (k)
    val_fraction: share of the sequences held out (none when there are fewer than 10)
    average:     the largest decay of the weight average (0: no averaging, the trained
                 weights themselves are evaluated and kept)
    wide_from:   the width above which plateau and patience grow as sqrt(k / wide_from)
    bf16_from:   the width from which the hand-written trainer's k x k products run in
                 bfloat16 (None: never)
    """

    batch_size: int = 256
    lr: float | None = None
    lr_scale: float = 0.03
    eval_every: int = 50
    plateau: int = 4
    patience: int = 8
    min_delta: float = 1e-4
    max_steps: int = 20_000
    restarts: int | None = None
    val_fraction: float = 0.1
    average: float = 0.99
    wide_from: int = 100
    bf16_from: int | None = 200

    def __post_init__(self):
        check_int(self.batch_size, "batch_size", minimum=1)
        if self.lr is not None:  # Adam moves each weight by about lr per step: above 10 it
            check_real(self.lr, "lr", 0.0, 10.0, low_open=True)  # can only diverge
        check_real(self.lr_scale, "lr_scale", 0.0, 10.0, low_open=True)
        check_int(self.eval_every, "eval_every", minimum=1)
        check_int(self.plateau, "plateau", minimum=1)
        check_int(self.patience, "patience", minimum=1)
        check_real(self.min_delta, "min_delta", 0.0)
        check_int(self.max_steps, "max_steps", minimum=1)
        if self.restarts is not None:
            check_int(self.restarts, "restarts", minimum=1)
        check_real(self.val_fraction, "val_fraction", 0.0, 0.5)
        check_real(self.average, "average", 0.0, 1.0, high_open=True)
        check_int(self.wide_from, "wide_from", minimum=1)
        if self.bf16_from is not None:
            check_int(self.bf16_from, "bf16_from", minimum=1)

    def learning_rate(self, hidden_size: int) -> float:
        """Adam's initial learning rate for k hidden units: ``lr`` if set, else
        ``lr_scale / sqrt(k)`` (wider layers sum more terms into each pre-activation, so each
        weight must move less)."""
        if self.lr is not None:
            return float(self.lr)
        return self.lr_scale / math.sqrt(check_int(hidden_size, "hidden_size", minimum=1))

    def waits_for(self, hidden_size: int) -> tuple[int, int]:
        """(plateau, patience) in evaluations for k hidden units: ``plateau`` and ``patience``,
        times sqrt(k / ``wide_from``) (rounded) when k is larger than ``wide_from``."""
        k = check_int(hidden_size, "hidden_size", minimum=1)
        scale = max(1.0, math.sqrt(k / self.wide_from))
        return round(self.plateau * scale), round(self.patience * scale)

    def restarts_for(self, hidden_size: int) -> int:
        """Random initialisations: ``restarts`` if set, else 4 for k <= 4, 2 for k <= 32 and 1
        above. A tiny network can stall in a poor optimum from an unlucky start (restarts
        cost it almost nothing); wide ones end within a few thousandths of a nat of each other
        (measured by ``lr_check``, which trains every size from several starts)."""
        if self.restarts is not None:
            return int(self.restarts)
        k = check_int(hidden_size, "hidden_size", minimum=1)
        return 4 if k <= 4 else (2 if k <= 32 else 1)

    def products_for(self, hidden_size: int):
        """The precision of the hand-written trainer's k x k products for k hidden units:
        ``torch.bfloat16`` from ``bf16_from`` units on, else None (the weights' own)."""
        import torch

        k = check_int(hidden_size, "hidden_size", minimum=1)
        return torch.bfloat16 if self.bf16_from is not None and k >= self.bf16_from else None

    def float32(self) -> TrainingRule:
        """A copy that never rounds products to bfloat16 (``bf16_from=None``, which
        :meth:`with_` cannot set since it ignores None values)."""
        return replace(self, bf16_from=None)

    def with_(self, **changes) -> TrainingRule:
        """A copy with some settings changed (None values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def as_dict(self) -> dict:
        return asdict(self)


DEFAULT_RULE = TrainingRule()
