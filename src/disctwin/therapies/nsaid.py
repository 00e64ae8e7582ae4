"""Non-steroidal anti-inflammatory drugs: a course of daily tablets.

While taken, COX inhibition blocks part of the prostaglandin sensitisation of the disc
nociceptors in every disc (model slot ``tx_cox_inhibition``): a modest, immediate relief,
larger in inflamed discs, gone when the course stops (Enthoven 2016: ~-7/100 vs placebo in
chronic LBP). Harms over the course: gastrointestinal bleeding and major vascular events,
with yearly hazards per drug (``comparators.toml``).

>>> Nsaid.Settings(modality="nsaid", drug="naproxen", duration_days=84).drug
'naproxen'
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from disctwin.errors import Problem, suggest
from disctwin.model.states import N_LEVELS
from disctwin.therapies.base import (
    AbstractTherapy,
    DoseContext,
    DoseSettings,
    Effect,
    Hazard,
    register,
)
from disctwin.therapies.products import products
from disctwin.units import DAYS_PER_YEAR

__all__ = ["Nsaid", "NsaidSettings"]


class NsaidSettings(DoseSettings):
    """A course of an NSAID at its usual full dose.

    Attributes:
        drug: catalogue NSAID (``naproxen``, ``ibuprofen``, ``celecoxib``).
        duration_days: length of the course.
    """

    drug: str = "naproxen"
    duration_days: float = Field(default=84.0, gt=0.0, le=3650.0)


@register
class Nsaid(AbstractTherapy[NsaidSettings]):
    """COX inhibition while taken; GI and vascular harms."""

    modality = "nsaid"
    Settings = NsaidSettings
    states = ()
    parameters = ("tx_cox_inhibition",)
    expectation = "oral"

    def check(self, settings):
        drugs = products().comparators.nsaid.drug
        if settings.drug not in drugs:
            return [
                Problem("dose.drug", settings.drug, ", ".join(drugs), suggest(settings.drug, drugs))
            ]
        return []

    def effects(self, settings: NsaidSettings, ctx: DoseContext) -> list[Effect]:
        value = products().comparators.nsaid.drug[settings.drug].cox_inhibition.value
        out = []
        for level in range(N_LEVELS):
            out.append(Effect("parameter_set", "tx_cox_inhibition", level, value))
            out.append(
                Effect(
                    "parameter_set",
                    "tx_cox_inhibition",
                    level,
                    0.0,
                    delay_days=settings.duration_days,
                )
            )
        return out

    def hazards(self, settings: NsaidSettings, ctx: DoseContext) -> list[Hazard]:
        c = products().comparators.nsaid
        drug = c.drug[settings.drug]
        years = settings.duration_days / DAYS_PER_YEAR
        n = ctx.n_patients
        out = []
        for name, rate in (
            ("gi_bleeding", drug.gi_bleeding_per_year.value),
            ("cardiovascular_event", drug.cardiovascular_per_year.value),
        ):
            harm = c.harm[name]
            out.append(
                Hazard(
                    term=name,
                    probability=np.full(n, -np.expm1(-rate * years)),
                    exposures=np.ones(n, dtype=np.int64),
                    onset_median_days=max(1.0, settings.duration_days / 2),
                    onset_gsd=harm.onset_days_gsd.value,
                    onset_within_days=settings.duration_days,
                    severity=harm.severity,
                    related="product",
                )
            )
        return out
