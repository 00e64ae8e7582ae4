"""Statistical analysis of a simulated trial: the estimates a statistical analysis plan names.

Pure functions on NumPy arrays or pandas frames; each returns an :class:`Estimate` (the
treatment effect, its standard error, a two-sided ``1 - alpha`` confidence interval and a
two-sided p-value) computed with statsmodels, SciPy or lifelines, so that what DiscTwin reports
is what a trial statistician would compute from the same data:

- :func:`ancova`: change from baseline adjusted for baseline (OLS).
- :func:`responder_logistic` and :func:`risk_difference`: binary responder endpoints.
- :func:`mmrm`: mixed model for repeated measures (REML, unstructured covariance by default).
- :func:`time_to_event`: Kaplan-Meier, log-rank and Cox; :func:`kaplan_meier` for the table.
- :func:`adjust_p_values` and :func:`hierarchical`: multiplicity control.

Treatment indicators are 0 (control) and 1 (treated); booleans are accepted.

References:
    ICH E9 (R1) (1998, 2019) and EMA Guideline on adjustment for baseline covariates (2015):
    ANCOVA with baseline as covariate. Mallinckrodt, Lane, Schnell, Peng, Mancuso (2008),
    Drug Inf J 42:303-319: MMRM as the primary analysis of longitudinal trials.
    Newcombe (1998), Stat Med 17:873-890: interval for a difference of proportions.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from disctwin.errors import ConfigError, Problem, suggest

__all__ = [
    "Estimate",
    "Multiplicity",
    "adjust_p_values",
    "ancova",
    "hierarchical",
    "kaplan_meier",
    "mmrm",
    "responder_logistic",
    "risk_difference",
    "time_to_event",
]

ArrayLike = Sequence[float] | np.ndarray | pd.Series


@dataclass(frozen=True)
class Estimate:
    """A treatment effect with its uncertainty.

    Attributes:
        name: what is estimated, e.g. ``"difference in change from baseline"``.
        estimate: the point estimate (treated minus control, or a log ratio).
        se: its standard error.
        ci_low, ci_high: the two-sided ``1 - alpha`` confidence interval.
        p_value: two-sided p-value of no treatment effect.
        method: the model and test, in words (covariance structure, degrees of freedom).
        n: number of patients (or observations, for per-visit data) that entered the fit.
        details: further named numbers (e.g. the hazard ratio, the arms' medians).
    """

    name: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    method: str
    n: int
    details: Mapping[str, float] = field(default_factory=dict, compare=False, hash=False)

    def to_dict(self) -> dict[str, object]:
        """Plain dictionary (``details`` flattened as ``detail_<name>``), e.g. for a table row."""
        out = asdict(self)
        details = out.pop("details")
        out.update({f"detail_{k}": v for k, v in details.items()})
        return out


@dataclass(frozen=True)
class Multiplicity:
    """Which hypotheses a multiple-testing procedure rejects.

    Attributes:
        rejected: (m,) booleans, in the order the p-values were given.
        adjusted: (m,) adjusted p-values (reject hypothesis i iff ``adjusted[i] <= alpha``).
        method: the procedure.
        alpha: the family-wise (or false discovery) rate controlled.
    """

    rejected: np.ndarray
    adjusted: np.ndarray
    method: str
    alpha: float


# ---------------------------------------------------------------------------------------------
# argument checks (all problems at once)


def _vector(name: str, values, problems: list[Problem]) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        problems.append(Problem(name, _short(values), "a one-dimensional array of numbers"))
        return np.empty(0)
    if arr.ndim != 1:
        problems.append(Problem(name, f"array of shape {arr.shape}", "a one-dimensional array"))
        return arr.reshape(-1)
    return arr


def _short(values) -> object:
    text = repr(values)
    return text if len(text) < 60 else text[:57] + "..."


def _binary(name: str, values, problems: list[Problem], allowed: str) -> np.ndarray:
    arr = _vector(name, values, problems)
    finite = arr[np.isfinite(arr)]
    if arr.size and (finite.size < arr.size or not np.isin(finite, (0.0, 1.0)).all()):
        bad = arr[~np.isin(arr, (0.0, 1.0))]
        problems.append(Problem(name, f"values {np.unique(bad)[:5].tolist()}", allowed))
    return arr


def _treatment(treated, problems: list[Problem], *, name: str = "treated") -> np.ndarray:
    return _binary(name, treated, problems, "0 (control) or 1 (treated) for every patient")


def _same_length(arrays: Mapping[str, np.ndarray], problems: list[Problem]) -> None:
    lengths = {k: len(v) for k, v in arrays.items()}
    if len(set(lengths.values())) > 1:
        first = next(iter(lengths))
        for k, n in lengths.items():
            if n != lengths[first]:
                problems.append(
                    Problem(k, f"length {n}", f"the same length as {first} ({lengths[first]})")
                )


def _both_arms(treated: np.ndarray, keep: np.ndarray, problems: list[Problem], min_n: int = 1):
    for arm, label in ((1.0, "treated"), (0.0, "control")):
        count = int(np.sum((treated == arm) & keep))
        if count < min_n:
            problems.append(
                Problem(
                    "treated",
                    f"{count} {label} patients with data",
                    f"at least {min_n} patient(s) in each arm",
                )
            )


def _alpha(alpha: float, problems: list[Problem]) -> None:
    if not (isinstance(alpha, int | float) and 0.0 < alpha < 1.0):
        problems.append(Problem("alpha", alpha, "a number strictly between 0 and 1"))


def _raise(problems: list[Problem]) -> None:
    if problems:
        raise ConfigError(problems)


def _covariate_matrix(covariates, n: int, problems: list[Problem]) -> tuple[np.ndarray, list[str]]:
    if covariates is None:
        return np.empty((n, 0)), []
    if isinstance(covariates, pd.DataFrame):
        names = [str(c) for c in covariates.columns]
        values = covariates.to_numpy(dtype=float)
    elif isinstance(covariates, Mapping):
        names = [str(k) for k in covariates]
        try:
            values = np.column_stack([np.asarray(v, dtype=float) for v in covariates.values()])
        except ValueError:
            problems.append(Problem("covariates", "columns of unequal length", f"{n} rows each"))
            return np.empty((n, 0)), []
    else:
        values = np.asarray(covariates, dtype=float)
        if values.ndim == 1:
            values = values[:, None]
        names = [f"covariate_{i}" for i in range(values.shape[1])]
    if values.ndim != 2 or values.shape[0] != n:
        problems.append(
            Problem("covariates", f"shape {values.shape}", f"{n} rows (one per patient)")
        )
        return np.empty((n, 0)), []
    return values, names


def _t_estimate(
    name: str, est: float, se: float, df: float, alpha: float, method: str, n: int, **details
) -> Estimate:
    if not (np.isfinite(se) and se > 0):
        return Estimate(name, est, se, math.nan, math.nan, math.nan, method, n, dict(details))
    q = float(stats.t.ppf(1 - alpha / 2, df) if np.isfinite(df) else stats.norm.ppf(1 - alpha / 2))
    tstat = est / se
    p = 2 * (stats.t.sf(abs(tstat), df) if np.isfinite(df) else stats.norm.sf(abs(tstat)))
    return Estimate(name, est, se, est - q * se, est + q * se, float(p), method, n, dict(details))


# ---------------------------------------------------------------------------------------------
# continuous endpoints


def ancova(
    change: ArrayLike,
    baseline: ArrayLike,
    treated: ArrayLike,
    *,
    covariates: np.ndarray | pd.DataFrame | Mapping[str, ArrayLike] | None = None,
    alpha: float = 0.05,
) -> Estimate:
    """Treatment effect on change from baseline, adjusted for baseline (ANCOVA).

    Fits by ordinary least squares (statsmodels)

        change_i = b0 + tau * treated_i + b1 * baseline_i + gamma' x_i + e_i,  e_i ~ N(0, s^2)

    and returns tau with its t-based interval and two-sided p (df = n - 3 - n_covariates).
    Patients with a missing change, baseline or covariate are left out (complete cases; ``n``
    says how many entered).

    Args:
        change: (n,) change from baseline (follow-up minus baseline).
        baseline: (n,) baseline value of the same score.
        treated: (n,) 0 or 1.
        covariates: further adjustment covariates: (n, k) array, DataFrame or name -> (n,).
        alpha: 1 - confidence level.

    Reference: EMA Guideline on adjustment for baseline covariates in clinical trials (2015);
    Senn (2006) Stat Med 25:4334 (change vs follow-up: same tau once baseline-adjusted).

    Example:
        >>> import numpy as np
        >>> b = np.array([6.0, 7, 8, 6, 7, 8]); t = np.array([0, 0, 0, 1, 1, 1])
        >>> e = ancova(np.array([-1.0, -1.5, -2.2, -3.1, -3.4, -4.3]), b, t)
        >>> round(e.estimate, 3)
        -2.033
    """
    import statsmodels.api as sm

    problems: list[Problem] = []
    y = _vector("change", change, problems)
    b = _vector("baseline", baseline, problems)
    t = _treatment(treated, problems)
    _same_length({"change": y, "baseline": b, "treated": t}, problems)
    _alpha(alpha, problems)
    _raise(problems)
    x, names = _covariate_matrix(covariates, len(y), problems)
    keep = np.isfinite(y) & np.isfinite(b) & np.isfinite(x).all(axis=1)
    _both_arms(t, keep, problems)
    if keep.sum() < 3 + x.shape[1] + 1:
        problems.append(
            Problem("change", f"{int(keep.sum())} complete patients", "more patients than terms")
        )
    _raise(problems)
    design = np.column_stack([np.ones(keep.sum()), t[keep], b[keep], x[keep]])
    fit = sm.OLS(y[keep], design).fit()
    extra = f" + {', '.join(names)}" if names else ""
    return _t_estimate(
        "difference in change from baseline (treated - control)",
        float(fit.params[1]),
        float(fit.bse[1]),
        float(fit.df_resid),
        alpha,
        f"ANCOVA: OLS of change on treatment + baseline{extra}; t-test, df={fit.df_resid:g}",
        int(keep.sum()),
        residual_sd=float(np.sqrt(fit.scale)),
    )


# ---------------------------------------------------------------------------------------------
# binary endpoints


def responder_logistic(
    responder: ArrayLike,
    treated: ArrayLike,
    *,
    baseline: ArrayLike | None = None,
    alpha: float = 0.05,
) -> Estimate:
    """Log odds ratio of response, treated vs control, by logistic regression.

    Fits ``logit P(responder_i) = b0 + beta * treated_i [+ b1 * baseline_i]`` by maximum
    likelihood (statsmodels ``Logit``); Wald interval and p for beta. When an arm has no
    responders or only responders (separation: the maximum likelihood estimate is infinite),
    the estimate is the Haldane-Anscombe log odds ratio (0.5 added to each cell) with Woolf's
    standard error and Fisher's exact p; ``method`` says so.

    Args:
        responder: (n,) 0 or 1 (missing values: left out).
        treated: (n,) 0 or 1.
        baseline: optional (n,) baseline covariate.

    Reference: Agresti (2013), Categorical Data Analysis, 3rd ed., sections 5.2 and 3.1.

    Example:
        >>> e = responder_logistic([1, 0, 0, 0, 1, 1, 1, 0], [0, 0, 0, 0, 1, 1, 1, 1])
        >>> round(e.estimate, 4)  # log(3 / (1/3)) = log 9
        2.1972
    """
    import statsmodels.api as sm

    problems: list[Problem] = []
    r = _vector("responder", responder, problems)
    r_finite = r[np.isfinite(r)]
    if r_finite.size and not np.isin(r_finite, (0.0, 1.0)).all():
        problems.append(Problem("responder", "non-binary values", "0, 1 (or missing)"))
    t = _treatment(treated, problems)
    arrays = {"responder": r, "treated": t}
    b = None
    if baseline is not None:
        b = _vector("baseline", baseline, problems)
        arrays["baseline"] = b
    _same_length(arrays, problems)
    _alpha(alpha, problems)
    _raise(problems)
    keep = np.isfinite(r) & (np.isfinite(b) if b is not None else True)
    _both_arms(t, keep, problems)
    _raise(problems)
    y, tt = r[keep], t[keep]
    n = int(keep.sum())
    cells = np.array(
        [[np.sum((tt == arm) & (y == resp)) for resp in (1, 0)] for arm in (1, 0)], dtype=float
    )
    name = "log odds ratio of response (treated / control)"
    if (cells == 0).any():
        a, bb, c, d = (cells + 0.5).ravel()
        est = math.log(a * d / (bb * c))
        se = math.sqrt(1 / a + 1 / bb + 1 / c + 1 / d)
        q = float(stats.norm.ppf(1 - alpha / 2))
        p = float(stats.fisher_exact(cells.astype(int)).pvalue)
        return Estimate(
            name,
            est,
            se,
            est - q * se,
            est + q * se,
            p,
            "separation (an arm with 0 or 100% responders): Haldane-Anscombe log OR, "
            "Woolf SE, Fisher exact p",
            n,
        )
    columns = [np.ones(n), tt] + ([b[keep]] if b is not None else [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.Logit(y, np.column_stack(columns)).fit(disp=0, maxiter=100)
    adjusted = " + baseline" if b is not None else ""
    return _t_estimate(
        name,
        float(fit.params[1]),
        float(fit.bse[1]),
        math.inf,
        alpha,
        f"logistic regression (responder ~ treatment{adjusted}); Wald z-test",
        n,
        odds_ratio=float(np.exp(fit.params[1])),
        response_rate_treated=float(y[tt == 1].mean()),
        response_rate_control=float(y[tt == 0].mean()),
    )


def _wilson(x: float, n: float, z: float) -> tuple[float, float]:
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def risk_difference(
    responder: ArrayLike,
    treated: ArrayLike,
    *,
    alpha: float = 0.05,
    method: Literal["newcombe", "wald"] = "newcombe",
) -> Estimate:
    """Difference in response rates, treated minus control.

    ``d = x1/n1 - x0/n0`` with Wald standard error ``sqrt(p1 q1 / n1 + p0 q0 / n0)``.

    - ``method="newcombe"`` (default): Newcombe's hybrid score interval (his method 10: from
      the Wilson intervals (l_i, u_i) of each arm,
      ``d - sqrt((p1 - l1)^2 + (u0 - p0)^2), d + sqrt((u1 - p1)^2 + (p0 - l0)^2)``), and the
      p-value of the pooled score z-test (Pearson's chi-square, no continuity correction).
    - ``method="wald"``: ``d -+ z SE``, Wald z-test.

    Reference: Newcombe (1998) Stat Med 17:873-890, method 10.

    Example:
        >>> e = risk_difference([1] * 56 + [0] * 14 + [1] * 48 + [0] * 32, [1] * 70 + [0] * 80)
        >>> round(e.estimate, 3), round(e.ci_low, 4), round(e.ci_high, 4)
        (0.2, 0.0524, 0.3339)
    """
    problems: list[Problem] = []
    if method not in ("newcombe", "wald"):
        problems.append(
            Problem(
                "method", method, "newcombe or wald", suggest(str(method), ("newcombe", "wald"))
            )
        )
    r = _vector("responder", responder, problems)
    r_finite = r[np.isfinite(r)]
    if r_finite.size and not np.isin(r_finite, (0.0, 1.0)).all():
        problems.append(Problem("responder", "non-binary values", "0, 1 (or missing)"))
    t = _treatment(treated, problems)
    _same_length({"responder": r, "treated": t}, problems)
    _alpha(alpha, problems)
    _raise(problems)
    keep = np.isfinite(r)
    _both_arms(t, keep, problems)
    _raise(problems)
    x1, n1 = float(r[keep & (t == 1)].sum()), float((keep & (t == 1)).sum())
    x0, n0 = float(r[keep & (t == 0)].sum()), float((keep & (t == 0)).sum())
    p1, p0 = x1 / n1, x0 / n0
    d = p1 - p0
    se = math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    z = float(stats.norm.ppf(1 - alpha / 2))
    if method == "wald":
        low, high = d - z * se, d + z * se
        p = float(2 * stats.norm.sf(abs(d) / se)) if se > 0 else math.nan
        how = "Wald interval and z-test"
    else:
        l1, u1 = _wilson(x1, n1, z)
        l0, u0 = _wilson(x0, n0, z)
        low = d - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
        high = d + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
        pooled = (x1 + x0) / (n1 + n0)
        se0 = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
        p = float(2 * stats.norm.sf(abs(d) / se0)) if se0 > 0 else 1.0
        how = "Newcombe hybrid score interval; pooled score z-test"
    return Estimate(
        "difference in response rate (treated - control)",
        d,
        se,
        low,
        high,
        p,
        how,
        int(n1 + n0),
        {"response_rate_treated": p1, "response_rate_control": p0},
    )


# ---------------------------------------------------------------------------------------------
# time to event


def _survival_inputs(time, event, problems: list[Problem]) -> tuple[np.ndarray, np.ndarray]:
    tm = _vector("time", time, problems)
    ev = _binary("event", event, problems, "1 (event) or 0 (censored) for every patient")
    if tm.size and not (np.isfinite(tm).all() and (tm >= 0).all()):
        problems.append(Problem("time", "negative or missing times", "finite times >= 0"))
    return tm, ev


def kaplan_meier(time: ArrayLike, event: ArrayLike, *, alpha: float = 0.05) -> pd.DataFrame:
    """Kaplan-Meier survival table (lifelines).

    ``S(t) = prod_{t_j <= t} (1 - d_j / n_j)`` with a pointwise ``1 - alpha`` interval from
    Greenwood's variance on the log(-log) scale (lifelines' default).

    Returns:
        DataFrame with one row per distinct time (including 0): ``time, at_risk, events,
        censored, survival, ci_low, ci_high``.

    Reference: Kaplan & Meier (1958) JASA 53:457; Greenwood (1926).

    Example:
        >>> km = kaplan_meier([1, 2, 2, 3, 4], [1, 1, 0, 1, 0])
        >>> km["survival"].round(3).tolist()
        [1.0, 0.8, 0.6, 0.3, 0.3]
    """
    from lifelines import KaplanMeierFitter

    problems: list[Problem] = []
    tm, ev = _survival_inputs(time, event, problems)
    _same_length({"time": tm, "event": ev}, problems)
    _alpha(alpha, problems)
    if tm.size == 0:
        problems.append(Problem("time", "no patients", "at least one patient"))
    _raise(problems)
    kmf = KaplanMeierFitter(alpha=alpha).fit(tm, ev)
    table = kmf.event_table
    ci = kmf.confidence_interval_survival_function_
    return pd.DataFrame(
        {
            "time": table.index.to_numpy(dtype=float),
            "at_risk": table["at_risk"].to_numpy(dtype=int),
            "events": table["observed"].to_numpy(dtype=int),
            "censored": table["censored"].to_numpy(dtype=int),
            "survival": kmf.survival_function_.iloc[:, 0].to_numpy(),
            "ci_low": ci.iloc[:, 0].to_numpy(),
            "ci_high": ci.iloc[:, 1].to_numpy(),
        }
    )


def time_to_event(
    time: ArrayLike, event: ArrayLike, treated: ArrayLike, *, alpha: float = 0.05
) -> Estimate:
    """Treatment effect on time to event: Cox log hazard ratio with the log-rank p-value.

    The estimate is the Cox proportional-hazards coefficient of treatment (log HR, Efron ties,
    lifelines ``CoxPHFitter``) with its Wald interval; the p-value is the two-sided log-rank
    test (lifelines ``logrank_test``), the usual primary test of a time-to-event endpoint.
    ``details`` holds the hazard ratio, the Cox Wald p and each arm's Kaplan-Meier median.
    With no events in one arm the hazard ratio is not estimable (the partial likelihood is
    monotone): the estimate is NaN and the log-rank p is still given.

    Reference: Cox (1972) JRSS-B 34:187; Peto & Peto (1972) JRSS-A 135:185 (log-rank).

    Example:
        >>> e = time_to_event([5, 8, 12, 20, 3, 4, 6, 9], [1, 1, 0, 1, 1, 1, 1, 0],
        ...                   [1, 1, 1, 1, 0, 0, 0, 0])
        >>> e.estimate < 0  # treated patients have events later: hazard ratio below 1
        True
    """
    from lifelines import CoxPHFitter, KaplanMeierFitter
    from lifelines.statistics import logrank_test

    problems: list[Problem] = []
    tm, ev = _survival_inputs(time, event, problems)
    t = _treatment(treated, problems)
    _same_length({"time": tm, "event": ev, "treated": t}, problems)
    _alpha(alpha, problems)
    _raise(problems)
    _both_arms(t, np.ones_like(t, dtype=bool), problems)
    if ev.size and ev.sum() == 0:
        problems.append(Problem("event", "no events", "at least one event"))
    _raise(problems)
    on = t == 1
    logrank = logrank_test(tm[on], tm[~on], ev[on], ev[~on])
    events = {"events_treated": float(ev[on].sum()), "events_control": float(ev[~on].sum())}
    if min(events.values()) == 0:
        # monotone likelihood: the Cox estimate runs to +-infinity, so no hazard ratio is
        # reported; the log-rank test is still valid
        nan = float("nan")
        return Estimate(
            "log hazard ratio (treated / control)",
            nan,
            nan,
            nan,
            nan,
            float(logrank.p_value),
            "no events in one arm: hazard ratio not estimable (monotone likelihood); "
            "log-rank test p-value",
            len(tm),
            {"logrank_statistic": float(logrank.test_statistic), **events},
        )
    frame = pd.DataFrame({"time": tm, "event": ev, "treated": t})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cox = CoxPHFitter(alpha=alpha).fit(frame, duration_col="time", event_col="event")
    coef = float(cox.params_["treated"])
    se = float(cox.standard_errors_["treated"])
    z = float(stats.norm.ppf(1 - alpha / 2))
    medians = {
        f"median_{label}": float(KaplanMeierFitter().fit(tm[mask], ev[mask]).median_survival_time_)
        for label, mask in (("treated", on), ("control", ~on))
    }
    return Estimate(
        "log hazard ratio (treated / control)",
        coef,
        se,
        coef - z * se,
        coef + z * se,
        float(logrank.p_value),
        "Cox proportional hazards (Efron ties) for the hazard ratio; log-rank test p-value",
        len(tm),
        {
            "hazard_ratio": math.exp(coef),
            "cox_wald_p": float(cox.summary.loc["treated", "p"]),
            "logrank_statistic": float(logrank.test_statistic),
            **events,
            **medians,
        },
    )


# ---------------------------------------------------------------------------------------------
# multiplicity

_MULTIPLICITY = {
    "holm": "holm",
    "hochberg": "simes-hochberg",
    "bonferroni": "bonferroni",
    "fdr_bh": "fdr_bh",
}


def _p_vector(p_values, problems: list[Problem]) -> np.ndarray:
    p = _vector("p_values", p_values, problems)
    if p.size == 0:
        problems.append(Problem("p_values", "empty", "at least one p-value"))
    elif not (np.isfinite(p).all() and ((p >= 0) & (p <= 1)).all()):
        problems.append(Problem("p_values", _short(p_values), "numbers in [0, 1]"))
    return p


def adjust_p_values(
    p_values: ArrayLike, method: str = "holm", *, alpha: float = 0.05
) -> Multiplicity:
    """Adjusted p-values and rejections controlling the family-wise error (or the FDR).

    Methods (statsmodels ``multipletests``): ``holm`` (step-down, Holm 1979), ``hochberg``
    (step-up, Hochberg 1988; needs independence or positive dependence), ``bonferroni``
    (``min(1, m p)``), ``fdr_bh`` (Benjamini & Hochberg 1995, false discovery rate).

    Example:
        >>> adjust_p_values([0.01, 0.04, 0.03], "holm").adjusted.round(2).tolist()
        [0.03, 0.06, 0.06]
    """
    from statsmodels.stats.multitest import multipletests

    problems: list[Problem] = []
    if method not in _MULTIPLICITY:
        problems.append(
            Problem("method", method, ", ".join(_MULTIPLICITY), suggest(str(method), _MULTIPLICITY))
        )
    p = _p_vector(p_values, problems)
    _alpha(alpha, problems)
    _raise(problems)
    rejected, adjusted, _, _ = multipletests(p, alpha=alpha, method=_MULTIPLICITY[method])
    return Multiplicity(np.asarray(rejected, dtype=bool), np.asarray(adjusted), method, alpha)


def hierarchical(p_values: ArrayLike, alpha: float = 0.05) -> Multiplicity:
    """Fixed-sequence (hierarchical) gatekeeping: test in the given order at full ``alpha``.

    Hypothesis i is rejected iff ``p_1, ..., p_i <= alpha``; testing stops at the first
    non-rejection. Adjusted p-values are the running maxima ``max(p_1, ..., p_i)``. Controls
    the family-wise error rate strongly without splitting alpha, at the price of the order.

    Reference: Maurer, Hothorn & Lehmacher (1995); Westfall & Krishen (2001) JSPI 99:25.

    Example:
        >>> hierarchical([0.01, 0.2, 0.001], 0.05).rejected.tolist()
        [True, False, False]
    """
    problems: list[Problem] = []
    p = _p_vector(p_values, problems)
    _alpha(alpha, problems)
    _raise(problems)
    adjusted = np.maximum.accumulate(p)
    return Multiplicity(adjusted <= alpha, adjusted, "fixed-sequence", alpha)


# ---------------------------------------------------------------------------------------------
# mixed model for repeated measures

_COVARIANCES = ("unstructured", "compound_symmetry", "ar1")


@dataclass(frozen=True)
class _Patterns:
    """Sufficient statistics of the data by pattern of observed visits.

    For subject i with visits O observed, ``X_i = z_i' (x) E_O`` (one intercept, treatment and
    baseline coefficient per visit), so ``sum_i X_i' S_O^-1 X_i = (sum z_i z_i') (x) E_O' S_O^-1
    E_O``: a likelihood evaluation costs O(patterns), whatever the number of subjects.
    """

    observed: list[np.ndarray]  # visit indices per pattern
    zz: list[np.ndarray]  # (q, q)
    zy: list[np.ndarray]  # (q, |O|)
    yy: list[np.ndarray]  # (|O|, |O|)
    count: list[int]
    n_visits: int
    n_terms: int  # q
    n_obs: int


def _patterns(y: np.ndarray, z: np.ndarray) -> _Patterns:
    mask = np.isfinite(y)
    keys, inverse = np.unique(mask, axis=0, return_inverse=True)
    observed, zz, zy, yy, count = [], [], [], [], []
    for k, key in enumerate(keys):
        if not key.any():
            continue
        rows = inverse.ravel() == k
        obs = np.flatnonzero(key)
        yo = y[np.ix_(rows, obs)]
        zo = z[rows]
        observed.append(obs)
        zz.append(zo.T @ zo)
        zy.append(zo.T @ yo)
        yy.append(yo.T @ yo)
        count.append(int(rows.sum()))
    return _Patterns(observed, zz, zy, yy, count, y.shape[1], z.shape[1], int(mask.sum()))


def _covariance(theta: np.ndarray, structure: str, v: int) -> np.ndarray:
    if structure == "unstructured":
        chol = np.zeros((v, v))
        chol[np.tril_indices(v)] = theta
        chol[np.diag_indices(v)] = np.exp(np.diag(chol))
        return chol @ chol.T
    if structure == "compound_symmetry":
        return np.exp(theta[0]) * np.ones((v, v)) + np.exp(theta[1]) * np.eye(v)
    lag = np.abs(np.subtract.outer(np.arange(v), np.arange(v)))
    return np.exp(theta[0]) * np.tanh(theta[1]) ** lag


def _gls(theta: np.ndarray, structure: str, pat: _Patterns):
    """Return (-2 REML log-likelihood, beta, (X' V^-1 X)^-1) at covariance parameters theta."""
    v, q = pat.n_visits, pat.n_terms
    sigma = _covariance(theta, structure, v)
    xtx = np.zeros((q * v, q * v))
    xty = np.zeros(q * v)
    yty = 0.0
    logdet = 0.0
    for obs, zz, zy, yy, count in zip(pat.observed, pat.zz, pat.zy, pat.yy, pat.count, strict=True):
        s = sigma[np.ix_(obs, obs)]
        try:
            chol = np.linalg.cholesky(s)
        except np.linalg.LinAlgError:
            return math.inf, None, None
        s_inv = np.linalg.inv(s)
        a = np.zeros((v, v))
        a[np.ix_(obs, obs)] = s_inv
        xtx += np.kron(zz, a)
        b = np.zeros((q, v))
        b[:, obs] = zy @ s_inv
        xty += b.ravel()
        yty += float(np.sum(s_inv * yy))
        logdet += count * 2.0 * float(np.log(np.diag(chol)).sum())
    try:
        chol_x = np.linalg.cholesky(xtx)
    except np.linalg.LinAlgError:
        return math.inf, None, None
    cov_beta = np.linalg.inv(xtx)
    beta = cov_beta @ xty
    rss = yty - float(beta @ xty)
    p = q * v
    minus2 = logdet + 2.0 * float(np.log(np.diag(chol_x)).sum()) + rss
    minus2 += (pat.n_obs - p) * math.log(2 * math.pi)
    return minus2, beta, cov_beta


def _start(y: np.ndarray, z: np.ndarray, structure: str) -> np.ndarray:
    """Starting covariance parameters from per-visit OLS residuals (pairwise moments)."""
    v = y.shape[1]
    resid = np.full_like(y, np.nan)
    for j in range(v):
        ok = np.isfinite(y[:, j])
        coef, *_ = np.linalg.lstsq(z[ok], y[ok, j], rcond=None)
        resid[ok, j] = y[ok, j] - z[ok] @ coef
    cov = pd.DataFrame(resid).cov(min_periods=2).to_numpy()
    var = np.nan_to_num(np.diag(cov), nan=1.0)
    var = np.where(var > 0, var, 1.0)
    if structure == "unstructured":
        cov = np.where(np.isfinite(cov), cov, 0.0)
        w, vec = np.linalg.eigh(cov)
        cov = (vec * np.maximum(w, 1e-3 * var.mean())) @ vec.T
        chol = np.linalg.cholesky(cov)
        chol[np.diag_indices(v)] = np.log(np.diag(chol))
        return chol[np.tril_indices(v)]
    total = float(var.mean())
    off = cov[~np.eye(v, dtype=bool)]
    rho = float(np.clip(np.nanmean(off) / total if off.size else 0.3, 0.05, 0.9))
    if structure == "compound_symmetry":
        return np.log([rho * total, (1 - rho) * total])
    return np.array([math.log(total), math.atanh(rho)])


def _hessian(f, x: np.ndarray, step: float = 1e-4) -> np.ndarray:
    m = x.size
    h = np.zeros((m, m))
    for i in range(m):
        for j in range(i, m):
            ei = np.eye(m)[i] * step
            ej = np.eye(m)[j] * step
            h[i, j] = h[j, i] = (
                f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)
            ) / (4 * step * step)
    return h


def mmrm(
    frame: pd.DataFrame,
    *,
    subject: str = "subject",
    visit: str = "visit",
    treated: str = "treated",
    baseline: str = "baseline",
    response: str = "change",
    at_visit: object | None = None,
    alpha: float = 0.05,
    covariance: Literal["unstructured", "compound_symmetry", "ar1"] = "unstructured",
    df: Literal["satterthwaite", "residual"] = "satterthwaite",
) -> Estimate:
    """Treatment difference at one visit from a mixed model for repeated measures (MMRM).

    Model (one row per subject and visit; visits as a factor):

        y_ij = mu_j + tau_j treated_i + beta_j baseline_i + e_ij,   e_i ~ N(0, Sigma)

    fitted by restricted maximum likelihood (REML) with ``Sigma`` unstructured (default; the
    regulatory standard), compound symmetric (random intercept: ``s_b^2 J + s^2 I``) or AR(1)
    over visit order. Missing responses are left out (valid under missing at random). Returns
    ``tau_j`` at ``at_visit`` (default: the last visit) with a t interval whose degrees of
    freedom are Satterthwaite's (as in SAS PROC MIXED ``ddfm=satterthwaite`` and R ``mmrm``) or,
    with ``df="residual"``, subjects minus terms per visit (faster).

    statsmodels' ``MixedLM`` has no unstructured residual covariance, so the REML likelihood
    is written here, ``-2 l_R = sum_i log|S_i| + log|X'S^-1 X| + r'S^-1 r + (N - p) log 2pi``,
    and minimised over the log-Cholesky factor of ``Sigma`` (BFGS). With no missing data and
    an unstructured ``Sigma``, the estimate and standard error equal the ANCOVA at that visit
    (identical regressors per visit: GLS = OLS); with compound symmetry it equals statsmodels
    ``MixedLM`` with a random intercept (both checked by tests).

    Args:
        frame: long data: one row per subject and visit.
        subject, visit, treated, baseline, response: column names; ``treated`` and
            ``baseline`` must be constant within a subject. Visits are ordered by their
            values (numbers, e.g. weeks) or by the categories of an ordered Categorical.
        at_visit: the visit whose treatment difference is returned.
        covariance: ``unstructured``, ``compound_symmetry`` or ``ar1``.
        df: ``satterthwaite`` or ``residual``.

    Reference: Mallinckrodt et al. (2008) Drug Inf J 42:303; Satterthwaite (1946);
    Laird & Ware (1982) Biometrics 38:963 (REML for longitudinal data).

    Example:
        >>> import pandas as pd
        >>> rows = [(s, v, s % 2, 6.0 + s % 3, -1.0 - 2 * (s % 2) * v / 2 + 0.1 * (s * v % 5))
        ...         for s in range(20) for v in (1, 2)]
        >>> data = pd.DataFrame(rows, columns=["subject", "visit", "treated", "baseline", "change"])
        >>> round(mmrm(data).estimate, 3)  # no missing data: equals the ANCOVA at visit 2
        -2.004
    """
    names = (subject, visit, treated, baseline, response)
    _mmrm_arguments(frame, names, covariance, df, alpha)
    y, t, b, visits, at_visit = _mmrm_wide(frame, names, at_visit)
    v = len(visits)
    z = np.column_stack([np.ones(len(t)), t, b])
    q = z.shape[1]
    pat = _patterns(y, z)

    def objective(theta):
        value = _gls(theta, covariance, pat)[0]
        return value if np.isfinite(value) else 1e300

    theta0 = _start(y, z, covariance)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = optimize.minimize(objective, theta0, method="BFGS", options={"gtol": 1e-6})
    theta = fit.x
    minus2, beta, cov_beta = _gls(theta, covariance, pat)
    j = visits.index(at_visit)
    column = 1 * v + j  # coefficient blocks: intercepts, treatment effects, baseline slopes
    estimate = float(beta[column])
    se = float(np.sqrt(cov_beta[column, column]))
    n_subjects = int(np.isfinite(y).any(axis=1).sum())
    residual_df = float(n_subjects - q)
    dof = residual_df
    how_df = f"residual df={residual_df:g}"
    if df == "satterthwaite":
        dof = _satterthwaite(theta, covariance, pat, column, objective)
        if np.isfinite(dof):
            how_df = f"Satterthwaite df={dof:.1f}"
        else:
            dof = residual_df
            how_df = f"residual df={residual_df:g} (Satterthwaite unavailable: boundary fit)"
    labels = {
        "unstructured": "unstructured",
        "compound_symmetry": "compound symmetry (random intercept)",
        "ar1": "AR(1)",
    }
    return _t_estimate(
        f"difference in {response} at visit {at_visit} (treated - control)",
        estimate,
        se,
        dof,
        alpha,
        f"MMRM (REML): visit, treatment-by-visit, baseline-by-visit; {labels[covariance]} "
        f"covariance; t-test, {how_df}",
        n_subjects,
        minus2_reml_loglik=float(minus2),
        # BFGS on finite differences often ends with "precision loss" at the optimum; judge
        # convergence by the gradient of -2 l_R instead.
        converged=float(fit.success or np.max(np.abs(fit.jac)) < 1e-3),
    )


def _mmrm_arguments(frame, names: tuple[str, ...], covariance: str, df: str, alpha: float):
    """The problems of :func:`mmrm`'s arguments (columns, covariance, df, alpha), raised."""
    problems: list[Problem] = []
    if not isinstance(frame, pd.DataFrame):
        raise ConfigError(Problem("frame", type(frame).__name__, "a pandas DataFrame"))
    keys = ("subject", "visit", "treated", "baseline", "response")
    for key, col in zip(keys, names, strict=True):
        if col not in frame.columns:
            problems.append(
                Problem(
                    key,
                    col,
                    f"a column of frame: {', '.join(map(str, frame.columns))}",
                    suggest(str(col), [str(c) for c in frame.columns]),
                )
            )
    if covariance not in _COVARIANCES:
        problems.append(
            Problem(
                "covariance",
                covariance,
                ", ".join(_COVARIANCES),
                suggest(str(covariance), _COVARIANCES),
            )
        )
    if df not in ("satterthwaite", "residual"):
        problems.append(Problem("df", df, "satterthwaite or residual"))
    _alpha(alpha, problems)
    _raise(problems)


def _mmrm_wide(frame: pd.DataFrame, names: tuple[str, ...], at_visit):
    """:func:`mmrm`'s long data as (n, V) responses, (n,) treatment and baseline, the
    ordered visits and the visit reported; raises on data it cannot fit."""
    subject, visit, treated, baseline, response = names
    problems: list[Problem] = []
    data = frame[[subject, visit, treated, baseline, response]].copy()
    present = set(data[visit].dropna().unique().tolist())
    if isinstance(data[visit].dtype, pd.CategoricalDtype) and data[visit].cat.ordered:
        visits = [v for v in data[visit].cat.categories if v in present]
        data[visit] = data[visit].astype(object)
    else:
        visits = sorted(present)
    if at_visit is None:
        at_visit = visits[-1] if visits else None
    elif at_visit not in visits:
        problems.append(Problem("at_visit", at_visit, f"one of the visits {visits}"))
    per_subject = data.groupby(subject, sort=True)
    for col, key in ((treated, "treated"), (baseline, "baseline")):
        varying = per_subject[col].nunique(dropna=False) > 1
        if varying.any():
            problems.append(
                Problem(
                    key, f"differs within subject {varying.idxmax()!r}", "one value per subject"
                )
            )
    if data.duplicated([subject, visit]).any():
        problems.append(Problem("visit", "repeated (subject, visit) rows", "one row per visit"))
    _raise(problems)
    subjects = per_subject.first()
    t = _treatment(subjects[treated].to_numpy(), problems)
    _raise(problems)
    wide = data.pivot(index=subject, columns=visit, values=response).reindex(
        index=subjects.index, columns=visits
    )
    y = wide.to_numpy(dtype=float)
    b = subjects[baseline].to_numpy(dtype=float)
    if not np.isfinite(b).all():
        keep = np.isfinite(b)
        y, t, b = y[keep], t[keep], b[keep]
    q = 3  # regressors per visit: intercept, treatment, baseline
    for j, name in enumerate(visits):
        seen = np.isfinite(y[:, j])
        for arm, label in ((1, "treated"), (0, "control")):
            if np.sum(seen & (t == arm)) < 2:
                problems.append(
                    Problem("visit", name, f"at least 2 {label} patients observed at each visit")
                )
        if seen.sum() < q + 1:
            problems.append(Problem("visit", name, f"more than {q} patients observed"))
    _raise(problems)
    return y, t, b, visits, at_visit


def _satterthwaite(theta, structure, pat, column, objective) -> float:
    """Satterthwaite df: 2 (c'Cc)^2 / (g' A g), A = asymptotic covariance of theta (REML)."""

    def variance(th):
        cov = _gls(th, structure, pat)[2]
        return math.nan if cov is None else float(cov[column, column])

    step = 1e-5
    grad = np.array(
        [
            (variance(theta + step * e) - variance(theta - step * e)) / (2 * step)
            for e in np.eye(theta.size)
        ]
    )
    hess = _hessian(objective, theta)
    try:
        w = np.linalg.eigvalsh(hess)
        if w.min() <= 1e-8 * max(w.max(), 1.0):
            return math.nan
        acov = 2.0 * np.linalg.inv(hess)  # -2 l_R: information is half its Hessian
    except np.linalg.LinAlgError:
        return math.nan
    denominator = float(grad @ acov @ grad)
    if not (np.isfinite(denominator) and denominator > 0):
        return math.nan
    return 2.0 * variance(theta) ** 2 / denominator
