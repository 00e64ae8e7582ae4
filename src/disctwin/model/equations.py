"""The virtual patient's biology as symbolic equations: one source for every use.

The model is written once, in SymPy: one builder per biological process in
:mod:`disctwin.model.processes` (nutrition, cells, matrix, annulus, marrow, innervation,
therapy, pain), each returning its assignments and a ``{state name: rate}`` mapping, and
assembled here by name (:func:`assemble`). The engine generates compiled code (right-hand
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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

import sympy as sp

from disctwin.model.processes import (
    ModelSymbols,
    ParameterSymbols,
    Process,
    Quantity,
    annulus,
    cells,
    innervation,
    marrow,
    matrix,
    nutrition,
    pain,
    therapy,
)
from disctwin.model.processes.base import symbol
from disctwin.model.states import DISC_STATES, PATIENT_STATES

__all__ = [
    "COVARIATES",
    "DISC_ASSIGNMENTS",
    "DISC_OBSERVABLES",
    "PATIENT_ASSIGNMENTS",
    "PATIENT_OBSERVABLES",
    "Quantity",
    "SymbolicModel",
    "assemble",
    "build_model",
    "build_processes",
    "rates_by_state",
]

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

#: Disc assignments in evaluation order (each uses only those before it). This order is
#: also the order of the SBML rules and of the model reference's table.
DISC_ASSIGNMENTS: tuple[str, ...] = (
    "load",
    "endplate_decline",
    "glucose",
    "ph",
    "nutrient_stress",
    "anti_inflammatory_pulse",
    "inflammation",
    "mtorc1",
    "autophagy",
    "autophagy_stress",
    "senescence",
    "cell_death",
    "matrix_synthesis",
    "aggrecanase_activity",
    "collagenase_activity",
    "water_fraction",
    "height_equilibrium",
    "ngf_drive",
    "marrow_oedema",
    "disc_nociceptive_input",
    "implanted_cell_death",
)
#: Patient assignments in evaluation order (after the summed disc input).
PATIENT_ASSIGNMENTS: tuple[str, ...] = ("opioid_drug_tone", "transmission", "transmitted_input")
#: Disc observables, in output order.
DISC_OBSERVABLES: tuple[str, ...] = (
    "t2_relative",
    "t2_ms",
    "disc_height_relative",
    "bulge_index",
    "herniation",
    "annular_damage_extent",
    "glucose",
    "ph",
    "inflammation",
    "disc_nociceptive_input",
    "proteoglycan_synthesis",
    "adamts_relative_expression",
    "mmp_relative_expression",
    "raptor_relative_expression",
    "transgene_activity",
    "implanted_cells",
    "anti_inflammatory_pulse",
    "marrow_oedema",
)
#: Patient observables, in output order.
PATIENT_OBSERVABLES: tuple[str, ...] = (
    "pain_latent",
    "pain_reported_mean",
    "nav17_relative_expression",
    "transgenic_opioid_tone",
    "fear_avoidance_z",
    "expectation_effect",
    "opioid_daily_mme",
    "opioid_drug_tone",
)
#: The patient quantity summed over the five discs, and the disc assignment it sums.
_AGGREGATE = ("nociceptive_input", "disc_nociceptive_input")


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


def build_processes(m: ModelSymbols) -> tuple[Process, ...]:
    """Every process of the model, written in the symbols ``m``."""
    therapy_ = therapy(m)
    nutrition_ = nutrition(m)
    cells_ = cells(m, nutrition_, therapy_)
    marrow_ = marrow(m, nutrition_, cells_)
    return (
        nutrition_,
        therapy_,
        cells_,
        matrix(m, nutrition_, therapy_, cells_),
        annulus(m, nutrition_),
        marrow_,
        innervation(m, therapy_, cells_, marrow_),
        pain(m, therapy_, symbol(_AGGREGATE[0])),
    )


def rates_by_state(processes: Iterable[Process]) -> dict[str, sp.Expr]:
    """``{state name: rate}`` gathered from the processes.

    Raises:
        ValueError: a process gives a rate for a name that is not a state, two processes
            give one for the same state, or a state has no rate.
    """
    states = [s.name for s in (*DISC_STATES, *PATIENT_STATES)]
    rates: dict[str, sp.Expr] = {}
    owner: dict[str, str] = {}
    for process in processes:
        for name, rate in process.rates.items():
            if name not in states:
                raise ValueError(f"process {process.name!r} gives a rate for {name!r}, no state")
            if name in rates:
                raise ValueError(
                    f"state {name!r} has rates from {owner[name]!r} and {process.name!r}"
                )
            rates[name], owner[name] = rate, process.name
    missing = [s for s in states if s not in rates]
    if missing:
        raise ValueError(f"no process gives a rate for the states {missing}")
    return rates


def _by_name(
    processes: Sequence[Process], kind: str, orders: Sequence[tuple[str, ...]]
) -> list[tuple[Quantity, ...]]:
    """The processes' assignments or observables (``kind``), one tuple per name order."""
    found: dict[str, Quantity] = {}
    for process in processes:
        for q in getattr(process, kind):
            if q.name in found:
                raise ValueError(f"{kind[:-1]} {q.name!r} is defined twice")
            found[q.name] = q
    listed = {name for order in orders for name in order}
    unlisted = sorted(set(found) - listed)
    missing = sorted(listed - set(found))
    if unlisted or missing:
        raise ValueError(f"{kind}: not in an order {unlisted}, defined by no process {missing}")
    return [tuple(found[name] for name in order) for order in orders]


