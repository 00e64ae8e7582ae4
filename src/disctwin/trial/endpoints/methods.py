"""The analysis methods a protocol endpoint names, each a thin door to :mod:`disctwin.stats`.

A method takes the endpoint values of the patients analysed (:class:`AnalysisData`) and
returns an :class:`~disctwin.stats.analysis.Estimate`; it also says what its estimand is
in two worlds of the same patients (:meth:`AbstractMethod.truth`), so that the truth is
on the scale of the estimate (a mean difference, a log odds ratio, a log hazard ratio).

======================  =====================================  ===========================
method                  estimate                               truth (the two worlds)
======================  =====================================  ===========================
``ancova``              change ~ treatment + baseline [+ cov]  mean difference
``mmrm``                repeated changes, unstructured         mean difference
``risk_difference``     difference of response rates           difference of rates
``logistic``            log odds ratio (+ baseline)            log OR of the marginal rates
``cox``                 log hazard ratio (log-rank p)          Cox log HR of the twins
``exact``               single-arm rate vs the null rate       (the treated world's rate)
``one_sample_t``        single-arm mean change vs 0            (the treated world's mean)
======================  =====================================  ===========================
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import binomtest

from disctwin.errors import ConfigError
from disctwin.stats.analysis import (
    Estimate,
    ancova,
    mmrm,
    responder_logistic,
    risk_difference,
    time_to_event,
)
from disctwin.trial.endpoints.base import (
    METHODS,
    AbstractMethod,
    AnalysisData,
    Endpoint,
    EndpointValues,
    endpoint_kind,
    register_method,
)
from disctwin.trial.endpoints.change import ChangeSettings
from disctwin.trial.endpoints.followup import BASELINE, visit_column

__all__ = ["analyse_endpoint", "exact_response_rate"]


@register_method
class Ancova(AbstractMethod):
    """ANCOVA of the endpoint on treatment and its measure's baseline (and the protocol's
    covariates)."""

    name = "ancova"

    def analyse(self, data: AnalysisData) -> Estimate:
        keep, v = data.keep, data.values
        cov = {k: x[keep] for k, x in data.covariates.items()} if data.covariates else None
        return ancova(
            v.value[keep], v.baseline[keep], data.arms[keep], covariates=cov, alpha=data.alpha
        )


@register_method
class Mmrm(AbstractMethod):
    """MMRM of the endpoint at every visit up to its own (the kind's value at each visit)."""

    name = "mmrm"

    def analyse(self, data: AnalysisData) -> Estimate:
        e, fu, protocol = data.endpoint, data.follow_up, data.protocol
        if not isinstance(e, ChangeSettings) or e.visit is None or fu is None:
            raise ValueError(f"analysis {self.name!r} needs a change at a visit and the follow-up")
        treated = data.arms
        kind = endpoint_kind(e)
        last = [v.name for v in protocol.visit].index(e.visit)
        base = fu.measure(e.measure)[:, BASELINE]
        rows = []
        for j in range(last + 1):
            col = visit_column(protocol, protocol.visit[j].name)
            value = kind.values_at_visit(e, fu, col)
            ok = fu.attended[:, col] & np.isfinite(value)
            for i in np.flatnonzero(ok):
                rows.append((int(i), j, int(treated[i]), float(base[i]), float(value[i])))
        columns = ["subject", "visit", "treated", "baseline", "change"]
        return mmrm(pd.DataFrame(rows, columns=columns), at_visit=last, alpha=data.alpha)


@register_method
class RiskDifference(AbstractMethod):
    """Difference of response rates (Newcombe interval)."""

    name = "risk_difference"

    def analyse(self, data: AnalysisData) -> Estimate:
        keep = data.keep
        return risk_difference(data.values.value[keep], data.arms[keep], alpha=data.alpha)


@register_method
class Logistic(AbstractMethod):
    """Logistic regression of response on treatment and baseline: the log odds ratio."""

    name = "logistic"

    def analyse(self, data: AnalysisData) -> Estimate:
        keep, v = data.keep, data.values
        return responder_logistic(
            v.value[keep], data.arms[keep], baseline=v.baseline[keep], alpha=data.alpha
        )

    def truth(self, treated: EndpointValues, control: EndpointValues) -> float:
        """Log odds ratio of the two worlds' marginal response rates."""
        t, c = treated.value, control.value
        ok = np.isfinite(t) & np.isfinite(c)
        pt, pc = np.mean(t[ok]), np.mean(c[ok])
        if not (0 < pt < 1 and 0 < pc < 1):
            return float("nan")
        return float(np.log(pt / (1 - pt)) - np.log(pc / (1 - pc)))


@register_method
class Cox(AbstractMethod):
    """Cox proportional hazards (Efron ties): the log hazard ratio, with the log-rank p."""

    name = "cox"

    def analyse(self, data: AnalysisData) -> Estimate:
        keep, v = data.keep, data.values
        return time_to_event(v.value[keep], v.events[keep], data.arms[keep], alpha=data.alpha)

    def truth(self, treated: EndpointValues, control: EndpointValues) -> float:
        """Cox log hazard ratio of the two worlds' times (each patient once per world; 0
        when both worlds are identical, NaN otherwise without events in a world)."""
        ok = treated.available & control.available
        same = np.array_equal(treated.value[ok], control.value[ok], equal_nan=True)
        if same and np.array_equal(treated.events[ok], control.events[ok]):
            return 0.0  # identical potential outcomes: no effect, with or without events
        times = np.concatenate([treated.value[ok], control.value[ok]])
        events = np.concatenate([treated.events[ok], control.events[ok]])
        arm = np.repeat([1.0, 0.0], int(ok.sum()))
        try:
            return float(time_to_event(times, events, arm).estimate)
        except ConfigError:  # no patients or no events: no hazard ratio
            return float("nan")


def exact_response_rate(responder: np.ndarray, null_rate: float, alpha: float) -> Estimate:
    """Response rate with its exact (Clopper-Pearson) interval and the exact binomial test
    against ``null_rate`` (two-sided), for single-arm cohorts.

    Reference: Clopper & Pearson (1934) Biometrika 26:404; SciPy ``binomtest``.
    """
    r = np.asarray(responder, dtype=float)
    r = r[np.isfinite(r)]
    k, n = int(r.sum()), len(r)
    if n == 0:
        nan = float("nan")
        return Estimate("response rate", nan, nan, nan, nan, nan, "exact binomial", 0)
    test = binomtest(k, n, null_rate)
    ci = test.proportion_ci(confidence_level=1 - alpha, method="exact")
    p = k / n
    return Estimate(
        "response rate",
        p,
        float(np.sqrt(p * (1 - p) / n)),
        float(ci.low),
        float(ci.high),
        float(test.pvalue),
        f"exact binomial (Clopper-Pearson interval; test vs {null_rate:g})",
        n,
    )


@register_method
class Exact(AbstractMethod):
    """Single-arm response rate: exact binomial test against the protocol's null rate."""

    name = "exact"

    def analyse(self, data: AnalysisData) -> Estimate:
        if data.treated is not None:
            raise ValueError(f"analysis {self.name!r} needs a single-arm design")
        p = data.protocol.analysis
        return exact_response_rate(data.values.value[data.keep], p.null_response_rate, data.alpha)

    def null(self, protocol) -> float:
        return protocol.analysis.null_response_rate


@register_method
class OneSampleT(AbstractMethod):
    """Single-arm mean of the endpoint: one-sample t-test against no change."""

    name = "one_sample_t"

    def analyse(self, data: AnalysisData) -> Estimate:
        if data.treated is not None:
            raise ValueError(f"analysis {self.name!r} needs a single-arm design")
        x = data.values.value[data.keep]
        test = stats.ttest_1samp(x, 0.0)
        ci = test.confidence_interval(1 - data.alpha)
        return Estimate(
            "mean change",
            float(np.mean(x)),
            float(stats.sem(x)),
            float(ci.low),
            float(ci.high),
            float(test.pvalue),
            "one-sample t",
            len(x),
        )


def analyse_endpoint(
    protocol,
    endpoint: Endpoint,
    values: EndpointValues,
    treated: np.ndarray | None,
    *,
    follow_up=None,
    covariates: dict[str, np.ndarray] | None = None,
    alpha: float | None = None,
    method: str | None = None,
) -> Estimate:
    """The protocol's analysis of one endpoint for one comparison (``treated`` 0/1 among
    the patients of the two arms; all arrays restricted to those patients), or of a
    single-arm cohort (``treated`` None, ``method`` the kind's single-arm method).

    A simulated trial may leave an analysis without data (no events, one arm empty): that
    is a result ("not estimable"), not a crash.
    """
    alpha = protocol.analysis.alpha if alpha is None else alpha
    data = AnalysisData(protocol, endpoint, values, treated, follow_up, covariates, alpha)
    try:
        return METHODS[method or endpoint.method]().analyse(data)
    except ConfigError as err:
        nan = float("nan")
        reason = "; ".join(str(p) for p in err.problems)
        n = int(values.available.sum())
        return Estimate(endpoint.name, nan, nan, nan, nan, nan, f"not estimable: {reason}", n)
