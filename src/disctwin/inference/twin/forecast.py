"""Forecasts from a patient's twin: each disc and the patient's pain, untreated and under
candidate regimens, with intervals from the posterior draws.

Every posterior draw is simulated forward from the patient's age now to the horizon, as
treated and untreated twins for each regimen (treated at the age now, the regimen's day 0).
The forecast of a quantity at an age is the distribution over draws of its noise-free value
(:mod:`disctwin.model.records` names); intervals are central quantiles of it. For a regimen,
``p_benefit`` is the share of draws whose treated twin's pain is lower than the untreated
twin's by at least the minimal clinically important difference (``mcid_nrs``, NRS points).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from disctwin.engine import Engine, simulate, simulate_twins
from disctwin.inference.twin.posterior import TwinPosterior
from disctwin.model.states import LEVELS
from disctwin.therapies import Regimen
from disctwin.units import DAYS_PER_YEAR

__all__ = ["DISC_QUANTITIES", "MCID_NRS", "PATIENT_QUANTITIES", "forecast"]

#: Disc quantities forecast (model observables, noise-free).
DISC_QUANTITIES = ("t2_relative", "disc_height_relative")
#: Patient quantities forecast.
PATIENT_QUANTITIES = ("pain_reported_mean",)
#: Minimal clinically important difference in pain (NRS points): 2 points or 30% is the
#: IMMPACT recommendation for chronic pain trials (Dworkin et al. 2008, J Pain 9:105).
MCID_NRS = 2.0
_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def _summaries(
    values: np.ndarray, label: str, quantity: str, level: str, ages: np.ndarray
) -> list[dict]:
    q = np.quantile(values, _QUANTILES, axis=0)  # values (K, m)
    return [
        {
            "strategy": label,
            "quantity": quantity,
            "level": level,
            "age_years": float(a),
            "mean": float(values[:, j].mean()),
            **{f"q{int(100 * p):02d}": float(q[i, j]) for i, p in enumerate(_QUANTILES)},
        }
        for j, a in enumerate(ages)
    ]


def _rows(disc: Mapping[str, np.ndarray], patient: Mapping[str, np.ndarray], label, ages):
    rows: list[dict] = []
    for name in DISC_QUANTITIES:
        for k, level in enumerate(LEVELS):
            rows += _summaries(disc[name][:, :, k], label, name, level, ages)
    for name in PATIENT_QUANTITIES:
        rows += _summaries(np.clip(patient[name], 0, 10), label, name, "patient", ages)
    return rows


def forecast(
    posterior: TwinPosterior,
    horizon_years: float,
    regimens: Sequence[Regimen] = (),
    *,
    step_years: float = 1.0,
    engine: Engine | None = None,
    mcid_nrs: float = MCID_NRS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Forecast tables: (quantiles by strategy, quantity, level and age; one row per regimen
    with the probability of a clinically important benefit at the horizon).

    Strategies are ``untreated`` and each regimen's name."""
    engine = engine or Engine()
    now = posterior.record.age_now
    ages = now + np.arange(0.0, horizon_years + 1e-9, step_years)
    if ages[-1] < now + horizon_years - 1e-9:
        ages = np.append(ages, now + horizon_years)
    pop = posterior.population
    ages_days = ages * DAYS_PER_YEAR
    run = simulate(pop, ages_days=ages_days, engine=engine)
    disc, patient = run.true_observables()
    rows = _rows(disc, patient, "untreated", ages)
    benefit = []
    for regimen in regimens:
        twins = simulate_twins(
            pop, regimen, np.full(len(pop), now * DAYS_PER_YEAR), ages_days, engine=engine
        )
        d_t, p_t = twins.true_observables("treated")
        rows += _rows(d_t, p_t, regimen.name, ages)
        _, p_u = twins.true_observables("untreated")
        gain = np.clip(p_u["pain_reported_mean"][:, -1], 0, 10) - np.clip(
            p_t["pain_reported_mean"][:, -1], 0, 10
        )
        ae = twins.adverse_events
        benefit.append(
            {
                "strategy": regimen.name,
                "horizon_age_years": float(ages[-1]),
                "pain_gain_mean": float(gain.mean()),
                "p_benefit": float(np.mean(gain >= mcid_nrs)),
                "p_any_adverse_event": float(len(set(ae.column("patient_index").to_pylist())))
                / len(pop)
                if ae.num_rows
                else 0.0,
            }
        )
    return pd.DataFrame(rows), pd.DataFrame(benefit)
