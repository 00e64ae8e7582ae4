"""The engine: compiled model + stiff solver, run over patients in chunks on all cores.

>>> from disctwin.engine import Engine, PopulationSpec
>>> spec = PopulationSpec(n_patients=100, seed=1)
>>> for chunk in Engine().run(spec, ages_years=[20, 40, 60]):  # doctest: +SKIP
...     chunk.states.shape          # (patients in chunk, 3 ages, 46 states)

Design:

* :class:`CompiledModel` generates Numba code from the symbolic model
  (:mod:`disctwin.engine.codegen`), appends the solver kernel and compiles it once; the
  compiled module is cached on disk by content hash (:func:`disctwin.engine.compile.build_module`),
  so later runs (and worker processes) load it in milliseconds.
* :meth:`Engine.run` draws each chunk of patients from the population spec (each patient
  from its own random streams), integrates the chunk with the kernel's parallel loop over
  patients (per-patient adaptive steps: a patient's result does not depend on its chunk),
  and yields a :class:`ChunkResult` with states only at the requested ages (preallocated),
  per-patient status codes and step counts. Memory is bounded by the chunk size.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from disctwin.errors import ConfigError, Problem
from disctwin.model import DISC_STATES, N_LEVELS, PATIENT_STATES, ParameterLayout, build_model
from disctwin.params import ParameterSet, load_covariate_set, load_parameter_set
from disctwin.population import Population, sample_population
from disctwin.units import DAYS_PER_YEAR

__all__ = [
    "EVENT_KINDS",
    "STATUS_NAMES",
    "ChunkResult",
    "CompiledModel",
    "Engine",
    "EventTable",
    "PopulationSpec",
    "initial_state",
]

#: Per-patient status codes returned by the solver kernel.
STATUS_NAMES: dict[int, str] = {0: "ok", 1: "step_limit", 2: "non_finite", 3: "step_underflow"}

#: Age (years) at which every simulation starts: the adolescent reference disc.
START_AGE_YEARS = 10.0
MAX_AGE_YEARS = 100.0


class PopulationSpec(BaseModel):
    """Which virtual patients to simulate: size, seed, parameter and covariate sets.

    Attributes:
        n_patients: number of patients (indices 0..n-1).
        seed: study seed; with the same spec every patient is identical on every run.
        parameter_file: a parameter-set TOML (default: the packaged set).
        covariate_file: a covariate-distribution TOML (default: the packaged one).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    n_patients: int = Field(gt=0, le=100_000_000)
    seed: int = Field(ge=0, le=2**63 - 1)
    parameter_file: str | None = None
    covariate_file: str | None = None

    def parameter_set(self) -> ParameterSet:
        return _parameter_set(self.parameter_file)

    def sample(self, start: int, stop: int) -> Population:
        """Draw patients ``start..stop-1`` (identical to that slice of the whole population)."""
        return sample_population(
            seed=self.seed,
            parameter_set=self.parameter_set(),
            covariate_set=_covariate_set(self.covariate_file),
            patient_index=np.arange(start, stop, dtype=np.int64),
        )


@cache
def _parameter_set(path: str | None) -> ParameterSet:
    return load_parameter_set(path)


@cache
def _covariate_set(path: str | None):
    return load_covariate_set(path)


def initial_state() -> np.ndarray:
    """State vector at the start age: every disc at the adolescent reference."""
    return np.array(
        [s.initial for s in DISC_STATES] * N_LEVELS + [s.initial for s in PATIENT_STATES],
        dtype=np.float64,
    )


EVENT_KINDS: dict[str, int] = {
    "state_set": 0,
    "state_add": 1,
    "state_multiply": 2,
    "parameter_set": 3,
    "parameter_add": 4,
    "parameter_multiply": 5,
    "state_toward_one": 6,
}

#: Event kinds that act on a state (the others act on a parameter).
STATE_EVENT_KINDS = frozenset({0, 1, 2, 6})


