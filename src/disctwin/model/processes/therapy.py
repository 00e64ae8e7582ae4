"""Therapy compartments and every therapy hook (``tx_*`` parameters) of the model.

All are zero and inert when untreated; :mod:`disctwin.therapies` drives them through dose
events that add payload and set the ``tx_*`` slot parameters.

* disc payload: :math:`\\dot V = -k_v V`; transduced cells
  :math:`\\dot T = k_v V (C - T) + h\\,r_{prolif} T - (\\text{death} + \\text{senescence} +
  k_{loss}) T` (uptake needs viable cells; a dose of D units reaches :math:`1 - e^{-D}` of
  them); activity :math:`\\dot E = k_{on} (T - E)`. E raises the anabolic drive, collagen II
  synthesis and TIMPs, blocks IL-1, knocks down ADAMTS/MMP/RAPTOR, or removes part of the
  genetic risk score, each by its ``tx_*`` gain.
* implanted cells: die (their own rate, the niche's nutrient and osmotic stress) or
  differentiate into NP-like cells, which join the viable cells.
* anti-inflammatory pulse (corticosteroid, hyaluronic acid): a Bateman curve in the time
  since the injection.
* DRG: the same chain as in the disc (CSF payload, transduced fraction up to the serotype's
  reach, activity) represses Nav1.7 or secretes opioid peptides.
* drugs and care: opioid tone with tolerance, NSAID COX inhibition, conservative care's
  reduction of fear-avoidance, the expectation of relief.

The hooks are returned as named ``terms`` (factors and summands) that the biological
processes multiply in; the compartments' rates use the cells' and nutrition's assignments by
name.
"""

from __future__ import annotations

import sympy as sp

from disctwin.model.processes.annulus import swelling_pressure
from disctwin.model.processes.base import ModelSymbols, Process, Quantity, combine, symbol
from disctwin.model.processes.cells import proliferation
from disctwin.model.processes.nutrition import glucose_reference

__all__ = ["EXPRESSING_SHARE_GUARD", "therapy"]

#: 1 (cells, relative to the reference viable-cell density). Added to the viable cells when
#: the share of them expressing a payload is formed. Assumption: only guards against 0/0 in a
#: disc without cells; small against any living disc's cell density (~0.1 or more).
EXPRESSING_SHARE_GUARD = 1e-3


def therapy(m: ModelSymbols) -> Process:
    """Every therapy compartment and hook, disc and patient level.

    Rates: ``vector_load``, ``transduced_cells``, ``transgene_expression``,
    ``implanted_cells`` (disc); ``csf_vector``, ``drg_transduced``, ``drg_expression``,
    ``rehabilitation`` (patient).

    Terms: ``genetic_risk``, ``inflammation_relief``, ``rptor_remaining``,
    ``anabolic_boost``, ``collagen_boost``, ``timp_boost``, ``adamts_knocked_down``,
    ``mmp_knocked_down``, ``cox_remaining``, ``implant_differentiation`` (disc);
    ``nav17_remaining``, ``added_opioid_tone``, ``expectation`` (patient).
    """
    pulse = _anti_inflammatory_pulse(m)
    return combine(
        "therapy",
        pulse,
        _implanted_cells(m),
        _disc_payload(m, pulse.symbol("anti_inflammatory_pulse")),
        _drugs_and_care(m),
        _drg_payload(m),
    )


