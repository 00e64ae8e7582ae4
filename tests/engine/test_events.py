"""Dose events in the engine: exact semantics, checked against running the two halves by hand.

An event splits the integration exactly at its time, so a run with an event must equal
(bit for bit) a run to the event time, the change applied by hand, and a fresh run on.
"""

from __future__ import annotations

import numpy as np
import pytest

from disctwin.engine import EventTable, compiled_model
from disctwin.errors import ConfigError
from disctwin.model import initial_state, state_index
from disctwin.population import sample_population
from disctwin.units import DAYS_PER_YEAR

T0 = 10 * DAYS_PER_YEAR
T_EVENT = 35.5 * DAYS_PER_YEAR
SOLVE = {"rtol": 1e-6, "atol": 1e-10, "max_steps": 100_000}


@pytest.fixture(scope="module")
def setup():
    pop = sample_population(4, seed=12)
    return pop, compiled_model(pop.layout)


def _two_stage(model, pop, t_after, change_state=None, change_param=None):
    """Solve to T_EVENT, apply a change by hand, solve from T_EVENT to t_after."""
    first, _, _ = model.solve(T0, initial_state(), pop.parameters, np.array([T0, T_EVENT]), **SOLVE)
    y_mid = first[:, -1].copy()
    params = pop.parameters.copy()
    if change_state:
        idx, factor = change_state
        y_mid[:, idx] *= factor
    if change_param:
        idx, factor = change_param
        params[:, idx] *= factor
    second, _, _ = model.solve(
        T_EVENT, y_mid, params, np.concatenate([[T_EVENT], t_after]), **SOLVE
    )
    return y_mid, second[:, 1:]


def test_state_event_equals_restart_with_the_jumped_state(setup):
    pop, model = setup
    idx = state_index("herniated_volume", 3)
    t_out = np.array([20, 30, 35.5, 40, 60]) * DAYS_PER_YEAR
    events = EventTable.from_rows(
        len(pop), [(i, T_EVENT, "state_multiply", idx, 0.1) for i in range(len(pop))]
    )
    with_event, status, _ = model.solve(
        T0, initial_state(), pop.parameters, t_out, events=events, **SOLVE
    )
    assert np.all(status == 0)
    y_mid, after = _two_stage(model, pop, t_out[3:], change_state=(idx, 0.1))
    np.testing.assert_array_equal(with_event[:, 2], y_mid)  # output at the event: post-event
    np.testing.assert_array_equal(with_event[:, 3:], after)


def test_parameter_event_refreshes_derived_constants(setup):
    pop, model = setup
    # endplate_decline_rate of L4/5 sits inside hoisted (parameter-derived) constants
    slot = pop.layout.slot("endplate_decline_rate", 3)
    t_out = np.array([20, 40, 60, 80]) * DAYS_PER_YEAR
    events = EventTable.from_rows(
        len(pop), [(i, T_EVENT, "parameter_multiply", slot, 5.0) for i in range(len(pop))]
    )
    with_event, _, _ = model.solve(
        T0, initial_state(), pop.parameters, t_out, events=events, **SOLVE
    )
    _, after = _two_stage(model, pop, t_out[1:], change_param=(slot, 5.0))
    np.testing.assert_array_equal(with_event[:, 1:], after)
    plain, _, _ = model.solve(T0, initial_state(), pop.parameters, t_out, **SOLVE)
    pe = state_index("endplate_permeability", 3)
    assert np.all(with_event[:, -1, pe] < plain[:, -1, pe])  # the event did something
    np.testing.assert_array_equal(pop.parameters, sample_population(4, seed=12).parameters)


def test_treated_and_untreated_twins_are_identical_before_the_first_dose(setup):
    pop, model = setup
    t_out = np.arange(10, 81, 1.0) * DAYS_PER_YEAR
    doses = [
        (i, (30 + 5 * i) * DAYS_PER_YEAR, "parameter_set", pop.layout.slot("nav17_expression"), 0.2)
        for i in range(len(pop))
    ]
    treated, _, _ = model.solve(
        T0,
        initial_state(),
        pop.parameters,
        t_out,
        events=EventTable.from_rows(len(pop), doses),
        **SOLVE,
    )
    # the untreated twin gets a no-op event at the same instant (as simulate_twins does), so
    # both solvers stop there: without it, outputs inside the last step before the dose would
    # come from different steps and agree only to the tolerance
    noop = EventTable.from_rows(len(pop), [(i, t, "state_add", 0, 0.0) for i, t, *_ in doses])
    untreated, _, _ = model.solve(T0, initial_state(), pop.parameters, t_out, events=noop, **SOLVE)
    cs = state_index("central_sensitisation")
    for i in range(len(pop)):
        before = t_out < doses[i][1]
        np.testing.assert_array_equal(treated[i, before], untreated[i, before])
        assert treated[i, -1, cs] <= untreated[i, -1, cs]  # less Nav1.7, less sensitisation


def test_events_at_the_start_and_after_the_end(setup):
    pop, model = setup
    idx = state_index("annular_damage", 0)
    t_out = np.array([10.0, 20.0]) * DAYS_PER_YEAR
    events = EventTable.from_rows(
        len(pop), [(0, T0, "state_set", idx, 0.5), (0, 99 * DAYS_PER_YEAR, "state_set", idx, 0.9)]
    )
    out, status, _ = model.solve(T0, initial_state(), pop.parameters, t_out, events=events, **SOLVE)
    assert out[0, 0, idx] == 0.5 and status[0] == 0  # applied at the start
    assert out[0, 1, idx] < 0.9  # the event after the last output never acts
    assert out[1, 0, idx] == 0.0  # other patients untouched


def test_invalid_events_are_rejected(setup):
    pop, model = setup
    t_out = np.array([20.0]) * DAYS_PER_YEAR
    bad_index = EventTable.from_rows(len(pop), [(0, T_EVENT, "state_set", 999, 1.0)])
    with pytest.raises(ConfigError, match="index"):
        model.solve(T0, initial_state(), pop.parameters, t_out, events=bad_index, **SOLVE)
    with pytest.raises(ConfigError, match=r"event\.kind"):
        EventTable.from_rows(len(pop), [(0, T_EVENT, "state_divide", 0, 1.0)])
