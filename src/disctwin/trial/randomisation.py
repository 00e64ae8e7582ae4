"""Randomisation: stratified permuted blocks (or simple randomisation), seeded.

Each stratum has its own block sequence, drawn from
``patient_generator(seed, Stream.RANDOMISATION, stratum_code)``: a block length is drawn
from the allowed sizes, the block holds each arm ``allocation * size / sum(allocation)``
times in random order, and patients of that stratum take the next free slot in enrolment
order. Within every complete block the allocation ratio is exact, so imbalance within a
stratum never exceeds half the largest block. Simple randomisation draws each patient's arm
from its own stream with probabilities proportional to the allocation.

The stratum code is a mixed-radix number of each factor's level, so a stratum's sequence
does not depend on which other strata happen to occur.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from disctwin.streams import Stream, patient_generator
from disctwin.trial.protocol import Randomisation, Stratum

__all__ = ["permuted_blocks", "randomise", "simple_randomisation", "stratum_codes"]


def stratum_codes(variables: Mapping[str, np.ndarray], strata: Sequence[Stratum]) -> np.ndarray:
    """(n,) stratum code of each patient: factor levels combined in mixed radix.

    A factor's level is the number of its ``cuts`` the value reaches (``x >= cut``); without
    cuts the variable must be binary (0/1) and its value is the level.
    """
    n = len(next(iter(variables.values())))
    code = np.zeros(n, dtype=np.int64)
    for s in strata:
        x = np.asarray(variables[s.variable], dtype=float)
        if s.cuts:
            level = np.searchsorted(np.asarray(s.cuts), x, side="right")
            radix = len(s.cuts) + 1
        else:
            level = (x > 0.5).astype(np.int64)
            radix = 2
        code = code * radix + level
    return code


def _blocks(generator: np.random.Generator, allocation: Sequence[int], sizes: Sequence[int]):
    """Endless permuted blocks of arm indices."""
    total = sum(allocation)
    while True:
        size = int(sizes[int(generator.integers(len(sizes)))]) if len(sizes) > 1 else int(sizes[0])
        per = size // total
        block = np.repeat(np.arange(len(allocation)), [a * per for a in allocation])
        yield from generator.permutation(block).tolist()


def permuted_blocks(
    strata: np.ndarray,
    allocation: Sequence[int],
    block_sizes: Sequence[int],
    seed: int,
) -> np.ndarray:
    """Arm index (0..k-1) of each patient, given in enrolment order with stratum codes.

    Args:
        strata: (n,) stratum code of each patient, in enrolment order.
        allocation: (k,) allocation ratio of each arm.
        block_sizes: allowed block lengths, each a multiple of ``sum(allocation)``.
        seed: trial seed.

    Example:
        >>> arms = permuted_blocks(np.zeros(8, int), [1, 1], [4], seed=3)
        >>> sorted(arms[:4].tolist()), sorted(arms[4:].tolist())
        ([0, 0, 1, 1], [0, 0, 1, 1])
    """
    sequences: dict[int, object] = {}
    arms = np.empty(len(strata), dtype=np.int64)
    for i, s in enumerate(np.asarray(strata, dtype=np.int64)):
        key = int(s)
        if key not in sequences:
            gen = patient_generator(seed, Stream.RANDOMISATION, key)
            sequences[key] = _blocks(gen, allocation, block_sizes)
        arms[i] = next(sequences[key])  # type: ignore[call-overload]
    return arms


def simple_randomisation(
    enrolment_order: np.ndarray, allocation: Sequence[int], seed: int
) -> np.ndarray:
    """Independent draws: patient ``k`` (in enrolment order) from its own stream."""
    p = np.asarray(allocation, dtype=float) / sum(allocation)
    # offset keeps these keys apart from the stratum sequences of permuted blocks
    return np.array(
        [
            patient_generator(seed, Stream.RANDOMISATION, 1_000_000 + int(k)).choice(len(p), p=p)
            for k in enrolment_order
        ],
        dtype=np.int64,
    )


def randomise(
    config: Randomisation,
    variables: Mapping[str, np.ndarray],
    allocation: Sequence[int],
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Arm index and stratum code of each patient (patients in enrolment order).

    Returns:
        (arms, strata): (n,) int arrays.
    """
    strata = stratum_codes(variables, config.strata)
    if config.method == "simple":
        return simple_randomisation(np.arange(len(strata)), allocation, seed), strata
    sizes = config.block_sizes or (2 * sum(allocation),)
    return permuted_blocks(strata, allocation, sizes, seed), strata
