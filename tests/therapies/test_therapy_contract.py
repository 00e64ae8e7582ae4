"""The contract every therapy modality passes (scikit-learn's check_estimator, for therapies).

A new modality must be registered and given an example dose below; the meta-test fails
otherwise, and then every check runs on it.
"""

from __future__ import annotations

import numpy as np
import pytest

from disctwin.engine import (
    EVENT_KINDS,
    STATE_EVENT_KINDS,
    compiled_model,
    dose_events,
    simulate_twins,
)
from disctwin.model import DISC_STATES, PATIENT_STATES, build_model, initial_state
from disctwin.params import load_parameter_set
from disctwin.population import sample_population
from disctwin.therapies import (
    THERAPIES,
    AbstractTherapy,
    DoseContext,
    dump_regimen,
    load_regimen,
    parse_regimen,
)
from disctwin.units import DAYS_PER_YEAR

EXAMPLES = {
    "gene_therapy": {
        "modality": "gene_therapy",
        "vector": "aav2",
        "payload": ["bmp2", "timp1"],
        "route": "intradiscal",
        "dose": 1e12,
        "levels": ["L4/5", "L5/S1"],
        "day": 3.0,
    },
    "rnai": {
        "modality": "rnai",
        "vector": "sirna",
        "payload": ["rnai_mmp3"],
        "route": "intradiscal",
        "dose": 50.0,
        "needle_gauge": 27,
        "day": 3.0,
    },
    "crispr": {
        "modality": "crispr",
        "vector": "aav9",
        "payload": ["scn9a_repressor"],
        "route": "intrathecal",
        "dose": 1e14,
        "day": 3.0,
    },
    "procedure": {"modality": "procedure", "kind": "sham", "needle_gauge": 18, "day": 3.0},
    "cell_therapy": {
        "modality": "cell_therapy",
        "source": "umbilical_cord_msc",
        "cells": 2e7,
        "carrier": "hyaluronic_acid",
        "levels": ["L4/5", "L5/S1"],
        "day": 3.0,
    },
    "corticosteroid": {
        "modality": "corticosteroid",
        "route": "epidural",
        "drug": "triamcinolone_acetonide",
        "dose_mg": 40.0,
        "day": 3.0,
    },
    "opioid": {"modality": "opioid", "mme_per_day": 90.0, "duration_days": 180.0, "day": 3.0},
    "nsaid": {"modality": "nsaid", "drug": "celecoxib", "duration_days": 60.0, "day": 3.0},
    "conservative_care": {"modality": "conservative_care", "duration_days": 56.0, "day": 3.0},
}

AGE = 45.0


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def test_every_modality_is_registered_and_has_a_contract_example():
    assert {c.modality for c in _all_subclasses(AbstractTherapy)} == set(THERAPIES)
    assert set(EXAMPLES) == set(THERAPIES)


@pytest.fixture(scope="module", params=sorted(EXAMPLES))
def case(request):
    regimen = parse_regimen({"regimen": {"name": request.param}, "dose": [EXAMPLES[request.param]]})
    pop = sample_population(8, seed=31)
    return request.param, regimen, pop


def _context(pop, regimen):
    levels = np.zeros((len(pop), 5), dtype=bool)
    levels[:, 4] = True
    return DoseContext(
        seed=pop.seed,
        patient_index=pop.patient_index,
        dose_index=0,
        target_levels=levels,
        dose_age_days=np.full(len(pop), AGE * DAYS_PER_YEAR),
    )


def test_settings_survive_a_toml_round_trip(case, tmp_path):
    _, regimen, _ = case
    path = tmp_path / "r.toml"
    path.write_text(dump_regimen(regimen))
    assert load_regimen(path) == regimen


def test_effects_target_declared_existing_states_and_parameters_within_range(case):
    modality, regimen, pop = case
    therapy = THERAPIES[modality]()
    settings = regimen.doses[0]
    effects = therapy.effects(settings, _context(pop, regimen))
    assert effects, "a therapy must change something"
    states = {s.name for s in (*DISC_STATES, *PATIENT_STATES)}
    specs = {s.name: s for s in load_parameter_set()}
    model_parameters = set(build_model().parameters)
    for e in effects:
        assert e.kind in EVENT_KINDS
        if EVENT_KINDS[e.kind] in STATE_EVENT_KINDS:
            assert e.target in states and e.target in therapy.states
        else:
            assert e.target in model_parameters and e.target in therapy.parameters
            low, high = specs[e.target].range
            assert np.all((low <= np.asarray(e.value)) & (np.asarray(e.value) <= high))
        assert np.all(np.isfinite(e.value))
        assert e.level is None or 0 <= e.level < 5


def test_hazards_are_probabilities_with_severity_distributions(case):
    modality, regimen, pop = case
    hazards = THERAPIES[modality]().hazards(regimen.doses[0], _context(pop, regimen))
    assert hazards, "every procedure carries some risk"
    for h in hazards:
        assert np.all((h.probability >= 0) & (h.probability <= 1))
        assert np.all(h.exposures >= 0)
        assert abs(sum(h.severity) - 1) < 1e-12
        assert h.onset_median_days > 0 and h.onset_gsd >= 1


def test_twins_are_identical_before_the_first_dose_and_differ_after(case):
    _, regimen, pop = case
    start = np.full(len(pop), AGE * DAYS_PER_YEAR)
    day0 = start + regimen.doses[0].day
    ages = np.stack([day0 - 400, day0 - 1e-3, day0 + 60, day0 + 400], axis=1)
    twins = simulate_twins(pop, regimen, start, ages)
    assert np.all(twins.status_treated == 0)
    np.testing.assert_array_equal(twins.treated[:, :2], twins.untreated[:, :2])
    assert np.any(twins.treated[:, 2:] != twins.untreated[:, 2:])
    # the untreated twin is the natural history (no-op events only split the steps)
    plain, _, _ = compiled_model(pop.layout).solve(
        10 * DAYS_PER_YEAR,
        initial_state(),
        pop.parameters,
        ages,
        rtol=1e-6,
        atol=1e-10,
        max_steps=100_000,
    )
    np.testing.assert_allclose(twins.untreated, plain, rtol=1e-4, atol=1e-8)


def test_dosing_does_not_depend_on_the_chunk(case):
    _, regimen, pop = case
    start = np.full(len(pop), AGE * DAYS_PER_YEAR)
    rows, adverse = dose_events(pop, regimen, start)
    part = sample_population(seed=pop.seed, patient_index=pop.patient_index[4:])
    rows_part, adverse_part = dose_events(part, regimen, start[4:])
    shifted = [(r - 4, *rest) for r, *rest in rows if r >= 4]
    assert sorted(shifted) == sorted(rows_part)
    whole = adverse[0].to_pandas()
    whole = whole[whole.patient_index >= 4].reset_index(drop=True)
    assert whole.equals(adverse_part[0].to_pandas())
