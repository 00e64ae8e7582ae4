"""Same config and seed: byte-identical files whatever the chunk size or thread count; a
killed run resumes without losing or duplicating a patient."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from disctwin.engine import Engine
from disctwin.errors import ConfigError
from disctwin.io import run_simulation
from disctwin.population import PopulationSpec

SPEC = PopulationSpec(n_patients=23, seed=99)
AGES = [20.0, 45.0, 70.0]


def _files(out):
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*.parquet"))}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    results = {}
    for chunk, threads in ((1, 1), (7, 2), (1000, None)):
        out = tmp_path_factory.mktemp(f"chunk{chunk}") / "out"
        run_simulation(
            SPEC, AGES, out, engine=Engine(chunk_size=chunk, threads=threads), part_size=10
        )
        results[chunk] = out
    return results


def test_bit_identical_parquet_whatever_the_chunk_size(runs):
    files = {chunk: _files(out) for chunk, out in runs.items()}
    assert len(files[1]) == 6  # 3 parts x (discs, patients)
    assert files[1] == files[7] == files[1000]


def test_each_patient_once(runs):
    table = pq.read_table(runs[7] / "patients")
    idx = table.column("patient_index").to_numpy()
    assert sorted(set(idx)) == list(range(SPEC.n_patients))
    assert len(idx) == SPEC.n_patients * len(AGES)


def test_results_carry_version_config_and_seed(runs):
    meta = json.loads(
        pq.read_schema(runs[1] / "discs" / "part-00000.parquet").metadata[b"disctwin"]
    )
    assert meta["config"]["population"]["seed"] == 99
    assert meta["config"]["ages_years"] == AGES
    assert meta["disctwin_version"] and meta["model_digest"]
    assert meta["config"]["parameter_digest"]


def test_killed_run_resumes_without_loss_or_duplication(runs, tmp_path):
    reference = _files(runs[1000])
    out = tmp_path / "out"
    run_simulation(SPEC, AGES, out, engine=Engine(chunk_size=5), part_size=10)
    # simulate a kill during part 1: its files missing, a half-written temporary left over
    (out / "discs" / "part-00001.parquet").unlink()
    (out / "patients" / "part-00001.parquet").unlink()
    (out / "discs" / ".part-00001.parquet.tmp").write_bytes(b"partial")
    run = run_simulation(SPEC, AGES, out, engine=Engine(chunk_size=5), part_size=10)
    assert run.parts_written == 1 and run.parts_skipped == 2
    assert _files(out) == reference
    assert run.status_counts["ok"] == SPEC.n_patients


def test_resuming_with_another_config_is_refused(runs):
    with pytest.raises(ConfigError, match="different run"):
        run_simulation(PopulationSpec(n_patients=23, seed=100), AGES, runs[1], part_size=10)


def test_different_seed_gives_different_patients(runs, tmp_path):
    out = tmp_path / "other"
    run_simulation(PopulationSpec(n_patients=5, seed=98), AGES, out, part_size=10)
    a = pq.read_table(out / "patients").column("bmi").to_numpy()[:5]
    b = pq.read_table(runs[1] / "patients").column("bmi").to_numpy()[:5]
    assert not np.allclose(a, b)