@dataclass(frozen=True)
class EventTable:
    """Per-patient events: at ``time`` (days), a state or parameter slot is set, increased or
    multiplied by ``value`` (or, for ``state_toward_one``, moved the fraction ``value`` of the
    way to 1: an injury that cannot take a 0-1 damage state past 1).

    Arrays are (n_patients, max_events), padded; ``count`` (n_patients,) says how many
    leading entries of each row are used. Within a row, events must be sorted by time; ties
    act in row order. An event at time t acts before the outputs at t are recorded (the
    output at t is the post-event state, as for a dose record before an observation record
    in NONMEM or mrgsolve); events at or before the start act at the start; events after
    the last output are ignored. Parameter events refresh the model's parameter-derived
    constants. Therapy modules build these tables from dosing regimens.
    """

    time: np.ndarray
    kind: np.ndarray
    index: np.ndarray
    value: np.ndarray
    count: np.ndarray

    @classmethod
    def empty(cls, n_patients: int) -> EventTable:
        z = np.zeros((n_patients, 1))
        return cls(
            z,
            z.astype(np.int64),
            z.astype(np.int64),
            z.copy(),
            np.zeros(n_patients, dtype=np.int64),
        )

    @classmethod
    def from_rows(
        cls, n_patients: int, rows: Sequence[tuple[int, float, str, int, float]]
    ) -> EventTable:
        """Build from (patient row, time_days, kind name, index, value) tuples."""
        per: list[list[tuple[float, int, int, float]]] = [[] for _ in range(n_patients)]
        for order, (row, time_days, kind, index, value) in enumerate(rows):
            if kind not in EVENT_KINDS:
                raise ConfigError(Problem("event.kind", kind, ", ".join(EVENT_KINDS)))
            if not 0 <= row < n_patients:
                raise ConfigError(Problem("event.patient", row, f"0..{n_patients - 1}"))
            per[row].append((float(time_days), order, EVENT_KINDS[kind], int(index), float(value)))
        width = max(1, max(len(r) for r in per))
        table = cls(
            np.zeros((n_patients, width)),
            np.zeros((n_patients, width), dtype=np.int64),
            np.zeros((n_patients, width), dtype=np.int64),
            np.zeros((n_patients, width)),
            np.array([len(r) for r in per], dtype=np.int64),
        )
        for i, r in enumerate(per):
            for j, (tt, _order, k, idx, v) in enumerate(sorted(r)):
                table.time[i, j], table.kind[i, j] = tt, k
                table.index[i, j], table.value[i, j] = idx, v
        return table

    def validate(self, n_states: int, n_parameters: int) -> None:
        """Check indices and ordering; raise ConfigError naming every problem."""
        problems = []
        for i in range(len(self.count)):
            c = int(self.count[i])
            t, k, j = self.time[i, :c], self.kind[i, :c], self.index[i, :c]
            if np.any(np.diff(t) < 0) or not np.all(np.isfinite(t)):
                problems.append(Problem(f"events[{i}].time", t.tolist(), "finite, sorted times"))
            bad_kind = (k < 0) | (k > 6)
            limit = np.where(np.isin(k, list(STATE_EVENT_KINDS)), n_states, n_parameters)
            if np.any(bad_kind) or np.any((j < 0) | (j >= limit)):
                problems.append(
                    Problem(
                        f"events[{i}].index",
                        j.tolist(),
                        f"states 0..{n_states - 1}, parameters 0..{n_parameters - 1}, kinds 0..6",
                    )
                )
        if problems:
            raise ConfigError(problems)


