"""Per-patient lifetime costs, QALYs and survival from what a simulation produced.

Input is a :class:`FollowUp`: for each patient, pain (NRS 0-10), ODI (0-100) and daily
opioid dose (MME/day) at follow-up times after day 0, the patient's age and sex, and the
adverse events. :func:`lifetime_outcomes` puts them on a grid of cycles of length
:math:`\\Delta` up to the horizon and, for patient ``i`` in cycle ``k`` (midpoint
:math:`t_k`), computes

* utility :math:`u_{ik}` from ODI and pain by a published mapping (Carreon 2014's
  EQ-5D mapping; leg pain is ``leg_pain_ratio`` x back pain, the model having one pain);
* survival :math:`S_i(t) = \\exp(-H^{bg}_i(t) - \\sum_{k: t_k < t} h^{od}(MME_{ik})\\Delta)`
  with the Gompertz background hazard of the patient's country and sex and the fatal
  overdose hazard of the dose band (:mod:`disctwin.economics.mortality`);
* cost :math:`c_{ik} = \\Delta\\,[C_{care}(pain_{ik}) + 365.25\\,MME_{ik}\\,p_{MME}]`
  with care costs by pain state;

and totals :math:`C_i = \\sum_k S_i(t_k) c_{ik} d^c(t_k) + \\sum_e S_i(t_e) C_e d^c(t_e)
+ C_0` (events ``e`` charged at their time, one-off costs ``C_0`` at day 0),
:math:`E_i = \\sum_k S_i(t_k) u_{ik} \\Delta d^e(t_k) - \\sum_e S_i(t_e) \\delta_e \\tau_e
d^e(t_e)` (event disutility :math:`\\delta_e` for :math:`\\tau_e` years), discount factors
:math:`d(t) = (1 + r)^{-t}` at cycle midpoints (the midpoint rule).

Beyond the last follow-up time :math:`T` the measures are **extrapolated**, by an explicit
choice (:class:`Extrapolation`):

* ``last_value_carried``: each patient's last pain, ODI and MME hold for life;
* ``return_to_untreated``: they move from the last value :math:`y_T` towards the
  untreated twin's last value :math:`y^0_T` as
  :math:`y^0_T + (y_T - y^0_T)\\,2^{-(t - T)/h}` (half-life ``h`` years);
* ``return_to_baseline``: the same, towards the patient's own day-0 value.

This module reads arrays; it never runs the engine (the runner in
:mod:`disctwin.io.economics` does, through :func:`disctwin.engine.simulate`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from disctwin.economics._checks import as_finite_array, check_name, check_positive, check_price
from disctwin.economics.datasets import AdverseEventUtility
from disctwin.economics.discounting import Discounting, discount_factors
from disctwin.economics.mortality import GompertzLifeTable, OverdoseMortality
from disctwin.economics.outcomes import PatientOutcomes
from disctwin.economics.schema import CostItem
from disctwin.economics.utilities import UtilityMapping, map_utility
from disctwin.errors import ConfigError, Problem

__all__ = [
    "EXTRAPOLATIONS",
    "Extrapolation",
    "FollowUp",
    "LifetimeInputs",
    "LifetimeOutcomes",
    "LifetimeSettings",
    "lifetime_outcomes",
]

#: Ways of extrapolating beyond the simulated follow-up.
EXTRAPOLATIONS: tuple[str, ...] = (
    "last_value_carried",
    "return_to_untreated",
    "return_to_baseline",
)
#: Pain-state cost bands: (upper NRS bound, cost item); the last band is open.
PAIN_STATES: tuple[tuple[float, str], ...] = (
    (1.0, "clbp_care_pain_none"),
    (4.0, "clbp_care_pain_mild"),
    (7.0, "clbp_care_pain_moderate"),
    (np.inf, "clbp_care_pain_severe"),
)
_DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Extrapolation:
    """How pain, ODI and opioid dose go on after the follow-up.

    Attributes:
        method: one of :data:`EXTRAPOLATIONS`.
        half_life_years: for the ``return_to_*`` methods, years for half the gap to close.
    """

    method: Literal["last_value_carried", "return_to_untreated", "return_to_baseline"] = (
        "last_value_carried"
    )
    half_life_years: float = 5.0

    def __post_init__(self) -> None:
        check_name("extrapolation.method", self.method, EXTRAPOLATIONS, "an extrapolation")
        check_positive("extrapolation.half_life_years", self.half_life_years, "years, > 0")


@dataclass(frozen=True)
class FollowUp:
    """What the simulation produced for one strategy, per patient.

    Attributes:
        strategy: strategy name; population: identifier shared by compared strategies.
        patient_ids: (n,) ids; age_years: (n,) age at day 0; female: (n,) bool.
        times_years: (m,) follow-up times after day 0, ascending, the first 0.
        pain: (n, m) mean pain NRS 0-10; odi: (n, m) 0-100; mme: (n, m) MME/day.
        events: adverse events, columns ``row`` (0..n-1), ``years`` (after day 0), ``term``,
            ``severity`` (1-5); None: none.
        untreated_pain / untreated_odi / untreated_mme: (n, m) of the untreated twins,
            needed by ``return_to_untreated``.
        one_off_costs: names of cost items charged once at day 0 (administration, MRI).
        acquisition_units: therapy units bought at day 0 (price given to the evaluation).
    """

    strategy: str
    population: str
    patient_ids: np.ndarray
    age_years: np.ndarray
    female: np.ndarray
    times_years: np.ndarray
    pain: np.ndarray
    odi: np.ndarray
    mme: np.ndarray
    events: pd.DataFrame | None = field(default=None, repr=False)
    untreated_pain: np.ndarray | None = field(default=None, repr=False)
    untreated_odi: np.ndarray | None = field(default=None, repr=False)
    untreated_mme: np.ndarray | None = field(default=None, repr=False)
    one_off_costs: tuple[str, ...] = ()
    acquisition_units: float = 0.0

    def __post_init__(self) -> None:
        prefix = f"follow_up.{self.strategy}"
        n = np.asarray(self.patient_ids).size
        times = as_finite_array(f"{prefix}.times_years", self.times_years, 1)
        if times.size < 1 or times[0] != 0.0 or np.any(np.diff(times) <= 0):
            raise ConfigError(
                Problem(f"{prefix}.times_years", times.tolist(), "ascending times from 0")
            )
        for name in ("pain", "odi", "mme", "untreated_pain", "untreated_odi", "untreated_mme"):
            values = getattr(self, name)
            if values is None:
                continue
            array = as_finite_array(f"{prefix}.{name}", values, 2)
            if array.shape != (n, times.size):
                raise ConfigError(
                    Problem(f"{prefix}.{name}", f"shape {array.shape}", f"({n}, {times.size})")
                )
        for name in ("age_years", "female"):
            if np.asarray(getattr(self, name)).shape != (n,):
                raise ConfigError(Problem(f"{prefix}.{name}", "wrong shape", f"({n},)"))


@dataclass(frozen=True)
class LifetimeSettings:
    """Choices of the lifetime evaluation.

    Attributes:
        horizon_years: years after day 0 (lifetime: up to ``max_age``).
        cycle_years: cycle length :math:`\\Delta`.
        extrapolation: beyond the follow-up (:class:`Extrapolation`).
        discounting: rates (per-country guideline: :func:`guideline_discounting`).
        leg_pain_ratio: leg pain as a fraction of back pain, for the utility mapping.
        max_age: nobody is followed beyond this age.
        overdose_deaths: count deaths from opioid overdose (off: a what-if).
        addiction_costs: charge misuse and addiction management (off: a what-if).
    """

    horizon_years: float = 60.0
    cycle_years: float = 0.25
    extrapolation: Extrapolation = field(default_factory=Extrapolation)
    discounting: Discounting = field(default_factory=Discounting)
    leg_pain_ratio: float = 0.5
    max_age: float = 100.0
    overdose_deaths: bool = True
    addiction_costs: bool = True

    def __post_init__(self) -> None:
        check_positive("horizon_years", self.horizon_years, "years, > 0")
        check_positive("cycle_years", self.cycle_years, "years per cycle, > 0")
        if not 0.0 <= self.leg_pain_ratio <= 1.0:
            raise ConfigError(Problem("leg_pain_ratio", self.leg_pain_ratio, "a share in [0, 1]"))


#: Adverse-event terms whose costs the ``addiction_costs`` switch removes.
ADDICTION_TERMS = ("opioid_misuse", "opioid_addiction")


@dataclass(frozen=True)
class LifetimeInputs:
    """Data of one evaluation: costs, utility mapping, mortality, AE disutilities.

    Attributes:
        costs: cost items by name (one currency).
        mapping: ODI/pain -> utility.
        life_tables: {"female": ..., "male": ...} background mortality.
        overdose: overdose mortality by dose band.
        adverse_events: per-term disutility and cost item.
        price: therapy price per acquisition unit (>= 0).
    """

    costs: Mapping[str, CostItem]
    mapping: UtilityMapping
    life_tables: Mapping[str, GompertzLifeTable]
    overdose: OverdoseMortality
    adverse_events: Mapping[str, AdverseEventUtility]
    price: float = 0.0

    def __post_init__(self) -> None:
        check_price("price", self.price)
        currencies = {item.currency for item in self.costs.values()}
        if len(currencies) > 1:
            raise ConfigError(Problem("costs", sorted(currencies), "cost items of one currency"))
        missing = [name for _, name in PAIN_STATES if name not in self.costs]
        missing += [] if "opioid_per_mme_day" in self.costs else ["opioid_per_mme_day"]
        if missing:
            raise ConfigError(Problem("costs", missing, "these cost items are required"))


@dataclass(frozen=True)
class LifetimeOutcomes:
    """Per-patient lifetime results of one strategy.

    Attributes:
        strategy, population, patient_ids: as the follow-up.
        cost, qaly, life_years: (n,) discounted totals per patient.
        overdose_deaths: (n,) probability of dying of an opioid overdose.
        cycle_midpoints: (k,) years; survival: (n, k) at the midpoints;
        cycle_cost, cycle_qaly: (n, k) undiscounted, survival-weighted per cycle (care and
            opioids; QALYs before event disutilities).
        components: mean discounted cost per patient by component.
        day0_cost: (n,) undiscounted one-off costs at day 0 (administration, acquisition).
        cycle_event_cost: (n, k) undiscounted, survival-weighted adverse-event costs, each
            charged in the cycle in which the event happens (events after the horizon are
            left out here, not from ``cost``).
    """

    strategy: str
    population: str
    patient_ids: np.ndarray
    cost: np.ndarray
    qaly: np.ndarray
    life_years: np.ndarray
    overdose_deaths: np.ndarray
    cycle_midpoints: np.ndarray = field(repr=False)
    survival: np.ndarray = field(repr=False)
    cycle_cost: np.ndarray = field(repr=False)
    cycle_qaly: np.ndarray = field(repr=False)
    components: dict[str, float] = field(default_factory=dict)
    day0_cost: np.ndarray | None = field(default=None, repr=False)
    cycle_event_cost: np.ndarray | None = field(default=None, repr=False)

    def cost_by_year(self, n_years: int) -> np.ndarray:
        """(n, n_years) undiscounted expected cost of each patient in each year after day 0.

        Year ``j`` (0-based) sums the cycles whose midpoints lie in ``[j, j + 1)`` years:
        care, opioids and adverse events, survival-weighted (the dead cost nothing), plus
        the day-0 one-off costs in year 0. This is the cash flow a budget holder pays, as
        budget impact analyses take it (undiscounted).

        Raises:
            ConfigError: ``n_years`` not an integer in [1, horizon in whole years].
        """
        mid = self.cycle_midpoints
        horizon = int(np.floor(mid[-1] + mid[0] + 1e-9)) if mid.size else 0  # mid[0] = half a cycle
        if (
            isinstance(n_years, bool)
            or not isinstance(n_years, int | np.integer)
            or not (1 <= n_years <= horizon)
        ):
            raise ConfigError(
                Problem("n_years", n_years, f"a whole number of years in [1, {horizon}]")
            )
        n = self.cycle_cost.shape[0]
        per_cycle = self.cycle_cost + (
            self.cycle_event_cost if self.cycle_event_cost is not None else 0.0
        )
        year_of_cycle = np.floor(self.cycle_midpoints).astype(int)
        by_year = np.zeros((n, n_years))
        for year in range(n_years):
            by_year[:, year] = per_cycle[:, year_of_cycle == year].sum(axis=1)
        if self.day0_cost is not None:
            by_year[:, 0] += self.day0_cost
        return by_year

    def patient_outcomes(self) -> PatientOutcomes:
        """The per-patient cost and QALYs, as the CEA functions take them."""
        return PatientOutcomes(
            self.strategy, self.population, self.patient_ids, self.cost, self.qaly
        )


def _on_grid(
    times: np.ndarray,
    values: np.ndarray,
    grid: np.ndarray,
    extrapolation: Extrapolation,
    target: np.ndarray | None,
) -> np.ndarray:
    """(n, k) values at ``grid``: linear inside the follow-up, extrapolated after it."""
    n = values.shape[0]
    inside = np.empty((n, grid.size))
    clipped = np.minimum(grid, times[-1])
    j = np.clip(np.searchsorted(times, clipped, side="right") - 1, 0, max(times.size - 2, 0))
    if times.size == 1:
        inside[:] = values[:, :1]
    else:
        w = (clipped - times[j]) / (times[j + 1] - times[j])
        inside = values[:, j] * (1 - w) + values[:, j + 1] * w
    after = grid > times[-1]
    if extrapolation.method == "last_value_carried" or not np.any(after):
        return inside
    last = values[:, -1:]
    assert target is not None  # the decaying extrapolations are given their target
    goal = target[:, None]
    decay = 0.5 ** ((grid[after] - times[-1]) / extrapolation.half_life_years)
    inside[:, after] = goal + (last - goal) * decay
    return inside


def _targets(follow_up: FollowUp, method: str) -> dict[str, np.ndarray | None]:
    if method == "last_value_carried":
        return {"pain": None, "odi": None, "mme": None}
    if method == "return_to_baseline":
        return {name: np.asarray(getattr(follow_up, name))[:, 0] for name in ("pain", "odi", "mme")}
    arrays = {n: getattr(follow_up, f"untreated_{n}") for n in ("pain", "odi", "mme")}
    missing = [f"untreated_{n}" for n, a in arrays.items() if a is None]
    if missing:
        raise ConfigError(
            Problem(
                f"follow_up.{follow_up.strategy}",
                f"no {', '.join(missing)}",
                "the untreated twins' measures, for return_to_untreated "
                "(or choose last_value_carried / return_to_baseline)",
            )
        )
    return {n: np.asarray(a)[:, -1] for n, a in arrays.items()}


def lifetime_outcomes(
    follow_up: FollowUp, inputs: LifetimeInputs, settings: LifetimeSettings | None = None
) -> LifetimeOutcomes:
    """Discounted lifetime cost, QALYs and life years of every patient (module docs).

    Example:
        see ``tests/economics/test_econ_lifetime.py``; constant utility 1, no costs and
        no mortality give QALYs equal to the discounted horizon.
    """
    settings = settings or LifetimeSettings()
    dt = float(settings.cycle_years)
    n_cycles = int(np.ceil(settings.horizon_years / dt - 1e-9))
    edges = np.arange(n_cycles + 1) * dt
    mid = edges[:-1] + dt / 2
    times = np.asarray(follow_up.times_years, dtype=float)
    targets = _targets(follow_up, settings.extrapolation.method)
    measures = {
        name: _on_grid(
            times,
            np.asarray(getattr(follow_up, name), float),
            mid,
            settings.extrapolation,
            targets[name],
        )
        for name in ("pain", "odi", "mme")
    }
    pain = np.clip(measures["pain"], 0.0, 10.0)
    odi = np.clip(measures["odi"], 0.0, 100.0)
    mme = np.maximum(measures["mme"], 0.0)

    utility = map_utility(
        inputs.mapping, odi=odi, back_pain=pain, leg_pain=settings.leg_pain_ratio * pain
    )
    age = np.asarray(follow_up.age_years, dtype=float)
    female = np.asarray(follow_up.female, dtype=bool)
    tables = [inputs.life_tables["female" if f else "male"] for f in female]
    a = np.array([t.a for t in tables])[:, None]
    b = np.array([t.b for t in tables])[:, None]
    ages_mid = age[:, None] + mid[None, :]
    background = a / b * (np.exp(b * ages_mid) - np.exp(b * age[:, None]))
    od_hazard = (
        inputs.overdose.death_hazard(mme) if settings.overdose_deaths else np.zeros_like(mme)
    )
    od_before = np.cumsum(od_hazard, axis=1) * dt - od_hazard * dt / 2  # up to the midpoint
    survival = np.exp(-background - od_before)
    survival = np.where(ages_mid < settings.max_age, survival, 0.0)
    overdose_deaths = np.sum(survival * od_hazard * dt, axis=1)

    care = np.zeros_like(pain)
    lower = 0.0
    for upper, item in PAIN_STATES:
        care = np.where((pain >= lower) & (pain < upper), inputs.costs[item].value, care)
        lower = upper
    opioid = _DAYS_PER_YEAR * mme * inputs.costs["opioid_per_mme_day"].value
    d_cost = discount_factors(mid, settings.discounting.rate_costs)
    d_effect = discount_factors(mid, settings.discounting.rate_effects)
    cycle_care = survival * care * dt
    cycle_opioid = survival * opioid * dt
    cycle_qaly = survival * utility * dt
    components = {
        "care": cycle_care @ d_cost,
        "opioids": cycle_opioid @ d_cost,
    }
    one_off = sum(inputs.costs[name].value for name in follow_up.one_off_costs)
    n = age.size
    components["administration"] = np.full(n, float(one_off))
    components["acquisition"] = np.full(n, inputs.price * follow_up.acquisition_units)
    event_cost, event_qaly, event_cycle_cost = _event_totals(
        follow_up, inputs, settings, age, a[:, 0], b[:, 0], n_cycles
    )
    components["adverse_events"] = event_cost
    cost = sum(components.values())
    qaly = cycle_qaly @ d_effect - event_qaly
    life_years = (survival * dt) @ d_effect
    return LifetimeOutcomes(
        strategy=follow_up.strategy,
        population=follow_up.population,
        patient_ids=np.asarray(follow_up.patient_ids),
        cost=np.asarray(cost, dtype=float),
        qaly=qaly,
        life_years=life_years,
        overdose_deaths=overdose_deaths,
        cycle_midpoints=mid,
        survival=survival,
        cycle_cost=cycle_care + cycle_opioid,
        cycle_qaly=cycle_qaly,
        components={k: float(np.mean(v)) for k, v in components.items()},
        day0_cost=components["administration"] + components["acquisition"],
        cycle_event_cost=event_cycle_cost,
    )


def _event_totals(
    follow_up: FollowUp,
    inputs: LifetimeInputs,
    settings: LifetimeSettings,
    age: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    n_cycles: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n,) discounted, survival-weighted cost and QALY loss of the adverse events, and the
    (n, n_cycles) undiscounted, survival-weighted event costs by cycle of occurrence."""
    n = age.size
    cost, loss = np.zeros(n), np.zeros(n)
    by_cycle = np.zeros((n, n_cycles))
    events = follow_up.events
    if events is None or len(events) == 0:
        return cost, loss, by_cycle
    for term, group in events.groupby("term"):
        spec = inputs.adverse_events.get(str(term))
        if spec is None:
            continue  # a term without data carries neither cost nor disutility
        if spec.term == "opioid_overdose":
            group = group[group["severity"] < 5]  # deaths: the overdose mortality model
        rows = group["row"].to_numpy(dtype=int)
        t = np.maximum(group["years"].to_numpy(dtype=float), 0.0)
        alive = np.exp(
            -a[rows] / b[rows] * (np.exp(b[rows] * (age[rows] + t)) - np.exp(b[rows] * age[rows]))
        )
        charge = spec.cost_item is not None and (
            settings.addiction_costs or spec.term not in ADDICTION_TERMS
        )
        if charge and spec.cost_item is not None:
            unit_cost = inputs.costs[spec.cost_item].value * spec.cost_units
            d = discount_factors(t, settings.discounting.rate_costs)
            np.add.at(cost, rows, alive * unit_cost * d)
            cycle = np.floor(t / settings.cycle_years).astype(int)
            inside = cycle < n_cycles
            np.add.at(by_cycle, (rows[inside], cycle[inside]), (alive * unit_cost)[inside])
        d_e = discount_factors(t, settings.discounting.rate_effects)
        np.add.at(loss, rows, alive * spec.qaly_loss * d_e)
    return cost, loss, by_cycle
