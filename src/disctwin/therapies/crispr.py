"""CRISPR: nuclease knockout (permanent), dCas9/ZFP-KRAB repression (while expressed), and
preventive editing of genetic risk alleles (acts through the genetic risk score).

Includes SCN9A (Nav1.7) repression in DRG neurons by intrathecal AAV (Moreno 2021: relief
up to 44 weeks in mice, no change in disc structure). Knockouts and edits outlive the
vector: inherited by daughter cells, never lost from living cells.
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

__all__ = ["GenomeEditing"]


@register
class GenomeEditing(AbstractTherapy):
    """CRISPR knockout, epigenetic repression or risk-allele editing."""

    modality = "crispr"
    Settings = PayloadSettings
    states = _STATES
    parameters = (
        *_SLOTS,
        "tx_mmp_knockdown",
        "tx_adamts_knockdown",
        "tx_genetic_correction",
        "tx_nav17_knockdown",
    )

    def check(self, settings):
        return check_payload_settings(settings, ("knockout", "repressor", "edit"), viral_only=False)

    def effects(self, settings, ctx):
        return payload_effects(settings, ctx)

    def hazards(self, settings, ctx):
        return payload_hazards(settings, ctx)
