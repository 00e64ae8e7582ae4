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

import pandas as pd

from disctwin.economics._checks import check_name
from disctwin.economics.access import (
    INCOME_GROUPS,
    AccessParameters,
    TherapyProfile,
    ThresholdAnchor,
)
from disctwin.economics.discounting import Discounting, WithinCycleMethod
from disctwin.economics.mortality import GompertzLifeTable, OverdoseMortality
from disctwin.economics.psa import Distribution
from disctwin.economics.schema import CostItem, EconomicParameter, RangedParameter, parse
from disctwin.economics.utilities import UtilityMapping

__all__ = [
    "AccessExample",
    "AdverseEventUtility",
    "GuidelineDiscounting",
    "SickSickerInputs",
    "cost_countries",
    "country_sources",
    "currencies",
    "guideline_discounting",
    "load_access_example",
    "load_access_parameters",
    "load_adverse_event_utilities",
    "load_cost_items",
    "load_countries",
    "load_life_table",
    "load_overdose_mortality",
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


def guideline_discounting(
    country: str, within_cycle: WithinCycleMethod = "half_cycle"
) -> GuidelineDiscounting:
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


@dataclass(frozen=True)
class AdverseEventUtility:
    """Utility loss and cost of one adverse-event term.

    Attributes:
        term: the simulation's adverse-event term; disutility: utility lost while it
            lasts; duration_years: how long; cost_item: the cost item charged per event
            (None: no cost); cost_units: units of it per event; source: why.
    """

    term: str
    disutility: float
    duration_years: float
    cost_item: str | None
    cost_units: float
    source: str

    @property
    def qaly_loss(self) -> float:
        """Undiscounted QALYs lost per event."""
        return self.disutility * self.duration_years


def _toml(name: str) -> dict:
    return tomllib.loads(_text(name))


@cache
def _cost_rows() -> tuple[dict, ...]:
    return tuple(_toml("cost_items.toml")["cost"])


def cost_countries() -> tuple[str, ...]:
    """Countries (ISO alpha-3) with shipped unit costs."""
    return tuple(sorted({row["country"] for row in _cost_rows()}))


def load_cost_items(country: str) -> dict[str, CostItem]:
    """Unit costs of ``country`` (``"USA"``: US payer, ``"GBR"``: UK NHS), by name.

    Raises:
        ConfigError: a country without shipped costs (nearest code suggested), or a row
            that fails :class:`~disctwin.economics.CostItem` validation.
    """
    check_name("country", country, cost_countries(), "a country with shipped unit costs")
    items = {}
    for k, row in enumerate(_cost_rows()):
        if row["country"] != country:
            continue
        fields = {key: value for key, value in row.items() if key != "country"}
        item = parse(CostItem, fields, f"cost_items[{k}]")
        items[item.name] = item
    return items


def load_life_table(country: str, sex: str) -> GompertzLifeTable:
    """Background mortality of ``country`` and ``sex`` (``"male"``/``"female"``)."""
    rows = {(r["country"], r["sex"]): r for r in _toml("life_tables.toml")["table"]}
    check_name("country", country, {c for c, _ in rows}, "a country with a shipped life table")
    check_name("sex", sex, ("female", "male"), "a sex of the life tables")
    row = rows[(country, sex)]
    return GompertzLifeTable(country, sex, float(row["a"]), float(row["b"]), row["source"])


def load_overdose_mortality() -> OverdoseMortality:
    """Opioid overdose rates by MME band and the fatal share (Dunn et al. 2010)."""
    raw = _toml("opioid_overdose.toml")
    bands = raw["band"]
    edges = (*(float(b["mme_low"]) for b in bands), float(bands[-1]["mme_high"]))
    return OverdoseMortality(
        band_edges=edges,
        annual_rates=tuple(float(b["annual_overdose_rate"]) for b in bands),
        fatal_fraction=float(raw["fatal_fraction"]),
        source=" ".join(raw["source"].split()),
    )


def load_adverse_event_utilities() -> dict[str, AdverseEventUtility]:
    """Disutility, duration and cost item of each adverse-event term, by term."""
    events = {}
    for row in _toml("adverse_event_utilities.toml")["event"]:
        events[row["term"]] = AdverseEventUtility(
            term=row["term"],
            disutility=float(row["disutility"]),
            duration_years=float(row["duration_years"]),
            cost_item=row.get("cost_item"),
            cost_units=float(row.get("cost_units", 1.0)),
            source=row["source"],
        )
    return events


#: Numeric columns of ``countries.csv``.
_COUNTRY_NUMBERS = (
    "gdp_per_capita_usd",
    "gdp_per_capita_ppp",
    "population",
    "che_per_capita_ppp",
    "price_level_ratio",
)


@cache
def _countries() -> pd.DataFrame:
    rows = _csv("countries.csv")
    table = pd.DataFrame(rows).set_index("iso3")
    for column in _COUNTRY_NUMBERS:
        table[column] = table[column].astype(float)
    table["year"] = table["year"].astype(int)
    table["verified"] = table["verified"].map({"true": True, "false": False})
    return table


def load_countries(codes: tuple[str, ...] | list[str] | None = None) -> pd.DataFrame:
    """Economy, health spending and income group of the shipped countries (``countries.csv``).

    Args:
        codes: ISO 3166-1 alpha-3 codes (None: all, in the file's order: income group, then
            code).

    Returns:
        index ``iso3``; columns ``name, income_group`` (``low``, ``lower_middle``,
        ``upper_middle``, ``high``), ``region, year, gdp_per_capita_usd`` (current US$),
        ``gdp_per_capita_ppp`` (current int$), ``population``, ``che_per_capita_ppp``
        (current int$), ``price_level_ratio`` (US = 1), ``sources`` (keys of
        :func:`country_sources`), ``verified``, ``note``.

    Raises:
        ConfigError: an unknown code (nearest code suggested).
    """
    table = _countries()
    if codes is None:
        return table.copy()
    for k, code in enumerate(codes):
        check_name(f"countries[{k}]", code, table.index, "a shipped country (ISO alpha-3)")
    return table.loc[list(codes)].copy()


@cache
def _sources() -> pd.DataFrame:
    table = pd.DataFrame(_csv("country_sources.csv")).set_index("key")
    table["verified"] = table["verified"].map({"true": True, "false": False})
    return table


def country_sources() -> pd.DataFrame:
    """The sources of the country data and access parameters (index ``key``): citation,
    url, how the value was read, verified (read in this release) and a note."""
    return _sources().copy()


@cache
def load_access_parameters() -> AccessParameters:
    """Parameters of the access analysis (``access.toml``), each with unit, range, source."""
    raw = _toml("access.toml")
    parameters = {}
    for k, row in enumerate(raw["parameter"]):
        spec = parse(RangedParameter, row, f"access.parameter[{k}]")
        parameters[spec.name] = spec
    low, high = (
        ThresholdAnchor(a["country"], float(a["threshold_usd"]), a["source"])
        for a in sorted(raw["threshold_anchor"], key=lambda a: a["threshold_usd"])
    )
    groups = tuple(raw["patent_sharing"]["income_groups"])
    for group in groups:
        check_name("access.patent_sharing.income_groups", group, INCOME_GROUPS, "an income group")
    return AccessParameters(
        reference_country=raw["reference_country"],
        anchors=(low, high),
        parameters=parameters,
        patent_sharing_groups=groups,
        patent_sharing_source=raw["patent_sharing"]["source"],
    )


@dataclass(frozen=True)
class AccessExample:
    """The worked example of ``docs/economics.md`` (``data/access_example.toml``).

    Attributes:
        profile: the therapy against its comparator, from a DiscTwin run.
        country: the payer of the budget-impact example.
        uptake: share of the eligible patients starting the therapy, by budget year.
        annual_costs: index strategy (therapy, comparator), columns 1..5: mean undiscounted
            cost per patient by year after starting, therapy price 0, US$.
    """

    profile: TherapyProfile
    country: str
    uptake: tuple[float, ...]
    annual_costs: pd.DataFrame


def load_access_example() -> AccessExample:
    """The shipped worked example (a run's numbers, with the command that made them)."""
    raw = _toml("access_example.toml")
    p, b = raw["profile"], raw["budget_impact"]
    profile = TherapyProfile(
        therapy=p["therapy"],
        comparator=p["comparator"],
        incremental_qaly=float(p["incremental_qaly"]),
        incremental_cost_usd=float(p["incremental_cost_usd"]),
        start_cost_usd=float(p["start_cost_usd"]),
        units=float(p["units"]),
        source=p["source"],
    )
    costs = pd.DataFrame(
        [b["therapy_cost_by_year"], b["comparator_cost_by_year"]],
        index=pd.Index([profile.therapy, profile.comparator], name="strategy"),
        columns=range(1, len(b["therapy_cost_by_year"]) + 1),
    )
    return AccessExample(profile, b["country"], tuple(float(u) for u in b["uptake"]), costs)
