"""probrnn: the package behind the book *Probabilistic interpretations of recurrent neural
networks* (after Choe, Shin & Spencer, 2017).

The package is organised by the book's concepts, one per subpackage or file:

=====================  ======================================================  =============
module                 what                                                    chapter
=====================  ======================================================  =============
``hmm``                the HMM; filter, smoother, Viterbi, Baum-Welch          1, 2
``rnn``                the RNN models: next-symbol, state-predicting, exact    2, 3
``training``           the one training rule and the one trainer               2, 3, 4
``graphical``          the RNN as a graphical model; Theorem 5, Prop. 4        2
``particle_filter``    the bootstrap filter and the filter as an RNN           4
``metrics``            one vocabulary: accuracy, agreement, near-ties, TV, ... 1-4
``experiments``        the paper's figures as tidy tables (``reproduce``)      2, 3, 4
``figures``            pure functions from results to plotly figures           1-4
``widgets``            live controls wired to the figures                      1-4
``validate``           the one boundary where inputs are checked               all
=====================  ======================================================  =============

The names below are the public API; each lives in the module named in its docstring.
"""

from .graphical import NoisyRNNGraphicalModel, RNNGraphicalModel
from .hmm import HMM, BeliefOperators, FilterResult, hmm_filter, hmm_smooth, hmm_viterbi
from .particle_filter import ParticleFilterResult, ParticleFilterRNN, particle_filter
from .rnn import (
    BeliefProbe,
    EmpiricalFirstSymbol,
    ExactForwardRNN,
    SequenceRNN,
    StateRNN,
    exact_forward_rnn,
    fit_belief_probe,
    untrained_state_rnn,
)
from .training import (
    FitHistory,
    FitTask,
    TrainingRule,
    fit_sequence_rnn,
    fit_sequence_rnns,
    fit_state_rnn,
    fit_state_rnns,
)

__all__ = [
    "HMM",
    "BeliefOperators",
    "FilterResult",
    "hmm_filter",
    "hmm_smooth",
    "hmm_viterbi",
    "SequenceRNN",
    "fit_sequence_rnn",
    "fit_sequence_rnns",
    "EmpiricalFirstSymbol",
    "RNNGraphicalModel",
    "NoisyRNNGraphicalModel",
    "StateRNN",
    "fit_state_rnn",
    "fit_state_rnns",
    "FitTask",
    "FitHistory",
    "TrainingRule",
    "exact_forward_rnn",
    "ExactForwardRNN",
    "fit_belief_probe",
    "BeliefProbe",
    "untrained_state_rnn",
    "particle_filter",
    "ParticleFilterResult",
    "ParticleFilterRNN",
]
__version__ = "0.2.0"
