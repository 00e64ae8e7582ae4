"""Follow-up data and intercurrent events: what every endpoint reads.

Columns of every per-visit array are the measurement schedule of
:func:`disctwin.trial.screening.measurement_times`: 0 = screening, 1 = baseline (day 0,
before dosing), 2.. = the protocol's visits.

Order of events at a visit: the patient is measured; then rescue medication starts if VAS
>= the rescue threshold (it lowers the reported pain of *later* visits by ``vas_effect``);
then a further intervention may happen (VAS >= its threshold, with its probability; the
draw comes from the patient's ``Stream.INTERVENTION``); dropout happens between visits
(hazard from :class:`~disctwin.trial.protocol.Dropout`, draws from ``Stream.DROPOUT``).
Intercurrent events are part of each potential outcome (a treated and an untreated twin
may differ in them); dropout only hides observed data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from disctwin.streams import Stream, patient_generator

if TYPE_CHECKING:  # the protocol module reads the endpoint registry: no import cycle
    from disctwin.trial.protocol import Protocol

__all__ = [
    "BASELINE",
    "PAIN_MEASURES",
    "FollowUp",
    "apply_dropout",
    "apply_intercurrent_events",
    "visit_column",
]

#: Column of the baseline measurement in per-visit arrays (0 is screening).
BASELINE = 1


def visit_column(protocol: Protocol, visit: str) -> int:
    """The schedule column of a named visit (columns: screening, baseline, then the visits)."""
    return 2 + [v.name for v in protocol.visit].index(visit)


#: The patient-reported pain measures that rescue medication lowers (VAS by
#: ``rescue.vas_effect`` points, NRS by a tenth of it, ODI in proportion to VAS).
PAIN_MEASURES = ("vas", "nrs", "odi")


@dataclass(frozen=True)
class FollowUp:
    """Outcomes of n patients over the V = 2 + n_visits schedule columns.

    Attributes:
        measures: (n, V) values of every visit measure (the record spec's ``visit``
            records, :data:`disctwin.trial.protocol.MEASURES`): reported pain after rescue
            medication (``vas``, ``nrs``, ``odi``), opioid taken (``opioid_mme``, MME/day)
            and any other recorded measure. Each is also an attribute (``fu.vas``).
        visit_days: (V,) days relative to baseline (screening negative).
        attended: (n, V) True where the visit took place (dropout removes later visits).
        rescue_from: (n,) first column whose values are under rescue medication (V: never).
        intervention_at: (n,) column of the visit with a further intervention (V: never).
        dropout_day: (n,) day (after baseline) of dropout; NaN for completers.
    """

    measures: Mapping[str, np.ndarray]
    visit_days: np.ndarray
    attended: np.ndarray
    rescue_from: np.ndarray
    intervention_at: np.ndarray
    dropout_day: np.ndarray

    def measure(self, name: str) -> np.ndarray:
        """(n, V) values of a measure (:data:`disctwin.trial.protocol.MEASURES`)."""
        return self.measures[name]

    def __getattr__(self, name: str) -> np.ndarray:
        measures = self.__dict__.get("measures")
        if measures is not None and name in measures:
            return measures[name]
        raise AttributeError(f"{type(self).__name__!r} has no attribute or measure {name!r}")

    @property
    def n_patients(self) -> int:
        return len(self.rescue_from)

    @property
    def n_columns(self) -> int:
        return len(self.visit_days)

    def take(self, rows: np.ndarray) -> FollowUp:
        """The follow-up of a subset of patients (rows: indices or a boolean mask)."""
        return FollowUp(
            {k: v[rows] for k, v in self.measures.items()},
            self.visit_days,
            self.attended[rows],
            self.rescue_from[rows],
            self.intervention_at[rows],
            self.dropout_day[rows],
        )


def _uniforms(seed: int, stream: Stream, index: np.ndarray, n_draws: int) -> np.ndarray:
    out = np.empty((len(index), n_draws))
    for row, i in enumerate(index):
        out[row] = patient_generator(seed, stream, int(i)).random(n_draws)
    return out


def apply_intercurrent_events(
    protocol: Protocol,
    measures: Mapping[str, np.ndarray],
    visit_days: np.ndarray,
    seed: int,
    patient_index: np.ndarray,
) -> FollowUp:
    """Rescue medication and further interventions on complete (no dropout) data.

    ``measures``: (n, V) values of each visit measure; ``vas``, ``nrs`` and ``odi`` are
    required, ``opioid_mme`` (opioid taken, MME/day) defaults to none taken. Rescue
    medication lowers reported pain (:data:`PAIN_MEASURES`) only; it is not counted as
    opioid use, and other measures are kept as given."""
    missing = [k for k in PAIN_MEASURES if k not in measures]
    if missing:
        raise ValueError(f"follow-up needs the pain measures {missing}")
    out = {k: np.asarray(v, dtype=float).copy() for k, v in measures.items()}
    vas, nrs, odi = out["vas"], out["nrs"], out["odi"]
    n, v = vas.shape
    out.setdefault("opioid_mme", np.zeros((n, v)))
    rescue_from = np.full(n, v, dtype=np.int64)
    r = protocol.rescue
    if r.vas_threshold is not None:
        for j in range(BASELINE + 1, v - 1):
            start = (rescue_from == v) & (vas[:, j] >= r.vas_threshold)
            rescue_from[start] = j + 1
            if r.vas_effect > 0 and start.any():
                old = vas[start, j + 1 :]
                new = np.clip(old - r.vas_effect, 0.0, 100.0)
                ratio = np.divide(new, old, out=np.ones_like(old), where=old > 0)
                vas[start, j + 1 :] = new
                odi[start, j + 1 :] *= ratio
                nrs[start, j + 1 :] = np.clip(
                    np.rint(nrs[start, j + 1 :] - r.vas_effect / 10), 0, 10
                )
    intervention_at = np.full(n, v, dtype=np.int64)
    fi = protocol.further_intervention
    if fi.vas_threshold is not None and fi.probability_per_visit > 0:
        u = _uniforms(seed, Stream.INTERVENTION, patient_index, v)
        for j in range(BASELINE + 1, v):
            hit = (intervention_at == v) & (vas[:, j] >= fi.vas_threshold)
            hit &= u[:, j] < fi.probability_per_visit
            intervention_at[hit] = j
    return FollowUp(
        out,
        np.asarray(visit_days, dtype=float),
        np.ones((n, v), dtype=bool),
        rescue_from,
        intervention_at,
        np.full(n, np.nan),
    )


def apply_dropout(
    protocol: Protocol, follow_up: FollowUp, seed: int, patient_index: np.ndarray
) -> FollowUp:
    """Loss to follow-up: between visits j-1 and j the patient leaves with probability
    ``1 - exp(-h * dt)``, ``h`` from the VAS at visit j-1 (see :class:`Dropout`)."""
    d = protocol.dropout
    n, v = follow_up.vas.shape
    attended = np.ones((n, v), dtype=bool)
    dropout_day = np.full(n, np.nan)
    if d.annual_rate <= 0:
        return replace(follow_up, attended=attended, dropout_day=dropout_day)
    base = -np.log1p(-d.annual_rate) / 365.25
    e = -np.log(1.0 - _uniforms(seed, Stream.DROPOUT, patient_index, v))  # Exp(1) clocks
    gone = np.zeros(n, dtype=bool)
    days = follow_up.visit_days
    for j in range(BASELINE + 1, v):
        dt = days[j] - days[j - 1]
        h = base * np.exp(
            d.pain_log_hazard_per_10_vas * (follow_up.vas[:, j - 1] - d.vas_reference) / 10.0
        )
        leave = ~gone & (e[:, j] < h * dt)
        dropout_day[leave] = days[j - 1] + e[leave, j] / h[leave]
        gone |= leave
        attended[gone, j] = False
    return replace(follow_up, attended=attended, dropout_day=dropout_day)
