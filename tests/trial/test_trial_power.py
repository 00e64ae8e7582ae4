"""Simulated power against the analytic two-sample formula.

A continuous endpoint with a known effect and SD: R two-arm trials whose change from
baseline is ``delta * treated + beta * (baseline - 60) + N(0, sigma^2)``, each analysed by the
trial's ANCOVA and summarised by :func:`operating_characteristics`. The rejection rate must
match the power of the two-sample t-test (statsmodels ``TTestIndPower``, effect size
``delta / sigma``) within 3 percentage points (MC SE about 0.9 points at R = 3000), and the
``analytic_power`` column (computed from the trials' own estimates) must equal that formula.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.power import TTestIndPower

from disctwin.trial.analysis import ancova
from disctwin.trial.replicates import analytic_power, operating_characteristics

R = 3000
PER_ARM = 25
SIGMA = 18.0


def _replicate_rows(delta: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    treated = np.repeat([0.0, 1.0], PER_ARM)
    rows = []
    for r in range(R):
        base = rng.normal(60.0, 10.0, 2 * PER_ARM)
        change = delta * treated - 0.4 * (base - 60.0) + rng.normal(0.0, SIGMA, 2 * PER_ARM)
        e = ancova(change, base, treated)
        rows.append(
            {
                "replicate": r,
                "endpoint": "vas_change",
                "comparison": "treated vs control",
                "kind": "change",
                "method": "ancova",
                "primary": True,
                "estimate": e.estimate,
                "se": e.se,
                "n": e.n,
                "truth": delta,
                "covered": e.ci_low <= delta <= e.ci_high,
                "significant": e.p_value < 0.05,
                "success": e.p_value < 0.05 and e.estimate < 0,
                "n_enrolled": 2 * PER_ARM,
                "n_screened": 2 * PER_ARM,
                "under_enrolled": False,
                "stopped_at_look": 1,
                "decision": "final",
            }
        )
    return pd.DataFrame(rows)


@pytest.mark.parametrize("delta", [-10.0, -14.0])
def test_simulated_power_matches_the_two_sample_formula(delta):
    oc = operating_characteristics(_replicate_rows(delta, seed=int(-delta))).iloc[0]
    formula = TTestIndPower().power(abs(delta) / SIGMA, PER_ARM, 0.05, ratio=1.0)
    assert 0.3 < formula < 0.95
    assert abs(oc["rejection_rate"] - formula) < 0.03, (oc["rejection_rate"], formula)
    # the analytic column, from the trials' estimated SE, is the same formula
    assert abs(oc["analytic_power"] - formula) < 0.02
    assert abs(oc["coverage"] - 0.95) < 0.015


def test_analytic_power_is_the_t_test_formula_and_alpha_without_effect():
    se = SIGMA * np.sqrt(2 / PER_ARM)
    for d in (0.0, 5.0, 12.0):
        expected = TTestIndPower().power(d / SIGMA, PER_ARM, 0.05, ratio=1.0, df=2 * PER_ARM - 2)
        assert np.isclose(analytic_power(d, se, 2 * PER_ARM - 2, 0.05), expected, rtol=1e-9)
    assert np.isclose(analytic_power(0.0, se, 48, 0.05), 0.05)
    assert np.isnan(analytic_power(1.0, 0.0, 48, 0.05))
