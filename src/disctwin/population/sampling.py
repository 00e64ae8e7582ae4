"""Virtual populations: covariates and between-patient/between-disc variability.

A population is defined by a :class:`PopulationSpec` (size, seed, parameter and covariate
sets); any slice of patients can be drawn on its own and is identical to the same slice of
the whole population, because each patient draws from its own streams
(:mod:`disctwin.streams`).

Variability is log-normal with the median at the parameter's value:
``value[p, k] = default[k] * exp(eta_p + eta_pk)``, ``eta_p ~ N(0, w_p^2)``,
``eta_pk ~ N(0, w_d^2)``, with ``w^2 = ln(1 + CV^2)``. The shared patient effect makes the
five discs of one patient correlated: the correlation of log-values between two levels is
``w_p^2 / (w_p^2 + w_d^2)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TypeVar

import numpy as np
from scipy.special import expit, logit, ndtri

from disctwin.model.layout import ParameterLayout
from disctwin.model.states import N_LEVELS
from disctwin.params import CovariateSet, ParameterSet, load_covariate_set, load_parameter_set
from disctwin.streams import Stream, patient_generator

__all__ = [
    "Population",
    "default_parameter_vector",
    "parameters_from_normals",
    "reference_covariates",
    "sample_covariates",
    "sample_population",
    "variability_dimension",
]


@dataclass(frozen=True)
class Population:
    """A frozen block of virtual patients.

    Attributes:
        seed: the study seed.
        patient_index: (n,) global indices of these patients in the study.
        covariates: name -> (n,) array.
        parameters: (n, layout.size) per-patient parameter vectors for the engine.
        layout: where each parameter sits in a vector.
        parameter_set: the set the values were drawn around.
    """

    seed: int
    patient_index: np.ndarray
    covariates: dict[str, np.ndarray]
    parameters: np.ndarray
    layout: ParameterLayout
    parameter_set: ParameterSet = field(repr=False)

    def __len__(self) -> int:
        return len(self.patient_index)

    def take(self, rows: np.ndarray) -> Population:
        """The patients at ``rows`` of this block (same streams and parameters); rows may
        repeat, e.g. to run one cohort under several parameter vectors."""
        rows = np.asarray(rows, dtype=np.int64)
        return Population(
            self.seed,
            self.patient_index[rows],
            {k: v[rows] for k, v in self.covariates.items()},
            self.parameters[rows],
            self.layout,
            self.parameter_set,
        )

    def with_parameters(self, parameters: np.ndarray) -> Population:
        """The same patients with other (n, layout.size) parameter vectors."""
        parameters = np.asarray(parameters, dtype=np.float64)
        if parameters.shape != self.parameters.shape:
            raise ValueError(f"parameters {parameters.shape}: expected {self.parameters.shape}")
        return replace(self, parameters=parameters)

    def parameter(self, name: str) -> np.ndarray:
        """(n,) or (n, 5) values of one parameter or covariate."""
        off, width = self.layout.offsets[name], self.layout.widths[name]
        block = self.parameters[:, off : off + width]
        return block[:, 0] if width == 1 else block


def _uniforms(seed: int, stream: Stream, index: np.ndarray, n_draws: int) -> np.ndarray:
    out = np.empty((len(index), n_draws))
    for row, i in enumerate(index):
        out[row] = patient_generator(seed, stream, int(i)).random(n_draws)
    return out


def _normals(seed: int, stream: Stream, index: np.ndarray, n_draws: int) -> np.ndarray:
    out = np.empty((len(index), n_draws))
    for row, i in enumerate(index):
        out[row] = patient_generator(seed, stream, int(i)).standard_normal(n_draws)
    return out


_T = TypeVar("_T")


def _given(value: _T | None) -> _T:
    """A field its kind needs (:class:`~disctwin.params.CovariateSpec` checks they are set)."""
    if value is None:
        raise ValueError("a covariate lacks a field its kind needs")
    return value


def reference_covariates(covariate_set: CovariateSet) -> dict[str, float]:
    """The reference person: binary covariates 0 (absent), continuous ones at their mean."""
    return {
        s.name: 0.0 if s.kind in ("bernoulli", "logit_bernoulli") else float(_given(s.mean))
        for s in covariate_set
    }


def default_parameter_vector(
    parameter_set: ParameterSet, layout: ParameterLayout, covariate_set: CovariateSet | None = None
) -> np.ndarray:
    """One parameter vector at the set's defaults (no variability), reference covariates."""
    vec = np.zeros(layout.size)
    for spec in parameter_set:
        if spec.name not in layout.offsets:
            continue
        off, width = layout.offsets[spec.name], layout.widths[spec.name]
        base = np.asarray(spec.values, dtype=float)
        vec[off : off + width] = np.repeat(base, width) if len(base) == 1 else base
    for name, value in reference_covariates(covariate_set or load_covariate_set()).items():
        if name in layout.offsets:
            vec[layout.offsets[name]] = value
    return vec


