"""From a regimen to engine events: each dose's effects, for every patient at once.

A therapy module declares what a dose does (:class:`~disctwin.therapies.Effect` s) and its
harms (:class:`~disctwin.therapies.Hazard` s); :func:`dose_events` asks every dose of a
regimen for them and translates the effects into event rows (patient row, time, kind,
index, value) that :class:`~disctwin.engine.events.EventTable` packs for the solver, and
the hazards into seeded adverse events.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from disctwin.engine.events import EVENT_KINDS, STATE_EVENT_KINDS
from disctwin.errors import ConfigError, Problem
from disctwin.model import N_LEVELS, state_index
from disctwin.population import Population
from disctwin.therapies.base import THERAPIES, DoseContext, Effect
from disctwin.therapies.harms import draw_adverse_events
from disctwin.therapies.nonspecific import expectation_effects
from disctwin.therapies.regimen import Regimen

__all__ = ["NOOP_EVENT", "dose_events", "index_levels_mask"]

#: state 0 += 0: a breakpoint that changes nothing (the untreated twin's "dose")
NOOP_EVENT = ("state_add", 0, 0.0)


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
    levels = index_levels_mask(index_levels, n)
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


def index_levels_mask(index_levels: np.ndarray | None, n: int) -> np.ndarray:
    """(n, 5) bool: the levels doses with ``levels = "index"`` treat (default L4/5)."""
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
