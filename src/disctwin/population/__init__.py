"""Virtual populations: covariates, variability, per-patient random streams."""

from disctwin.population.sampling import (
    Population,
    default_parameter_vector,
    reference_covariates,
    sample_covariates,
    sample_population,
)
from disctwin.population.spec import PopulationSpec

__all__ = [
    "Population",
    "PopulationSpec",
    "default_parameter_vector",
    "reference_covariates",
    "sample_covariates",
    "sample_population",
]
