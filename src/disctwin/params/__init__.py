"""Parameter specifications and named, cited parameter sets."""

from disctwin.params.sets import (
    DEFAULT_SET,
    CovariateSet,
    ParameterSet,
    load_covariate_set,
    load_parameter_set,
)
from disctwin.params.spec import N_LEVELS, CovariateSpec, ParameterSpec

__all__ = [
    "DEFAULT_SET",
    "N_LEVELS",
    "CovariateSet",
    "CovariateSpec",
    "ParameterSet",
    "ParameterSpec",
    "load_covariate_set",
    "load_parameter_set",
]
