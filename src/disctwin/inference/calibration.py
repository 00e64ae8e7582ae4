"""Calibration of the natural history: a posterior sample of population-level parameters.

Data (shipped in :mod:`disctwin.data`, never read from elsewhere):

* Brinjikji 2015: per-person prevalence of six MRI findings at ages 20, 30, 40, 50 in
  asymptomatic adults, with the stratum sizes ``n_at_age``;
* Costa 2012: mean pain (0-100) of persistent-LBP inception cohorts at 0, 6, 26, 52 weeks
  (with 95% CIs);
* Costa 2009: cumulative share pain-free at 9 and 12 months after onset in a chronic cohort
  (pain persisted 3 months; n = 406);
* VAST (saline arm): baseline VAS and its improvement at 12 months in chronic discogenic LBP
  under trial eligibility (:func:`vast_cohort`): the pain course of a cohort enrolled at a
  pain peak after at least 6 months of pain.

Each pain cohort is reproduced by *selecting* virtual patients the way it was recruited
(:func:`costa_cohorts`), on weekly pain reports from :func:`disctwin.model.observables.measure`'s
natural course of pain, so regression to the mean and natural recovery come from the
mechanism, not from a fitted curve. The Costa cohorts were recruited among people who sought
care, and who seeks care depends on disability (Ferreira 2010): each possible presentation is
weighted by its odds of seeking care (``care_seeking_log_odds_per_odi_point``, sourced, not
fitted).

Method (modular Bayesian inference with a "cut", Plummer 2015, Stat Comput 25:37):

1. disc stage: 18 parameters (:data:`DISC_FITTED`: matrix ageing and the shape of its
   course, the genetic share of its between-person spread, annular damage in adults and
   during growth with its between-person spread, herniation and how much it inflames the
   disc, what collapses disc height, the constitutional spread of
   disc height and T2 an MRI reader sees, and where the reader calls signal loss, height
   loss and a bulge: :data:`OBSERVATION_FITTED`) get a binomial likelihood from
   Brinjikji; uniform priors on each parameter's plausible range (log-uniform when it spans
   a factor >= 10). A Nelder-Mead search from the prior defaults (restarted while it
   improves) warm-starts an affine-
   invariant ensemble MCMC (emcee, Foreman-Mackey 2013).
2. pain stage: the 5 pain-course parameters and the size of pain (``pain_scale``) get the
   Costa and VAST likelihoods, conditional on the
   disc stage's posterior median biology (feedback from Costa to the disc parameters is cut:
   pain data say little about disc biology and would otherwise absorb pain-model misfit).
   This stage is weakly identified (the size and the persistence of pain trade off), with
   several optima of similar likelihood: its Nelder-Mead search runs from the prior
   defaults and from a few scrambled Sobol' points (``pain_starts``), and the best optimum
   warm-starts the sampler.

The likelihood is deterministic in the parameters: one fixed virtual cohort (common random
numbers: the same covariates, variability, measurement noise and pain paths for every
parameter value). Simulation error is accounted for by an effective sample size
``n_eff = n N / (n + N)`` in the binomials and by adding the simulated mean's standard
error to the Costa standard errors (both likelihoods normalised so that their size does not
depend on how many virtual patients a parameter value recruits). The scan-rescan noise and
the Pfirrmann, protrusion and fissure readings are kept at their sourced values; the three
reading thresholds with no source of their own (signal loss, height loss, bulge) are fitted.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from disctwin.data import load_csv
from disctwin.model.observables import (
    FINDINGS,
    PAIN_COMPONENTS,
    measure,
    odi_reports,
    ou_on_grid,
    pain_course_normals,
    pain_reports,
    person_findings,
)
from disctwin.model.states import N_LEVELS
from disctwin.params import ParameterSet, ParameterSpec, load_parameter_set
from disctwin.streams import Stream, patient_generator
from disctwin.units import DAYS_PER_YEAR

__all__ = [
    "DATA_FILES",
    "DISC_FITTED",
    "PAIN_FITTED",
    "CalibrationResult",
    "CalibrationSettings",
    "FittedParameter",
    "Target",
    "apply_fitted",
    "calibrate_natural_history",
    "calibration_targets",
    "costa_cohorts",
    "data_digests",
    "posterior_columns",
    "predict_targets",
]

BRINJIKJI = "brinjikji2015_prevalence_by_age.csv"
COSTA2012 = "costa2012_lbp_pain_trajectory.csv"
CONTROL_ARMS = "control_and_comparator_arms.csv"
#: The data files a calibration reads (from the package).
DATA_FILES: tuple[str, ...] = (BRINJIKJI, COSTA2012, CONTROL_ARMS)
BRINJIKJI_AGES = (20.0, 30.0, 40.0, 50.0)


@dataclass(frozen=True)
class FittedParameter:
    """A calibrated quantity: a parameter's value, or the heterogeneity of a varied one.

    ``kind="heterogeneity"`` multiplies the log-scale SDs of the parameter's between-patient
    and between-disc variability by a factor (1 = the prior CVs).
    """

    name: str
    kind: str = "value"
    low: float | None = None
    high: float | None = None

    @property
    def label(self) -> str:
        return self.name if self.kind == "value" else f"{self.name}_heterogeneity"


DISC_FITTED: tuple[FittedParameter, ...] = (
    # matrix ageing and its between-person spread (heritability: Sambrook 1999)
    FittedParameter("proteoglycan_turnover_rate"),
    FittedParameter("anabolic_age_timescale"),
    FittedParameter("anabolic_age_shape"),
    FittedParameter("genetic_catabolic_effect"),
    # annulus: adult damage rate and its spread, repair, growth-related excess
    FittedParameter("fissure_rate"),
    FittedParameter("fissure_rate", "heterogeneity", 0.25, 1.8),
    FittedParameter("fissure_repair_rate"),
    FittedParameter("adolescent_fissure_excess"),
    FittedParameter("herniation_rate"),
    # how much a herniation inflames its disc (immune exposure of the NP)
    FittedParameter("inflammation_per_herniation"),
    # disc height: what collapses it, and how annular laxity shows as a bulge
    FittedParameter("height_floor"),
    FittedParameter("height_fissure_loss"),
    FittedParameter("bulge_fissure_weight"),
    # constitution as the MRI reader sees it (static between-person and between-level spread)
    FittedParameter("constitutional_height", "heterogeneity", 0.25, 3.0),
    FittedParameter("constitutional_t2", "heterogeneity", 0.25, 3.0),
    # where a reader calls a finding: the thresholds no study states (each finding is a
    # reader's call on a continuum; Brinjikji 2015 pooled readers of 33 studies)
    FittedParameter("signal_loss_threshold"),
    FittedParameter("height_loss_threshold"),
    FittedParameter("bulge_threshold"),
)
#: Fitted observation-model parameters (read by :func:`measure`, not by the rate laws): the
#: three reading thresholds above. The disc stage finds them itself (the fitted quantities
#: that are not in the model's parameter layout), so a reading added to :data:`DISC_FITTED`
#: reaches the reader; this list documents them and a test keeps it in step. The
#: scan-rescan noise levels ``t2_cv`` and ``disc_height_cv`` stay at their sourced 5%, and
#: the Pfirrmann, protrusion and fissure readings at their sourced definitions.
OBSERVATION_FITTED: tuple[str, ...] = (
    "signal_loss_threshold",
    "height_loss_threshold",
    "bulge_threshold",
)
PAIN_FITTED: tuple[FittedParameter, ...] = (
    FittedParameter("pain_episode_sd"),
    FittedParameter("pain_episode_timescale"),
    FittedParameter("pain_state_sd"),
    FittedParameter("pain_state_timescale"),
    FittedParameter("pain_free_offset"),
    # the size of pain: amplified nociceptive input giving half-maximal pain
    FittedParameter("pain_scale"),
)
#: Pain-stage targets read as normal means (0-100 points) with a standard error.
MEAN_KINDS = ("mean_pain", "vast_baseline", "vast_improvement")


@dataclass(frozen=True)
class _Bounds:
    low: float
    high: float
    log: bool

    def natural(self, u: np.ndarray) -> np.ndarray:
        if self.log:
            x = np.exp(np.log(self.low) + u * (np.log(self.high) - np.log(self.low)))
        else:
            x = self.low + u * (self.high - self.low)
        return np.clip(x, self.low, self.high)  # no rounding past a bound

    def unit(self, x: float) -> float:
        if self.log:
            return float((np.log(x) - np.log(self.low)) / (np.log(self.high) - np.log(self.low)))
        return float((x - self.low) / (self.high - self.low))


def _bounds(fp: FittedParameter, ps: ParameterSet) -> _Bounds:
    if fp.kind == "heterogeneity":
        assert fp.low is not None and fp.high is not None  # heterogeneity entries give bounds
        return _Bounds(float(fp.low), float(fp.high), False)
    low, high = ps[fp.name].range
    low, high = (fp.low if fp.low is not None else low), (fp.high if fp.high is not None else high)
    return _Bounds(low, high, low > 0 and high / low >= 10)


def _scaled_cv(cv: float, factor: float) -> float:
    """CV of a log-normal whose log-SD is ``factor`` times that of CV ``cv``."""
    return float(np.sqrt(np.expm1(factor**2 * np.log1p(cv**2))))


def posterior_columns(
    fitted: Sequence[FittedParameter], values: Sequence[float], ps: ParameterSet
) -> dict[str, float]:
    """Model-level columns of one parameter vector: ``name`` for values,
    ``name.between_patient_cv`` / ``name.between_disc_cv`` for heterogeneity."""
    out: dict[str, float] = {}
    for fp, v in zip(fitted, values, strict=True):
        if fp.kind == "value":
            out[fp.name] = float(v)
        else:
            spec = ps[fp.name]
            out[f"{fp.name}.between_patient_cv"] = _scaled_cv(spec.between_patient_cv, v)
            out[f"{fp.name}.between_disc_cv"] = _scaled_cv(spec.between_disc_cv, v)
    return out


def apply_fitted(ps: ParameterSet, columns: dict[str, float], name: str | None = None):
    """A copy of ``ps`` with model-level columns (:func:`posterior_columns`) applied."""
    by_name: dict[str, dict] = {}
    for key, v in columns.items():
        pname, _, attr = key.partition(".")
        by_name.setdefault(pname, {})[attr or "value"] = float(v)
    specs = tuple(
        ParameterSpec(**{**s.model_dump(), **by_name[s.name]}) if s.name in by_name else s
        for s in ps
    )
    return ParameterSet(name or ps.name, ps.description, specs)


# ----------------------------------------------------------------------------- targets
@dataclass(frozen=True)
class Target:
    """One published data point.

    ``kind``: ``"prevalence"`` (Brinjikji, % with stratum size ``n``), ``"mean_pain"``
    (Costa 2012, 0-100 with standard error ``se``) or ``"pain_free"`` (Costa 2009, % of
    ``n``). ``x`` is the age (years) or time since onset (weeks / months).
    """

    source: str
    quantity: str
    x: float
    x_unit: str
    observed: float
    kind: str
    n: float | None = None
    se: float | None = None

    @property
    def label(self) -> str:
        return f"{self.quantity}@{self.x:g}{self.x_unit}"


def calibration_targets() -> list[Target]:
    """Every calibration data point, read from the shipped CSVs."""
    out = []
    for r in load_csv(BRINJIKJI):
        out.append(
            Target(
                "Brinjikji 2015",
                r["finding"],
                float(r["age_years"]),
                "y",
                float(r["prevalence_pct"]),
                "prevalence",
                n=float(r["n_at_age"]),
            )
        )
    for r in load_csv(COSTA2012):
        if r["cohort_type"] != "persistent":
            continue
        lo, hi = float(r["ci95_low"]), float(r["ci95_high"])
        out.append(
            Target(
                "Costa 2012",
                "persistent_lbp_mean_pain",
                float(r["weeks_since_onset"]),
                "w",
                float(r["mean_pain_0_100"]),
                "mean_pain",
                se=(hi - lo) / (2 * 1.959964),
            )
        )
    for r in load_csv(CONTROL_ARMS):
        if r["study"] == "Costa 2009" and r["outcome"].startswith("pain-free"):
            out.append(
                Target(
                    "Costa 2009",
                    "chronic_lbp_pain_free",
                    float(r["timepoint_months"]),
                    "m",
                    float(r["value"]),
                    "pain_free",
                    n=406.0,
                )
            )
    vast = {
        ("VAST IJSS 2020", "0", "VAS back pain"): ("vast_baseline", VAST_BASELINE_SD),
        ("VAST full RCT", "12", "VAS improvement from baseline"): (
            "vast_improvement",
            VAST_IMPROVEMENT_SD,
        ),
    }
    for r in load_csv(CONTROL_ARMS):
        key = (r["study"], str(r["timepoint_months"]), r["outcome"])
        if key in vast:
            kind, sd = vast[key]
            out.append(
                Target(
                    "VAST (saline arm)",
                    kind,
                    float(r["timepoint_months"]),
                    "m",
                    float(r["value"]),
                    kind,
                    n=VAST_SALINE_N,
                    se=sd / np.sqrt(VAST_SALINE_N),
                )
            )
    return sorted(out, key=lambda t: (t.kind != "prevalence", t.source, t.quantity, t.x))


def data_digests() -> dict[str, str]:
    """SHA-256 of each data file the calibration reads."""
    root = resources.files("disctwin.data")
    return {
        name: hashlib.sha256(root.joinpath(name).read_bytes()).hexdigest() for name in DATA_FILES
    }


# ------------------------------------------------------------------ settings / result
class CalibrationSettings(BaseModel):
    """How big and how long: the virtual cohorts, the optimiser and the samplers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = Field(ge=0, le=2**63 - 1)
    n_disc_patients: int = Field(default=1000, ge=20, le=100_000)
    n_pain_patients: int = Field(default=1600, ge=20, le=100_000)
    optimiser_evaluations: int = Field(default=800, ge=0, le=100_000)
    disc_starts: int = Field(default=1, ge=1, le=100)
    pain_starts: int = Field(default=4, ge=1, le=100)
    disc_walkers: int = Field(default=36, ge=4, le=1000)
    disc_steps: int = Field(default=150, ge=2, le=100_000)
    pain_walkers: int = Field(default=14, ge=4, le=1000)
    pain_steps: int = Field(default=150, ge=2, le=100_000)
    burn_fraction: float = Field(default=0.5, ge=0.0, lt=1.0)
    n_posterior: int = Field(default=200, ge=2, le=100_000)
    n_predictive: int = Field(default=40, ge=2, le=10_000)
    rtol: float = Field(default=1e-5, gt=0, le=1e-3)

    @model_validator(mode="after")
    def _enough_walkers(self) -> CalibrationSettings:
        # emcee's stretch move needs at least twice as many walkers as fitted quantities
        for stage, walkers, fitted in (
            ("disc", self.disc_walkers, DISC_FITTED),
            ("pain", self.pain_walkers, PAIN_FITTED),
        ):
            if walkers < 2 * len(fitted):
                raise ValueError(
                    f"{stage}_walkers = {walkers}: the {stage} stage fits {len(fitted)} "
                    f"quantities, so it needs at least {2 * len(fitted)} walkers"
                )
        return self

    @classmethod
    def quick(cls, seed: int) -> CalibrationSettings:
        """A smoke-test size (seconds, not a usable fit)."""
        return cls(
            seed=seed,
            n_disc_patients=60,
            n_pain_patients=60,
            optimiser_evaluations=6,
            disc_walkers=36,
            disc_steps=3,
            pain_walkers=12,
            pain_steps=3,
            n_posterior=6,
            n_predictive=3,
        )


