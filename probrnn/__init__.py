"""probrnn: the package behind the book *Probabilistic interpretations of recurrent neural
networks* (after Choe, Shin & Spencer, 2017).

Chapter by chapter:

* :class:`HMM`, :mod:`probrnn.inference`: hidden Markov models and the exact forward algorithm
  (chapter *Hidden Markov models and the forward algorithm*).
* :class:`SequenceRNN`, :func:`fit_sequence_rnn`, :class:`RNNGraphicalModel`: RNNs as generative
  models and as graphical models (chapter *RNNs as generative models and as graphical models*).
* :class:`StateRNN`, :func:`fit_state_rnn`, :func:`exact_forward_rnn`: RNNs as approximations of
  the forward algorithm (chapter *RNNs as nonlinear approximations of the forward algorithm*).
* :func:`particle_filter`, :class:`ParticleFilterRNN`: the bootstrap particle filter and the
  paper's particle-filter RNN (chapter *Particle filters*).
"""

from .graphical import NoisyRNNGraphicalModel, RNNGraphicalModel
from .hmm import HMM, BeliefOperators
from .inference import FilterResult, hmm_filter
from .particle import ParticleFilterResult, particle_filter
from .pf_rnn import ParticleFilterRNN
from .rnn import (
    BeliefProbe,
    ExactForwardRNN,
    FitHistory,
    FitTask,
    StateRNN,
    exact_forward_rnn,
    fit_belief_probe,
    fit_state_rnn,
    fit_state_rnns,
    untrained_state_rnn,
)
from .sequence_rnn import EmpiricalFirstSymbol, SequenceRNN, fit_sequence_rnn

__all__ = [
    "HMM",
    "BeliefOperators",
    "FilterResult",
    "hmm_filter",
    "SequenceRNN",
    "fit_sequence_rnn",
    "EmpiricalFirstSymbol",
    "RNNGraphicalModel",
    "NoisyRNNGraphicalModel",
    "StateRNN",
    "fit_state_rnn",
    "fit_state_rnns",
    "FitTask",
    "FitHistory",
    "exact_forward_rnn",
    "ExactForwardRNN",
    "fit_belief_probe",
    "BeliefProbe",
    "untrained_state_rnn",
    "particle_filter",
    "ParticleFilterResult",
    "ParticleFilterRNN",
]
__version__ = "0.1.0"
