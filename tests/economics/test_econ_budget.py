"""Budget impact: hand-computed totals, the year-by-year cash flow of the lifetime model, the
``[budget_impact]`` table of the strategies file (one error per bad value) and the CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_econ_lifetime import follow_up, inputs

from disctwin.economics import Discounting, annual_costs, budget_impact, load_cost_items
from disctwin.economics.lifetime import LifetimeSettings, lifetime_outcomes
from disctwin.economics.strategies import parse_strategies
from disctwin.errors import ConfigError


def _costs(new: list[float], old: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        [new, old], index=pd.Index(["new", "old"], name="strategy"), columns=range(1, 6)
    )


def test_constant_uptake_and_costs_give_the_hand_computed_total():
    """1,000 eligible a year, 10% start the new strategy: 100 new patients each year. The
    new strategy costs 32,000 in its first year then 500 a year; the old one 1,700 then
    1,200. Year y: 100 x [30,300 - 700 (y - 1)]; five years: 100 x (5 x 30,300 - 700 x 10)
    = 14,450,000."""
    table = budget_impact(
        _costs([32000, 500, 500, 500, 500], [1700, 1200, 1200, 1200, 1200]),
        "new",
        "old",
        eligible=1000,
        uptake=0.1,
    )
    assert len(table) == 1  # one uptake value, one eligible value: a 1-year horizon
    table = budget_impact(
        _costs([32000, 500, 500, 500, 500], [1700, 1200, 1200, 1200, 1200]),
        "new",
        "old",
        eligible=1000,
        uptake=[0.1] * 5,
        health_budget=1e9,
    )
    expected = [100 * (30300 - 700 * y) for y in range(5)]
    assert table["budget_impact"].tolist() == pytest.approx(expected, rel=1e-12)
    assert table["cumulative_budget_impact"].iloc[-1] == pytest.approx(14_450_000, rel=1e-12)
    assert table["patients_treated_cumulative"].tolist() == pytest.approx([100, 200, 300, 400, 500])
    assert table["share_of_health_budget"].iloc[0] == pytest.approx(3_030_000 / 1e9)


def test_one_cohort_carries_its_cost_profile_through_later_years():
    """Only year 1's cohort switches: year k's impact is that cohort's cost difference k - 1
    years after starting (the convolution has one term)."""
    new, old = [10.0, 20.0, 30.0, 40.0, 50.0], [1.0, 1.0, 1.0, 1.0, 1.0]
    table = budget_impact(
        _costs(new, old), "new", "old", eligible=[7, 7, 7, 7, 7], uptake=[1.0, 0, 0, 0, 0]
    )
    assert table["budget_impact"].tolist() == pytest.approx([7 * (n - 1) for n in new])


def test_cost_by_year_is_the_undiscounted_cash_flow_of_the_lifetime_model():
    """Immortal patients with constant moderate pain: each year costs the moderate-pain care
    item; year 1 adds the day-0 MRI; a discitis at 1.5 years is charged in year 2, not
    discounted."""
    costs = load_cost_items("USA")
    events = pd.DataFrame({"row": [0], "years": [1.5], "term": ["discitis"], "severity": [3]})
    settings = LifetimeSettings(horizon_years=10.0, discounting=Discounting(0.05, 0.05))
    fu = follow_up(n=2, pain=5.0, events=events, one_off_costs=("mri_lumbar",))
    out = lifetime_outcomes(fu, inputs(immortal=True), settings)
    by_year = out.cost_by_year(3)
    care = costs["clbp_care_pain_moderate"].value
    np.testing.assert_allclose(by_year[1], [care + costs["mri_lumbar"].value, care, care])
    discitis = costs["discitis"].value
    np.testing.assert_allclose(by_year[0], by_year[1] + [0.0, discitis, 0.0])
    yearly = annual_costs([out], 3)
    assert list(yearly.columns) == [1, 2, 3] and yearly.loc["s", 2] == pytest.approx(
        care + discitis / 2
    )
    with pytest.raises(ConfigError, match="n_years"):
        out.cost_by_year(11)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"uptake": [0.1, 1.5]}, "uptake[1]"),
        ({"uptake": [0.1] * 6}, "uptake"),
        ({"eligible": [10, 10, 10]}, "eligible"),
        ({"eligible": -1}, "eligible[0]"),
        ({"comparator": "new"}, "comparator"),
        ({"comparator": "olde"}, "comparator"),
    ],
)
def test_bad_budget_inputs_are_one_error_naming_the_field(kwargs, field):
    args = {"strategy": "new", "comparator": "old", "eligible": 10, "uptake": [0.1, 0.2]}
    with pytest.raises(ConfigError) as err:
        budget_impact(_costs([1, 1, 1, 1, 1], [0, 0, 0, 0, 0]), **{**args, **kwargs})
    assert len(err.value.problems) == 1 and err.value.problems[0].field == field


BASE = {
    "name": "t",
    "country": "USA",
    "threshold": 100000,
    "strategies": [{"name": "care"}, {"name": "gene", "priced": True}],
}
GOOD = {"strategy": "gene", "comparator": "care", "eligible_patients": 500, "uptake": [0.1, 0.2]}


@pytest.mark.parametrize(
    ("changes", "field", "value_text"),
    [
        ({"uptake": [0.1, 1.2]}, "budget_impact.uptake", "1.2"),
        ({"uptake": [0.1] * 6}, "budget_impact.uptake", "0.1"),
        ({"uptake": []}, "budget_impact.uptake", "[]"),
        ({"eligible_patients": -5}, "budget_impact.eligible_patients", "-5"),
        ({"eligible_patients": [1, 2, 3]}, "budget_impact.eligible_patients", "3.0"),
        ({"comparator": "carre"}, "budget_impact.comparator", "carre"),
        ({"comparator": "gene"}, "budget_impact.comparator", "gene"),
        ({"strategy": "gen"}, "budget_impact.strategy", "gen"),
        ({"price": -3.0}, "budget_impact.price", "-3.0"),
        ({"price": "cheap"}, "budget_impact.price", "cheap"),
        ({"health_budget": 0}, "budget_impact.health_budget", "0"),
        ({"years": 5}, "budget_impact.years", "5"),
    ],
)
def test_budget_table_of_the_strategies_file_refuses_bad_values(changes, field, value_text):
    with pytest.raises(ConfigError) as err:
        parse_strategies({**BASE, "budget_impact": {**GOOD, **changes}})
    assert len(err.value.problems) == 1
    problem = err.value.problems[0]
    assert problem.field.endswith(field) and value_text in str(problem.value)


def test_value_based_budget_price_needs_a_priced_strategy():
    spec = parse_strategies({**BASE, "budget_impact": {**GOOD, "price": "value_based"}})
    assert spec.budget_impact is not None and spec.budget_impact.years == 2
    swapped = {**GOOD, "strategy": "care", "comparator": "gene", "price": "value_based"}
    with pytest.raises(ConfigError, match="priced = true"):
        parse_strategies({**BASE, "budget_impact": swapped})
