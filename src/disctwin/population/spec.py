"""Which virtual patients to simulate: a population described by size, seed and sets.

A :class:`PopulationSpec` is the recipe; :meth:`PopulationSpec.sample` draws any slice of
its patients, identical to the same slice of the whole population (each patient draws from
its own random streams), so a run may be chunked or resumed anywhere.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from disctwin.params import CovariateSet, ParameterSet, load_covariate_set, load_parameter_set
from disctwin.population.sampling import Population, sample_population

__all__ = ["PopulationSpec"]


class PopulationSpec(BaseModel):
    """Which virtual patients to simulate: size, seed, parameter and covariate sets.

    Attributes:
        n_patients: number of patients (indices 0..n-1).
        seed: study seed; with the same spec every patient is identical on every run.
        parameter_file: a parameter-set TOML (default: the packaged set).
        covariate_file: a covariate-distribution TOML (default: the packaged one).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    n_patients: int = Field(gt=0, le=100_000_000)
    seed: int = Field(ge=0, le=2**63 - 1)
    parameter_file: str | None = None
    covariate_file: str | None = None

    def parameter_set(self) -> ParameterSet:
        return _parameter_set(self.parameter_file)

    def sample(self, start: int, stop: int) -> Population:
        """Draw patients ``start..stop-1`` (identical to that slice of the whole population)."""
        return sample_population(
            seed=self.seed,
            parameter_set=self.parameter_set(),
            covariate_set=_covariate_set(self.covariate_file),
            patient_index=np.arange(start, stop, dtype=np.int64),
        )


@cache
def _parameter_set(path: str | None) -> ParameterSet:
    return load_parameter_set(path)


@cache
def _covariate_set(path: str | None) -> CovariateSet:
    return load_covariate_set(path)
