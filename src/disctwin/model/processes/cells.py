"""NP cells: inflammation, mTORC1 and autophagy, senescence, death and proliferation.

Viable cells proliferate logistically (scaled by glucose), die by apoptosis (raised by
inflammation and by low autophagy) and by nutrient failure, and become senescent;
senescent cells are cleared slowly. mTORC1 rises with glucose and inflammation (and RAPTOR
expression); autophagy is activated by inflammation and suppressed by mTORC1.
"""

from __future__ import annotations

import sympy as sp

from disctwin.model.processes.base import (
    ModelSymbols,
    Process,
    Quantity,
    hill_down,
    reference_value,
    symbol,
)
from disctwin.model.processes.nutrition import glucose_reference

__all__ = [
    "INFLAMMATION_MATRIX_HILL",
    "REFERENCE_AUTOPHAGY",
    "cells",
    "proliferation",
]

#: 1 (Hill exponent). Steepness of the rise of overload inflammation as proteoglycan is lost.
#: Assumption: the lowest integer exponent that makes it a threshold (the NP stops
#: pressurising once about half its proteoglycan is gone), not a linear response.
INFLAMMATION_MATRIX_HILL = 2

#: 1. Autophagy of the reference disc (autophagy is normalised to it), so that
#: ``((1 + REFERENCE_AUTOPHAGY) / (1 + autophagy))^k`` is 1 there. Assumption: definition of
#: the reference, not a fitted value.
REFERENCE_AUTOPHAGY = 1


def proliferation(m: ModelSymbols) -> sp.Expr:
    """Logistic proliferation rate per viable cell (1/day), scaled by glucose."""
    p = m.p
    glucose_ratio = symbol("glucose") / glucose_reference(p)
    return (
        p.cell_proliferation_rate
        * glucose_ratio
        * (1 - m.state("viable_cells") - m.state("senescent_cells"))
    )


def cells(m: ModelSymbols, nutrition: Process, therapy: Process) -> Process:
    """Inflammation and the fate of NP cells in one disc.

    Rates: ``viable_cells``, ``senescent_cells``.
    """
    p = m.p
    viable = m.state("viable_cells")
    senescent = m.state("senescent_cells")
    glucose = nutrition.symbol("glucose")
    load = nutrition.symbol("load")
    known = [*nutrition.assignments, *therapy.assignments]

    inflammation = Quantity(
        "inflammation",
        "1",
        "Inflammation index (IL-1beta/TNF-alpha activity; 1 = moderately inflamed disc)",
        p.il1_signalling
        * therapy.terms["inflammation_relief"]
        * (
            p.inflammation_basal
            + p.inflammation_per_senescent * senescent
            + p.inflammation_per_herniation * m.state("herniated_volume")
            + p.inflammation_mechanical
            * load
            * hill_down(
                m.state("proteoglycan"), p.inflammation_matrix_half, INFLAMMATION_MATRIX_HILL
            )
        ),
    )
    mtorc1 = Quantity(
        "mtorc1",
        "1",
        "mTORC1 activity (nutrient- and cytokine-driven)",
        p.rptor_expression
        * therapy.terms["rptor_remaining"]
        * glucose
        / (glucose + p.mtorc1_glucose_half)
        * (1 + p.mtorc1_inflammation_gain * inflammation.symbol),
    )
    known += [inflammation, mtorc1]
    autophagy_raw = (1 + p.autophagy_inflammation_gain * inflammation.symbol) / (
        1 + mtorc1.symbol / p.autophagy_mtorc1_half
    )
    autophagy = Quantity(
        "autophagy",
        "1",
        "Autophagy relative to the healthy adolescent disc",
        autophagy_raw / reference_value(autophagy_raw, known, nutrition.terms["glucose_reference"]),
    )
    autophagy_stress = Quantity(
        "autophagy_stress",
        "1",
        "Multiplier of apoptosis and senescence from impaired autophagy (1 at reference)",
        ((1 + REFERENCE_AUTOPHAGY) / (1 + autophagy.symbol)) ** p.autophagy_protection_exponent,
    )
    senescence = Quantity(
        "senescence",
        "1/day",
        "Rate at which viable cells become senescent, per viable cell",
        p.senescence_rate
        * (1 + p.inflammation_senescence_gain * inflammation.symbol)
        * autophagy_stress.symbol,
    )
    cell_death = Quantity(
        "cell_death",
        "1/day",
        "Death rate of viable cells (apoptosis + nutrient failure)",
        p.apoptosis_rate
        * (1 + p.inflammation_apoptosis_gain * inflammation.symbol)
        * autophagy_stress.symbol
        + p.nutrient_death_rate * nutrition.symbol("nutrient_stress"),
    )
    fate = cell_death.symbol + senescence.symbol
    return Process(
        "cells",
        assignments=(inflammation, mtorc1, autophagy, autophagy_stress, senescence, cell_death),
        rates={
            "viable_cells": proliferation(m) * viable
            - fate * viable
            + therapy.terms["implant_differentiation"],
            "senescent_cells": senescence.symbol * viable - p.senescent_clearance_rate * senescent,
        },
        observables=(
            Quantity("inflammation", "1", "Inflammation index", inflammation.symbol),
            Quantity(
                "raptor_relative_expression",
                "1",
                "RAPTOR (mTORC1) expression relative to untreated (RNAi knock-down)",
                p.rptor_expression * therapy.terms["rptor_remaining"],
            ),
        ),
    )
