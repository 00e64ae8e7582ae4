"""Follow-up data, intercurrent events, endpoints and their analysis.

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

Missing data: change endpoints use the patients with the visit (complete cases);
responder and composite endpoints count a missed visit as non-response (non-responder
imputation). Patients whose endpoint visit is not yet due (interim looks) are not counted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
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
from disctwin.streams import Stream, patient_generator
from disctwin.trial.protocol import Endpoint, Protocol

__all__ = [
    "BASELINE",
    "EndpointValues",
    "FollowUp",
    "analyse_endpoint",
    "apply_dropout",
    "apply_intercurrent_events",
    "endpoint_truth",
    "endpoint_values",
    "exact_response_rate",
    "favourable",
    "visit_column",
]

#: Column of the baseline measurement in per-visit arrays (0 is screening).
BASELINE = 1


def visit_column(protocol: Protocol, visit: str) -> int:
    """The schedule column of a named visit (columns: screening, baseline, then the visits)."""
    return 2 + [v.name for v in protocol.visit].index(visit)


@dataclass(frozen=True)
class FollowUp:
    """Outcomes of n patients over the V = 2 + n_visits schedule columns.

    Attributes:
        vas, nrs, odi: (n, V) reported values (after rescue medication).
        opioid_mme: (n, V) opioid taken at each visit, morphine milligram equivalents per day
            (the model observable ``opioid_daily_mme``: opioid drug given by the regimen; 0 =
            off all opioids).
        visit_days: (V,) days relative to baseline (screening negative).
        attended: (n, V) True where the visit took place (dropout removes later visits).
        rescue_from: (n,) first column whose values are under rescue medication (V: never).
        intervention_at: (n,) column of the visit with a further intervention (V: never).
        dropout_day: (n,) day (after baseline) of dropout; NaN for completers.
    """

    vas: np.ndarray
    nrs: np.ndarray
    odi: np.ndarray
    visit_days: np.ndarray
    attended: np.ndarray
    rescue_from: np.ndarray
    intervention_at: np.ndarray
    dropout_day: np.ndarray
    opioid_mme: np.ndarray

    def measure(self, name: str) -> np.ndarray:
        """(n, V) values of a measure (:data:`disctwin.trial.protocol.MEASURES`)."""
        return {
            "vas": self.vas,
            "nrs": self.nrs,
            "odi": self.odi,
            "opioid_mme": self.opioid_mme,
        }[name]

    @property
    def n_columns(self) -> int:
        return len(self.visit_days)


def _uniforms(seed: int, stream: Stream, index: np.ndarray, n_draws: int) -> np.ndarray:
    out = np.empty((len(index), n_draws))
    for row, i in enumerate(index):
        out[row] = patient_generator(seed, stream, int(i)).random(n_draws)
    return out


def apply_intercurrent_events(
    protocol: Protocol,
    vas: np.ndarray,
    nrs: np.ndarray,
    odi: np.ndarray,
    visit_days: np.ndarray,
    seed: int,
    patient_index: np.ndarray,
    opioid_mme: np.ndarray | None = None,
) -> FollowUp:
    """Rescue medication and further interventions on complete (no dropout) data.

    ``opioid_mme`` (n, V): opioid taken at each visit (MME/day; None: no opioid given).
    Rescue medication lowers reported pain only; it is not counted as opioid use."""
    n, v = vas.shape
    opioid = np.zeros((n, v)) if opioid_mme is None else np.asarray(opioid_mme, dtype=float)
    rescue_from = np.full(n, v, dtype=np.int64)
    vas, nrs, odi = vas.astype(float).copy(), nrs.astype(float).copy(), odi.astype(float).copy()
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
        vas,
        nrs,
        odi,
        np.asarray(visit_days, dtype=float),
        np.ones((n, v), dtype=bool),
        rescue_from,
        intervention_at,
        np.full(n, np.nan),
        opioid.copy(),
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


@dataclass(frozen=True)
class EndpointValues:
    """One endpoint for n patients.

    Attributes:
        value: (n,) change, percent change or 0/1 response; time (days) for time to event.
        baseline: (n,) baseline of the endpoint's measure.
        event: (n,) 1 event, 0 censored (time to event only; else None).
        available: (n,) the patient counts in the analysis (visit due; for change endpoints
            also attended).
    """

    value: np.ndarray
    baseline: np.ndarray
    event: np.ndarray | None
    available: np.ndarray


def _responder(
    e: Endpoint, fu: FollowUp, col: int, due: np.ndarray, nri: bool = True
) -> np.ndarray:
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


def endpoint_values(
    protocol: Protocol, endpoint: Endpoint, fu: FollowUp, due_day: np.ndarray | None = None
) -> EndpointValues:
    """The endpoint for every patient.

    Args:
        due_day: (n,) the last day (after each patient's baseline) whose data are known;
            None for the final analysis (all data).
    """
    n = fu.vas.shape[0]
    due_day = np.full(n, np.inf) if due_day is None else np.asarray(due_day, dtype=float)

    e = endpoint
    base = fu.measure(e.measure)[:, BASELINE]
    if e.kind in ("change", "percent_change"):
        col = visit_column(protocol, e.visit)
        y = fu.measure(e.measure)
        change = y[:, col] - base
        if e.kind == "percent_change":
            with np.errstate(divide="ignore", invalid="ignore"):
                change = np.where(base > 0, 100.0 * change / base, np.nan)
        available = fu.attended[:, col] & (fu.visit_days[col] <= due_day) & np.isfinite(change)
        return EndpointValues(np.where(available, change, np.nan), base, None, available)
    if e.kind == "responder":
        col = visit_column(protocol, e.visit)
        due = fu.visit_days[col] <= due_day
        return EndpointValues(_responder(e, fu, col, due), base, None, due)
    if e.kind == "composite":
        comps = [protocol.endpoint_named(c) for c in e.components]
        cols = [visit_column(protocol, c.visit) for c in comps]
        due = fu.visit_days[max(cols)] <= due_day
        ok = np.ones(n, dtype=bool)
        for c, col in zip(comps, cols, strict=True):
            ok &= _responder(c, fu, col, due) > 0
        if e.no_further_intervention:
            ok &= fu.intervention_at > max(cols)
        return EndpointValues((ok & due).astype(float), base, None, due)
    # time to event, over the post-baseline visits known by due_day
    v = fu.n_columns
    known = fu.attended & (fu.visit_days[None, :] <= due_day[:, None])
    known[:, : BASELINE + 1] = False
    cols = np.arange(v)
    last_seen = np.where(known.any(axis=1), np.where(known, cols, -1).max(axis=1), BASELINE)
    if e.event == "further_intervention":
        event_col = np.where(
            known[np.arange(n), np.minimum(fu.intervention_at, v - 1)] & (fu.intervention_at < v),
            fu.intervention_at,
            v,
        )
    else:  # loss of response: first known visit without response
        y = fu.measure(e.measure)
        with np.errstate(divide="ignore", invalid="ignore"):
            reduction = np.where(base[:, None] > 0, 100.0 * (base[:, None] - y) / base[:, None], 0)
        lost = known & (reduction < e.threshold)
        event_col = np.where(lost.any(axis=1), np.argmax(lost, axis=1), v)
    event = event_col < v
    time = np.where(event, fu.visit_days[np.minimum(event_col, v - 1)], fu.visit_days[last_seen])
    available = last_seen > BASELINE
    available |= event
    return EndpointValues(time.astype(float), base, event.astype(float), available)


def favourable(endpoint: Endpoint, estimate: float) -> bool:
    """True when an effect estimate (treatment minus control) favours the treatment."""
    if endpoint.kind == "time_to_event":
        return estimate < 0  # log hazard ratio of failure below 0
    if endpoint.lower_is_better:
        return estimate < 0
    return estimate > 0


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


def analyse_endpoint(
    protocol: Protocol,
    endpoint: Endpoint,
    values: EndpointValues,
    treated: np.ndarray,
    *,
    follow_up: FollowUp | None = None,
    covariates: dict[str, np.ndarray] | None = None,
    alpha: float | None = None,
) -> Estimate:
    """The protocol's analysis of one endpoint for one comparison (``treated`` 0/1 among
    the patients of the two arms; all arrays restricted to those patients)."""
    alpha = protocol.analysis.alpha if alpha is None else alpha
    try:
        return _analyse(protocol, endpoint, values, treated, follow_up, covariates, alpha)
    except ConfigError as err:
        # a simulated trial may leave an analysis without data (no events, one arm empty):
        # that is a result ("not estimable"), not a crash
        nan = float("nan")
        reason = "; ".join(str(p) for p in err.problems)
        n = int(values.available.sum())
        return Estimate(endpoint.name, nan, nan, nan, nan, nan, f"not estimable: {reason}", n)


def _analyse(protocol, endpoint, values, treated, follow_up, covariates, alpha) -> Estimate:
    keep = values.available
    method = endpoint.method
    if method == "ancova":
        cov = None
        if covariates:
            cov = {k: v[keep] for k, v in covariates.items()}
        return ancova(
            values.value[keep], values.baseline[keep], treated[keep], covariates=cov, alpha=alpha
        )
    if method == "mmrm":
        return _mmrm(protocol, endpoint, follow_up, values, treated, alpha)
    if method == "risk_difference":
        return risk_difference(values.value[keep], treated[keep], alpha=alpha)
    if method == "logistic":
        return responder_logistic(
            values.value[keep], treated[keep], baseline=values.baseline[keep], alpha=alpha
        )
    if method == "cox":
        return time_to_event(values.value[keep], values.event[keep], treated[keep], alpha=alpha)
    raise ValueError(f"analysis {method!r} needs a single-arm design")


def _mmrm(protocol, endpoint, fu, values, treated, alpha) -> Estimate:
    import pandas as pd

    names = [v.name for v in protocol.visit]
    last = names.index(endpoint.visit)
    y = fu.measure(endpoint.measure)
    base = y[:, BASELINE]
    rows = []
    for j in range(last + 1):
        col = 2 + j
        change = y[:, col] - base
        if endpoint.kind == "percent_change":
            change = np.where(base > 0, 100.0 * change / base, np.nan)
        ok = fu.attended[:, col] & np.isfinite(change)
        for i in np.flatnonzero(ok):
            rows.append((int(i), j, int(treated[i]), float(base[i]), float(change[i])))
    frame = pd.DataFrame(rows, columns=["subject", "visit", "treated", "baseline", "change"])
    return mmrm(frame, at_visit=last, alpha=alpha)


def endpoint_truth(
    endpoint: Endpoint, treated_world: EndpointValues, control_world: EndpointValues
) -> float:
    """The estimand in the enrolled patients: the same patients' endpoint under the two
    arms' regimens, without dropout (noise-matched: both worlds carry the same measurement
    noise). Difference in means for change and risk difference, log odds ratio of the two
    marginal rates for logistic analyses; for time to event the Cox log hazard ratio of the
    two worlds' times (each patient once per world; 0 when both worlds are identical, NaN
    otherwise without events in a world)."""
    if endpoint.kind == "time_to_event":
        ok = treated_world.available & control_world.available
        same = np.array_equal(treated_world.value[ok], control_world.value[ok], equal_nan=True)
        if same and np.array_equal(treated_world.event[ok], control_world.event[ok]):
            return 0.0  # identical potential outcomes: no effect, with or without events
        times = np.concatenate([treated_world.value[ok], control_world.value[ok]])
        events = np.concatenate([treated_world.event[ok], control_world.event[ok]])
        arm = np.repeat([1.0, 0.0], int(ok.sum()))
        try:
            return float(time_to_event(times, events, arm).estimate)
        except ConfigError:  # no patients or no events: no hazard ratio
            return float("nan")
    t, c = treated_world.value, control_world.value
    ok = np.isfinite(t) & np.isfinite(c)
    if endpoint.method == "logistic":
        pt, pc = np.mean(t[ok]), np.mean(c[ok])
        if not (0 < pt < 1 and 0 < pc < 1):
            return float("nan")
        return float(np.log(pt / (1 - pt)) - np.log(pc / (1 - pc)))
    return float(np.mean(t[ok] - c[ok]))
