"""Opioid harms change the answer: switching off overdose deaths and addiction costs raises
the long-term-opioid strategy's QALYs and lowers its costs (a small simulated cohort)."""

from pathlib import Path

import numpy as np

from disctwin.economics import (
    guideline_discounting,
    load_adverse_event_utilities,
    load_cost_items,
    load_life_table,
    load_overdose_mortality,
    load_utility_mapping,
)
from disctwin.economics.from_simulation import follow_up_from_trajectories
from disctwin.economics.lifetime import LifetimeInputs, LifetimeSettings, lifetime_outcomes
from disctwin.engine import Record, simulate
from disctwin.population import sample_population
from disctwin.therapies import load_regimen

REGIMEN = Path(__file__).parents[2] / "examples" / "regimens" / "opioid_long_term_60mme.toml"


def test_without_overdose_deaths_and_addiction_costs_opioids_look_better():
    n = 60
    population = sample_population(n, seed=11)
    day0 = np.full(n, 50 * 365.25)
    days = np.array([0.0, 91, 182, 273, 364, 455, 730])
    run = simulate(
        population,
        load_regimen(REGIMEN),
        ages_days=day0[:, None] + days,
        treatment_age_days=day0,
        record=Record(parameters=True),
    )
    follow_up = follow_up_from_trajectories(
        run, "opioids", treatment_age_days=day0, population_id="seed11"
    )
    assert follow_up.events is not None and "opioid_addiction" in set(follow_up.events["term"])
    inputs = LifetimeInputs(
        load_cost_items("USA"),
        load_utility_mapping(),
        {s: load_life_table("USA", s) for s in ("female", "male")},
        load_overdose_mortality(),
        load_adverse_event_utilities(),
    )
    rates = guideline_discounting("USA").discounting
    with_harms = lifetime_outcomes(follow_up, inputs, LifetimeSettings(discounting=rates))
    without = lifetime_outcomes(
        follow_up,
        inputs,
        LifetimeSettings(discounting=rates, overdose_deaths=False, addiction_costs=False),
    )
    assert with_harms.overdose_deaths.mean() > 0 and without.overdose_deaths.max() == 0
    assert without.qaly.mean() > with_harms.qaly.mean()
    assert without.cost.mean() < with_harms.cost.mean()
