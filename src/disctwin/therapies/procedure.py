"""Procedures without an active product: sham puncture, intradiscal saline, HA vehicle.

They carry the needle injury of an intradiscal puncture and its harms (discitis, nerve root
injury); the hyaluronic-acid vehicle also has a small anti-inflammatory effect of its own
(:func:`disctwin.therapies.nonspecific.hyaluronic_acid_effects`). The rest of the non-specific
response of control arms (expectation, regression to the mean, natural course) is not a
property of the injectate: see :mod:`disctwin.therapies.nonspecific`.
"""

from __future__ import annotations

from typing import Literal

from disctwin.therapies.base import AbstractTherapy, register
from disctwin.therapies.delivery import LevelSettings, needle_effects, procedure_hazards
from disctwin.therapies.kinetics import PULSE_SLOTS
from disctwin.therapies.nonspecific import hyaluronic_acid_effects

__all__ = ["Procedure", "ProcedureSettings"]


class ProcedureSettings(LevelSettings):
    """A control procedure: ``sham`` (needle placed, nothing injected), ``saline``, or
    ``vehicle_ha`` (hyaluronic-acid carrier)."""

    kind: Literal["sham", "saline", "vehicle_ha"]
    route: Literal["intradiscal"] = "intradiscal"


@register
class Procedure(AbstractTherapy[ProcedureSettings]):
    """Intradiscal control procedure (needle injury and procedure harms only)."""

    modality = "procedure"
    Settings = ProcedureSettings
    states = ("annular_damage", "viable_cells", "proteoglycan")
    parameters = PULSE_SLOTS

    def effects(self, settings, ctx):
        out = needle_effects(settings, ctx)
        if settings.kind == "vehicle_ha":
            out += hyaluronic_acid_effects(settings.level_mask(ctx), ctx)
        return out

    def hazards(self, settings, ctx):
        return procedure_hazards(settings, ctx)
