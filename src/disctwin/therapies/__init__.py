"""Therapies: one module per modality, each perturbing the model through one interface.

>>> from disctwin.therapies import load_regimen, simulate_twins     # doctest: +SKIP
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
from disctwin.therapies.simulate import TwinResult, parameters_over_time, simulate_twins

__all__ = [
    "BUILTIN_REGIMENS",
    "THERAPIES",
    "AbstractTherapy",
    "DoseContext",
    "DoseSettings",
    "Effect",
    "Hazard",
    "Regimen",
    "TwinResult",
    "catalogue",
    "dump_regimen",
    "load_regimen",
    "parameters_over_time",
    "parse_regimen",
    "register",
    "simulate_twins",
]
