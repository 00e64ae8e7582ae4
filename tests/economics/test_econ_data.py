"""Shipped economic inputs: unit costs, life tables, overdose mortality, AE disutilities."""

import numpy as np
import pytest

from disctwin.economics import (
    cost_countries,
    load_adverse_event_utilities,
    load_cost_items,
    load_life_table,
    load_overdose_mortality,
)
from disctwin.errors import ConfigError

#: Cost items every payer table must price (the lifetime model charges them).
REQUIRED_ITEMS = {
    "intradiscal_procedure",
    "intrathecal_administration",
    "mri_lumbar",
    "clbp_care_pain_none",
    "clbp_care_pain_mild",
    "clbp_care_pain_moderate",
    "clbp_care_pain_severe",
    "opioid_per_mme_day",
    "opioid_use_disorder_treatment",
    "opioid_overdose",
    "discitis",
    "discectomy",
    "lumbar_fusion",
}


def test_us_and_uk_payers_price_the_same_items_in_their_own_currency():
    assert {"USA", "GBR"} <= set(cost_countries())
    usa, gbr = load_cost_items("USA"), load_cost_items("GBR")
    assert set(usa) == set(gbr) and set(usa) >= REQUIRED_ITEMS
    assert {i.currency for i in usa.values()} == {"USD"}
    assert {i.currency for i in gbr.values()} == {"GBP"}
    for item in [*usa.values(), *gbr.values()]:
        assert item.range[0] <= item.value <= item.range[1]
        assert item.price_year >= 2000


def test_unknown_cost_country_is_one_error_with_a_suggestion():
    with pytest.raises(ConfigError) as err:
        load_cost_items("GRB")
    assert "GBR" in str(err.value)


@pytest.mark.parametrize(
    ("country", "sex", "e0", "e65"),
    [("GBR", "male", 79.1, 18.4), ("GBR", "female", 82.8, 20.9), ("USA", "male", 76.23, None)],
)
def test_gompertz_fits_reproduce_their_published_anchors(country, sex, e0, e65):
    table = load_life_table(country, sex)
    assert table.life_expectancy(0.0) == pytest.approx(e0, abs=0.05)
    if e65 is not None:
        assert table.life_expectancy(65.0) == pytest.approx(e65, abs=0.05)


def test_death_probability_rises_with_age_and_is_lower_for_women():
    men, women = load_life_table("GBR", "male"), load_life_table("GBR", "female")
    ages = np.arange(40, 100)
    assert np.all(np.diff(men.annual_death_probability(ages)) > 0)
    assert np.all(women.annual_death_probability(ages) < men.annual_death_probability(ages))


def test_overdose_rates_of_dunn_2010_are_reproduced_and_rise_with_dose():
    od = load_overdose_mortality()
    annual = -np.expm1(-od.overdose_hazard(np.array([0.0, 10.0, 75.0, 150.0])))
    np.testing.assert_allclose(annual, [0.0, 0.002, 0.007, 0.018], rtol=1e-12)
    hazard = od.death_hazard(np.linspace(0, 300, 301))
    assert np.all(np.diff(hazard) >= 0)
    assert od.fatal_fraction == pytest.approx(6 / 51, abs=1e-3)


def test_every_adverse_event_cost_item_is_priced_by_every_payer():
    events = load_adverse_event_utilities()
    assert {"discitis", "opioid_addiction", "opioid_overdose"} <= set(events)
    for country in ("USA", "GBR"):
        items = load_cost_items(country)
        for event in events.values():
            assert event.cost_item is None or event.cost_item in items
            assert 0.0 <= event.disutility <= 1.0 and event.duration_years > 0
