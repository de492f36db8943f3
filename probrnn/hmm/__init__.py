"""Hidden Markov models and their exact inference (chapter 1, *Hidden Markov models and the
forward algorithm*).

* :mod:`~probrnn.hmm.model`: :class:`HMM`, the model (hmmlearn's conventions), its sampling and
  the paper's belief operators D_x and V.
* :mod:`~probrnn.hmm.forward`: the forward algorithm as a pure, batched function that trusts
  its inputs, and the next-symbol predictive.
* :mod:`~probrnn.hmm.smoothing`: forward-backward, p(H_t | x_1..T).
* :mod:`~probrnn.hmm.viterbi`: the most probable hidden path.
* :mod:`~probrnn.hmm.baum_welch`: EM for the parameters (:meth:`HMM.fit`), batched E-step.
* :mod:`~probrnn.hmm.public`: :func:`hmm_filter`, :func:`hmm_smooth`, :func:`hmm_viterbi` and
  :func:`predict_next` for any array-likes, validated (the names exported here and by
  ``probrnn``).
* :mod:`~probrnn.hmm.enumeration`: brute-force references for tests.
"""

from .baum_welch import BaumWelchInfo, expected_counts
from .forward import FilterResult
from .model import HMM, BeliefOperators
from .public import hmm_filter, hmm_smooth, hmm_viterbi, predict_next

__all__ = ["HMM", "BeliefOperators", "FilterResult", "hmm_filter", "predict_next", "hmm_smooth",
           "hmm_viterbi", "expected_counts", "BaumWelchInfo"]
