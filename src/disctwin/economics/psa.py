"""Probabilistic sensitivity analysis and value of information.

A PSA draws ``K`` parameter sets from their distributions, evaluates the decision model on
each, and keeps the (K, J) arrays of costs and effects of the ``J`` strategies. The draws
come from a ``numpy.random.Generator`` passed in: same seed, same PSA.

With net benefit :math:`NB_{kj} = \\lambda E_{kj} - C_{kj}`:

* **CEAC**: :math:`P(j \\text{ optimal}) = \\frac1K \\sum_k 1[j = \\arg\\max_i NB_{ki}]`;
  at :math:`\\lambda = 0` it is the probability of being the cheapest.
* **CEAF**: at each threshold, the strategy with the highest *expected* NB and its CEAC
  value (Fenwick E, Claxton K, Sculpher M. Health Econ 2001;10:779-787).
* **EVPI**: :math:`\\frac1K\\sum_k \\max_j NB_{kj} - \\max_j \\frac1K\\sum_k NB_{kj} \\ge 0`
  per person; 0 when one strategy wins in every draw.
* **EVPPI** of a parameter group :math:`\\phi`: :math:`E_\\phi[\\max_j E(NB_j|\\phi)] -
  \\max_j E(NB_j)`, with :math:`E(NB_j|\\phi)` estimated by regressing the incremental NB
  on a polynomial basis of :math:`\\phi` (regression-based EVPPI: Strong M, Oakley JE,
  Brennan A. Med Decis Making 2014;34(3):311-326, doi:10.1177/0272989X13505910, who use
  GAM or Gaussian-process smoothers; a full polynomial of low degree is a simpler smoother
  of the same kind).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, cast

import numpy as np
import pandas as pd

from disctwin.economics._checks import as_finite_array, check_name, check_threshold
from disctwin.errors import ConfigError, Problem

__all__ = [
    "Beta",
    "Distribution",
    "Fixed",
    "Gamma",
    "LogNormal",
    "Normal",
    "PSAResult",
    "Uniform",
    "ceac",
    "ceaf",
    "evpi",
    "evppi",
    "run_psa",
    "sample_parameters",
]


@dataclass(frozen=True)
class Gamma:
    """Gamma(shape, scale): mean ``shape * scale`` (costs, rates)."""

    shape: float
    scale: float

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.gamma(self.shape, self.scale, n)


@dataclass(frozen=True)
class Beta:
    """Beta(a, b): mean ``a / (a + b)`` (utilities, probabilities)."""

    a: float
    b: float

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.beta(self.a, self.b, n)


@dataclass(frozen=True)
class LogNormal:
    """exp(Normal(meanlog, sdlog)) (hazard and rate ratios)."""

    meanlog: float
    sdlog: float

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.lognormal(self.meanlog, self.sdlog, n)


@dataclass(frozen=True)
class Normal:
    """Normal(mean, sd)."""

    mean: float
    sd: float

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.normal(self.mean, self.sd, n)


@dataclass(frozen=True)
class Uniform:
    """Uniform(low, high)."""

    low: float
    high: float

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, n)


@dataclass(frozen=True)
class Fixed:
    """A constant (no uncertainty)."""

    value: float

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, float(self.value))


Distribution = Gamma | Beta | LogNormal | Normal | Uniform | Fixed


def sample_parameters(
    distributions: Mapping[str, Distribution], n_draws: int, rng: np.random.Generator
) -> pd.DataFrame:
    """(n_draws, n_parameters) draws, one column per parameter, in mapping order.

    Each parameter gets its own child stream spawned from ``rng`` in mapping order, so a
    parameter's draws do not depend on the number of draws of the others.
    """
    if isinstance(n_draws, bool) or not isinstance(n_draws, int | np.integer) or n_draws < 1:
        raise ConfigError(Problem("n_draws", n_draws, "an integer >= 1"))
    if not isinstance(rng, np.random.Generator):
        raise ConfigError(Problem("rng", type(rng).__name__, "a numpy.random.Generator"))
    streams = rng.spawn(len(distributions))
    columns = {}
    for (name, distribution), stream in zip(distributions.items(), streams, strict=True):
        if not hasattr(distribution, "draw"):
            raise ConfigError(
                Problem(
                    f"distributions.{name}",
                    distribution,
                    "Gamma, Beta, LogNormal, Normal, Uniform or Fixed",
                )
            )
        columns[name] = distribution.draw(stream, int(n_draws))
    return pd.DataFrame(columns)


@dataclass(frozen=True)
class PSAResult:
    """Costs and effects of every strategy in every PSA draw.

    Attributes:
        strategies: strategy names (J).
        parameters: (K, P) parameter draws.
        costs: (K, J) discounted cost per person.
        effects: (K, J) discounted QALYs per person.
    """

    strategies: tuple[str, ...]
    parameters: pd.DataFrame
    costs: np.ndarray
    effects: np.ndarray

    def __post_init__(self) -> None:
        k, j = len(self.parameters), len(self.strategies)
        for name in ("costs", "effects"):
            array = as_finite_array(f"psa.{name}", getattr(self, name), 2)
            if array.shape != (k, j):
                raise ConfigError(
                    Problem(
                        f"psa.{name}",
                        f"shape {array.shape}",
                        f"shape ({k}, {j}): draws x strategies",
                    )
                )

    def net_benefit(self, threshold: float) -> np.ndarray:
        """(K, J) net monetary benefit at ``threshold``."""
        threshold = check_threshold("threshold", threshold)
        return threshold * np.asarray(self.effects) - np.asarray(self.costs)

    def summary(self) -> pd.DataFrame:
        """Mean cost and QALYs per strategy over the draws (index ``strategy``)."""
        return pd.DataFrame(
            {"cost": np.mean(self.costs, axis=0), "qaly": np.mean(self.effects, axis=0)},
            index=pd.Index(self.strategies, name="strategy"),
        )


def run_psa(
    evaluate: Callable[[Mapping[str, float]], pd.DataFrame], parameters: pd.DataFrame
) -> PSAResult:
    """Evaluate a decision model on every row of ``parameters``.

    Args:
        evaluate: maps one parameter set (name -> value) to a summary with columns
            ``cost`` and ``qaly``, one row per strategy, same strategies every time.
        parameters: (K, P) draws, e.g. from :func:`sample_parameters`.
    """
    costs, effects, strategies = [], [], None
    for row in parameters.to_dict(orient="records"):
        summary = evaluate(cast(Mapping[str, float], row))  # columns: parameter names
        names = tuple(summary.index)
        if strategies is None:
            strategies = names
        elif names != strategies:
            raise ConfigError(Problem("evaluate", names, f"the same strategies {strategies}"))
        costs.append(summary["cost"].to_numpy(dtype=float))
        effects.append(summary["qaly"].to_numpy(dtype=float))
    if strategies is None:
        raise ConfigError(Problem("parameters", "no rows", "at least one draw"))
    return PSAResult(
        strategies, parameters.reset_index(drop=True), np.array(costs), np.array(effects)
    )


def _thresholds(thresholds: Sequence[float] | np.ndarray | float) -> np.ndarray:
    values = np.atleast_1d(np.asarray(thresholds, dtype=float))
    for value in values:
        check_threshold("thresholds", value)
    return values


def ceac(psa: PSAResult, thresholds: Sequence[float] | np.ndarray) -> pd.DataFrame:
    """Cost-effectiveness acceptability curves.

    Returns:
        long DataFrame with columns ``threshold, strategy, probability`` (probability that
        the strategy has the highest NB; ties go to the first strategy).
    """
    rows = []
    for threshold in _thresholds(thresholds):
        best = np.argmax(psa.net_benefit(threshold), axis=1)
        share = np.bincount(best, minlength=len(psa.strategies)) / best.size
        rows += [(threshold, s, float(p)) for s, p in zip(psa.strategies, share, strict=True)]
    return pd.DataFrame(rows, columns=["threshold", "strategy", "probability"])


def ceaf(psa: PSAResult, thresholds: Sequence[float] | np.ndarray) -> pd.DataFrame:
    """Cost-effectiveness acceptability frontier: the expected-NB-optimal strategy.

    Returns:
        columns ``threshold, strategy, probability`` (one row per threshold).
    """
    rows = []
    for threshold in _thresholds(thresholds):
        nb = psa.net_benefit(threshold)
        optimal = int(np.argmax(nb.mean(axis=0)))
        probability = float(np.mean(np.argmax(nb, axis=1) == optimal))
        rows.append((threshold, psa.strategies[optimal], probability))
    return pd.DataFrame(rows, columns=["threshold", "strategy", "probability"])


def evpi(psa: PSAResult, thresholds: Sequence[float] | np.ndarray) -> pd.DataFrame:
    """Expected value of perfect information per person, columns ``threshold, evpi``."""
    rows = []
    for threshold in _thresholds(thresholds):
        nb = psa.net_benefit(threshold)
        value = float(np.mean(nb.max(axis=1)) - nb.mean(axis=0).max())
        rows.append((threshold, max(value, 0.0)))  # >= 0 exactly; clip rounding only
    return pd.DataFrame(rows, columns=["threshold", "evpi"])


def _polynomial_basis(x: np.ndarray, degree: int) -> np.ndarray:
    """Columns 1, x_i, x_i x_j, ... up to total ``degree`` (x standardised)."""
    sd = x.std(axis=0)
    z = (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    columns = [np.ones(len(z))]
    for d in range(1, degree + 1):
        for combo in itertools.combinations_with_replacement(range(z.shape[1]), d):
            columns.append(np.prod(z[:, combo], axis=1))
    return np.column_stack(columns)


def evppi(
    psa: PSAResult,
    parameters: Sequence[str],
    thresholds: Sequence[float] | np.ndarray,
    method: Literal["regression"] = "regression",
    degree: int = 2,
) -> pd.DataFrame:
    """Expected value of partial perfect information of a parameter group, per person.

    Args:
        psa: PSA result whose ``parameters`` hold the group's columns.
        parameters: the group (one or more column names).
        thresholds: willingness to pay per QALY.
        method: ``"regression"`` (Strong, Oakley & Brennan 2014).
        degree: total degree of the polynomial in the group's parameters (1-4); needs
            more draws than basis terms.

    Returns:
        columns ``threshold, evppi``.
    """
    check_name("method", method, ("regression",), "an EVPPI method")
    if not parameters:
        raise ConfigError(Problem("parameters", parameters, "at least one parameter name"))
    for name in parameters:
        check_name("parameters", name, psa.parameters.columns, "a PSA parameter")
    if isinstance(degree, bool) or not isinstance(degree, int) or not 1 <= degree <= 4:
        raise ConfigError(Problem("degree", degree, "an integer from 1 to 4"))
    basis = _polynomial_basis(psa.parameters[list(parameters)].to_numpy(dtype=float), degree)
    if basis.shape[1] >= len(basis):
        raise ConfigError(
            Problem(
                "degree",
                degree,
                f"a basis smaller than the {len(basis)} "
                f"draws (this one has {basis.shape[1]} terms)",
            )
        )
    rows = []
    for threshold in _thresholds(thresholds):
        nb = psa.net_benefit(threshold)
        incremental = nb - nb[:, :1]  # relative to the first strategy: one fit fewer
        coefficients, *_ = np.linalg.lstsq(basis, incremental[:, 1:], rcond=None)
        fitted = np.column_stack([np.zeros(len(nb)), basis @ coefficients])
        value = float(np.mean(fitted.max(axis=1)) - fitted.mean(axis=0).max())
        rows.append((threshold, max(value, 0.0)))
    return pd.DataFrame(rows, columns=["threshold", "evppi"])
