"""Adverse events drawn from the modalities' hazards, seeded per patient.

For patient ``i``, dose ``k`` and term ``h`` the draws come from their own stream
(``SeedSequence(seed, (THERAPY, i, k, crc32(h)))``): up to five exposures (discs) each occur
with the hazard's probability; an event's onset is log-normal (median, geometric SD) after
the dose (truncated to the hazard's window when it has one: a harm of a drug course begins
while on the drug; inverse-CDF truncation, so the same draw maps to the same quantile) and
its grade (1-5) is drawn from the hazard's severity shares. A patient's events
therefore never depend on the chunk, on other patients, or on other hazards.
"""

from __future__ import annotations

import zlib

import numpy as np
import pyarrow as pa
from scipy.special import ndtr, ndtri

from disctwin.streams import Stream
from disctwin.therapies.base import Hazard

__all__ = ["AE_SCHEMA", "draw_adverse_events"]

#: Columns of the adverse-event table.
_AE_FIELDS: list[tuple[str, pa.DataType]] = [
    ("patient_index", pa.int64()),
    ("dose_index", pa.int64()),
    ("term", pa.string()),
    ("day", pa.float64()),
    ("severity", pa.int64()),
    ("serious", pa.bool_()),
    ("related", pa.string()),
]
AE_SCHEMA = pa.schema(_AE_FIELDS)

_MAX_EXPOSURES = 5


def draw_adverse_events(
    hazards: list[Hazard], seed: int, patient_index: np.ndarray, dose_index: int, dose_day: float
) -> pa.Table:
    """Adverse events of one dose (days counted from the regimen's day 0)."""
    rows: dict[str, list] = {name: [] for name in AE_SCHEMA.names}
    for h in hazards:
        key = zlib.crc32(h.term.encode())
        cum = np.cumsum(h.severity)
        # onset quantile cap: Phi(z_max), z_max = ln(window / median) / ln(gsd)
        cap = 1.0
        if h.onset_within_days is not None and h.onset_gsd > 1.0:
            z_max = np.log(h.onset_within_days / h.onset_median_days) / np.log(h.onset_gsd)
            cap = float(ndtr(z_max))
        for row, i in enumerate(patient_index):
            exposures = int(min(h.exposures[row], _MAX_EXPOSURES))
            if exposures == 0 or h.probability[row] <= 0.0:
                continue
            seq = np.random.SeedSequence(
                int(seed), spawn_key=(int(Stream.THERAPY), int(i), dose_index, key)
            )
            g = np.random.Generator(np.random.PCG64(seq))
            u = g.random(_MAX_EXPOSURES)
            z = g.standard_normal(_MAX_EXPOSURES)
            v = g.random(_MAX_EXPOSURES)
            for e in range(exposures):
                if u[e] >= h.probability[row]:
                    continue
                grade = int(np.searchsorted(cum, v[e] * cum[-1], side="right")) + 1
                rows["patient_index"].append(int(i))
                rows["dose_index"].append(dose_index)
                rows["term"].append(h.term)
                ze = z[e] if cap == 1.0 else ndtri(ndtr(z[e]) * cap)
                rows["day"].append(dose_day + h.onset_median_days * h.onset_gsd**ze)
                rows["severity"].append(min(grade, 5))
                rows["serious"].append(grade >= 3)
                rows["related"].append(h.related)
    return pa.table(rows, schema=AE_SCHEMA)
