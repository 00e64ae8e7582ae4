"""One virtual trial: screen, enrol, randomise, treat, follow up, analyse.

:func:`simulate_trial` runs a protocol once with one seed:

1. **Screening** (:func:`disctwin.trial.screening.screen`): candidates of the virtual
   population are simulated from age 10 to their screening visit, measured and checked
   against every criterion, until the target is enrolled.
2. **Enrolment and randomisation**: Poisson accrual (``Stream.ENROLMENT``, in enrolment
   order) and stratified permuted blocks (:mod:`disctwin.trial.randomisation`).
3. **Treatment and follow-up**: every enrolled patient is simulated under *each* regimen
   of the protocol (:func:`disctwin.engine.simulate_twins`: the treated twin, and the
   untreated twin on the same random streams), measured at every visit with the noise of
   its own observation stream (the same noise in every world), then rescue medication and
   further interventions are applied (:mod:`disctwin.trial.endpoints`). The world of the
   arm a patient was randomised to is what the trial observes; dropout then hides visits.
4. **Analysis** per protocol (colleague's :mod:`disctwin.stats.analysis`), per comparison
   and endpoint, with multiplicity adjustment of the primary endpoint, or at each
   group-sequential look (:mod:`disctwin.stats.sequential` boundaries).
5. **Truth**: the estimand is the effect in the compared patients, each patient's endpoint
   under the treatment arm's regimen minus under the control arm's, without dropout
   (hypothetical strategy for dropout; intercurrent events as part of the outcome), both
   worlds with the same measurement noise ("noise-matched"), so that bias and coverage
   measure the design and analysis, not sampling of patients.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from disctwin.engine import Engine, simulate_twins
from disctwin.errors import ConfigError, Problem
from disctwin.model.records import Record, record_values, records
from disctwin.params import load_covariate_set, load_parameter_set, parameter_set_files
from disctwin.stats.analysis import Estimate, adjust_p_values
from disctwin.streams import Stream, patient_generator
from disctwin.therapies import BUILTIN_REGIMENS, Regimen, load_regimen
from disctwin.trial.endpoints import (
    BASELINE,
    METHODS,
    Endpoint,
    FollowUp,
    analyse_endpoint,
    analysis_day,
    apply_dropout,
    apply_intercurrent_events,
    endpoint_direction,
    endpoint_kind,
    endpoint_truth,
    endpoint_values,
    favourable,
)
from disctwin.trial.protocol import Protocol, check_protocol
from disctwin.trial.randomisation import randomise
from disctwin.trial.screening import (
    BASELINE_BEFORE_DOSE_DAYS,
    BASELINE_MEASURES,
    Screening,
    criterion_levels,
    measure_at,
    measurement_times,
    screen,
)

__all__ = [
    "SequentialOutcome",
    "TrialResult",
    "World",
    "check_protocol_inputs",
    "protocol_input_files",
    "simulate_trial",
    "trial_index_levels",
    "trial_regimens",
]

_DAYS_PER_MONTH = 365.25 / 12.0


@dataclass(frozen=True)
class World:
    """The enrolled patients followed up under one regimen (complete data, no dropout).

    Attributes:
        regimen: the regimen's name as the protocol gives it (``"none"`` for untreated).
        follow_up: outcomes at every schedule column, intercurrent events applied.
        disc: measured MRI per disc, name -> (n, V, 5).
        status: (n,) solver status.
        adverse_events: the regimen's adverse events (patient rows of this trial).
    """

    regimen: str
    follow_up: FollowUp
    disc: dict[str, np.ndarray]
    status: np.ndarray
    adverse_events: pd.DataFrame


@dataclass(frozen=True)
class SequentialOutcome:
    """What happened at the group-sequential looks.

    Attributes:
        looks: one row per look performed: look, information fraction, calendar day, patients
            enrolled, patients with the primary visit, z (favourable positive), efficacy
            and futility bounds, decision (continue, efficacy, futility, final).
        stopped_at: the last look performed (1-based).
        decision: ``efficacy``, ``futility`` or ``final`` (no early stop).
        calendar_day: day (from the first enrolment) of the last look.
    """

    looks: pd.DataFrame
    stopped_at: int
    decision: str
    calendar_day: float


@dataclass(frozen=True)
class TrialResult:
    """One simulated trial.

    Attributes:
        protocol, seed, replicate: what was run.
        screening: screening counts and the enrolled patients' screening data.
        arm: (n,) arm index of each enrolled patient (protocol arm order).
        stratum: (n,) stratum code.
        enrol_day: (n,) calendar day of baseline, from the first patient's.
        included: (n,) the patient is part of the trial (False: enrolled after an early stop).
        observed: follow-up as observed (the patient's own arm, dropout applied, data after
            an early stop removed).
        disc: measured MRI of each patient in its own arm, name -> (n, V, 5).
        adverse_events: the observed patients' adverse events (column ``row``: patient row).
        results: one row per endpoint x comparison (and look): estimate, CI, p, truth...
        worlds: each regimen's complete potential outcomes.
        sequential: the looks of a group-sequential design (else None).
    """

    protocol: Protocol
    seed: int
    replicate: int
    screening: Screening
    arm: np.ndarray
    stratum: np.ndarray
    enrol_day: np.ndarray
    included: np.ndarray
    observed: FollowUp
    disc: dict[str, np.ndarray]
    adverse_events: pd.DataFrame
    results: pd.DataFrame
    worlds: dict[str, World] = field(repr=False)
    sequential: SequentialOutcome | None = None
    times_days: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_enrolled(self) -> int:
        return int(self.included.sum())

    @property
    def primary(self) -> pd.DataFrame:
        """Result rows of the primary endpoint (final or stopping look)."""
        r = self.results
        return r[r["primary"] & r["final"]]


def check_protocol_inputs(protocol: Protocol) -> dict[str, Regimen]:
    """Every check a run of ``protocol`` makes before its first patient: the design rules
    (:func:`~disctwin.trial.protocol.check_protocol`) and every file it refers to (each
    arm's regimen exists and is valid; the parameter and covariate sets load). Returns the
    arms' regimens by name.

    Raises:
        ConfigError: listing every problem found, not only the first.
    """
    problems = list(check_protocol(protocol))
    regimens: dict[str, Regimen] = {}
    try:
        regimens = trial_regimens(protocol)
    except ConfigError as err:
        problems += err.problems
    population = protocol.population
    for name, path, loader in (
        ("parameter_file", population.parameter_file, load_parameter_set),
        ("covariate_file", population.covariate_file, load_covariate_set),
    ):
        if path is None:
            continue
        try:
            loader(path)
        except ConfigError as err:
            problems += [
                Problem(f"population.{name}: {p.field}", p.value, p.allowed, p.suggestion)
                for p in err.problems
            ]
    if problems:
        raise ConfigError(problems)
    return regimens


def protocol_input_files(protocol: Protocol) -> dict[str, str]:
    """The user's files a run of ``protocol`` reads, by what they are (``"arm[1] (gene
    therapy).regimen"``, ``"population.parameter_file"``...): regimen files (built-in
    regimens are not files), parameter sets with their overlay bases, covariate sets."""
    files: dict[str, str] = {}
    for i, arm in enumerate(protocol.arm):
        if arm.regimen not in BUILTIN_REGIMENS:
            files[f"arm[{i}] ({arm.name}).regimen"] = protocol.regimen_path(arm)
    population = protocol.population
    if population.parameter_file is not None:
        for k, path in enumerate(parameter_set_files(population.parameter_file)):
            files["population.parameter_file" + (f" (base {k})" if k else "")] = str(path)
    if population.covariate_file is not None:
        files["population.covariate_file"] = population.covariate_file
    return files


def trial_regimens(protocol: Protocol) -> dict[str, Regimen]:
    """Each arm's regimen, loaded (by the regimen string the protocol gives).

    Raises:
        ConfigError: every arm whose regimen cannot be loaded, each naming its arm.
    """
    regimens: dict[str, Regimen] = {}
    problems: list[Problem] = []
    for i, arm in enumerate(protocol.arm):
        key = arm.regimen
        if key in regimens:
            continue
        try:
            regimens[key] = load_regimen(protocol.regimen_path(arm))
        except ConfigError as err:
            for p in err.problems:
                problems.append(
                    Problem(f"arm[{i}] ({arm.name}).regimen: {p.field}", p.value, p.allowed)
                )
    if problems:
        raise ConfigError(problems)
    return regimens


def trial_index_levels(protocol: Protocol, screening: Screening) -> np.ndarray | None:
    """(n, 5) levels to treat: those meeting the protocol's index-level criterion (None:
    the regimen's default level)."""
    name = protocol.treatment.index_level_criterion
    if name is None:
        return None
    c = next(c for c in protocol.eligibility if c.label == name)
    return criterion_levels(c, screening.disc)


