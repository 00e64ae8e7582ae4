"""The contract every endpoint kind and analysis method passes (check_estimator, for endpoints).

A new kind must be registered and given an example endpoint table below; the meta-test fails
otherwise, and then every check runs on it, on synthetic follow-up with a known effect (no
simulation: these tests take a second).
"""

from __future__ import annotations

import tomllib

import numpy as np
import pytest

from disctwin.errors import ConfigError
from disctwin.trial import dump_protocol, protocol_from_dict
from disctwin.trial.endpoints import (
    ENDPOINTS,
    METHODS,
    AbstractEndpoint,
    AbstractMethod,
    analyse_endpoint,
    analysis_day,
    apply_dropout,
    apply_intercurrent_events,
    endpoint_kind,
    endpoint_truth,
    endpoint_values,
    short_code,
)

#: one endpoint table per registered kind (responder ``vas30`` is the composite's component)
EXAMPLES = {
    "change": {"name": "vas_change", "kind": "change", "visit": "m12"},
    "percent_change": {
        "name": "odi_pct",
        "kind": "percent_change",
        "measure": "odi",
        "visit": "m6",
    },
    "responder": {"name": "vas30", "kind": "responder", "visit": "m12", "threshold": 30},
    "composite": {
        "name": "both",
        "kind": "composite",
        "components": ["vas30"],
        "no_further_intervention": True,
    },
    "time_to_event": {"name": "surgery", "kind": "time_to_event", "event": "further_intervention"},
    "auc": {"name": "vas_auc", "kind": "auc", "visit": "m12", "per_day": True},
}

N = 400  # patients, half treated
DAYS = np.array([-14.0, 0.0, 91.0, 182.0, 364.0])  # screening, baseline, m3, m6, m12
EFFECT_VAS = 25.0  # treated patients' pain falls by this much by month 3 and stays down


def _protocol_dict() -> dict:
    return {
        "study": {"id": "CONTRACT", "n_patients": N},
        "eligibility": [
            {"name": "pain", "variable": "vas", "min": 40},
            {"name": "chronic", "variable": "clbp_duration_months", "min": 3},
        ],
        "arm": [
            {"name": "control", "regimen": "sham_intradiscal", "role": "control"},
            {"name": "active", "regimen": "saline_intradiscal"},
        ],
        "visit": [
            {"name": "m3", "day": 91},
            {"name": "m6", "day": 182},
            {"name": "m12", "day": 364},
        ],
        "dropout": {"annual_rate": 0.2},
        "further_intervention": {"vas_threshold": 55, "probability_per_visit": 0.4},
        "endpoint": [
            {**EXAMPLES[k], "primary": i == 0} for i, k in enumerate(sorted(EXAMPLES, key=_order))
        ],
    }


def _order(kind: str) -> int:
    return 0 if kind == "change" else 1


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def test_every_kind_is_registered_and_has_a_contract_example():
    assert {c.kind for c in _all_subclasses(AbstractEndpoint)} == set(ENDPOINTS)
    assert set(EXAMPLES) == set(ENDPOINTS)


def test_every_method_is_registered_and_some_kind_uses_it():
    assert {c.name for c in _all_subclasses(AbstractMethod)} == set(METHODS)
    used = {m for c in ENDPOINTS.values() for m in (*c.methods, c.single_arm_method) if m}
    assert used == set(METHODS)


@pytest.fixture(scope="module")
def protocol():
    return protocol_from_dict(_protocol_dict())


def _world(protocol, treated: np.ndarray, effect: float):
    """Complete follow-up of N patients: noisy pain, lower by ``effect`` after baseline in
    ``treated`` patients; intercurrent events applied (the same draws in every world)."""
    rng = np.random.default_rng(2024)
    vas = np.clip(60 + rng.normal(0, 12, (N, len(DAYS))), 0, 100)
    vas[:, 2:] -= effect * treated[:, None]
    vas = np.clip(vas, 0, 100)
    nrs = np.clip(np.rint(vas / 10), 0, 10)
    odi = np.clip(0.6 * vas + rng.normal(0, 5, vas.shape), 0, 100)
    return apply_intercurrent_events(
        protocol, {"vas": vas, "nrs": nrs, "odi": odi}, DAYS, 7, np.arange(N)
    )


@pytest.fixture(scope="module")
def trial(protocol):
    """(treated indicator, observed follow-up, treatment world, control world)."""
    treated = (np.arange(N) % 2).astype(float)
    everyone, nobody = np.ones(N), np.zeros(N)
    observed = apply_dropout(protocol, _world(protocol, treated, EFFECT_VAS), 7, np.arange(N))
    return treated, observed, _world(protocol, everyone, EFFECT_VAS), _world(protocol, nobody, 0)


@pytest.fixture(scope="module", params=sorted(EXAMPLES))
def endpoint(request, protocol):
    return protocol.endpoint_named(EXAMPLES[request.param]["name"])


def test_settings_are_the_kinds_and_survive_a_toml_round_trip(protocol, endpoint):
    assert type(endpoint) is ENDPOINTS[endpoint.kind].Settings
    again = protocol_from_dict(tomllib.loads(dump_protocol(protocol)))
    assert again.endpoint_named(endpoint.name) == endpoint


