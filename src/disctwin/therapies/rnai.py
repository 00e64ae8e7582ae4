"""RNA interference: siRNA (non-viral, transient) or vector-borne shRNA (durable).

Targets MMP3, ADAMTS5 and RPTOR (RAPTOR, mTORC1) in NP cells. The knock-down acts in the
cells holding the payload; the delivery (``vector = "sirna"``, or a viral vector for shRNA)
sets how long it lasts. Anchor: knock-down to ~27% of control at the peak (Kobe group 2021).
"""

from __future__ import annotations

from disctwin.therapies.payload import PayloadTherapy, payload_modality

__all__ = ["RNAInterference"]

RNAInterference = payload_modality(
    PayloadTherapy(
        modality="rnai",
        payload_kinds=("knockdown",),
        gains=("tx_mmp_knockdown", "tx_adamts_knockdown", "tx_rptor_knockdown"),
    ),
    class_name="RNAInterference",
    doc="siRNA or shRNA knock-down of a catabolic or mTORC1 target.",
    module=__name__,
)
