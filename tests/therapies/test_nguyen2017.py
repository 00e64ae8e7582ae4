"""Nguyen 2017: intradiscal glucocorticoid at discography vs discography alone in chronic
low back pain with Modic 1 changes, simulated on examples/protocols/
nguyen2017_intradiscal_steroid.toml (values from control_and_comparator_arms.csv). Pain is
read on the NRS as Nguyen read it (LBP < 40/100 on an 11-point scale: NRS < 4), among
patients whose pain has been at least moderate for 3 months (tertiary referral)."""

from __future__ import annotations

import numpy as np
import pytest
from published_trials import ARMS
from published_trials import arm_rates as _arm_rates
from published_trials import row as _row
from published_trials import trial as _trial

# population-scale or published-trial checks: the full suite (CI) runs them
pytestmark = pytest.mark.slow

#: Trial replicates (seeds) over which the Nguyen 2017 arms are averaged.
NGUYEN_SEEDS = (5, 6, 7, 8, 9, 10)


@pytest.fixture(scope="module")
def nguyen():
    return [_trial("nguyen2017_intradiscal_steroid", 135, seed=s) for s in NGUYEN_SEEDS]


def test_nguyen2017_intradiscal_steroid_in_modic_1_responders_at_1_month_not_at_12(nguyen):
    """Nguyen 2017 (CLBP with Modic 1 changes): responders (LBP < 40/100) 55.4% vs 33.3% at
    1 month, no difference at 12 months. Each arm's rate, mean over the replicates, within 8
    points of the published one."""
    rows = [r for r in ARMS if r["study"] == "Nguyen 2017" and str(r["timepoint_months"]) == "1"]
    published = {
        "prednisolone": float(next(r["value"] for r in rows if "prednisolone" in r["arm"])),
        "discography": float(next(r["value"] for r in rows if "sham" in r["arm"])),
    }
    for trial in nguyen:  # every patient has Modic 1 at the injected (index) level
        levels = trial.screening.disc["modic_1"] > 0
        assert levels.any(axis=1).all()
    m1 = {a: np.mean([_arm_rates(t, "responder_m1")[a] for t in nguyen]) for a in published}
    for arm, rate in published.items():
        assert abs(100 * m1[arm] - rate) <= 8.0, (arm, m1[arm])
    # the effect is the steroid's (noise-matched truth), and gone by 12 months
    assert np.mean([_row(t, "responder_m1").truth for t in nguyen]) > 0.1
    m12 = [_row(t, "responder_m12") for t in nguyen]
    assert abs(np.mean([r.truth for r in m12])) < 0.05
    assert sum(r.significant for r in m12) <= 1
