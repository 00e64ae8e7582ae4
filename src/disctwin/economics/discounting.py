"""Discounting and within-cycle correction.

Two ways to turn an annual rate ``r`` into weights, and a choice of how rewards recorded at
cycle boundaries ``t = 0, 1, ..., n`` (the rows of a cohort trace) are integrated over the
cycles between them.

Discount factor of time ``t`` years:

* ``"continuous"`` (default): :math:`(1 + r)^{-t} = e^{-\\delta t}`, with the continuous
  rate :math:`\\delta = \\ln(1 + r)`; exact for any cycle length and for event times.
* ``"per_period"``: :math:`(1 + r\\,\\Delta)^{-k}` at cycle ``k`` of length ``Δ`` years,
  the convention of the DARTH tutorials (Alarid-Escudero et al. 2023, MDM 43:3-20); equal to
  the continuous form when ``Δ = 1``.

Within-cycle correction (weights on the ``n + 1`` boundary values, in cycles):

* ``"start"``: 1 on ``t = 0..n-1`` (rewards at cycle start); ``"end"``: 1 on ``t = 1..n``;
* ``"half_cycle"``: the half-cycle correction, 1/2 at both ends and 1 between (the
  trapezoidal rule); exact for linear streams;
* ``"simpson"``: composite Simpson 1/3 rule (1/3, 4/3, 2/3, ..., 4/3, 1/3) with a Simpson
  3/8 panel at the end when ``n`` is odd; exact for cubics (Elbasha & Chhatwal 2016, MDM
  36:115-131, doi:10.1177/0272989X15585121);
* ``"all"``: 1 on every boundary (``n + 1`` cycles counted; no correction);
* ``"darth_2023"``: 1/3 at both ends, 2/3 at odd and 4/3 at even ``t`` (counting from 0);
  the weights that produced the published Sick-Sicker table of Alarid-Escudero et al.
  2023. Not composite Simpson (which puts 4/3 on odd ``t``): offered to reproduce that
  table, not as a recommendation.
* an explicit sequence of ``n + 1`` weights.

>>> import numpy as np
>>> discount_factors(np.array([0.0, 1.0, 2.0]), 0.035).round(4).tolist()
[1.0, 0.9662, 0.9335]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from disctwin.economics._checks import as_finite_array, check_discount_rate, check_name
from disctwin.errors import ConfigError, Problem

__all__ = [
    "DISCOUNT_METHODS",
    "WITHIN_CYCLE_METHODS",
    "Discounting",
    "discount_factors",
    "discounted_flow",
    "present_value",
    "within_cycle_weights",
]

DiscountMethod = Literal["continuous", "per_period"]
WithinCycleMethod = Literal["start", "end", "half_cycle", "simpson", "all", "darth_2023"]

#: Discounting methods, by name.
DISCOUNT_METHODS: tuple[str, ...] = ("continuous", "per_period")
#: Named within-cycle corrections.
WITHIN_CYCLE_METHODS: tuple[str, ...] = (
    "start",
    "end",
    "half_cycle",
    "simpson",
    "all",
    "darth_2023",
)


@dataclass(frozen=True)
class Discounting:
    """How costs and effects are discounted and integrated over cycles.

    Attributes:
        rate_costs: annual discount rate of costs, a fraction in [0, 0.2] (NICE 0.035).
        rate_effects: annual discount rate of QALYs and life years, in [0, 0.2].
        method: ``"continuous"`` or ``"per_period"`` (see the module docstring).
        within_cycle: a named within-cycle correction, or explicit weights (length n + 1).

    Raises:
        ConfigError: a rate outside [0, 0.2], an unknown method or correction.
    """

    rate_costs: float = 0.03
    rate_effects: float = 0.03
    method: DiscountMethod = "continuous"
    within_cycle: WithinCycleMethod | tuple[float, ...] = "half_cycle"

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalise the validated values in place
        set_(self, "rate_costs", check_discount_rate("discounting.rate_costs", self.rate_costs))
        set_(
            self, "rate_effects", check_discount_rate("discounting.rate_effects", self.rate_effects)
        )
        check_name("discounting.method", self.method, DISCOUNT_METHODS, "a discount method")
        if isinstance(self.within_cycle, str):
            check_name(
                "discounting.within_cycle",
                self.within_cycle,
                WITHIN_CYCLE_METHODS,
                "a within-cycle method",
            )
        else:
            weights = as_finite_array("discounting.within_cycle", self.within_cycle, 1)
            set_(self, "within_cycle", tuple(float(w) for w in weights))


def discount_factors(
    times: np.ndarray | Sequence[float],
    rate: float,
    method: DiscountMethod = "continuous",
    cycle_length: float = 1.0,
) -> np.ndarray:
    """Discount factors at ``times`` (years from the start).

    ``continuous``: :math:`(1 + r)^{-t}`; ``per_period``: :math:`(1 + r\\Delta)^{-t/\\Delta}`.

    Args:
        times: shape (n,), years, >= 0.
        rate: annual rate in [0, 0.2].
        method: ``"continuous"`` or ``"per_period"``.
        cycle_length: years per cycle (only used by ``per_period``).

    Returns:
        shape (n,), factors in (0, 1].
    """
    rate = check_discount_rate("rate", rate)
    check_name("method", method, DISCOUNT_METHODS, "a discount method")
    t = as_finite_array("times", times)
    if np.any(t < 0):
        raise ConfigError(Problem("times", float(t.min()), "times >= 0 (years from start)"))
    if method == "continuous":
        return np.power(1.0 + rate, -t)
    return np.power(1.0 + rate * cycle_length, -t / cycle_length)


def discounted_flow(
    rate_per_year: float | np.ndarray,
    start: float | np.ndarray,
    stop: float | np.ndarray,
    rate: float,
) -> np.ndarray:
    """Present value of a constant flow from ``start`` to ``stop`` years (continuous time).

    .. math:: \\int_{t_0}^{t_1} c\\,(1+r)^{-s}\\,ds = c\\,\\frac{(1+r)^{-t_0} - (1+r)^{-t_1}}
        {\\ln(1+r)}

    (``c (t_1 - t_0)`` when ``r = 0``). Broadcasts over arrays (per-patient sojourns).
    """
    rate = check_discount_rate("rate", rate)
    c = np.asarray(rate_per_year, dtype=float)
    t0 = np.asarray(start, dtype=float)
    t1 = np.asarray(stop, dtype=float)
    if rate == 0.0:
        return c * (t1 - t0)
    delta = np.log1p(rate)
    return c * (np.exp(-delta * t0) - np.exp(-delta * t1)) / delta


def within_cycle_weights(
    n_cycles: int, method: WithinCycleMethod | Sequence[float] = "half_cycle"
) -> np.ndarray:
    """Weights (in cycles) on the ``n_cycles + 1`` boundary values of a trace.

    Returns:
        shape (n_cycles + 1,). The weights of ``start``, ``end``, ``half_cycle`` and
        ``simpson`` sum to ``n_cycles``.
    """
    if isinstance(n_cycles, bool) or not isinstance(n_cycles, int | np.integer) or n_cycles < 1:
        raise ConfigError(Problem("n_cycles", n_cycles, "an integer >= 1"))
    n = int(n_cycles)
    if not isinstance(method, str):
        weights = as_finite_array("within_cycle", method, 1)
        if weights.shape != (n + 1,):
            raise ConfigError(
                Problem(
                    "within_cycle", f"{weights.size} weights", f"{n + 1} weights (n_cycles + 1)"
                )
            )
        return weights
    check_name("within_cycle", method, WITHIN_CYCLE_METHODS, "a within-cycle method")
    weights = np.ones(n + 1)
    if method == "start":
        weights[-1] = 0.0
    elif method == "end":
        weights[0] = 0.0
    elif method == "half_cycle":
        weights[[0, -1]] = 0.5
    elif method == "simpson":
        weights = _simpson_weights(n)
    elif method == "darth_2023":
        t = np.arange(n + 1)
        weights = np.where(t % 2 == 1, 2.0 / 3.0, 4.0 / 3.0)
        weights[[0, -1]] = 1.0 / 3.0
    return weights


def _simpson_weights(n: int) -> np.ndarray:
    if n == 1:
        return np.array([0.5, 0.5])
    weights = np.zeros(n + 1)
    n_simpson = n if n % 2 == 0 else n - 3  # an odd count ends with one 3/8 panel
    for k in range(0, n_simpson, 2):
        weights[k : k + 3] += np.array([1.0, 4.0, 1.0]) / 3.0
    if n_simpson != n:
        weights[n - 3 :] += np.array([3.0, 9.0, 9.0, 3.0]) / 8.0
    return weights


def present_value(
    stream: np.ndarray | Sequence[float],
    rate: float,
    timing: Literal["start", "end"] = "end",
    cycle_length: float = 1.0,
    method: DiscountMethod = "continuous",
) -> float:
    """Present value of amounts paid once per period.

    ``stream[k]`` is paid at the start (``t = k Δ``) or end (``t = (k + 1) Δ``) of period k.
    For a constant amount ``c`` over ``n`` annual periods paid at the end this is the
    annuity :math:`c\\,(1 - (1 + r)^{-n}) / r`.
    """
    amounts = as_finite_array("stream", stream, 1)
    check_name("timing", timing, ("start", "end"), "a payment timing")
    k = np.arange(amounts.size) + (1 if timing == "end" else 0)
    return float(amounts @ discount_factors(k * cycle_length, rate, method, cycle_length))
