"""Therapies: one module per modality, each perturbing the model through one interface.

A pure declaration layer: modalities say what a dose does (effects on model states and
slot parameters) and what it risks (hazards); regimens list doses. Running them is the
engine's (:func:`disctwin.engine.simulate`, :func:`disctwin.engine.simulate_twins`).

>>> from disctwin.therapies import load_regimen                     # doctest: +SKIP
"""

from disctwin.therapies import (  # noqa: F401  (register the modalities)
    cell_therapy,
    conservative_care,
    corticosteroid,
    crispr,
    gene_transfer,
    nsaid,
    opioid,
    procedure,
    rnai,
)
from disctwin.therapies.base import (
    THERAPIES,
    AbstractTherapy,
    DoseContext,
    DoseSettings,
    Effect,
    Hazard,
    register,
)
from disctwin.therapies.catalogue import catalogue
from disctwin.therapies.regimen import (
    BUILTIN_REGIMENS,
    Regimen,
    dump_regimen,
    load_regimen,
    parse_regimen,
)

__all__ = [
    "BUILTIN_REGIMENS",
    "THERAPIES",
    "AbstractTherapy",
    "DoseContext",
    "DoseSettings",
    "Effect",
    "Hazard",
    "Regimen",
    "catalogue",
    "dump_regimen",
    "load_regimen",
    "parse_regimen",
    "register",
]
