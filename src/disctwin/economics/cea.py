"""Cost-effectiveness of many strategies: ICERs with dominance, net benefit, value-based price.

:func:`calculate_icers` follows the usual efficiency-frontier algorithm (as dampack's
``calculate_icers``; Drummond et al., *Methods for the Economic Evaluation of Health Care
Programmes*, 4th ed., OUP 2015, ch. 4):

1. order strategies by cost (ties: more effective first);
2. **strong dominance** (``"D"``): a strategy is dominated when another costs no more and
   yields at least as many QALYs;
3. **extended dominance** (``"ED"``): among the rest, ordered by cost, a strategy whose ICER
   against the previous one exceeds the next strategy's ICER is dominated by a mix of its
   neighbours; removed, and repeated until the ICERs increase along the frontier;
4. ICERs of the non-dominated strategies (``"ND"``) against the previous one on the frontier.

Net monetary benefit :math:`NMB = \\lambda E - C`; net health benefit
:math:`NHB = E - C / \\lambda`.

The **value-based (threshold) price** of strategy ``T`` at threshold :math:`\\lambda` is the
price ``P`` at which ``T`` just has the highest NMB: with :math:`C_{T,0}` its cost at price 0
and ``u`` the discounted units bought per patient,

.. math:: P^* = \\frac{\\lambda E_T - C_{T,0} - \\max_{j \\ne T} (\\lambda E_j - C_j)}{u}.

Against a single comparator this is the price at which the ICER equals :math:`\\lambda`.
The **headroom** :math:`u P^*` is the most a payer could spend on the therapy per patient
(Cosh E, et al. Int J Technol Assess Health Care 2007;23(4):449-456).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from disctwin.economics._checks import check_name, check_positive, check_price, check_threshold
from disctwin.errors import ConfigError, Problem

__all__ = [
    "ValueBasedPrice",
    "calculate_icers",
    "net_health_benefit",
    "net_monetary_benefit",
    "value_based_price",
    "with_price",
]

#: Dominance statuses of :func:`calculate_icers`.
STATUS = {"ND": "non-dominated", "D": "strongly dominated", "ED": "extendedly dominated"}


def _summary(summary: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("cost", "qaly") if c not in summary.columns]
    if missing:
        raise ConfigError(
            Problem(
                "summary",
                list(summary.columns),
                "columns 'cost' and 'qaly', one row per strategy (index: strategy name)",
            )
        )
    values = summary[["cost", "qaly"]].to_numpy(dtype=float)
    if not np.all(np.isfinite(values)):
        raise ConfigError(Problem("summary", "NaN or inf", "finite costs and QALYs"))
    if summary.index.has_duplicates or len(summary) == 0:
        raise ConfigError(
            Problem("summary.index", list(summary.index), "unique strategy names, at least one")
        )
    return summary


def calculate_icers(summary: pd.DataFrame) -> pd.DataFrame:
    """ICER table with strong and extended dominance.

    Args:
        summary: one row per strategy (index: strategy name) with columns ``cost`` and
            ``qaly`` (e.g. :attr:`CohortResult.summary`).

    Returns:
        DataFrame with columns ``strategy, cost, qaly, incremental_cost, incremental_qaly,
        icer, status``: the frontier first (by cost; the first row has NaN increments),
        then the dominated strategies by cost. ``status`` is ``"ND"``, ``"D"`` or ``"ED"``.

    Example:
        >>> s = pd.DataFrame({"cost": [0.0, 10.0, 5.0], "qaly": [0.0, 1.0, 0.1]},
        ...                  index=pd.Index(["a", "b", "c"], name="strategy"))
        >>> calculate_icers(s)["status"].tolist()
        ['ND', 'ND', 'ED']
    """
    summary = _summary(summary)
    names = list(summary.index)
    cost = summary["cost"].to_numpy(dtype=float)
    qaly = summary["qaly"].to_numpy(dtype=float)
    order = sorted(range(len(names)), key=lambda i: (cost[i], -qaly[i]))
    status = {i: "ND" for i in order}
    best_qaly = -np.inf
    for i in order:  # cheaper-or-equal strategies come first, so one pass finds dominance
        if qaly[i] <= best_qaly:
            status[i] = "D"
        best_qaly = max(best_qaly, qaly[i])
    frontier = [i for i in order if status[i] == "ND"]
    changed = True
    while changed and len(frontier) > 2:
        changed = False
        icers = [(cost[b] - cost[a]) / (qaly[b] - qaly[a]) for a, b in itertools.pairwise(frontier)]
        for k in range(len(icers) - 1):
            if icers[k] > icers[k + 1]:
                status[frontier[k + 1]] = "ED"
                del frontier[k + 1]
                changed = True
                break
    rows = []
    for position, i in enumerate(frontier):
        previous = frontier[position - 1] if position else None
        d_cost = cost[i] - cost[previous] if previous is not None else np.nan
        d_qaly = qaly[i] - qaly[previous] if previous is not None else np.nan
        rows.append((names[i], cost[i], qaly[i], d_cost, d_qaly, d_cost / d_qaly, "ND"))
    for i in order:
        if status[i] != "ND":
            rows.append((names[i], cost[i], qaly[i], np.nan, np.nan, np.nan, status[i]))
    columns = ["strategy", "cost", "qaly", "incremental_cost", "incremental_qaly", "icer", "status"]
    return pd.DataFrame(rows, columns=columns)


def net_monetary_benefit(summary: pd.DataFrame, threshold: float) -> pd.Series:
    """:math:`\\lambda E - C` per strategy (money per person)."""
    threshold = check_threshold("threshold", threshold)
    summary = _summary(summary)
    return (threshold * summary["qaly"] - summary["cost"]).rename("nmb")


def net_health_benefit(summary: pd.DataFrame, threshold: float) -> pd.Series:
    """:math:`E - C / \\lambda` per strategy (QALYs per person); threshold > 0."""
    threshold = check_positive("threshold", threshold, "a threshold > 0 (money per QALY)")
    summary = _summary(summary)
    return (summary["qaly"] - summary["cost"] / threshold).rename("nhb")


@dataclass(frozen=True)
class ValueBasedPrice:
    """The threshold price of a strategy.

    Attributes:
        strategy: the priced strategy.
        threshold: willingness to pay per QALY.
        price: price per unit at which the strategy's NMB equals the best alternative's
            (negative: not cost-effective even if free).
        headroom: ``price * units``, the most that could be spent on it per patient.
        units: discounted units bought per patient.
        binding_comparator: the alternative with the highest NMB.
    """

    strategy: str
    threshold: float
    price: float
    headroom: float
    units: float
    binding_comparator: str


def value_based_price(
    summary: pd.DataFrame,
    strategy: str,
    threshold: float,
    units: float = 1.0,
    comparators: Sequence[str] | None = None,
) -> ValueBasedPrice:
    """Price per unit at which ``strategy`` is cost-effective at ``threshold``.

    Args:
        summary: costs and QALYs per strategy; ``strategy``'s cost is its cost at price 0.
        strategy: the priced strategy.
        threshold: willingness to pay per QALY, >= 0.
        units: discounted units bought per patient (1 for a one-time therapy at t = 0).
        comparators: the alternatives (default: every other strategy in ``summary``).
    """
    summary = _summary(summary)
    strategy = check_name("strategy", strategy, summary.index, "a strategy of the summary")
    threshold = check_threshold("threshold", threshold)
    units = check_positive("units", units, "discounted units per patient, > 0")
    others = (
        [s for s in summary.index if s != strategy]
        if comparators is None
        else [
            check_name("comparators", c, summary.index, "a strategy of the summary")
            for c in comparators
        ]
    )
    others = [s for s in others if s != strategy]
    if not others:
        raise ConfigError(Problem("comparators", comparators, "at least one other strategy"))
    nmb = net_monetary_benefit(summary, threshold)
    binding = str(nmb.loc[others].idxmax())
    headroom = float(nmb.loc[strategy] - nmb.loc[binding])
    return ValueBasedPrice(strategy, threshold, headroom / units, headroom, units, binding)


def with_price(
    summary: pd.DataFrame, strategy: str, price: float, units: float = 1.0
) -> pd.DataFrame:
    """``summary`` with ``price * units`` added to ``strategy``'s cost (price >= 0)."""
    summary = _summary(summary)
    strategy = check_name("strategy", strategy, summary.index, "a strategy of the summary")
    price = check_price("price", price)
    units = check_positive("units", units, "discounted units per patient, > 0")
    priced = summary.copy()
    priced.loc[strategy, "cost"] = priced["cost"].loc[strategy] + price * units
    return priced
