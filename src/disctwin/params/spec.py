"""Parameter and covariate specifications: value, unit, range, meaning, source.

A :class:`ParameterSpec` is one row of a parameter set; it validates itself (unit known,
value inside its plausible range, a non-empty source). Specs are frozen pydantic models so
that parameter sets are data, loaded from files and checked at start.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from disctwin.units import KNOWN_UNITS

__all__ = [
    "N_LEVELS",
    "CovariateSpec",
    "ParameterSpec",
    "Source",
    "Unit",
    "check_source",
    "check_unit",
]

#: Number of lumbar levels (L1/2, L2/3, L3/4, L4/5, L5/S1).
N_LEVELS = 5


def check_unit(unit: str) -> str:
    """``unit`` if it is one of :data:`~disctwin.units.KNOWN_UNITS` (ValueError otherwise)."""
    if unit not in KNOWN_UNITS:
        raise ValueError(f"unknown unit {unit!r}; allowed: {sorted(KNOWN_UNITS)}")
    return unit


def check_source(source: str) -> str:
    """``source`` unless it is an assumption without its reason (ValueError)."""
    if source.strip().lower().startswith("assumption") and len(source.split(":", 1)[-1]) < 12:
        raise ValueError("an assumption needs its reason: 'assumption: <why this value>'")
    return source


#: A unit string checked against :data:`~disctwin.units.KNOWN_UNITS`.
Unit = Annotated[str, AfterValidator(check_unit)]
#: A citation, or "assumption: <reason>".
Source = Annotated[str, Field(min_length=3), AfterValidator(check_source)]


class ParameterSpec(BaseModel):  # strict: a quoted "0.5" in a file is a mistake, not a number
    """One model parameter.

    Attributes:
        name: snake_case identifier used in rate laws.
        value: default value; a list of 5 for ``scope="level"`` (L1/2..L5/S1), a list for
            ``scope="vector"``.
        unit: one of :data:`disctwin.units.KNOWN_UNITS`.
        range: plausible (low, high) bounds; every default element must lie inside.
        meaning: what the parameter is, in words.
        source: a citation, or ``"assumption: <reason>"``.
        scope: ``"patient"`` (scalar per patient), ``"level"`` (one per lumbar level) or
            ``"vector"`` (a fixed-length list, used by the observation model).
        between_patient_cv / between_disc_cv: log-normal variability (coefficient of
            variation) across patients, and across discs of one patient.
        group: the model part it belongs to (for tables and documentation).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    value: float | tuple[float, ...]
    unit: Unit
    range: tuple[float, float]
    meaning: str = Field(min_length=3)
    source: Source
    scope: Literal["patient", "level", "vector"] = "patient"
    between_patient_cv: float = Field(default=0.0, ge=0.0, le=3.0)
    between_disc_cv: float = Field(default=0.0, ge=0.0, le=3.0)
    group: str = "general"

    @model_validator(mode="after")
    def _consistent(self) -> ParameterSpec:
        low, high = self.range
        if not low <= high:
            raise ValueError(f"range low {low} exceeds high {high}")
        values = self.value if isinstance(self.value, tuple) else (self.value,)
        if self.scope == "patient" and isinstance(self.value, tuple):
            raise ValueError("scope 'patient' needs a scalar value")
        if self.scope == "level" and len(values) != N_LEVELS:
            raise ValueError(f"scope 'level' needs {N_LEVELS} values (L1/2..L5/S1)")
        if self.scope == "vector" and not isinstance(self.value, tuple):
            raise ValueError("scope 'vector' needs a list value")
        for v in values:
            if not low <= v <= high:
                raise ValueError(f"value {v} outside its range [{low}, {high}]")
        if self.scope == "vector" and (self.between_patient_cv or self.between_disc_cv):
            raise ValueError("vector parameters cannot vary between patients")
        return self

    @property
    def per_disc(self) -> bool:
        """True when each disc of a patient carries its own value in the engine."""
        return self.scope == "level" or self.between_disc_cv > 0.0

    @property
    def scalar(self) -> float:
        """The default of a scalar parameter (TypeError for a list value)."""
        if isinstance(self.value, tuple):
            raise TypeError(f"parameter {self.name!r} has a list value, not a scalar")
        return self.value

    @property
    def values(self) -> tuple[float, ...]:
        """The default as a tuple (one element for scalars)."""
        return self.value if isinstance(self.value, tuple) else (self.value,)


class CovariateSpec(BaseModel):
    """One patient covariate and the distribution it is drawn from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: Literal["bernoulli", "normal", "lognormal", "logit_bernoulli"]
    unit: Unit
    meaning: str = Field(min_length=3)
    source: str = Field(min_length=3)
    p: float | None = Field(default=None, ge=0.0, le=1.0)
    mean: float | None = None
    sd: float | None = Field(default=None, ge=0.0)
    low: float = float("-inf")
    high: float = float("inf")
    depends_on: str | None = None
    reference: float = 0.0
    log_odds_slope: float = 0.0

    @model_validator(mode="after")
    def _fields_for_kind(self) -> CovariateSpec:
        needs = {
            "bernoulli": ("p",),
            "logit_bernoulli": ("p", "depends_on"),
            "normal": ("mean", "sd"),
            "lognormal": ("mean", "sd"),
        }[self.kind]
        missing = [f for f in needs if getattr(self, f) is None]
        if missing:
            raise ValueError(f"kind {self.kind!r} needs {missing}")
        if self.kind == "lognormal" and (self.mean is None or self.mean <= 0):
            raise ValueError("lognormal needs a positive mean")
        return self
