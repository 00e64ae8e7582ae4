"""The natural course of pain: an exact, visit-set-independent Ornstein-Uhlenbeck process.

Reference: the stationary OU process with time-scale tau has Cov(X_s, X_t) = exp(-|t-s|/tau)
and, given X_s, X_t ~ N(rho X_s, 1 - rho^2) with rho = exp(-|t-s|/tau) (e.g. Gardiner,
Handbook of Stochastic Methods, 3.8.4). Sample moments are checked against these with SciPy.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from disctwin.errors import ConfigError
from disctwin.model.observables import (
    measure,
    ou_from_normals,
    ou_on_grid,
    pain_fluctuation,
    pain_fluctuations,
)
from disctwin.params import load_parameter_set

TAU = 12.0
N = 6000
# visits inside one block, on a block boundary (365) and across blocks (the path is drawn
# at the boundaries and bridged inside: PAIN_BLOCK_DAYS)
DAYS = np.array([200.0, 203.5, 215.0, 260.0, 361.0, 365.0, 370.2, 740.0])  # 203.5 is day 203


@pytest.fixture(scope="module", params=[TAU, 300.0], ids=["tau12", "tau300"])
def paths(request):
    tau = request.param
    return (
        DAYS,
        tau,
        pain_fluctuation(seed=4, patient_index=np.arange(N), times_days=DAYS, timescale_days=tau),
    )


def test_marginals_are_standard_normal(paths):
    _, _, x = paths
    for j in range(x.shape[1]):
        assert stats.kstest(x[:, j], "norm").pvalue > 1e-3


def test_covariance_is_the_analytic_ou_covariance(paths):
    days, tau, x = paths
    d = np.floor(days)
    expected = np.exp(-np.abs(d[:, None] - d[None, :]) / tau)
    sample = np.corrcoef(x, rowvar=False)
    # SE of a sample correlation r is about (1 - r^2) / sqrt(N)
    se = (1 - expected**2) / np.sqrt(N) + 1e-12
    assert np.all(np.abs(sample - expected) < 5 * se + 1e-9), (sample, expected)


@pytest.mark.parametrize(("a", "b"), [(1, 2), (4, 6), (5, 7)])
def test_conditional_law_between_visits_is_exact(paths, a, b):
    days, tau, x = paths
    rho = np.exp(-(np.floor(days[b]) - np.floor(days[a])) / tau)
    fit = stats.linregress(x[:, a], x[:, b])
    assert abs(fit.slope - rho) < 4 * fit.stderr
    resid = x[:, b] - fit.intercept - fit.slope * x[:, a]
    # residual variance 1 - rho^2: chi-square interval for the sample variance
    lo, hi = stats.chi2.ppf([0.0005, 0.9995], N - 2) / (N - 2) * (1 - rho**2)
    assert lo < resid.var(ddof=2) < hi


def test_block_construction_is_the_daily_ar1_bridged_between_block_ends():
    """Inside a block the days follow the AR(1) recursion of the OU process exactly (a
    bridge of the daily path), and the block ends agree from both sides."""
    tau = 40.0
    days = np.arange(700.0, 760.0)  # crosses the boundary at 730
    x = pain_fluctuation(2, np.arange(3000), days, tau)
    rho = np.exp(-1 / tau)
    # one-step regression of each day on the day before: slope rho, residual sd sqrt(1-rho^2)
    prev, nxt = x[:, :-1].ravel(), x[:, 1:].ravel()
    fit = stats.linregress(prev, nxt)
    assert abs(fit.slope - rho) < 4 * fit.stderr
    resid = nxt - fit.slope * prev - fit.intercept
    assert abs(resid.std() / np.sqrt(1 - rho**2) - 1) < 0.02
    # the block end (day 730) requested alone equals its value in the daily path
    assert np.array_equal(pain_fluctuation(2, np.arange(3000), [730.0], tau)[:, 0], x[:, 30])


def test_daily_recursion_matches_the_stationary_ar1():
    z = np.random.default_rng(1).standard_normal((3, 50))
    x = ou_from_normals(z, 5.0)
    rho = np.exp(-1 / 5.0)
    assert np.allclose(x[:, 0], z[:, 0])
    assert np.allclose(x[:, 1:], rho * x[:, :-1] + np.sqrt(1 - rho**2) * z[:, 1:])


@pytest.mark.parametrize("tau", [3.0, 140.0, 2000.0])
def test_grid_path_is_the_daily_path_at_the_grid_days(tau):
    z = np.random.default_rng(4).standard_normal((5, 12_000))
    daily = ou_from_normals(z, tau)
    days = np.arange(10_592, 11_990, 7)
    grid = ou_on_grid(z, tau, 10_592, 7, len(days))
    assert np.allclose(grid, daily[:, days], rtol=0, atol=1e-9)
    assert np.allclose(ou_on_grid(z, tau, 0, 1, 50), daily[:, :50], rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="outside"):
        ou_on_grid(z, tau, 11_000, 7, 1000)


def test_values_do_not_depend_on_other_visits_their_order_or_the_chunk():
    index = np.arange(40, 60)
    many = pain_fluctuation(9, index, np.array([1000.0, 5000.2, 9000.0, 30000.0]), 30.0)
    alone = pain_fluctuation(9, index, np.array([5000.9]), 30.0)
    reversed_ = pain_fluctuation(9, index, np.array([30000.0, 5000.0]), 30.0)
    chunk = pain_fluctuation(9, index[5:8], np.array([5000.0]), 30.0)
    assert np.array_equal(many[:, 1], alone[:, 0])
    assert np.array_equal(many[:, 1], reversed_[:, 1])
    assert np.array_equal(many[:, 3], reversed_[:, 0])
    assert np.array_equal(many[5:8, 1], chunk[:, 0])
    other_seed = pain_fluctuation(10, index, np.array([5000.0]), 30.0)
    assert not np.array_equal(alone, other_seed)


def _true(n, m, mean_pain):
    disc = {
        "t2_relative": np.ones((n, m, 5)),
        "disc_height_relative": np.ones((n, m, 5)),
        "annular_damage_extent": np.zeros((n, m, 5)),
        "herniation": np.zeros((n, m, 5)),
        "marrow_oedema": np.zeros((n, m, 5)),
    }
    patient = {
        "pain_latent": np.full((n, m), mean_pain),
        "pain_reported_mean": np.full((n, m), mean_pain),
        "fear_avoidance_z": np.zeros((n, m)),
    }
    return disc, patient


def test_patients_enrolled_at_a_pain_peak_regress_towards_their_mean():
    ps = load_parameter_set("uncalibrated")
    n = 3000
    weeks = np.array([0, 6, 26, 52]) * 7.0 + 40 * 365.25
    disc, patient = _true(n, len(weeks), 4.0)
    m = measure(disc, patient, ps, 3, np.arange(n), times_days=weeks)
    vas = m.patient["vas"]
    peak = vas[:, 0] >= 50
    assert peak.sum() > 100
    # selected at a peak: large fall by 6 weeks, then a plateau near everyone's mean
    assert vas[peak, 0].mean() - vas[peak, 1].mean() > 15
    assert abs(vas[peak, 3].mean() - vas[:, 3].mean()) < 5
    # unselected: no trend (stationary natural course)
    assert abs(vas[:, 0].mean() - vas[:, 3].mean()) < 3
    # pain-free days report zero, and they happen
    free = m.patient["pain_today"] == 0
    assert free.any() and np.all(m.patient["nrs"][free] == 0) and np.all(vas[free] == 0)


def test_without_visit_ages_measure_keeps_the_cross_sectional_reading():
    ps = load_parameter_set("uncalibrated")
    disc, patient = _true(200, 2, 4.0)
    m = measure(disc, patient, ps, 3, np.arange(200))
    assert "pain_today" in m.patient
    # no episode process and no pain-free offset: mean pain stays at the expected pain
    assert abs(m.patient["pain_today"].mean() - 4.0) < 0.3


def test_noise_free_visits_read_the_expected_pain_minus_the_offset():
    ps = load_parameter_set("uncalibrated")
    disc, patient = _true(5, 3, 4.0)
    m = measure(disc, patient, ps, 3, np.arange(5), noise=False, times_days=[1e4, 2e4, 3e4])
    assert np.allclose(m.patient["pain_today"], 4.0 - ps["pain_free_offset"].value)


@pytest.mark.parametrize("times", [np.zeros((2, 3)), np.array([1.0, np.nan, 3.0])])
def test_bad_visit_ages_are_user_errors(times):
    ps = load_parameter_set("uncalibrated")
    disc, patient = _true(4, 3, 1.0)
    with pytest.raises(ConfigError):
        measure(disc, patient, ps, 1, np.arange(4), times_days=times)


def _block_by_block(seed, patient_index, times_days, taus):
    """The pain course filtered one patient and one block at a time with scipy's lfilter
    (the construction pain_fluctuations vectorises; kept here as its reference)."""
    from scipy.signal import lfilter

    from disctwin.model.observables import PAIN_BLOCK_DAYS, _bridge_coefficients, ou_from_normals
    from disctwin.streams import Stream, patient_generator

    days = np.floor(np.asarray(times_days, dtype=float)).astype(np.int64)
    out = np.empty((*days.shape, len(taus)))
    coef = [_bridge_coefficients(tau) for tau in taus]
    for row, i in enumerate(patient_index):
        block, k = np.divmod(days[row], PAIN_BLOCK_DAYS)
        ends = patient_generator(seed, Stream.PAIN_COURSE, int(i)).standard_normal(
            (int(block.max()) + 2, len(taus))
        )
        for c, tau in enumerate(taus):
            ends[:, c] = ou_from_normals(ends[:, c], tau / PAIN_BLOCK_DAYS)
        for j in np.unique(block):
            z = patient_generator(seed, Stream.PAIN_COURSE, int(i), block=int(j)).standard_normal(
                (PAIN_BLOCK_DAYS, len(taus))
            )
            at = block == j
            for c, (rho, b, w) in enumerate(coef):
                y = np.empty(PAIN_BLOCK_DAYS + 1)
                y[0] = ends[j, c]
                y[1:], _ = lfilter([b], [1.0, -rho], z[:, c], zi=[rho * ends[j, c]])
                out[row, at, c] = (y + w * (ends[j + 1, c] - y[-1]))[k[at]]
    return out


def test_the_vectorised_pain_course_is_the_block_by_block_filter_bit_for_bit():
    rng = np.random.default_rng(77)
    n = 300  # more than one chunk of patients
    times = np.sort(rng.uniform(0, 60 * 365.25, (n, 9)), axis=1)
    index = rng.integers(0, 10**7, n)
    taus = [9.8, 130.8]
    got = pain_fluctuations(4, index, times, taus)
    np.testing.assert_array_equal(got, _block_by_block(4, index, times, taus))
