"""A patient's own posterior: which virtual patients are consistent with their record.

The prior is the population itself: a candidate twin is a draw of the population's
variability normals ``z`` (:func:`disctwin.population.parameters_from_normals`), with the
record's known covariates and, for covariates the record does not give, draws from the
population's covariate distributions. The posterior given the record
(:func:`~disctwin.inference.twin.likelihood.log_likelihood`, the model's own observation
model) is sampled by a tempered sequential Monte Carlo sampler (Del Moral, Doucet & Jasra
2006, J R Stat Soc B 68:411): the likelihood is switched on in steps chosen so that the
effective sample size stays at half the particles (adaptive tempering), particles are
resampled (systematic) and moved by preconditioned Crank-Nicolson Metropolis steps, which
leave the N(0, I) prior of ``z`` invariant (Cotter, Roberts, Stuart & White 2013, Stat Sci
28:424), with the step size adapted to the acceptance rate. Every candidate is simulated
through the engine's one door.

Diagnostics: tempering stages, the effective sample size before each resampling, move
acceptance rates, the log marginal likelihood, and a posterior predictive p-value: records
replicated from the posterior through the model's own measurement step
(:func:`disctwin.model.observables.measure`, same missingness as the record) are compared
with the real one by their log-likelihood; a p-value under ``ppp_alarm`` means the record is
not one the model produces, and :func:`infer_twin` says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from disctwin.engine import Engine, simulate
from disctwin.inference.twin.likelihood import DEFAULT_READER_ERROR, log_likelihood
from disctwin.inference.twin.record import Observations, PatientRecord
from disctwin.model.observables import Measured, measure
from disctwin.params import ParameterSet, load_covariate_set, load_parameter_set
from disctwin.population import Population, sample_population
from disctwin.population.sampling import (
    parameters_from_normals,
    sample_covariates,
    variability_dimension,
)
from disctwin.units import DAYS_PER_YEAR

__all__ = ["TwinPosterior", "infer_twin", "infer_twins"]


@dataclass(frozen=True)
class TwinPosterior:
    """Equally weighted posterior draws of one patient's twin.

    Attributes:
        record: the record conditioned on.
        population: the K posterior draws as virtual patients (their parameters).
        z: (K, D) the draws' variability normals.
        log_likelihood: (K,) of the record under each draw.
        stages: tempering stages taken; ess: effective sample size before each resampling;
        acceptance: mean move acceptance per stage; log_evidence: log marginal likelihood.
        ppp: posterior predictive p-value of the record (NaN when the record is empty).
    """

    record: PatientRecord
    population: Population
    z: np.ndarray
    log_likelihood: np.ndarray
    stages: int
    ess: tuple[float, ...]
    acceptance: tuple[float, ...]
    log_evidence: float
    ppp: float

    @property
    def n_draws(self) -> int:
        return len(self.z)


def _prior_population(
    records: Sequence[PatientRecord], n: int, seed: int, ps: ParameterSet
) -> tuple[Population, list[dict[str, np.ndarray]]]:
    """R x K candidate patients (record-major), unknown covariates drawn from the
    population; returns the template population and each record's covariate arrays."""
    r = len(records)
    template = sample_population(r * n, seed=seed, parameter_set=ps)
    drawn = sample_covariates(load_covariate_set(), seed, np.arange(r * n))
    covariates = []
    for i, rec in enumerate(records):
        rows = slice(i * n, (i + 1) * n)
        cov = {k: v[rows].copy() for k, v in drawn.items()}
        for name, value in rec.known_covariates.items():
            cov[name] = np.full(n, value)
        covariates.append(cov)
    return template, covariates


class _Cohort:
    """Candidates of R records x K particles: simulate them and score their records."""

    def __init__(
        self,
        records: Sequence[PatientRecord],
        n: int,
        seed: int,
        ps: ParameterSet,
        engine: Engine,
        reader_error: float,
    ):
        self.records, self.n, self.ps, self.engine = records, n, ps, engine
        self.reader_error = reader_error
        self.obs = [rec.observations() for rec in records]
        self.template, self.covariates = _prior_population(records, n, seed, ps)
        self.dimension = variability_dimension(ps, self.template.layout)
        self.seed = seed

    def population(self, z: np.ndarray, owner: np.ndarray) -> Population:
        """Candidates with normals z (R*K, D); ``owner`` (R*K,) indexes each one's
        (record, particle) covariates."""
        cov_all = {k: np.concatenate([c[k] for c in self.covariates]) for k in self.covariates[0]}
        cov = {k: v[owner] for k, v in cov_all.items()}
        P = parameters_from_normals(self.ps, self.template.layout, z, cov)
        return replace(self.template, covariates=cov, parameters=P)

    def simulate(self, z: np.ndarray, owner: np.ndarray):
        ages = np.concatenate([np.tile(o.ages_years, (self.n, 1)) for o in self.obs])
        return simulate(
            self.population(z, owner), ages_days=ages * DAYS_PER_YEAR, engine=self.engine
        )

    def score(self, z: np.ndarray, owner: np.ndarray) -> np.ndarray:
        """(R, K) log-likelihoods; a failed integration scores -inf."""
        run = self.simulate(z, owner)
        disc, patient = run.true_observables()
        out = np.empty(len(z))
        for i, o in enumerate(self.obs):
            rows = slice(i * self.n, (i + 1) * self.n)
            d = {k: v[rows] for k, v in disc.items()}
            p = {k: v[rows] for k, v in patient.items()}
            out[rows] = log_likelihood(o, d, p, self.ps, reader_error=self.reader_error)
        out[run.status != 0] = -np.inf
        out[~np.isfinite(out)] = -np.inf
        return out.reshape(len(self.records), self.n)


