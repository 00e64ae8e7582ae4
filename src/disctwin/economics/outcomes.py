"""Per-patient economic outcomes of each strategy, and their totals.

The economic layer reads what a simulation produced: for every patient and strategy, the
discounted lifetime cost and QALYs. Strategies are comparable only when they were run on
the same virtual patients; :func:`strategy_totals` refuses anything else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from disctwin.economics._checks import as_finite_array
from disctwin.errors import ConfigError, Problem

__all__ = ["PatientOutcomes", "strategy_totals"]


@dataclass(frozen=True)
class PatientOutcomes:
    """Discounted lifetime cost and QALYs of each patient under one strategy.

    Attributes:
        strategy: strategy name.
        population: identifier of the simulated population (e.g. its content digest);
            strategies compared must share it.
        patient_ids: (n_patients,) identifiers, in the same order for every strategy.
        cost: (n_patients,) discounted cost per patient.
        qaly: (n_patients,) discounted QALYs per patient.
    """

    strategy: str
    population: str
    patient_ids: np.ndarray
    cost: np.ndarray
    qaly: np.ndarray

    def __post_init__(self) -> None:
        ids = np.asarray(self.patient_ids)
        cost = as_finite_array(f"outcomes.{self.strategy}.cost", self.cost, 1)
        qaly = as_finite_array(f"outcomes.{self.strategy}.qaly", self.qaly, 1)
        if not (ids.ndim == 1 and ids.size == cost.size == qaly.size and ids.size > 0):
            raise ConfigError(
                Problem(
                    f"outcomes.{self.strategy}",
                    f"{ids.size} ids, {cost.size} costs, {qaly.size} QALYs",
                    "one cost and one QALY value per patient id (at least one patient)",
                )
            )


def strategy_totals(outcomes: Sequence[PatientOutcomes]) -> pd.DataFrame:
    """Mean cost and QALYs per patient of each strategy (index ``strategy``).

    Raises:
        ConfigError: duplicate strategy names, or strategies that do not share a
            population (different population identifiers or patient ids).
    """
    if not outcomes:
        raise ConfigError(Problem("outcomes", [], "at least one strategy's outcomes"))
    names = [o.strategy for o in outcomes]
    if len(set(names)) != len(names):
        raise ConfigError(Problem("outcomes.strategy", names, "unique strategy names"))
    reference = outcomes[0]
    for other in outcomes[1:]:
        same_ids = np.array_equal(np.asarray(other.patient_ids), np.asarray(reference.patient_ids))
        if other.population != reference.population or not same_ids:
            raise ConfigError(
                Problem(
                    f"outcomes.{other.strategy}.population",
                    f"{other.population} ({len(other.patient_ids)} patients)",
                    f"the population of {reference.strategy!r}: {reference.population} "
                    f"({len(reference.patient_ids)} patients, same ids in the same order); "
                    "strategies must be simulated on the same patients",
                )
            )
    return pd.DataFrame(
        {
            "strategy": names,
            "cost": [float(np.mean(o.cost)) for o in outcomes],
            "qaly": [float(np.mean(o.qaly)) for o in outcomes],
            "n_patients": [len(o.patient_ids) for o in outcomes],
        }
    ).set_index("strategy")
