"""Per-patient lifetime outcomes: analytic checks of utilities, survival, discounting and
extrapolation on small synthetic follow-ups."""

import numpy as np
import pandas as pd
import pytest

from disctwin.economics import (
    Discounting,
    GompertzLifeTable,
    load_adverse_event_utilities,
    load_cost_items,
    load_life_table,
    load_overdose_mortality,
    load_utility_mapping,
)
from disctwin.economics.lifetime import (
    Extrapolation,
    FollowUp,
    LifetimeInputs,
    LifetimeSettings,
    lifetime_outcomes,
)
from disctwin.errors import ConfigError

TIMES = np.array([0.0, 0.5, 1.0, 2.0])


def follow_up(n=4, pain=0.0, odi=0.0, mme=0.0, events=None, **extra):
    full = np.full((n, TIMES.size), 1.0)
    return FollowUp(
        strategy="s",
        population="p",
        patient_ids=np.arange(n),
        age_years=np.full(n, 50.0),
        female=np.arange(n) % 2 == 0,
        times_years=TIMES,
        pain=full * pain,
        odi=full * odi,
        mme=full * mme,
        events=events,
        **extra,
    )


def inputs(immortal=False, country="USA"):
    tables = {s: load_life_table(country, s) for s in ("female", "male")}
    if immortal:
        tables = {s: GompertzLifeTable("X", s, 1e-15, 0.01, "test: no deaths") for s in tables}
    return LifetimeInputs(
        load_cost_items(country),
        load_utility_mapping(),
        tables,
        load_overdose_mortality(),
        load_adverse_event_utilities(),
    )


def test_constant_utility_without_deaths_gives_the_continuous_annuity():
    rate, horizon = 0.035, 30.0
    settings = LifetimeSettings(horizon_years=horizon, discounting=Discounting(rate, rate))
    out = lifetime_outcomes(follow_up(), inputs(immortal=True), settings)
    u = load_utility_mapping().intercept  # ODI 0, no pain
    annuity = (1 - (1 + rate) ** -horizon) / np.log1p(rate)
    np.testing.assert_allclose(out.qaly, u * annuity, rtol=1e-4)
    np.testing.assert_allclose(out.life_years, annuity, rtol=1e-4)
    assert np.all(out.cost == 0.0)  # pain-free, no opioids, no events


def test_undiscounted_life_years_equal_the_life_table_expectancy():
    settings = LifetimeSettings(
        horizon_years=100.0, cycle_years=0.1, max_age=200.0, discounting=Discounting(0, 0)
    )
    out = lifetime_outcomes(follow_up(n=2), inputs(), settings)
    for row, sex in enumerate(("female", "male")):
        expected = load_life_table("USA", sex).life_expectancy(50.0)
        assert out.life_years[row] == pytest.approx(expected, rel=2e-3)


def test_opioids_cost_by_mme_day_and_kill_by_dose_band():
    settings = LifetimeSettings(horizon_years=1.0, discounting=Discounting(0, 0))
    no_deaths = LifetimeSettings(1.0, discounting=Discounting(0, 0), overdose_deaths=False)
    none = lifetime_outcomes(follow_up(), inputs(immortal=True), no_deaths)
    on = lifetime_outcomes(follow_up(mme=60.0), inputs(immortal=True), no_deaths)
    price = load_cost_items("USA")["opioid_per_mme_day"].value
    np.testing.assert_allclose(on.cost - none.cost, 365.25 * 60 * price, rtol=1e-9)
    on = lifetime_outcomes(follow_up(mme=60.0), inputs(immortal=True), settings)
    hazard = load_overdose_mortality().death_hazard(60.0)
    np.testing.assert_allclose(on.overdose_deaths, 1 - np.exp(-hazard), rtol=1e-4)


def test_adverse_events_cost_and_lose_qalys_once_each():
    events = pd.DataFrame({"row": [0], "years": [0.0], "term": ["discitis"], "severity": [3]})
    settings = LifetimeSettings(horizon_years=1.0, discounting=Discounting(0, 0))
    base = lifetime_outcomes(follow_up(), inputs(immortal=True), settings)
    hit = lifetime_outcomes(follow_up(events=events), inputs(immortal=True), settings)
    spec = load_adverse_event_utilities()["discitis"]
    assert hit.cost[0] - base.cost[0] == pytest.approx(load_cost_items("USA")["discitis"].value)
    assert base.qaly[0] - hit.qaly[0] == pytest.approx(spec.disutility * spec.duration_years)
    np.testing.assert_array_equal(hit.cost[1:], base.cost[1:])


def test_extrapolation_is_a_choice_and_return_to_untreated_needs_the_twins():
    improved = follow_up(
        pain=2.0,
        odi=10.0,
        untreated_pain=np.full((4, 4), 7.0),
        untreated_odi=np.full((4, 4), 50.0),
        untreated_mme=np.zeros((4, 4)),
    )
    carried = lifetime_outcomes(improved, inputs(), LifetimeSettings(horizon_years=30))
    fading = lifetime_outcomes(
        improved,
        inputs(),
        LifetimeSettings(horizon_years=30, extrapolation=Extrapolation("return_to_untreated", 2.0)),
    )
    assert np.all(fading.qaly < carried.qaly) and np.all(fading.cost > carried.cost)
    with pytest.raises(ConfigError, match="untreated"):
        lifetime_outcomes(
            follow_up(),
            inputs(),
            LifetimeSettings(extrapolation=Extrapolation("return_to_untreated")),
        )


def test_costs_of_two_currencies_are_refused():
    mixed = {**load_cost_items("USA"), "mri_lumbar": load_cost_items("GBR")["mri_lumbar"]}
    with pytest.raises(ConfigError, match="one currency"):
        LifetimeInputs(mixed, load_utility_mapping(), {}, load_overdose_mortality(), {})
