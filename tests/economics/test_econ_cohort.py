"""Cohort evaluator: closed forms, and agreement with its own microsimulation."""

from __future__ import annotations

import numpy as np
import pytest

from disctwin.economics import (
    CohortModel,
    CohortStrategy,
    Discounting,
    evaluate_cohort,
    simulate_individuals,
    strategy_totals,
)


def _two_state(p_death: float, cost: float, utility: float, n_cycles: int = 20) -> CohortModel:
    p = np.array([[1 - p_death, p_death], [0.0, 1.0]])
    strategy = CohortStrategy("s", p, np.array([cost, 0.0]), np.array([utility, 0.0]))
    return CohortModel(
        ("alive", "dead"), np.array([1.0, 0.0]), n_cycles, 1.0, (strategy,), dead_states=("dead",)
    )


def test_two_state_model_equals_geometric_annuity():
    """Alive with survival q per year, rewards at cycle start ('start'): the cost is
    c Σ_{t<n} (q/(1+r))^t, a geometric series."""
    q, r, c, n = 0.9, 0.035, 1000.0, 20
    model = _two_state(1 - q, c, 0.8, n)
    summary = evaluate_cohort(model, Discounting(r, r, within_cycle="start")).summary
    ratio = q / (1 + r)
    assert summary.loc["s", "cost"] == pytest.approx(c * (1 - ratio**n) / (1 - ratio), rel=1e-12)
    assert summary.loc["s", "qaly"] == pytest.approx(0.8 * (1 - ratio**n) / (1 - ratio), rel=1e-12)
    assert summary.loc["s", "life_years"] == pytest.approx((1 - ratio**n) / (1 - ratio), rel=1e-12)


def test_time_varying_transitions_and_transition_costs():
    """Death probability 0 then 1: everyone dies in cycle 2; a one-off cost of 100 on death
    is paid once, discounted to the end of that cycle."""
    p = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]]])
    tc = np.array([[0.0, 100.0], [0.0, 0.0]])
    s = CohortStrategy("s", p, np.array([0.0, 0.0]), np.array([1.0, 0.0]), transition_costs=tc)
    model = CohortModel(("alive", "dead"), np.array([1.0, 0.0]), 3, 1.0, (s,))
    summary = evaluate_cohort(model, Discounting(0.05, 0.0, within_cycle="start")).summary
    assert summary.loc["s", "cost"] == pytest.approx(100 / 1.05**2)
    assert summary.loc["s", "qaly"] == pytest.approx(2.0)


def test_microsimulation_converges_to_cohort_and_repeats():
    """Mean per-patient outcomes of the microsimulation lie within 4 standard errors of the
    cohort totals; the same generator state gives identical patients."""
    p = np.array([[0.85, 0.1, 0.05], [0.2, 0.7, 0.1], [0.0, 0.0, 1.0]])
    strategies = (
        CohortStrategy("a", p, np.array([100.0, 900.0, 0.0]), np.array([0.9, 0.6, 0.0])),
        CohortStrategy(
            "b",
            p * 0 + np.array([[0.9, 0.07, 0.03], [0.3, 0.62, 0.08], [0, 0, 1]]),
            np.array([300.0, 900.0, 0.0]),
            np.array([0.9, 0.6, 0.0]),
        ),
    )
    model = CohortModel(("well", "ill", "dead"), np.array([0.7, 0.3, 0.0]), 30, 1.0, strategies)
    discounting = Discounting(0.035, 0.035)
    cohort = evaluate_cohort(model, discounting).summary
    patients = simulate_individuals(model, 20_000, np.random.default_rng(5), discounting)
    totals = strategy_totals(patients)
    for outcome in patients:
        for column, values in (("cost", outcome.cost), ("qaly", outcome.qaly)):
            se = values.std(ddof=1) / np.sqrt(values.size)
            assert (
                abs(totals.loc[outcome.strategy, column] - cohort.loc[outcome.strategy, column])
                < 4 * se
            )
    again = simulate_individuals(model, 20_000, np.random.default_rng(5), discounting)
    assert all(np.array_equal(x.cost, y.cost) for x, y in zip(patients, again, strict=True))
