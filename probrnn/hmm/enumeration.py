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


def _path_log_joints(startprob, transmat, emissionprob, obs_seq):
    """Every hidden path of one sequence (m**T, T) and its log p(h_1..T, x_1..T) (m**T,),
    summed in log space term by term (so models with probabilities like 1e-300 are exact)."""
    import itertools

    m = startprob.shape[0]
    obs_seq = np.asarray(obs_seq)
    T = len(obs_seq)
    paths = np.array(list(itertools.product(range(m), repeat=T)), dtype=np.int64)  # (m**T, T)
    with np.errstate(divide="ignore"):
        log_pi, log_a, log_b = np.log(startprob), np.log(transmat), np.log(emissionprob)
    log_joint = log_pi[paths[:, 0]] + log_b[paths[:, 0], obs_seq[0]]
    for t in range(1, T):
        log_joint = log_joint + log_a[paths[:, t - 1], paths[:, t]] + log_b[paths[:, t], obs_seq[t]]
    return paths, log_joint


def _path_weights(log_joint):
    """Posterior weights p(h | x) of the paths and log p(x), from their log joints."""
    top = log_joint.max()
    if not np.isfinite(top):
        raise ValueError("the sequence has probability zero under the model")
    w = np.exp(log_joint - top)
    return w / w.sum(), float(top + np.log(w.sum()))


def brute_force_smooth(startprob, transmat, emissionprob, obs_seq):
    """p(H_t | x_1..T) by enumeration of all m**T hidden paths of one sequence ``obs_seq`` (T,).

    Returns (smoothed (T, m), log_likelihood). Exponential cost: for tests with tiny m and T.
    """
    m = startprob.shape[0]
    paths, log_joint = _path_log_joints(startprob, transmat, emissionprob, obs_seq)
    w, log_lik = _path_weights(log_joint)
    T = paths.shape[1]
    smoothed = np.zeros((T, m))
    for t in range(T):
        smoothed[t] = np.bincount(paths[:, t], weights=w, minlength=m)
    return smoothed, log_lik


def brute_force_viterbi(startprob, transmat, emissionprob, obs_seq, rtol=1e-9):
    """The most probable hidden path of one sequence by enumeration of all m**T paths.

    Returns (path (T,), log_prob, n_best): ``n_best`` counts the paths whose log-probability is
    within ``rtol`` (relative) of the best, so a test can tell whether the maximiser is unique.
    Among those, ``path`` is the one smallest when compared from the last state backwards (the
    tie rule of :mod:`probrnn.hmm.viterbi`).
    """
    paths, log_joint = _path_log_joints(startprob, transmat, emissionprob, obs_seq)
    top = log_joint.max()
    near = np.flatnonzero(log_joint >= top - rtol * max(1.0, abs(top)))
    # lexicographic order over the reversed paths: np.lexsort sorts by its last key first
    order = np.lexsort(paths[near].T)
    return paths[near[order[0]]], float(top), int(near.size)


def brute_force_expected_counts(startprob, transmat, emissionprob, obs_seq):
    """The Baum-Welch E-step's counts for one sequence by enumeration: (start (m,), trans (m, m),
    emit (m, K), log_likelihood), each path weighted by p(h | x)."""
    m, K = emissionprob.shape
    paths, log_joint = _path_log_joints(startprob, transmat, emissionprob, obs_seq)
    w, log_lik = _path_weights(log_joint)
    obs_seq = np.asarray(obs_seq)
    T = paths.shape[1]
    start = np.bincount(paths[:, 0], weights=w, minlength=m)
    trans = np.zeros((m, m))
    emit = np.zeros((m, K))
    for t in range(T):
        emit[:, obs_seq[t]] += np.bincount(paths[:, t], weights=w, minlength=m)
        if t > 0:
            trans += np.bincount(paths[:, t - 1] * m + paths[:, t], weights=w,
                                 minlength=m * m).reshape(m, m)
    return start, trans, emit, log_lik