def _twins(population, regimen, treatment_age, times, engine, blinded: bool, index_levels):
    return simulate_twins(
        population,
        regimen,
        treatment_age,
        times,
        engine=engine,
        index_levels=index_levels,
        blinded=blinded,
    )


def _adverse_events(table, population) -> pd.DataFrame:
    cols = ["row", "term", "day", "severity", "serious", "related"]
    if table is None or len(table) == 0:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(cols, _AE_TYPES, strict=True)})
    frame = table.to_pandas() if hasattr(table, "to_pandas") else pd.DataFrame(table)
    where = {int(g): r for r, g in enumerate(population.patient_index)}
    frame = frame.assign(row=[where[int(i)] for i in frame["patient_index"]])
    return frame[cols].reset_index(drop=True)


_AE_TYPES = ("int64", "object", "float64", "int64", "bool", "object")


def _world(
    protocol: Protocol,
    name: str,
    twins,
    twin: str,
    population,
    times: np.ndarray,
    seed: int,
    adverse_events: pd.DataFrame,
    screening: Screening,
    index_levels: np.ndarray | None = None,
) -> World:
    status = twins.status_treated if twin == "treated" else twins.status_untreated
    ok = status == 0
    disc_true, patient_true = twins.true_observables(twin)
    disc_true = {k: np.nan_to_num(v) for k, v in disc_true.items()}
    patient_true = {k: np.nan_to_num(v) for k, v in patient_true.items()}
    measured = measure_at(disc_true, patient_true, population, seed, times)
    # the screening and baseline visits' data are what screening measured (the same noise;
    # the states differ from it only by solver tolerance and the days to baseline), so a
    # baseline confirmed by eligibility is the trial's baseline
    patient = dict(measured.patient)
    for k in BASELINE_MEASURES:
        patient[k] = patient[k].astype(float)
        patient[k][:, 0] = screening.variables[k]
        patient[k][:, 1] = screening.variables[f"baseline_{k}"]
    disc = dict(measured.disc)
    for k, v in screening.disc.items():
        disc[k] = disc[k].astype(float)
        disc[k][:, 0] = v
    visit_days = times[0] - times[0, 1] - BASELINE_BEFORE_DOSE_DAYS

    def masked(x):  # a failed integration is a status: its values are missing
        return np.where(ok[:, None], x, np.nan)

    def values(rec: Record) -> np.ndarray:
        return record_values(
            rec,
            measured_disc=disc,
            measured_patient=patient,
            disc_true=disc_true,
            patient_true=patient_true,
        )

    measures = {
        r.name: masked(
            _at_index_levels(protocol, values(r), index_levels) if r.level == "disc" else values(r)
        )
        for r in records("visit")
    }
    fu = apply_intercurrent_events(protocol, measures, visit_days, seed, population.patient_index)
    return World(name, fu, disc, status, adverse_events)


