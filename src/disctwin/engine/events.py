"""Events: what a dose does to a patient, as the solver applies it.

An event sets, increases or multiplies one state or parameter slot of one patient at one
time; the kernel stops exactly there, applies it and restarts. Therapies declare
:class:`~disctwin.therapies.Effect` s; :mod:`disctwin.engine.dosing` turns them into an
:class:`EventTable`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from disctwin.errors import ConfigError, Problem

__all__ = ["EVENT_KINDS", "STATE_EVENT_KINDS", "EventTable"]


EVENT_KINDS: dict[str, int] = {
    "state_set": 0,
    "state_add": 1,
    "state_multiply": 2,
    "parameter_set": 3,
    "parameter_add": 4,
    "parameter_multiply": 5,
    "state_toward_one": 6,
}

#: Event kinds that act on a state (the others act on a parameter).
STATE_EVENT_KINDS = frozenset({0, 1, 2, 6})


@dataclass(frozen=True)
class EventTable:
    """Per-patient events: at ``time`` (days), a state or parameter slot is set, increased or
    multiplied by ``value`` (or, for ``state_toward_one``, moved the fraction ``value`` of the
    way to 1: an injury that cannot take a 0-1 damage state past 1).

    Arrays are (n_patients, max_events), padded; ``count`` (n_patients,) says how many
    leading entries of each row are used. Within a row, events must be sorted by time; ties
    act in row order. An event at time t acts before the outputs at t are recorded (the
    output at t is the post-event state, as for a dose record before an observation record
    in NONMEM or mrgsolve); events at or before the start act at the start; events after
    the last output are ignored. Parameter events refresh the model's parameter-derived
    constants. Therapy modules build these tables from dosing regimens.
    """

    time: np.ndarray
    kind: np.ndarray
    index: np.ndarray
    value: np.ndarray
    count: np.ndarray

    @classmethod
    def empty(cls, n_patients: int) -> EventTable:
        z = np.zeros((n_patients, 1))
        return cls(
            z,
            z.astype(np.int64),
            z.astype(np.int64),
            z.copy(),
            np.zeros(n_patients, dtype=np.int64),
        )

    @classmethod
    def from_rows(
        cls, n_patients: int, rows: Sequence[tuple[int, float, str, int, float]]
    ) -> EventTable:
        """Build from (patient row, time_days, kind name, index, value) tuples."""
        per: list[list[tuple[float, int, int, int, float]]] = [[] for _ in range(n_patients)]
        for order, (row, time_days, kind, index, value) in enumerate(rows):
            if kind not in EVENT_KINDS:
                raise ConfigError(Problem("event.kind", kind, ", ".join(EVENT_KINDS)))
            if not 0 <= row < n_patients:
                raise ConfigError(Problem("event.patient", row, f"0..{n_patients - 1}"))
            per[row].append((float(time_days), order, EVENT_KINDS[kind], int(index), float(value)))
        width = max(1, max(len(r) for r in per))
        table = cls(
            np.zeros((n_patients, width)),
            np.zeros((n_patients, width), dtype=np.int64),
            np.zeros((n_patients, width), dtype=np.int64),
            np.zeros((n_patients, width)),
            np.array([len(r) for r in per], dtype=np.int64),
        )
        for i, r in enumerate(per):
            for j, (tt, _order, k, idx, v) in enumerate(sorted(r)):
                table.time[i, j], table.kind[i, j] = tt, k
                table.index[i, j], table.value[i, j] = idx, v
        return table

    def validate(self, n_states: int, n_parameters: int) -> None:
        """Check indices and ordering; raise ConfigError naming every problem."""
        problems = []
        for i in range(len(self.count)):
            c = int(self.count[i])
            t, k, j = self.time[i, :c], self.kind[i, :c], self.index[i, :c]
            if np.any(np.diff(t) < 0) or not np.all(np.isfinite(t)):
                problems.append(Problem(f"events[{i}].time", t.tolist(), "finite, sorted times"))
            bad_kind = (k < 0) | (k > 6)
            limit = np.where(np.isin(k, list(STATE_EVENT_KINDS)), n_states, n_parameters)
            if np.any(bad_kind) or np.any((j < 0) | (j >= limit)):
                problems.append(
                    Problem(
                        f"events[{i}].index",
                        j.tolist(),
                        f"states 0..{n_states - 1}, parameters 0..{n_parameters - 1}, kinds 0..6",
                    )
                )
        if problems:
            raise ConfigError(problems)
