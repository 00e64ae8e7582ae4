"""Budget impact: what a payer pays, year by year, when a new strategy takes a share of the
eligible patients from the current one.

A budget impact analysis (BIA) follows cash, not value: undiscounted costs in each budget
year, for the patients who switch (Sullivan SD, Mauskopf JA, Augustovski F, et al. Budget
impact analysis - principles of good practice: report of the ISPOR 2012 Budget Impact
Analysis Good Practice II Task Force. Value Health 2014;17(1):5-14).

With :math:`N_s` patients eligible to start in budget year ``s`` (1-based), uptake
:math:`u_s` (the share of them that starts the new strategy instead of the current one),
and :math:`c_k`, :math:`c'_k` the mean undiscounted cost per patient in year ``k`` after
starting (``k = 0`` holds the one-off day-0 costs: acquisition and administration) under
the new and the current strategy, the cost of the switching cohorts in year ``y`` is

.. math:: C^{new}_y = \\sum_{s \\le y} N_s u_s c_{y-s}, \\qquad
    C^{cur}_y = \\sum_{s \\le y} N_s u_s c'_{y-s},

and the budget impact is :math:`BI_y = C^{new}_y - C^{cur}_y` (patients who do not switch
cost the same in both worlds and cancel). Eligible patients are an input per year; those
treated in earlier years are not removed from later years' :math:`N_s` (give
:math:`N_s` net of them when the pool is prevalent and finite).

>>> import pandas as pd
>>> costs = pd.DataFrame({1: [1000.0, 100.0], 2: [0.0, 100.0]}, index=["new", "old"])
>>> table = budget_impact(costs, "new", "old", eligible=10, uptake=[0.5, 0.5])
>>> table["budget_impact"].tolist()
[4500.0, 4000.0]
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from disctwin.economics._checks import check_name, check_positive
from disctwin.economics.lifetime import LifetimeOutcomes
from disctwin.errors import ConfigError, Problem

__all__ = ["MAX_BUDGET_YEARS", "annual_costs", "budget_impact"]

#: Budget impact horizons are 1-5 years (ISPOR good practice: the payer's budget cycle).
MAX_BUDGET_YEARS = 5


def annual_costs(outcomes: Sequence[LifetimeOutcomes], n_years: int) -> pd.DataFrame:
    """Mean undiscounted cost per patient in each year after starting, per strategy.

    Args:
        outcomes: lifetime outcomes of each strategy (on the same patients).
        n_years: years after starting, 1 to the horizon.

    Returns:
        index ``strategy``; columns ``1..n_years`` (year after starting; year 1 includes the
        day-0 one-off costs), money per patient in the costs' currency.
    """
    if not outcomes:
        raise ConfigError(Problem("outcomes", [], "at least one strategy's outcomes"))
    rows = {o.strategy: o.cost_by_year(n_years).mean(axis=0) for o in outcomes}
    table = pd.DataFrame.from_dict(rows, orient="index", columns=range(1, n_years + 1))
    table.index.name = "strategy"
    return table


def _as_list(values: float | Sequence[float] | np.ndarray) -> list[object] | None:
    """The values of a per-year input, or None for a single number (broadcast)."""
    if isinstance(values, Sequence | np.ndarray) and not isinstance(values, str):
        return list(values)
    return None


def _per_year(
    field: str, values: float | Sequence[float] | np.ndarray, n_years: int, share: bool
) -> np.ndarray:
    allowed = "a share in [0, 1]" if share else "a number of patients >= 0"
    listed = _as_list(values)
    items: list[object] = [values] * n_years if listed is None else listed
    if len(items) != n_years:
        raise ConfigError(
            Problem(field, items, f"one value per budget year ({n_years}), each {allowed}")
        )
    out = np.empty(n_years)
    for k, value in enumerate(items):
        number = math.nan
        if isinstance(value, int | float | np.integer | np.floating) and not isinstance(
            value, bool
        ):
            number = float(value)
        if not (math.isfinite(number) and number >= 0 and (number <= 1 or not share)):
            raise ConfigError(Problem(f"{field}[{k}]", value, allowed))
        out[k] = number
    return out


def budget_impact(
    costs: pd.DataFrame,
    strategy: str,
    comparator: str,
    eligible: float | Sequence[float] | np.ndarray,
    uptake: float | Sequence[float] | np.ndarray,
    health_budget: float | None = None,
) -> pd.DataFrame:
    """Year-by-year budget impact of moving ``uptake`` of the eligible patients from
    ``comparator`` to ``strategy`` (module docs).

    Args:
        costs: :func:`annual_costs` (index strategy, columns 1..K years after starting).
        strategy: the new strategy; comparator: the one it displaces.
        eligible: patients eligible to start in each budget year (one number for all).
        uptake: share of each year's eligible patients starting ``strategy``; its length is
            the horizon, 1-5 years (one number: as many years as ``eligible``, or 1).
        health_budget: the payer's annual health spending, same currency (adds
            ``share_of_health_budget``); None: left out.

    Returns:
        one row per budget year: ``year, eligible_patients, uptake, patients_starting,
        patients_treated_cumulative, cost_with_strategy, cost_without_strategy,
        budget_impact, cumulative_budget_impact`` (and ``share_of_health_budget``).
    """
    check_name("strategy", strategy, costs.index, "a strategy of the annual costs")
    check_name("comparator", comparator, costs.index, "a strategy of the annual costs")
    if comparator == strategy:
        raise ConfigError(Problem("comparator", comparator, "a strategy other than 'strategy'"))
    n_years = _horizon(eligible, uptake)
    if n_years > costs.shape[1]:
        raise ConfigError(
            Problem("uptake", f"{n_years} years", f"at most the {costs.shape[1]} years of costs")
        )
    patients = _per_year("eligible", eligible, n_years, share=False)
    shares = _per_year("uptake", uptake, n_years, share=True)
    new = costs.loc[strategy].to_numpy(dtype=float)[:n_years]
    current = costs.loc[comparator].to_numpy(dtype=float)[:n_years]
    if not (np.all(np.isfinite(new)) and np.all(np.isfinite(current))):
        raise ConfigError(Problem("costs", "NaN or inf", "finite annual costs"))
    starting = patients * shares
    with_strategy = np.array([starting[: y + 1] @ new[y::-1] for y in range(n_years)])
    without = np.array([starting[: y + 1] @ current[y::-1] for y in range(n_years)])
    impact = with_strategy - without
    table = pd.DataFrame(
        {
            "year": np.arange(1, n_years + 1),
            "eligible_patients": patients,
            "uptake": shares,
            "patients_starting": starting,
            "patients_treated_cumulative": np.cumsum(starting),
            "cost_with_strategy": with_strategy,
            "cost_without_strategy": without,
            "budget_impact": impact,
            "cumulative_budget_impact": np.cumsum(impact),
        }
    )
    if health_budget is not None:
        budget = check_positive("health_budget", health_budget, "annual health spending > 0")
        table["share_of_health_budget"] = impact / budget
    return table


def _horizon(
    eligible: float | Sequence[float] | np.ndarray, uptake: float | Sequence[float] | np.ndarray
) -> int:
    shares, patients = _as_list(uptake), _as_list(eligible)
    n_years = len(shares) if shares is not None else len(patients) if patients is not None else 1
    if not 1 <= n_years <= MAX_BUDGET_YEARS:
        raise ConfigError(
            Problem("uptake", f"{n_years} years", f"a budget horizon of 1-{MAX_BUDGET_YEARS} years")
        )
    return n_years
