"""The replicate runner (:mod:`disctwin.parallel`): the same results, in replicate order,
whatever the number of worker processes."""

from __future__ import annotations

import time
from functools import partial

import pandas as pd
import pytest

from disctwin.errors import ConfigError
from disctwin.parallel import check_workers, map_replicates
from disctwin.trial import replicate_seed


def _late_first(replicate: int) -> tuple[int, int]:
    """A pure function of the replicate number whose first replicate finishes last."""
    time.sleep(0.5 if replicate == 0 else 0.0)
    return replicate, replicate_seed(2026, replicate)


def test_two_workers_give_the_results_of_one_in_replicate_order():
    numbers = [0, 3, 1, 2, 5]
    finished = []
    serial = map_replicates(_late_first, numbers)
    parallel = map_replicates(
        _late_first, numbers, workers=2, on_done=lambda r, result: finished.append(r)
    )
    assert parallel == serial == [(r, replicate_seed(2026, r)) for r in numbers]
    assert sorted(finished) == sorted(numbers) and finished[-1] == 0  # done out of order


def test_one_worker_runs_here_in_order():
    seen = []
    results = map_replicates(
        partial(replicate_seed, 7), range(4), on_done=lambda r, _: seen.append(r)
    )
    assert results == [replicate_seed(7, r) for r in range(4)] and seen == [0, 1, 2, 3]
    assert map_replicates(partial(replicate_seed, 7), [], workers=3) == []


def test_an_error_in_a_worker_reaches_the_caller():
    with pytest.raises(ValueError, match="invalid literal"):
        map_replicates(int, ["1", "two", "3"], workers=2)


@pytest.mark.parametrize("workers", [0, 257, -1, 1.5, True, "2"])
def test_the_worker_count_is_checked(workers):
    with pytest.raises(ConfigError, match="--workers") as err:
        map_replicates(int, ["1"], workers=workers)
    assert err.value.problems[0].allowed == "1 to 256 processes"


def test_up_to_256_workers_are_allowed():
    assert check_workers(1) == 1 and check_workers(256) == 256


@pytest.mark.slow
def test_trial_replicates_are_identical_with_two_workers():
    from disctwin.testing import canonical_protocol
    from disctwin.trial import run_replicates

    protocol = canonical_protocol(n_patients=12)
    trials = []
    one = run_replicates(protocol, 2, 5)
    two = run_replicates(protocol, 2, 5, workers=2, on_trial=lambda t: trials.append(t.replicate))
    pd.testing.assert_frame_equal(one, two)
    assert sorted(trials) == [0, 1] and list(two["replicate"].unique()) == [0, 1]


def test_a_million_replicates_are_not_all_queued_at_once(monkeypatch):
    """Memory stays flat: only a few replicates per worker are submitted ahead."""
    from concurrent.futures import ThreadPoolExecutor

    from disctwin import parallel

    queued: list[int] = []

    class Counting(ThreadPoolExecutor):  # threads stand in for the spawned processes
        def __init__(self, max_workers, mp_context=None):
            super().__init__(max_workers=max_workers)
            self.pending = 0

        def submit(self, fn, *args):
            self.pending += 1
            queued.append(self.pending)
            future = super().submit(fn, *args)
            future.add_done_callback(lambda _f: self._done())
            return future

        def _done(self):
            self.pending -= 1

    monkeypatch.setattr(parallel, "ProcessPoolExecutor", Counting)
    results = map_replicates(abs, range(-2000, 0), workers=2)
    assert results == [abs(r) for r in range(-2000, 0)]
    assert max(queued) <= 2 * 4  # QUEUED_PER_WORKER per worker
