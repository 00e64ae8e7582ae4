"""CRISPR: nuclease knockout (permanent), dCas9/ZFP-KRAB repression (while expressed), and
preventive editing of genetic risk alleles (acts through the genetic risk score).

Includes SCN9A (Nav1.7) repression in DRG neurons by intrathecal AAV (Moreno 2021: relief
up to 44 weeks in mice, no change in disc structure). Knockouts and edits outlive the
vector: inherited by daughter cells, never lost from living cells.
"""

from __future__ import annotations

from disctwin.therapies.payload import PayloadTherapy, payload_modality

__all__ = ["GenomeEditing"]

GenomeEditing = payload_modality(
    PayloadTherapy(
        modality="crispr",
        payload_kinds=("knockout", "repressor", "edit"),
        gains=(
            "tx_mmp_knockdown",
            "tx_adamts_knockdown",
            "tx_genetic_correction",
            "tx_nav17_knockdown",
        ),
    ),
    class_name="GenomeEditing",
    doc="CRISPR knockout, epigenetic repression or risk-allele editing.",
    module=__name__,
)