@dataclass(frozen=True)
class CalibrationResult:
    """A calibration: posterior samples, point estimate, predictions and provenance.

    Attributes:
        posterior: (n_posterior, n_fitted) joint draws (disc columns then pain columns),
            in natural units; ``labels`` names them.
        columns: model-level columns (see :func:`posterior_columns`) of each draw.
        median: posterior median of each fitted quantity (the calibrated values).
        chains: ``{"disc": (steps, walkers, d), "pain": ...}`` raw chains (natural units).
        acceptance: mean acceptance fraction per stage.
        targets: the data points; ``predictive``: (n_predictive, n_targets) posterior
            predictive values (parameter uncertainty over the fixed virtual cohorts, with
            their measurement noise).
        optimum: the warm-start optimum of each stage (natural units).
    """

    settings: CalibrationSettings
    labels: tuple[str, ...]
    posterior: np.ndarray
    columns: list[dict[str, float]]
    median: dict[str, float]
    median_columns: dict[str, float]
    chains: dict[str, np.ndarray]
    log_prob: dict[str, np.ndarray]
    acceptance: dict[str, float]
    targets: list[Target]
    predictive: np.ndarray
    optimum: dict[str, np.ndarray]
    cohort_sizes: dict[str, float]
    seconds: float
    base_set: str
    data: dict[str, str] = field(default_factory=data_digests)

    def summary(self) -> list[dict]:
        """Per data point: observed, posterior predictive median and 90% interval, residual."""
        med = np.nanmedian(self.predictive, axis=0)
        lo, hi = np.nanpercentile(self.predictive, [5, 95], axis=0)
        rows = []
        for j, t in enumerate(self.targets):
            rows.append(
                {
                    "source": t.source,
                    "quantity": t.quantity,
                    "x": t.x,
                    "x_unit": t.x_unit,
                    "observed": t.observed,
                    "median": float(med[j]),
                    "p05": float(lo[j]),
                    "p95": float(hi[j]),
                    "residual": float(med[j] - t.observed),
                    "unit": "points (0-100)" if t.kind in MEAN_KINDS else "%",
                }
            )
        return rows

    def score(self) -> dict[str, float]:
        """Summary fit scores: share of points within 5 (percentage) points, RMSE, max."""
        res = np.array([r["residual"] for r in self.summary()])
        return {
            "n_points": float(len(res)),
            "within_5": float(np.mean(np.abs(res) <= 5.0)),
            "rmse": float(np.sqrt(np.mean(res**2))),
            "max_abs_residual": float(np.max(np.abs(res))),
        }


