"""The compiled model and how to integrate it: the solver's settings and its raw call.

* :class:`CompiledModel` generates Numba code from the symbolic model
  (:mod:`disctwin.engine.codegen`), appends the solver kernel and compiles it once; the
  compiled module is cached on disk by content hash (:func:`disctwin.engine.compile.build_module`),
  so later runs (and worker processes) load it in milliseconds.
* :class:`Engine` holds how to integrate (tolerances, step limit, chunking, threads): none
  of these change results beyond the solver tolerance, and chunk size and threads change
  nothing at all.

Nothing calls :meth:`CompiledModel.solve` but the simulation door,
:func:`disctwin.engine.simulate`, which owns the start age, the initial state, dose events,
chunking and threads for every kind of run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from disctwin.engine.events import EventTable
from disctwin.model import ParameterLayout, build_model

if TYPE_CHECKING:
    from disctwin.engine.simulate import Trajectories
    from disctwin.population import PopulationSpec

__all__ = ["STATUS_NAMES", "CompiledModel", "Engine", "compiled_model"]

#: Per-patient status codes returned by the solver kernel.
STATUS_NAMES: dict[int, str] = {0: "ok", 1: "step_limit", 2: "non_finite", 3: "step_underflow"}


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

    def parameters_at(
        self, parameters: np.ndarray, t_out: np.ndarray, events: EventTable
    ) -> np.ndarray:
        """(n, m, n_parameters) parameters in force at each output time (n, m), events
        applied as the integration applies them (the kernel's ``parameters_at_outputs``)."""
        mod = self.module
        n = parameters.shape[0]
        P_ext = np.empty((n, mod.N_PARAMETERS + mod.N_DERIVED))
        mod.derive(np.ascontiguousarray(parameters, dtype=np.float64), P_ext)
        T = np.ascontiguousarray(np.broadcast_to(np.atleast_2d(t_out), (n, np.shape(t_out)[-1])))
        out = np.empty((n, T.shape[1], mod.N_PARAMETERS))
        mod.parameters_at_outputs(
            P_ext,
            T.astype(np.float64),
            np.ascontiguousarray(events.time, dtype=np.float64),
            np.ascontiguousarray(events.kind, dtype=np.int64),
            np.ascontiguousarray(events.index, dtype=np.int64),
            np.ascontiguousarray(events.value, dtype=np.float64),
            np.ascontiguousarray(events.count, dtype=np.int64),
            out,
        )
        return out


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
        assert module.__file__ is not None  # plain modules, each from its file
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


class Engine(BaseModel):
    """How to integrate: tolerances, step limit, chunking, threads.

    None of these change results beyond the solver tolerance, and chunk size and threads
    change nothing at all (each patient is integrated on its own).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    rtol: float = Field(default=1e-6, ge=1e-12, le=1e-2)  # below 1e-12: round-off
    atol: float = Field(default=1e-10, gt=0.0, le=1e-3)
    max_steps: int = Field(default=100_000, gt=0, le=10_000_000)
    chunk_size: int = Field(default=2_000, gt=0, le=1_000_000)
    threads: int | None = Field(default=None, gt=0, le=1024)

    def run(
        self,
        population: PopulationSpec,
        ages_years: Sequence[float] | np.ndarray,
        *,
        start: int = 0,
        stop: int | None = None,
    ) -> Iterator[Trajectories]:
        """Simulate patients ``start..stop-1`` from age 10, untreated, and yield them chunk
        by chunk (:func:`disctwin.engine.simulate_chunks` with these settings)."""
        from disctwin.engine.simulate import simulate_chunks
        from disctwin.model import validate_ages
        from disctwin.units import DAYS_PER_YEAR

        ages = validate_ages(ages_years)
        return simulate_chunks(
            population, ages_days=ages * DAYS_PER_YEAR, engine=self, patients=(start, stop)
        )
