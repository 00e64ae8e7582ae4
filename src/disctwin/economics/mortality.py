"""Mortality: background deaths by age and sex, and opioid overdose deaths by daily dose.

Background mortality is a Gompertz hazard :math:`\\mu(x) = a\\,e^{b x}` per year at age
``x``, whose cumulative hazard between ages :math:`x_0` and :math:`x_1` is

.. math:: H(x_0, x_1) = \\frac{a}{b}\\left(e^{b x_1} - e^{b x_0}\\right),

and survival :math:`S = e^{-H}`. Overdose deaths add a hazard that depends on the daily
opioid dose (MME/day): the annual overdose rate of the dose band times the fatal share
(Dunn et al., Ann Intern Med 2010). Parameters are data (``data/life_tables.toml``,
``data/opioid_overdose.toml``), passed in.

>>> table = GompertzLifeTable("GBR", "male", 3.93e-05, 0.0906, "fit")
>>> round(table.life_expectancy(65.0), 1)
18.4
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import quad

from disctwin.economics._checks import as_finite_array
from disctwin.errors import ConfigError, Problem

__all__ = ["GompertzLifeTable", "OverdoseMortality"]


@dataclass(frozen=True)
class GompertzLifeTable:
    """Background mortality :math:`\\mu(x) = a e^{b x}` of one country and sex.

    Attributes:
        country: ISO 3166-1 alpha-3; sex: ``"male"`` or ``"female"``.
        a: hazard at age 0 (1/year); b: log-hazard slope (1/year).
        source: how the parameters were obtained.
    """

    country: str
    sex: str
    a: float
    b: float
    source: str

    def hazard(self, age_years: np.ndarray | float) -> np.ndarray:
        """Annual mortality hazard at ``age_years``."""
        return self.a * np.exp(self.b * np.asarray(age_years, dtype=float))

    def cumulative_hazard(
        self, age_from: np.ndarray | float, age_to: np.ndarray | float
    ) -> np.ndarray:
        """:math:`H(x_0, x_1)` (broadcasts)."""
        x0 = np.asarray(age_from, dtype=float)
        x1 = np.asarray(age_to, dtype=float)
        return self.a / self.b * (np.exp(self.b * x1) - np.exp(self.b * x0))

    def annual_death_probability(self, age_years: np.ndarray | float) -> np.ndarray:
        """:math:`q_x = 1 - e^{-H(x, x+1)}`, the life-table ``qx``."""
        x = np.asarray(age_years, dtype=float)
        return -np.expm1(-self.cumulative_hazard(x, x + 1.0))

    def life_expectancy(self, age_years: float) -> float:
        """Remaining life expectancy at ``age_years``: :math:`\\int_0^\\infty S(x, x+t) dt`."""
        x = float(age_years)
        value, _ = quad(lambda t: float(np.exp(-self.cumulative_hazard(x, x + t))), 0, 150)
        return float(value)


@dataclass(frozen=True)
class OverdoseMortality:
    """Opioid overdose by daily dose band.

    Attributes:
        band_edges: (k + 1,) ascending MME/day edges; band ``j`` is
            ``[edges[j], edges[j+1])``.
        annual_rates: (k,) annual overdose rate in each band (fatal and non-fatal).
        fatal_fraction: share of overdoses that are fatal.
        source: citation.
    """

    band_edges: tuple[float, ...]
    annual_rates: tuple[float, ...]
    fatal_fraction: float
    source: str

    def __post_init__(self) -> None:
        edges = as_finite_array("band_edges", self.band_edges, 1)
        rates = as_finite_array("annual_rates", self.annual_rates, 1)
        if edges.size != rates.size + 1 or np.any(np.diff(edges) <= 0) or np.any(rates < 0):
            raise ConfigError(
                Problem(
                    "overdose bands",
                    f"{edges.size} edges, {rates.size} rates",
                    "ascending edges, one more edge than rates, rates >= 0",
                )
            )
        if not 0.0 <= self.fatal_fraction <= 1.0:
            raise ConfigError(Problem("fatal_fraction", self.fatal_fraction, "a share in [0, 1]"))

    def overdose_hazard(self, mme_per_day: np.ndarray | float) -> np.ndarray:
        """Annual overdose hazard (fatal and non-fatal) at a daily dose (MME/day)."""
        rate = np.asarray(self.annual_rates, dtype=float)
        mme = np.asarray(mme_per_day, dtype=float)
        band = np.clip(np.searchsorted(self.band_edges, mme, side="right") - 1, 0, rate.size - 1)
        return -np.log1p(-rate[band])  # rate per year -> constant hazard

    def death_hazard(self, mme_per_day: np.ndarray | float) -> np.ndarray:
        """Annual hazard of a fatal overdose at a daily dose."""
        return self.fatal_fraction * self.overdose_hazard(mme_per_day)