# ------------------------------------------------------------------ virtual cohorts
class _VirtualCohort:
    """A fixed block of virtual patients whose fitted parameters can be reset cheaply.

    Drawn once (widened ranges for the fitted parameters so nothing is clipped), then each
    parameter vector is rebuilt as ``clip(value * exp(factor * log(base / base_value)))``:
    identical to ``sample_population`` with the new values and scaled variability.
    """

    def __init__(self, ps: ParameterSet, fitted, seed: int, index: np.ndarray):
        from disctwin.population import sample_population

        names = {fp.name for fp in fitted}
        wide = ParameterSet(
            ps.name,
            ps.description,
            tuple(
                ParameterSpec(**{**s.model_dump(), "range": (1e-300, 1e300)})
                if s.name in names and s.range[0] > 0
                else s
                for s in ps
            ),
        )
        pop = sample_population(seed=seed, parameter_set=wide, patient_index=index)
        self.ps, self.fitted, self.seed, self.index = ps, tuple(fitted), seed, pop.patient_index
        self.layout, self.base = pop.layout, pop.parameters
        self.population = pop
        self.slots = {}
        # fitted quantities the rate laws never see are the reader's (read by measure);
        # a spread factor on one of them would have nothing to scale
        self.readings = tuple(fp.name for fp in self.fitted if fp.name not in pop.layout.offsets)
        for fp in self.fitted:
            if fp.kind != "value" and fp.name in self.readings:
                raise ValueError(
                    f"{fp.label}: {fp.name} is read by the MRI reader, not varied between "
                    "patients, so its heterogeneity cannot be fitted"
                )
        for name in names.difference(self.readings):
            off, width = pop.layout.offsets[name], pop.layout.widths[name]
            v0 = np.asarray(ps[name].values, dtype=float)
            cols = self.base[:, off : off + width]
            with np.errstate(divide="ignore", invalid="ignore"):
                log_ratio = np.where(v0 > 0, np.log(cols / np.where(v0 > 0, v0, 1.0)), 0.0)
            self.slots[name] = (off, width, log_ratio, ps[name].range)

    def parameters(self, values: Sequence[float]) -> np.ndarray:
        P = self.base.copy()
        value = {
            fp.name: v for fp, v in zip(self.fitted, values, strict=True) if fp.kind == "value"
        }
        factor = {
            fp.name: v for fp, v in zip(self.fitted, values, strict=True) if fp.kind != "value"
        }
        for name, (off, width, log_ratio, (low, high)) in self.slots.items():
            base = np.asarray([value[name]] if name in value else self.ps[name].values)
            P[:, off : off + width] = np.clip(
                base * np.exp(factor.get(name, 1.0) * log_ratio), low, high
            )
        return P

    def observables(self, values_list: Sequence[Sequence[float]], ages_years, rtol: float):
        from disctwin.engine import Engine, simulate

        P = np.vstack([self.parameters(v) for v in values_list])
        cohorts = self.population.take(np.tile(np.arange(len(self.index)), len(values_list)))
        t_out = np.asarray(ages_years, dtype=float) * DAYS_PER_YEAR
        run = simulate(
            cohorts.with_parameters(P),
            ages_days=t_out,
            engine=Engine(rtol=rtol, atol=1e-10, max_steps=100_000, chunk_size=len(P)),
        )
        disc, patient = run.true_observables()
        return disc, patient, run.status == 0


