"""The strategies file of ``disctwin economics``: a frozen, self-checking schema.

Every problem becomes one :class:`~disctwin.errors.ConfigError` naming the field, the value
and what is allowed (unknown country or currency, negative price, discount rate outside
0-0.2, strategies that do not share a population). Reading the file is :mod:`disctwin.io`'s
job; this module validates a parsed mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from disctwin.economics._checks import check_discount_rate, check_name
from disctwin.economics.access import AccessSettings
from disctwin.economics.budget import MAX_BUDGET_YEARS
from disctwin.economics.datasets import (
    cost_countries,
    guideline_discounting,
    load_access_parameters,
    load_cost_items,
)
from disctwin.economics.schema import parse
from disctwin.errors import ConfigError, Problem

__all__ = [
    "AccessSpec",
    "BudgetImpactSpec",
    "DsaSpec",
    "PopulationChoice",
    "StrategiesSpec",
    "StrategySpec",
    "parse_strategies",
]


class PopulationChoice(BaseModel):
    """The virtual patients every strategy is simulated on (one population for all)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    n_patients: int = Field(default=200, ge=1, le=100_000)
    age_years: tuple[float, float] = (40.0, 60.0)
    seed: int = Field(default=2026, ge=0, le=2**63 - 1)


class StrategySpec(BaseModel):
    """One strategy: a regimen (file or catalogue name; None = no intervention), what is
    charged once at day 0, and the therapy price."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    regimen: str | None = None
    one_off_costs: tuple[str, ...] = ()
    acquisition_units: float = Field(default=0.0, ge=0)
    price: float = Field(default=0.0, ge=0)
    priced: bool = False
    population: str | None = None


class BudgetImpactSpec(BaseModel):
    """The ``[budget_impact]`` table: a new strategy displacing a comparator over 1-5 years.

    Attributes:
        strategy: the new strategy (a name in ``strategies``).
        comparator: the strategy it displaces (another name in ``strategies``).
        eligible_patients: patients eligible to start in each year (one number: every
            year), >= 0, in the payer's population (country and perspective of the file).
        uptake: share of each year's eligible patients starting ``strategy``, one per
            year, each in [0, 1]; its length is the horizon (1-5 years).
        price: therapy price per unit for the budget; None: the strategy's ``price``;
            ``"value_based"``: its value-based price at the file's threshold (needs
            ``priced = true``; 0 if that price is negative).
        health_budget: the payer's annual health spending in the costs' currency, > 0, to
            report the impact as a share of it; None: not reported.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    strategy: str = Field(min_length=1)
    comparator: str = Field(min_length=1)
    eligible_patients: float | tuple[float, ...]
    uptake: tuple[float, ...]
    price: float | str | None = None
    health_budget: float | None = Field(default=None, gt=0)

    @field_validator("uptake")
    @classmethod
    def _shares(cls, uptake: tuple[float, ...]) -> tuple[float, ...]:
        if not 1 <= len(uptake) <= MAX_BUDGET_YEARS:
            raise ValueError(
                f"one share per budget year, 1-{MAX_BUDGET_YEARS} years; got {len(uptake)}"
            )
        bad = [u for u in uptake if not 0.0 <= u <= 1.0]
        if bad:
            raise ValueError(f"shares in [0, 1], one per budget year; got {bad} outside")
        return uptake

    @field_validator("eligible_patients")
    @classmethod
    def _patients(cls, eligible: float | tuple[float, ...]) -> float | tuple[float, ...]:
        values = eligible if isinstance(eligible, tuple) else (eligible,)
        if any(not (v >= 0.0 and v < float("inf")) for v in values):
            raise ValueError("numbers of patients >= 0 (one, or one per budget year)")
        return eligible

    @field_validator("price")
    @classmethod
    def _price(cls, price: float | str | None) -> float | str | None:
        finite = isinstance(price, float) and 0.0 <= price < float("inf")
        if not (price is None or price == "value_based" or finite):
            raise ValueError("a price as a finite number >= 0, or 'value_based'")
        return price

    @property
    def years(self) -> int:
        """The budget horizon, in years."""
        return len(self.uptake)


class DsaSpec(BaseModel):
    """The ``[dsa]`` table: a one-way sensitivity analysis (tornado) of ``strategy``'s net
    monetary benefit over ``comparator`` at the file's threshold, each unit cost in turn
    at the low and the high end of its shipped range."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    strategy: str = Field(min_length=1)
    comparator: str = Field(min_length=1)


class AccessSpec(BaseModel):
    """The ``[access]`` table: the access analysis of one strategy against a comparator.

    In the file the table holds ``strategy``, ``comparator`` and any field of
    :class:`~disctwin.economics.AccessSettings` (``threshold_basis``, ``cost_scaling``,
    ``countries``, ``list_price_usd``, ``cogs_usd_per_dose``, ``generic_margin``,
    ``eligible_share_of_lbp``, ``annual_uptake``, ``budget_share``,
    ``patent_sharing_groups``); needs US$ costs (country ``USA``, the reference payer).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    strategy: str
    comparator: str
    settings: AccessSettings = AccessSettings()