#: The level treated when a protocol names no index-level criterion (a regimen's default).
_DEFAULT_INDEX_LEVEL = 3  # L4/5


def _at_index_levels(
    protocol: Protocol, values: np.ndarray, index_levels: np.ndarray | None
) -> np.ndarray:
    """(n, V) an MRI measure at the visits: the mean over each patient's index levels, at the
    screening scan (also the baseline) and the visits with an MRI; missing elsewhere."""
    n = values.shape[0]
    if index_levels is None:
        mask = np.zeros((n, values.shape[-1]), dtype=bool)
        mask[:, _DEFAULT_INDEX_LEVEL] = True
    else:
        mask = np.asarray(index_levels, dtype=bool)
    counts = mask.sum(axis=1)
    mean = (values.astype(float) * mask[:, None, :]).sum(axis=-1) / np.maximum(counts, 1)[:, None]
    mean[counts == 0] = np.nan
    scanned = np.zeros(mean.shape[1], dtype=bool)
    scanned[0] = True
    scanned[2:] = [v.mri for v in protocol.visit]
    out = np.where(scanned[None, :], mean, np.nan)
    out[:, BASELINE] = out[:, 0]  # the screening scan is the baseline scan
    return out


def _select(worlds: list[World], which: np.ndarray) -> tuple[FollowUp, dict[str, np.ndarray]]:
    """Row i from world ``which[i]``."""
    first = worlds[0].follow_up

    def pick(get):
        out = np.array(get(worlds[0]), copy=True)
        for w_index, w in enumerate(worlds[1:], start=1):
            rows = which == w_index
            out[rows] = get(w)[rows]
        return out

    fu = FollowUp(
        {k: pick(lambda w, k=k: w.follow_up.measure(k)) for k in first.measures},
        first.visit_days,
        pick(lambda w: w.follow_up.attended),
        pick(lambda w: w.follow_up.rescue_from),
        pick(lambda w: w.follow_up.intervention_at),
        first.dropout_day,
    )
    disc = {k: pick(lambda w, k=k: w.disc[k]) for k in worlds[0].disc}
    return fu, disc