class _DiscStage:
    """Brinjikji prevalences and their binomial log-likelihood."""

    def __init__(
        self,
        ps: ParameterSet,
        settings: CalibrationSettings,
        targets: list[Target],
        fitted: Sequence[FittedParameter] = DISC_FITTED,
    ):
        n = settings.n_disc_patients
        self.fitted = tuple(fitted)
        self.cohort = _VirtualCohort(ps, self.fitted, settings.seed, np.arange(n))
        self.ps, self.n, self.rtol = ps, n, settings.rtol
        self.targets = [t for t in targets if t.kind == "prevalence"]
        self.obs = np.array([t.observed / 100 for t in self.targets])
        stratum = np.array([t.n for t in self.targets])
        self.n_eff = stratum * n / (stratum + n)
        self.where = [(FINDINGS.index(t.quantity), BRINJIKJI_AGES.index(t.x)) for t in self.targets]

    def predict(self, values_list) -> np.ndarray:
        """(k, n_targets) prevalences in % for k parameter vectors."""
        k = len(values_list)
        disc, patient, ok = self.cohort.observables(values_list, BRINJIKJI_AGES, self.rtol)
        out = np.empty((k, len(self.targets)))
        for s, values in enumerate(values_list):
            rows = slice(s * self.n, (s + 1) * self.n)
            ps = self.ps.replace(
                **{
                    fp.name: float(v)
                    for fp, v in zip(self.fitted, values, strict=True)
                    if fp.name in self.cohort.readings
                }
            )
            found = person_findings(
                measure(
                    {key: v[rows] for key, v in disc.items()},
                    {key: v[rows] for key, v in patient.items()},
                    ps,
                    self.cohort.seed,
                    self.cohort.index,
                )
            )
            valid = ok[rows]
            for j, (f, a) in enumerate(self.where):
                x = found[FINDINGS[f]][:, a][valid]
                out[s, j] = 100 * x.mean() if x.size else np.nan
        return out

    def log_likelihood(self, prevalence_pct: np.ndarray) -> np.ndarray:
        p = np.clip(prevalence_pct / 100, 0.5 / self.n, 1 - 0.5 / self.n)
        k = self.obs * self.n_eff
        ll = k * np.log(p) + (self.n_eff - k) * np.log1p(-p)
        ll = ll.sum(axis=-1)
        return np.where(np.isfinite(ll), ll, -np.inf)


