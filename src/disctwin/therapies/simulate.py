"""Treated and untreated twins of the same patients.

:func:`simulate_twins` gives each patient a regimen starting at its own treatment age and
integrates two copies of the patient with the same parameters and random streams: the
*treated* twin receives the doses' effects as engine events; the *untreated* twin receives
no-op events at the same times, so the solver stops at the same instants and the two twins
are bit-for-bit identical until the first dose. The difference between them is the
treatment's effect on that patient, free of between-patient variability.

>>> from disctwin.population import sample_population
>>> pop = sample_population(3, seed=1)                                  # doctest: +SKIP
>>> twins = simulate_twins(pop, load_regimen("saline_intradiscal"),      # doctest: +SKIP
...                        treatment_age_days=np.full(3, 45 * 365.25),
...                        output_ages_days=np.full((3, 2), [45, 47]) * 365.25)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from disctwin.engine.engine import (
    EVENT_KINDS,
    START_AGE_YEARS,
    STATE_EVENT_KINDS,
    Engine,
    EventTable,
    compiled_model,
    initial_state,
)
from disctwin.errors import ConfigError, Problem
from disctwin.model import N_LEVELS, state_index
from disctwin.model.observables import true_observables
from disctwin.population import Population
from disctwin.therapies.base import THERAPIES, DoseContext, Effect
from disctwin.therapies.catalogue import REGIONS
from disctwin.therapies.harms import AE_SCHEMA, draw_adverse_events
from disctwin.therapies.nonspecific import expectation_effects
from disctwin.therapies.regimen import Regimen
from disctwin.units import DAYS_PER_YEAR

__all__ = ["TwinResult", "dose_events", "parameters_over_time", "simulate_twins"]

_NOOP = ("state_add", 0, 0.0)  # state 0 += 0: a breakpoint that changes nothing


@dataclass(frozen=True)
class TwinResult:
    """States of the treated and untreated twins at the requested ages.

    Attributes:
        population: the patients (n).
        regimen: what the treated twins received.
        treatment_age_days: (n,) age at the regimen's day 0.
        ages_days: (n, m) output ages.
        treated / untreated: (n, m, n_states) states.
        status_treated / status_untreated: (n,) solver status codes.
        parameters_treated: (n, m, n_parameters) parameters in force at each output (doses
            set therapy slot parameters); the untreated twins keep ``population.parameters``.
        adverse_events: table with columns of :data:`~disctwin.therapies.harms.AE_SCHEMA`
            (``day`` counted from day 0).
    """

    population: Population
    regimen: Regimen
    treatment_age_days: np.ndarray
    ages_days: np.ndarray
    treated: np.ndarray
    untreated: np.ndarray
    status_treated: np.ndarray
    status_untreated: np.ndarray
    parameters_treated: np.ndarray
    adverse_events: pa.Table

    def true_observables(self, twin: str = "treated"):
        """Noise-free observables of one twin: (disc, patient) dicts as
        :func:`~disctwin.model.observables.true_observables`."""
        if twin == "treated":
            states, params = self.treated, self.parameters_treated
        elif twin == "untreated":
            states, params = self.untreated, self.population.parameters
        else:
            raise ConfigError(Problem("twin", twin, "treated or untreated"))
        return true_observables(states, params, self.population.layout, self.ages_days)


def dose_events(
    population: Population,
    regimen: Regimen,
    treatment_age_days: np.ndarray,
    *,
    index_levels: np.ndarray | None = None,
    region: str = "us",
    blinded: bool | None = None,
) -> tuple[list[tuple], list[pa.Table]]:
    """Event rows (patient row, time, kind, index, value) of every dose, and the adverse
    events of each dose. With ``blinded`` True or False the first dose also starts the
    expectation effect of a treated arm (:mod:`disctwin.therapies.nonspecific`)."""
    n = len(population)
    levels = _index_levels(index_levels, n)
    rows: list[tuple] = []
    adverse = []
    for k, settings in enumerate(regimen.doses):
        therapy = THERAPIES[settings.modality]()
        times = treatment_age_days + settings.day
        ctx = DoseContext(
            seed=population.seed,
            patient_index=population.patient_index,
            dose_index=k,
            target_levels=levels,
            region=region,
            earlier=regimen.doses[:k],
            dose_age_days=times,
        )
        effects = therapy.effects(settings, ctx)
        if k == 0 and blinded is not None:
            effects = effects + expectation_effects(regimen, blinded, ctx)
        for effect in effects:
            rows.extend(_effect_rows(effect, population, times))
        adverse.append(
            draw_adverse_events(
                therapy.hazards(settings, ctx),
                population.seed,
                population.patient_index,
                k,
                settings.day,
            )
        )
    return rows, adverse


def _index_levels(index_levels, n):
    if index_levels is None:
        levels = np.zeros((n, N_LEVELS), dtype=bool)
        levels[:, 3] = True  # L4/5, the most often treated level
        return levels
    levels = np.asarray(index_levels, dtype=bool)
    if levels.shape != (n, N_LEVELS):
        raise ConfigError(Problem("index_levels", levels.shape, f"a ({n}, {N_LEVELS}) mask"))
    return levels


def _effect_rows(effect: Effect, population: Population, times: np.ndarray) -> list[tuple]:
    kind = EVENT_KINDS[effect.kind]
    if kind in STATE_EVENT_KINDS:
        index = state_index(effect.target, effect.level)
    else:
        layout = population.layout
        if (layout.widths[effect.target] > 1) != (effect.level is not None):
            raise ValueError(f"{effect.target}: level {effect.level} does not fit its width")
        index = layout.slot(effect.target, effect.level or 0)
    n = len(population)
    values = np.broadcast_to(np.asarray(effect.value, dtype=float), (n,))
    rows_mask = np.ones(n, dtype=bool) if effect.mask is None else effect.mask
    return [
        (row, float(times[row]) + effect.delay_days, effect.kind, index, float(values[row]))
        for row in np.flatnonzero(rows_mask)
    ]


def parameters_over_time(
    parameters: np.ndarray, events: EventTable, ages_days: np.ndarray
) -> np.ndarray:
    """(n, m, P) parameters in force at each output age (events at or before it applied,
    as in the engine)."""
    n, m = ages_days.shape
    out = np.repeat(parameters[:, None, :], m, axis=1)
    rows = np.arange(n)
    for j in range(events.time.shape[1]):
        active = j < events.count
        kind = events.kind[:, j]
        for code in (
            EVENT_KINDS["parameter_set"],
            EVENT_KINDS["parameter_add"],
            EVENT_KINDS["parameter_multiply"],
        ):
            sel = active & (kind == code)
            if not sel.any():
                continue
            r = rows[sel]
            idx = events.index[sel, j]
            after = ages_days[sel] >= events.time[sel, j][:, None]  # (k, m)
            current = out[r, :, idx]  # (k, m)
            v = events.value[sel, j][:, None]
            if code == EVENT_KINDS["parameter_set"]:
                new = np.broadcast_to(v, current.shape)
            elif code == EVENT_KINDS["parameter_add"]:
                new = current + v
            else:
                new = current * v
            out[r, :, idx] = np.where(after, new, current)
    return out


def simulate_twins(
    population: Population,
    regimen: Regimen,
    treatment_age_days: np.ndarray,
    output_ages_days: np.ndarray,
    *,
    engine: Engine | None = None,
    index_levels: np.ndarray | None = None,
    region: str = "us",
    blinded: bool | None = None,
) -> TwinResult:
    """Simulate treated and untreated twins (see module docs).

    Args:
        population: n patients.
        regimen: the doses (``Regimen.untreated()`` for none).
        treatment_age_days: (n,) age in days at the regimen's day 0.
        output_ages_days: (n, m) or (m,) ascending ages in days of the outputs.
        engine: tolerances and threads (default :class:`~disctwin.engine.Engine`).
        index_levels: (n, 5) bool, the levels doses with ``levels = "index"`` treat
            (default: L4/5).
        region: seroprevalence region (``us``, ``europe``, ``china``).
        blinded: the non-specific expectation effect of being treated
            (:mod:`disctwin.therapies.nonspecific`): None (default) leaves it out, so the
            twins differ only by the therapy's specific effects; True (a blinded trial arm)
            or False (an open arm) adds it to the treated twin from its first dose.
    """
    engine = engine or Engine()
    n = len(population)
    if region not in REGIONS:
        raise ConfigError(Problem("region", region, ", ".join(REGIONS)))
    start = np.broadcast_to(np.asarray(treatment_age_days, dtype=float), (n,)).copy()
    m = np.shape(output_ages_days)[-1]
    ages = np.ascontiguousarray(np.broadcast_to(np.asarray(output_ages_days, dtype=float), (n, m)))
    t0 = START_AGE_YEARS * DAYS_PER_YEAR
    if not np.all(np.isfinite(start)) or np.any(start < t0):
        raise ConfigError(
            Problem("treatment_age_days", start.min(), f"finite ages >= {t0:g} days (age 10)")
        )
    if np.any(np.diff(ages, axis=1) < 0) or np.any(ages < t0):
        raise ConfigError(Problem("output_ages_days", "...", "ascending ages >= age 10"))
    rows, adverse = dose_events(
        population, regimen, start, index_levels=index_levels, region=region, blinded=blinded
    )
    treated_events = EventTable.from_rows(n, rows)
    untreated_events = EventTable.from_rows(n, [(r[0], r[1], *_NOOP) for r in rows])
    model = compiled_model(population.layout)
    solve = {"rtol": engine.rtol, "atol": engine.atol, "max_steps": engine.max_steps}
    if engine.threads is not None:
        import numba

        numba.set_num_threads(min(engine.threads, numba.config.NUMBA_NUM_THREADS))
    y0 = initial_state()
    treated, st_t, _ = model.solve(
        t0, y0, population.parameters, ages, events=treated_events, **solve
    )
    untreated, st_u, _ = model.solve(
        t0, y0, population.parameters, ages, events=untreated_events, **solve
    )
    table = pa.concat_tables(adverse) if adverse else AE_SCHEMA.empty_table()
    return TwinResult(
        population=population,
        regimen=regimen,
        treatment_age_days=start,
        ages_days=ages,
        treated=treated,
        untreated=untreated,
        status_treated=st_t,
        status_untreated=st_u,
        parameters_treated=parameters_over_time(population.parameters, treated_events, ages),
        adverse_events=table,
    )
