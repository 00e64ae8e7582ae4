"""Viral gene transfer of secreted or anabolic transgenes (AAV, adenovirus, lentivirus, HSV).

Intradiscal: SOX9, TGF-beta1/3, CTGF, GDF5, BMP2/7, collagen II upregulation (anabolic),
TIMP1, IL-1Ra (anti-catabolic). Intrathecal or intradermal (DRG): beta-endorphin (POMC),
enkephalin (PENK). Kinetics, antibodies and harms: :mod:`disctwin.therapies.delivery`.

>>> GeneTransfer.Settings(modality="gene_therapy", vector="ad5", payload=("tgfb1",),
...     route="intradiscal", dose=1e9).dose
1000000000.0
"""

from __future__ import annotations

from disctwin.therapies.base import AbstractTherapy, register
from disctwin.therapies.delivery import (
    PayloadSettings,
    check_payload_settings,
    payload_effects,
    payload_hazards,
)

__all__ = ["GeneTransfer"]

_STATES = (
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
_SLOTS = (
    "tx_vector_clearance_rate",
    "tx_onset_rate",
    "tx_payload_loss_rate",
    "tx_inheritance",
    "tx_csf_clearance_rate",
    "tx_drg_reach",
    "tx_drg_onset_rate",
    "tx_drg_loss_rate",
)


@register
class GeneTransfer(AbstractTherapy):
    """A viral vector carrying transgenes whose products act while expressed."""

    modality = "gene_therapy"
    Settings = PayloadSettings
    states = _STATES
    parameters = (
        *_SLOTS,
        "tx_anabolic_gain",
        "tx_collagen_gain",
        "tx_timp_gain",
        "tx_il1_block",
        "tx_opioid_gain",
    )

    def check(self, settings):
        return check_payload_settings(settings, ("secreted",), viral_only=True)

    def effects(self, settings, ctx):
        return payload_effects(settings, ctx)

    def hazards(self, settings, ctx):
        return payload_hazards(settings, ctx)
