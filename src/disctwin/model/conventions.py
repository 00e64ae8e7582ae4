"""Conventions every simulation shares: where it starts, how far it may go, its first state.

Time is age in days (:data:`disctwin.units.DAYS_PER_YEAR` days a year). Every virtual
patient starts at age :data:`START_AGE_YEARS` with every disc at the adolescent reference
disc (each state's ``initial`` value in :mod:`disctwin.model.states`); simulations may run
to :data:`MAX_AGE_YEARS`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from disctwin.errors import ConfigError, Problem
from disctwin.model.states import DISC_STATES, N_LEVELS, PATIENT_STATES

__all__ = ["MAX_AGE_YEARS", "START_AGE_YEARS", "initial_state", "validate_ages"]

#: Age (years) at which every simulation starts: the adolescent reference disc.
START_AGE_YEARS = 10.0
#: Oldest age (years) a simulation may be asked for.
MAX_AGE_YEARS = 100.0


def initial_state() -> np.ndarray:
    """(N_STATES,) state vector at the start age: every disc at the adolescent reference."""
    return np.array(
        [s.initial for s in DISC_STATES] * N_LEVELS + [s.initial for s in PATIENT_STATES],
        dtype=np.float64,
    )


def validate_ages(ages_years: Sequence[float] | np.ndarray, field: str = "ages") -> np.ndarray:
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