def simulate_trial(
    protocol: Protocol,
    seed: int,
    *,
    replicate: int = 0,
    engine: Engine | None = None,
    n_patients: int | None = None,
) -> TrialResult:
    """Simulate one trial of ``protocol`` with ``seed`` (see module docs).

    Args:
        n_patients: overrides the protocol's total target (sample-size search).
    """
    problems = check_protocol(protocol)
    if problems:
        raise ConfigError(problems)
    engine = engine or Engine()
    regimens = trial_regimens(protocol)
    target = protocol.study.n_patients if n_patients is None else int(n_patients)

    scr = screen(protocol, seed, engine=engine, n_target=target)
    pop = scr.population
    n = len(pop)
    if n == 0:
        raise ConfigError(
            Problem(
                "eligibility",
                f"0 of {scr.n_screened} candidates eligible",
                "criteria some virtual patients meet (loosen them, or raise "
                "population.max_screened)",
            )
        )
    allocation = [a.allocation for a in protocol.arm]
    arm, stratum = randomise(protocol.randomisation, scr.variables, allocation, seed)
    gaps = np.array(
        [patient_generator(seed, Stream.ENROLMENT, k).exponential() for k in range(n)]
    ) * (_DAYS_PER_MONTH / protocol.enrolment.rate_per_month)
    enrol_day = np.cumsum(gaps) - gaps[0]

    times = measurement_times(protocol, scr.screening_age_days)
    treatment_age = scr.screening_age_days + protocol.enrolment.screening_to_baseline_days

    # every regimen's world for every enrolled patient (potential outcomes)
    names = list(dict.fromkeys(a.regimen for a in protocol.arm))
    worlds: dict[str, World] = {}
    untreated = None
    index_levels = trial_index_levels(protocol, scr)
    for name in names:
        res = _twins(
            pop, regimens[name], treatment_age, times, engine, protocol.study.blinded, index_levels
        )
        ae = _adverse_events(res.adverse_events, pop)
        worlds[name] = _world(
            protocol, name, res, "treated", pop, times, seed, ae, scr, index_levels
        )
        if untreated is None:
            untreated = res
    if "none" not in worlds and untreated is not None:
        empty = _adverse_events(None, pop)
        worlds["none"] = _world(
            protocol, "none", untreated, "untreated", pop, times, seed, empty, scr, index_levels
        )

    arm_world = np.array([names.index(protocol.arm[a].regimen) for a in arm])
    complete, disc = _select([worlds[nm] for nm in names], arm_world)
    observed = apply_dropout(protocol, complete, seed, pop.patient_index)
    ae_parts = []
    for name in names:
        w = worlds[name]
        rows = np.flatnonzero(arm_world == names.index(name))
        ae_parts.append(w.adverse_events[w.adverse_events["row"].isin(rows)])
    adverse_events = pd.concat(ae_parts, ignore_index=True).sort_values(["row", "day"])

    included = np.ones(n, dtype=bool)
    sequential = None
    if protocol.study.design == "group_sequential":
        results, sequential, included, observed = _group_sequential(
            protocol, observed, worlds, arm, enrol_day, scr.variables
        )
        adverse_events = adverse_events[
            adverse_events["row"].isin(np.flatnonzero(included))
            & (
                adverse_events["day"]
                <= sequential.calendar_day - enrol_day[adverse_events["row"].to_numpy()]
            )
        ]
    elif protocol.study.design == "single_arm":
        results = _single_arm(protocol, observed, worlds)
    else:
        results = _fixed(protocol, observed, worlds, arm, scr.variables)
    return TrialResult(
        protocol=protocol,
        seed=int(seed),
        replicate=int(replicate),
        screening=scr,
        arm=arm,
        stratum=stratum,
        enrol_day=enrol_day,
        included=included,
        observed=observed,
        disc=disc,
        adverse_events=adverse_events.reset_index(drop=True),
        results=results,
        worlds=worlds,
        sequential=sequential,
        times_days=times,
    )


