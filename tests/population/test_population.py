"""Virtual populations: stated distributions, chunk independence, level correlation."""

from __future__ import annotations

import numpy as np
import pytest

from disctwin.params import load_covariate_set, load_parameter_set
from disctwin.population import sample_population


@pytest.fixture(scope="module")
def population():
    return sample_population(6000, seed=5)


def test_a_slice_equals_the_same_patients_drawn_alone(population):
    part = sample_population(seed=5, patient_index=np.arange(1234, 1241))
    np.testing.assert_array_equal(part.parameters, population.parameters[1234:1241])
    for name, values in part.covariates.items():
        np.testing.assert_array_equal(values, population.covariates[name][1234:1241])


def test_different_seeds_give_different_patients(population):
    other = sample_population(20, seed=6)
    assert not np.allclose(other.parameters, population.parameters[:20])


def test_covariate_frequencies_match_their_distributions(population):
    cs = load_covariate_set()
    n = len(population)
    for name in ("smoker", "manual_labour", "female", "depression"):
        p = cs[name].p
        observed = population.covariates[name].mean()
        assert abs(observed - p) < 4 * np.sqrt(p * (1 - p) / n), name
    bmi = population.covariates["bmi"]
    assert abs(bmi.mean() - cs["bmi"].mean) < 0.3
    assert abs(bmi.std() - cs["bmi"].sd) < 0.4
    grs = population.covariates["genetic_risk_score"]
    assert abs(grs.mean()) < 0.06 and abs(grs.std() - 1) < 0.05


def test_diabetes_risk_rises_with_bmi(population):
    bmi, dm = population.covariates["bmi"], population.covariates["diabetes"]
    assert dm[bmi > 32].mean() > dm[bmi < 24].mean()


def test_between_level_correlation_matches_the_variance_components(population):
    """log value = log median + w_p z_patient + w_d z_disc, clipped to the plausible range:
    the correlation between two levels of a patient is w_p^2 / (w_p^2 + w_d^2) before
    clipping; the reference applies the same clipping to independent normals (NumPy)."""
    spec = load_parameter_set()["fissure_rate"]
    w_p = np.sqrt(np.log1p(spec.between_patient_cv**2))
    w_d = np.sqrt(np.log1p(spec.between_disc_cv**2))
    z = np.random.default_rng(0).standard_normal((200_000, 3))
    low, high = np.log(spec.range)
    ref = np.clip(np.log(spec.value) + w_p * z[:, :1] + w_d * z[:, 1:], low, high)
    expected = np.corrcoef(ref[:, 0], ref[:, 1])[0, 1]
    if np.all((ref > low) & (ref < high)):
        assert abs(expected - w_p**2 / (w_p**2 + w_d**2)) < 0.01
    x = np.log(population.parameter("fissure_rate"))
    r = np.corrcoef(x[:, 0], x[:, 3])[0, 1]
    assert abs(r - expected) < 0.03  # SE of r at n = 6000 is about 0.007


def test_log_normal_variability_keeps_the_median(population):
    spec = load_parameter_set()["endplate_decline_rate"]
    median = np.median(population.parameter("endplate_decline_rate"))
    assert abs(median / spec.value - 1) < 0.05
