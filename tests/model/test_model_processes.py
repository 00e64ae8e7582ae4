"""The model's process builders: every state has exactly one rate, from a process that names
an existing state; assignments are in evaluation order; the assembly refuses bad processes."""

from __future__ import annotations

import pytest
import sympy as sp

from disctwin.model import COVARIATES, DISC_STATES, PATIENT_STATES, build_model
from disctwin.model.equations import (
    DISC_ASSIGNMENTS,
    PATIENT_ASSIGNMENTS,
    assemble,
    build_processes,
    rates_by_state,
)
from disctwin.model.processes import ModelSymbols, ParameterSymbols, Process, Quantity
from disctwin.model.processes.base import symbol

STATE_NAMES = [s.name for s in (*DISC_STATES, *PATIENT_STATES)]


@pytest.fixture(scope="module")
def processes():
    m = ModelSymbols(symbol("t"), ParameterSymbols(), {c: symbol(c) for c in COVARIATES})
    return m, build_processes(m)


def test_each_builder_names_only_existing_states(processes):
    _, built = processes
    for process in built:
        unknown = set(process.rates) - set(STATE_NAMES)
        assert not unknown, f"{process.name} gives rates for unknown states {unknown}"


def test_every_state_has_exactly_one_rate(processes):
    _, built = processes
    owners = [name for process in built for name in process.rates]
    assert sorted(owners) == sorted(STATE_NAMES)
    assert set(rates_by_state(built)) == set(STATE_NAMES)


def test_a_rate_for_a_state_that_does_not_exist_is_refused(processes):
    _, built = processes
    bogus = Process("bogus", rates={"disc_hight": sp.Integer(0)})
    with pytest.raises(ValueError, match="disc_hight"):
        rates_by_state((*built, bogus))


def test_a_state_left_without_a_rate_is_refused(processes):
    _, built = processes
    without_pain = tuple(p for p in built if p.name != "pain")
    with pytest.raises(ValueError, match="central_sensitisation"):
        rates_by_state(without_pain)


def test_a_state_given_two_rates_is_refused(processes):
    _, built = processes
    twice = Process("twice", rates={"innervation": sp.Integer(0)})
    with pytest.raises(ValueError, match="innervation"):
        rates_by_state((*built, twice))


def test_an_assignment_missing_from_the_evaluation_order_is_refused(processes):
    m, built = processes
    extra = Process("extra", assignments=(Quantity("stray", "1", "not listed", sp.Integer(1)),))
    with pytest.raises(ValueError, match="stray"):
        assemble(m, (*built, extra))


@pytest.mark.parametrize(
    ("scope", "order"), [("disc", DISC_ASSIGNMENTS), ("patient", PATIENT_ASSIGNMENTS)]
)
def test_assignments_use_only_earlier_assignments(scope, order):
    model = build_model()
    assignments = model.disc_assignments if scope == "disc" else model.patient_assignments
    assert tuple(q.name for q in assignments) == order
    allowed = {symbol(n) for n in (*STATE_NAMES, *COVARIATES, *model.parameters, "t")}
    if scope == "patient":
        allowed |= set(model.aggregates)
    for q in assignments:
        stray = q.expr.free_symbols - allowed
        assert not stray, f"{q.name} uses {stray} before they are defined"
        allowed.add(q.symbol)


def test_rates_and_observables_use_only_defined_symbols():
    model = build_model()
    base = {symbol(n) for n in (*STATE_NAMES, *COVARIATES, *model.parameters, "t")}
    disc = base | {q.symbol for q in model.disc_assignments}
    patient = base | {q.symbol for q in model.patient_assignments} | set(model.aggregates)
    for expr in (*model.disc_rates, *(q.expr for q in model.disc_observables)):
        assert expr.free_symbols <= disc, expr.free_symbols - disc
    for expr in (*model.patient_rates, *(q.expr for q in model.patient_observables)):
        assert expr.free_symbols <= patient, expr.free_symbols - patient