def _row(
    e: Endpoint,
    comparison: str,
    look: int,
    est: Estimate,
    truth: float,
    alpha: float,
    null: float = 0.0,
) -> dict:
    """One result row; ``null`` is the estimate of no effect (favourable is judged
    against it: 0 for a difference, the null rate for a single-arm rate)."""
    covered = bool(est.ci_low <= truth <= est.ci_high) if np.isfinite(truth) else None
    return {
        "endpoint": e.name,
        "kind": e.kind,
        "method": e.method,
        "primary": e.primary,
        "comparison": comparison,
        "look": look,
        "final": True,
        "estimate": est.estimate,
        "se": est.se,
        "ci_low": est.ci_low,
        "ci_high": est.ci_high,
        "p_value": est.p_value,
        "n": est.n,
        "truth": truth,
        "covered": covered,
        "significant": bool(est.p_value < alpha) if np.isfinite(est.p_value) else False,
        "favourable": favourable(e, est.estimate - null) if np.isfinite(est.estimate) else False,
        "analysis": est.method,
    }


def _truth(protocol: Protocol, e: Endpoint, worlds, reg_t: str, reg_c: str, rows) -> float:
    """The estimand of endpoint ``e`` in patients ``rows``: their endpoint in the treatment
    world against the control world (:func:`endpoint_truth`)."""
    return endpoint_truth(
        e,
        endpoint_values(protocol, e, worlds[reg_t].follow_up.take(rows)),
        endpoint_values(protocol, e, worlds[reg_c].follow_up.take(rows)),
    )


def _comparison_data(protocol: Protocol, c, arm: np.ndarray):
    names = [a.name for a in protocol.arm]
    t, k = names.index(c.treatment), names.index(c.control)
    rows = np.flatnonzero((arm == t) | (arm == k))
    treated = (arm[rows] == t).astype(float)
    return rows, treated, protocol.arm[t].regimen, protocol.arm[k].regimen


def _fixed(protocol, observed, worlds, arm, variables) -> pd.DataFrame:
    rows_out = []
    alpha = protocol.analysis.alpha
    cov_names = protocol.analysis.covariates
    for c in protocol.comparisons:
        rows, treated, reg_t, reg_c = _comparison_data(protocol, c, arm)
        fu = observed.take(rows)
        covariates = {k: variables[k][rows] for k in cov_names} or None
        label = f"{c.treatment} vs {c.control}"
        for e in protocol.endpoint:
            values = endpoint_values(protocol, e, fu)
            est = analyse_endpoint(
                protocol, e, values, treated, follow_up=fu, covariates=covariates
            )
            truth = _truth(protocol, e, worlds, reg_t, reg_c, rows)
            rows_out.append(_row(e, label, 1, est, truth, alpha))
    frame = pd.DataFrame(rows_out)
    # multiplicity across comparisons of the primary endpoint
    method = protocol.analysis.multiplicity
    frame["p_adjusted"] = frame["p_value"]
    prim = frame.index[frame["primary"]]
    if method != "none" and len(prim) > 1:
        m = adjust_p_values(frame.loc[prim, "p_value"].to_numpy(), method, alpha=alpha)
        frame.loc[prim, "p_adjusted"] = m.adjusted
    frame["significant"] = frame["p_adjusted"] < alpha
    frame["success"] = frame["significant"] & frame["favourable"]
    return frame


def _single_arm(protocol, observed, worlds) -> pd.DataFrame:
    """Each endpoint with a single-arm method (:attr:`AbstractEndpoint.single_arm_method`):
    estimate, and as truth its mean in the treated world (and in the untreated one)."""
    arm = protocol.arm[0]
    treated_world, untreated = worlds[arm.regimen].follow_up, worlds["none"].follow_up
    alpha = protocol.analysis.alpha
    rows = []
    for e in protocol.endpoint:
        name = endpoint_kind(e).single_arm_method
        if name is None:
            continue
        values = endpoint_values(protocol, e, observed)
        est = analyse_endpoint(protocol, e, values, None, follow_up=observed, method=name)
        truth = float(np.nanmean(endpoint_values(protocol, e, treated_world).value))
        row = _row(e, arm.name, 1, est, truth, alpha, null=METHODS[name]().null(protocol))
        row["truth_untreated"] = float(np.nanmean(endpoint_values(protocol, e, untreated).value))
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["p_adjusted"] = frame["p_value"]
    frame["success"] = frame["significant"] & frame["favourable"]
    return frame


