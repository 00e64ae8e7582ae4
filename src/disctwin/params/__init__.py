"""Parameter specifications and named, cited parameter sets."""

from disctwin.params.sets import (
    DEFAULT_SET,
    PACKAGED_SETS,
    CovariateSet,
    ParameterSet,
    load_covariate_set,
    load_parameter_set,
    load_posterior,
    parameter_set_files,
    posterior_draw,
)
from disctwin.params.spec import N_LEVELS, CovariateSpec, ParameterSpec

__all__ = [
    "DEFAULT_SET",
    "N_LEVELS",
    "PACKAGED_SETS",
    "CovariateSet",
    "CovariateSpec",
    "ParameterSet",
    "ParameterSpec",
    "load_covariate_set",
    "load_parameter_set",
    "load_posterior",
    "parameter_set_files",
    "posterior_draw",
]
