"""Inference: global sensitivity analysis (and, next, calibration) of the model."""

from disctwin.inference.sensitivity import (
    DEFAULT_UNCERTAIN,
    SobolResult,
    UncertainParameter,
    model_outputs,
    parse_outputs,
    sobol_analysis,
    uncertain_parameters,
)

__all__ = [
    "DEFAULT_UNCERTAIN",
    "SobolResult",
    "UncertainParameter",
    "model_outputs",
    "parse_outputs",
    "sobol_analysis",
    "uncertain_parameters",
]
