"""The medical-need gate cannot be switched off by a protocol (issue 26): floors are the
package's, only controls may enrol without the indication, enhancement is refused."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from disctwin.errors import ConfigError
from disctwin.trial import protocol_from_dict
from disctwin.trial.protocol import CONTROL_REGIMENS, ENHANCEMENT_TERMS, NEED_FLOORS

BASE = {
    "study": {"id": "T1", "n_patients": 20, "blinded": True},
    "eligibility": [
        {"name": "pain", "variable": "vas", "min": 40},
        {"name": "chronic", "variable": "clbp_duration_months", "min": 3},
    ],
    "arm": [
        {"name": "control", "regimen": "sham_intradiscal", "role": "control"},
        {"name": "active", "regimen": "therapy.toml"},
    ],
    "visit": [{"name": "m12", "day": 365}],
    "endpoint": [
        {"name": "resp", "kind": "responder", "visit": "m12", "threshold": 30, "primary": True}
    ],
}
PURPOSES = [
    "performance enhancement for athletes",
    "Sports performance",
    "to make soldiers' backs stronger",
    "cosmetic disc rejuvenation",
    "lifestyle optimisation of healthy people",
    "anti-ageing for longevity clinics",
    "doping",
    "Endurance augmentation",
]


def _protocol(**changes):
    d = copy.deepcopy(BASE)
    for path, value in changes.items():
        where = d
        keys = path.split(".")
        for k in keys[:-1]:
            where = where[int(k)] if k.isdigit() else where[k]
        where[keys[-1]] = value
    return d


def test_the_package_floors_are_sourced_and_a_legitimate_protocol_validates():
    assert NEED_FLOORS == {"min_vas": 40.0, "min_nrs": 4.0, "min_clbp_duration_months": 3.0}
    assert protocol_from_dict(copy.deepcopy(BASE)).medical_need.min_vas == 40.0
    # a stricter indication is allowed
    strict = _protocol(**{"medical_need": {"min_vas": 50}, "eligibility.0.min": 50})
    assert protocol_from_dict(strict).medical_need.min_vas == 50


@pytest.mark.parametrize("floor", sorted(NEED_FLOORS))
def test_a_protocol_cannot_lower_a_floor(floor):
    with pytest.raises(ConfigError, match=floor):
        protocol_from_dict(_protocol(medical_need={floor: 0.0}))


@pytest.mark.parametrize("reason", PURPOSES)
def test_an_enhancement_purpose_is_refused_with_a_message_that_says_so(reason):
    d = _protocol(**{"arm.1.non_therapeutic": True, "arm.1.non_therapeutic_reason": reason})
    with pytest.raises(ConfigError, match="medical necessity only"):
        protocol_from_dict(d)
    with pytest.raises(ConfigError, match="medical necessity only"):
        protocol_from_dict(_protocol(**{"study.title": reason}))


@settings(max_examples=60, deadline=None)
@given(
    reason=st.text(min_size=1, max_size=40).filter(str.strip),
    regimen=st.sampled_from(["therapy.toml", "examples/regimens/intradiscal_ad_tgfb1.toml"]),
    role=st.sampled_from(["active", "control"]),
    drop_pain=st.booleans(),
)
def test_no_therapeutic_arm_enrols_without_the_indication(reason, regimen, role, drop_pain):
    """Whatever the reason and role, a therapeutic regimen flagged non-therapeutic (or
    without the indication's criteria) is refused."""
    d = _protocol(
        **{
            "arm.1.non_therapeutic": True,
            "arm.1.non_therapeutic_reason": reason,
            "arm.1.regimen": regimen,
            "arm.1.role": role,
        }
    )
    if drop_pain:
        d["eligibility"] = d["eligibility"][1:]
    with pytest.raises(ConfigError):
        protocol_from_dict(d)


@pytest.mark.parametrize("regimen", CONTROL_REGIMENS[1:])
def test_sham_and_vehicle_controls_may_be_non_therapeutic(regimen):
    d = _protocol(
        **{
            "arm.0.regimen": regimen,
            "arm.0.non_therapeutic": True,
            "arm.0.non_therapeutic_reason": "procedure control: no therapeutic agent",
        }
    )
    assert protocol_from_dict(d).arm[0].non_therapeutic


def test_every_enhancement_term_is_caught():
    for term in ENHANCEMENT_TERMS:
        d = _protocol(**{"study.title": f"a study of {term}"})
        with pytest.raises(ConfigError, match="medical necessity only"):
            protocol_from_dict(d)
