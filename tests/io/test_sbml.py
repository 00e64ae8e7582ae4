"""The SBML export: consistent per libsbml, and libRoadRunner reproduces the engine.

libRoadRunner (LLVM-compiled SBML, CVODE) is an independent implementation of everything
but the equations themselves: it reads the exported file, not DiscTwin's code.
"""

from __future__ import annotations

import numpy as np
import pytest

from disctwin.engine import compiled_model
from disctwin.io.sbml import build_document, consistency_errors, export_sbml, sbml_id
from disctwin.model import DISC_STATES, N_LEVELS, PATIENT_STATES, initial_state
from disctwin.params import load_parameter_set
from disctwin.population import default_parameter_vector, sample_population
from disctwin.units import DAYS_PER_YEAR

# population-scale or published-trial checks: the full suite (CI) runs them
pytestmark = pytest.mark.slow

roadrunner = pytest.importorskip("roadrunner")
libsbml = pytest.importorskip("libsbml")

N_PATIENTS = 20
SEED = 31
AGES = np.arange(10.0, 70.1, 5.0)  # 60 years


def _state_ids() -> list[str]:
    ids = [sbml_id(s.name, k) for k in range(N_LEVELS) for s in DISC_STATES]
    return ids + [s.name for s in PATIENT_STATES]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sbml")
    return [
        export_sbml(folder / f"p{i}.xml", seed=SEED, patient_index=i) for i in range(N_PATIENTS)
    ]


def test_export_passes_libsbml_consistency_checks(exported):
    doc = libsbml.readSBMLFromFile(str(exported[0]))
    assert doc.getLevel() == 3 and doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR) == 0
    assert consistency_errors(doc) == []


def test_structural_model_exports(tmp_path):
    path = export_sbml(tmp_path / "structural.xml")
    doc = libsbml.readSBMLFromFile(str(path))
    model = doc.getModel()
    assert model.getNumRules() > 45
    p = model.getParameter("apoptosis_rate")
    assert "Source" in p.getNotesString() and p.getUnits() == "per_day"


def test_every_parameter_has_units_and_a_source_note(exported):
    model = libsbml.readSBMLFromFile(str(exported[0])).getModel()
    ps = load_parameter_set()
    for spec in ps:
        pid = spec.name if model.getParameter(spec.name) else sbml_id(spec.name, 0)
        param = model.getParameter(pid)
        if param is None:  # observation-model parameters are not part of the ODE model
            continue
        assert param.getUnits(), pid
        assert "Source:" in param.getNotesString(), pid


def test_roadrunner_reproduces_the_engine_over_60_years(exported):
    pop = sample_population(N_PATIENTS, seed=SEED)
    t_out = AGES * DAYS_PER_YEAR
    engine, status, _ = compiled_model(pop.layout).solve(
        t_out[0],
        initial_state(),
        pop.parameters,
        t_out,
        rtol=1e-6,
        atol=1e-10,
        max_steps=100_000,
    )
    assert np.all(status == 0)
    ids = _state_ids()
    for i, path in enumerate(exported):
        rr = roadrunner.RoadRunner(str(path))
        rr.integrator.relative_tolerance = 1e-10
        rr.integrator.absolute_tolerance = 1e-13
        rr.integrator.maximum_num_steps = 100_000
        result = np.asarray(rr.simulate(t_out[0], t_out[-1], len(t_out), selections=["time", *ids]))
        np.testing.assert_allclose(result[:, 0], t_out, rtol=1e-12)
        rr_states = result[:, 1:]
        close = np.abs(engine[i] - rr_states) <= 1e-3 * np.abs(rr_states) + 1e-6
        assert close.all(), (i, np.argwhere(~close)[:5])


def test_default_vector_is_the_parameter_set_at_reference_covariates():
    pop = sample_population(1, seed=0)
    vec = default_parameter_vector(load_parameter_set(), pop.layout)
    assert vec[pop.layout.slot("apoptosis_rate")] == load_parameter_set()["apoptosis_rate"].value
    assert vec[pop.layout.slot("smoker")] == 0.0
    doc = build_document(load_parameter_set(), pop.layout, vec)
    assert consistency_errors(doc) == []


@pytest.mark.parametrize(
    "regimen",
    [
        "examples/regimens/intradiscal_ad_tgfb1.toml",
        "examples/regimens/intrathecal_scaav8_pomc.toml",
        "examples/regimens/intradiscal_aav6_crispr_ko_adamts5_mmp3.toml",
    ],
)
def test_roadrunner_reproduces_treated_patients_with_doses_as_sbml_events(tmp_path, regimen):
    from disctwin.engine import simulate_twins
    from disctwin.therapies import load_regimen

    loaded = load_regimen(regimen)
    age = 45.0
    pop = sample_population(2, seed=SEED)
    t_out = (age + np.array([-1.0, 0.05, 0.25, 1.0, 1.5, 3.0])) * DAYS_PER_YEAR
    twins = simulate_twins(pop, loaded, np.full(2, age * DAYS_PER_YEAR), t_out)
    ids = _state_ids()
    for i in range(2):
        path = export_sbml(
            tmp_path / f"p{i}.xml",
            seed=SEED,
            patient_index=i,
            regimen=loaded,
            treatment_age_years=age,
        )
        doc = libsbml.readSBMLFromFile(str(path))
        assert doc.getModel().getNumEvents() >= 1
        assert consistency_errors(doc) == []
        rr = roadrunner.RoadRunner(str(path))
        rr.integrator.relative_tolerance = 1e-10
        rr.integrator.absolute_tolerance = 1e-13
        rr.integrator.maximum_num_steps = 200_000
        times = np.concatenate([[10 * DAYS_PER_YEAR], t_out])
        result = np.asarray(rr.simulate(times=times.tolist(), selections=["time", *ids]))
        rr_states = result[1:, 1:]
        engine = twins.treated[i]
        close = np.abs(engine - rr_states) <= 1e-3 * np.abs(rr_states) + 1e-6
        assert close.all(), (i, [ids[j] for j in np.argwhere(~close)[:5, 1]])
        assert np.any(twins.treated[i, 1:] != twins.untreated[i, 1:])


def test_every_known_unit_has_an_sbml_definition():
    from disctwin.io.sbml import _UNIT_IDS
    from disctwin.units import KNOWN_UNITS

    assert set(KNOWN_UNITS) <= set(_UNIT_IDS)
