"""Conservative care / physical therapy: a programme of exercise and graded activity.

A programme drives the patient's ``rehabilitation`` state (a reduction of fear-avoidance
beliefs, SD units) towards ``fear_reduction`` at ``onset_rate``; when it ends, towards its
retained part at ``loss_rate``. Through the model's fear-avoidance effects on reported pain
and on disability (ODI) this is a modest, slow improvement, mostly of function: the usual
comparator of interventional trials, and the "failed conservative care" that trial
eligibility asks for (the screening history of :mod:`disctwin.trial.screening`).

>>> ConservativeCare.Settings(modality="conservative_care", duration_days=84).duration_days
84.0
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
from disctwin.therapies.kinetics import fixed_hazard
from disctwin.therapies.products import products

__all__ = ["ConservativeCare", "ConservativeCareSettings"]


class ConservativeCareSettings(DoseSettings):
    """A physical-therapy programme.

    Attributes:
        duration_days: length of the supervised programme.
    """

    duration_days: float = Field(default=84.0, gt=0.0, le=3650.0)


@register
class ConservativeCare(AbstractTherapy[ConservativeCareSettings]):
    """Exercise / graded activity lowering fear-avoidance; modest and slow."""

    modality = "conservative_care"
    Settings = ConservativeCareSettings
    states = ("rehabilitation",)
    parameters = ("tx_care_target", "tx_care_rate")
    expectation = "exercise"

    def effects(self, settings: ConservativeCareSettings, ctx: DoseContext) -> list[Effect]:
        c = products().comparators.conservative_care
        gain = c.fear_reduction.value
        end = settings.duration_days
        return [
            Effect("parameter_set", "tx_care_target", None, gain),
            Effect("parameter_set", "tx_care_rate", None, c.onset_rate.value),
            Effect(
                "parameter_set",
                "tx_care_target",
                None,
                gain * c.retained_fraction.value,
                delay_days=end,
            ),
            Effect("parameter_set", "tx_care_rate", None, c.loss_rate.value, delay_days=end),
        ]

    def hazards(self, settings: ConservativeCareSettings, ctx: DoseContext) -> list[Hazard]:
        harms = products().comparators.conservative_care.harm
        return [fixed_hazard(name, h, ctx.n_patients, "product") for name, h in harms.items()]
