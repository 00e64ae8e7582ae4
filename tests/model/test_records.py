"""The record spec: every recorded quantity is declared once, and every reader reads it."""

from __future__ import annotations

import numpy as np
import pytest

from disctwin.engine import simulate
from disctwin.inference.sensitivity import parse_outputs
from disctwin.io.cdisc import _ADQS, _MO, _QS
from disctwin.io.simulation import chunk_tables
from disctwin.model import build_model
from disctwin.model.observables import measure
from disctwin.model.records import OUTPUTS, RECORDS, Cdisc, Record, record, record_values, records
from disctwin.model.states import DISC_STATES, N_LEVELS, PATIENT_STATES
from disctwin.population import sample_population
from disctwin.trial.protocol import DISC_VARIABLES, MEASURES, PATIENT_VARIABLES

AGES = np.array([35.0, 55.0]) * 365.25


@pytest.fixture(scope="module")
def run():
    return simulate(sample_population(6, seed=3), ages_days=AGES)


@pytest.fixture(scope="module")
def sources(run):
    disc, patient = run.true_observables()
    m = measure(disc, patient, run.population.parameter_set, 3, run.population.patient_index)
    return {
        "measured_disc": m.disc,
        "measured_patient": m.patient,
        "disc_true": disc,
        "patient_true": patient,
        "states": run.states,
    }


def test_names_are_unique_and_outputs_known():
    names = [r.name for r in RECORDS]
    assert len(names) == len(set(names))
    for r in RECORDS:
        assert r.outputs and r.outputs <= set(OUTPUTS), r.name
        assert record(r.name) is r


def test_every_record_reads_its_source_with_the_right_shape(run, sources):
    n, m = len(run.population), len(AGES)
    for r in RECORDS:
        values = record_values(r, **sources)
        assert values.shape == ((n, m, N_LEVELS) if r.level == "disc" else (n, m)), r.name


def test_model_quantities_carry_the_model_units():
    model = build_model()
    units = {q.name: q.unit for q in (*model.disc_observables, *model.patient_observables)}
    units |= {s.name: s.unit for s in (*DISC_STATES, *PATIENT_STATES)}
    for r in RECORDS:
        if r.source in ("observable", "state"):
            assert r.unit == units[r.key], r.name
            assert r.truth == "true", r.name


def test_cdisc_codes_are_unique_and_submittable():
    codes = [(r.cdisc.domain, r.cdisc.testcd) for r in RECORDS if r.cdisc]
    assert len(codes) == len(set(codes))
    with pytest.raises(ValueError, match="1-8 upper-case"):
        Cdisc("QS", "TOOLONGCODE", "x")
    assert {c for c, _ in _QS.values()} == {
        r for r in RECORDS if r.cdisc and r.cdisc.domain == "QS"
    }
    assert {r.name for r, _ in _MO.values()} <= set(DISC_VARIABLES)
    assert {r.name for r, _ in _ADQS.values()} == set(MEASURES)


def test_a_bad_record_is_refused():
    with pytest.raises(ValueError, match="unknown outputs"):
        Record("x", "disc", "true", "1", "x", "observable", frozenset({"nowhere"}))
    with pytest.raises(ValueError, match="per patient"):
        Record("x", "disc", "measured", "1", "x", "finding", frozenset({"simulation"}))


def test_the_readers_read_the_spec(run):
    assert list(DISC_VARIABLES) == [r.name for r in records("screening", "disc")]
    assert list(MEASURES) == [r.name for r in records("visit")]
    for r in records("screening", "patient"):
        assert r.name in PATIENT_VARIABLES
    disc_table, patient_table = chunk_tables(run, 3)
    assert [r.name for r in records("simulation", "disc")] == disc_table.column_names[3:]
    sim_patient = [r.name for r in records("simulation", "patient")]
    assert patient_table.column_names[-len(sim_patient) :] == sim_patient
    parsed = parse_outputs([f"{r.name}@50" for r in records("sensitivity")] + ["mean_pain@50"])
    assert len(parsed) == len(records("sensitivity")) + 1
