"""Training every RNN of the book by one rule (chapters 2 to 4).

* :mod:`~probrnn.training.rule`: :class:`TrainingRule`, the one rule and its documented
  defaults (early stopping with patience, a cap, the learning rate for each size, restarts).
* :mod:`~probrnn.training.fit`: the entry points, :func:`fit_state_rnn(s) <fit_state_rnns>`
  :func:`fit_sequence_rnn(s) <fit_sequence_rnns>` and :func:`fit_real_input_rnns`.
* :mod:`~probrnn.training.trainer`: the loop that trains many networks side by side.
* :mod:`~probrnn.training.loss`, :mod:`~probrnn.training.adam`,
  :mod:`~probrnn.training.tanh_bptt`: the loss, the optimiser, and the hand-written gradient
  of the tanh RNN.
"""

from .fit import (
    FitHistory,
    FitTask,
    fit_real_input_rnns,
    fit_sequence_rnn,
    fit_sequence_rnns,
    fit_state_rnn,
    fit_state_rnns,
)
from .rule import DEFAULT_RULE, TrainingRule

__all__ = ["TrainingRule", "DEFAULT_RULE", "FitTask", "FitHistory", "fit_state_rnn",
           "fit_state_rnns", "fit_sequence_rnn", "fit_sequence_rnns", "fit_real_input_rnns"]
