"""The RNN models of the book (trained by :mod:`probrnn.training`).

* :mod:`~probrnn.rnn.cells`: the recurrent core (tanh RNN, GRU, LSTM) and its read-out.
* :mod:`~probrnn.rnn.sequence`: :class:`SequenceRNN`, an RNN as a generative model of symbol
  sequences (chapter 2), and :class:`EmpiricalFirstSymbol`, the model of X_1 it leaves out.
* :mod:`~probrnn.rnn.state`: :class:`StateRNN`, an RNN that predicts an HMM's hidden state
  (chapter 3).
* :mod:`~probrnn.rnn.exact`: :func:`exact_forward_rnn`, the forward algorithm written as an
  RNN (Proposition 6).
* :mod:`~probrnn.rnn.probe`: :func:`fit_belief_probe`, beliefs read back from hidden units.
* :mod:`~probrnn.rnn.real_input`: :class:`RealInputRNN`, an RNN reading real observations
  (the continuous-state chapter).
* :mod:`~probrnn.rnn.batched`: many networks as one batched model, for the trainer.
"""

from .exact import ExactForwardRNN, exact_forward_rnn
from .probe import BeliefProbe, fit_belief_probe
from .real_input import RealInputRNN
from .sequence import EmpiricalFirstSymbol, SequenceRNN
from .state import StateRNN, state_rnn_n_params, untrained_state_rnn

__all__ = ["SequenceRNN", "EmpiricalFirstSymbol", "StateRNN", "state_rnn_n_params",
           "untrained_state_rnn", "ExactForwardRNN", "exact_forward_rnn", "BeliefProbe",
           "fit_belief_probe", "RealInputRNN"]
