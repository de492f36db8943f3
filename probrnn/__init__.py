"""probrnn: the package behind the book *Probabilistic interpretations of recurrent neural
networks* (after Choe, Shin & Spencer, 2017).

Chapter by chapter:

* :class:`HMM`, :mod:`probrnn.inference`: hidden Markov models and the exact forward algorithm.
"""

from .hmm import HMM, BeliefOperators
from .inference import FilterResult, hmm_filter

__all__ = ["HMM", "BeliefOperators", "FilterResult", "hmm_filter"]
__version__ = "0.1.0"
