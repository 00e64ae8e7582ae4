"""Change and percent change from baseline at a visit (lower is better).

Missing values (dropout) are left out (complete cases); patients whose visit is not yet
due (interim looks) are not counted.
"""

from __future__ import annotations

import numpy as np

from disctwin.errors import Problem
from disctwin.trial.endpoints.base import (
    AbstractEndpoint,
    Endpoint,
    EndpointValues,
    check_visit,
    register,
)
from disctwin.trial.endpoints.followup import BASELINE, FollowUp, visit_column

__all__ = ["Change", "ChangeSettings", "PercentChange"]


class ChangeSettings(Endpoint):
    """A change endpoint: ``measure`` at ``visit`` against its baseline."""

    visit: str | None = None


def _change(endpoint: ChangeSettings, fu: FollowUp, column: int, percent: bool) -> np.ndarray:
    y = fu.measure(endpoint.measure)
    base = y[:, BASELINE]
    change = y[:, column] - base
    if percent:
        with np.errstate(divide="ignore", invalid="ignore"):
            change = np.where(base > 0, 100.0 * change / base, np.nan)
    return change


def _values(endpoint, protocol, fu, due_day, percent: bool) -> EndpointValues:
    col = visit_column(protocol, endpoint.visit)
    change = _change(endpoint, fu, col, percent)
    available = fu.attended[:, col] & (fu.visit_days[col] <= due_day) & np.isfinite(change)
    base = fu.measure(endpoint.measure)[:, BASELINE]
    return EndpointValues(np.where(available, change, np.nan), base, None, available)


@register
class Change(AbstractEndpoint):
    """Value at ``visit`` minus baseline of ``measure``."""

    kind = "change"
    Settings = ChangeSettings
    methods = ("ancova", "mmrm")
    single_arm_method = "one_sample_t"
    direction = -1
    follows_measure = True
    summary = "value at the visit minus baseline"
    percent = False

    def values(self, endpoint, protocol, fu, due_day) -> EndpointValues:
        return _values(endpoint, protocol, fu, due_day, percent=self.percent)

    def values_at_visit(self, endpoint, fu, column) -> np.ndarray:
        return _change(endpoint, fu, column, percent=self.percent)

    def analysis_day(self, endpoint, protocol) -> float:
        return protocol.visit_named(endpoint.visit).day

    def check(self, endpoint, protocol, field) -> list[Problem]:
        return check_visit(field, endpoint.visit, protocol)


@register
class PercentChange(Change):
    """Change in percent of baseline (missing where the baseline is 0)."""

    kind = "percent_change"
    summary = "change in percent of baseline"
    percent = True