# -------------------------------------------------------------------- Costa cohorts
WEEK = 7
#: Pain (NRS) at presentation for both Costa cohorts: people present to primary care with
#: at least moderate pain (NRS >= 4; Henschke 2008 BMJ 337:a171 recruited new episodes
#: with at least moderate pain, re-check). An assumption, stated, not fitted.
PRESENTING_NRS = 4
#: VAST (Beall 2020 Int J Spine Surg 14:239; full RCT N = 218, 2021 NASS abstract): the
#: intradiscal-saline arm of a double-blind trial in chronic discogenic LBP, the pain course
#: under trial eligibility (baseline VAS and its improvement at 12 months). The shipped data
#: give arm means only. Assumptions, stated: the saline arm holds a quarter of the 218
#: (2:1:1 allocation), the baseline VAS SD is 15 mm (range-restricted by VAS 40-90) and the
#: SD of the 12-month change 25 mm (typical of CLBP trials).
VAST_SALINE_N = 55.0
VAST_BASELINE_SD = 15.0
VAST_IMPROVEMENT_SD = 25.0
#: VAST eligibility as the weekly cohort search reads it (examples/protocols/
#: vast_saline_control.toml): pain felt at every weekly visit of the last 26 weeks (chronic
#: LBP >= 6 months), VAS 40-90 and ODI 30-90 on the day.
VAST_WEEKS_IN_PAIN = 26
#: Weekly pain reports are simulated over these ages (years) for the cohort searches.
PAIN_AGES = (29.0, 53.0)


def costa_cohorts(
    felt: np.ndarray,
    nrs: np.ndarray,
    vas: np.ndarray,
    odi: np.ndarray,
    care_seeking: float,
) -> dict[str, np.ndarray]:
    """Recruit the Costa cohorts from weekly pain reports and follow them up.

    Args:
        felt: (n, W) pain felt that day (drive > 0) at weekly visits.
        nrs, vas, odi: (n, W) reported NRS (0-10), VAS (0-100) and ODI (0-100) on those days.
        care_seeking: log-odds of presenting for care per ODI point
            (``care_seeking_log_odds_per_odi_point``).

    Who presents: both cohorts were recruited among people who sought primary care, and
    care-seeking rises steeply with disability (Ferreira 2010 Eur J Pain 14:747.e1). Every
    week that meets a cohort's definition is a possible presentation, weighted by the odds
    of seeking care that week, ``exp(care_seeking * ODI)`` (the chance of presenting in any
    one week is small, so the odds are proportional to it and the constant cancels).

    Recruitment (on the weekly grid; assumptions where the papers give no more detail):

    * Costa 2012 *persistent* cohort: presenting at week w (NRS >= :data:`PRESENTING_NRS`)
      with an episode that has lasted 6 weeks to 3 months: pain felt at every weekly visit
      w-6..w and not at every visit w-13..w-7. Outcome: mean VAS at w, w+6, w+26, w+52.
    * Costa 2009 *chronic* cohort: acute onset at week w (pain felt at w with NRS >=
      :data:`PRESENTING_NRS`, not felt at w-1; the cohort presented within 2 weeks of
      onset), not recovered by 3 months (w+13).
      Recovery: the start of a pain-free month (NRS 0 at 5 consecutive weekly visits,
      after Henschke 2008 BMJ 337:a171; re-check). Outcome: cumulative share recovered by
      9 and 12 months after onset (w+39, w+52 weeks).

    Returns:
        ``persistent_vas`` (k1, 4) VAS of each possible persistent-cohort presentation at
        0/6/26/52 weeks and ``persistent_weight`` (k1,) its weight; ``chronic_recovered``
        (k2, 2) whether each possible chronic-cohort member recovered by 9 / 12 months and
        ``chronic_weight`` (k2,) its weight. Cohort summaries are weighted means.
    """
    n, W = felt.shape
    c = np.concatenate([np.zeros((n, 1), int), np.cumsum(felt, axis=1)], axis=1)

    def felt_count(lo, hi):  # visits lo..hi inclusive, arrays of week indices
        return c[:, hi + 1] - c[:, lo]

    w = np.arange(13, W - 52)
    last6 = felt_count(w - 6, w) == 7
    before = felt_count(w - 13, w - 7) < 7
    presenting = nrs[:, w] >= PRESENTING_NRS
    rows, cols = np.nonzero(last6 & before & presenting)
    weeks = w[cols]
    persistent = np.stack([vas[rows, weeks + d] for d in (0, 6, 26, 52)], axis=1)

    zero = nrs == 0
    z = np.concatenate([np.zeros((n, 1), int), np.cumsum(zero, axis=1)], axis=1)
    k = np.arange(W - 4)
    month_free = (z[:, k + 5] - z[:, k]) == 5
    start = np.where(month_free, k[None, :], W)
    next_free = np.minimum.accumulate(start[:, ::-1], axis=1)[:, ::-1]  # first start >= k
    w2 = np.arange(1, W - 57)
    onset = felt[:, w2] & ~felt[:, w2 - 1] & (nrs[:, w2] >= PRESENTING_NRS)
    first = next_free[:, w2]
    chronic = onset & (first >= w2 + 13)
    r2, c2 = np.nonzero(chronic)
    f2 = first[r2, c2] - w2[c2]
    recovered = np.stack([f2 <= 39, f2 <= 52], axis=1)

    def weight(odi_then: np.ndarray) -> np.ndarray:  # relative odds; centred against overflow
        return np.exp(care_seeking * (odi_then.astype(float) - 50.0))

    return {
        "persistent_vas": persistent,
        "persistent_weight": weight(odi[rows, weeks]),
        "chronic_recovered": recovered,
        "chronic_weight": weight(odi[r2, w2[c2]]),
    }


def weighted_mean(x: np.ndarray, w: np.ndarray) -> tuple[float, float, float]:
    """Weighted mean of ``x``, its standard error, and Kish's effective sample size
    ``(sum w)^2 / sum w^2`` (NaN, NaN, 0 when empty)."""
    if len(x) == 0 or w.sum() <= 0:
        return np.nan, np.nan, 0.0
    mean = float(np.sum(w * x) / np.sum(w))
    se = float(np.sqrt(np.sum(w**2 * (x - mean) ** 2)) / np.sum(w))
    return mean, se, float(w.sum() ** 2 / np.sum(w**2))


