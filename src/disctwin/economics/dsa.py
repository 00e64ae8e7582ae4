"""One-way deterministic sensitivity analysis (tornado data).

Each parameter in turn is set to its low and high value, the others held at base case, and
an outcome (e.g. the incremental NMB of a strategy) recomputed. Rows are sorted by swing
``|outcome_high - outcome_low|``, the largest first: the order of a tornado diagram.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from disctwin.economics._checks import check_name, check_threshold
from disctwin.economics.cea import net_monetary_benefit
from disctwin.errors import ConfigError, Problem

__all__ = ["incremental_nmb", "one_way_dsa"]

Evaluate = Callable[[Mapping[str, float]], pd.DataFrame]
Outcome = Callable[[pd.DataFrame], float]


def incremental_nmb(strategy: str, comparator: str, threshold: float) -> Outcome:
    """An outcome for :func:`one_way_dsa`: NMB of ``strategy`` minus ``comparator``'s."""
    threshold = check_threshold("threshold", threshold)

    def outcome(summary: pd.DataFrame) -> float:
        nmb = net_monetary_benefit(summary, threshold)
        check_name("strategy", strategy, nmb.index, "a strategy of the summary")
        check_name("comparator", comparator, nmb.index, "a strategy of the summary")
        return float(nmb[strategy] - nmb[comparator])

    return outcome


def one_way_dsa(
    evaluate: Evaluate,
    base: Mapping[str, float],
    ranges: Mapping[str, tuple[float, float]],
    outcome: Outcome,
) -> pd.DataFrame:
    """Tornado data: the outcome at each parameter's low and high value.

    Args:
        evaluate: parameter set (name -> value) -> summary (``cost``, ``qaly`` per strategy).
        base: base-case parameter values.
        ranges: parameter -> (low, high), each a parameter of ``base``.
        outcome: summary -> number (e.g. :func:`incremental_nmb`).

    Returns:
        columns ``parameter, low, high, outcome_low, outcome_high, swing``, sorted by swing
        (largest first); ``attrs["base_outcome"]`` holds the base-case outcome.
    """
    base = dict(base)
    rows = []
    for name, bounds in ranges.items():
        check_name("ranges", name, base, "a parameter of the base case")
        if len(bounds) != 2 or not bounds[0] <= bounds[1]:
            raise ConfigError(Problem(f"ranges.{name}", bounds, "(low, high) with low <= high"))
        low, high = (float(b) for b in bounds)
        outcome_low = outcome(evaluate({**base, name: low}))
        outcome_high = outcome(evaluate({**base, name: high}))
        rows.append((name, low, high, outcome_low, outcome_high, abs(outcome_high - outcome_low)))
    table = pd.DataFrame(
        rows, columns=["parameter", "low", "high", "outcome_low", "outcome_high", "swing"]
    )
    table = table.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    table.attrs["base_outcome"] = float(outcome(evaluate(base)))
    return table
