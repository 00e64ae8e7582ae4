"""Bad input: one ConfigError naming the field, the value given and what is allowed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from disctwin.economics import (
    CostItem,
    Discounting,
    PatientOutcomes,
    guideline_discounting,
    parse,
    strategy_totals,
    value_based_price,
    with_price,
)
from disctwin.errors import ConfigError

COST = {
    "name": "lumbar_fusion",
    "value": 30000.0,
    "currency": "USD",
    "price_year": 2023,
    "unit": "procedure",
    "range": (20000.0, 45000.0),
    "source": "assumption: placeholder row for an input-validation test, not data",
}
SUMMARY = pd.DataFrame(
    {"cost": [100.0, 200.0], "qaly": [1.0, 1.1]},
    index=pd.Index(["care", "therapy"], name="strategy"),
)


def _one_problem(excinfo, field: str, value_text: str, allowed_text: str) -> None:
    problems = excinfo.value.problems
    assert len(problems) == 1, problems
    message = str(excinfo.value)
    assert field in problems[0].field, message
    assert value_text in message, message
    assert allowed_text in problems[0].allowed, message


@pytest.mark.parametrize("price", [-1.0, -0.01, float("nan"), float("inf")])
def test_negative_or_non_finite_price(price):
    with pytest.raises(ConfigError) as excinfo:
        with_price(SUMMARY, "therapy", price)
    _one_problem(excinfo, "price", repr(price), ">= 0")


def test_negative_cost_item():
    with pytest.raises(ConfigError) as excinfo:
        parse(CostItem, {**COST, "value": -5.0}, "costs[0]")
    _one_problem(excinfo, "costs[0].value", "-5.0", "greater than or equal to 0")


@settings(max_examples=25, deadline=None)
@given(
    rate=st.one_of(
        st.floats(max_value=-1e-9, allow_nan=False, allow_infinity=False),
        st.floats(min_value=0.2000001, max_value=1e6),
    )
)
def test_discount_rate_outside_0_to_0_2(rate):
    with pytest.raises(ConfigError) as excinfo:
        Discounting(rate_costs=rate)
    _one_problem(excinfo, "discounting.rate_costs", repr(rate), "[0, 0.2]")


def test_discount_rate_in_percent_is_refused():
    with pytest.raises(ConfigError) as excinfo:
        Discounting(rate_effects=3.5)
    _one_problem(excinfo, "discounting.rate_effects", "3.5", "0.035 = 3.5%")


def test_unknown_country_names_the_nearest():
    with pytest.raises(ConfigError) as excinfo:
        guideline_discounting("GBP")  # a currency, not a country
    _one_problem(excinfo, "country", "'GBP'", "ISO alpha-3")
    assert excinfo.value.problems[0].suggestion == "GBR"
    assert guideline_discounting("GBR").discounting.rate_costs == 0.035


def test_unknown_currency():
    with pytest.raises(ConfigError) as excinfo:
        parse(CostItem, {**COST, "currency": "USS"}, "costs[0]")
    _one_problem(excinfo, "costs[0].currency", "'USS'", "ISO 4217")
    assert "did you mean 'USD'" in str(excinfo.value)


def test_missing_price_year():
    raw = {k: v for k, v in COST.items() if k != "price_year"}
    with pytest.raises(ConfigError) as excinfo:
        parse(CostItem, raw, "costs[0]")
    _one_problem(excinfo, "costs[0].price_year", "(missing)", "required")


def test_strategies_not_sharing_a_population():
    ids = np.arange(3)
    a = PatientOutcomes("care", "population-1", ids, np.ones(3), np.ones(3))
    b = PatientOutcomes("therapy", "population-2", ids, np.ones(3), np.ones(3))
    with pytest.raises(ConfigError) as excinfo:
        strategy_totals([a, b])
    _one_problem(excinfo, "outcomes.therapy.population", "population-2", "same patients")
    c = PatientOutcomes("therapy", "population-1", ids[::-1], np.ones(3), np.ones(3))
    with pytest.raises(ConfigError):
        strategy_totals([a, c])  # same label, patients in another order


def test_value_based_price_unknown_strategy():
    with pytest.raises(ConfigError) as excinfo:
        value_based_price(SUMMARY, "therapie", 20_000.0)
    _one_problem(excinfo, "strategy", "'therapie'", "a strategy of the summary")
    assert excinfo.value.problems[0].suggestion == "therapy"
