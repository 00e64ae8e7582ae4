"""Replicates, one after another or in worker processes: one runner for every kind.

A replicate is a function of its number alone: replicate ``r`` draws only from a seed
derived from ``r`` (:func:`disctwin.trial.replicate_seed`, or
``SeedSequence(seed, spawn_key=(r,))``), so its result does not depend on which process ran
it, when, or beside which others. The runner relies on that and adds nothing random:
:func:`map_replicates` returns the results in the order of the replicate numbers given,
whatever order the processes finish in, so any ``workers`` gives the same answer.

* ``workers == 1`` (or a single replicate): in this process, in order; no pool, no pickling.
* ``workers > 1``: a :class:`~concurrent.futures.ProcessPoolExecutor` of that many
  processes, started by *spawn*, not fork (forking a process whose OpenMP/Numba threads
  are running is unsafe). The function and each replicate number are pickled, so the
  function must be importable at module level (a module-level function, or a
  :func:`functools.partial` of one), and a script that asks for workers must guard its
  top level with ``if __name__ == "__main__":`` (spawned processes import it). Starting
  the processes costs seconds (each imports DiscTwin), so workers pay off for runs of
  minutes, not for a handful of quick replicates. Each worker should run single-threaded:
  a caller whose function runs the engine passes an engine with ``threads=1``, so that
  workers x threads do not oversubscribe the cores (this module knows nothing of engines).

Resuming is the caller's business: it passes only the replicates still to run (e.g. those
:meth:`disctwin.io.rundir.RunDirectory.is_done` says are missing).

Why here, a top-level module in its own layer just above ``errors``: every layer that runs
replicates must reach it, and the lowest of them is ``stats`` (dose-escalation operating
characteristics, :func:`disctwin.stats.simulate_escalation`), above it ``trial`` (replicate
trials, sample-size search) and ``io`` (CDISC run directories,
:func:`disctwin.io.cdisc.write_run`). It imports nothing of DiscTwin but :mod:`disctwin.errors`.

Example:
    >>> from functools import partial
    >>> map_replicates(partial(pow, 2), range(4))
    [1, 2, 4, 8]
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from itertools import islice
from typing import TypeVar

from disctwin.errors import ConfigError, Problem

__all__ = ["MAX_WORKERS", "check_workers", "iter_replicates", "map_replicates"]

#: The most worker processes a run may ask for.
MAX_WORKERS = 256
#: Replicates queued per worker process at a time: a run of a million replicates holds a
#: few in flight, not a million pending tasks (memory stays flat however many are asked).
QUEUED_PER_WORKER = 4

Item = TypeVar("Item")
Result = TypeVar("Result")


def check_workers(workers: int, field: str = "--workers") -> int:
    """``workers`` if it is a whole number of processes from 1 to :data:`MAX_WORKERS`.

    Raises:
        ConfigError: naming ``field``, otherwise.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= MAX_WORKERS:
        raise ConfigError(Problem(field, workers, f"1 to {MAX_WORKERS} processes"))
    return workers


def iter_replicates(
    fn: Callable[[Item], Result], replicates: Iterable[Item], *, workers: int = 1
) -> Iterator[tuple[int, Result]]:
    """Yield ``(position, fn(replicate))`` for each replicate as it finishes.

    ``position`` is the replicate's index in ``replicates``. With one worker the replicates
    run here, in order; with more, in spawned processes, yielded in the order they finish.
    If one raises, the replicates not yet started are cancelled and the error propagates
    (after the running ones end). At most :data:`QUEUED_PER_WORKER` replicates per worker
    are submitted ahead, so memory does not grow with the number of replicates.

    Raises:
        ConfigError: ``workers`` outside 1 to :data:`MAX_WORKERS` (field ``--workers``).
    """
    check_workers(workers)
    items = list(replicates)
    if workers == 1 or len(items) <= 1:
        for position, item in enumerate(items):
            yield position, fn(item)
        return
    # spawn, not fork: forking a process that already runs OpenMP threads is unsafe
    context = multiprocessing.get_context("spawn")
    n_workers = min(workers, len(items))
    queue = enumerate(items)
    pending: dict[Future[Result], int] = {}
    with ProcessPoolExecutor(max_workers=n_workers, mp_context=context) as pool:
        try:
            while True:
                for position, item in islice(queue, QUEUED_PER_WORKER * n_workers - len(pending)):
                    pending[pool.submit(fn, item)] = position
                if not pending:
                    return
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield pending.pop(future), future.result()
        except BaseException:  # an error, Ctrl-C, or the consumer stopping early
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def map_replicates(
    fn: Callable[[Item], Result],
    replicates: Iterable[Item],
    *,
    workers: int = 1,
    on_done: Callable[[Item, Result], None] | None = None,
) -> list[Result]:
    """``[fn(r) for r in replicates]``, in ``workers`` processes (module docs).

    Args:
        fn: a picklable function of one replicate number (or any picklable item, e.g. a
            batch of replicate numbers) whose result depends on that item alone.
        replicates: the replicate numbers to run (those not already done, when resuming).
        workers: processes; 1 runs everything in this process.
        on_done: called here with ``(replicate, result)`` as each finishes (in order with
            one worker; in the order they finish with more), e.g. to advance a progress bar.

    Returns:
        the results in the order of ``replicates``, whatever the order they finished in.

    Raises:
        ConfigError: ``workers`` outside 1 to :data:`MAX_WORKERS` (field ``--workers``).
    """
    items = list(replicates)
    results: list = [None] * len(items)
    for position, result in iter_replicates(fn, items, workers=workers):
        results[position] = result
        if on_done is not None:
            on_done(items[position], result)
    return results
