"""The NP matrix: proteoglycan and collagen II, matrix enzymes, hydration and disc height.

Proteoglycan and collagen II are made by viable cells (anabolic drive falling with age, as a
Weibull survival curve from birth rescaled to 1 at age 10:
``a + (1-a) exp((t_ref/tau)^k - (t/tau)^k)``, and with inflammation and low glucose) and
degraded by ADAMTS/MMP activity (from viable and, more, senescent cells, raised by
inflammation, inhibited by TIMPs); part of the loss needs no cell-made enzymes. Hydration
follows proteoglycan (saturating); disc height relaxes to an equilibrium set by hydration
and annular damage, so that MRI signal loss precedes height loss.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from disctwin.model.processes.base import ModelSymbols, Process, Quantity, reference_value

__all__ = ["matrix"]


def matrix(m: ModelSymbols, nutrition: Process, therapy: Process, cells: Process) -> Process:
    """Matrix turnover, hydration and height of one disc, and what MRI sees of them.

    Rates: ``proteoglycan``, ``collagen_ii``, ``disc_height``.
    """
    p = m.p
    proteoglycan = m.state("proteoglycan")
    collagen = m.state("collagen_ii")
    glucose_ref = nutrition.terms["glucose_reference"]
    # the assignments a reference value may need, in evaluation order
    known = [*nutrition.assignments, *therapy.assignments, *cells.assignments]
    synthesis = _synthesis(m, nutrition, therapy, cells, known)
    known.append(synthesis)
    aggrecanase, collagenase, expression = _matrix_enzymes(m, glucose_ref, therapy, cells, known)
    water = Quantity(
        "water_fraction",
        "1",
        "NP water fraction",
        p.water_fraction_floor
        + p.water_fraction_span
        * (1 + p.water_proteoglycan_half)
        * proteoglycan
        / (proteoglycan + p.water_proteoglycan_half),
    )
    hydration = (water.symbol - p.water_fraction_floor) / p.water_fraction_span
    height_eq = Quantity(
        "height_equilibrium",
        "1",
        "Disc height the disc relaxes towards (hydration, annulus)",
        p.height_floor
        + (1 - p.height_floor) * hydration
        - p.height_fissure_loss * m.state("annular_damage"),
    )
    # part of matrix loss does not need cell-made enzymes, so losing cells loses matrix
    passive = p.matrix_passive_loss_fraction
    rates = {
        "proteoglycan": p.proteoglycan_turnover_rate
        * (synthesis.symbol - (passive + (1 - passive) * aggrecanase.symbol) * proteoglycan),
        "collagen_ii": p.collagen_turnover_rate
        * (
            synthesis.symbol * therapy.terms["collagen_boost"]
            - (passive + (1 - passive) * collagenase.symbol) * collagen
        ),
        "disc_height": p.height_remodelling_rate * (height_eq.symbol - m.state("disc_height")),
    }
    return Process(
        "matrix",
        assignments=(synthesis, aggrecanase, collagenase, water, height_eq),
        rates=rates,
        observables=(
            *_mri_observables(m, water.symbol),
            Quantity(
                "proteoglycan_synthesis",
                "1",
                "Proteoglycan synthesis rate relative to the adolescent reference disc",
                synthesis.symbol,
            ),
            *expression,
        ),
    )


def _synthesis(
    m: ModelSymbols,
    nutrition: Process,
    therapy: Process,
    cells: Process,
    known: Sequence[Quantity],
) -> Quantity:
    """Matrix synthesis: viable cells x anabolic drive, 1 in the adolescent reference disc."""
    p, t = m.p, m.t
    glucose, inflammation = nutrition.symbol("glucose"), cells.symbol("inflammation")
    # synthesis per cell falls with age as a Weibull survival curve from birth (shape 1 is
    # an exponential fall from age 10; a larger shape makes the fall steepen in midlife),
    # rescaled to 1 at the reference age; written from birth so that it stays smooth there
    age_factor = p.anabolic_floor + (1 - p.anabolic_floor) * sp.exp(
        (p.anabolic_reference_age / p.anabolic_age_timescale) ** p.anabolic_age_shape
        - (t / p.anabolic_age_timescale) ** p.anabolic_age_shape
    )
    synthesis_raw = (
        p.anabolic_capacity
        * p.anabolic_gene_expression
        * therapy.terms["anabolic_boost"]
        * age_factor
        * sp.exp(-p.genetic_anabolic_effect * therapy.terms["genetic_risk"])
        / (1 + inflammation / p.anabolic_inflammation_half)
        * glucose
        / (glucose + p.anabolic_glucose_half)
        * m.state("viable_cells")
    )
    reference = reference_value(
        synthesis_raw,
        known,
        nutrition.terms["glucose_reference"],
        extra={t: p.anabolic_reference_age},
    )
    return Quantity(
        "matrix_synthesis",
        "1",
        "Matrix synthesis relative to the adolescent reference disc (viable cells x drive)",
        synthesis_raw / reference,
    )


def _matrix_enzymes(
    m: ModelSymbols,
    glucose_ref: sp.Expr,
    therapy: Process,
    cells: Process,
    known: Sequence[Quantity],
) -> tuple[Quantity, Quantity, tuple[Quantity, ...]]:
    """Aggrecanase and collagenase activity, and the enzyme-expression observables."""
    p = m.p
    viable, senescent = m.state("viable_cells"), m.state("senescent_cells")
    inflammation = cells.symbol("inflammation")
    enzyme_drive = (
        p.enzyme_basal
        * (1 + p.enzyme_inflammation_gain * inflammation)
        * sp.exp(p.genetic_catabolic_effect * therapy.terms["genetic_risk"])
    )
    secreting = viable + p.senescent_secretion_ratio * senescent
    enzyme_ref = reference_value(enzyme_drive * secreting, known, glucose_ref)
    timp = p.timp_level * therapy.terms["timp_boost"]
    # a knock-down silences the target in the expressing cells (cell units), not in
    # untreated or senescent cells
    adamts_cells = (
        viable - therapy.terms["adamts_knocked_down"] + p.senescent_secretion_ratio * senescent
    )
    mmp_cells = viable - therapy.terms["mmp_knocked_down"] + p.senescent_secretion_ratio * senescent
    aggrecanase = Quantity(
        "aggrecanase_activity",
        "1",
        "ADAMTS-4/5 activity relative to the adolescent reference (TIMP-inhibited)",
        p.adamts_expression * enzyme_drive * adamts_cells / enzyme_ref / timp,
    )
    collagenase = Quantity(
        "collagenase_activity",
        "1",
        "MMP-3/13 activity relative to the adolescent reference (TIMP-inhibited)",
        p.mmp_expression * enzyme_drive * mmp_cells / enzyme_ref / timp,
    )
    expression = (
        Quantity(
            "adamts_relative_expression",
            "1",
            "ADAMTS-4/5 output of the disc's cells relative to untreated (RNAi/CRISPR knock-down)",
            p.adamts_expression * adamts_cells / secreting,
        ),
        Quantity(
            "mmp_relative_expression",
            "1",
            "MMP-3/13 output of the disc's cells relative to untreated (RNAi/CRISPR knock-down)",
            p.mmp_expression * mmp_cells / secreting,
        ),
    )
    return aggrecanase, collagenase, expression


def _mri_observables(m: ModelSymbols, water: sp.Symbol) -> tuple[Quantity, ...]:
    """T2, height and bulge as an MRI reader sees them."""
    p = m.p
    water_ref = p.water_fraction_floor + p.water_fraction_span
    # what an MRI reader sees is the disc's own constitution (developmental size and water
    # content, static, differing between people and levels) times its degeneration
    t2_seen = p.constitutional_t2 * sp.exp(p.t2_water_sensitivity * (water - water_ref))
    height_seen = p.constitutional_height * m.state("disc_height")
    return (
        Quantity(
            "t2_relative",
            "1",
            "NP T2 relative to the population-typical adolescent disc (constitution x hydration)",
            t2_seen,
        ),
        Quantity("t2_ms", "ms", "NP T2 relaxation time", p.t2_reference_ms * t2_seen),
        Quantity(
            "disc_height_relative",
            "1",
            "Disc height relative to the population-typical adolescent disc (constitution x "
            "degeneration)",
            height_seen,
        ),
        Quantity(
            "bulge_index",
            "1",
            "Circumferential bulge: height below the typical disc + annular laxity",
            (1 - height_seen) + p.bulge_fissure_weight * m.state("annular_damage"),
        ),
    )
