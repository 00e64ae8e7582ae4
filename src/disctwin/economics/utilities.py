"""Health-state utility from back-pain measures, by published mapping.

A linear mapping predicts utility :math:`u = \\beta_0 + \\sum_k \\beta_k x_k` from measures
``x_k`` (ODI 0-100, pain NRS 0-10), capped at 1 (full health) and floored at the
instrument's worst state. Coefficients are data (``data/utility_mappings.toml``), passed in
as a :class:`UtilityMapping`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from disctwin.economics._checks import as_finite_array
from disctwin.errors import ConfigError, Problem

__all__ = ["UtilityMapping", "map_utility"]

#: Input ranges of the measures mappings use.
INPUT_RANGES: dict[str, tuple[float, float]] = {
    "odi": (0.0, 100.0),
    "leg_pain": (0.0, 10.0),
    "back_pain": (0.0, 10.0),
}


@dataclass(frozen=True)
class UtilityMapping:
    """A published linear mapping to utility.

    Attributes:
        name: identifier; target: the utility instrument and value set.
        intercept, coefficients: the linear predictor (per unit of each input).
        rmse: residual root-mean-square error reported with the fit.
        floor: lowest value returned (default: no floor below the linear predictor).
        source: where the coefficients come from.
    """

    name: str
    target: str
    intercept: float
    coefficients: Mapping[str, float]
    rmse: float
    source: str
    floor: float = -np.inf


def map_utility(mapping: UtilityMapping, **measures: np.ndarray | float) -> np.ndarray:
    """Utility predicted by ``mapping`` from the named measures (arrays broadcast).

    Example:
        >>> m = UtilityMapping("m", "EQ-5D", 0.97711,
        ...                    {"odi": -0.00687, "leg_pain": -0.01488, "back_pain": -0.01008},
        ...                    0.149, "Carreon 2014")
        >>> round(float(map_utility(m, odi=40, leg_pain=5, back_pain=6)), 5)
        0.56743
    """
    missing = sorted(set(mapping.coefficients) - set(measures))
    extra = sorted(set(measures) - set(mapping.coefficients))
    if missing or extra:
        raise ConfigError(
            Problem("measures", sorted(measures), f"exactly {sorted(mapping.coefficients)}")
        )
    prediction = np.asarray(mapping.intercept, dtype=float)
    for name, beta in mapping.coefficients.items():
        values = as_finite_array(name, measures[name])
        low, high = INPUT_RANGES.get(name, (-np.inf, np.inf))
        if np.any(values < low) or np.any(values > high):
            raise ConfigError(
                Problem(
                    name,
                    float(values.max() if np.any(values > high) else values.min()),
                    f"values in [{low}, {high}]",
                )
            )
        prediction = prediction + beta * values
    return np.clip(prediction, mapping.floor, 1.0)
