"""The therapy interface: every modality is a few declarations and two functions.

A modality (:class:`AbstractTherapy`) declares

* ``modality``: its name in regimen files;
* ``Settings``: the pydantic model of one dose's fields (validated, frozen);
* ``states`` / ``parameters``: the model states it drives and the slot parameters it sets
  (the model's generic therapy compartments; see :mod:`disctwin.model.equations`);

and implements

* :meth:`AbstractTherapy.effects`: the changes made at the dosing time, for every patient at
  once (add payload to a compartment, set the slot parameters, injure the annulus...), as
  :class:`Effect` s that the engine applies as events;
* :meth:`AbstractTherapy.hazards`: its adverse-event hazards (:class:`Hazard`), which
  :mod:`disctwin.therapies.harms` turns into seeded adverse events.

Modalities register themselves with :func:`register`; a meta-test fails if one is not, and
every registered modality passes the same contract tests (``tests/therapies``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "THERAPIES",
    "AbstractTherapy",
    "DoseContext",
    "DoseSettings",
    "Effect",
    "Hazard",
    "register",
]


class DoseSettings(BaseModel):
    """Fields every dose has; modalities extend it with their own."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    modality: str
    day: float = Field(default=0.0, ge=0.0, le=36_525.0)


#: the settings type of a modality's doses
SettingsT = TypeVar("SettingsT", bound=DoseSettings)


@dataclass(frozen=True)
class Effect:
    """One change at the dosing time.

    Attributes:
        kind: an engine event kind (``"state_add"``, ``"state_multiply"``,
            ``"state_toward_one"``, ``"parameter_set"``, ...).
        target: model state or parameter name.
        level: disc level 0-4 for disc states/parameters, None for patient ones.
        value: scalar or (n_patients,) values.
        mask: (n_patients,) patients it applies to (None: all).
        delay_days: days after the dosing time at which it happens (e.g. the end of a
            course of tablets or of a physiotherapy programme).
    """

    kind: str
    target: str
    level: int | None
    value: float | np.ndarray
    mask: np.ndarray | None = None
    delay_days: float = 0.0


@dataclass(frozen=True)
class Hazard:
    """An adverse-event hazard of one dose.

    Attributes:
        term: adverse-event term (e.g. ``"discitis"``).
        probability: (n_patients,) probability per exposure.
        exposures: (n_patients,) independent exposures (treated discs, or 1 per procedure).
        onset_median_days / onset_gsd: log-normal onset after the dose.
        onset_within_days: if set, onset is the log-normal truncated to this many days after
            the dose: a harm "of a course" (its probability is of onset while on the drug).
        severity: shares of CTCAE-like grades 1-5.
        related: ``"procedure"``, ``"vector"`` or ``"product"``.
    """

    term: str
    probability: np.ndarray
    exposures: np.ndarray
    onset_median_days: float
    onset_gsd: float
    severity: tuple[float, float, float, float, float]
    related: str
    onset_within_days: float | None = None


@dataclass(frozen=True)
class DoseContext:
    """What a modality may know when it doses a block of patients.

    Attributes:
        seed: the study seed (for per-patient random streams).
        patient_index: (n,) global patient indices.
        dose_index: position of this dose in the regimen.
        target_levels: (n, 5) bool, the levels this dose treats in each patient.
        region: seroprevalence region.
        earlier: the regimen's earlier doses (for antibodies raised by them).
        dose_age_days: (n,) each patient's age at this dose (for effects that start a
            clock: a drug's time course, tolerance, expectation); None when unknown.
    """

    seed: int
    patient_index: np.ndarray
    dose_index: int
    target_levels: np.ndarray
    region: str = "us"
    earlier: tuple[DoseSettings, ...] = field(default=())
    dose_age_days: np.ndarray | None = None

    @property
    def n_patients(self) -> int:
        return len(self.patient_index)


class AbstractTherapy(ABC, Generic[SettingsT]):
    """A therapy modality (see module docs). Concrete modalities are final.

    It is generic in the settings type of its doses:
    ``class Nsaid(AbstractTherapy[NsaidSettings])``.
    """

    modality: ClassVar[str]
    Settings: ClassVar[type[DoseSettings]]
    states: ClassVar[tuple[str, ...]]
    parameters: ClassVar[tuple[str, ...]]
    #: kind of treatment for the expectation effect (:mod:`disctwin.therapies.nonspecific`):
    #: ``"injection"``, ``"oral"`` or ``"exercise"``.
    expectation: ClassVar[str] = "injection"

    @abstractmethod
    def effects(self, settings: SettingsT, ctx: DoseContext) -> list[Effect]:
        """The changes this dose makes at its dosing time."""

    @abstractmethod
    def hazards(self, settings: SettingsT, ctx: DoseContext) -> list[Hazard]:
        """The adverse-event hazards of this dose."""

    def check(self, settings: SettingsT) -> list:
        """Cross-field problems of ``settings`` (list of :class:`~disctwin.errors.Problem`)."""
        return []


#: modality name -> therapy class.
THERAPIES: dict[str, type[AbstractTherapy[Any]]] = {}

_TherapyClass = TypeVar("_TherapyClass", bound=type[AbstractTherapy[Any]])


def register(cls: _TherapyClass) -> _TherapyClass:
    """Class decorator: make a modality available to regimen files."""
    if cls.modality in THERAPIES:
        raise ValueError(f"modality {cls.modality!r} registered twice")
    THERAPIES[cls.modality] = cls
    return cls
