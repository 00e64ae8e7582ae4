"""Where a trial arm's improvement comes from: the non-specific response in named parts.

:func:`response_parts` takes a simulated trial and one of its arms and splits the arm's mean
improvement of a pain measure from baseline to a visit (baseline minus visit, complete data:
the arm's potential outcomes without dropout) into

* **regression to the mean**: the improvement the same patients would report if their
  expected pain stayed at its baseline value: the measured pain (same noise, same pain
  episodes) with the noise-free expected pain frozen at baseline. Patients enrol at a pain
  peak because eligibility reads a noisy, fluctuating report; their episodes then subside.
* **natural course**: the untreated twin's improvement beyond that (the model's own pain
  trajectory);
* **expectation**: the treated twin with the expectation effect minus without it
  (:mod:`disctwin.therapies.nonspecific`);
* **treatment**: the rest, what the regimen itself does (for a sham or saline arm: the
  needle injury; for a vehicle: its own small effect; for an active arm: its specific effect).

The parts add up to the total exactly (each is a difference of two measured worlds with the
same measurement noise).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from disctwin.engine import Engine, simulate_twins
from disctwin.errors import ConfigError, Problem
from disctwin.therapies import load_regimen
from disctwin.trial.endpoints import BASELINE, visit_column
from disctwin.trial.screening import measure_at
from disctwin.trial.simulate import TrialResult, trial_index_levels

__all__ = ["PARTS", "ResponseParts", "response_parts"]

#: The named parts, in the order they are reported.
PARTS = ("regression_to_the_mean", "natural_course", "expectation", "treatment")


@dataclass(frozen=True)
class ResponseParts:
    """Mean improvement (baseline minus visit; positive = better) of one arm and its parts.

    Attributes:
        arm, visit, measure: what was decomposed.
        n: patients of the arm.
        total: mean improvement.
        parts: part name -> mean improvement it accounts for (:data:`PARTS`).
    """

    arm: str
    visit: str
    measure: str
    n: int
    total: float
    parts: dict[str, float]

    @property
    def shares(self) -> dict[str, float]:
        """Each part as a fraction of the total."""
        return {k: v / self.total for k, v in self.parts.items()}


def response_parts(
    result: TrialResult,
    arm: str,
    visit: str,
    measure: str = "vas",
    *,
    engine: Engine | None = None,
) -> ResponseParts:
    """Split ``arm``'s mean improvement of ``measure`` at ``visit`` (module docs)."""
    protocol = result.protocol
    names = [a.name for a in protocol.arm]
    visits = [v.name for v in protocol.visit]
    if arm not in names:
        raise ConfigError(Problem("arm", arm, ", ".join(names)))
    if visit not in visits:
        raise ConfigError(Problem("visit", visit, ", ".join(visits)))
    if measure not in ("vas", "nrs", "odi"):
        raise ConfigError(Problem("measure", measure, "vas, nrs, odi"))
    if result.times_days is None:
        raise ValueError("the trial result lacks its visit ages (times_days)")
    rows = np.flatnonzero((result.arm == names.index(arm)) & result.included)
    scr = result.screening
    pop = scr.population.take(rows)
    times = result.times_days[rows]
    start = scr.screening_age_days[rows] + protocol.enrolment.screening_to_baseline_days
    levels = trial_index_levels(protocol, scr)
    levels = None if levels is None else levels[rows]
    regimen = load_regimen(protocol.regimen_path(protocol.arm[names.index(arm)]))
    engine = engine or Engine()
    kwargs: dict[str, Any] = {"engine": engine, "index_levels": levels}
    expecting = simulate_twins(pop, regimen, start, times, blinded=protocol.study.blinded, **kwargs)
    plain = simulate_twins(pop, regimen, start, times, **kwargs)
    col = visit_column(protocol, visit)
    # the trial's baseline is the report screening read at the baseline visit (every world)
    baseline = scr.variables[f"baseline_{measure}"][rows]

    def improvement(disc_true, patient_true) -> float:
        m = measure_at(disc_true, patient_true, pop, result.seed, times).patient[measure]
        return float(np.mean(baseline - m[:, col]))

    untreated = plain.true_observables("untreated")
    frozen_patient = dict(untreated[1])
    mean_pain = frozen_patient["pain_reported_mean"]
    frozen_patient["pain_reported_mean"] = np.repeat(
        mean_pain[:, BASELINE : BASELINE + 1], mean_pain.shape[1], axis=1
    )
    worlds = {
        "frozen": improvement(untreated[0], frozen_patient),
        "untreated": improvement(*untreated),
        "treated": improvement(*plain.true_observables("treated")),
        "expecting": improvement(*expecting.true_observables("treated")),
    }
    parts = {
        "regression_to_the_mean": worlds["frozen"],
        "natural_course": worlds["untreated"] - worlds["frozen"],
        "expectation": worlds["expecting"] - worlds["treated"],
        "treatment": worlds["treated"] - worlds["untreated"],
    }
    return ResponseParts(arm, visit, measure, len(rows), worlds["expecting"], parts)
