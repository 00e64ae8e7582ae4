"""Mechanical load and the disc's nutrient supply: endplate, glucose, pH, nutrient stress.

The NP has no blood supply: glucose diffuses in through the endplates and is consumed by the
cells, lactate accumulates and the pH falls. The quasi-steady balance is

    glucose = P_e / (P_e + phi (C + f_s S + f_i I))

(endplate permeability ``P_e``; consumption by viable, senescent and implanted cells).
"""

from __future__ import annotations

import sympy as sp

from disctwin.model.processes.base import ModelSymbols, Process, Quantity, hill_down

__all__ = [
    "GLUCOSE_STRESS_HILL",
    "REFERENCE_BMI",
    "glucose_reference",
    "nutrition",
]

#: kg/m^2. Body-mass index at which the BMI load effect is zero: the WHO boundary between
#: normal weight and overweight (WHO 2000, "Obesity: preventing and managing the global
#: epidemic", WHO Technical Report Series 894).
REFERENCE_BMI = 25

#: 1 (Hill exponent). Steepness of cell death as glucose falls below its half-stress level.
#: Assumption: NP cells die over a narrow glucose range, below ~0.5 mM (Horner & Urban 2001,
#: Spine 26:2543; Bibby & Urban 2004, Eur Spine J 13:695), so a switch, not a gradual
#: decline: with n = 4 the stress goes from 20% to 80% of its maximum over a two-fold fall.
GLUCOSE_STRESS_HILL = 4


def glucose_reference(p) -> sp.Expr:
    """NP-centre glucose of the reference disc (intact endplate, full viable cells)."""
    return 1 / (1 + p.glucose_consumption_ratio)


def nutrition(m: ModelSymbols) -> Process:
    r"""Load and nutrient supply of one disc.

    * load: :math:`L = \text{level\_load}\,(1 + m\,\text{manual})(1 + b\,(\text{BMI}-25))`.
    * endplate: :math:`\dot P_e = -k_{ep} e^{\beta_s s + \beta_d d + \beta_L (L-1)}
      (P_e - P_{min})`.
    * glucose (quasi-steady diffusion-consumption balance); pH falls linearly with the
      glucose deficit; nutrient stress is a Hill switch in glucose plus a logistic in pH.

    Rates: ``endplate_permeability``.
    """
    p, cov = m.p, m.covariates
    permeability = m.state("endplate_permeability")
    viable = m.state("viable_cells")
    senescent = m.state("senescent_cells")
    implanted = m.state("implanted_cells")

    load = Quantity(
        "load",
        "1",
        "Relative mechanical load on the disc",
        p.level_load
        * (1 + p.manual_labour_load_effect * cov["manual_labour"])
        * (1 + p.bmi_load_effect * (cov["bmi"] - REFERENCE_BMI)),
    )
    endplate_decline = Quantity(
        "endplate_decline",
        "1/day",
        "Rate constant of endplate permeability decline",
        p.endplate_decline_rate
        * sp.exp(
            p.smoking_endplate_effect * cov["smoker"]
            + p.diabetes_endplate_effect * cov["diabetes"]
            + p.load_endplate_effect * (load.symbol - 1)
        ),
    )
    # implanted cells eat from the same supply: many cells in a poorly fed disc starve
    consumers = (
        viable
        + p.senescent_consumption_fraction * senescent
        + p.implanted_consumption_ratio * implanted
    )
    glucose = Quantity(
        "glucose",
        "1",
        "NP-centre glucose relative to the endplate boundary (quasi-steady)",
        permeability / (permeability + p.glucose_consumption_ratio * consumers),
    )
    ph = Quantity(
        "ph",
        "pH",
        "NP-centre pH (lactate accumulates as supply falls)",
        p.ph_boundary - p.ph_drop_per_glucose_deficit * (1 - glucose.symbol),
    )
    nutrient_stress = Quantity(
        "nutrient_stress",
        "1",
        "Cell-death drive from low glucose plus low pH (0 = none)",
        hill_down(glucose.symbol, p.glucose_stress_half, GLUCOSE_STRESS_HILL)
        + 1 / (1 + sp.exp((ph.symbol - p.ph_stress_half) / p.ph_stress_width)),
    )
    return Process(
        "nutrition",
        assignments=(load, endplate_decline, glucose, ph, nutrient_stress),
        rates={
            "endplate_permeability": -endplate_decline.symbol * (permeability - p.endplate_floor),
        },
        observables=(
            Quantity("glucose", "1", "NP-centre glucose (relative)", glucose.symbol),
            Quantity("ph", "pH", "NP-centre pH", ph.symbol),
        ),
        terms={"glucose_reference": glucose_reference(p)},
    )
