"""A patient's own twin: the record's schema, the observation model read backwards (checked
against the model's own measurement step), and the posterior's basic behaviour."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from disctwin.engine import simulate
from disctwin.errors import ConfigError
from disctwin.inference.twin import forecast, infer_twin, load_record, record_from_dict
from disctwin.inference.twin.likelihood import _grade_probabilities, _pain_terms, _Readings
from disctwin.inference.twin.record import Observations
from disctwin.model.observables import measure
from disctwin.params import load_parameter_set
from disctwin.population import sample_population
from disctwin.therapies import load_regimen
from disctwin.units import DAYS_PER_YEAR

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "patients" / "p0042.toml"
TODAY = dt.date(2026, 12, 1)


def test_a_record_can_give_every_covariate_of_the_model():
    from disctwin.inference.twin.record import Covariates
    from disctwin.model.equations import COVARIATES

    assert tuple(Covariates.model_fields) == COVARIATES


def test_the_example_record_loads():
    rec = load_record(EXAMPLE, today=TODAY)
    obs = rec.observations()
    assert len(obs.ages_years) == 2 and 45 < rec.age_now < 46
    assert obs.pfirrmann[1, 3] == 4 and np.isnan(obs.disc_height_index[1, 2])
    assert (
        obs.findings["disc_protrusion"][1, 3] == 1 and obs.findings["disc_protrusion"][0, 3] == -1
    )
    assert rec.known_covariates["female"] == 1.0 and "diabetes" not in rec.known_covariates


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"mri": [{"age_years": 40, "level": {"L4/5": {"pfirrmann": 6}}}]}, "pfirrmann"),
        ({"mri": [{"age_years": 40, "level": {"L4/5": {"t2_relative": -0.1}}}]}, "t2_relative"),
        ({"mri": [{"age_years": 40, "level": {"L45": {"pfirrmann": 3}}}]}, "mri[0].level"),
        ({"pain": [{"date": "2020-01-01", "nrs": 3}]}, "pain[0].date"),  # no date of birth
        (
            {"patient": {"born": "1980-01-01"}, "pain": [{"date": "2030-01-01", "nrs": 3}]},
            "pain[0].date",
        ),
        ({"pain": [{"age_years": 40, "nrs": 11}]}, "nrs"),
        ({"pain": [{"age_years": 40, "date": "2020-01-01", "nrs": 1}]}, "pain.0"),
        ({"covariates": {"bmi": 5}}, "covariates.bmi"),
        ({"covariates": {"height_cm": 170}}, "covariates.height_cm"),
    ],
)
def test_a_bad_record_names_the_field(data, field):
    with pytest.raises(ConfigError) as err:
        record_from_dict(data, today=TODAY)
    assert field in str(err.value)


def test_a_misspelled_level_gets_a_suggestion():
    with pytest.raises(ConfigError, match="L4/5"):
        record_from_dict({"mri": [{"age_years": 40, "level": {"L4-5": {}}}]}, today=TODAY)


def _truth(n: int = 1, age: float = 45.0):
    pop = sample_population(n, seed=5)
    run = simulate(pop, ages_days=np.array([age]) * DAYS_PER_YEAR)
    return pop, *run.true_observables()


def _empty_obs(v: int = 1) -> Observations:
    nan = np.full((v, 5), np.nan)
    return Observations(
        np.full(v, 45.0),
        nan.copy(),
        nan.copy(),
        np.zeros((v, 5), np.int8),
        {},
        np.full(v, np.nan),
        np.full(v, np.nan),
        np.full(v, np.nan),
    )


def test_grade_probabilities_match_the_models_own_reading():
    """The Pfirrmann grade read by measure() from many noisy scans of the same discs has the
    frequencies the likelihood assigns it."""
    ps = load_parameter_set()
    _, disc, patient = _truth()
    reps = 4000
    d = {k: np.repeat(v, reps, axis=0) for k, v in disc.items()}
    p = {k: np.repeat(v, reps, axis=0) for k, v in patient.items()}
    grades = measure(d, p, ps, 11, np.arange(reps)).disc["pfirrmann_grade"][:, 0, :]
    seen = np.ones((1, 5), dtype=bool)
    prob = _grade_probabilities(_Readings(_empty_obs(), disc, seen, ps), ps)[0]  # (5 levels, 5)
    for level in range(5):
        freq = np.bincount(grades[:, level], minlength=6)[1:] / reps
        np.testing.assert_allclose(freq, prob[level], atol=0.025)


def test_pain_report_probabilities_match_the_models_own_reports():
    """NRS reported on visit days (pain course, daily and recall noise) by measure(), for
    patients with the same expected pain, against the likelihood's probabilities."""
    ps = load_parameter_set()
    reps = 3000
    for mean in (3.0, 6.5, 8.0):
        patient = {
            "pain_reported_mean": np.full((reps, 1), mean),
            "pain_latent": np.full((reps, 1), mean),
            "fear_avoidance_z": np.zeros((reps, 1)),
        }
        disc = {
            k: np.full((reps, 1, 5), 0.8)
            for k in ("t2_relative", "disc_height_relative", "annular_damage_extent")
        } | {"herniation": np.zeros((reps, 1, 5)), "marrow_oedema": np.zeros((reps, 1, 5))}
        times = np.full((reps, 1), 45 * DAYS_PER_YEAR)
        nrs = measure(disc, patient, ps, 3, np.arange(reps), times_days=times).patient["nrs"][:, 0]
        freq = np.bincount(nrs, minlength=11) / reps
        probs = []
        for k in range(11):
            obs = _empty_obs()
            obs.nrs[0] = k
            probs.append(np.exp(_pain_terms(obs, {n: v[:1] for n, v in patient.items()}, ps))[0])
        assert abs(sum(probs) - 1) < 1e-9
        np.testing.assert_allclose(freq, probs, atol=0.04)


