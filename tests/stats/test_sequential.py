"""Group-sequential boundaries against published tables, SciPy's multivariate normal and
Monte Carlo."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from disctwin.errors import ConfigError
from disctwin.stats.sequential import (
    boundaries,
    crossing_probabilities,
    fixed_sample_drift,
    maximum_information,
    spending_function,
    wang_tsiatis,
)


def _equal(k: int) -> np.ndarray:
    return np.arange(1, k + 1) / k


# One-sided alpha 0.025, Lan-DeMets spending, equally spaced looks. Sources: gsDesign
# (Anderson, R package) gsDesign(k, test.type=1, sfu=sfLDOF / sfLDPocock); Reboussin, DeMets,
# Kim & Lan (2000) Control Clin Trials 21:190 (ldbounds), the 5-look O'Brien-Fleming example;
# DeMets & Lan (1994) Stat Med 13:1341 (Pocock type, 5 looks).
PUBLISHED_SPENDING = [
    ("obrien_fleming", 2, [2.963, 1.969]),
    ("obrien_fleming", 3, [3.710, 2.511, 1.993]),
    ("obrien_fleming", 5, [4.877, 3.357, 2.680, 2.290, 2.031]),
    ("pocock", 2, [2.157, 2.201]),
    ("pocock", 5, [2.438, 2.427, 2.410, 2.397, 2.386]),
]


@pytest.mark.parametrize(("spending", "looks", "published"), PUBLISHED_SPENDING)
def test_lan_demets_boundaries_match_published_values(spending, looks, published):
    b = boundaries(_equal(looks), alpha=0.025, spending=spending)
    np.testing.assert_allclose(b.efficacy, published, atol=6e-4)
    np.testing.assert_allclose(b.alpha_spent[-1], 0.025)


# Classical (fixed-K) boundaries, two-sided alpha 0.05, power 0.9. Jennison & Turnbull (2000):
# Table 2.1 (Pocock C_P) and 2.2 (its inflation factor R_P), Table 2.3 (O'Brien-Fleming C_B)
# and 2.4 (R_B). O'Brien-Fleming 2 looks: b = 1.977 * (sqrt 2, 1) = 2.797, 1.977; 3 looks:
# 3.471, 2.454, 2.004.
PUBLISHED_CLASSICAL = [
    (0.0, 2, 1.977, 1.007),
    (0.0, 3, 2.004, 1.016),
    (0.0, 5, 2.040, 1.026),
    (0.5, 2, 2.178, 1.100),
    (0.5, 5, 2.413, 1.207),
]


@pytest.mark.parametrize(("shape", "looks", "constant", "inflation"), PUBLISHED_CLASSICAL)
def test_wang_tsiatis_constants_and_inflation_factors(shape, looks, constant, inflation):
    t = _equal(looks)
    b = wang_tsiatis(t, alpha=0.05, shape=shape, beta=0.1, sides=2)
    np.testing.assert_allclose(b.efficacy, constant * t ** (shape - 0.5), atol=6e-4 * np.sqrt(5))
    assert b.efficacy[-1] == pytest.approx(constant, abs=6e-4)
    assert b.inflation_factor == pytest.approx(inflation, abs=6e-4)


def test_classical_obrien_fleming_one_sided_values_of_the_brief():
    # one-sided 0.025 differs from two-sided 0.05 only by the (negligible) paths that cross
    # below -b before crossing b
    np.testing.assert_allclose(wang_tsiatis(_equal(2)).efficacy, [2.797, 1.977], atol=1e-3)
    np.testing.assert_allclose(wang_tsiatis(_equal(3)).efficacy, [3.471, 2.454, 2.004], atol=1e-3)


def test_recursion_agrees_with_scipy_multivariate_normal():
    t = np.array([0.3, 0.55, 0.8, 1.0])  # unequal spacing
    b = boundaries(t, spending="pocock")
    cov = np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))
    drift = 2.5
    mean = drift * np.sqrt(t)
    rng = np.random.default_rng(5)
    mvn = stats.multivariate_normal

    def no_crossing(k):  # P(Z_1 < b_1, ..., Z_k < b_k)
        return mvn.cdf(b.efficacy[:k], mean[:k], cov[:k, :k], abseps=1e-7, releps=1e-7, rng=rng)

    expected = [1 - no_crossing(1)] + [no_crossing(k) - no_crossing(k + 1) for k in range(1, 4)]
    np.testing.assert_allclose(crossing_probabilities(b, drift).upper, expected, atol=2e-6)
    null = 1 - mvn.cdf(b.efficacy, np.zeros(4), cov, abseps=1e-7, releps=1e-7, rng=rng)
    assert null == pytest.approx(0.025, abs=2e-6)


def _brownian(rng, t, drift, n):
    increments = rng.standard_normal((n, t.size)) * np.sqrt(np.diff(np.concatenate([[0], t])))
    score = np.cumsum(increments, axis=1) + drift * t  # S(t) = W(t) + drift t, Z = S / sqrt(t)
    return score / np.sqrt(t)


def test_type_one_error_and_stopping_probabilities_by_monte_carlo():
    t = np.array([0.25, 0.5, 0.75, 1.0])
    b = boundaries(t, spending="obrien_fleming", futility="pocock", beta=0.15)
    rng = np.random.default_rng(2026)
    n = 200_000
    z = _brownian(rng, t, 0.0, n)
    crossed = (z >= b.efficacy).any(axis=1)  # futility non-binding: ignored under H0
    se = np.sqrt(0.025 * 0.975 / n)
    assert abs(crossed.mean() - 0.025) < 4 * se
    z = _brownian(rng, t, b.drift, n)
    eff = z >= b.efficacy
    fut = z <= b.futility
    stop = eff | fut
    first = np.where(stop.any(axis=1), stop.argmax(axis=1), -1)
    predicted = crossing_probabilities(b, b.drift)
    for k in range(t.size):
        simulated_eff = np.mean((first == k) & eff[np.arange(n), first])
        simulated_fut = np.mean((first == k) & fut[np.arange(n), first] & ~eff[np.arange(n), first])
        tol = 4 * np.sqrt(0.25 / n)
        assert abs(simulated_eff - predicted.upper[k]) < tol
        assert abs(simulated_fut - predicted.lower[k]) < tol


def test_futility_spends_beta_and_meets_efficacy_at_the_last_look():
    t = _equal(5)
    b = boundaries(t, futility="obrien_fleming", beta=0.1)
    assert b.futility[-1] == b.efficacy[-1]
    assert np.all(b.futility <= b.efficacy)
    at_alternative = crossing_probabilities(b, b.drift)
    np.testing.assert_allclose(np.cumsum(at_alternative.lower), b.beta_spent, atol=1e-8)
    assert at_alternative.power == pytest.approx(0.9, abs=1e-8)
    np.testing.assert_allclose(b.beta_spent, spending_function(t, 0.1, "obrien_fleming"))
    # futility costs information: more than without it, and the trial stops earlier on average
    plain = boundaries(t, beta=0.1)
    assert b.inflation_factor > plain.inflation_factor > 1
    null = crossing_probabilities(b, 0.0)
    assert null.expected_information_fraction < 0.7
    ignored = crossing_probabilities(b, 0.0, use_futility=False)
    assert ignored.power == pytest.approx(0.025, abs=1e-9)


def test_maximum_information_for_a_fixed_design_is_the_textbook_sample_size():
    single = boundaries([1.0], alpha=0.025, beta=0.1)
    assert single.drift == pytest.approx(fixed_sample_drift(0.025, 0.1), rel=1e-8)
    # n per arm = 2 (z_a + z_b)^2 / delta^2 = 84.06 for a standardised effect of 0.5
    assert 2 * maximum_information(single, 0.5) == pytest.approx(84.06, abs=0.01)
    seq = boundaries(_equal(5), spending="pocock")
    assert seq.maximum_information(0.5) == pytest.approx(
        seq.inflation_factor * maximum_information(single, 0.5), rel=1e-8
    )


def test_bad_arguments_name_field_and_allowed_values():
    with pytest.raises(ConfigError) as err:
        boundaries([0.5, 0.4, 1.0], alpha=0.7, spending="obrien-fleming")
    problems = {p.field: p for p in err.value.problems}
    assert set(problems) == {"information_fractions", "alpha", "spending"}
    assert problems["spending"].suggestion == "obrien_fleming"
    with pytest.raises(ConfigError, match="two-sided"):
        boundaries([0.5, 1.0], futility="pocock", sides=2)
    with pytest.raises(ConfigError, match="ending at 1"):
        boundaries([0.5, 0.9])
