"""Virtual populations: covariates, variability, random streams."""

from disctwin.population.layout import ParameterLayout
from disctwin.population.sampling import Population, sample_covariates, sample_population
from disctwin.population.streams import Stream, patient_generator

__all__ = [
    "ParameterLayout",
    "Population",
    "Stream",
    "patient_generator",
    "sample_covariates",
    "sample_population",
]
