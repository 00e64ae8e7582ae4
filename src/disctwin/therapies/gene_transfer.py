"""Viral gene transfer of secreted or anabolic transgenes (AAV, adenovirus, lentivirus, HSV).

Intradiscal: SOX9, TGF-beta1/3, CTGF, GDF5, BMP2/7, collagen II upregulation (anabolic),
TIMP1, IL-1Ra (anti-catabolic). Intrathecal or intradermal (DRG): beta-endorphin (POMC),
enkephalin (PENK). Kinetics, antibodies and harms: :mod:`disctwin.therapies.delivery`.

>>> GeneTransfer.Settings(modality="gene_therapy", vector="ad5", payload=("tgfb1",),
...     route="intradiscal", dose=1e9).dose
1000000000.0
"""

from __future__ import annotations

from disctwin.therapies.payload import PayloadTherapy, payload_modality

__all__ = ["GeneTransfer"]

GeneTransfer = payload_modality(
    PayloadTherapy(
        modality="gene_therapy",
        payload_kinds=("secreted",),
        viral_only=True,
        gains=(
            "tx_anabolic_gain",
            "tx_collagen_gain",
            "tx_timp_gain",
            "tx_il1_block",
            "tx_opioid_gain",
        ),
    ),
    class_name="GeneTransfer",
    doc="A viral vector carrying transgenes whose products act while expressed.",
    module=__name__,
)
