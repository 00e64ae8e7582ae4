"""Data shipped with the economic layer: loaded from ``disctwin/economics/data``, checked.

This module reads package files (the only economic module that does, as
:mod:`disctwin.params.sets` does for parameter sets); the numerical modules take values.
"""

from __future__ import annotations

import csv
import io
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from disctwin.economics._checks import check_name
from disctwin.economics.discounting import Discounting
from disctwin.economics.psa import Distribution
from disctwin.economics.schema import EconomicParameter, parse
from disctwin.economics.utilities import UtilityMapping

__all__ = [
    "GuidelineDiscounting",
    "SickSickerInputs",
    "currencies",
    "guideline_discounting",
    "load_sick_sicker",
    "load_utility_mapping",
]


def _text(name: str) -> str:
    return resources.files("disctwin.economics").joinpath("data", name).read_text("utf-8")


def _csv(name: str) -> list[dict[str, str]]:
    lines = [ln for ln in _text(name).splitlines() if not ln.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


@cache
def currencies() -> dict[str, str]:
    """ISO 4217 code -> name, for the currencies DiscTwin knows."""
    return {row["code"]: row["name"] for row in _csv("currencies.csv")}


@dataclass(frozen=True)
class GuidelineDiscounting:
    """A country's reference-case discounting, with its guideline."""

    country: str
    name: str
    currency: str
    discounting: Discounting
    source: str


@cache
def _guidelines() -> dict[str, dict[str, str]]:
    return {row["country"]: row for row in _csv("hta_discount_rates.csv")}


def guideline_discounting(country: str, within_cycle: str = "half_cycle") -> GuidelineDiscounting:
    """Reference-case discount rates of ``country`` (ISO 3166-1 alpha-3, e.g. ``"GBR"``).

    Raises:
        ConfigError: a country without a shipped guideline (with the nearest code).
    """
    rows = _guidelines()
    check_name("country", country, rows, "a country with a shipped HTA guideline (ISO alpha-3)")
    row = rows[country]
    discounting = Discounting(
        rate_costs=float(row["rate_costs"]),
        rate_effects=float(row["rate_effects"]),
        within_cycle=within_cycle,
    )
    return GuidelineDiscounting(country, row["name"], row["currency"], discounting, row["source"])


@dataclass(frozen=True)
class SickSickerInputs:
    """The Sick-Sicker tutorial's inputs (see ``data/sick_sicker_2023.toml``).

    Attributes:
        parameters: name -> parameter (base value, unit, meaning, PSA distribution).
        settings: the ``[model]`` table (states, horizon, discounting choices, strategies).
        discounting: the paper's discounting (3%/3%, per period, its within-cycle weights).
        source: the citation.
    """

    parameters: dict[str, EconomicParameter]
    settings: dict[str, object]
    discounting: Discounting
    source: str

    @property
    def base_case(self) -> dict[str, float]:
        """Parameter name -> base-case value."""
        return {name: p.value for name, p in self.parameters.items()}

    def distributions(self) -> dict[str, Distribution]:
        """Parameter name -> PSA distribution (parameters without one are left out)."""
        return {
            name: p.distribution.distribution()
            for name, p in self.parameters.items()
            if p.distribution is not None
        }


def load_sick_sicker() -> SickSickerInputs:
    """Inputs of Alarid-Escudero et al. 2023's time-independent Sick-Sicker model."""
    raw = tomllib.loads(_text("sick_sicker_2023.toml"))
    parameters = {}
    for k, row in enumerate(raw["parameter"]):
        spec = parse(EconomicParameter, row, f"parameter[{k}]")
        parameters[spec.name] = spec
    settings = dict(raw["model"])
    discounting = Discounting(
        rate_costs=settings["rate_costs"],
        rate_effects=settings["rate_effects"],
        method=settings["discount_method"],
        within_cycle=settings["within_cycle"],
    )
    return SickSickerInputs(parameters, settings, discounting, " ".join(raw["source"].split()))


@cache
def _mappings() -> dict[str, dict]:
    return {m["name"]: m for m in tomllib.loads(_text("utility_mappings.toml"))["mapping"]}


def load_utility_mapping(name: str = "eq5d_from_odi_leg_back_pain") -> UtilityMapping:
    """A shipped utility mapping, by name (ConfigError naming the known ones otherwise)."""
    rows = _mappings()
    check_name("mapping", name, rows, "a shipped utility mapping")
    row = rows[name]
    return UtilityMapping(
        name=row["name"],
        target=row["target"],
        intercept=float(row["intercept"]),
        coefficients={k: float(v) for k, v in row["coefficients"].items()},
        rmse=float(row["rmse"]),
        source=" ".join(row["source"].split()),
    )
