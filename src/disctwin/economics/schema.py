"""Frozen, self-checking records of economic inputs: parameters with their uncertainty, and
cost items with currency, price year, unit, range and source.

Validation failures become one :class:`~disctwin.errors.ConfigError` listing every problem,
each naming the field, the value and what is allowed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from disctwin.economics.psa import Beta, Distribution, Fixed, Gamma, LogNormal, Normal, Uniform
from disctwin.errors import ConfigError, Problem, suggest
from disctwin.params.spec import Source

__all__ = ["CostItem", "DistributionSpec", "EconomicParameter", "RangedParameter", "parse"]

Model = TypeVar("Model", bound=BaseModel)


def _known_currency(code: str) -> str:
    from disctwin.economics.datasets import currencies  # data lookup, kept out of import time

    known = currencies()
    if code not in known:
        hint = suggest(code, known)
        raise ValueError(
            f"a currency code of ISO 4217 among {sorted(known)}"
            + (f" (did you mean {hint!r}?)" if hint else "")
        )
    return code


Currency = Annotated[str, AfterValidator(_known_currency)]


def _set(value: float | None) -> float:
    """A number its distribution kind needs (``DistributionSpec`` checks they are set)."""
    if value is None:
        raise ValueError("a distribution lacks a number its kind needs")
    return value


class DistributionSpec(BaseModel):
    """A parameter's uncertainty, as written in a data file (``kind`` and its numbers)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["gamma", "beta", "lognormal", "normal", "uniform", "fixed"]
    shape: float | None = Field(default=None, gt=0)
    scale: float | None = Field(default=None, gt=0)
    a: float | None = Field(default=None, gt=0)
    b: float | None = Field(default=None, gt=0)
    meanlog: float | None = None
    sdlog: float | None = Field(default=None, ge=0)
    mean: float | None = None
    sd: float | None = Field(default=None, ge=0)
    low: float | None = None
    high: float | None = None
    value: float | None = None

    _NEEDS = {
        "gamma": ("shape", "scale"),
        "beta": ("a", "b"),
        "lognormal": ("meanlog", "sdlog"),
        "normal": ("mean", "sd"),
        "uniform": ("low", "high"),
        "fixed": ("value",),
    }

    @model_validator(mode="after")
    def _fields_for_kind(self) -> DistributionSpec:
        needs = self._NEEDS[self.kind]
        missing = [f for f in needs if getattr(self, f) is None]
        extra = [
            f
            for f in (
                "shape",
                "scale",
                "a",
                "b",
                "meanlog",
                "sdlog",
                "mean",
                "sd",
                "low",
                "high",
                "value",
            )
            if f not in needs and getattr(self, f) is not None
        ]
        if missing or extra:
            raise ValueError(f"kind {self.kind!r} takes exactly {list(needs)}")
        if self.kind == "uniform" and not _set(self.low) < _set(self.high):
            raise ValueError("uniform needs low < high")
        return self

    def distribution(self) -> Distribution:
        """The sampler of :mod:`disctwin.economics.psa`."""
        samplers: dict[str, Callable[[], Distribution]] = {
            "gamma": lambda: Gamma(_set(self.shape), _set(self.scale)),
            "beta": lambda: Beta(_set(self.a), _set(self.b)),
            "lognormal": lambda: LogNormal(_set(self.meanlog), _set(self.sdlog)),
            "normal": lambda: Normal(_set(self.mean), _set(self.sd)),
            "uniform": lambda: Uniform(_set(self.low), _set(self.high)),
            "fixed": lambda: Fixed(_set(self.value)),
        }
        return samplers[self.kind]()


class EconomicParameter(BaseModel):
    """One input of a decision model: base value, unit, meaning, uncertainty."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    value: float
    unit: str = Field(min_length=1)
    meaning: str = Field(min_length=3)
    distribution: DistributionSpec | None = None
    source: Source | None = None


class CostItem(BaseModel):
    """A sourced unit cost.

    Attributes:
        name: snake_case identifier (``"lumbar_fusion"``).
        value: cost per unit, >= 0, in ``currency`` at ``price_year`` prices.
        currency: ISO 4217 code known to DiscTwin.
        price_year: the year whose prices ``value`` is in (required: costs of different
            years cannot be added without inflating them).
        unit: what one unit is (``"procedure"``, ``"MME-day"``, ``"year in state"``).
        range: plausible (low, high), containing ``value``.
        source: a citation, or ``"assumption: <reason>"``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    value: float = Field(ge=0)
    currency: Currency
    price_year: int = Field(ge=1950, le=2100)
    unit: str = Field(min_length=1)
    range: tuple[float, float]
    source: Source

    @model_validator(mode="after")
    def _inside_range(self) -> CostItem:
        low, high = self.range
        if not 0 <= low <= self.value <= high:
            raise ValueError(
                f"0 <= low <= value <= high; got range {self.range}, value {self.value}"
            )
        return self


class RangedParameter(BaseModel):
    """A shipped input with its unit, plausible range and source.

    Attributes:
        name: snake_case identifier.
        value: the default, inside ``range``.
        unit: what the number counts, in words (``"USD per dose"``).
        range: plausible (low, high).
        meaning: what the number is.
        source: a key of ``country_sources.csv``, ``"derived: <how>"``, or
            ``"assumption: <why>"``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    value: float
    unit: str = Field(min_length=1)
    range: tuple[float, float]
    meaning: str = Field(min_length=3)
    source: Source

    @model_validator(mode="after")
    def _inside_range(self) -> RangedParameter:
        low, high = self.range
        if not low <= self.value <= high:
            raise ValueError(f"low <= value <= high; got range {self.range}, value {self.value}")
        return self


def parse(model: type[Model], raw: Mapping[Any, object], prefix: str) -> Model:
    """``model`` validated from ``raw``; every problem in one ConfigError under ``prefix``."""
    try:
        return model.model_validate(dict(raw))
    except ValidationError as err:
        problems = []
        for e in err.errors():
            loc = ".".join(str(x) for x in e["loc"])
            value = _at(raw, e["loc"], e.get("input")) if e["loc"] else e.get("input")
            if e["type"] == "missing":
                value = "(missing)"
            allowed = e["msg"].removeprefix("Value error, ").removeprefix("Input should be ")
            if e["type"] == "missing":
                allowed = "a value is required"
            problems.append(Problem(f"{prefix}.{loc}" if loc else prefix, value, allowed))
        raise ConfigError(problems) from None


def _at(raw: Mapping[str, object], loc: tuple[int | str, ...], default: object) -> object:
    """The value the user wrote at ``loc`` (a pydantic error location), else ``default``."""
    value: object = raw
    for key in loc:
        in_mapping = isinstance(value, Mapping) and key in value
        in_sequence = (
            isinstance(value, list | tuple) and isinstance(key, int) and 0 <= key < len(value)
        )
        if not (in_mapping or in_sequence):
            return default
        value = value[key]  # type: ignore[index]  # narrowed above: a mapping or a sequence
    return value
