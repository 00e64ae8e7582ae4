"""Serial scans read side by side (issue 21): a reader's misreading of a disc is correlated
across its scans, so repeated scans no longer invent progression."""

from __future__ import annotations

import numpy as np
import pytest

from disctwin.engine import simulate
from disctwin.errors import ConfigError
from disctwin.model.observables import measure
from disctwin.population import sample_population
from disctwin.units import DAYS_PER_YEAR

N = 1500


@pytest.fixture(scope="module")
def cohort():
    pop = sample_population(N, seed=4242)
    ages = np.array([45.0, 45.0, 49.0]) * DAYS_PER_YEAR  # the same day twice, then 4 years on
    run = simulate(pop, ages_days=ages)
    return pop, *run.true_observables()


def _grades(cohort, reading, ps=None, noise=True):
    pop, disc, patient = cohort
    ps = ps or pop.parameter_set
    m = measure(disc, patient, ps, 4242, pop.patient_index, reading=reading, noise=noise)
    return m.disc["pfirrmann_grade"].astype(int), m.disc["t2_relative"]


def test_longitudinal_reading_changes_the_grade_only(cohort):
    g_cross, t2_cross = _grades(cohort, "cross_sectional")
    g_long, t2_long = _grades(cohort, "longitudinal")
    np.testing.assert_array_equal(t2_cross, t2_long)  # the scanner's noise is the same
    assert (g_cross != g_long).any()
    # without noise there is nothing to read differently
    np.testing.assert_array_equal(
        _grades(cohort, "cross_sectional", noise=False)[0],
        _grades(cohort, "longitudinal", noise=False)[0],
    )


def test_a_perfectly_consistent_reader_of_a_noise_free_scanner_sees_no_change(cohort):
    ps = cohort[0].parameter_set
    exact = ps.replace("exact", t2_cv=0.0, disc_height_cv=0.0, pfirrmann_rereading_correlation=1.0)
    g, _ = _grades(cohort, "longitudinal", exact)
    np.testing.assert_array_equal(g[:, 0], g[:, 1])  # the same disc, read twice
    g_cross, _ = _grades(cohort, "cross_sectional", exact)
    assert (g_cross[:, 0] != g_cross[:, 1]).mean() > 0.15  # read afresh: ~26% differ


def test_serial_reading_no_longer_invents_progression(cohort):
    """The share of people whose grade rises at >= 1 level between two scans: of the same
    day (no change) and 4 years apart, against the noise-free reading."""
    g_true, _ = _grades(cohort, "cross_sectional", noise=False)
    g_cross, _ = _grades(cohort, "cross_sectional")
    g_long, _ = _grades(cohort, "longitudinal")

    def rising(g, a, b):
        return float(np.mean((g[:, b] > g[:, a]).any(axis=-1)))

    same_cross, same_long = rising(g_cross, 0, 1), rising(g_long, 0, 1)
    assert same_long < 0.75 * same_cross  # an unchanged spine "progresses" less often
    true4, cross4, long4 = rising(g_true, 0, 2), rising(g_cross, 0, 2), rising(g_long, 0, 2)
    assert cross4 > long4 > true4 * 0.9
    assert abs(long4 - true4) < abs(cross4 - true4)
    print(
        f"grade rising at >= 1 level: same day {same_cross:.3f} read afresh vs "
        f"{same_long:.3f} side by side; over 4 years {cross4:.3f} vs {long4:.3f} "
        f"(noise-free reading {true4:.3f})"
    )


def test_an_unknown_reading_is_refused(cohort):
    with pytest.raises(ConfigError, match="reading"):
        _grades(cohort, "sideways")
