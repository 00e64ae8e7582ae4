"""Screening: draw candidates from a virtual population, simulate each one's natural history
to the screening visit, measure, apply the eligibility criteria and count screen failures.

Candidate ``i`` of a trial (seed ``s``) is patient ``i`` of population seed ``s``: its
covariates and parameters come from its own streams (:mod:`disctwin.streams`), its
screening age and prior-treatment history from ``Stream.SCREENING``, and its measurement
noise from ``Stream.OBSERVATION``. So whether candidate ``i`` is eligible never depends on
how many candidates are screened at once, and candidates are screened in index order until
the target is enrolled (or ``population.max_screened`` is reached).

Chronic-pain duration is read from the simulated history: the number of whole months,
looking back from the screening visit (monthly for two years, then quarterly), for which
the patient has felt pain: the pain drive of the natural course of pain (expected pain less
``pain_free_offset`` plus the episodic and slow pain-course components, the same path the
patient's visits report; :func:`disctwin.model.observables.pain_fluctuations`) has stayed
above zero (capped at ``history_lookback``). A patient in a slow bad spell therefore counts
as chronic and, enrolled, regresses from it. The months of continuous pain of at least
moderate intensity (drive >= ``moderate_pain_nrs``) are read the same way: the history a
tertiary clinic's referral letter carries, on which a protocol can ask for persistent pain
rather than one painful day. Prior conservative care, interventions, surgery and
opioid use are drawn given that duration and the pain (parameters in
``trial/data/history.toml``, each with its source).

Every patient is measured at screening with the noise it will have at that visit in the
whole trial: the noise of a visit depends only on the patient, the trial seed and the
patient's visit schedule (:func:`measurement_times`), so the screening values in the trial
data are exactly those the eligibility decision saw.

The baseline visit (before dosing) precedes randomisation, so its patient-reported measures
are screening variables too: ``baseline_vas``, ``baseline_nrs`` and ``baseline_odi``. A
protocol that confirms pain eligibility at baseline, as most pain trials do, states criteria
on them; the trial's baseline is then exactly the report that was confirmed. (They are read
with the biology of the screening visit, which changes by far less than a report's noise in
the days to baseline.)
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import expit, logit
from scipy.stats import poisson

from disctwin.engine import Engine, simulate
from disctwin.errors import ConfigError, Problem
from disctwin.model import START_AGE_YEARS
from disctwin.model.observables import measure, pain_course, true_observables
from disctwin.model.records import records
from disctwin.model.states import LEVELS
from disctwin.params import ParameterSet, load_covariate_set, load_parameter_set
from disctwin.population import Population, sample_population
from disctwin.streams import Stream, patient_generator
from disctwin.trial.protocol import DISC_VARIABLES, Criterion, Protocol
from disctwin.units import DAYS_PER_YEAR

__all__ = [
    "BASELINE_BEFORE_DOSE_DAYS",
    "BASELINE_MEASURES",
    "Screening",
    "criterion_holds",
    "criterion_levels",
    "history_parameters",
    "measure_at",
    "measurement_times",
    "screen",
]

_DAYS_PER_MONTH = DAYS_PER_YEAR / 12.0
# uniforms per candidate in Stream.SCREENING, in this order (fixed: never reorder)
_U_AGE, _U_CARE, _U_CARE_FRACTION, _U_INTERVENTIONS, _U_SURGERY, _U_OPIOID = range(6)
_N_SCREENING_DRAWS = 8


@cache
def history_parameters() -> ParameterSet:
    """The packaged prior-treatment-history parameters (``trial/data/history.toml``)."""
    path = resources.files("disctwin.trial").joinpath("data", "history.toml")
    return load_parameter_set(Path(str(path)))


#: The baseline measurement is taken this many days before dosing (before any dose event).
BASELINE_BEFORE_DOSE_DAYS = 0.01
#: Patient-reported measures read again at the baseline visit (screening variables
#: ``baseline_<name>``).
BASELINE_MEASURES = tuple(r.name for r in records("screening", "patient") if r.truth == "measured")


def measurement_times(protocol: Protocol, screening_age_days: np.ndarray) -> np.ndarray:
    """(n, 2 + n_visits) ages (days) of the screening visit, baseline (just before dosing on
    day 0: :data:`BASELINE_BEFORE_DOSE_DAYS`) and every post-baseline visit of each
    patient."""
    to_baseline = protocol.enrolment.screening_to_baseline_days
    visits = [to_baseline + v.day for v in protocol.visit]
    offsets = np.array([0.0, to_baseline - BASELINE_BEFORE_DOSE_DAYS, *visits])
    return np.asarray(screening_age_days, dtype=float)[:, None] + offsets[None, :]


@cache
def _measure_takes_times() -> bool:
    return "times_days" in inspect.signature(measure).parameters


def measure_at(
    disc_true: dict[str, np.ndarray],
    patient_true: dict[str, np.ndarray],
    population: Population,
    seed: int,
    times_days: np.ndarray,
):
    """:func:`disctwin.model.observables.measure` at a patient's visit ages (passing the
    ages where the observation model takes them, for time-correlated pain episodes)."""
    kwargs: dict[str, Any] = {"times_days": times_days} if _measure_takes_times() else {}
    return measure(
        disc_true, patient_true, population.parameter_set, seed, population.patient_index, **kwargs
    )


@dataclass(frozen=True)
class Screening:
    """The outcome of screening, in candidate order.

    Attributes:
        n_screened: candidates screened (up to the one completing enrolment).
        n_target: patients the protocol asks for.
        failures: criterion label -> candidates failing it (a candidate failing several
            criteria counts once for each); ``n_failed`` counts each failing candidate once.
        population: the enrolled patients (eligible candidates in screening order).
        screening_age_days: (n,) age of each enrolled patient at the screening visit.
        variables: patient screening variables of the enrolled, name -> (n,).
        disc: disc screening variables of the enrolled, name -> (n, 5).
    """

    n_screened: int
    n_target: int
    failures: dict[str, int]
    n_failed: int
    population: Population
    screening_age_days: np.ndarray
    variables: dict[str, np.ndarray]
    disc: dict[str, np.ndarray]

    @property
    def n_enrolled(self) -> int:
        return len(self.population)

    @property
    def under_enrolled(self) -> bool:
        return self.n_enrolled < self.n_target


def _condition(c: Criterion, x: np.ndarray) -> np.ndarray:
    ok = np.ones(x.shape, dtype=bool)
    if c.min is not None:
        ok &= x >= c.min
    if c.max is not None:
        ok &= x <= c.max
    if c.equals is not None:
        ok &= x == c.equals
    return ok


def criterion_levels(criterion: Criterion, disc: dict[str, np.ndarray]) -> np.ndarray:
    """(n, 5) True at the levels (among the criterion's ``levels``) where a disc
    criterion's condition holds."""
    c = criterion
    x = disc[c.variable].astype(float)
    ok = np.zeros(x.shape, dtype=bool)
    cols = [LEVELS.index(lv) for lv in (c.levels or LEVELS)]
    ok[:, cols] = _condition(c, x[:, cols])
    return ok


def criterion_holds(
    criterion: Criterion, variables: dict[str, np.ndarray], disc: dict[str, np.ndarray]
) -> np.ndarray:
    """(n,) True where a patient meets ``criterion``'s condition (before inclusion/exclusion
    is applied). A disc criterion holds when the number of its levels meeting the condition
    lies in ``n_levels`` (default: at least one)."""
    c = criterion
    if c.variable in DISC_VARIABLES:
        count = criterion_levels(c, disc).sum(axis=1)
        low, high = c.n_levels if c.n_levels is not None else (1, len(c.levels or LEVELS))
        return (count >= low) & (count <= high)
    if c.variable not in variables:
        raise ConfigError(
            Problem(
                "eligibility.variable",
                c.variable,
                "a variable the population has: " + ", ".join(sorted(variables)),
            )
        )
    return _condition(c, variables[c.variable].astype(float))


def _eligibility(protocol: Protocol, variables, disc) -> tuple[np.ndarray, np.ndarray]:
    """(n, n_criteria) failure matrix and (n,) eligible flags."""
    n = len(next(iter(variables.values())))
    fails = np.zeros((n, len(protocol.eligibility)), dtype=bool)
    for j, c in enumerate(protocol.eligibility):
        holds = criterion_holds(c, variables, disc)
        fails[:, j] = ~holds if c.kind == "inclusion" else holds
    return fails, np.asarray(~fails.any(axis=1))


def history_grid_months(lookback_years: float) -> np.ndarray:
    """Months before screening at which the pain history is read, oldest first, ending at
    0 (the screening visit): monthly for the last two years, then quarterly (durations
    beyond two years are resolved to three months, finer than any eligibility cut needs)."""
    total = round(lookback_years * 12)
    recent = np.arange(0, min(24, total + 1))
    older = np.arange(24, total + 1, 3)
    return np.concatenate([recent, older])[::-1].astype(float)


def _screening_uniforms(seed: int, index: np.ndarray) -> np.ndarray:
    out = np.empty((len(index), _N_SCREENING_DRAWS))
    for row, i in enumerate(index):
        out[row] = patient_generator(seed, Stream.SCREENING, int(i)).random(_N_SCREENING_DRAWS)
    return out


def _trailing_months(flags: np.ndarray, months_grid: np.ndarray) -> np.ndarray:
    """Months of the trailing run of True in ``flags`` (n, K), oldest first, the last column
    the screening visit: how long a condition has held continuously up to screening."""
    off_rev = ~flags[:, ::-1]
    run = np.where(off_rev.any(axis=1), off_rev.argmax(axis=1), flags.shape[1])
    # run = number of trailing grid points where it holds; the last lies run-1 steps back
    months_back = months_grid[::-1]  # 0 at screening
    return np.where(run > 0, months_back[np.maximum(run - 1, 0)], 0.0).astype(float)


def _history(
    in_pain: np.ndarray,
    months_grid: np.ndarray,
    u: np.ndarray,
    expected_pain: np.ndarray,
    moderate: np.ndarray,
) -> dict[str, np.ndarray]:
    """Chronic-pain duration from whether pain was felt at ``months_grid`` (``in_pain``
    (n, K): oldest first, the last column the screening visit), the duration of pain of at
    least moderate intensity (``moderate``, same layout) and the prior-treatment variables
    drawn given the chronic-pain duration."""
    hp = history_parameters()
    months = _trailing_months(in_pain, months_grid)
    moderate_months = _trailing_months(moderate, months_grid)
    days = months * _DAYS_PER_MONTH
    had_care = u[:, _U_CARE] < hp["conservative_care_probability"].value
    fmin = hp["conservative_care_min_fraction"].scalar
    care = np.where(
        had_care & (months > 0), months * (fmin + (1 - fmin) * u[:, _U_CARE_FRACTION]), 0
    )
    interventions = poisson.ppf(u[:, _U_INTERVENTIONS], hp["prior_intervention_rate"].value * days)
    surgery = u[:, _U_SURGERY] < -np.expm1(-hp["prior_surgery_rate"].scalar * days)
    p_opioid = expit(
        logit(hp["opioid_probability"].scalar)
        + hp["opioid_log_odds_per_pain_point"].scalar
        * (expected_pain - hp["opioid_reference_pain"].scalar)
    )
    opioid = (u[:, _U_OPIOID] < p_opioid) & (months > 0)
    interventions = np.nan_to_num(interventions, nan=0.0)
    return {
        "clbp_duration_months": months,
        "moderate_pain_months": moderate_months,
        "conservative_care_months": np.floor(care),
        "prior_interventions": interventions,
        "prior_surgery": surgery.astype(float),
        "opioid_use": opioid.astype(float),
        "failed_all_therapies": ((np.floor(care) >= 6) & (interventions >= 2) & opioid).astype(
            float
        ),
    }


def _screen_block(protocol: Protocol, seed: int, index: np.ndarray, engine: Engine):
    """Simulate and measure candidates ``index`` at their screening visit."""
    ps = _parameter_set(protocol.population.parameter_file)
    cs = load_covariate_set(protocol.population.covariate_file)
    pop = sample_population(seed=seed, parameter_set=ps, covariate_set=cs, patient_index=index)
    n = len(index)
    u = _screening_uniforms(seed, index)
    lo, hi = protocol.population.age_years
    age_days = (lo + (hi - lo) * u[:, _U_AGE]) * DAYS_PER_YEAR

    hp = history_parameters()
    grid = history_grid_months(hp["history_lookback"].scalar)
    t0 = START_AGE_YEARS * DAYS_PER_YEAR
    back = age_days[:, None] - _DAYS_PER_MONTH * grid[None, :]  # (n, k), oldest first
    before_start = back <= t0
    # months before age 10 are pain-free by construction; keep times ascending and > t0
    back = np.where(before_start, t0 + 1e-6 * (1 + np.arange(len(grid)))[None, :], back)
    run = simulate(pop, ages_days=back, engine=engine)
    states, status = run.states, run.status
    ok = status == 0
    states = np.where(ok[:, None, None], states, 0.0)
    disc_hist, patient_hist = true_observables(
        states[:, -1:], pop.parameters, pop.layout, back[:, -1:]
    )
    _, pain_series = true_observables(
        states, pop.parameters, pop.layout, back, names=("pain_reported_mean",)
    )
    # pain felt at each history point: the pain drive without the day's own noise
    drive = (
        np.clip(pain_series["pain_reported_mean"], 0.0, 10.0)
        - ps["pain_free_offset"].value
        + pain_course(seed, pop.patient_index, back, ps)
    )
    in_pain = ~before_start & (drive > 0)
    moderate = in_pain & (drive >= hp["moderate_pain_nrs"].value)

    times = measurement_times(protocol, age_days)
    m = times.shape[1]
    disc_rep = {name: np.repeat(v, m, axis=1) for name, v in disc_hist.items()}
    pat_rep = {name: np.repeat(v, m, axis=1) for name, v in patient_hist.items()}
    measured = measure_at(disc_rep, pat_rep, pop, seed, times)

    expected = np.clip(patient_hist["pain_reported_mean"][:, 0], 0, 10)
    variables: dict[str, np.ndarray] = {"age_years": age_days / DAYS_PER_YEAR}
    variables.update(pop.covariates)
    for rec in records("screening", "patient"):
        variables[rec.name] = measured.patient[rec.key][:, 0].astype(float)
    for name in BASELINE_MEASURES:
        variables[f"baseline_{name}"] = measured.patient[name][:, 1].astype(float)
    variables.update(_history(in_pain, grid, u, expected, moderate))
    disc = {name: measured.disc[name][:, 0].astype(float) for name in DISC_VARIABLES}
    # a failed integration is a status, not a crash: such candidates are never eligible
    variables["solver_ok"] = ok.astype(float)
    return pop, age_days, variables, disc, n


@cache
def _parameter_set(path: str | None) -> ParameterSet:
    return load_parameter_set(path)


def screen(
    protocol: Protocol,
    seed: int,
    *,
    engine: Engine | None = None,
    n_target: int | None = None,
) -> Screening:
    """Screen candidates in index order until ``n_target`` (default: the protocol's
    ``n_patients``) are eligible or ``max_screened`` candidates have been seen.

    Returns the enrolled patients with their screening data, and screen-failure counts over
    every candidate screened up to the one completing enrolment.
    """
    engine = engine or Engine()
    target = protocol.study.n_patients if n_target is None else int(n_target)
    limit = protocol.population.max_screened
    labels = [c.label for c in protocol.eligibility]
    fail_counts = np.zeros(len(labels), dtype=np.int64)
    n_failed = 0
    kept_pops, kept_age, kept_var, kept_disc = [], [], [], []
    n_kept = 0
    start = 0
    batch = max(32, 3 * target)
    while n_kept < target and start < limit:
        index = np.arange(start, min(limit, start + batch), dtype=np.int64)
        pop, age_days, variables, disc, n = _screen_block(protocol, seed, index, engine)
        fails, eligible = _eligibility(protocol, variables, disc)
        eligible &= variables["solver_ok"] > 0
        rows = np.flatnonzero(eligible)
        need = target - n_kept
        if len(rows) >= need:
            rows = rows[:need]
            last = rows[-1] + 1  # candidates after the one completing enrolment are not seen
        else:
            last = n
        fail_counts += fails[:last].sum(axis=0)
        n_failed += int((~eligible[:last]).sum())
        kept_pops.append(pop.take(rows))
        kept_age.append(age_days[rows])
        kept_var.append({k: v[rows] for k, v in variables.items()})
        kept_disc.append({k: v[rows] for k, v in disc.items()})
        n_kept += len(rows)
        start += last
        rate = max(n_kept / max(start, 1), 0.02)
        batch = int(min(max(32, 1.2 * (target - n_kept) / rate), 20 * target + 32))
    population = _concat_populations(kept_pops)
    return Screening(
        n_screened=start,
        n_target=target,
        failures=dict(zip(labels, fail_counts.tolist(), strict=True)),
        n_failed=n_failed,
        population=population,
        screening_age_days=np.concatenate(kept_age),
        variables={k: np.concatenate([v[k] for v in kept_var]) for k in kept_var[0]},
        disc={k: np.concatenate([v[k] for v in kept_disc]) for k in kept_disc[0]},
    )


def _concat_populations(pops: list[Population]) -> Population:
    first = pops[0]
    return Population(
        first.seed,
        np.concatenate([p.patient_index for p in pops]),
        {k: np.concatenate([p.covariates[k] for p in pops]) for k in first.covariates},
        np.concatenate([p.parameters for p in pops]),
        first.layout,
        first.parameter_set,
    )
