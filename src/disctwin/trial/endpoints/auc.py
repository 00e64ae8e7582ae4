"""Area under the pain curve: the change from baseline integrated over follow-up.

For measure ``y`` read at baseline (day 0) and at every visit up to ``visit`` (days
``d_0 = 0 < d_1 < ... < d_K``), by the trapezoidal rule in days:

.. math::

    \\mathrm{AUC} = \\sum_{k=1}^{K} (d_k - d_{k-1})\\,
        \\frac{(y_{k-1} - y_0) + (y_k - y_0)}{2}

the area between the pain curve and the baseline held flat (the baseline area
:math:`y_0 d_K` subtracted), in measure x days (VAS mm x days). With ``per_day = true`` it
is divided by :math:`d_K`: the time-weighted mean change from baseline, in the measure's
own units, which a reader compares with a change at one visit. Lower is better (less pain
over the whole period, not only at its end); like a change endpoint it is analysed by
ANCOVA on the baseline (ICH E9: the baseline is the covariate, not part of the response),
and its truth is the mean difference of the same patients' two worlds. On
``opioid_mme`` (0 at baseline) it is the cumulative opioid exposure (MME x days).

Missing data: a patient counts when every visit up to ``visit`` was attended (complete
cases: dropout is monotone, so this is attending ``visit``), with finite values.

Reference: Matthews, Altman, Campbell & Royston (1990) BMJ 300:230, analysis of serial
measurements by summary measures (the area under the curve).
"""

from __future__ import annotations

import numpy as np

from disctwin.errors import Problem
from disctwin.trial.endpoints.base import (
    AbstractEndpoint,
    Endpoint,
    EndpointValues,
    adqs_subject_rows,
    check_visit,
    register,
)
from disctwin.trial.endpoints.followup import BASELINE, FollowUp, visit_column

__all__ = ["AreaUnderCurve", "AreaUnderCurveSettings", "area_under_change"]


class AreaUnderCurveSettings(Endpoint):
    """An area-under-the-curve endpoint: ``measure`` from baseline to ``visit``; ``per_day``
    divides the area by the days of follow-up (module docs)."""

    visit: str | None = None
    per_day: bool = False


def area_under_change(y: np.ndarray, days: np.ndarray, per_day: bool = False) -> np.ndarray:
    """Trapezoidal area of ``y - y[:, 0]`` over ``days`` (module docs).

    Args:
        y: (n, K + 1) values at baseline (column 0) and the visits after it.
        days: (K + 1,) days after baseline, ``days[0] = 0``, strictly increasing.
        per_day: divide by ``days[-1] - days[0]`` (time-weighted mean change).

    Returns:
        (n,) areas (NaN where a value is missing).

    >>> # change 0, -20, -10: 10 (0 - 20)/2 + 20 (-20 - 10)/2 = -100 - 300
    >>> area_under_change(np.array([[50.0, 30.0, 40.0]]), np.array([0.0, 10.0, 30.0]))
    array([-400.])
    """
    change = y - y[:, :1]
    area = np.sum(np.diff(days) * (change[:, 1:] + change[:, :-1]) / 2.0, axis=1)
    return area / (days[-1] - days[0]) if per_day else area


@register
class AreaUnderCurve(AbstractEndpoint):
    """Area under the change-from-baseline curve up to ``visit`` (module docs)."""

    kind = "auc"
    Settings = AreaUnderCurveSettings
    methods = ("ancova",)
    single_arm_method = "one_sample_t"
    direction = -1
    follows_measure = True
    summary = "area under the change-from-baseline curve up to the visit (per day optional)"

    def values(self, endpoint, protocol, fu: FollowUp, due_day) -> EndpointValues:
        last = visit_column(protocol, endpoint.visit)
        y = fu.measure(endpoint.measure)
        cols = slice(BASELINE, last + 1)
        area = area_under_change(y[:, cols], fu.visit_days[cols], endpoint.per_day)
        seen = fu.attended[:, cols].all(axis=1)
        available = seen & (fu.visit_days[last] <= due_day) & np.isfinite(area)
        base = y[:, BASELINE]
        return EndpointValues(np.where(available, area, np.nan), base, None, available)

    def analysis_day(self, endpoint, protocol) -> float:
        return protocol.visit_named(endpoint.visit).day

    def check(self, endpoint, protocol, field) -> list[Problem]:
        return check_visit(field, endpoint.visit, protocol)

    def adam_rows(self, endpoint, values, subjects):
        return {"adqs": adqs_subject_rows(endpoint, values, subjects, endpoint.visit)}
