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

The names below are the public API; each lives in the module named in its docstring. Those of
the numpy-only modules (the HMM, the particle filter) are imported at once; those that need torch
(the RNNs, their training, the graphical model) on first use, so ``import probrnn`` and the
command line (``python -m probrnn``) start in a fraction of a second and check their arguments
before anything heavy is loaded.
"""

import importlib

from .hmm import HMM, BeliefOperators, FilterResult, hmm_filter, hmm_smooth, hmm_viterbi
from .particle_filter import ParticleFilterResult, ParticleFilterRNN, particle_filter

# name -> the subpackage it is imported from on first use (these need torch)
_LAZY = {
    "NoisyRNNGraphicalModel": "graphical",
    "RNNGraphicalModel": "graphical",
    "BeliefProbe": "rnn",
    "EmpiricalFirstSymbol": "rnn",
    "ExactForwardRNN": "rnn",
    "SequenceRNN": "rnn",
    "StateRNN": "rnn",
    "exact_forward_rnn": "rnn",
    "fit_belief_probe": "rnn",
    "untrained_state_rnn": "rnn",
    "RealInputRNN": "rnn",
    "FitHistory": "training",
    "FitTask": "training",
    "TrainingRule": "training",
    "fit_sequence_rnn": "training",
    "fit_sequence_rnns": "training",
    "fit_state_rnn": "training",
    "fit_state_rnns": "training",
    "fit_real_input_rnns": "training",
}
# subpackages and modules reachable as attributes (``probrnn.rnn``) without an explicit import
# (``hmm`` is imported above; ``probrnn.particle_filter`` is the function, not its subpackage)
_SUBMODULES = ("graphical", "rnn", "training", "experiments", "figures", "widgets", "threads",
               "metrics", "sampling", "validate")


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'probrnn' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | set(_SUBMODULES))


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
    "RealInputRNN",
    "fit_real_input_rnns",
    "particle_filter",
    "ParticleFilterResult",
    "ParticleFilterRNN",
]
__version__ = "0.2.0"