class CompiledModel:
    """The model compiled for one parameter layout (code generated, then Numba-compiled)."""

    def __init__(self, layout: ParameterLayout):
        from disctwin.engine.compile import build_module

        self.layout = layout
        self.source = _model_source(layout)
        self.module = build_module(self.source, "disctwin_model")

    @property
    def n_states(self) -> int:
        return int(self.module.N_STATES)

    def solve(
        self,
        t0: float,
        y0: np.ndarray,
        parameters: np.ndarray,
        t_out: np.ndarray,
        *,
        rtol: float,
        atol: float,
        max_steps: int,
        t_breaks: np.ndarray | None = None,
        events: EventTable | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Integrate many patients.

        Args:
            t0: start time (days) shared by all patients.
            y0: (n_states,) or (n, n_states) initial states.
            parameters: (n, n_parameters).
            t_out: (m,) or (n, m) output times (days), ascending.
            t_breaks: optional (n, k) breakpoints (NaN-padded) the solver must not step over.
            events: optional per-patient events (doses), see :class:`EventTable`.

        Returns:
            states (n, m, n_states), status (n,) int, n_steps (n,) int.
        """
        n = parameters.shape[0]
        ns = self.n_states
        y0 = np.ascontiguousarray(np.broadcast_to(y0, (n, ns)), dtype=np.float64)
        T = np.ascontiguousarray(
            np.broadcast_to(np.atleast_2d(t_out), (n, np.shape(t_out)[-1])), dtype=np.float64
        )
        if t_breaks is None:
            breaks = np.zeros((n, 1))
            n_breaks = np.zeros(n, dtype=np.int64)
        else:
            breaks = np.ascontiguousarray(t_breaks, dtype=np.float64)
            n_breaks = np.sum(np.isfinite(breaks), axis=1).astype(np.int64)
        mod = self.module
        if events is None:
            events = EventTable.empty(n)
        events.validate(ns, mod.N_PARAMETERS)
        P_ext = np.empty((n, mod.N_PARAMETERS + mod.N_DERIVED))
        mod.derive(np.ascontiguousarray(parameters, dtype=np.float64), P_ext)
        out = np.empty((n, T.shape[1], ns))
        status = np.empty(n, dtype=np.int64)
        n_steps = np.empty(n, dtype=np.int64)
        atol_v = np.full(ns, float(atol))
        mod.solve_population(
            np.full(n, float(t0)),
            y0,
            P_ext,
            T,
            breaks,
            n_breaks,
            np.ascontiguousarray(events.time, dtype=np.float64),
            np.ascontiguousarray(events.kind, dtype=np.int64),
            np.ascontiguousarray(events.index, dtype=np.int64),
            np.ascontiguousarray(events.value, dtype=np.float64),
            np.ascontiguousarray(events.count, dtype=np.int64),
            float(rtol),
            atol_v,
            int(max_steps),
            out,
            status,
            n_steps,
        )
        return out, status, n_steps


def _model_source(layout: ParameterLayout) -> str:
    """Generated model source, cached on disk by the hash of everything that determines it
    (the files defining the equations and the generator, SymPy's version, the layout), so
    that start-up skips the symbolic work after the first run."""
    import hashlib

    import sympy

    from disctwin.engine import codegen
    from disctwin.engine.compile import cache_dir
    from disctwin.model import equations, processes, states
    from disctwin.model import layout as layout_module

    h = hashlib.sha256()
    for module in (equations, states, layout_module, codegen):
        h.update(Path(module.__file__).read_bytes())
    # the rate laws themselves: one module per process
    for path in sorted(Path(processes.__file__).parent.glob("*.py")):
        h.update(path.read_bytes())
    h.update(sympy.__version__.encode())
    h.update(
        repr(
            (layout.names, [layout.widths[n] for n in layout.names], sorted(layout.inert))
        ).encode()
    )
    path = cache_dir() / f"source_{h.hexdigest()[:20]}.py"
    if path.is_file():
        return path.read_text(encoding="utf-8")
    source = codegen.generate_model_source(build_model(), layout)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(source, encoding="utf-8")
    os.replace(tmp, path)
    return source


@cache
def compiled_model(layout: ParameterLayout) -> CompiledModel:
    """The compiled model for a layout (compiled once per process, cached on disk)."""
    return CompiledModel(layout)


@dataclass(frozen=True)
class ChunkResult:
    """States of one chunk of patients at the requested ages.

    Attributes:
        population: the chunk's patients (covariates, parameters, global indices).
        ages_days: (m,) output ages in days.
        states: (n, m, n_states); NaN after a failure.
        status: (n,) solver status codes (see :data:`STATUS_NAMES`).
        n_steps: (n,) solver steps taken per patient.
    """

    population: Population
    ages_days: np.ndarray
    states: np.ndarray
    status: np.ndarray
    n_steps: np.ndarray = field(repr=False)

    def status_counts(self) -> dict[str, int]:
        return {name: int(np.sum(self.status == code)) for code, name in STATUS_NAMES.items()}


class Engine(BaseModel):
    """How to integrate: tolerances, step limit, chunking, threads.

    None of these change results beyond the solver tolerance, and chunk size and threads
    change nothing at all (each patient is integrated on its own).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    rtol: float = Field(default=1e-6, gt=0.0, le=1e-2)
    atol: float = Field(default=1e-10, gt=0.0, le=1e-3)
    max_steps: int = Field(default=100_000, gt=0, le=10_000_000)
    chunk_size: int = Field(default=2_000, gt=0, le=1_000_000)
    threads: int | None = Field(default=None, gt=0, le=1024)

    def run(
        self,
        population: PopulationSpec,
        ages_years: Sequence[float],
        *,
        start: int = 0,
        stop: int | None = None,
        on_chunk: Callable[[ChunkResult], None] | None = None,
    ) -> Iterator[ChunkResult]:
        """Simulate patients ``start..stop-1`` from age 10 and yield results chunk by chunk."""
        ages = validate_ages(ages_years)
        stop = population.n_patients if stop is None else stop
        first = population.sample(start, min(stop, start + 1))
        model = compiled_model(first.layout)
        if self.threads is not None:
            import numba

            numba.set_num_threads(min(self.threads, numba.config.NUMBA_NUM_THREADS))
        t0 = START_AGE_YEARS * DAYS_PER_YEAR
        t_out = ages * DAYS_PER_YEAR
        y0 = initial_state()
        for lo in range(start, stop, self.chunk_size):
            hi = min(stop, lo + self.chunk_size)
            pop = population.sample(lo, hi)
            states, status, n_steps = model.solve(
                t0,
                y0,
                pop.parameters,
                t_out,
                rtol=self.rtol,
                atol=self.atol,
                max_steps=self.max_steps,
            )
            result = ChunkResult(pop, t_out, states, status, n_steps)
            if on_chunk is not None:
                on_chunk(result)
            yield result


def validate_ages(ages_years: Sequence[float], field: str = "ages") -> np.ndarray:
    """Check requested ages: finite, within [10, 100] years, strictly increasing."""
    try:
        ages = np.asarray(list(ages_years), dtype=float)
    except (TypeError, ValueError):
        raise ConfigError(Problem(field, ages_years, "a list of ages in years")) from None
    problems = []
    if ages.ndim != 1 or ages.size == 0:
        problems.append(Problem(field, list(ages_years), "a non-empty list of ages in years"))
    elif not np.all(np.isfinite(ages)):
        problems.append(Problem(field, ages.tolist(), "finite numbers"))
    else:
        if ages.min() < START_AGE_YEARS or ages.max() > MAX_AGE_YEARS:
            problems.append(
                Problem(
                    field,
                    ages.tolist(),
                    f"ages between {START_AGE_YEARS:g} and {MAX_AGE_YEARS:g} years",
                )
            )
        if np.any(np.diff(ages) <= 0):
            problems.append(Problem(field, ages.tolist(), "strictly increasing ages"))
    if problems:
        raise ConfigError(problems)
    return ages