def _ess(logw: np.ndarray) -> np.ndarray:
    w = np.exp(logw - logw.max(axis=-1, keepdims=True))
    return w.sum(-1) ** 2 / (w**2).sum(-1)


def _next_beta(ll: np.ndarray, beta: float, target: float) -> float:
    """Largest step (bisection) keeping the ESS of the incremental weights >= target."""
    finite = np.where(np.isfinite(ll), ll, -1e300)
    if _ess((1.0 - beta) * finite) >= target:
        return 1.0
    lo, hi = beta, 1.0
    for _ in range(50):
        mid = (lo + hi) / 2
        if _ess((mid - beta) * finite) >= target:
            lo = mid
        else:
            hi = mid
    return max(lo, beta + 1e-6)


def _systematic(logw: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    w = np.exp(logw - logw.max())
    w /= w.sum()
    positions = (rng.random() + np.arange(len(w))) / len(w)
    return np.minimum(np.searchsorted(np.cumsum(w), positions), len(w) - 1)


def _smc(cohort: _Cohort, rng: np.random.Generator, n_moves: int):
    r, k = len(cohort.records), cohort.n
    owner = np.arange(r * k)
    z = rng.standard_normal((r * k, cohort.dimension))
    ll = cohort.score(z, owner)
    beta = np.zeros(r)
    rho = np.full(r, 0.5)
    log_evidence = np.zeros(r)
    ess_log: list[list[float]] = [[] for _ in range(r)]
    acc_log: list[list[float]] = [[] for _ in range(r)]
    final_moves = n_moves
    while True:
        moving = beta < 1
        if not moving.any():
            if final_moves == 0:
                break
            final_moves -= 1
        for i in np.flatnonzero(moving):
            new = _next_beta(ll[i], beta[i], k / 2)
            inc = np.where(np.isfinite(ll[i]), (new - beta[i]) * ll[i], -np.inf)
            m = inc.max()
            log_evidence[i] += m + np.log(np.mean(np.exp(inc - m)))
            ess_log[i].append(float(_ess(inc)))
            pick = _systematic(inc, rng)
            rows = i * k + pick
            z[i * k : (i + 1) * k] = z[rows]
            owner[i * k : (i + 1) * k] = owner[rows]
            ll[i] = ll[i][pick]
            beta[i] = new
        for _ in range(n_moves if moving.any() else 1):
            xi = rng.standard_normal(z.shape)
            scale = np.repeat(rho, k)[:, None]
            proposal = np.sqrt(1 - scale**2) * z + scale * xi
            ll_new = cohort.score(proposal, owner)
            with np.errstate(invalid="ignore"):
                log_ratio = beta[:, None] * (ll_new - ll)
            log_ratio = np.where(np.isfinite(ll_new), np.nan_to_num(log_ratio, nan=0.0), -np.inf)
            accept = np.log(rng.random((r, k))) < log_ratio
            z[accept.reshape(-1)] = proposal[accept.reshape(-1)]
            ll = np.where(accept, ll_new, ll)
            rate = accept.mean(axis=1)
            for j in range(r):
                acc_log[j].append(float(rate[j]))
            rho = np.clip(
                np.where(rate < 0.2, rho * 0.7, np.where(rate > 0.4, rho * 1.3, rho)), 0.02, 1.0
            )
    return z, owner, ll, log_evidence, ess_log, acc_log


def _replicated_log_likelihood(cohort: _Cohort, z, owner, ll, seed: int) -> np.ndarray:
    """(R,) posterior predictive p-values: P(loglik of a replicated record <= the record's)."""
    run = cohort.simulate(z, owner)
    disc, patient = run.true_observables()
    index = np.arange(len(z)) + 7_000_000
    times = np.concatenate([np.tile(o.ages_years, (cohort.n, 1)) for o in cohort.obs])
    measured = measure(disc, patient, cohort.ps, seed, index, times_days=times * DAYS_PER_YEAR)
    out = np.full(len(cohort.records), np.nan)
    for i, o in enumerate(cohort.obs):
        if o.n_observed == 0:
            continue
        rows = slice(i * cohort.n, (i + 1) * cohort.n)
        rep = _like_record(o, measured, rows)
        d = {k: v[rows] for k, v in disc.items()}
        p = {k: v[rows] for k, v in patient.items()}
        ll_rep = np.array(
            [
                log_likelihood(
                    rep_j,
                    {k: v[j : j + 1] for k, v in d.items()},
                    {k: v[j : j + 1] for k, v in p.items()},
                    cohort.ps,
                    reader_error=cohort.reader_error,
                )[0]
                for j, rep_j in enumerate(rep)
            ]
        )
        out[i] = float(np.mean(ll_rep <= ll[i]))
    return out


def _like_record(o: Observations, measured: Measured, rows: slice) -> list[Observations]:
    """Replicated records with the record's missingness, one per candidate in ``rows``."""
    reps = []
    md, mp = measured.disc, measured.patient
    for j in range(rows.start, rows.stop):
        findings = {
            name: np.where(flags >= 0, md[name][j].astype(np.int8), -1).astype(np.int8)
            for name, flags in o.findings.items()
        }
        reps.append(
            Observations(
                o.ages_years,
                np.where(np.isfinite(o.t2_relative), md["t2_relative"][j], np.nan),
                np.where(np.isfinite(o.disc_height_index), md["disc_height_index"][j], np.nan),
                np.where(o.pfirrmann > 0, md["pfirrmann_grade"][j], 0).astype(np.int8),
                findings,
                np.where(np.isfinite(o.nrs), mp["nrs"][j], np.nan),
                np.where(np.isfinite(o.vas), mp["vas"][j], np.nan),
                np.where(np.isfinite(o.odi), mp["odi"][j], np.nan),
            )
        )
    return reps


def infer_twins(
    records: Sequence[PatientRecord],
    *,
    n_particles: int = 400,
    seed: int = 0,
    parameter_set: ParameterSet | None = None,
    engine: Engine | None = None,
    n_moves: int = 6,
    reader_error: float = DEFAULT_READER_ERROR,
    predictive_check: bool = True,
) -> list[TwinPosterior]:
    """Posteriors of several patients at once (one simulation per step for all of them).

    Records are grouped by their number of visit ages; each group is one batch. The result
    does not depend on the other records in the batch only through Monte Carlo error: every
    record has its own tempering, resampling and step sizes, but the random numbers are
    drawn for the batch (same records and seed: same result)."""
    ps = parameter_set or load_parameter_set()
    engine = engine or Engine()
    out: dict[int, TwinPosterior] = {}
    groups: dict[int, list[int]] = {}
    for i, rec in enumerate(records):
        groups.setdefault(len(rec.observations().ages_years), []).append(i)
    for n_visits, members in sorted(groups.items()):
        batch = [records[i] for i in members]
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(n_visits,)))
        cohort = _Cohort(batch, n_particles, seed, ps, engine, reader_error)
        if n_visits == 0:  # no data: the prior, conditional on the covariates
            z = rng.standard_normal((len(batch) * n_particles, cohort.dimension))
            owner = np.arange(len(z))
            ll = np.zeros((len(batch), n_particles))
            ev = np.zeros(len(batch))
            ess: list[list[float]] = [[] for _ in batch]
            acc: list[list[float]] = [[] for _ in batch]
            ppp = np.full(len(batch), np.nan)
        else:
            z, owner, ll, ev, ess, acc = _smc(cohort, rng, n_moves)
            ppp = (
                _replicated_log_likelihood(cohort, z, owner, ll, seed)
                if predictive_check
                else np.full(len(batch), np.nan)
            )
        pop = cohort.population(z, owner)
        for b, i in enumerate(members):
            rows = np.arange(b * n_particles, (b + 1) * n_particles)
            out[i] = TwinPosterior(
                record=records[i],
                population=pop.take(rows),
                z=z[rows],
                log_likelihood=ll[b],
                stages=len(ess[b]),
                ess=tuple(ess[b]),
                acceptance=tuple(acc[b]),
                log_evidence=float(ev[b]),
                ppp=float(ppp[b]),
            )
    return [out[i] for i in range(len(records))]


def infer_twin(record: PatientRecord, **kwargs) -> TwinPosterior:
    """The posterior of one patient's twin (see :func:`infer_twins` for the options)."""
    return infer_twins([record], **kwargs)[0]
