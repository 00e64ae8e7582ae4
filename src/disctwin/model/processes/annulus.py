"""The annulus: fissures (annular damage) and herniation of the NP through them.

Annular damage grows with load, faster as the matrix support is lost (and, in adolescence,
with growth-related injury); it is repaired slowly by the viable cells. Herniation is the
swelling NP pushed through fissures (rate ∝ damage²), resorbed over months to years.
"""

from __future__ import annotations

import sympy as sp

from disctwin.model.processes.base import ModelSymbols, Process, Quantity

__all__ = ["HERNIATION_FISSURE_EXPONENT", "annulus", "swelling_pressure"]

#: 1 (exponent). Herniation rate ∝ annular_damage^2. Assumption: NP material escapes only
#: where fissures reach through the annulus (Adams & Roughley 2006, Spine 31:2151, review),
#: and a through-and-through path needs several lamellae damaged at once, so the rate grows
#: faster than the damage itself; 2 is the lowest integer power that does.
HERNIATION_FISSURE_EXPONENT = 2


def swelling_pressure(m: ModelSymbols) -> sp.Expr:
    """NP swelling pressure from proteoglycan, relative to the reference NP (1 at PG = 1)."""
    p = m.p
    proteoglycan = m.state("proteoglycan")
    return (
        proteoglycan
        / (proteoglycan + p.herniation_swelling_half)
        * (1 + p.herniation_swelling_half)
    )


def annulus(m: ModelSymbols, nutrition: Process) -> Process:
    """Annular fissuring and herniation in one disc.

    Rates: ``annular_damage``, ``herniated_volume``.
    """
    p, t = m.p, m.t
    fissure = m.state("annular_damage")
    herniated = m.state("herniated_volume")
    load = nutrition.symbol("load")
    # growth-related annular injury: the excess fades as the skeleton matures (from age 10)
    adolescent_fissure = 1 + p.adolescent_fissure_excess * sp.exp(
        -(t - p.anabolic_reference_age) / p.adolescent_fissure_timescale
    )
    # the annulus is supported by the NP's matrix: the mean of its two main components
    matrix_support = (m.state("collagen_ii") + m.state("proteoglycan")) / 2
    fissure_rate = (
        p.fissure_rate
        * adolescent_fissure
        * load
        * sp.exp(p.fissure_matrix_effect * (1 - matrix_support))
        * (1 - fissure)
        - p.fissure_repair_rate * m.state("viable_cells") * fissure
    )
    herniation_rate = (
        p.herniation_rate
        * load
        * fissure**HERNIATION_FISSURE_EXPONENT
        * swelling_pressure(m)
        * (1 - herniated)
        - p.herniation_resorption_rate * herniated
    )
    return Process(
        "annulus",
        rates={"annular_damage": fissure_rate, "herniated_volume": herniation_rate},
        observables=(
            Quantity("herniation", "1", "Herniated NP volume fraction", herniated),
            Quantity("annular_damage_extent", "1", "Annular damage (fissure extent)", fissure),
        ),
    )