def _anti_inflammatory_pulse(m: ModelSymbols) -> Process:
    """Injected corticosteroid (or hyaluronic acid): a Bateman curve scaled to peak at 1."""
    p = m.p
    # onset k_o > clearance k_c
    since_pulse = m.t - p.tx_pulse_start
    k_on, k_off = p.tx_pulse_onset_rate, p.tx_pulse_clearance_rate
    pulse_peak_time = sp.log(k_on / k_off) / (k_on - k_off)
    pulse = Quantity(
        "anti_inflammatory_pulse",
        "1",
        "Anti-inflammatory drug activity in the disc (injected corticosteroid or hyaluronic "
        "acid): tx_pulse_gain x Bateman curve of the time since injection, peak = gain",
        p.tx_pulse_gain
        * (sp.exp(-k_off * since_pulse) - sp.exp(-k_on * since_pulse))
        / (sp.exp(-k_off * pulse_peak_time) - sp.exp(-k_on * pulse_peak_time)),
    )
    return Process(
        "anti_inflammatory_pulse",
        assignments=(pulse,),
        observables=(
            Quantity(
                "anti_inflammatory_pulse",
                "1",
                "Anti-inflammatory drug activity (corticosteroid, hyaluronic acid)",
                pulse.symbol,
            ),
        ),
    )


def _implanted_cells(m: ModelSymbols) -> Process:
    """Implanted cells: die in the niche or differentiate into NP-like (viable) cells."""
    p = m.p
    implanted = m.state("implanted_cells")
    death = Quantity(
        "implanted_cell_death",
        "1/day",
        "Death rate of implanted cells: the product's own rate, the niche's nutrient stress "
        "(low glucose, low pH) times the product's sensitivity, and osmotic/mechanical stress "
        "(swelling pressure x load)",
        p.tx_implant_death_rate
        + p.implanted_nutrient_death_rate
        * p.tx_implant_niche_sensitivity
        * symbol("nutrient_stress")
        + p.implanted_osmotic_death_rate * symbol("load") * swelling_pressure(m),
    )
    # implanted cells become NP-like cells as fast as the supply lets them (Naqvi & Buckley)
    differentiation = (
        p.tx_implant_differentiation_rate * (symbol("glucose") / glucose_reference(p)) * implanted
    )
    return Process(
        "implanted_cells",
        assignments=(death,),
        rates={"implanted_cells": -death.symbol * implanted - differentiation},
        observables=(
            Quantity(
                "implanted_cells",
                "1",
                "Surviving implanted cells (not yet differentiated), relative to the reference "
                "NP viable cell density",
                implanted,
            ),
        ),
        terms={"implant_differentiation": differentiation},
    )


def _disc_payload(m: ModelSymbols, pulse: sp.Symbol) -> Process:
    """Intradiscal payload (vector, siRNA, edit) and the hooks through which it acts."""
    p = m.p
    viable = m.state("viable_cells")
    vector = m.state("vector_load")
    transduced = m.state("transduced_cells")
    # payload effects: secreted products act in proportion to the expressing cells (relative
    # to the reference disc); knock-downs/edits lower their target in the expressing cells
    expressing = m.state("transgene_expression")
    implanted = m.state("implanted_cells")
    # share of the viable cells expressing the payload (per-cell signalling)
    expressing_share = expressing / (viable + EXPRESSING_SHARE_GUARD)
    fate = symbol("cell_death") + symbol("senescence") + p.tx_payload_loss_rate
    rates = {
        # cleared from the disc; taken up only by viable, not yet transduced cells
        "vector_load": -p.tx_vector_clearance_rate * vector,
        "transduced_cells": p.tx_vector_clearance_rate * vector * (viable - transduced)
        + p.tx_inheritance * proliferation(m) * transduced
        - fate * transduced,
        "transgene_expression": p.tx_onset_rate * (transduced - expressing),
    }
    terms = {
        # editing removes risk alleles a person carries: it lowers a positive (risk) score
        # towards 0 and leaves a protective (negative) score alone, never raising anyone's
        # risk (the score's positive part is the carried excess risk)
        "genetic_risk": m.covariate("genetic_risk_score")
        - p.tx_genetic_correction * expressing * sp.Max(m.covariate("genetic_risk_score"), 0),
        "inflammation_relief": 1
        / (1 + p.tx_il1_block * expressing)
        / (1 + pulse)
        / (1 + p.tx_paracrine_antiinflammatory * implanted),
        "rptor_remaining": 1 - p.tx_rptor_knockdown * expressing_share,
        "anabolic_boost": (1 + p.tx_anabolic_gain * expressing)
        * (1 + p.tx_paracrine_anabolic * implanted),
        "collagen_boost": 1 + p.tx_collagen_gain * expressing,
        "timp_boost": 1 + p.tx_timp_gain * expressing,
        "adamts_knocked_down": p.tx_adamts_knockdown * expressing,
        "mmp_knocked_down": p.tx_mmp_knockdown * expressing,
        # NSAIDs block the prostaglandin part of nociceptor sensitisation (COX inhibition)
        "cox_remaining": 1 - p.tx_cox_inhibition,
    }
    return Process(
        "disc_payload",
        rates=rates,
        observables=(
            Quantity("transgene_activity", "1", "Payload activity in the disc", expressing),
        ),
        terms=terms,
    )


