"""CPU threads for the book's small networks: how many torch uses, and running jobs side by side.

* :func:`torch_threads`: run a block with a given number of torch intra-op threads. The book's
  networks are small, and a recurrent step is a chain of short operations: on a 2-core machine
  two threads that meet at every small product are slower than one (5-40x when the machine is
  busy), and one thread also makes results independent of the core count.
* :func:`blas_threads`: the same for numpy's BLAS, whose small products behave alike.
* :func:`compute_threads`: both at once, the count every training run and worker uses.
* :func:`map_threads`: run independent jobs (say, the groups of a training sweep) in worker
  threads of this process, each with one torch thread and one BLAS thread, so that every core
  is busy. Torch and numpy release Python's lock inside their operations, so the workers
  compute at the same time; unlike worker processes they start at once (a fresh process
  spends about 1.5 s importing torch) and share memory.

A detail that costs speed if missed: torch's thread count lives partly in each OS thread (the
OpenMP setting), and a new thread starts with the default (all cores) whatever
``torch.get_num_threads()`` says. :func:`map_threads` therefore sets it in each worker.
"""

from __future__ import annotations

import contextlib
import os
import threading
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

import torch

from .validate import check_int


@contextlib.contextmanager
def torch_threads(num_threads):
    """Run the block with ``num_threads`` torch CPU threads (None: leave as is), then restore.

    Nothing is changed when the count is already ``num_threads`` (as in :func:`map_threads`'
    workers), so blocks in concurrent threads that ask for the same count do not interfere.
    """
    if num_threads is None:
        yield
        return
    num_threads = check_int(num_threads, "num_threads", minimum=1)
    before = torch.get_num_threads()
    if before == num_threads:
        yield
        return
    torch.set_num_threads(num_threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def blas_threads(num_threads):
    """Run the block with numpy's BLAS limited to ``num_threads`` threads (None: leave as is),
    then restore (through threadpoolctl; the limit is process-wide).

    The HMM code's products are small ((n, m) x (m, m) with m <= 64): on a 2-core machine two
    BLAS threads that meet at every product are slower than one, and with worker threads that
    each start two of them, or on a busy machine, many times slower (a Baum-Welch sweep used 20
    times the CPU time). The tanh RNN's training products go through it too
    (:mod:`probrnn.training.tanh_bptt`), and OpenBLAS's results depend on its thread count in
    the last bits: training fixes it, as it fixes torch's, so a network is the same wherever it
    is trained.

    Nothing is changed when every BLAS library already uses ``num_threads`` (as in
    :func:`map_threads`' workers), so that concurrent blocks asking for the same count never
    restore each other's limit.
    """
    if num_threads is None:
        yield
        return
    num_threads = check_int(num_threads, "num_threads", minimum=1)
    from threadpoolctl import threadpool_info, threadpool_limits

    if all(lib["num_threads"] == num_threads for lib in threadpool_info()
           if lib["user_api"] == "blas"):
        yield
        return
    with threadpool_limits(num_threads, user_api="blas"):
        yield


@contextlib.contextmanager
def compute_threads(num_threads):
    """Run the block with ``num_threads`` torch threads and ``num_threads`` BLAS threads (None:
    leave both as they are): :func:`torch_threads` and :func:`blas_threads` together."""
    with torch_threads(num_threads), blas_threads(num_threads):
        yield


def default_workers(parallel: bool) -> int:
    """Worker count when the caller gives none: one per core (at most 2) if ``parallel``, else 1."""
    return min(2, os.cpu_count() or 1) if parallel else 1


def map_threads(fn, jobs, workers: int = 2) -> list:
    """``[fn(*job) for job in jobs]``, computed by ``workers`` threads with one torch thread
    and one BLAS thread each.

    Jobs are started in the order given (put the longest first for the best balance); results
    come back in that order. A failure is reported at once: as soon as a job raises, the jobs
    not yet started are cancelled and its exception is raised here (with a note naming the
    job), without waiting for the jobs still running, which finish in the background and are
    discarded (a thread cannot be stopped from outside). With ``workers=1`` the jobs run one
    after another in the calling thread, so the first failure stops the rest.
    """
    if not callable(fn):
        raise ValueError(f"fn must be callable (got {type(fn).__name__})")
    workers = check_int(workers, "workers", minimum=1)
    jobs = _check_jobs(jobs)
    if workers == 1 or len(jobs) <= 1:
        with compute_threads(1):
            out = []
            for i, job in enumerate(jobs):
                try:
                    out.append(fn(*job))
                except Exception as err:
                    _note(err, i, len(jobs))
                    raise
            return out
    stop = threading.Event()  # set by the first failure: jobs not yet begun then skip

    def guarded(*args):
        if stop.is_set():
            raise _Skipped
        try:
            return fn(*args)
        except BaseException:
            stop.set()
            raise

    pool = ThreadPoolExecutor(max_workers=min(workers, len(jobs)),
                              initializer=torch.set_num_threads, initargs=(1,),
                              thread_name_prefix="probrnn")
    try:
        with compute_threads(1):
            futures = [pool.submit(guarded, *job) for job in jobs]
            wait(futures, return_when=FIRST_EXCEPTION)
        for i, f in enumerate(futures):
            if f.done() and not f.cancelled() and f.exception() is not None \
                    and not isinstance(f.exception(), _Skipped):
                err = f.exception()
                _note(err, i, len(jobs))
                raise err
        return [f.result() for f in futures]
    finally:
        stop.set()
        pool.shutdown(wait=False, cancel_futures=True)


class _Skipped(Exception):
    """A job not begun because another had already failed."""


def _check_jobs(jobs) -> list[tuple]:
    """The jobs as a list of argument tuples, or a ValueError naming the one that is not."""
    if isinstance(jobs, (str, bytes)) or not hasattr(jobs, "__iter__"):
        raise ValueError(f"jobs must be a sequence of argument tuples (got {type(jobs).__name__})")
    out = []
    for i, job in enumerate(jobs):
        if isinstance(job, (str, bytes)) or not hasattr(job, "__iter__"):
            raise ValueError(f"jobs[{i}] must be a tuple of arguments for fn (got "
                             f"{type(job).__name__})")
        out.append(tuple(job))
    return out


def _note(err: BaseException, i: int, n: int) -> None:
    if hasattr(err, "add_note"):  # Python 3.11+
        err.add_note(f"(raised by job {i} of {n} in probrnn.threads.map_threads)")
