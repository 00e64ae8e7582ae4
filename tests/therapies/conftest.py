"""Helpers shared by the therapy tests."""

from __future__ import annotations

import numpy as np
import pytest

from disctwin.engine import simulate_twins
from disctwin.population import sample_population
from disctwin.therapies import parse_regimen
from disctwin.units import DAYS_PER_YEAR


def regimen_of(*doses: dict, name: str = "test"):
    return parse_regimen({"regimen": {"name": name}, "dose": list(doses)})


def run_twins(doses, age_years, follow_days, *, n=30, seed=5, index_levels=None, pop=None):
    """Twins of ``n`` patients dosed at ``age_years``, observed ``follow_days`` after."""
    pop = pop if pop is not None else sample_population(n, seed=seed)
    start = np.full(len(pop), age_years * DAYS_PER_YEAR)
    ages = start[:, None] + np.asarray(follow_days, dtype=float)[None, :]
    twins = simulate_twins(pop, regimen_of(*doses), start, ages, index_levels=index_levels)
    assert np.all(twins.status_treated == 0) and np.all(twins.status_untreated == 0)
    return twins


@pytest.fixture(scope="session")
def twins_runner():
    return run_twins


@pytest.fixture(scope="session")
def make_regimen():
    return regimen_of
