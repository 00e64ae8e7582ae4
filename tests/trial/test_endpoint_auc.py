"""Area under the pain curve: a hand-computed schedule, its truth, an example trial end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import statsmodels.formula.api as smf

from disctwin.errors import ConfigError
from disctwin.io.cdisc import adam_datasets, covariate_variables, parameters
from disctwin.trial import load_protocol, protocol_from_dict, simulate_trial
from disctwin.trial.endpoints import FollowUp, endpoint_truth, endpoint_values

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "protocols"

#: screening, baseline (day 0), visits on days 30, 91 and 182
DAYS = np.array([-14.0, 0.0, 30.0, 91.0, 182.0])
#: by hand, for VAS 60 at baseline then 50, 40, 30 (change 0, -10, -20, -30):
#: 30 (0 - 10)/2 + 61 (-10 - 20)/2 + 91 (-20 - 30)/2 = -150 - 915 - 2275
AREA_BY_HAND = -3340.0


def _protocol(per_day: bool = False, visit: str = "m6", analysis: str | None = None):
    return protocol_from_dict(
        {
            "study": {"id": "AUC", "n_patients": 10},
            "eligibility": [
                {"name": "pain", "variable": "vas", "min": 40},
                {"name": "chronic", "variable": "clbp_duration_months", "min": 3},
            ],
            "arm": [
                {"name": "control", "regimen": "sham_intradiscal", "role": "control"},
                {"name": "active", "regimen": "saline_intradiscal"},
            ],
            "visit": [
                {"name": "m1", "day": 30},
                {"name": "m3", "day": 91},
                {"name": "m6", "day": 182},
            ],
            "endpoint": [
                {
                    "name": "auc",
                    "kind": "auc",
                    "visit": visit,
                    "per_day": per_day,
                    "analysis": analysis,
                    "primary": True,
                }
            ],
        }
    )


def _follow_up(vas: np.ndarray, attended: np.ndarray | None = None) -> FollowUp:
    n, v = vas.shape
    return FollowUp(
        measures={
            "vas": vas,
            "nrs": np.rint(vas / 10),
            "odi": vas / 2,
            "opioid_mme": np.zeros((n, v)),
        },
        visit_days=DAYS,
        attended=np.ones((n, v), dtype=bool) if attended is None else attended,
        rescue_from=np.full(n, v),
        intervention_at=np.full(n, v),
        dropout_day=np.full(n, np.nan),
    )


PAIN = np.array([[70.0, 60.0, 50.0, 40.0, 30.0], [55.0, 50.0, 50.0, 50.0, 50.0]])


def test_area_on_a_hand_computed_schedule():
    p = _protocol()
    v = endpoint_values(p, p.primary, _follow_up(PAIN))
    np.testing.assert_allclose(v.value, [AREA_BY_HAND, 0.0])  # flat pain: no area
    np.testing.assert_array_equal(v.baseline, [60.0, 50.0])  # baseline, not screening
    assert v.event is None and v.available.all()


def test_per_day_is_the_time_weighted_mean_change_and_the_visit_ends_the_area():
    p = _protocol(per_day=True)
    v = endpoint_values(p, p.primary, _follow_up(PAIN))
    np.testing.assert_allclose(v.value, [AREA_BY_HAND / 182.0, 0.0])
    m3 = _protocol(visit="m3")
    np.testing.assert_allclose(endpoint_values(m3, m3.primary, _follow_up(PAIN)).value[0], -1065.0)


def test_a_missed_visit_or_one_not_yet_due_leaves_the_patient_out():
    p = _protocol()
    attended = np.ones(PAIN.shape, dtype=bool)
    attended[0, 4] = False  # dropped out before month 6
    v = endpoint_values(p, p.primary, _follow_up(PAIN, attended))
    assert list(v.available) == [False, True] and np.isnan(v.value[0])
    interim = endpoint_values(p, p.primary, _follow_up(PAIN), due_day=np.array([181.0, 182.0]))
    assert list(interim.available) == [False, True]


def test_truth_is_the_mean_difference_of_the_twins_areas():
    # the treated twin reports 10 mm less at every visit after baseline:
    # 30 (0 - 10)/2 + 61 (-10 - 10)/2 + 91 (-10 - 10)/2 = -150 - 610 - 910
    p = _protocol()
    treated = PAIN.copy()
    treated[:, 2:] -= 10.0
    t = endpoint_values(p, p.primary, _follow_up(treated))
    c = endpoint_values(p, p.primary, _follow_up(PAIN))
    assert endpoint_truth(p.primary, t, c) == pytest.approx(-1670.0)
    assert p.primary.method == "ancova"


def test_only_ancova_and_a_visit_of_the_protocol():
    with pytest.raises(ConfigError) as info:
        _protocol(visit="m12", analysis="mmrm")
    fields = [x.field for x in info.value.problems]
    assert fields == ["endpoint[0] (auc).visit", "endpoint[0] (auc).analysis"]


def test_nav17_example_reports_the_area_and_its_adam_refit_gives_the_estimate():
    protocol = load_protocol(EXAMPLES / "nav17_phase2.toml")
    trial = simulate_trial(protocol, 7, n_patients=16)
    row = trial.results.set_index("endpoint").loc["vas_auc_m12"]
    assert row["kind"] == "auc" and row["method"] == "ancova"
    assert np.isfinite(row["estimate"]) and np.isfinite(row["truth"])
    adqs = adam_datasets(trial)["adqs"]
    code = parameters(protocol)["vas_auc_m12"]
    assert code == "VSAUCM12"  # at most 8 characters (was the truncated "VAS_AUC_")
    rows = adqs[(adqs["PARAMCD"] == code) & (adqs["ANL01FL"] == "Y")]
    assert len(rows) == row["n"]
    covariate = covariate_variables(protocol)["opioid_use"]
    data = rows.merge(_adsl(trial, covariate))
    data["treated"] = (data["ARMCD"] == "NAV17").astype(float)
    fit = smf.ols(f"AVAL ~ treated + BASE + {covariate}", data).fit()
    assert fit.params["treated"] == pytest.approx(row["estimate"], rel=1e-9)


def _adsl(trial, covariate):
    adsl = adam_datasets(trial)["adsl"]
    return adsl[["USUBJID", "ARMCD", covariate]]
