"""Responders at a visit (higher is better).

Response is a reduction from baseline of at least ``threshold`` percent
(``threshold_type = "percent"``) or points (``"points"``), or a value below ``threshold``
(``"below"``) or at most ``threshold`` (``"at_most"``) at the visit itself; with
``no_further_intervention`` a further intervention by then is failure. "Off all opioids at
month 12": ``measure = "opioid_mme"``, ``threshold_type = "at_most"``, ``threshold = 0``.

A missed visit (dropout) counts as non-response (non-responder imputation); patients whose
visit is not yet due (interim looks) are not counted.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from disctwin.errors import Problem, suggest
from disctwin.trial.endpoints.base import (
    AbstractEndpoint,
    Endpoint,
    EndpointValues,
    adqs_subject_rows,
    check_visit,
    register,
)
from disctwin.trial.endpoints.followup import BASELINE, FollowUp, visit_column

__all__ = ["LEVEL_THRESHOLDS", "Responder", "ResponderSettings", "responds"]

#: Responder thresholds that read the value at the visit itself (not its change).
LEVEL_THRESHOLDS = ("below", "at_most")


class ResponderSettings(Endpoint):
    """A responder endpoint (module docs)."""

    visit: str | None = None
    threshold: float | None = None
    threshold_type: Literal["percent", "points", "below", "at_most"] = "percent"
    no_further_intervention: bool = False


def responds(
    e: ResponderSettings, fu: FollowUp, col: int, due: np.ndarray, nri: bool = True
) -> np.ndarray:
    """(n,) 1.0 where the patient responds at schedule column ``col`` (and is ``due``)."""
    y = fu.measure(e.measure)
    base = y[:, BASELINE]
    now = y[:, col]
    if e.threshold_type == "percent":
        with np.errstate(divide="ignore", invalid="ignore"):
            reduction = np.where(base > 0, 100.0 * (base - now) / base, 0.0)
        resp = reduction >= e.threshold
    elif e.threshold_type == "points":
        resp = (base - now) >= e.threshold
    elif e.threshold_type == "at_most":
        resp = now <= e.threshold
    else:
        resp = now < e.threshold
    if e.no_further_intervention:
        resp &= fu.intervention_at > col
    if nri:
        resp &= fu.attended[:, col]
    return (resp & due).astype(float)


def check_opioid_threshold(field: str, threshold: float | None) -> list[Problem]:
    """Opioid use is at least 0 MME/day."""
    if threshold is not None and threshold < 0:
        return [Problem(f"{field}.threshold", threshold, ">= 0 MME/day")]
    return []


@register
class Responder(AbstractEndpoint):
    """Response at ``visit`` (module docs)."""

    kind = "responder"
    Settings = ResponderSettings
    methods = ("risk_difference", "logistic", "exact")
    single_arm_method = "exact"
    direction = +1
    summary = "response at the visit (reduction from baseline, or a level)"

    def values(self, endpoint, protocol, fu, due_day) -> EndpointValues:
        col = visit_column(protocol, endpoint.visit)
        due = fu.visit_days[col] <= due_day
        base = fu.measure(endpoint.measure)[:, BASELINE]
        imputed = due & ~fu.attended[:, col]  # non-responder imputation
        return EndpointValues(responds(endpoint, fu, col, due), base, None, due, imputed)

    def analysis_day(self, endpoint, protocol) -> float:
        return protocol.visit_named(endpoint.visit).day

    def check(self, endpoint, protocol, field) -> list[Problem]:
        e = endpoint
        problems = check_visit(field, e.visit, protocol)
        if e.threshold is None:
            problems.append(Problem(f"{field}.threshold", None, "a response threshold"))
        if e.measure == "opioid_mme":
            # no opioid is given before baseline, so reductions from baseline mean nothing
            if e.threshold_type not in LEVEL_THRESHOLDS:
                problems.append(
                    Problem(
                        f"{field}.threshold_type",
                        e.threshold_type,
                        "for measure 'opioid_mme': "
                        + ", ".join(LEVEL_THRESHOLDS)
                        + " (e.g. at_most 0: off all opioids)",
                        suggest(e.threshold_type, LEVEL_THRESHOLDS),
                    )
                )
            problems += check_opioid_threshold(field, e.threshold)
        return problems

    def adam_rows(self, endpoint, values, subjects):
        return {"adqs": adqs_subject_rows(endpoint, values, subjects, endpoint.visit, flag=True)}
