"""Corticosteroid injection, intradiscal (at discography) or epidural.

The injection starts an anti-inflammatory pulse in the treated discs
(:func:`~disctwin.therapies.kinetics.pulse_effects`): peak activity
``max_gain(route) x D / (D + D50)`` with ``D`` the dose in prednisolone-equivalent mg, a
Bateman time course set by the drug (peak within days to weeks, gone by 3-12 months).
Inflammation sensitises the disc's nociceptors and the nerve root, and next to a collapsed disc
it reaches the vertebral marrow (the model's ``marrow_oedema``: a Modic 1 change, a pain source
of its own), so relief is larger in inflammatory (Modic 1) discs and vanishes as the pulse
wanes: Nguyen 2017 (intradiscal
prednisolone: 55.4% vs 33.3% responders at 1 month, none at 12 months), Chou 2015 (epidural:
-7.55/100 at 2-4 weeks, no long-term effect).

``placebo = true`` is the matched placebo injection of a trial (same route, needle and
procedure harms, no steroid). Intradiscal injections carry the needle injury and the
intradiscal procedure harms; epidural ones do not puncture the disc but risk a dural
puncture.

>>> Corticosteroid.Settings(modality="corticosteroid", drug="prednisolone_acetate",
...     dose_mg=25.0, route="intradiscal").dose_mg
25.0
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from disctwin.errors import Problem, suggest
from disctwin.therapies.base import AbstractTherapy, DoseContext, Effect, Hazard, register
from disctwin.therapies.delivery import LevelSettings, needle_effects, procedure_hazards
from disctwin.therapies.kinetics import PULSE_SLOTS, fixed_hazard, pulse_effects
from disctwin.therapies.products import products

__all__ = ["Corticosteroid", "CorticosteroidSettings", "steroid_gain"]


class CorticosteroidSettings(LevelSettings):
    """One corticosteroid injection.

    Attributes:
        route: ``intradiscal`` or ``epidural`` (at the treated levels).
        drug: catalogue steroid (``prednisolone_acetate``, ``methylprednisolone_acetate``,
            ``triamcinolone_acetonide``, ``dexamethasone``).
        dose_mg: milligrams of that drug.
        placebo: the matched placebo injection (no steroid).
    """

    # a steroid's own routes, not the delivery catalogue's: pydantic replaces the field, and the
    # shared level helpers only compare the route by value
    route: Literal["intradiscal", "epidural"] = "intradiscal"  # type: ignore[assignment]
    drug: str = "prednisolone_acetate"
    dose_mg: float = Field(default=25.0, gt=0.0, le=200.0)
    placebo: bool = False


def steroid_gain(settings: CorticosteroidSettings) -> float:
    """Peak anti-inflammatory activity of a dose (0 for the placebo)."""
    if settings.placebo:
        return 0.0
    c = products().comparators.corticosteroid
    route = c.route[settings.route]
    d = settings.dose_mg * c.drug[settings.drug].prednisolone_equivalent.value
    return route.max_gain.value * d / (d + route.dose_50_mg.value)


@register
class Corticosteroid(AbstractTherapy[CorticosteroidSettings]):
    """An anti-inflammatory pulse in the treated discs and nerve roots."""

    modality = "corticosteroid"
    Settings = CorticosteroidSettings
    states = ("annular_damage", "viable_cells", "proteoglycan")
    parameters = PULSE_SLOTS

    def check(self, settings):
        drugs = products().comparators.corticosteroid.drug
        if settings.drug not in drugs:
            return [
                Problem("dose.drug", settings.drug, ", ".join(drugs), suggest(settings.drug, drugs))
            ]
        return []

    def effects(self, settings: CorticosteroidSettings, ctx: DoseContext) -> list[Effect]:
        out = needle_effects(settings, ctx)  # nothing for an epidural injection
        gain = steroid_gain(settings)
        if gain > 0:
            drug = products().comparators.corticosteroid.drug[settings.drug]
            out += pulse_effects(
                settings.level_mask(ctx),
                ctx,
                gain,
                drug.onset_rate.value,
                drug.clearance_rate.value,
            )
        return out

    def hazards(self, settings: CorticosteroidSettings, ctx: DoseContext) -> list[Hazard]:
        out = procedure_hazards(settings, ctx) if settings.route == "intradiscal" else []
        for name, harm in products().comparators.corticosteroid.harm.items():
            if harm.route not in (settings.route, "any"):
                continue
            if settings.placebo and harm.route == "any":
                continue  # systemic steroid effects need the steroid
            related = "product" if harm.route == "any" else "procedure"
            out.append(fixed_hazard(name, harm, ctx.n_patients, related))
        return out