def vast_cohort(felt: np.ndarray, vas: np.ndarray, odi: np.ndarray) -> np.ndarray:
    """Enrol the VAST saline cohort from weekly reports and follow it for a year.

    Eligible at week w (every week that qualifies, as for the Costa cohorts): pain felt at
    each weekly visit w-26..w, VAS 40-90 and ODI 30-90 at w (:data:`VAST_WEEKS_IN_PAIN`).
    Intradiscal saline is taken to change nothing in the pain course: the arm's course is
    the non-specific response without expectation or needle (the trial simulator adds
    them; ``disctwin.trial.nonspecific``).

    Returns: (k, 2) VAS of each enrolment at baseline (w) and 12 months (w + 52).
    """
    n, W = felt.shape
    c = np.concatenate([np.zeros((n, 1), int), np.cumsum(felt, axis=1)], axis=1)
    w = np.arange(VAST_WEEKS_IN_PAIN, W - 52)
    ok = c[:, w + 1] - c[:, w - VAST_WEEKS_IN_PAIN] == VAST_WEEKS_IN_PAIN + 1
    ok &= (vas[:, w] >= 40) & (vas[:, w] <= 90) & (odi[:, w] >= 30) & (odi[:, w] <= 90)
    rows, cols = np.nonzero(ok)
    weeks = w[cols]
    return np.stack([vas[rows, weeks], vas[rows, weeks + 52]], axis=1)


class _PainStage:
    """Costa cohorts from the natural course of pain, on fixed patients and paths."""

    def __init__(self, ps: ParameterSet, settings: CalibrationSettings, targets: list[Target]):
        n0 = settings.n_disc_patients
        index = np.arange(n0, n0 + settings.n_pain_patients)
        self.cohort = _VirtualCohort(ps, DISC_FITTED, settings.seed, index)
        self.ps, self.rtol, self.seed = ps, settings.rtol, settings.seed
        first = int(PAIN_AGES[0] * DAYS_PER_YEAR)
        self.days = np.arange(first, int(PAIN_AGES[1] * DAYS_PER_YEAR), WEEK)
        self.ages = np.arange(PAIN_AGES[0], PAIN_AGES[1] + 1.0)
        last = int(self.days[-1])
        z = np.stack([pain_course_normals(self.seed, int(i), last) for i in index])
        self.z_course = [np.ascontiguousarray(z[..., c]) for c in range(z.shape[-1])]
        del z
        m = len(self.days)
        z = np.empty((len(index), m, 4))
        for row, i in enumerate(index):  # the same layout as measure(): disc draws first
            g = patient_generator(self.seed, Stream.OBSERVATION, int(i))
            g.standard_normal((m, N_LEVELS, 3))
            z[row] = g.standard_normal((m, 4))
        self.z_obs = z
        self.targets = [t for t in targets if t.kind != "prevalence"]

    def set_biology(self, disc_values) -> None:
        """Simulate the pain input of the patients under these disc parameters (yearly,
        interpolated linearly to the weekly visits: it changes over years, not weeks).

        Kept as the amplified nociceptive input relative to ``pain_scale`` and the
        psychosocial multiplier, so that :meth:`expected_pain` can apply another
        ``pain_scale`` exactly (it enters the pain map only, not the rate laws)."""
        _, patient, ok = self.cohort.observables([disc_values], self.ages, self.rtol)
        latent = np.clip(patient["pain_latent"], 0.0, 10.0)
        n = self.ps["pain_exponent"].scalar
        ratio = (latent / np.maximum(10.0 - latent, 1e-12)) ** (1.0 / n)  # input / scale
        with np.errstate(divide="ignore", invalid="ignore"):
            mult = np.where(latent > 0, patient["pain_reported_mean"] / latent, 1.0)
        ratio[~ok], mult[~ok] = np.nan, np.nan
        t = self.days / DAYS_PER_YEAR
        self.input = np.stack([np.interp(t, self.ages, row) for row in ratio])
        self.input *= self.ps["pain_scale"].value
        self.multiplier = np.stack([np.interp(t, self.ages, row) for row in mult])
        self.fear = patient["fear_avoidance_z"][:, :1]

    def expected_pain(self, ps: ParameterSet) -> np.ndarray:
        """(n, weeks) expected reported pain under ``ps``'s pain map."""
        n, scale = ps["pain_exponent"].scalar, ps["pain_scale"].scalar
        xn = self.input**n
        return np.clip(10.0 * xn / (xn + scale**n) * self.multiplier, 0.0, 10.0)

    def cohorts(self, pain_values) -> dict[str, np.ndarray]:
        ps = self.ps.replace(
            **{fp.name: float(v) for fp, v in zip(PAIN_FITTED, pain_values, strict=True)}
        )
        mean_pain = self.expected_pain(ps)
        x = np.zeros(mean_pain.shape)
        for c, name in enumerate(PAIN_COMPONENTS):
            tau = ps[f"pain_{name}_timescale"].scalar
            path = ou_on_grid(self.z_course[c], tau, int(self.days[0]), WEEK, len(self.days))
            x += ps[f"pain_{name}_sd"].value * path
        day, nrs, vas = pain_reports(np.nan_to_num(mean_pain), x, self.z_obs[..., :3], ps)
        odi = odi_reports(day, self.fear, self.z_obs[..., 3], ps)
        care = ps["care_seeking_log_odds_per_odi_point"].scalar
        return {
            **costa_cohorts(day > 0, nrs, vas, odi, care),
            "vast_vas": vast_cohort(day > 0, vas, odi),
        }

    def predict(self, pain_values) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
        """(predictions, simulation standard errors) in target order, and cohort sizes
        (effective sizes, Kish, for the weighted Costa cohorts)."""
        c = self.cohorts(pain_values)
        pv, rec, vv = c["persistent_vas"], c["chronic_recovered"], c["vast_vas"]
        pw, rw = c["persistent_weight"], c["chronic_weight"]
        pred, se = [], []
        for t in self.targets:
            if t.kind == "mean_pain":
                x, w = pv[:, (0, 6, 26, 52).index(int(t.x))], pw
            elif t.kind == "vast_baseline":
                x, w = vv[:, 0], np.ones(len(vv))
            elif t.kind == "vast_improvement":
                x, w = vv[:, 0] - vv[:, 1], np.ones(len(vv))
            else:
                x, w = 100.0 * rec[:, (9, 12).index(int(t.x))], rw
            mean, s, _ = weighted_mean(x, w)
            pred.append(mean)
            se.append(s if t.kind in MEAN_KINDS else 0.0)
        sizes = {
            "persistent": weighted_mean(pv[:, 0], pw)[2],
            "chronic": weighted_mean(rec[:, 0].astype(float), rw)[2],
            "vast": float(len(vv)),
        }
        return np.array(pred), np.array(se), sizes

    def log_likelihood(self, pain_values) -> float:
        pred, sim_se, sizes = self.predict(pain_values)
        if not np.all(np.isfinite(pred)):
            return -np.inf
        # Both terms are normalised so that their size does not depend on how many virtual
        # patients a parameter value happens to recruit: the normal includes its
        # -log(sd) term and the binomial is taken relative to its saturated value
        # (-KL deviance). Unnormalised, k log q + (n - k) log(1 - q) grows more negative with
        # the simulated cohort's size n and would reward parameter values that recruit few.
        ll = 0.0
        for t, p, s in zip(self.targets, pred, sim_se, strict=True):
            if t.kind in MEAN_KINDS:
                assert t.se is not None  # mean targets carry their standard error
                var = t.se**2 + s**2
                ll += -0.5 * (p - t.observed) ** 2 / var - 0.5 * np.log(var)
            else:
                assert t.n is not None  # proportion targets carry their cohort size
                n_sim = max(sizes["chronic"], 1)
                n_eff = t.n * n_sim / (t.n + n_sim)
                q = np.clip(p / 100, 0.5 / n_sim, 1 - 0.5 / n_sim)
                obs = t.observed / 100
                ll += n_eff * (obs * np.log(q / obs) + (1 - obs) * np.log((1 - q) / (1 - obs)))
        return float(ll)


