"""The virtual patient's biology as symbolic equations: one source for every use.

The model is written once here, in SymPy. The engine generates compiled code (right-hand
side, Jacobian, time derivative) from it; the SciPy reference, the SBML export and the model
reference documentation read the same expressions. Nothing else defines a rate law.

Structure (time ``t`` is age in days):

* Each of the five lumbar discs has the states of :data:`~disctwin.model.states.DISC_STATES`.
  A disc's rates depend only on its own states, on the patient's covariates and on
  parameters (some of which differ by level or by disc): discs interact only through the
  patient's shared factors.
* The patient has the states of :data:`~disctwin.model.states.PATIENT_STATES` (central
  sensitisation). They depend on the discs only through the summed nociceptive input
  ``nociceptive_input = sum over discs of disc_nociceptive_input``.
* Fast processes (glucose and pH at the NP centre, cytokines, enzyme activity, mTORC1 and
  autophagy, hydration) are quasi-steady: algebraic *assignments* of the slow states, so
  decades integrate cheaply.

Every assignment, rate and observable carries a unit and a meaning; see
:func:`build_model` for the equations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

import sympy as sp

from disctwin.model.states import DISC_STATES, PATIENT_STATES

__all__ = ["COVARIATES", "Quantity", "SymbolicModel", "build_model"]

#: Patient covariates that appear in rate laws (drawn by :mod:`disctwin.population`).
COVARIATES: tuple[str, ...] = (
    "female",
    "bmi",
    "manual_labour",
    "smoker",
    "diabetes",
    "genetic_risk_score",
    "depression",
    "fear_avoidance",
)


@dataclass(frozen=True)
class Quantity:
    """A named algebraic quantity: an assignment (quasi-steady process) or an observable."""

    name: str
    unit: str
    meaning: str
    expr: sp.Expr

    @property
    def symbol(self) -> sp.Symbol:
        return sp.Symbol(self.name, real=True)


@dataclass(frozen=True, eq=False)
class SymbolicModel:
    """The model as SymPy expressions.

    Attributes:
        t: the time symbol (age, days).
        disc_states / patient_states: state symbols, in state-vector order.
        disc_assignments / patient_assignments: quasi-steady quantities, in evaluation order;
            each may use states, parameters, covariates, ``t`` and earlier assignments.
        disc_rates / patient_rates: d(state)/dt for each state, same order as the states.
        aggregates: patient symbol -> disc assignment symbol it sums over the five discs.
        disc_observables / patient_observables: continuous, noise-free observables.
        parameters: names of every parameter symbol the equations use (covariates excluded).
    """

    t: sp.Symbol
    disc_states: tuple[sp.Symbol, ...]
    patient_states: tuple[sp.Symbol, ...]
    disc_assignments: tuple[Quantity, ...]
    patient_assignments: tuple[Quantity, ...]
    disc_rates: tuple[sp.Expr, ...]
    patient_rates: tuple[sp.Expr, ...]
    aggregates: Mapping[sp.Symbol, sp.Symbol]
    disc_observables: tuple[Quantity, ...]
    patient_observables: tuple[Quantity, ...]
    parameters: tuple[str, ...] = field(default=())

    def expand_disc(self, expr: sp.Expr) -> sp.Expr:
        """Substitute disc assignments into ``expr`` until only states/parameters remain."""
        return _expand(expr, self.disc_assignments)

    def expand_patient(self, expr: sp.Expr) -> sp.Expr:
        """Substitute patient assignments (not aggregates) into ``expr``."""
        return _expand(expr, self.patient_assignments)


def _expand(expr: sp.Expr, assignments: Iterable[Quantity]) -> sp.Expr:
    for q in reversed(tuple(assignments)):
        expr = expr.subs(q.symbol, q.expr)
    return expr


def _sym(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


class _Params:
    """Attribute access to parameter symbols, recording which are used."""

    def __init__(self) -> None:
        self.used: list[str] = []

    def __getattr__(self, name: str) -> sp.Symbol:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self.used:
            self.used.append(name)
        return _sym(name)


def _hill_down(x: sp.Expr, half: sp.Expr, n: int) -> sp.Expr:
    """Decreasing Hill function 1 / (1 + (x/half)^n); integer n keeps it finite for x < 0."""
    return 1 / (1 + (x / half) ** n)


@cache
def build_model() -> SymbolicModel:
    r"""Build the symbolic model.

    Disc (per level; all contents relative to the adolescent disc, rates per day):

    * load: :math:`L = \text{level\_load}\,(1 + m\,\text{manual})(1 + b\,(\text{BMI}-25))`.
    * endplate:
      :math:`\dot P_e = -k_{ep} e^{\beta_s s + \beta_d d + \beta_L (L-1)} (P_e - P_{min})`.
    * glucose (quasi-steady diffusion-consumption balance):
      :math:`G = P_e / (P_e + \phi (C + f_s S))`; pH falls linearly with the glucose deficit.
    * cells: logistic proliferation scaled by glucose, apoptosis raised by inflammation and by
      low autophagy, nutrient/acid death, senescence; senescent cells are cleared slowly.
    * mTORC1 rises with glucose and inflammation (and RAPTOR expression); autophagy is
      activated by inflammation and suppressed by mTORC1.
    * matrix: proteoglycan and collagen II are made by viable cells (anabolic drive falling
      with age, as a Weibull survival curve from birth rescaled to 1 at age 10:
      :math:`a + (1-a)\,e^{(t_{ref}/\tau)^k - (t/\tau)^k}`, and with inflammation and low
      glucose) and degraded by ADAMTS/MMP activity (from
      viable and, more, senescent cells, raised by inflammation, inhibited by TIMPs).
    * hydration follows proteoglycan (saturating); disc height relaxes to an equilibrium set
      by hydration and annular damage (so signal loss precedes height loss).
    * annular damage grows with load, faster as the matrix support is lost; slow repair.
    * herniation: swelling NP pushed through fissures (∝ damage²); resorbed over months-years.
    * innervation: NGF drive (inflammation x fissure path) grows fibres in, aggrecan inhibits.
    * nociceptive input: innervation x inflammatory sensitisation x mechanical stress, plus a
      radicular term from herniation.
    * vertebral marrow oedema (Modic 1 activity, an observable): the disc's inflammation
      reaching the adjacent marrow through endplates disrupted by disc collapse,
      :math:`M = I\,L\,(1-H)^2 / ((1-H)^2 + h_{1/2}^2)`; an anti-inflammatory drug in the
      disc lowers it with the inflammation.

    Therapy compartments (zero and inert when untreated; driven by :mod:`disctwin.therapies`
    through dose events that add payload and set the ``tx_*`` slot parameters):

    * disc: payload :math:`\dot V = -k_v V`; transduced cells
      :math:`\dot T = k_v V (C - T) + h\,r_{prolif} T - (\text{death} + \text{senescence} +
      k_{loss}) T` (uptake needs viable cells; a dose of D units reaches :math:`1 - e^{-D}` of
      them); activity :math:`\dot E = k_{on} (T - E)`. E raises the anabolic drive,
      collagen II synthesis and TIMPs, blocks IL-1, knocks down ADAMTS/MMP/RAPTOR, or removes
      part of the genetic risk score, each by its ``tx_*`` gain.
    * DRG: the same chain (CSF payload, transduced fraction up to the serotype's reach,
      activity) represses Nav1.7 or secretes opioid peptides.

    Patient: transmission through DRG neurons scales with Nav1.7 expression and is divided by
    opioid tone; central sensitisation builds with transmitted input and fades slowly, and
    amplifies it; latent pain (NRS 0-10) is a sigmoid (Hill, n=2) of the amplified input,
    so that small inputs stay painless: degeneration is common without pain.
    """
    t = _sym("t")
    P = _Params()
    cov = {c: _sym(c) for c in COVARIATES}

    (Pe, C, S, PG, CII, DH, F, Hn, N, V, T, E, Im) = (_sym(s.name) for s in DISC_STATES)
    (CS, Vi, Td, Ed, R) = (_sym(s.name) for s in PATIENT_STATES)

    # ------------------------------------------------------------------ disc assignments
    da: list[Quantity] = []

    def assign(name: str, unit: str, meaning: str, expr: sp.Expr) -> sp.Symbol:
        q = Quantity(name, unit, meaning, expr)
        da.append(q)
        return q.symbol

    # payload effects: secreted products act in proportion to the expressing cells (E, relative
    # to the reference disc); knock-downs/edits lower their target in the expressing cells
    genetic_score = cov["genetic_risk_score"] * (1 - P.tx_genetic_correction * E)
    # share of the viable cells expressing the payload (per-cell signalling); the small
    # constant only guards against 0/0 in a disc without cells
    expressing_share = E / (C + 1e-3)
    load = assign(
        "load",
        "1",
        "Relative mechanical load on the disc",
        P.level_load
        * (1 + P.manual_labour_load_effect * cov["manual_labour"])
        * (1 + P.bmi_load_effect * (cov["bmi"] - 25)),
    )
    ep_rate = assign(
        "endplate_decline",
        "1/day",
        "Rate constant of endplate permeability decline",
        P.endplate_decline_rate
        * sp.exp(
            P.smoking_endplate_effect * cov["smoker"]
            + P.diabetes_endplate_effect * cov["diabetes"]
            + P.load_endplate_effect * (load - 1)
        ),
    )
    # implanted cells eat from the same supply: many cells in a poorly fed disc starve
    consumers = C + P.senescent_consumption_fraction * S + P.implanted_consumption_ratio * Im
    glucose = assign(
        "glucose",
        "1",
        "NP-centre glucose relative to the endplate boundary (quasi-steady)",
        Pe / (Pe + P.glucose_consumption_ratio * consumers),
    )
    glucose_ref = 1 / (1 + P.glucose_consumption_ratio)
    ph = assign(
        "ph",
        "pH",
        "NP-centre pH (lactate accumulates as supply falls)",
        P.ph_boundary - P.ph_drop_per_glucose_deficit * (1 - glucose),
    )
    nutrient_stress = assign(
        "nutrient_stress",
        "1",
        "Cell-death drive from low glucose plus low pH (0 = none)",
        _hill_down(glucose, P.glucose_stress_half, 4)
        + 1 / (1 + sp.exp((ph - P.ph_stress_half) / P.ph_stress_width)),
    )
    # anti-inflammatory pulse of an injected corticosteroid (or hyaluronic acid): a Bateman
    # curve in the time since the injection, scaled to peak at 1 (onset k_o > clearance k_c)
    since_pulse = t - P.tx_pulse_start
    k_on, k_off = P.tx_pulse_onset_rate, P.tx_pulse_clearance_rate
    pulse_peak_time = sp.log(k_on / k_off) / (k_on - k_off)
    pulse = assign(
        "anti_inflammatory_pulse",
        "1",
        "Anti-inflammatory drug activity in the disc (injected corticosteroid or hyaluronic "
        "acid): tx_pulse_gain x Bateman curve of the time since injection, peak = gain",
        P.tx_pulse_gain
        * (sp.exp(-k_off * since_pulse) - sp.exp(-k_on * since_pulse))
        / (sp.exp(-k_off * pulse_peak_time) - sp.exp(-k_on * pulse_peak_time)),
    )
    inflammation = assign(
        "inflammation",
        "1",
        "Inflammation index (IL-1beta/TNF-alpha activity; 1 = moderately inflamed disc)",
        P.il1_signalling
        / (1 + P.tx_il1_block * E)
        / (1 + pulse)
        / (1 + P.tx_paracrine_antiinflammatory * Im)
        * (
            P.inflammation_basal
            + P.inflammation_per_senescent * S
            + P.inflammation_per_herniation * Hn
            + P.inflammation_mechanical * load * _hill_down(PG, P.inflammation_matrix_half, 2)
        ),
    )
    mtorc1 = assign(
        "mtorc1",
        "1",
        "mTORC1 activity (nutrient- and cytokine-driven)",
        P.rptor_expression
        * (1 - P.tx_rptor_knockdown * expressing_share)
        * glucose
        / (glucose + P.mtorc1_glucose_half)
        * (1 + P.mtorc1_inflammation_gain * inflammation),
    )
    autophagy_raw = (1 + P.autophagy_inflammation_gain * inflammation) / (
        1 + mtorc1 / P.autophagy_mtorc1_half
    )
    autophagy = assign(
        "autophagy",
        "1",
        "Autophagy relative to the healthy adolescent disc",
        autophagy_raw / _reference(autophagy_raw, da, Pe, C, S, PG, Hn, glucose_ref),
    )
    autophagy_stress = assign(
        "autophagy_stress",
        "1",
        "Multiplier of apoptosis and senescence from impaired autophagy (1 at reference)",
        (2 / (1 + autophagy)) ** P.autophagy_protection_exponent,
    )
    senescence = assign(
        "senescence",
        "1/day",
        "Rate at which viable cells become senescent, per viable cell",
        P.senescence_rate * (1 + P.inflammation_senescence_gain * inflammation) * autophagy_stress,
    )
    cell_death = assign(
        "cell_death",
        "1/day",
        "Death rate of viable cells (apoptosis + nutrient failure)",
        P.apoptosis_rate * (1 + P.inflammation_apoptosis_gain * inflammation) * autophagy_stress
        + P.nutrient_death_rate * nutrient_stress,
    )
    # synthesis per cell falls with age as a Weibull survival curve from birth (shape 1 is
    # an exponential fall from age 10; a larger shape makes the fall steepen in midlife),
    # rescaled to 1 at the reference age; written from birth so that it stays smooth there
    age_factor = P.anabolic_floor + (1 - P.anabolic_floor) * sp.exp(
        (P.anabolic_reference_age / P.anabolic_age_timescale) ** P.anabolic_age_shape
        - (t / P.anabolic_age_timescale) ** P.anabolic_age_shape
    )
    synthesis_raw = (
        P.anabolic_capacity
        * P.anabolic_gene_expression
        * (1 + P.tx_anabolic_gain * E)
        * (1 + P.tx_paracrine_anabolic * Im)
        * age_factor
        * sp.exp(-P.genetic_anabolic_effect * genetic_score)
        / (1 + inflammation / P.anabolic_inflammation_half)
        * glucose
        / (glucose + P.anabolic_glucose_half)
        * C
    )
    synthesis = assign(
        "matrix_synthesis",
        "1",
        "Matrix synthesis relative to the adolescent reference disc (viable cells x drive)",
        synthesis_raw
        / _reference(
            synthesis_raw, da, Pe, C, S, PG, Hn, glucose_ref, extra={t: P.anabolic_reference_age}
        ),
    )
    enzyme_drive = (
        P.enzyme_basal
        * (1 + P.enzyme_inflammation_gain * inflammation)
        * sp.exp(P.genetic_catabolic_effect * genetic_score)
    )
    secreting = C + P.senescent_secretion_ratio * S
    enzyme_ref = _reference(enzyme_drive * secreting, da, Pe, C, S, PG, Hn, glucose_ref)
    timp = P.timp_level * (1 + P.tx_timp_gain * E)
    # a knock-down silences the target in the E expressing cells (cell units), not in
    # untreated or senescent cells
    adamts_cells = C - P.tx_adamts_knockdown * E + P.senescent_secretion_ratio * S
    mmp_cells = C - P.tx_mmp_knockdown * E + P.senescent_secretion_ratio * S
    aggrecanase = assign(
        "aggrecanase_activity",
        "1",
        "ADAMTS-4/5 activity relative to the adolescent reference (TIMP-inhibited)",
        P.adamts_expression * enzyme_drive * adamts_cells / enzyme_ref / timp,
    )
    collagenase = assign(
        "collagenase_activity",
        "1",
        "MMP-3/13 activity relative to the adolescent reference (TIMP-inhibited)",
        P.mmp_expression * enzyme_drive * mmp_cells / enzyme_ref / timp,
    )
    water_raw = P.water_fraction_floor + P.water_fraction_span * (
        1 + P.water_proteoglycan_half
    ) * PG / (PG + P.water_proteoglycan_half)
    water = assign("water_fraction", "1", "NP water fraction", water_raw)
    hydration = (water - P.water_fraction_floor) / P.water_fraction_span
    height_eq = assign(
        "height_equilibrium",
        "1",
        "Disc height the disc relaxes towards (hydration, annulus)",
        P.height_floor + (1 - P.height_floor) * hydration - P.height_fissure_loss * F,
    )
    swelling = PG / (PG + P.herniation_swelling_half) * (1 + P.herniation_swelling_half)
    ngf_drive = assign(
        "ngf_drive",
        "1",
        "Nerve-growth drive: NGF (inflammation) x fissure path / aggrecan block",
        inflammation
        * F**2
        / (F**2 + P.nerve_fissure_half**2)
        * _hill_down(PG, P.nerve_proteoglycan_inhibition, 2),
    )
    # Modic 1: the disc's cytokines reach the vertebral marrow through endplates disrupted as
    # the disc collapses; the oedematous, innervated endplate is a pain source of its own
    height_loss_sq = (1 - DH) ** 2
    marrow = assign(
        "marrow_oedema",
        "1",
        "Inflammatory oedema of the vertebral bone marrow next to the disc's endplates "
        "(Modic 1 activity): the disc's inflammation reaching the marrow through endplates "
        "disrupted as the disc collapses (Hill n=2 in height loss), times the load",
        inflammation * load * height_loss_sq / (height_loss_sq + P.modic_height_loss_half**2),
    )
    # NSAIDs block the prostaglandin part of nociceptor sensitisation (COX inhibition)
    sensitised = 1 + P.nociceptor_inflammation_gain * inflammation * (1 - P.tx_cox_inhibition)
    disc_input = assign(
        "disc_nociceptive_input",
        "1",
        "Nociceptive input from this disc: discogenic (innervation x sensitisation x "
        "mechanical stress) plus radicular (herniation)",
        N * sensitised * (1 + P.nociceptor_mechanical_gain * (1 - DH))
        + P.radicular_gain * Hn * sensitised
        + P.vertebrogenic_gain * marrow**4 / (marrow**4 + P.vertebrogenic_oedema_half**4),
    )

    implant_death = assign(
        "implanted_cell_death",
        "1/day",
        "Death rate of implanted cells: the product's own rate, the niche's nutrient stress "
        "(low glucose, low pH) times the product's sensitivity, and osmotic/mechanical stress "
        "(swelling pressure x load)",
        P.tx_implant_death_rate
        + P.implanted_nutrient_death_rate * P.tx_implant_niche_sensitivity * nutrient_stress
        + P.implanted_osmotic_death_rate * load * swelling,
    )

    # ------------------------------------------------------------------------ disc rates
    # implanted cells become NP-like cells as fast as the supply lets them (Naqvi & Buckley)
    differentiation = P.tx_implant_differentiation_rate * (glucose / glucose_ref) * Im
    # growth-related annular injury: the excess fades as the skeleton matures (from age 10)
    adolescent_fissure = 1 + P.adolescent_fissure_excess * sp.exp(
        -(t - P.anabolic_reference_age) / P.adolescent_fissure_timescale
    )
    # part of matrix loss does not need cell-made enzymes, so losing cells loses matrix
    passive = P.matrix_passive_loss_fraction
    proliferation = P.cell_proliferation_rate * (glucose / glucose_ref) * (1 - C - S)
    disc_rates = (
        -ep_rate * (Pe - P.endplate_floor),
        proliferation * C - (cell_death + senescence) * C + differentiation,
        senescence * C - P.senescent_clearance_rate * S,
        P.proteoglycan_turnover_rate * (synthesis - (passive + (1 - passive) * aggrecanase) * PG),
        P.collagen_turnover_rate
        * (
            synthesis * (1 + P.tx_collagen_gain * E) - (passive + (1 - passive) * collagenase) * CII
        ),
        P.height_remodelling_rate * (height_eq - DH),
        P.fissure_rate
        * adolescent_fissure
        * load
        * sp.exp(P.fissure_matrix_effect * (1 - (CII + PG) / 2))
        * (1 - F)
        - P.fissure_repair_rate * C * F,
        P.herniation_rate * load * F**2 * swelling * (1 - Hn) - P.herniation_resorption_rate * Hn,
        P.nerve_growth_rate * ngf_drive * (1 - N) - P.nerve_retraction_rate * N,
        # payload: cleared from the disc; taken up only by viable, not yet transduced cells
        -P.tx_vector_clearance_rate * V,
        P.tx_vector_clearance_rate * V * (C - T)
        + P.tx_inheritance * proliferation * T
        - (cell_death + senescence + P.tx_payload_loss_rate) * T,
        P.tx_onset_rate * (T - E),
        # implanted cells die (niche) or differentiate into NP-like cells (join viable cells)
        -implant_death * Im - differentiation,
    )

    # --------------------------------------------------------------- patient assignments
    pa: list[Quantity] = []
    nociceptive_input = _sym("nociceptive_input")
    drug_tone = Quantity(
        "opioid_drug_tone",
        "1",
        "Spinal opioid tone from an opioid drug: daily dose / opioid_mme_per_tone, falling "
        "with tolerance from 1 to opioid_tolerance_floor at opioid_tolerance_rate",
        P.tx_opioid_mme
        / P.opioid_mme_per_tone
        * (
            P.opioid_tolerance_floor
            + (1 - P.opioid_tolerance_floor)
            * sp.exp(-P.opioid_tolerance_rate * (t - P.tx_opioid_start))
        ),
    )
    pa.append(drug_tone)
    transmission = Quantity(
        "transmission",
        "1",
        "DRG transmission gain: Nav1.7 expression^exponent / relative opioid tone "
        "(transgene repression of SCN9A and secreted opioid peptides included)",
        (P.nav17_expression * (1 - P.tx_nav17_knockdown * Ed)) ** P.nav17_exponent
        * (1 + P.endogenous_opioid_tone)
        / (
            1
            + P.endogenous_opioid_tone
            + P.exogenous_opioid_tone
            + P.tx_opioid_gain * Ed
            + drug_tone.symbol
        ),
    )
    pa.append(transmission)
    transmitted = Quantity(
        "transmitted_input",
        "1",
        "Nociceptive input transmitted to the spinal cord",
        P.pain_sensitivity * transmission.symbol * nociceptive_input,
    )
    pa.append(transmitted)
    x = transmitted.symbol
    patient_rates = (
        P.sensitisation_onset_rate
        * sp.exp(P.depression_sensitisation_effect * cov["depression"])
        * x**2
        / (x**2 + P.sensitisation_input_half**2)
        * (1 - CS)
        - P.sensitisation_decay_rate * CS,
        -P.tx_csf_clearance_rate * Vi,
        P.tx_csf_clearance_rate * Vi * (P.tx_drg_reach - Td) - P.tx_drg_loss_rate * Td,
        P.tx_drg_onset_rate * (Td - Ed),
        # conservative care: fear-avoidance reduction relaxes towards its programme target
        P.tx_care_rate * (P.tx_care_target - R),
    )

    # ---------------------------------------------------------------------- observables
    water_ref = P.water_fraction_floor + P.water_fraction_span
    # what an MRI reader sees is the disc's own constitution (developmental size and water
    # content, static, differing between people and levels) times its degeneration
    t2_seen = P.constitutional_t2 * sp.exp(P.t2_water_sensitivity * (water - water_ref))
    height_seen = P.constitutional_height * DH
    disc_obs = (
        Quantity(
            "t2_relative",
            "1",
            "NP T2 relative to the population-typical adolescent disc (constitution x hydration)",
            t2_seen,
        ),
        Quantity("t2_ms", "ms", "NP T2 relaxation time", P.t2_reference_ms * t2_seen),
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
            (1 - height_seen) + P.bulge_fissure_weight * F,
        ),
        Quantity("herniation", "1", "Herniated NP volume fraction", Hn),
        Quantity("annular_damage_extent", "1", "Annular damage (fissure extent)", F),
        Quantity("glucose", "1", "NP-centre glucose (relative)", glucose),
        Quantity("ph", "pH", "NP-centre pH", ph),
        Quantity("inflammation", "1", "Inflammation index", inflammation),
        Quantity("disc_nociceptive_input", "1", "Nociceptive input from the disc", disc_input),
        Quantity(
            "proteoglycan_synthesis",
            "1",
            "Proteoglycan synthesis rate relative to the adolescent reference disc",
            synthesis,
        ),
        Quantity(
            "adamts_relative_expression",
            "1",
            "ADAMTS-4/5 output of the disc's cells relative to untreated (RNAi/CRISPR knock-down)",
            P.adamts_expression * adamts_cells / secreting,
        ),
        Quantity(
            "mmp_relative_expression",
            "1",
            "MMP-3/13 output of the disc's cells relative to untreated (RNAi/CRISPR knock-down)",
            P.mmp_expression * mmp_cells / secreting,
        ),
        Quantity(
            "raptor_relative_expression",
            "1",
            "RAPTOR (mTORC1) expression relative to untreated (RNAi knock-down)",
            P.rptor_expression * (1 - P.tx_rptor_knockdown * expressing_share),
        ),
        Quantity("transgene_activity", "1", "Payload activity in the disc", E),
        Quantity(
            "implanted_cells",
            "1",
            "Surviving implanted cells (not yet differentiated), relative to the reference "
            "NP viable cell density",
            Im,
        ),
        Quantity(
            "anti_inflammatory_pulse",
            "1",
            "Anti-inflammatory drug activity (corticosteroid, hyaluronic acid)",
            pulse,
        ),
        Quantity(
            "marrow_oedema",
            "1",
            "Vertebral marrow oedema next to the disc (Modic 1 activity)",
            marrow,
        ),
    )
    pain_input = x * (1 + P.sensitisation_gain * CS)
    # latent pain: a Hill map of the amplified input (exponent: Stevens' power law)
    input_n = pain_input**P.pain_exponent
    latent = 10 * input_n / (input_n + P.pain_scale**P.pain_exponent)
    fear_now = cov["fear_avoidance"] - R
    # expectation of relief after a treatment (placebo component), decaying since it began
    expectation = P.tx_expectation_gain * sp.exp(
        -P.expectation_decay_rate * (t - P.tx_expectation_start)
    )
    patient_obs = (
        Quantity(
            "pain_latent",
            "points",
            "Noise-free pain intensity on the 0-10 NRS before psychosocial modifiers",
            latent,
        ),
        Quantity(
            "pain_reported_mean",
            "points",
            "Expected reported pain (0-10) with psychosocial modifiers, before noise",
            latent
            * (
                1
                + P.depression_pain_effect * cov["depression"]
                + P.fear_avoidance_pain_effect * fear_now
            )
            * (1 - expectation),
        ),
        Quantity(
            "nav17_relative_expression",
            "1",
            "Nav1.7 in lumbar DRG neurons relative to untreated (SCN9A repression)",
            P.nav17_expression * (1 - P.tx_nav17_knockdown * Ed),
        ),
        Quantity(
            "transgenic_opioid_tone",
            "1",
            "Spinal opioid tone added by transgenic beta-endorphin or enkephalin",
            P.tx_opioid_gain * Ed,
        ),
        Quantity(
            "fear_avoidance_z",
            "1",
            "Fear-avoidance beliefs now (SD units): the covariate less the reduction built by "
            "conservative care",
            fear_now,
        ),
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
            P.tx_opioid_mme,
        ),
        Quantity(
            "opioid_drug_tone",
            "1",
            "Spinal opioid tone from the opioid drug, after tolerance",
            drug_tone.symbol,
        ),
    )

    return SymbolicModel(
        t=t,
        disc_states=(Pe, C, S, PG, CII, DH, F, Hn, N, V, T, E, Im),
        patient_states=(CS, Vi, Td, Ed, R),
        disc_assignments=tuple(da),
        patient_assignments=tuple(pa),
        disc_rates=disc_rates,
        patient_rates=patient_rates,
        aggregates={nociceptive_input: disc_input},
        disc_observables=disc_obs,
        patient_observables=patient_obs,
        parameters=tuple(P.used),
    )


def _reference(expr, assignments, Pe, C, S, PG, Hn, glucose_ref, extra=None):
    """Value of ``expr`` in the adolescent reference disc.

    Reference: intact endplate, full viable cells, no senescence, full proteoglycan, no
    herniation, unit load, genetic score 0, untreated (all therapy modifiers 1), patient
    multipliers at 1. Used to normalise rates so the reference disc is at equilibrium.
    """
    ref = {
        Pe: 1,
        C: 1,
        S: 0,
        PG: 1,
        Hn: 0,
        _sym("load"): 1,
        _sym("genetic_risk_score"): 0,
        _sym("glucose"): glucose_ref,
        _sym("il1_signalling"): 1,
        _sym("rptor_expression"): 1,
        _sym("anabolic_gene_expression"): 1,
        _sym("anabolic_capacity"): 1,
        _sym("enzyme_basal"): 1,
        _sym("transgene_expression"): 0,
        _sym("implanted_cells"): 0,
        _sym("tx_pulse_gain"): 0,
    }
    if extra:
        ref.update(extra)
    e = expr
    for q in reversed(assignments):
        if q.symbol not in ref:
            e = e.subs(q.symbol, q.expr)
    return sp.simplify(e.subs(ref))
