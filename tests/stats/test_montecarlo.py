"""Monte Carlo intervals of simulated rates against statsmodels and published values."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from disctwin.stats.montecarlo import mean_mcse, proportion_interval, rate

CASES = [(0, 20), (1, 20), (10, 20), (19, 20), (20, 20), (0, 2000), (97, 2000), (2000, 2000)]


@pytest.mark.parametrize(
    ("method", "statsmodels_method"), [("clopper_pearson", "beta"), ("wilson", "wilson")]
)
@pytest.mark.parametrize(("x", "n"), CASES)
def test_intervals_equal_statsmodels_proportion_confint(method, statsmodels_method, x, n):
    low, high = proportion_interval(x, n, method=method)
    ref_low, ref_high = proportion_confint(x, n, alpha=0.05, method=statsmodels_method)
    assert float(low) == pytest.approx(ref_low, abs=1e-12)
    assert float(high) == pytest.approx(ref_high, abs=1e-12)


def test_intervals_vectorised_and_at_other_levels():
    x, n = np.array([0, 3, 50]), np.array([10, 40, 50])
    low, high = proportion_interval(x, n, level=0.9)
    ref = proportion_confint(x, n, alpha=0.1, method="beta")
    np.testing.assert_allclose(low, ref[0], atol=1e-12)
    np.testing.assert_allclose(high, ref[1], atol=1e-12)


def test_published_values():
    """Clopper-Pearson for 0 of n has the closed form 1 - (alpha/2)^(1/n) (the 'rule of
    three' is its one-sided approximation); Newcombe (1998) Stat Med 17:857, Table I:
    81/263 gives Wilson 0.2553-0.3662 and exact 0.2527-0.3676."""
    assert float(proportion_interval(0, 20)[1]) == pytest.approx(1 - 0.025 ** (1 / 20))
    low, high = proportion_interval(81, 263, method="wilson")
    assert (round(float(low), 4), round(float(high), 4)) == (0.2553, 0.3662)
    low, high = proportion_interval(81, 263)
    assert (round(float(low), 4), round(float(high), 4)) == (0.2527, 0.3676)


def test_a_rate_of_zero_or_one_has_a_non_degenerate_interval():
    """The defect: sqrt(p(1-p)/R) is 0 at p = 0 or 1, so '0.00 +- 0.00' after 20 trials."""
    zero, one = rate(np.zeros(20, dtype=bool)), rate(np.ones(20, dtype=bool))
    assert zero.estimate == 0.0 and zero.mcse == 0.0 and zero.high > 0.15
    assert one.estimate == 1.0 and one.low < 0.85 and one.high == 1.0
    some = rate([True, False, np.nan, True])  # NaN left out
    assert some.n == 3 and some.estimate == pytest.approx(2 / 3)
    assert some.mcse == pytest.approx(np.sqrt(2 / 9 / 3))
    assert np.isnan(rate([]).estimate)


def test_mean_mcse_is_sd_over_root_n():
    x = np.array([1.0, 2.0, 4.0, np.nan])
    mean, se = mean_mcse(x)
    assert mean == pytest.approx(7 / 3)
    assert se == pytest.approx(np.std([1.0, 2.0, 4.0], ddof=1) / np.sqrt(3))
    assert np.isnan(mean_mcse([1.0])[1])


def test_bad_arguments_raise():
    with pytest.raises(ValueError):
        proportion_interval(3, 2)
    with pytest.raises(ValueError):
        proportion_interval(1, 2, level=1.5)
    with pytest.raises(ValueError):
        proportion_interval(1, 2, method="wald")  # type: ignore[arg-type]
