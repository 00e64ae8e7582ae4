"""Turn what the engine door returned (:class:`~disctwin.engine.Trajectories`) into a
:class:`~disctwin.economics.lifetime.FollowUp`. Reads results; runs nothing.

Pain is the model's expected reported pain (``pain_reported_mean``, NRS 0-10), ODI the
noise-free ODI reading of :func:`~disctwin.model.observables.measure` (``noise=False``: the
economic evaluation wants expected values, not one noisy visit), the opioid dose the model
observable ``opioid_daily_mme``. Adverse events come from the run's AE table (``day`` ->
years after day 0).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from disctwin.economics.lifetime import FollowUp
from disctwin.model.observables import measure
from disctwin.units import DAYS_PER_YEAR

__all__ = ["follow_up_from_trajectories"]


def _measures(run) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    disc, patient = run.true_observables()
    population = run.population
    measured = measure(
        disc,
        patient,
        population.parameter_set,
        population.seed,
        population.patient_index,
        noise=False,
    )
    return (
        np.clip(patient["pain_reported_mean"], 0.0, 10.0),
        np.clip(measured.patient["odi"], 0.0, 100.0),
        np.maximum(patient["opioid_daily_mme"], 0.0),
    )


def follow_up_from_trajectories(
    run,
    strategy: str,
    *,
    treatment_age_days: np.ndarray,
    population_id: str,
    one_off_costs: Sequence[str] = (),
    acquisition_units: float = 0.0,
) -> FollowUp:
    """A :class:`FollowUp` from a ``simulate(...)`` result (with or without its untreated twin).

    Args:
        run: :class:`~disctwin.engine.Trajectories`, output ages (m,) or (n, m) starting at
            the treatment age.
        strategy: its name; treatment_age_days: (n,) day 0 of each patient.
        population_id: identifier of the population (shared by compared strategies).
        one_off_costs / acquisition_units: see :class:`FollowUp`.
    """
    n = len(run.population)
    ages = np.broadcast_to(np.asarray(run.ages_days, dtype=float), (n, np.shape(run.ages_days)[-1]))
    day0 = np.broadcast_to(np.asarray(treatment_age_days, dtype=float), (n,))
    times = (ages[0] - day0[0]) / DAYS_PER_YEAR
    pain, odi, mme = _measures(run)
    untreated = {}
    if run.untreated is not None:
        u_pain, u_odi, u_mme = _measures(run.untreated)
        untreated = {"untreated_pain": u_pain, "untreated_odi": u_odi, "untreated_mme": u_mme}
    events = None
    if run.adverse_events is not None and run.adverse_events.num_rows:
        table = run.adverse_events.to_pandas()
        row_of = {int(i): r for r, i in enumerate(run.population.patient_index)}
        events = pd.DataFrame(
            {
                "row": table["patient_index"].map(row_of).to_numpy(dtype=int),
                "years": table["day"].to_numpy(dtype=float) / DAYS_PER_YEAR,
                "term": table["term"].astype(str).to_numpy(),
                "severity": table["severity"].to_numpy(dtype=int),
            }
        )
    return FollowUp(
        strategy=strategy,
        population=population_id,
        patient_ids=np.asarray(run.population.patient_index),
        age_years=day0 / DAYS_PER_YEAR,
        female=np.asarray(run.population.covariates["female"]) > 0.5,
        times_years=np.round(times, 12),
        pain=pain,
        odi=odi,
        mme=mme,
        events=events,
        one_off_costs=tuple(one_off_costs),
        acquisition_units=float(acquisition_units),
        **untreated,
    )
