"""Protocol files: round trip, every bad field named, the medical-need gate, the examples."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from disctwin.cli import app
from disctwin.errors import ConfigError
from disctwin.trial import dump_protocol, load_protocol, protocol_from_dict

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "protocols"


def base() -> dict:
    """A small valid two-arm protocol."""
    return {
        "study": {"id": "T1", "n_patients": 20, "blinded": True},
        "eligibility": [
            {"name": "pain", "variable": "vas", "min": 40},
            {"name": "chronic", "variable": "clbp_duration_months", "min": 3},
            {"name": "index", "variable": "pfirrmann_grade", "min": 3, "levels": ["L4/5"]},
        ],
        "arm": [
            {"name": "control", "regimen": "saline_intradiscal", "role": "control"},
            {"name": "active", "regimen": "therapy.toml", "allocation": 2},
        ],
        "visit": [{"name": "m3", "day": 91}, {"name": "m12", "day": 365}],
        "endpoint": [
            {"name": "resp", "kind": "responder", "visit": "m12", "threshold": 30, "primary": True}
        ],
    }


def test_valid_base_and_defaults():
    p = protocol_from_dict(base())
    assert p.primary.name == "resp"
    assert [(c.treatment, c.control) for c in p.comparisons] == [("active", "control")]


@st.composite
def protocols(draw):
    d = base()
    d["study"]["n_patients"] = draw(st.integers(2, 5000))
    d["study"]["title"] = draw(st.text(max_size=20))
    d["population"] = {
        "age_years": sorted(draw(st.lists(st.floats(18, 90), min_size=2, max_size=2)))
    }
    d["arm"][1]["allocation"] = draw(st.integers(1, 5))
    total = 1 + d["arm"][1]["allocation"]
    d["randomisation"] = {
        "block_sizes": draw(
            st.lists(st.integers(1, 4), min_size=1, max_size=3).map(
                lambda ks: [k * total for k in ks]
            )
        ),
        "strata": [{"variable": "vas", "cuts": [60.0, 80.0]}, {"variable": "opioid_use"}],
    }
    days = sorted(draw(st.sets(st.integers(1, 3000), min_size=2, max_size=5)))
    d["visit"] = [{"name": f"v{k}", "day": float(x), "mri": k % 2 == 0} for k, x in enumerate(days)]
    d["endpoint"][0]["visit"] = f"v{len(days) - 1}"
    d["endpoint"][0]["threshold"] = draw(st.floats(1, 99, allow_nan=False))
    d["dropout"] = {
        "annual_rate": draw(st.floats(0, 0.9)),
        "pain_log_hazard_per_10_vas": draw(st.floats(-2, 2)),
    }
    if draw(st.booleans()):
        d["rescue"] = {"vas_threshold": draw(st.floats(0, 100)), "vas_effect": 5.0}
    d["analysis"] = {"alpha": draw(st.floats(0.001, 0.2)), "covariates": ["age_years"]}
    return protocol_from_dict(d)


@settings(max_examples=40, deadline=None)
@given(protocols())
def test_round_trip(p):
    again = protocol_from_dict(tomllib.loads(dump_protocol(p)))
    assert again == p


BAD = [
    (("study", "design"), "paralel", "study.design", "parallel"),
    (("study", "n_patients"), 0, "study.n_patients", None),
    (("study", "sample_size"), 3, "study.sample_size", None),
    (("eligibility", 0, "variable"), "vass", "eligibility[0]", "vas"),
    (("eligibility", 2, "levels"), ["L4/6"], "eligibility[2].levels", "L4/5"),
    (("arm", 1, "allocation"), 0, "arm[1] (active).allocation", None),
    (("arm", 0, "role"), "placebo", "arm[0] (control).role", None),
    (("endpoint", 0, "visit"), "m12x", "endpoint[0] (resp).visit", "m12"),
    (("endpoint", 0, "kind"), "responders", "endpoint[0] (resp).kind", "responder"),
    (("visit", 1, "day"), -5, "visit[1] (m12).day", None),
    (("randomisation", "block_sizes"), [4], "randomisation.block_sizes", None),
    (("dropout", "annual_rate"), 1.5, "dropout.annual_rate", None),
    (("sequential",), {"information_fractions": [0.5, 1.0]}, "sequential", None),
    (("endpoint", 0, "measure"), "opioid_mmee", "endpoint[0] (resp).measure", "opioid_mme"),
    (("eligibility", 2, "variable"), "modic1", "eligibility[2]", "modic_1"),
]


def _set(d: dict, path: tuple, value) -> dict:
    d = copy.deepcopy(d)
    node = d
    for key in path[:-1]:
        node = node.setdefault(key, {}) if isinstance(key, str) else node[key]
    node[path[-1]] = value
    return d


@pytest.mark.parametrize(("path", "value", "field", "suggestion"), BAD, ids=[b[2] for b in BAD])
def test_bad_field_is_named(path, value, field, suggestion):
    with pytest.raises(ConfigError) as info:
        protocol_from_dict(_set(base(), path, value))
    fields = [p.field for p in info.value.problems]
    assert any(f.startswith(field) for f in fields), fields
    if suggestion:
        assert suggestion in [p.suggestion for p in info.value.problems]


def test_every_problem_reported_at_once():
    d = _set(base(), ("endpoint", 0, "visit"), "nope")
    d = _set(d, ("comparison",), [{"treatment": "activ", "control": "control"}])
    d = _set(d, ("eligibility", 0, "min"), 95)
    d = _set(d, ("eligibility", 0, "max"), 90)
    with pytest.raises(ConfigError) as info:
        protocol_from_dict(d)
    fields = " ".join(p.field for p in info.value.problems)
    for f in ("endpoint[0] (resp).visit", "comparison[0].treatment", "eligibility[0].min"):
        assert f in fields


def test_off_all_opioids_is_a_responder_endpoint_on_opioid_use_at_a_visit():
    off = {
        "name": "off_opioids",
        "kind": "responder",
        "measure": "opioid_mme",
        "visit": "m12",
        "threshold": 0,
        "threshold_type": "at_most",
    }
    d = base()
    d["endpoint"].append(off)
    e = protocol_from_dict(d).endpoint_named("off_opioids")
    assert (e.measure, e.threshold_type, e.threshold) == ("opioid_mme", "at_most", 0.0)
    # no opioid is given before baseline: a reduction from baseline means nothing
    d["endpoint"][1] = off | {"threshold_type": "percent", "threshold": 50}
    with pytest.raises(ConfigError) as info:
        protocol_from_dict(d)
    (problem,) = info.value.problems
    assert problem.field == "endpoint[1] (off_opioids).threshold_type"
    assert problem.value == "percent" and "at_most" in problem.allowed


def test_medical_need_gate_names_the_therapeutic_arm():
    d = base()
    d["eligibility"] = d["eligibility"][2:]  # no pain, no chronicity criterion
    with pytest.raises(ConfigError) as info:
        protocol_from_dict(d)
    problems = info.value.problems
    assert [p.field for p in problems] == ["arm[1] (active)"]  # the saline arm is a control
    assert "non_therapeutic arms may only be controls" in problems[0].allowed
    # a therapeutic arm cannot opt out of the indication (issue 26: the seeds' ethics allow
    # these therapies for medical necessity only), with or without a reason
    d["arm"][1]["non_therapeutic"] = True
    with pytest.raises(ConfigError, match="non_therapeutic_reason"):
        protocol_from_dict(d)
    d["arm"][1]["non_therapeutic_reason"] = "healthy-volunteer safety cohort, no benefit"
    with pytest.raises(ConfigError, match="only a control arm"):
        protocol_from_dict(d)
    # too weak a pain threshold does not count as the indication
    weak = base()
    weak["eligibility"][0]["min"] = 20
    with pytest.raises(ConfigError, match="vas min >= 40"):
        protocol_from_dict(weak)


def test_blinded_no_treatment_arm_refused():
    d = _set(base(), ("arm", 0, "regimen"), "none")
    with pytest.raises(ConfigError) as info:
        protocol_from_dict(d)
    assert info.value.problems[0].field == "arm[0] (control).regimen"
    assert info.value.problems[0].suggestion == "sham_intradiscal"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.toml")), ids=lambda p: p.name)
def test_examples_validate_and_round_trip(path):
    p = load_protocol(path)
    assert protocol_from_dict(tomllib.loads(dump_protocol(p)), base_dir=p.base_dir) == p


def test_cli_reports_bad_protocol_without_traceback(tmp_path):
    text = (EXAMPLES / "compassionate_use.toml").read_text().replace('"single_arm"', '"singel"')
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    result = CliRunner().invoke(app, ["trial", str(bad), "--validate"])
    assert result.exit_code == 2
    assert "study.design" in result.output and "single_arm" in result.output
    assert "Traceback" not in result.output
