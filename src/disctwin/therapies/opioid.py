"""Opioid analgesia: a daily dose for a duration, with tolerance, misuse and addiction.

While taken, the drug adds spinal opioid tone ``MME / opioid_mme_per_tone`` that falls with
tolerance towards ``opioid_tolerance_floor`` of its initial value (model parameters), so
transmitted nociceptive input and central sensitisation fall (dose-dependent, saturating
analgesia that wanes). The daily dose is the model observable ``opioid_daily_mme`` (0 = off
all opioids), so "off opioids" can be an endpoint.

Harms while on therapy (``comparators.toml``; probability over the course
``1 - exp(-h (MME / 60)^a years)``): misuse and addiction (Vowles 2015: 21-29% and 8-12% on
long-term therapy), overdose (Dunn 2010, rising with dose), constipation.

>>> Opioid.Settings(modality="opioid", mme_per_day=60, duration_days=365).mme_per_day
60.0
"""

from __future__ import annotations

from pydantic import Field

from disctwin.therapies.base import (
    AbstractTherapy,
    DoseContext,
    DoseSettings,
    Effect,
    Hazard,
    register,
)
from disctwin.therapies.kinetics import course_effects, dose_ages, drug_hazard
from disctwin.therapies.products import products

__all__ = ["Opioid", "OpioidSettings"]


class OpioidSettings(DoseSettings):
    """A course of opioid therapy.

    Attributes:
        mme_per_day: daily dose in morphine milligram equivalents.
        duration_days: length of the course (long-term therapy: >= 90 days).
    """

    mme_per_day: float = Field(gt=0.0, le=400.0)
    duration_days: float = Field(default=365.0, gt=0.0, le=3650.0)


@register
class Opioid(AbstractTherapy[OpioidSettings]):
    """Daily opioid: analgesia with tolerance; misuse, addiction, overdose."""

    modality = "opioid"
    Settings = OpioidSettings
    states = ()
    parameters = ("tx_opioid_mme", "tx_opioid_start")
    expectation = "oral"

    def effects(self, settings: OpioidSettings, ctx: DoseContext) -> list[Effect]:
        start = Effect("parameter_set", "tx_opioid_start", None, dose_ages(ctx))
        course = course_effects(
            {"tx_opioid_mme": settings.mme_per_day}, None, settings.duration_days
        )
        return [start, *course]

    def hazards(self, settings: OpioidSettings, ctx: DoseContext) -> list[Hazard]:
        o = products().comparators.opioid
        return [
            drug_hazard(
                name,
                harm,
                ctx.n_patients,
                settings.mme_per_day,
                o.reference_mme,
                settings.duration_days,
            )
            for name, harm in o.harm.items()
        ]