class StrategiesSpec(BaseModel):
    """A cost-effectiveness study of several strategies on one population."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    country: str
    perspective: Literal["payer"] = "payer"
    horizon_years: float = Field(default=60.0, gt=0, le=100)
    cycle_years: float = Field(default=0.25, gt=0, le=1)
    threshold: float = Field(ge=0)
    rate_costs: float | None = None
    rate_effects: float | None = None
    extrapolation: Literal["last_value_carried", "return_to_untreated", "return_to_baseline"] = (
        "last_value_carried"
    )
    half_life_years: float = Field(default=5.0, gt=0)
    follow_up_days: tuple[float, ...] = (0.0, 91.0, 182.0, 273.0, 364.0, 455.0, 730.0)
    psa_draws: int = Field(default=200, ge=0, le=100_000)
    seed: int = Field(default=2026, ge=0, le=2**63 - 1)
    population: PopulationChoice = PopulationChoice()
    strategies: tuple[StrategySpec, ...] = Field(min_length=2)
    budget_impact: BudgetImpactSpec | None = None
    access: AccessSpec | None = None
    dsa: DsaSpec | None = None

    @model_validator(mode="after")
    def _consistent(self) -> StrategiesSpec:
        names = [s.name for s in self.strategies]
        if len(set(names)) != len(names):
            raise ValueError(f"unique strategy names; got {names}")
        if sum(s.priced for s in self.strategies) > 1:
            raise ValueError("at most one strategy with priced = true")
        return self

    def strategy(self, name: str) -> StrategySpec:
        """The strategy called ``name``."""
        return next(s for s in self.strategies if s.name == name)

    def discount_rates(self) -> tuple[float, float]:
        """(costs, effects): the file's, else the country's guideline."""
        guideline = guideline_discounting(self.country).discounting
        costs = guideline.rate_costs if self.rate_costs is None else self.rate_costs
        effects = guideline.rate_effects if self.rate_effects is None else self.rate_effects
        return costs, effects


def parse_strategies(raw: Mapping[str, Any]) -> StrategiesSpec:
    """A validated :class:`StrategiesSpec` from a parsed TOML mapping.

    Raises:
        ConfigError: one error listing the problem(s), each with field, value, allowed.
    """
    raw = dict(raw)
    access_raw = raw.pop("access", None)
    country = raw.get("country", "(missing)")
    check_name("country", country, cost_countries(), "a country with shipped costs")
    for field in ("rate_costs", "rate_effects"):
        if raw.get(field) is not None:
            check_discount_rate(field, raw[field])
    for k, strategy in enumerate(raw.get("strategies", []) or []):
        if isinstance(strategy, Mapping) and "price" in strategy:
            value = strategy["price"]
            if isinstance(value, int | float) and value < 0:
                raise ConfigError(
                    Problem(f"strategies[{k}].price", value, "a price as a finite number >= 0")
                )
    spec = parse(StrategiesSpec, raw, "strategies_file")
    if spec.budget_impact is not None:
        _check_budget_impact(spec, spec.budget_impact)
    if spec.dsa is not None:
        names = [s.name for s in spec.strategies]
        for field in ("strategy", "comparator"):
            check_name(f"dsa.{field}", getattr(spec.dsa, field), names, "a strategy of the file")
        if spec.dsa.strategy == spec.dsa.comparator:
            raise ConfigError(Problem("dsa.comparator", spec.dsa.comparator, "another strategy"))
    if access_raw is not None:
        spec = spec.model_copy(update={"access": _access(spec, access_raw)})
    populations = {s.population for s in spec.strategies if s.population is not None}
    if len(populations) > 1:
        raise ConfigError(
            Problem(
                "strategies.population",
                sorted(populations),
                "one population shared by every strategy (leave population out, or give the "
                "same one)",
            )
        )
    return spec


def _check_budget_impact(spec: StrategiesSpec, budget: BudgetImpactSpec) -> None:
    """Strategy names of ``[budget_impact]`` exist; a value-based price has a priced strategy."""
    names = [s.name for s in spec.strategies]
    check_name("budget_impact.strategy", budget.strategy, names, "a strategy of the file")
    check_name("budget_impact.comparator", budget.comparator, names, "a strategy of the file")
    if budget.comparator == budget.strategy:
        raise ConfigError(
            Problem("budget_impact.comparator", budget.comparator, "a strategy other than strategy")
        )
    eligible = budget.eligible_patients
    if isinstance(eligible, tuple) and len(eligible) != budget.years:
        raise ConfigError(
            Problem(
                "budget_impact.eligible_patients",
                list(eligible),
                f"one number, or one per year of uptake ({budget.years})",
            )
        )
    if budget.price == "value_based" and not spec.strategy(budget.strategy).priced:
        raise ConfigError(
            Problem(
                "budget_impact.price",
                "value_based",
                f"a number, or 'value_based' only when {budget.strategy!r} has priced = true",
            )
        )


def _access(spec: StrategiesSpec, raw: object) -> AccessSpec:
    """The ``[access]`` table, checked against the file's strategies and currency."""
    if not isinstance(raw, Mapping):
        raise ConfigError(Problem("access", raw, "a table ([access])"))
    rest = {k: v for k, v in raw.items() if k not in ("strategy", "comparator")}
    names = [s.name for s in spec.strategies]
    for field in ("strategy", "comparator"):
        check_name(f"access.{field}", raw.get(field, "(missing)"), names, "a strategy of the file")
    if raw["strategy"] == raw["comparator"]:
        raise ConfigError(Problem("access.comparator", raw["comparator"], "another strategy"))
    if spec.strategy(raw["strategy"]).acquisition_units <= 0:
        raise ConfigError(
            Problem(
                f"strategies[{names.index(raw['strategy'])}].acquisition_units",
                0,
                "> 0 for the strategy of [access] (units of the therapy bought per patient)",
            )
        )
    reference = load_access_parameters().reference_country
    currencies = {item.currency for item in load_cost_items(spec.country).values()}
    if spec.country != reference or currencies != {"USD"}:
        raise ConfigError(
            Problem(
                "country",
                spec.country,
                f"{reference!r} with [access]: its US$ costs are the reference payer's "
                "(currency conversion tables are not shipped)",
            )
        )
    settings = parse(AccessSettings, rest, "access")
    return AccessSpec(strategy=raw["strategy"], comparator=raw["comparator"], settings=settings)
