"""The strategies file of ``disctwin economics``: a frozen, self-checking schema.

Every problem becomes one :class:`~disctwin.errors.ConfigError` naming the field, the value
and what is allowed (unknown country or currency, negative price, discount rate outside
0-0.2, strategies that do not share a population). Reading the file is :mod:`disctwin.io`'s
job; this module validates a parsed mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from disctwin.economics._checks import check_discount_rate, check_name
from disctwin.economics.datasets import cost_countries, guideline_discounting
from disctwin.economics.schema import parse
from disctwin.errors import ConfigError, Problem

__all__ = ["PopulationChoice", "StrategiesSpec", "StrategySpec", "parse_strategies"]


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

    @model_validator(mode="after")
    def _consistent(self) -> StrategiesSpec:
        names = [s.name for s in self.strategies]
        if len(set(names)) != len(names):
            raise ValueError(f"unique strategy names; got {names}")
        if sum(s.priced for s in self.strategies) > 1:
            raise ValueError("at most one strategy with priced = true")
        return self

    def discount_rates(self) -> tuple[float, float]:
        """(costs, effects): the file's, else the country's guideline."""
        guideline = guideline_discounting(self.country).discounting
        costs = guideline.rate_costs if self.rate_costs is None else self.rate_costs
        effects = guideline.rate_effects if self.rate_effects is None else self.rate_effects
        return costs, effects


def parse_strategies(raw: Mapping[str, object]) -> StrategiesSpec:
    """A validated :class:`StrategiesSpec` from a parsed TOML mapping.

    Raises:
        ConfigError: one error listing the problem(s), each with field, value, allowed.
    """
    raw = dict(raw)
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
