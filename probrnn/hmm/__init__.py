"""Hidden Markov models and their exact inference (chapter 1, *Hidden Markov models and the
forward algorithm*).

* :mod:`~probrnn.hmm.model`: :class:`HMM`, the model (hmmlearn's conventions), its sampling and
  the paper's belief operators D_x and V.
* :mod:`~probrnn.hmm.forward`: the forward algorithm as a pure, batched function,
  :func:`hmm_filter`, and the next-symbol predictive.
* :mod:`~probrnn.hmm.smoothing`: forward-backward, :func:`hmm_smooth` (p(H_t | x_1..T)).
* :mod:`~probrnn.hmm.viterbi`: the most probable hidden path, :func:`hmm_viterbi`.
* :mod:`~probrnn.hmm.baum_welch`: EM for the parameters (:meth:`HMM.fit`), batched E-step.
* :mod:`~probrnn.hmm.enumeration`: brute-force references for tests.
"""

from .baum_welch import BaumWelchInfo, expected_counts
from .forward import FilterResult, hmm_filter, predict_next
from .model import HMM, BeliefOperators
from .smoothing import hmm_smooth
from .viterbi import hmm_viterbi

__all__ = ["HMM", "BeliefOperators", "FilterResult", "hmm_filter", "predict_next", "hmm_smooth",
           "hmm_viterbi", "expected_counts", "BaumWelchInfo"]
