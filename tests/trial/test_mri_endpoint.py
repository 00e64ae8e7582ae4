"""MRI as a trial endpoint (issue 26): T2, disc height and Pfirrmann grade at the treated
levels are visit measures of the record spec, read at MRI visits, with the whole analysis
machinery behind them."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import numpy as np
import pytest

from disctwin.errors import ConfigError
from disctwin.trial import load_protocol, protocol_from_dict, simulate_trial
from disctwin.trial.endpoints import BASELINE, endpoint_direction, favourable
from disctwin.trial.replicates import operating_characteristics, run_replicates

PROTOCOL = (
    Path(__file__).resolve().parents[2] / "examples" / "protocols" / "phase2_mri_t2_change.toml"
)


def _raw() -> dict:
    return tomllib.loads(PROTOCOL.read_text())


def test_higher_t2_and_height_favour_the_treatment_lower_pain_does():
    p = load_protocol(PROTOCOL)
    t2, height, vas = p.endpoint
    assert endpoint_direction(t2) == endpoint_direction(height) == +1
    assert endpoint_direction(vas) == -1
    assert favourable(t2, 0.01) and not favourable(vas, 0.01)


def test_mri_measures_need_a_kind_that_reads_them_and_mri_visits():
    raw = _raw()
    raw["endpoint"][0] |= {"kind": "responder", "threshold": 30}
    raw["endpoint"][0].pop("visit", None)
    raw["endpoint"][0]["visit"] = "month12"
    with pytest.raises(ConfigError, match="MRI measures are read by kinds"):
        protocol_from_dict(raw, base_dir=PROTOCOL.parent)
    raw = _raw()
    for v in raw["visit"]:
        v["mri"] = False
    with pytest.raises(ConfigError, match="visits with mri = true"):
        protocol_from_dict(raw, base_dir=PROTOCOL.parent)
    raw = _raw()
    raw["endpoint"][0]["measure"] = "t2"
    with pytest.raises(ConfigError, match="visit measures"):
        protocol_from_dict(raw, base_dir=PROTOCOL.parent)


@pytest.mark.slow
def test_an_mri_phase_2_runs_end_to_end_with_truth_and_power():
    raw = _raw()
    raw["study"]["n_patients"] = 48
    p = protocol_from_dict(copy.deepcopy(raw), base_dir=PROTOCOL.parent)
    result = simulate_trial(p, 3)
    fu = result.worlds["sham_intradiscal"].follow_up
    t2 = fu.measure("t2_relative")
    assert np.isfinite(t2[:, 0]).all()
    np.testing.assert_array_equal(t2[:, BASELINE], t2[:, 0])  # screening scan = baseline
    row = result.results.set_index("endpoint").loc["t2_change_m12"]
    assert np.isfinite(row.estimate) and np.isfinite(row.truth) and row.se > 0
    rows = run_replicates(p, 2, 11)
    oc = operating_characteristics(rows, p.analysis.alpha).set_index("endpoint")
    assert 0.0 <= oc.loc["t2_change_m12", "rejection_rate"] <= 1.0
    assert np.isfinite(oc.loc["t2_change_m12", "mean_truth"])