@pytest.mark.slow
def test_a_record_sharpens_the_twin_and_the_same_seed_gives_the_same_twin():
    pop, disc, patient = _truth()
    ps = pop.parameter_set
    m = measure(disc, patient, ps, 5, pop.patient_index)
    levels = {
        lv: {
            "t2_relative": float(m.disc["t2_relative"][0, 0, k]),
            "disc_height_index": float(m.disc["disc_height_index"][0, 0, k]),
        }
        for k, lv in enumerate(("L1/2", "L2/3", "L3/4", "L4/5", "L5/S1"))
    }
    rec = record_from_dict(
        {"mri": [{"age_years": 45.0, "level": levels}], "pain": [{"age_years": 45.0, "nrs": 4}]},
        today=TODAY,
    )
    post = infer_twin(rec, n_particles=120, seed=2)
    again = infer_twin(rec, n_particles=120, seed=2)
    np.testing.assert_array_equal(post.z, again.z)
    assert post.stages >= 2 and 0 <= post.ppp <= 1 and np.isfinite(post.log_evidence)
    assert min(post.ess) > 30  # the tempering keeps half the particles effective
    run = simulate(post.population, ages_days=np.array([45.0]) * DAYS_PER_YEAR)
    t2 = run.true_observables()[0]["t2_relative"][:, 0, 3]
    prior = sample_population(400, seed=99)
    t2_prior = simulate(prior, ages_days=np.array([45.0]) * DAYS_PER_YEAR).true_observables()[0][
        "t2_relative"
    ][:, 0, 3]
    assert np.std(t2) < 0.5 * np.std(t2_prior)  # the scan tells the twin its disc
    assert abs(np.median(t2) - disc["t2_relative"][0, 0, 3]) < 3 * np.std(t2) + 0.02
    quantiles, benefit = forecast(post, 5, [load_regimen("saline_intradiscal")])
    assert set(quantiles.strategy) == {"untreated", "saline_intradiscal"}
    assert len(benefit) == 1 and 0 <= benefit.p_benefit[0] <= 1
    row = quantiles[(quantiles.quantity == "t2_relative") & (quantiles.level == "L4/5")]
    assert (row.q05 <= row.q50).all() and (row.q50 <= row.q95).all()


@pytest.mark.slow
def test_without_data_the_twin_is_the_population_with_those_covariates():
    rec = record_from_dict(
        {
            "patient": {"born": "1980-01-01", "today": "2025-01-01"},
            "covariates": {"female": True, "smoker": True, "bmi": 31.0},
        },
        today=TODAY,
    )
    post = infer_twin(rec, n_particles=800, seed=4)
    assert post.stages == 0 and np.isnan(post.ppp)
    assert np.all(post.population.covariates["smoker"] == 1.0)
    quantiles, _ = forecast(post, 10)
    twin = quantiles[
        (quantiles.quantity == "t2_relative")
        & (quantiles.level == "L4/5")
        & np.isclose(quantiles.age_years, quantiles.age_years.max())
    ]["mean"].iloc[0]
    # the population with those covariates, independent draws
    pop = sample_population(800, seed=123)
    from disctwin.population.sampling import parameters_from_normals, variability_dimension

    cov = dict(pop.covariates) | {
        "female": np.ones(800),
        "smoker": np.ones(800),
        "bmi": np.full(800, 31.0),
    }
    z = np.random.default_rng(8).standard_normal(
        (800, variability_dimension(pop.parameter_set, pop.layout))
    )
    P = parameters_from_normals(pop.parameter_set, pop.layout, z, cov)
    from dataclasses import replace

    other = replace(pop, covariates=cov, parameters=P)
    age = quantiles.age_years.max()
    t2 = simulate(other, ages_days=np.array([age]) * DAYS_PER_YEAR).true_observables()[0][
        "t2_relative"
    ][:, 0, 3]
    assert abs(twin - t2.mean()) < 3 * t2.std() * np.sqrt(2 / 800)


@pytest.mark.slow
def test_a_record_the_model_cannot_produce_is_flagged():
    """Discs that rejuvenate (T2 0.35 at 40, 1.1 at 42 at every level) are no disc the model
    knows: the posterior predictive p-value says so."""
    levels = ("L1/2", "L2/3", "L3/4", "L4/5", "L5/S1")
    rec = record_from_dict(
        {
            "mri": [
                {"age_years": 40.0, "level": {lv: {"t2_relative": 0.35} for lv in levels}},
                {"age_years": 42.0, "level": {lv: {"t2_relative": 1.1} for lv in levels}},
            ]
        },
        today=TODAY,
    )
    post = infer_twin(rec, n_particles=100, seed=6)
    assert post.ppp < 0.01
