"""Catalogues of cell products, comparator drugs, conservative care and the expectation effect.

Loaded from ``disctwin/therapies/data/cells.toml`` and ``comparators.toml`` and validated at
load like the gene-therapy catalogue (:mod:`disctwin.therapies.catalogue`): every number is
a :class:`~disctwin.therapies.catalogue.Quantity` with value, unit, plausible range and
source. Nothing here simulates; the modalities :mod:`~disctwin.therapies.cell_therapy`,
:mod:`~disctwin.therapies.corticosteroid`, :mod:`~disctwin.therapies.opioid`,
:mod:`~disctwin.therapies.nsaid`, :mod:`~disctwin.therapies.conservative_care` and
:mod:`~disctwin.therapies.nonspecific` read these values when they build dose events.
"""

from __future__ import annotations

from functools import cache
from typing import Literal

from disctwin.therapies.catalogue import Frozen, HarmTiming, Quantity, read_data, validated

__all__ = [
    "CellProduct",
    "CellSource",
    "Comparators",
    "HarmTiming",
    "Products",
    "products",
]


class FixedHarm(HarmTiming):
    """A harm with a fixed probability per exposure."""

    probability: Quantity
    route: str = "any"


class CellProduct(Frozen):
    """Shared constants of intradiscal cell products."""

    np_reference_cells: Quantity
    osteophyte_per_1e7_leaked: Quantity
    osteophyte_max: Quantity


class Carrier(Frozen):
    """What the cells are suspended in: leakage back through the needle track, and whether
    the carrier is hyaluronic acid (which has its own small anti-inflammatory effect)."""

    label: str
    leakage: Quantity
    ha_pulse: bool


class CellSource(Frozen):
    """One cell source: survival, differentiation, paracrine secretion, harms."""

    label: str
    donor: Literal["autologous", "allogeneic"]
    culture_expanded: bool
    death_rate: Quantity
    niche_sensitivity: Quantity
    differentiation_rate: Quantity
    paracrine_antiinflammatory: Quantity
    paracrine_anabolic: Quantity
    tumour_probability: Quantity
    immune_reaction_probability: Quantity


class Steroid(Frozen):
    label: str
    prednisolone_equivalent: Quantity
    onset_rate: Quantity
    clearance_rate: Quantity


class SteroidRoute(Frozen):
    label: str
    max_gain: Quantity
    dose_50_mg: Quantity


class Corticosteroids(Frozen):
    drug: dict[str, Steroid]
    route: dict[str, SteroidRoute]
    harm: dict[str, FixedHarm]


class DrugHarm(HarmTiming):
    """A harm of continuous drug therapy: probability ``s (1 - exp(-h (dose/ref)^a years))``
    with ``s`` the susceptible share (1 unless given), median onset ``onset_fraction`` of the
    therapy's duration."""

    hazard_per_year: Quantity
    dose_exponent: Quantity
    onset_fraction: Quantity
    susceptible: Quantity | None = None


class Opioids(Frozen):
    reference_mme: Quantity
    harm: dict[str, DrugHarm]


class Nsaid(Frozen):
    label: str
    cox_inhibition: Quantity
    gi_bleeding_per_year: Quantity
    cardiovascular_per_year: Quantity


class Nsaids(Frozen):
    drug: dict[str, Nsaid]
    harm: dict[str, HarmTiming]


class ConservativeCare(Frozen):
    fear_reduction: Quantity
    onset_rate: Quantity
    retained_fraction: Quantity
    loss_rate: Quantity
    harm: dict[str, FixedHarm]


class HyaluronicAcid(Frozen):
    pulse_gain: Quantity
    onset_rate: Quantity
    clearance_rate: Quantity


class Expectation(Frozen):
    injection: Quantity
    oral: Quantity
    exercise: Quantity
    blinded_factor: Quantity


class Comparators(Frozen):
    corticosteroid: Corticosteroids
    opioid: Opioids
    nsaid: Nsaids
    conservative_care: ConservativeCare
    hyaluronic_acid: HyaluronicAcid
    expectation: Expectation


class Products(Frozen):
    """Everything the cell-therapy and comparator modalities read."""

    product: CellProduct
    carrier: dict[str, Carrier]
    source: dict[str, CellSource]
    cell_harm: dict[str, HarmTiming]
    comparators: Comparators


@cache
def products() -> Products:
    """The packaged cell and comparator catalogue, validated (cached)."""
    cells = read_data("cells.toml")
    return validated(
        Products,
        product=cells["product"],
        carrier=cells["carrier"],
        source=cells["source"],
        cell_harm=cells["harm"],
        comparators=read_data("comparators.toml"),
    )
