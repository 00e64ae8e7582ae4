"""RNA interference: siRNA (non-viral, transient) or vector-borne shRNA (durable).

Targets MMP3, ADAMTS5 and RPTOR (RAPTOR, mTORC1) in NP cells. The knock-down acts in the
cells holding the payload; the delivery (``vector = "sirna"``, or a viral vector for shRNA)
sets how long it lasts. Anchor: knock-down to ~27% of control at the peak (Kobe group 2021).
"""

from __future__ import annotations

from disctwin.therapies.base import AbstractTherapy, register
from disctwin.therapies.delivery import (
    PayloadSettings,
    check_payload_settings,
    payload_effects,
    payload_hazards,
)
from disctwin.therapies.gene_transfer import _SLOTS, _STATES

__all__ = ["RNAInterference"]


@register
class RNAInterference(AbstractTherapy):
    """siRNA or shRNA knock-down of a catabolic or mTORC1 target."""

    modality = "rnai"
    Settings = PayloadSettings
    states = _STATES
    parameters = (*_SLOTS, "tx_mmp_knockdown", "tx_adamts_knockdown", "tx_rptor_knockdown")

    def check(self, settings):
        return check_payload_settings(settings, ("knockdown",), viral_only=False)

    def effects(self, settings, ctx):
        return payload_effects(settings, ctx)

    def hazards(self, settings, ctx):
        return payload_hazards(settings, ctx)