def _drg_payload(m: ModelSymbols) -> Process:
    """Intrathecal payload taken up by DRG neurons: Nav1.7 repression, opioid peptides."""
    p = m.p
    csf = m.state("csf_vector")
    transduced = m.state("drg_transduced")
    expressing = m.state("drg_expression")
    return Process(
        "drg_payload",
        rates={
            "csf_vector": -p.tx_csf_clearance_rate * csf,
            "drg_transduced": p.tx_csf_clearance_rate * csf * (p.tx_drg_reach - transduced)
            - p.tx_drg_loss_rate * transduced,
            "drg_expression": p.tx_drg_onset_rate * (transduced - expressing),
        },
        observables=(
            Quantity(
                "nav17_relative_expression",
                "1",
                "Nav1.7 in lumbar DRG neurons relative to untreated (SCN9A repression)",
                p.nav17_expression * (1 - p.tx_nav17_knockdown * expressing),
            ),
            Quantity(
                "transgenic_opioid_tone",
                "1",
                "Spinal opioid tone added by transgenic beta-endorphin or enkephalin",
                p.tx_opioid_gain * expressing,
            ),
        ),
        terms={
            "nav17_remaining": 1 - p.tx_nav17_knockdown * expressing,
            "transgenic_opioid_tone": p.tx_opioid_gain * expressing,
        },
    )


def _drugs_and_care(m: ModelSymbols) -> Process:
    """Opioid drug tone (with tolerance), conservative care, expectation of relief."""
    p, t = m.p, m.t
    drug_tone = Quantity(
        "opioid_drug_tone",
        "1",
        "Spinal opioid tone from an opioid drug: daily dose / opioid_mme_per_tone, falling "
        "with tolerance from 1 to opioid_tolerance_floor at opioid_tolerance_rate",
        p.tx_opioid_mme
        / p.opioid_mme_per_tone
        * (
            p.opioid_tolerance_floor
            + (1 - p.opioid_tolerance_floor)
            * sp.exp(-p.opioid_tolerance_rate * (t - p.tx_opioid_start))
        ),
    )
    rehabilitation = m.state("rehabilitation")
    # expectation of relief after a treatment (placebo component), decaying since it began
    expectation = p.tx_expectation_gain * sp.exp(
        -p.expectation_decay_rate * (t - p.tx_expectation_start)
    )
    return Process(
        "drugs_and_care",
        assignments=(drug_tone,),
        # conservative care: fear-avoidance reduction relaxes towards its programme target
        rates={"rehabilitation": p.tx_care_rate * (p.tx_care_target - rehabilitation)},
        observables=(
            Quantity(
                "expectation_effect",
                "1",
                "Fractional reduction of reported pain by the expectation of relief (placebo "
                "component of a treatment)",
                expectation,
            ),
            Quantity(
                "opioid_daily_mme",
                "mg/day",
                "Opioid drug taken, morphine milligram equivalents per day (0 = off opioids)",
                p.tx_opioid_mme,
            ),
            Quantity(
                "opioid_drug_tone",
                "1",
                "Spinal opioid tone from the opioid drug, after tolerance",
                drug_tone.symbol,
            ),
        ),
        terms={"drug_opioid_tone": drug_tone.symbol, "expectation": expectation},
    )
