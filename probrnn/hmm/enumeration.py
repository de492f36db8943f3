"""Brute-force references: exact answers by enumerating every hidden path.

Exponential in T, so only for tiny models; the tests compare the package's forward algorithm
(and its smoother and Viterbi) with these.
"""

from __future__ import annotations

import numpy as np


def brute_force_filter(startprob, transmat, emissionprob, obs_seq):
    """Reference by enumeration of all m**T hidden paths of one sequence ``obs_seq`` (T,).

    Returns (filtered (T, m), log_likelihood). Exponential cost: for tests with tiny m and T.
    """
    import itertools

    m = startprob.shape[0]
    T = len(obs_seq)
    filtered = np.zeros((T, m))
    prefix_lik = np.zeros(T)
    for path in itertools.product(range(m), repeat=T):
        p = startprob[path[0]] * emissionprob[path[0], obs_seq[0]]
        for t in range(T):
            if t > 0:
                p *= transmat[path[t - 1], path[t]] * emissionprob[path[t], obs_seq[t]]
            # p is the joint of (h_{1:t}, x_{1:t}); summing over the later states of the path
            # counts each prefix m**(T-1-t) times, so divide that out.
            w = p / m ** (T - 1 - t)
            filtered[t, path[t]] += w
            prefix_lik[t] += w
    with np.errstate(divide="ignore", invalid="ignore"):
        filtered = filtered / prefix_lik[:, None]
        return filtered, float(np.log(prefix_lik[-1]))
