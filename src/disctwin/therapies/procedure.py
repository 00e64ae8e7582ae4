"""Procedures without an active product: sham puncture, intradiscal saline, HA vehicle.

They carry the needle injury of an intradiscal puncture and its harms (discitis, nerve root
injury). The non-specific response of control arms (expectation, regression to the mean) is
not a property of the injectate and is modelled elsewhere.
"""

from __future__ import annotations

from typing import Literal

from disctwin.therapies.base import AbstractTherapy, register
from disctwin.therapies.delivery import LevelSettings, needle_effects, procedure_hazards

__all__ = ["Procedure", "ProcedureSettings"]


class ProcedureSettings(LevelSettings):
    """A control procedure: ``sham`` (needle placed, nothing injected), ``saline``, or
    ``vehicle_ha`` (hyaluronic-acid carrier)."""

    kind: Literal["sham", "saline", "vehicle_ha"]
    route: Literal["intradiscal"] = "intradiscal"


@register
class Procedure(AbstractTherapy):
    """Intradiscal control procedure (needle injury and procedure harms only)."""

    modality = "procedure"
    Settings = ProcedureSettings
    states = ("annular_damage", "viable_cells", "proteoglycan")
    parameters = ()

    def effects(self, settings, ctx):
        return needle_effects(settings, ctx)

    def hazards(self, settings, ctx):
        return procedure_hazards(settings, ctx)
