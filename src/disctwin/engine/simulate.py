"""The one door to the engine: every simulation of virtual patients goes through here.

>>> from disctwin.engine import simulate
>>> from disctwin.population import sample_population
>>> pop = sample_population(100, seed=1)                                 # doctest: +SKIP
>>> run = simulate(pop, ages_days=np.array([30, 50]) * 365.25)           # doctest: +SKIP
>>> run.states.shape, run.status_counts()                                # doctest: +SKIP
((100, 2, 70), {'ok': 100, 'step_limit': 0, 'non_finite': 0, 'step_underflow': 0})

What is simulated, how, and what comes back are separate arguments (as in diffrax's
``diffeqsolve``):

* **who**: a :class:`~disctwin.population.Population` in memory, or a
  :class:`~disctwin.population.PopulationSpec` whose patients are drawn chunk by chunk;
* **what is done to them**: an optional :class:`~disctwin.therapies.Regimen` started at each
  patient's ``treatment_age_days``, with :class:`Dosing` (treated levels, seroprevalence
  region, the expectation effect of a trial arm);
* **how**: an :class:`~disctwin.engine.Engine` (tolerances, step limit, chunk size, threads);
* **what is recorded**: a :class:`Record` (states always, status and steps; optionally the
  parameters in force at each output, and the untreated twin).

The door owns the conventions every run shares: the start at age 10 in the adolescent
reference state (:mod:`disctwin.model.conventions`), the compiled model for the population's
parameter layout (cached), thread settings, chunking and dose events. A patient's result
does not depend on its chunk, the chunk size or the number of threads.

Twins: with ``Record(untreated_twin=True)`` every patient is also integrated without the
regimen's effects but with no-op events at the same times, so the solver stops at the same
instants and the twins are bit-for-bit identical until the first dose.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import pyarrow as pa

from disctwin.engine.dosing import NOOP_EVENT, dose_events
from disctwin.engine.engine import STATUS_NAMES, CompiledModel, Engine, compiled_model
from disctwin.engine.events import EventTable
from disctwin.errors import ConfigError, Problem
from disctwin.model import START_AGE_YEARS, initial_state
from disctwin.model.observables import true_observables
from disctwin.population import Population, PopulationSpec
from disctwin.therapies.catalogue import REGIONS
from disctwin.therapies.harms import AE_SCHEMA
from disctwin.therapies.regimen import Regimen
from disctwin.units import DAYS_PER_YEAR

__all__ = ["Dosing", "Record", "Trajectories", "simulate", "simulate_chunks"]

_T = TypeVar("_T")

#: Start of every simulation, in days of age.
START_DAYS = START_AGE_YEARS * DAYS_PER_YEAR


@dataclass(frozen=True)
class Record:
    """What a simulation returns besides the states at the output ages.

    Attributes:
        parameters: also the (n, m, n_parameters) parameters in force at each output
            (doses set therapy slot parameters), computed by the kernel.
        untreated_twin: with a regimen, also the untreated twin of every patient.
    """

    parameters: bool = False
    untreated_twin: bool = False


@dataclass(frozen=True)
class Dosing:
    """How a regimen's doses meet the patients.

    Attributes:
        index_levels: (n, 5) bool, the levels doses with ``levels = "index"`` treat
            (default: L4/5).
        region: seroprevalence region (``us``, ``europe``, ``china``).
        blinded: the non-specific expectation effect of being treated
            (:mod:`disctwin.therapies.nonspecific`): None leaves it out; True (a blinded
            trial arm) or False (an open arm) adds it from the first dose.
    """

    index_levels: np.ndarray | None = None
    region: str = "us"
    blinded: bool | None = None


@dataclass(frozen=True)
class Trajectories:
    """Patients' states at the output ages, with what :class:`Record` asked for.

    Attributes:
        population: the patients (n).
        ages_days: (m,) or (n, m) output ages in days, as requested.
        states: (n, m, n_states); NaN after a solver failure.
        status: (n,) solver status codes (see :data:`~disctwin.engine.STATUS_NAMES`).
        n_steps: (n,) accepted solver steps per patient.
        parameters: (n, m, n_parameters) parameters in force at each output, or None.
        untreated: the untreated twins (same fields), or None.
        adverse_events: the regimen's adverse events (columns of
            :data:`~disctwin.therapies.harms.AE_SCHEMA`, ``day`` counted from day 0), or
            None without a regimen.
    """

    population: Population
    ages_days: np.ndarray
    states: np.ndarray
    status: np.ndarray
    n_steps: np.ndarray = field(repr=False)
    parameters: np.ndarray | None = field(default=None, repr=False)
    untreated: Trajectories | None = field(default=None, repr=False)
    adverse_events: pa.Table | None = field(default=None, repr=False)

    def status_counts(self) -> dict[str, int]:
        return {name: int(np.sum(self.status == code)) for code, name in STATUS_NAMES.items()}

    def true_observables(self, names=None):
        """Noise-free observables: (disc, patient) dicts as
        :func:`~disctwin.model.observables.true_observables`."""
        params = self.population.parameters if self.parameters is None else self.parameters
        return true_observables(
            self.states, params, self.population.layout, self.ages_days, names=names
        )


def simulate(
    population: Population,
    regimen: Regimen | None = None,
    *,
    ages_days: np.ndarray,
    treatment_age_days: float | np.ndarray | None = None,
    record: Record | None = None,
    engine: Engine | None = None,
    dosing: Dosing | None = None,
) -> Trajectories:
    """Simulate every patient of ``population`` from age 10 and return them at once.

    Args:
        population: n patients.
        regimen: the doses, started at ``treatment_age_days`` (None: untreated).
        ages_days: (m,) ages in days shared by all patients, or (n, m), ascending, >= age 10.
        treatment_age_days: scalar or (n,) age at the regimen's day 0 (with a regimen).
        record: what to return besides the states (default :class:`Record`).
        engine: tolerances, step limit, chunk size and threads (default
            :class:`~disctwin.engine.Engine`).
        dosing: treated levels, region and expectation effect (default :class:`Dosing`).

    Patients are integrated ``engine.chunk_size`` at a time; the result does not depend
    on the chunk size.
    """
    chunks = list(
        simulate_chunks(
            population,
            regimen,
            ages_days=ages_days,
            treatment_age_days=treatment_age_days,
            record=record,
            engine=engine,
            dosing=dosing,
        )
    )
    return chunks[0] if len(chunks) == 1 else _concatenate(chunks, population)


def simulate_chunks(
    population: Population | PopulationSpec,
    regimen: Regimen | None = None,
    *,
    ages_days: np.ndarray,
    treatment_age_days: float | np.ndarray | None = None,
    record: Record | None = None,
    engine: Engine | None = None,
    dosing: Dosing | None = None,
    patients: tuple[int, int | None] = (0, None),
) -> Iterator[Trajectories]:
    """As :func:`simulate`, yielding the result chunk by chunk (memory bounded by the
    chunk size). A :class:`~disctwin.population.PopulationSpec` is drawn chunk by chunk;
    ``patients = (start, stop)`` restricts it (or a population) to those rows, and
    per-patient arrays (ages, treatment ages, index levels) then cover those rows only."""
    engine = engine or Engine()
    record = record or Record()
    dosing = dosing or Dosing()
    total = population.n_patients if isinstance(population, PopulationSpec) else len(population)
    start, stop = patients[0], total if patients[1] is None else min(patients[1], total)
    n = stop - start
    ages = _output_ages(ages_days, n)
    treatment = _treatment_ages(regimen, treatment_age_days, n, record)
    if dosing.region not in REGIONS:
        raise ConfigError(Problem("region", dosing.region, ", ".join(REGIONS)))
    _set_threads(engine)
    model: CompiledModel | None = None
    for lo in range(start, stop, engine.chunk_size):
        hi = min(stop, lo + engine.chunk_size)
        rows = np.arange(lo - start, hi - start)
        if isinstance(population, PopulationSpec):
            pop = population.sample(lo, hi)
        elif (lo, hi) == (0, total):
            pop = population
        else:
            pop = population.take(np.arange(lo, hi))
        model = model or compiled_model(pop.layout)
        yield _solve_chunk(
            model,
            pop,
            regimen,
            ages if ages.ndim == 1 else ages[rows],
            None if treatment is None else treatment[rows],
            record,
            engine,
            dosing,
            rows,
        )


def _solve_chunk(
    model: CompiledModel,
    pop: Population,
    regimen: Regimen | None,
    ages: np.ndarray,
    treatment: np.ndarray | None,
    record: Record,
    engine: Engine,
    dosing: Dosing,
    rows: np.ndarray,
) -> Trajectories:
    """Integrate one chunk (and its untreated twin if asked)."""
    n = len(pop)
    events = twin_events = None
    adverse = None
    if regimen is not None and treatment is not None:
        levels = None if dosing.index_levels is None else np.asarray(dosing.index_levels)[rows]
        event_rows, tables = dose_events(
            pop,
            regimen,
            treatment,
            index_levels=levels,
            region=dosing.region,
            blinded=dosing.blinded,
        )
        events = EventTable.from_rows(n, event_rows)
        if record.untreated_twin:
            twin_events = EventTable.from_rows(n, [(r[0], r[1], *NOOP_EVENT) for r in event_rows])
        adverse = pa.concat_tables(tables) if tables else AE_SCHEMA.empty_table()
    treated = _integrate(model, pop, ages, events, record, engine)
    untreated = None
    if twin_events is not None:
        untreated = _integrate(model, pop, ages, twin_events, record, engine)
    return Trajectories(
        population=pop,
        ages_days=ages,
        states=treated[0],
        status=treated[1],
        n_steps=treated[2],
        parameters=treated[3],
        untreated=None if untreated is None else Trajectories(pop, ages, *untreated),
        adverse_events=adverse,
    )


def _integrate(model, pop, ages, events, record: Record, engine: Engine):
    """states, status, n_steps and (if recorded) parameters of one integration."""
    states, status, n_steps = model.solve(
        START_DAYS,
        initial_state(),
        pop.parameters,
        ages,
        rtol=engine.rtol,
        atol=engine.atol,
        max_steps=engine.max_steps,
        events=events,
    )
    parameters = None
    if record.parameters:
        parameters = model.parameters_at(
            pop.parameters, ages, events if events is not None else EventTable.empty(len(pop))
        )
    return states, status, n_steps, parameters


def _output_ages(ages_days, n: int) -> np.ndarray:
    ages = np.asarray(ages_days, dtype=float)
    if ages.ndim == 2 and ages.shape[0] != n:
        raise ConfigError(Problem("ages_days", ages.shape, f"(m,) or ({n}, m) ages in days"))
    if ages.ndim not in (1, 2) or ages.shape[-1] == 0:
        raise ConfigError(Problem("ages_days", ages.shape, f"(m,) or ({n}, m) ages in days"))
    if not np.all(np.isfinite(ages)) or np.any(np.diff(ages, axis=-1) < 0):
        raise ConfigError(Problem("ages_days", "...", "finite, ascending ages in days"))
    if np.any(ages < START_DAYS):
        raise ConfigError(Problem("ages_days", float(ages.min()), f">= {START_DAYS:g} (age 10)"))
    return np.ascontiguousarray(ages)


def _treatment_ages(regimen, treatment_age_days, n: int, record: Record) -> np.ndarray | None:
    if regimen is None:
        if record.untreated_twin:
            raise ConfigError(Problem("record.untreated_twin", True, "a regimen to leave out"))
        return None
    if treatment_age_days is None:
        raise ConfigError(Problem("treatment_age_days", None, "an age in days with a regimen"))
    start = np.broadcast_to(np.asarray(treatment_age_days, dtype=float), (n,)).copy()
    if not np.all(np.isfinite(start)) or np.any(start < START_DAYS):
        raise ConfigError(
            Problem("treatment_age_days", float(start.min()), f"finite ages >= {START_DAYS:g} days")
        )
    return start


def _set_threads(engine: Engine) -> None:
    if engine.threads is not None:
        import numba

        # numba.config sets its attributes at import time, so its stubs do not declare them
        maximum = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]
        numba.set_num_threads(min(engine.threads, maximum))


def _every(parts: list[_T | None], name: str) -> list[_T]:
    """``parts``, which are all given when the first is (chunks of one simulation)."""
    given = [p for p in parts if p is not None]
    if len(given) != len(parts):
        raise ValueError(f"chunks disagree on whether they have {name}")
    return given


def _concatenate(chunks: list[Trajectories], population: Population) -> Trajectories:
    def cat(name: str, parts):
        values = [getattr(c, name) for c in parts]
        return None if values[0] is None else np.concatenate(values)

    def join(parts: list[Trajectories]) -> Trajectories:
        ages = parts[0].ages_days if parts[0].ages_days.ndim == 1 else cat("ages_days", parts)
        return Trajectories(
            population,
            ages,
            cat("states", parts),
            cat("status", parts),
            cat("n_steps", parts),
            cat("parameters", parts),
        )

    whole = join(chunks)
    untreated = None
    if chunks[0].untreated is not None:
        untreated = join(_every([c.untreated for c in chunks], "untreated"))
    adverse = None
    if chunks[0].adverse_events is not None:
        adverse = pa.concat_tables(_every([c.adverse_events for c in chunks], "adverse_events"))
    return Trajectories(
        whole.population,
        whole.ages_days,
        whole.states,
        whole.status,
        whole.n_steps,
        whole.parameters,
        untreated,
        adverse,
    )