# -------------------------------------------------------------------------- sampling
def _optimise(scalar, x0, evaluations) -> tuple[np.ndarray, float, int]:
    """Nelder-Mead in the unit cube from ``x0``, restarted while it improves: a simplex
    collapses in many dimensions long before the optimum; it is restarted from its best point
    with a fresh simplex (the usual remedy, Press et al., Numerical Recipes 3rd ed. 10.5)
    while that still improves and the budget lasts. Returns (best, value, evaluations used)."""
    from scipy.optimize import minimize

    d = len(x0)
    best = np.asarray(x0, dtype=float)
    left, value = evaluations, np.inf
    while left > d + 1:
        res = minimize(
            scalar,
            best,
            method="Nelder-Mead",
            bounds=[(0.0, 1.0)] * d,
            options={"maxfev": left, "initial_simplex": _simplex(best)},
        )
        left -= res.nfev
        improved = res.fun < value - 1e-3
        if res.fun < value:
            best, value = np.clip(res.x, 0.0, 1.0), float(res.fun)
        if not improved:
            break
    return best, value, evaluations - left


def _starts(x0_unit, n_starts: int, seed: int, stream_index: int) -> np.ndarray:
    """The optimiser's starting points: the prior defaults, then ``n_starts - 1`` points of
    a scrambled Sobol' sequence over the unit cube (scipy.stats.qmc), seeded from the run's
    seed, so that a weakly identified stage is searched beyond the basin of its defaults."""
    from scipy.stats import qmc

    x0 = np.asarray(x0_unit, dtype=float)
    if n_starts <= 1:
        return x0[None]
    g = patient_generator(seed, Stream.CALIBRATION, 100 + stream_index)
    sobol = qmc.Sobol(len(x0), scramble=True, rng=g)
    m = int(np.ceil(np.log2(n_starts - 1)))  # whole powers of 2 keep Sobol' balanced
    return np.vstack([x0, sobol.random_base2(m)[: n_starts - 1]])


def _sample(log_prob_unit, starts, walkers, steps, seed, stream_index, evaluations):
    """Nelder-Mead from each start (``evaluations`` each; the best optimum wins) then emcee
    around that optimum, all in the unit cube (uniform prior)."""
    import emcee

    def scalar(u):
        return -float(log_prob_unit(np.atleast_2d(u))[0])

    optima = [_optimise(scalar, x0, evaluations) for x0 in np.atleast_2d(starts)]
    best = min(optima, key=lambda o: o[1])[0]
    d = len(best)
    g = patient_generator(seed, Stream.CALIBRATION, stream_index)
    start = np.clip(best + 0.03 * g.standard_normal((walkers, d)), 1e-4, 1 - 1e-4)
    sampler = emcee.EnsembleSampler(walkers, d, log_prob_unit, vectorize=True)
    sampler.random_state = np.random.RandomState(  # emcee's own generator, seeded from ours
        g.integers(0, 2**32 - 1)
    ).get_state()
    sampler.run_mcmc(start, steps, progress=False)
    return (
        best,
        sampler.get_chain(),
        sampler.get_log_prob(),
        float(np.mean(sampler.acceptance_fraction)),
    )


def _natural(unit_values: np.ndarray, bounds) -> np.ndarray:
    """Sampler coordinates in [0, 1] (last axis: one per fitted parameter) in natural units."""
    return np.stack([b.natural(unit_values[..., i]) for i, b in enumerate(bounds)], axis=-1)


def _simplex(x0):
    d = len(x0)
    s = np.tile(x0, (d + 1, 1))
    for i in range(d):
        s[i + 1, i] = x0[i] + 0.15 if x0[i] < 0.8 else x0[i] - 0.15
    return s


