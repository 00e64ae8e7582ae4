"""Stratified permuted blocks: exact balance within blocks and strata, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

from disctwin.trial import permuted_blocks, stratum_codes
from disctwin.trial.protocol import Stratum
from disctwin.trial.randomisation import simple_randomisation


@pytest.mark.parametrize(
    ("allocation", "sizes"), [([1, 1], [4]), ([2, 1], [3, 6]), ([1, 1, 2], [4, 8])]
)
def test_balance_within_each_block_of_each_stratum(allocation, sizes):
    rng = np.random.default_rng(5)
    strata = rng.integers(0, 3, size=600)
    arms = permuted_blocks(strata, allocation, sizes, seed=17)
    total = sum(allocation)
    for s in range(3):
        seq = arms[strata == s]
        counts = np.zeros(len(allocation), dtype=int)
        # imbalance vs the allocation ratio is never more than half the largest block,
        # and is exactly zero at some point in every window of the largest block size
        zero_points = [0]
        for k, a in enumerate(seq, start=1):
            counts[a] += 1
            expected = np.array(allocation) * k / total
            assert np.all(np.abs(counts - expected) <= max(sizes))
            if np.all(counts * total == np.array(allocation) * k):
                zero_points.append(k)
        assert max(np.diff(zero_points)) <= max(sizes)


def test_reproducible_and_seed_dependent():
    strata = np.zeros(40, dtype=int)
    a = permuted_blocks(strata, [1, 1], [4], seed=1)
    assert np.array_equal(a, permuted_blocks(strata, [1, 1], [4], seed=1))
    assert not np.array_equal(a, permuted_blocks(strata, [1, 1], [4], seed=2))


def test_a_stratum_sequence_does_not_depend_on_other_strata():
    only = permuted_blocks(np.zeros(20, dtype=int), [1, 1], [4], seed=3)
    mixed_strata = np.array([0, 1] * 20)
    mixed = permuted_blocks(mixed_strata, [1, 1], [4], seed=3)
    assert np.array_equal(mixed[mixed_strata == 0], only)


def test_stratum_codes_mixed_radix():
    variables = {"opioid_use": np.array([0.0, 1, 0, 1]), "vas": np.array([50.0, 50, 85, 85])}
    codes = stratum_codes(
        variables, [Stratum(variable="opioid_use"), Stratum(variable="vas", cuts=(60, 80))]
    )
    assert codes.tolist() == [0, 3, 2, 5]


def test_simple_randomisation_follows_allocation():
    arms = simple_randomisation(np.arange(3000), [1, 2], seed=9)
    share = np.mean(arms == 1)
    assert abs(share - 2 / 3) < 3 * np.sqrt(2 / 9 / 3000)
