"""Time to an event, censored at the last visit attended (lower log hazard is better).

``event`` is ``further_intervention``, or ``loss_of_response``: the first visit after a
response on ``measure`` with a reduction from baseline below ``threshold`` percent. Times
are visit days: only visits known by the analysis count.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from disctwin.errors import Problem
from disctwin.trial.endpoints.base import (
    AbstractEndpoint,
    Endpoint,
    EndpointValues,
    register,
    short_code,
)
from disctwin.trial.endpoints.followup import BASELINE
from disctwin.trial.endpoints.responder import check_opioid_threshold

__all__ = ["TimeToEvent", "TimeToEventSettings"]


class TimeToEventSettings(Endpoint):
    """A time-to-event endpoint (module docs)."""

    event: Literal["further_intervention", "loss_of_response"] | None = None
    threshold: float | None = None


@register
class TimeToEvent(AbstractEndpoint):
    """Days to ``event`` (module docs)."""

    kind = "time_to_event"
    Settings = TimeToEventSettings
    methods = ("cox",)
    single_arm_method = None
    direction = -1  # log hazard ratio of failure below 0
    summary = "days to further intervention or loss of response, censored"

    def values(self, endpoint, protocol, fu, due_day) -> EndpointValues:
        e = endpoint
        n, v = fu.n_patients, fu.n_columns
        base = fu.measure(e.measure)[:, BASELINE]
        known = fu.attended & (fu.visit_days[None, :] <= due_day[:, None])
        known[:, : BASELINE + 1] = False
        cols = np.arange(v)
        last_seen = np.where(known.any(axis=1), np.where(known, cols, -1).max(axis=1), BASELINE)
        if e.event == "further_intervention":
            at = np.minimum(fu.intervention_at, v - 1)
            hit = known[np.arange(n), at] & (fu.intervention_at < v)
            event_col = np.where(hit, fu.intervention_at, v)
        else:  # loss of response: first known visit without response
            y = fu.measure(e.measure)
            with np.errstate(divide="ignore", invalid="ignore"):
                b = base[:, None]
                reduction = np.where(b > 0, 100.0 * (b - y) / b, 0)
            lost = known & (reduction < e.threshold)
            event_col = np.where(lost.any(axis=1), np.argmax(lost, axis=1), v)
        event = event_col < v
        time = np.where(
            event, fu.visit_days[np.minimum(event_col, v - 1)], fu.visit_days[last_seen]
        )
        available = last_seen > BASELINE
        available |= event
        return EndpointValues(time.astype(float), base, event.astype(float), available)

    def analysis_day(self, endpoint, protocol) -> float:
        return protocol.visit[-1].day

    def check(self, endpoint, protocol, field) -> list[Problem]:
        e = endpoint
        problems = []
        if e.measure == "opioid_mme":
            if e.event == "loss_of_response":
                problems.append(
                    Problem(
                        f"{field}.measure",
                        e.measure,
                        "vas, nrs or odi for event 'loss_of_response'",
                        "vas",
                    )
                )
            problems += check_opioid_threshold(field, e.threshold)
        if e.event is None:
            problems.append(
                Problem(f"{field}.event", None, "further_intervention or loss_of_response")
            )
        if e.event == "loss_of_response" and e.threshold is None:
            problems.append(
                Problem(f"{field}.threshold", None, "the percent reduction that defines response")
            )
        return problems

    def adam_rows(self, endpoint, values, subjects):
        """One ADTTE record per subject: AVAL days after baseline, ``CNSR`` 1 censored at
        the last visit attended; a patient lost before the first visit (not analysed,
        ``ANL01FL = "N"``) is censored at day 1 of the study (AVAL 0)."""
        analysed = values.available
        event = np.where(analysed, values.event, 0.0)
        frame = pd.DataFrame(
            {
                "USUBJID": subjects["USUBJID"].to_numpy(),
                "ARM": subjects["ARM"].to_numpy(),
                "PARAMCD": short_code(endpoint.name),
                "PARAM": f"time to {endpoint.event} (days)",
                "AVAL": np.where(analysed, values.value, 0.0),
                "CNSR": (1 - event).astype(np.int64),
                "EVNTDESC": np.where(event > 0, endpoint.event.upper(), ""),
                "CNSDTDSC": np.where(
                    event > 0,
                    "",
                    np.where(analysed, "LAST VISIT ATTENDED", "LOST BEFORE FIRST VISIT"),
                ),
                "ANL01FL": np.where(analysed, "Y", "N"),
            }
        )
        return {"adtte": frame}
