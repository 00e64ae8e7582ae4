"""Named random streams: one generator per (study seed, stream, patient index).

Every patient's draws come from its own stream, derived from the study seed and the
patient's index with NumPy's ``SeedSequence`` spawn keys, so a patient's covariates,
variability and noise are the same whatever chunk or worker it is simulated in. No global
NumPy state is used anywhere in DiscTwin.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

__all__ = ["Stream", "patient_generator"]


class Stream(IntEnum):
    """The named streams of a study (their values are part of the spawn key: never reuse)."""

    COVARIATES = 1
    VARIABILITY = 2
    OBSERVATION = 3
    RANDOMISATION = 4
    DROPOUT = 5
    PSA = 6
    THERAPY = 7  # adverse events of doses
    ANTIBODIES = 8  # neutralising antibodies (pre-existing, raised by a dose)
    READER = 9  # a reader's own tendency per disc, when serial scans are read together
    PAIN_COURSE = 20
    CALIBRATION = 21
    # trials (10-19)
    SCREENING = 10  # screening age and prior-treatment history of each candidate
    ENROLMENT = 11  # accrual times, by enrolment order
    INTERVENTION = 12  # further interventions (surgery) during follow-up


def patient_generator(
    seed: int, stream: Stream, patient_index: int, *, block: int | None = None
) -> np.random.Generator:
    """The generator of one patient's draws in one stream (or one numbered block of it).

    ``block`` names an independent sub-stream of the patient's stream (e.g. one year of a
    daily process, drawn only when needed); its key is ``(stream, patient, block)``.

    >>> a = patient_generator(7, Stream.COVARIATES, 12).random()
    >>> b = patient_generator(7, Stream.COVARIATES, 12).random()
    >>> a == b
    True
    """
    key: tuple[int, ...] = (int(stream), int(patient_index))
    if block is not None:
        key += (int(block),)
    seq = np.random.SeedSequence(int(seed), spawn_key=key)
    return np.random.Generator(np.random.PCG64(seq))
