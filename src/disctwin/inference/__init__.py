"""Inference: the model against data.

- :mod:`disctwin.inference.calibration`: Bayesian calibration of the natural history to the
  shipped published data (posterior draws, fit quality, same-seed reproducibility);
- :mod:`disctwin.inference.sensitivity`: global sensitivity analysis (Sobol indices with
  SALib) of any recorded quantity (the record spec's ``sensitivity`` records) at an age.

Every cohort is simulated through the engine's one door (:func:`disctwin.engine.simulate`).
"""

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
