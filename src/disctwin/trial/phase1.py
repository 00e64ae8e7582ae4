"""Phase I on virtual patients: the dose-toxicity curve of a regimen from its own harms.

A dose-limiting toxicity (DLT) is an adverse event of grade >= ``min_grade`` whose onset
falls within ``window_days`` of the first dose. For each dose level the regimen's first dose
is set to that level and the seeded adverse events of ``n_patients`` virtual patients
(:mod:`disctwin.therapies.harms`, the same draws a trial would make) give the probability
that a patient has at least one DLT. That curve is what an escalation design
(:mod:`disctwin.stats.escalation`) then meets.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from disctwin.engine import dose_events
from disctwin.errors import ConfigError, Problem, check_range
from disctwin.population import sample_population
from disctwin.therapies import Regimen, parse_regimen
from disctwin.units import DAYS_PER_YEAR

__all__ = ["check_dose_levels", "dlt_probabilities"]


def check_dose_levels(
    regimen: Regimen, dose_levels: Sequence[float], *, field: str = "dose_levels"
) -> list[Regimen]:
    """The regimen at each dose level (its first dose set to the level), each checked as a
    regimen file is (the dose's type and catalogue range), levels increasing.

    Raises:
        ConfigError: naming ``field`` and every level that is not a dose the regimen may
            give (NaN, infinite, above the catalogue's range), or levels not increasing.
    """
    if not regimen.doses or "dose" not in type(regimen.doses[0]).model_fields:
        raise ConfigError(
            Problem("regimen", regimen.name, "a regimen whose first dose has a dose amount")
        )
    levels = list(dose_levels)
    values = np.asarray(levels, dtype=float)
    if values.size == 0 or not np.all(np.diff(values) > 0):
        raise ConfigError(Problem(field, levels, "increasing positive doses"))
    data = regimen.to_dict()
    problems: list[Problem] = []
    scaled = []
    for level in levels:
        data["dose"][0]["dose"] = float(level)
        try:
            scaled.append(parse_regimen(data, "level"))
        except ConfigError as err:
            problems += [
                Problem(field, level, f"a dose the regimen's first dose may give: {p.allowed}")
                for p in err.problems
            ]
    if problems:
        raise ConfigError(problems)
    return scaled


def dlt_probabilities(
    regimen: Regimen,
    dose_levels: Sequence[float],
    *,
    n_patients: int = 2000,
    seed: int = 0,
    window_days: float = 28.0,
    min_grade: int = 3,
    age_years: float = 50.0,
    region: str = "us",
) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities, Monte Carlo standard errors) of a DLT at each dose level.

    Raises:
        ConfigError: a regimen whose first dose has no ``dose`` field, or bad levels.
    """
    regimens = check_dose_levels(regimen, dose_levels)
    check_range("n_patients", n_patients, 1, 1_000_000, integer=True)
    check_range("window_days", window_days, 0, 3650, unit="days")
    if not 1 <= min_grade <= 5:
        raise ConfigError(Problem("min_grade", min_grade, "a CTCAE grade 1-5"))
    pop = sample_population(n_patients, seed=seed)
    start = np.full(n_patients, age_years * DAYS_PER_YEAR)
    probabilities, errors = [], []
    for scaled in regimens:
        _, adverse = dose_events(pop, scaled, start, region=region)
        frame = (
            np.concatenate([t.to_pandas().to_records(index=False) for t in adverse])
            if adverse
            else np.array([])
        )
        with_dlt = set()
        for row in frame:
            if row["severity"] >= min_grade and row["day"] - regimen.doses[0].day <= window_days:
                with_dlt.add(int(row["patient_index"]))
        p = len(with_dlt) / n_patients
        probabilities.append(p)
        errors.append(np.sqrt(p * (1 - p) / n_patients))
    return np.array(probabilities), np.array(errors)
