"""Published comparator and control-arm anchors, each a simulated trial of a protocol in
examples/protocols/ modelled on its source (issue 7). Values from
disctwin/data/control_and_comparator_arms.csv (sources named there). Nguyen 2017:
test_nguyen2017.py."""

from __future__ import annotations

import numpy as np
from published_trials import published as _published
from published_trials import row as _row
from published_trials import trial as _trial

from disctwin.trial.nonspecific import PARTS, response_parts


def test_chou2015_epidural_steroid_vs_placebo_short_term_benefit_only():
    """Chou 2015: -7.55/100 at 2-4 weeks, about 0 at 12 months."""
    short = float(_published("Chou 2015", "0.5", "pain weighted mean difference"))
    result = _trial("chou2015_epidural_steroid", 200, seed=3)
    w3, m12 = _row(result, "vas_change_w3"), _row(result, "vas_change_m12")
    assert abs(w3.truth - short) <= 4.0  # the simulated patients' mean effect
    assert abs(w3.estimate - short) <= 4.0  # what the trial estimates
    assert abs(m12.truth) <= 2.0 and not m12.significant


def test_vowles2015_misuse_and_addiction_on_a_year_of_opioids():
    """Vowles 2015: misuse 21-29%, addiction 8-12% of patients on long-term opioids."""
    result = _trial("vowles2015_long_term_opioids", 300, seed=4)
    ae = result.adverse_events
    share = {t: ae[ae.term == t].row.nunique() / result.n_enrolled for t in set(ae.term)}
    misuse = [float(x) / 100 for x in _published("Vowles 2015", "", "misuse prevalence").split("-")]
    addiction = [
        float(x) / 100 for x in _published("Vowles 2015", "", "addiction prevalence").split("-")
    ]
    assert misuse[0] <= share["opioid_misuse"] <= misuse[1]
    assert addiction[0] <= share["opioid_addiction"] <= addiction[1]
    assert share.get("opioid_overdose", 0.0) < 0.03
    # opioid use is observed at the visits: on the year's course at month 12, off after it
    off12, off15 = _row(result, "off_opioids_m12"), _row(result, "off_opioids_m15")
    assert off12.truth == 0.0 and off12.estimate == 0.0
    assert off15.truth == 1.0 and off15.estimate > 0.8  # missed visits count as not off
    mme = result.observed.opioid_mme
    assert np.all(mme[:, :2] == 0) and np.all(mme[result.observed.attended[:, 3], 3] == 60.0)


def test_vast_saline_arm_improvement_is_mostly_regression_to_the_mean_and_natural_course():
    """VAST: intradiscal saline improves VAS by 30.5 mm at 12 months; the model's sham
    response is built from named parts, reported with their shares."""
    result = _trial("vast_saline_control", 100, seed=6)
    parts = response_parts(result, "saline", "month12")
    assert set(parts.parts) == set(PARTS)
    assert np.isclose(sum(parts.parts.values()), parts.total)
    arm = [a.name for a in result.protocol.arm].index("saline")
    fu = result.worlds["saline_intradiscal"].follow_up
    rows = result.arm == arm
    assert np.isclose(np.mean(fu.vas[rows, 1] - fu.vas[rows, 3]), parts.total)
    assert parts.total > 0
    nonspecific = parts.parts["regression_to_the_mean"] + parts.parts["natural_course"]
    assert nonspecific > 0.5 * parts.total
    assert parts.parts["regression_to_the_mean"] > 0  # enrolled at a pain peak
    assert 0 <= parts.parts["expectation"] < 0.5 * parts.total  # decayed by 12 months
