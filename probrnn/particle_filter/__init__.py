"""The bootstrap particle filter and the paper's particle filter written as an RNN (chapter 4,
*Particle filters, and particle filters as RNNs*).

* :mod:`~probrnn.particle_filter.bootstrap`: :func:`particle_filter`, batched over sequences and
  particles.
* :mod:`~probrnn.particle_filter.resampling`: the inverse CDF, multinomial and systematic.
* :mod:`~probrnn.particle_filter.streams`: the addressable uniforms keyed on (seed, t).
* :mod:`~probrnn.particle_filter.as_rnn`: :class:`ParticleFilterRNN`, the same filter as a pure
  recurrence h_t = f(h_{t-1}, x_t).
"""

from .as_rnn import ParticleFilterRNN
from .bootstrap import ParticleFilterResult, particle_filter

__all__ = ["particle_filter", "ParticleFilterResult", "ParticleFilterRNN"]