def calibrate_natural_history(
    settings: CalibrationSettings, base: ParameterSet | None = None, progress=None
) -> CalibrationResult:
    """Fit the natural history (see the module docstring); deterministic for a seed.

    Args:
        settings: cohort sizes, sampler lengths, seed.
        base: the prior parameter set (default: the packaged ``uncalibrated`` set).
        progress: optional callable(message) for status lines (the CLI prints them).
    """
    t_start = time.perf_counter()
    say = progress or (lambda message: None)
    ps = base or load_parameter_set("uncalibrated")
    targets = calibration_targets()
    burn = lambda chain: chain[int(settings.burn_fraction * len(chain)) :]  # noqa: E731

    # ---- disc stage
    disc = _DiscStage(ps, settings, targets)
    db = [_bounds(fp, ps) for fp in DISC_FITTED]

    def disc_log_prob(U):
        U = np.atleast_2d(U)
        out = np.full(len(U), -np.inf)
        inside = np.all((U >= 0) & (U <= 1), axis=1)
        if inside.any():
            values = [[b.natural(u) for b, u in zip(db, row, strict=True)] for row in U[inside]]
            out[inside] = disc.log_likelihood(disc.predict(values))
        return out

    x0 = np.array(
        [
            b.unit(1.0 if fp.kind != "value" else ps[fp.name].scalar)
            for fp, b in zip(DISC_FITTED, db, strict=True)
        ]
    )
    say(f"disc stage: {len(DISC_FITTED)} parameters, {settings.n_disc_patients} patients")
    d_best, d_chain, d_lp, d_acc = _sample(
        disc_log_prob,
        _starts(x0, settings.disc_starts, settings.seed, 0),
        settings.disc_walkers,
        settings.disc_steps,
        settings.seed,
        0,
        settings.optimiser_evaluations,
    )
    d_nat = _natural(burn(d_chain).reshape(-1, len(DISC_FITTED)), db)
    d_median = np.median(d_nat, axis=0)

    # ---- pain stage, conditional on the disc posterior median
    say(f"pain stage: {len(PAIN_FITTED)} parameters, {settings.n_pain_patients} patients")
    pain = _PainStage(ps, settings, targets)
    pain.set_biology(d_median)
    pb = [_bounds(fp, ps) for fp in PAIN_FITTED]

    def pain_log_prob(U):
        U = np.atleast_2d(U)
        out = np.full(len(U), -np.inf)
        for r, u in enumerate(U):
            if np.all((u >= 0) & (u <= 1)):
                out[r] = pain.log_likelihood([b.natural(x) for b, x in zip(pb, u, strict=True)])
        return out

    x0p = np.array([b.unit(ps[fp.name].scalar) for fp, b in zip(PAIN_FITTED, pb, strict=True)])
    p_best, p_chain, p_lp, p_acc = _sample(
        pain_log_prob,
        _starts(x0p, settings.pain_starts, settings.seed, 1),
        settings.pain_walkers,
        settings.pain_steps,
        settings.seed,
        1,
        settings.optimiser_evaluations,
    )
    p_nat = _natural(burn(p_chain).reshape(-1, len(PAIN_FITTED)), pb)
    p_median = np.median(p_nat, axis=0)

    # ---- joint draws (cut posterior: independent pairs of disc and pain draws)
    g = patient_generator(settings.seed, Stream.CALIBRATION, 2)
    di = g.choice(len(d_nat), settings.n_posterior, replace=len(d_nat) < settings.n_posterior)
    pi = g.choice(len(p_nat), settings.n_posterior, replace=len(p_nat) < settings.n_posterior)
    joint = np.column_stack([d_nat[di], p_nat[pi]])
    fitted = (*DISC_FITTED, *PAIN_FITTED)
    labels = tuple(fp.label for fp in fitted)
    columns = [posterior_columns(fitted, row, ps) for row in joint]
    median = dict(zip(labels, [*d_median, *p_median], strict=True))
    median_columns = posterior_columns(fitted, [*d_median, *p_median], ps)

    # ---- posterior predictive over the first n_predictive joint draws
    say(f"posterior predictive: {settings.n_predictive} draws")
    nd = len(DISC_FITTED)
    draws = joint[: settings.n_predictive]
    prev = disc.predict([row[:nd] for row in draws])
    costa = []
    sizes: dict[str, list] = {"persistent": [], "chronic": [], "vast": []}
    for row in draws:
        pain.set_biology(row[:nd])
        pred, _, size = pain.predict(row[nd:])
        costa.append(pred)
        for k in sizes:
            sizes[k].append(size[k])
    predictive = np.column_stack([prev, np.array(costa)])
    return CalibrationResult(
        settings=settings,
        labels=labels,
        posterior=joint,
        columns=columns,
        median=median,
        median_columns=median_columns,
        chains={
            "disc": _natural(d_chain, db),
            "pain": _natural(p_chain, pb),
        },
        log_prob={"disc": d_lp, "pain": p_lp},
        acceptance={"disc": d_acc, "pain": p_acc},
        targets=[*disc.targets, *pain.targets],
        predictive=predictive,
        optimum={
            "disc": np.array([b.natural(u) for b, u in zip(db, d_best, strict=True)]),
            "pain": np.array([b.natural(u) for b, u in zip(pb, p_best, strict=True)]),
        },
        cohort_sizes={k: float(np.mean(v)) for k, v in sizes.items()},
        seconds=time.perf_counter() - t_start,
        base_set=ps.name,
    )


def predict_targets(
    parameter_set: ParameterSet, *, seed: int, n_disc_patients: int, n_pain_patients: int
) -> tuple[list[Target], np.ndarray]:
    """The model's value at every calibration data point for one parameter set, on fresh
    virtual cohorts of the given sizes (the same recruitment as in the calibration)."""
    settings = CalibrationSettings(
        seed=seed, n_disc_patients=n_disc_patients, n_pain_patients=n_pain_patients
    )
    targets = calibration_targets()
    ps = parameter_set
    current = [ps[fp.name].value if fp.kind == "value" else 1.0 for fp in DISC_FITTED]
    disc = _DiscStage(ps, settings, targets)
    pain = _PainStage(ps, settings, targets)
    pain.set_biology(current)
    prevalence = disc.predict([current])[0]
    costa, _, _ = pain.predict([ps[fp.name].value for fp in PAIN_FITTED])
    return [*disc.targets, *pain.targets], np.concatenate([prevalence, costa])
