"""PSA and value of information: seeding, CEAC/CEAF, EVPI and EVPPI against closed forms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from disctwin.economics import (
    Beta,
    Gamma,
    LogNormal,
    Normal,
    PSAResult,
    ceac,
    ceaf,
    evpi,
    evppi,
    run_psa,
    sample_parameters,
)

DISTRIBUTIONS = {"cost": Gamma(100.0, 20.0), "utility": Beta(30.0, 10.0), "hr": LogNormal(0, 0.1)}


def _evaluate(p):
    """Two strategies whose costs and effects depend on the parameters."""
    return pd.DataFrame(
        {
            "cost": [p["cost"], p["cost"] * 1.2 + 500],
            "qaly": [p["utility"] * 10, p["utility"] * 10 + 0.1 / p["hr"]],
        },
        index=pd.Index(["old", "new"], name="strategy"),
    )


def _psa(seed: int, n: int = 500) -> PSAResult:
    return run_psa(_evaluate, sample_parameters(DISTRIBUTIONS, n, np.random.default_rng(seed)))


def test_same_seed_same_psa_and_another_seed_another():
    a, b, c = _psa(7), _psa(7), _psa(8)
    pd.testing.assert_frame_equal(a.parameters, b.parameters)
    assert np.array_equal(a.costs, b.costs) and np.array_equal(a.effects, b.effects)
    assert not np.array_equal(a.costs, c.costs)


def test_a_parameter_draws_do_not_depend_on_the_other_parameters():
    """Each parameter has its own spawned stream: the first stays put when another is added."""
    one = sample_parameters({"cost": Gamma(2.0, 3.0)}, 50, np.random.default_rng(1))
    two = sample_parameters(
        {"cost": Gamma(2.0, 3.0), "u": Normal(0, 1)}, 50, np.random.default_rng(1)
    )
    assert np.array_equal(one["cost"], two["cost"])


def test_sampled_moments_match_the_distributions():
    draws = sample_parameters(DISTRIBUTIONS, 20_000, np.random.default_rng(3))
    assert draws["cost"].mean() == pytest.approx(2000.0, rel=0.01)
    assert draws["utility"].mean() == pytest.approx(0.75, rel=0.01)
    assert np.log(draws["hr"]).std() == pytest.approx(0.1, rel=0.03)


def test_ceac_at_zero_threshold_is_probability_of_being_cheaper():
    psa = _psa(11)
    curve = ceac(psa, [0.0, 50_000.0]).set_index(["threshold", "strategy"])["probability"]
    p_new_cheaper = np.mean(psa.costs[:, 1] < psa.costs[:, 0])
    assert curve[(0.0, "new")] == pytest.approx(p_new_cheaper)
    assert curve[(0.0, "old")] == pytest.approx(1 - p_new_cheaper)
    assert curve.groupby(level="threshold").sum().tolist() == pytest.approx([1.0, 1.0])


def test_ceaf_names_the_expected_optimal_strategy():
    psa = _psa(12)
    frontier = ceaf(psa, [0.0, 1e6]).set_index("threshold")
    assert frontier.loc[0.0, "strategy"] == "old"  # cheaper in expectation
    assert frontier.loc[1e6, "strategy"] == "new"  # more QALYs in every draw (0.1 / hr > 0)
    assert frontier.loc[1e6, "probability"] == pytest.approx(1.0)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), threshold=st.floats(0, 2e5))
def test_evpi_is_never_negative(seed, threshold):
    rng = np.random.default_rng(seed)
    psa = PSAResult(
        ("a", "b", "c"),
        pd.DataFrame({"x": np.zeros(64)}),
        rng.normal(1000, 300, (64, 3)),
        rng.normal(5, 0.5, (64, 3)),
    )
    assert evpi(psa, [threshold])["evpi"].iloc[0] >= 0.0


def test_evpi_is_zero_when_one_strategy_wins_every_draw():
    rng = np.random.default_rng(2)
    costs = rng.normal(1000, 100, (200, 2))
    costs[:, 1] = costs[:, 0] - 50  # always cheaper
    effects = np.column_stack([np.full(200, 1.0), np.full(200, 1.2)])  # always better
    psa = PSAResult(("a", "b"), pd.DataFrame({"x": np.zeros(200)}), costs, effects)
    assert evpi(psa, [0.0, 20_000.0])["evpi"].tolist() == [0.0, 0.0]


def test_evpi_and_evppi_match_the_normal_closed_form():
    """INB = θ1 + θ2, θ_i ~ N(0, 1): EVPI = E max(0, θ1 + θ2) = √2 φ(0); EVPPI(θ1) =
    E max(0, θ1) = φ(0) = 0.3989; EVPPI of an irrelevant parameter ~ 0."""
    rng = np.random.default_rng(9)
    n = 40_000
    theta = pd.DataFrame(
        {"t1": rng.normal(size=n), "t2": rng.normal(size=n), "noise": rng.normal(size=n)}
    )
    costs = np.column_stack([np.zeros(n), -(theta["t1"] + theta["t2"]).to_numpy()])
    psa = PSAResult(("ref", "new"), theta, costs, np.zeros((n, 2)))
    phi0 = 1 / np.sqrt(2 * np.pi)
    assert evpi(psa, [1.0])["evpi"].iloc[0] == pytest.approx(np.sqrt(2) * phi0, rel=0.02)
    assert evppi(psa, ["t1"], [1.0])["evppi"].iloc[0] == pytest.approx(phi0, rel=0.03)
    assert evppi(psa, ["t1", "t2"], [1.0], degree=1)["evppi"].iloc[0] == pytest.approx(
        evpi(psa, [1.0])["evpi"].iloc[0], rel=1e-9
    )
    assert evppi(psa, ["noise"], [1.0])["evppi"].iloc[0] < 0.01