def test_declarations_name_registered_methods_and_a_direction(endpoint):
    kind = endpoint_kind(endpoint)
    assert kind.methods and set(kind.methods) <= set(METHODS)
    assert endpoint.method == kind.methods[0]
    assert kind.single_arm_method is None or kind.single_arm_method in METHODS
    assert kind.direction in (-1, 1)
    assert kind.favourable(kind.direction * 1.0) and not kind.favourable(-kind.direction * 1.0)


def test_values_have_one_entry_per_patient_finite_where_counted(protocol, endpoint, trial):
    _, observed, _, _ = trial
    v = endpoint_values(protocol, endpoint, observed)
    assert v.value.shape == v.baseline.shape == v.available.shape == (N,)
    assert v.available.dtype == bool and 0 < v.available.sum() <= N
    assert np.all(np.isfinite(v.value[v.available]))
    np.testing.assert_array_equal(v.baseline, observed.measure(endpoint.measure)[:, 1])
    if v.event is not None:
        assert set(np.unique(v.event)) <= {0.0, 1.0}


def test_nothing_is_counted_before_the_first_visit_and_all_is_known_on_the_analysis_day(
    protocol, endpoint, trial
):
    _, observed, _, _ = trial
    day = analysis_day(protocol, endpoint)
    assert day in [v.day for v in protocol.visit]
    first = protocol.visit[0].day
    before = endpoint_values(protocol, endpoint, observed, due_day=np.full(N, first - 1))
    assert not before.available.any()
    on = endpoint_values(protocol, endpoint, observed, due_day=np.full(N, day))
    final = endpoint_values(protocol, endpoint, observed)
    np.testing.assert_array_equal(on.available, final.available)
    np.testing.assert_array_equal(on.value, final.value)


def test_identical_worlds_have_no_effect(protocol, endpoint, trial):
    _, _, world, _ = trial
    v = endpoint_values(protocol, endpoint, world)
    assert endpoint_truth(endpoint, v, v) == 0.0


def test_the_truth_of_a_real_effect_is_favourable(protocol, endpoint, trial):
    _, _, treated_world, control_world = trial
    truth = endpoint_truth(
        endpoint,
        endpoint_values(protocol, endpoint, treated_world),
        endpoint_values(protocol, endpoint, control_world),
    )
    assert np.isfinite(truth) and endpoint_kind(endpoint).favourable(truth)


TWO_ARM = [(k, m) for k in sorted(ENDPOINTS) for m in ENDPOINTS[k].methods if m != "exact"]


@pytest.mark.parametrize(("kind", "method"), TWO_ARM, ids=[f"{k}-{m}" for k, m in TWO_ARM])
def test_every_allowed_method_finds_a_real_effect(protocol, trial, kind, method):
    treated, observed, _, _ = trial
    e = protocol.endpoint_named(EXAMPLES[kind]["name"])
    values = endpoint_values(protocol, e, observed)
    est = analyse_endpoint(protocol, e, values, treated, follow_up=observed, method=method)
    assert np.isfinite(est.estimate) and est.ci_low <= est.estimate <= est.ci_high
    assert endpoint_kind(e).favourable(est.estimate) and est.p_value < 0.01


def test_single_arm_method_estimates_the_cohort(protocol, endpoint, trial):
    _, observed, _, _ = trial
    name = endpoint_kind(endpoint).single_arm_method
    if name is None:
        pytest.skip(f"{endpoint.kind} is not analysed in single-arm cohorts")
    values = endpoint_values(protocol, endpoint, observed)
    est = analyse_endpoint(protocol, endpoint, values, None, method=name)
    assert np.isfinite(est.estimate) and est.n == values.available.sum()


def test_adam_rows_are_one_record_per_subject_of_a_known_dataset(protocol, endpoint, trial):
    import pandas as pd

    _, observed, _, _ = trial
    subjects = pd.DataFrame({"USUBJID": [f"S{i:03d}" for i in range(N)], "ARM": "A"})
    values = endpoint_values(protocol, endpoint, observed)
    frames = endpoint_kind(endpoint).adam_rows(endpoint, values, subjects)
    assert set(frames) <= {"adqs", "adtte"}
    for frame in frames.values():
        assert {"USUBJID", "ARM", "PARAMCD", "PARAM", "AVAL"} <= set(frame.columns)
        assert frame["USUBJID"].is_unique and set(frame["USUBJID"]) <= set(subjects["USUBJID"])
        assert (frame["PARAMCD"] == short_code(endpoint.name)).all()
        assert frame["PARAMCD"].str.len().le(8).all()


def test_a_method_the_kind_does_not_allow_is_named_with_the_allowed_ones():
    d = _protocol_dict()
    d["endpoint"][0]["analysis"] = "ancovaa"
    with pytest.raises(ConfigError) as info:
        protocol_from_dict(d)
    (problem,) = info.value.problems
    assert problem.field == "endpoint[0] (vas_change).analysis"
    assert problem.suggestion == "ancova" and "mmrm" in problem.allowed


def test_an_unregistered_kind_is_named_alone_with_the_registered_ones():
    d = _protocol_dict()
    d["endpoint"][0]["kind"] = "chang"
    with pytest.raises(ConfigError) as info:
        protocol_from_dict(d)
    (problem,) = info.value.problems
    assert problem.field == "endpoint[0] (vas_change).kind"
    assert problem.suggestion == "change" and all(k in problem.allowed for k in ENDPOINTS)