def _group_sequential(protocol, observed, worlds, arm, enrol_day, variables):
    from disctwin.stats.sequential import boundaries

    seq = protocol.sequential
    c = protocol.comparisons[0]
    e = protocol.primary
    bounds = boundaries(
        list(seq.information_fractions),
        alpha=seq.alpha,
        spending=seq.spending,
        futility=seq.futility,
        beta=seq.beta,
    )
    rows, treated, reg_t, reg_c = _comparison_data(protocol, c, arm)
    endpoint_day = analysis_day(protocol, e)
    n = len(arm)
    due_calendar = np.sort(enrol_day + endpoint_day)
    looks = []
    decision = "final"
    stop_day = float(due_calendar[-1])
    chosen: tuple[int, Estimate, np.ndarray, float] | None = None
    label = f"{c.treatment} vs {c.control}"
    cov = protocol.analysis.covariates
    for j, f in enumerate(seq.information_fractions):
        last = j == len(seq.information_fractions) - 1
        k = max(1, int(np.ceil(f * n - 1e-9)))
        day = float(due_calendar[k - 1]) if not last else float(due_calendar[-1])
        in_trial = enrol_day[rows] <= day
        sub = rows[in_trial]
        fu = observed.take(sub)
        due = day - enrol_day[sub]
        values = endpoint_values(protocol, e, fu, due_day=due)
        covariates = {name: variables[name][sub] for name in cov} or None
        est = analyse_endpoint(
            protocol, e, values, treated[in_trial], follow_up=fu, covariates=covariates
        )
        z = est.estimate / est.se if est.se > 0 else 0.0
        z = endpoint_direction(e) * z  # favourable positive
        b = float(bounds.efficacy[j])
        a = float(bounds.futility[j]) if bounds.futility is not None else -np.inf
        if z >= b:
            step = "efficacy"
        elif z <= a and not last:
            step = "futility"
        else:
            step = "final" if last else "continue"
        looks.append(
            {
                "look": j + 1,
                "information_fraction": f,
                "calendar_day": day,
                "enrolled": int((enrol_day <= day).sum()),
                "with_primary_visit": int(values.available.sum()),
                "z": float(z),
                "efficacy_bound": b,
                "futility_bound": a,
                "decision": step,
            }
        )
        chosen = (j + 1, est, sub, day)
        if step != "continue":
            decision = "efficacy" if step == "efficacy" else step
            stop_day = day
            break
    if chosen is None:
        raise ValueError("a group-sequential design needs at least one look")
    look, est, sub, day = chosen
    truth = _truth(protocol, e, worlds, reg_t, reg_c, sub)
    row = _row(e, label, look, est, truth, 2 * seq.alpha)
    row["significant"] = decision == "efficacy"
    row["favourable"] = decision == "efficacy" or row["favourable"]
    row["p_adjusted"] = row["p_value"]
    row["success"] = decision == "efficacy"
    rows_out = [row]
    # secondary endpoints: analysed once, on the data known at the analysis that ended the
    # trial, at the protocol's two-sided alpha (descriptive: no boundary, no stopping)
    in_trial = enrol_day[rows] <= day
    fu = observed.take(sub)
    due = day - enrol_day[sub]
    covariates = {name: variables[name][sub] for name in cov} or None
    alpha = protocol.analysis.alpha
    for e2 in protocol.endpoint:
        if e2.name == e.name:
            continue
        values = endpoint_values(protocol, e2, fu, due_day=due)
        est2 = analyse_endpoint(
            protocol, e2, values, treated[in_trial], follow_up=fu, covariates=covariates
        )
        truth2 = _truth(protocol, e2, worlds, reg_t, reg_c, sub)
        r2 = _row(e2, label, look, est2, truth2, alpha)
        r2["p_adjusted"] = r2["p_value"]
        r2["success"] = r2["significant"] and r2["favourable"]
        rows_out.append(r2)
    frame = pd.DataFrame(rows_out)
    included = enrol_day <= stop_day
    visit_calendar = enrol_day[:, None] + observed.visit_days[None, :]
    attended = observed.attended & included[:, None] & (visit_calendar <= stop_day + 1e-9)
    attended[:, :2] = observed.attended[:, :2] & included[:, None]
    dropout_day = np.where(
        observed.dropout_day <= stop_day - enrol_day, observed.dropout_day, np.nan
    )
    from dataclasses import replace

    observed = replace(observed, attended=attended, dropout_day=dropout_day)
    outcome = SequentialOutcome(pd.DataFrame(looks), looks[-1]["look"], decision, stop_day)
    return frame, outcome, included, observed