def assemble(m: ModelSymbols, processes: Sequence[Process]) -> SymbolicModel:
    """The model from its processes, by name: states' rates, assignments, observables."""
    rates = rates_by_state(processes)
    disc_assignments, patient_assignments = _by_name(
        processes, "assignments", (DISC_ASSIGNMENTS, PATIENT_ASSIGNMENTS)
    )
    disc_observables, patient_observables = _by_name(
        processes, "observables", (DISC_OBSERVABLES, PATIENT_OBSERVABLES)
    )
    return SymbolicModel(
        t=m.t,
        disc_states=tuple(symbol(s.name) for s in DISC_STATES),
        patient_states=tuple(symbol(s.name) for s in PATIENT_STATES),
        disc_assignments=disc_assignments,
        patient_assignments=patient_assignments,
        disc_rates=tuple(rates[s.name] for s in DISC_STATES),
        patient_rates=tuple(rates[s.name] for s in PATIENT_STATES),
        aggregates={symbol(_AGGREGATE[0]): symbol(_AGGREGATE[1])},
        disc_observables=disc_observables,
        patient_observables=patient_observables,
        parameters=tuple(m.p.used),
    )


@cache
def build_model() -> SymbolicModel:
    r"""Build the symbolic model from its processes (:func:`build_processes`).

    Disc (per level; all contents relative to the adolescent disc, rates per day):

    * load: :math:`L = \text{level\_load}\,(1 + m\,\text{manual})(1 + b\,(\text{BMI}-25))`.
    * endplate:
      :math:`\dot P_e = -k_{ep} e^{\beta_s s + \beta_d d + \beta_L (L-1)} (P_e - P_{min})`.
    * glucose (quasi-steady diffusion-consumption balance):
      :math:`G = P_e / (P_e + \phi (C + f_s S + f_i I))`; pH falls linearly with the glucose
      deficit.
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
    amplifies it; latent pain (NRS 0-10) is a Hill map (exponent ``pain_exponent``) of the
    amplified input, so that small inputs stay painless: degeneration is common without pain.
    """
    m = ModelSymbols(symbol("t"), ParameterSymbols(), {c: symbol(c) for c in COVARIATES})
    return assemble(m, build_processes(m))
