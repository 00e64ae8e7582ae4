"""Global sensitivity analysis (Sobol indices with SALib) of named model outputs.

The uncertain parameters are sampled by SALib's Sobol' sequence over their plausible ranges
(log-uniform when the range spans a factor of 10 or more), the model is run for each sample
on the same virtual patients (common random numbers: the same covariates, between-patient
variability and measurement noise for every sample, so index estimates are not swamped by
Monte Carlo noise), and SALib estimates first-order (S1) and total (ST) indices with
bootstrap confidence intervals.

Outputs are named ``<quantity>@<age>``: a per-person finding (``disc_degeneration``,
``disc_signal_loss``, ``disc_height_loss``, ``disc_bulge``, ``disc_protrusion``,
``annular_fissure``; prevalence in %), ``chronic_pain`` (prevalence, %), or ``mean_pain``
(mean expected reported pain, NRS 0-10), at an age in years; e.g. ``disc_degeneration@50``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from disctwin.errors import ConfigError, Problem, suggest
from disctwin.model.records import record, record_values, records
from disctwin.params import ParameterSet, load_parameter_set

__all__ = [
    "DEFAULT_UNCERTAIN",
    "SobolResult",
    "UncertainParameter",
    "model_outputs",
    "parse_outputs",
    "sobol_analysis",
    "uncertain_parameters",
]

#: Parameters varied by default: the least certain drivers of degeneration and pain.
DEFAULT_UNCERTAIN: tuple[str, ...] = (
    "endplate_decline_rate",
    "glucose_consumption_ratio",
    "glucose_stress_half",
    "anabolic_floor",
    "anabolic_age_timescale",
    "matrix_passive_loss_fraction",
    "enzyme_inflammation_gain",
    "inflammation_per_senescent",
    "fissure_rate",
    "herniation_rate",
    "nerve_growth_rate",
    "pain_scale",
    "sensitisation_onset_rate",
)

#: Names of outputs that are another record's (kept for existing scripts).
_ALIASES = {"mean_pain": "pain_reported_mean"}
#: Quantities an output may name: the record spec's ``sensitivity`` records and the aliases.
_QUANTITIES = (*(r.name for r in records("sensitivity")), *_ALIASES)


@dataclass(frozen=True)
class UncertainParameter:
    """A parameter varied uniformly (or log-uniformly) between ``low`` and ``high``."""

    name: str
    low: float
    high: float
    log: bool


@dataclass(frozen=True)
class SobolResult:
    """Sobol indices: arrays of shape (n_outputs, n_parameters).

    ``S1``/``ST`` are first-order and total indices; ``*_conf`` the half-widths of their
    bootstrap confidence intervals at ``conf_level``.
    """

    parameters: tuple[str, ...]
    outputs: tuple[str, ...]
    S1: np.ndarray
    S1_conf: np.ndarray
    ST: np.ndarray
    ST_conf: np.ndarray
    n_base: int
    n_evaluations: int
    conf_level: float
    seed: int

    def ranking(self, output: str) -> list[tuple[str, float, float, float, float]]:
        """(parameter, S1, S1_conf, ST, ST_conf) for one output, by decreasing ST."""
        j = self.outputs.index(output)
        rows = [
            (p, self.S1[j, i], self.S1_conf[j, i], self.ST[j, i], self.ST_conf[j, i])
            for i, p in enumerate(self.parameters)
        ]
        return sorted(rows, key=lambda r: -r[3])

    def to_rows(self) -> list[dict]:
        return [
            {"output": o, "parameter": p, "S1": s1, "S1_conf": c1, "ST": st, "ST_conf": ct}
            for o in self.outputs
            for (p, s1, c1, st, ct) in self.ranking(o)
        ]


def uncertain_parameters(
    names: Sequence[str] | None = None, parameter_set: ParameterSet | None = None
) -> list[UncertainParameter]:
    """Uncertain-parameter specs over each parameter's plausible range.

    Raises:
        ConfigError: unknown names, or parameters that are not patient-scope scalars.
    """
    ps = parameter_set or load_parameter_set()
    names = list(names) if names else list(DEFAULT_UNCERTAIN)
    problems, out = [], []
    for name in names:
        if name not in ps:
            problems.append(
                Problem("parameters", name, "a parameter name", suggest(name, ps.names))
            )
            continue
        spec = ps[name]
        if spec.scope != "patient":
            problems.append(Problem("parameters", name, "a parameter with one value per patient"))
            continue
        low, high = spec.range
        if not high > low:
            problems.append(Problem("parameters", name, "a parameter with a non-empty range"))
            continue
        out.append(UncertainParameter(name, low, high, log=low > 0 and high / low >= 10))
    if len(set(names)) != len(names):
        problems.append(Problem("parameters", names, "each parameter once"))
    if problems:
        raise ConfigError(problems)
    return out


def parse_outputs(outputs: Sequence[str]) -> list[tuple[str, float]]:
    """Parse ``quantity@age`` names; raise one ConfigError listing every bad one."""
    problems, parsed = [], []
    for text in outputs:
        quantity, _, age = text.partition("@")
        try:
            age_f = float(age)
            ok_age = 10 < age_f <= 100
        except ValueError:
            ok_age = False
        if quantity not in _QUANTITIES:
            problems.append(
                Problem(
                    "outputs",
                    text,
                    f"<quantity>@<age> with quantity one of {', '.join(_QUANTITIES)}",
                    suggest(quantity, _QUANTITIES),
                )
            )
        elif not ok_age:
            problems.append(Problem("outputs", text, "an age in years after 10 and up to 100"))
        else:
            parsed.append((quantity, age_f))
    if not outputs:
        problems.append(Problem("outputs", list(outputs), "at least one output"))
    if problems:
        raise ConfigError(problems)
    return parsed


def _per_person(rec, sources, col: int) -> np.ndarray:
    """(n,) per-person value of a sensitivity record at output column ``col``: 100 x a
    yes/no record (at any level for a disc record), or a numeric record (mean over levels)."""
    values = record_values(rec, **sources)[:, col]
    if values.dtype == bool:
        return np.asarray(100.0 * (values.any(axis=-1) if rec.level == "disc" else values))
    return values.mean(axis=-1) if rec.level == "disc" else values.astype(float)


def model_outputs(
    outputs: Sequence[str],
    *,
    n_patients: int,
    seed: int,
    parameters: Sequence[UncertainParameter],
    parameter_set: ParameterSet | None = None,
    engine=None,
) -> Callable[[np.ndarray], np.ndarray]:
    """A function mapping parameter samples (n_samples, n_parameters) to outputs
    (n_samples, n_outputs), each sample run on the same ``n_patients`` virtual patients."""
    from disctwin.engine import Engine, simulate
    from disctwin.model.observables import measure
    from disctwin.population import sample_population
    from disctwin.units import DAYS_PER_YEAR

    parsed = parse_outputs(outputs)
    ps = parameter_set or load_parameter_set()
    engine = engine or Engine()
    base = sample_population(n_patients, seed=seed, parameter_set=ps)
    ages = np.array(sorted({a for _, a in parsed}))
    t_out = ages * DAYS_PER_YEAR
    columns = [
        (base.layout.offsets[p.name], base.layout.widths[p.name], ps[p.name].value)
        for p in parameters
    ]

    def run(samples: np.ndarray) -> np.ndarray:
        samples = np.atleast_2d(samples)
        result = np.empty((len(samples), len(parsed)))
        per_chunk = max(1, engine.chunk_size // n_patients)
        for lo in range(0, len(samples), per_chunk):
            block = samples[lo : lo + per_chunk]
            P = np.tile(base.parameters, (len(block), 1))
            for s, row in enumerate(block):
                rows = slice(s * n_patients, (s + 1) * n_patients)
                for (off, width, default), value in zip(columns, row, strict=True):
                    P[rows, off : off + width] *= value / default
            cohorts = base.take(np.tile(np.arange(n_patients), len(block)))
            run = simulate(cohorts.with_parameters(P), ages_days=t_out, engine=engine)
            status = run.status
            disc, patient = run.true_observables()
            index = np.tile(base.patient_index, len(block))
            measured = measure(disc, patient, ps, seed, index)
            sources = {
                "measured_disc": measured.disc,
                "measured_patient": measured.patient,
                "disc_true": disc,
                "patient_true": patient,
                "states": run.states,
            }
            ok = status == 0
            for j, (quantity, age) in enumerate(parsed):
                col = int(np.searchsorted(ages, age))
                values = _per_person(record(_ALIASES.get(quantity, quantity)), sources, col)
                for s in range(len(block)):
                    rows = slice(s * n_patients, (s + 1) * n_patients)
                    valid = ok[rows]
                    result[lo + s, j] = values[rows][valid].mean() if valid.any() else np.nan
        return result

    return run


def sobol_analysis(
    func: Callable[[np.ndarray], np.ndarray],
    parameters: Sequence[UncertainParameter],
    output_names: Sequence[str],
    *,
    n_base: int,
    seed: int,
    conf_level: float = 0.95,
    num_resamples: int = 200,
) -> SobolResult:
    """Sobol first-order and total indices of ``func``'s outputs (SALib, Saltelli/Jansen).

    Args:
        func: maps samples (n, n_parameters), in the parameters' natural units, to
            outputs (n, n_outputs).
        n_base: base sample size (a power of 2); the model runs ``n_base * (D + 2)`` times.
    """
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    if n_base < 2 or n_base & (n_base - 1):
        raise ConfigError(Problem("n", n_base, "a power of 2, at least 2 (Sobol' sequence)"))
    bounds = [[np.log(p.low), np.log(p.high)] if p.log else [p.low, p.high] for p in parameters]
    problem: dict[str, Any] = {
        "num_vars": len(parameters),
        "names": [p.name for p in parameters],
        "bounds": bounds,
    }
    unit = sobol_sample.sample(problem, n_base, calc_second_order=False, seed=seed)
    natural = unit.copy()
    for i, p in enumerate(parameters):
        if p.log:
            natural[:, i] = np.exp(unit[:, i])
    Y = np.asarray(func(natural), dtype=float)
    if Y.ndim == 1:
        Y = Y[:, None]
    shape = (len(output_names), len(parameters))
    S1, S1c, ST, STc = (np.empty(shape) for _ in range(4))
    for j in range(len(output_names)):
        res = sobol_analyze.analyze(
            problem,
            Y[:, j],
            calc_second_order=False,
            num_resamples=num_resamples,
            conf_level=conf_level,
            seed=seed,
        )
        S1[j], S1c[j], ST[j], STc[j] = res["S1"], res["S1_conf"], res["ST"], res["ST_conf"]
    return SobolResult(
        tuple(problem["names"]),
        tuple(output_names),
        S1,
        S1c,
        ST,
        STc,
        n_base,
        len(natural),
        conf_level,
        seed,
    )