def sample_covariates(
    covariate_set: CovariateSet, seed: int, patient_index: np.ndarray
) -> dict[str, np.ndarray]:
    """Draw every covariate of the given patients (one uniform per covariate per patient)."""
    specs = tuple(covariate_set)
    u = _uniforms(seed, Stream.COVARIATES, patient_index, len(specs))
    # keep uniforms strictly inside (0, 1) for the inverse normal CDF
    u = np.clip(u, 1e-12, 1 - 1e-12)
    values: dict[str, np.ndarray] = {}
    for j, spec in enumerate(specs):
        uj = u[:, j]
        if spec.kind == "bernoulli":
            x = (uj < spec.p).astype(float)
        elif spec.kind == "logit_bernoulli":
            parent = values[_given(spec.depends_on)]
            p = expit(logit(_given(spec.p)) + spec.log_odds_slope * (parent - spec.reference))
            x = (uj < p).astype(float)
        elif spec.kind == "normal":
            x = _given(spec.mean) + _given(spec.sd) * ndtri(uj)
        else:  # lognormal with the stated mean and sd of the variable itself
            mean, sd = _given(spec.mean), _given(spec.sd)
            s2 = np.log1p((sd / mean) ** 2)
            x = np.exp(np.log(mean) - s2 / 2 + np.sqrt(s2) * ndtri(uj))
        values[spec.name] = np.clip(x, spec.low, spec.high)
    return values


def _varied(parameter_set: ParameterSet, layout: ParameterLayout):
    return [
        s
        for s in parameter_set
        if s.name in layout.offsets and (s.between_patient_cv or s.between_disc_cv)
    ]


def variability_dimension(parameter_set: ParameterSet, layout: ParameterLayout) -> int:
    """How many standard normals one patient's variability draws: ``1 + 5`` (a patient
    effect and one per disc) for every parameter with between-patient or -disc variability."""
    return (1 + N_LEVELS) * len(_varied(parameter_set, layout))


def parameters_from_normals(
    parameter_set: ParameterSet,
    layout: ParameterLayout,
    z: np.ndarray,
    covariates: dict[str, np.ndarray],
) -> np.ndarray:
    """Parameter vectors (n, layout.size) from variability normals ``z``
    (n, :func:`variability_dimension`) and covariates (name -> (n,)).

    This is the population's variability model (module docs), exposed so that an inference
    (a patient's own twin) can move a patient through it; :func:`sample_population` draws
    ``z`` from each patient's stream."""
    n = len(z)
    P = np.tile(default_parameter_vector(parameter_set, layout), (n, 1))
    for j, spec in enumerate(_varied(parameter_set, layout)):
        zj = z[:, j * (1 + N_LEVELS) : (j + 1) * (1 + N_LEVELS)]
        w_p = np.sqrt(np.log1p(spec.between_patient_cv**2))
        w_d = np.sqrt(np.log1p(spec.between_disc_cv**2))
        off, width = layout.offsets[spec.name], layout.widths[spec.name]
        if width == 1:
            P[:, off] *= np.exp(w_p * zj[:, 0])
        else:
            P[:, off : off + width] *= np.exp(w_p * zj[:, :1] + w_d * zj[:, 1:])
        low, high = spec.range
        P[:, off : off + width] = np.clip(P[:, off : off + width], low, high)
    for name, x in covariates.items():
        if name in layout.offsets:
            P[:, layout.offsets[name]] = x
    return P


def sample_population(
    n_patients: int | None = None,
    seed: int = 0,
    *,
    parameter_set: ParameterSet | None = None,
    covariate_set: CovariateSet | None = None,
    model_parameters: tuple[str, ...] | None = None,
    patient_index: np.ndarray | None = None,
) -> Population:
    """Draw a population (or the slice ``patient_index`` of one).

    Args:
        n_patients: number of patients (indices 0..n-1) if ``patient_index`` is not given.
        seed: study seed.
        parameter_set / covariate_set: defaults are the packaged sets.
        model_parameters: the parameter names the model uses (default: the built model's).
        patient_index: global indices to draw (for chunks).
    """
    from disctwin.model.equations import build_model

    ps = parameter_set or load_parameter_set()
    cs = covariate_set or load_covariate_set()
    names = model_parameters or build_model().parameters
    layout = ParameterLayout.build(ps, names)
    if patient_index is None:
        if n_patients is None:
            raise ValueError("give n_patients or patient_index")
        patient_index = np.arange(n_patients, dtype=np.int64)
    patient_index = np.asarray(patient_index, dtype=np.int64)

    covariates = sample_covariates(cs, seed, patient_index)
    z = _normals(seed, Stream.VARIABILITY, patient_index, variability_dimension(ps, layout))
    P = parameters_from_normals(ps, layout, z, covariates)
    return Population(int(seed), patient_index, covariates, P, layout, ps)
