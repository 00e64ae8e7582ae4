"""One implementation for every payload modality: gene transfer, RNA interference, CRISPR.

A payload modality puts a payload (transgene, si/shRNA, nuclease or repressor) into disc
cells or DRG neurons through a vector by a route; what differs between modalities is data:
its name in regimen files, the settings of a dose, the payload kinds it may carry, whether
it needs a viral vector, and the ``tx_*`` gains its payloads set. A :class:`PayloadTherapy`
holds that data and implements the checks, effects and hazards once
(:mod:`disctwin.therapies.delivery`); :func:`payload_modality` turns a declaration into the
registered, final modality class that regimen files name.

>>> THERAPY = PayloadTherapy(modality="example", payload_kinds=("secreted",),
...     gains=("tx_timp_gain",))
>>> THERAPY.parameters[-1]
'tx_timp_gain'
"""

from __future__ import annotations

import types
from dataclasses import dataclass

from disctwin.therapies.base import (
    AbstractTherapy,
    DoseContext,
    Effect,
    Hazard,
    register,
)
from disctwin.therapies.delivery import (
    PayloadSettings,
    check_payload_settings,
    payload_effects,
    payload_hazards,
)

__all__ = ["PAYLOAD_KINETICS", "PAYLOAD_STATES", "PayloadTherapy", "payload_modality"]

#: Model states a payload dose drives: the disc and DRG payload chains, and the needle
#: injury of an intradiscal injection (annulus, cells, proteoglycan).
PAYLOAD_STATES: tuple[str, ...] = (
    "vector_load",
    "transduced_cells",
    "transgene_expression",
    "csf_vector",
    "drg_transduced",
    "drg_expression",
    "annular_damage",
    "viable_cells",
    "proteoglycan",
)

#: Slot parameters setting the payload's kinetics (from the vector family and the route).
PAYLOAD_KINETICS: tuple[str, ...] = (
    "tx_vector_clearance_rate",
    "tx_onset_rate",
    "tx_payload_loss_rate",
    "tx_inheritance",
    "tx_csf_clearance_rate",
    "tx_drg_reach",
    "tx_drg_onset_rate",
    "tx_drg_loss_rate",
)


@dataclass(frozen=True)
class PayloadTherapy:
    """A payload modality, declared by data.

    Attributes:
        modality: its name in regimen files.
        payload_kinds: catalogue payload kinds it may carry (``secreted``, ``knockdown``...).
        gains: the ``tx_*`` effect slots its payloads set (besides the kinetics).
        viral_only: whether the vector must be viral (no siRNA).
        settings: the pydantic model of one dose.
        kinetics: the kinetic slot parameters it sets.
        states: the model states it drives.
    """

    modality: str
    payload_kinds: tuple[str, ...]
    gains: tuple[str, ...]
    viral_only: bool = False
    settings: type[PayloadSettings] = PayloadSettings
    kinetics: tuple[str, ...] = PAYLOAD_KINETICS
    states: tuple[str, ...] = PAYLOAD_STATES

    @property
    def parameters(self) -> tuple[str, ...]:
        """Every slot parameter a dose of it may set."""
        return (*self.kinetics, *self.gains)

    def check(self, settings: PayloadSettings) -> list:
        """Cross-field problems of a dose (names, payload kinds, route, units)."""
        return check_payload_settings(settings, self.payload_kinds, viral_only=self.viral_only)

    def effects(self, settings: PayloadSettings, ctx: DoseContext) -> list[Effect]:
        """Needle injury, payload added and slot parameters set."""
        return payload_effects(settings, ctx)

    def hazards(self, settings: PayloadSettings, ctx: DoseContext) -> list[Hazard]:
        """Procedure harms plus the vector's dose-dependent harms."""
        return payload_hazards(settings, ctx)


def payload_modality(
    therapy: PayloadTherapy, *, class_name: str, doc: str, module: str
) -> type[AbstractTherapy[PayloadSettings]]:
    """The registered modality class of a declaration (final: a direct AbstractTherapy).

    Args:
        therapy: the declaration.
        class_name: the class's name (shown in the therapy catalogue).
        doc: its one-line docstring.
        module: the module that declares it (``__name__``), so the class pickles by name.
    """

    def check(self, settings):
        return therapy.check(settings)

    def effects(self, settings, ctx):
        return therapy.effects(settings, ctx)

    def hazards(self, settings, ctx):
        return therapy.hazards(settings, ctx)

    namespace = {
        "__doc__": doc,
        "__module__": module,
        "__qualname__": class_name,
        "declaration": therapy,
        "modality": therapy.modality,
        "Settings": therapy.settings,
        "states": therapy.states,
        "parameters": therapy.parameters,
        "check": check,
        "effects": effects,
        "hazards": hazards,
    }
    cls = types.new_class(class_name, (AbstractTherapy,), {}, lambda ns: ns.update(namespace))
    return register(cls)
