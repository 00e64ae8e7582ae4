"""The product catalogues: vectors, payloads, routes, needles and harms, as validated data.

Every number is a :class:`Quantity` with value, unit, plausible range and source, loaded from
the TOML files in ``disctwin/therapies/data/`` and checked at load (unit known, value within
range, source given). Nothing here simulates; the modalities read these values when they
build dose events (:mod:`disctwin.therapies.delivery`).
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from disctwin.errors import ConfigError, Problem
from disctwin.params.spec import Source, Unit

__all__ = [
    "Catalogue",
    "Family",
    "Frozen",
    "Harm",
    "HarmTiming",
    "Needle",
    "Payload",
    "Quantity",
    "Route",
    "Vector",
    "VectorHarm",
    "catalogue",
]

REGIONS = ("us", "europe", "china")


class Frozen(BaseModel):
    """Base of every catalogue entry: immutable, unknown fields rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Quantity(Frozen):
    """A sourced number: value, unit, plausible range, source."""

    value: float
    unit: Unit
    range: tuple[float, float]
    source: Source

    @model_validator(mode="after")
    def _in_range(self) -> Quantity:
        low, high = self.range
        if not low <= self.value <= high:
            raise ValueError(f"value {self.value} outside its range [{low}, {high}]")
        return self


class Family(Frozen):
    """A vector family's kinetics (shared by its serotypes)."""

    label: str
    dose_unit: Literal["vg", "pfu", "TU", "ug"]
    inheritance: Quantity
    onset_days: Quantity
    onset_days_self_complementary: Quantity | None = None
    disc_payload_loss_rate: Quantity
    drg_payload_loss_rate: Quantity
    antibodies: bool = True


class Vector(Frozen):
    """One vector (serotype or delivery system): reach, dose-response, seroprevalence."""

    label: str
    family: str
    disc_dose_63: Quantity | None = None
    drg_dose_63: Quantity | None = None
    drg_reach: Quantity | None = None
    seroprevalence: dict[str, float]
    seroprevalence_source: str

    @field_validator("seroprevalence")
    @classmethod
    def _regions(cls, value: dict[str, float]) -> dict[str, float]:
        if set(value) != set(REGIONS) or not all(0.0 <= v <= 1.0 for v in value.values()):
            raise ValueError(f"needs a share in [0, 1] for each region {REGIONS}")
        return value


class Payload(Frozen):
    """What an active payload does: model slot parameter -> value at full activity."""

    label: str
    kind: Literal["secreted", "knockdown", "repressor", "knockout", "edit"]
    compartment: Literal["disc", "drg"]
    effects: dict[str, Quantity]
    onset_days: Quantity | None = None

    @property
    def permanent(self) -> bool:
        """Genome edits outlive the vector: inherited, never lost from living cells."""
        return self.kind in ("knockout", "edit")

    @model_validator(mode="after")
    def _onset_for_edits(self) -> Payload:
        if self.permanent and self.onset_days is None:
            raise ValueError("knockout/edit payloads need onset_days (editing time)")
        if not self.effects:
            raise ValueError("a payload needs at least one effect")
        return self


class Route(Frozen):
    """How a payload reaches its target and how antibodies blunt it."""

    label: str
    compartment: Literal["disc", "drg"]
    payload_clearance_rate: Quantity
    nab_block: Quantity
    induced_nab_block: Quantity
    seroconversion: Quantity


class Needle(Frozen):
    """Needle-size injury of an intradiscal puncture (Elliott 2008)."""

    outer_diameter_mm: dict[int, float]
    outer_diameter_source: str
    disc_height_mm: Quantity
    injury_half_ratio: Quantity
    injury_hill: Quantity
    annulus_injury_max: Quantity
    nucleus_cell_loss_max: Quantity
    nucleus_loss_max: Quantity

    def injury(self, gauge: int) -> float:
        """Fraction (0-1) of the maximal injury a needle of ``gauge`` does:
        :math:`r^h / (r^h + r_{50}^h)` with :math:`r` = outer diameter / disc height."""
        r = self.outer_diameter_mm[gauge] / self.disc_height_mm.value
        h = self.injury_hill.value
        return r**h / (r**h + self.injury_half_ratio.value**h)


class HarmTiming(Frozen):
    """When and how severe an adverse event is: log-normal onset after the dose (median,
    geometric SD; a median may be left to the modality, e.g. during a drug course) and the
    shares of grades 1-5."""

    label: str
    onset_days_median: Quantity | None = None
    onset_days_gsd: Quantity
    severity: tuple[float, float, float, float, float]
    severity_source: str

    @field_validator("severity")
    @classmethod
    def _distribution(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(v < 0 for v in value) or abs(sum(value) - 1.0) > 1e-9:
            raise ValueError("severity needs 5 non-negative shares of grades 1-5 summing to 1")
        return value


class Harm(HarmTiming):
    """A procedure harm: a probability per treated disc or per procedure."""

    onset_days_median: Quantity
    route: str
    per: Literal["disc", "procedure"]
    probability: Quantity
    antibiotic_factor: Quantity


class VectorHarm(HarmTiming):
    """A vector harm whose probability rises with log dose (logistic)."""

    onset_days_median: Quantity
    families: tuple[str, ...]
    routes: tuple[str, ...]
    probability_max: Quantity
    log10_dose_50: Quantity
    log10_dose_scale: Quantity


class Catalogue(Frozen):
    """Everything the therapy modalities read."""

    families: dict[str, Family]
    vectors: dict[str, Vector]
    payloads: dict[str, Payload]
    routes: dict[str, Route]
    needle: Needle
    harms: dict[str, Harm]
    vector_harms: dict[str, VectorHarm]

    @model_validator(mode="after")
    def _references(self) -> Catalogue:
        for name, v in self.vectors.items():
            if v.family not in self.families:
                raise ValueError(f"vector {name}: unknown family {v.family!r}")
        for name, h in self.harms.items():
            if h.route not in self.routes:
                raise ValueError(f"harm {name}: unknown route {h.route!r}")
        return self


def read_data(name: str) -> dict:
    """A TOML file of ``disctwin/therapies/data/``, parsed."""
    text = resources.files("disctwin.therapies").joinpath("data", name).read_text("utf-8")
    return tomllib.loads(text)


def validated(model: type[Frozen], **data):
    """``model(**data)``, with pydantic's errors as one ConfigError naming every problem."""
    try:
        return model(**data)
    except ValidationError as err:
        raise ConfigError(
            [
                Problem(".".join(str(x) for x in e["loc"]), e.get("input"), e["msg"])
                for e in err.errors()
            ]
        ) from None


@cache
def catalogue() -> Catalogue:
    """The packaged catalogue, validated (cached)."""
    vectors, payloads, procedures = (
        read_data("vectors.toml"),
        read_data("payloads.toml"),
        read_data("procedures.toml"),
    )
    return validated(
        Catalogue,
        families=vectors["family"],
        vectors=vectors["vector"],
        payloads=payloads["payload"],
        routes=procedures["route"],
        needle=procedures["needle"],
        harms=procedures["harm"],
        vector_harms=procedures["vector_harm"],
    )
