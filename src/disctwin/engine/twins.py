"""Treated and untreated twins of the same patients, through the one door.

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

from disctwin.engine.engine import Engine
from disctwin.engine.simulate import Dosing, Record, Trajectories, simulate
from disctwin.errors import ConfigError, Problem
from disctwin.population import Population
from disctwin.therapies.regimen import Regimen

__all__ = ["TwinResult", "simulate_twins"]


@dataclass(frozen=True)
class TwinResult:
    """States of the treated and untreated twins at the requested ages.

    A view of the door's :class:`~disctwin.engine.simulate.Trajectories` (the treated twins,
    with ``parameters`` and ``untreated`` recorded) named for twin analyses.

    Attributes:
        run: the treated twins' trajectories; ``run.untreated`` the untreated twins'.
        regimen: what the treated twins received.
        treatment_age_days: (n,) age at the regimen's day 0.
        ages_days: (n, m) output ages.
    """

    run: Trajectories
    regimen: Regimen
    treatment_age_days: np.ndarray
    ages_days: np.ndarray

    def __post_init__(self) -> None:
        if self.run.untreated is None or self.run.parameters is None:
            raise ValueError("twin trajectories need the untreated twins and the parameters")
        if self.run.adverse_events is None:
            raise ValueError("twin trajectories need the adverse events")

    @property
    def population(self) -> Population:
        return self.run.population

    @property
    def untreated_run(self) -> Trajectories:
        assert self.run.untreated is not None  # checked in __post_init__
        return self.run.untreated

    @property
    def treated(self) -> np.ndarray:
        """(n, m, n_states) states of the treated twins."""
        return self.run.states

    @property
    def untreated(self) -> np.ndarray:
        """(n, m, n_states) states of the untreated twins."""
        return self.untreated_run.states

    @property
    def status_treated(self) -> np.ndarray:
        return self.run.status

    @property
    def status_untreated(self) -> np.ndarray:
        return self.untreated_run.status

    @property
    def parameters_treated(self) -> np.ndarray:
        """(n, m, n_parameters) parameters in force at each output (doses set therapy slot
        parameters); the untreated twins keep ``population.parameters``."""
        assert self.run.parameters is not None  # checked in __post_init__
        return self.run.parameters

    @property
    def adverse_events(self) -> pa.Table:
        """Table with the columns of :data:`~disctwin.therapies.harms.AE_SCHEMA` (``day``
        counted from day 0)."""
        assert self.run.adverse_events is not None  # checked in __post_init__
        return self.run.adverse_events

    def twin(self, twin: str = "treated") -> Trajectories:
        """The trajectories of one twin (``treated`` or ``untreated``)."""
        if twin == "treated":
            return self.run
        if twin == "untreated":
            return self.untreated_run
        raise ConfigError(Problem("twin", twin, "treated or untreated"))

    def true_observables(self, twin: str = "treated"):
        """Noise-free observables of one twin: (disc, patient) dicts as
        :func:`~disctwin.model.observables.true_observables`."""
        return self.twin(twin).true_observables()


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
        blinded: the non-specific expectation effect of being treated (see
            :class:`~disctwin.engine.Dosing`).
    """
    n = len(population)
    m = np.shape(output_ages_days)[-1]
    ages = np.ascontiguousarray(np.broadcast_to(np.asarray(output_ages_days, dtype=float), (n, m)))
    run = simulate(
        population,
        regimen,
        ages_days=ages,
        treatment_age_days=treatment_age_days,
        record=Record(parameters=True, untreated_twin=True),
        engine=engine,
        dosing=Dosing(index_levels=index_levels, region=region, blinded=blinded),
    )
    return TwinResult(
        run=run,
        regimen=regimen,
        treatment_age_days=np.broadcast_to(np.asarray(treatment_age_days, float), (n,)).copy(),
        ages_days=ages,
    )
