"""Nerve ingrowth into each disc is recorded: simulate and treatment files, sensitivity.

Added through the record spec alone (one entry in ``disctwin.model.records``): the depth of
nociceptive fibre ingrowth (model state ``innervation``, 0 = outer annulus only, 1 = into the
nucleus) grows with age and with degeneration, as the painful-disc histology it stands for
(Freemont et al. 1997 Lancet 350:178) describes.
"""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest

from disctwin.engine import simulate
from disctwin.inference.sensitivity import parse_outputs
from disctwin.io import run_simulation
from disctwin.io.simulation import chunk_tables
from disctwin.model.states import state_index
from disctwin.population import PopulationSpec, sample_population

AGES = np.array([30.0, 50.0, 70.0])


@pytest.fixture(scope="module")
def tables():
    run = simulate(sample_population(200, seed=8), ages_days=AGES * 365.25)
    return run, *chunk_tables(run, 8)


def test_simulate_writes_the_state_of_every_level(tables):
    run, discs, _ = tables
    values = discs.column("nerve_ingrowth_true").to_numpy().reshape(200, len(AGES), 5)
    level = 3  # L4/5
    np.testing.assert_array_equal(
        values[:, :, level], run.states[:, :, state_index("innervation", level)]
    )
    assert ((values >= 0) & (values <= 1)).all()


def test_ingrowth_grows_with_age_and_with_degeneration(tables):
    _, discs, _ = tables
    frame = discs.to_pandas()
    by_age = frame.groupby("age_years")["nerve_ingrowth_true"].mean().to_numpy()
    assert np.all(np.diff(by_age) > 0), by_age
    at_50 = frame[np.isclose(frame.age_years, 50.0)]
    degenerate = at_50[at_50.disc_degeneration]["nerve_ingrowth_true"].mean()
    healthy = at_50[~at_50.disc_degeneration]["nerve_ingrowth_true"].mean()
    assert degenerate > healthy


def test_it_is_a_sensitivity_output():
    assert parse_outputs(["nerve_ingrowth_true@50"]) == [("nerve_ingrowth_true", 50.0)]


def test_the_simulate_command_files_carry_it(tmp_path):
    spec = PopulationSpec(n_patients=5, seed=2)
    run_simulation(spec, [40.0], tmp_path / "run")
    table = pq.read_table(tmp_path / "run" / "discs")
    assert "nerve_ingrowth_true" in table.column_names
