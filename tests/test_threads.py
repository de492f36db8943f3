"""probrnn.threads: torch thread counts and jobs run side by side in worker threads."""

import numpy as np
import pytest
import torch

from probrnn import HMM, FitTask, fit_state_rnns
from probrnn.threads import blas_threads, map_threads, torch_threads


def test_torch_threads_sets_and_restores():
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
        with torch_threads(1):  # already 1: left alone
            assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with torch_threads(None):
        assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="num_threads"):
        with torch_threads(0):
            pass


def test_map_threads_keeps_order_and_raises_the_first_error():
    assert map_threads(pow, [(2, 3), (3, 2), (5, 0)], workers=2) == [8, 9, 1]
    assert map_threads(pow, [(2, 3)], workers=1) == [8]
    assert map_threads(pow, [], workers=2) == []

    def fail_on_odd(i):
        if i % 2:
            raise RuntimeError(f"job {i} failed")
        return i

    with pytest.raises(RuntimeError, match="job 1 failed"):
        map_threads(fail_on_odd, [(0,), (1,), (2,), (3,)], workers=2)
    with pytest.raises(ValueError, match="workers"):
        map_threads(pow, [(1, 1)], workers=0)


def test_workers_run_with_one_torch_thread_and_restore_the_caller():
    before = torch.get_num_threads()
    seen = map_threads(lambda: torch.get_num_threads(), [()] * 4, workers=2)
    assert seen == [1, 1, 1, 1]
    assert torch.get_num_threads() == before


def test_training_in_worker_threads_gives_the_same_networks():
    """Two sweeps' groups trained side by side equal the groups trained one after another."""
    hmm = HMM.random(2, 3, rng=4)
    states, obs = hmm.sample(400, 8, rng=5)
    groups = [([FitTask(obs[:n], states[:n], 2, seed=n) for n in (200, 400)], k) for k in (1, 3)]

    def fit(tasks, k):
        nets = fit_state_rnns(tasks, n_symbols=3, hidden_size=k, max_steps=40)
        return [net.predict_proba(obs[:50]) for net, _ in nets]

    side_by_side = map_threads(fit, groups, workers=2)
    one_by_one = map_threads(fit, groups, workers=1)
    for a, b in zip(side_by_side, one_by_one, strict=True):
        for pa, pb in zip(a, b, strict=True):
            np.testing.assert_array_equal(pa, pb)


def _blas_counts():
    from threadpoolctl import threadpool_info

    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


def test_blas_threads_sets_restores_and_workers_get_one():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(2, user_api="blas"):
        assert _blas_counts() == {2}
        with blas_threads(1):
            assert _blas_counts() == {1}
            with blas_threads(1):  # already 1: left alone, and the outer block still restores
                assert _blas_counts() == {1}
            assert _blas_counts() == {1}
        assert _blas_counts() == {2}
        assert map_threads(_blas_counts, [()] * 3, workers=2) == [{1}] * 3
        assert map_threads(_blas_counts, [()], workers=1) == [{1}]
        assert _blas_counts() == {2}
    with pytest.raises(ValueError, match="num_threads"):
        with blas_threads(0):
            pass
