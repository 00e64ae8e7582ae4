"""`disctwin simulate --regimen`: twins to Parquet, differences, resume, provenance."""

from __future__ import annotations

import csv
import json

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from disctwin.cli import app
from disctwin.engine import Engine
from disctwin.errors import ConfigError
from disctwin.io.treatment import run_treatment
from disctwin.population import PopulationSpec
from disctwin.therapies import load_regimen

REGIMEN = "examples/regimens/intrathecal_scaav8_pomc.toml"


def test_cli_regimen_run_reports_twin_differences(tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "--regimen",
            REGIMEN,
            "--n-patients",
            "40",
            "--treatment-age",
            "50",
            "--follow-up",
            "0,90,400",
            "--out",
            str(out),
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Treated - untreated" in result.output
    with (out / "differences.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    pain = {
        float(r["day"]): float(r["difference_mean"])
        for r in rows
        if r["observable"] == "pain_latent"
    }
    assert pain[0.0] == 0.0  # identical twins at day 0 (before the dose takes effect)
    assert pain[90.0] < 0 and pain[400.0] < 0  # beta-endorphin relieves pain
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["complete"]
    assert manifest["provenance"]["config"]["regimen"]["regimen"]["name"].startswith(
        "Intrathecal scAAV8"
    )
    patients = pq.read_table(out / "patients").to_pandas()
    assert len(patients) == 40 * 3 * 2
    discs = pq.read_table(out / "discs")
    for finding in ("disc_bulge", "disc_protrusion", "disc_extrusion", "annular_fissure"):
        assert finding in discs.column_names  # every morphology finding (issue 26)
    assert {r["observable"] for r in rows} >= {"disc_bulge", "disc_extrusion"}


def test_a_killed_regimen_run_resumes_without_losing_or_duplicating_patients(tmp_path):
    spec = PopulationSpec(n_patients=20, seed=4)
    regimen = load_regimen("saline_intradiscal")
    args = (spec, regimen, 45.0, [0.0, 365.0])
    full = run_treatment(*args, tmp_path / "a", part_size=8, engine=Engine(chunk_size=5))
    run_treatment(*args, tmp_path / "b", part_size=8, engine=Engine(chunk_size=7))
    (tmp_path / "b" / "patients" / "part-00001.parquet").unlink()  # "killed" mid-run
    resumed = run_treatment(*args, tmp_path / "b", part_size=8, engine=Engine(chunk_size=7))
    assert resumed.n_patients == full.n_patients
    for sub in ("patients", "discs", "adverse_events"):
        a = pq.read_table(tmp_path / "a" / sub).to_pandas()
        b = pq.read_table(tmp_path / "b" / sub).to_pandas()
        assert a.equals(b), sub
    with pytest.raises(ConfigError, match="same run"):
        run_treatment(spec, regimen, 50.0, [0.0, 365.0], tmp_path / "b", part_size=8)


def test_bad_regimen_arguments_give_one_clear_error(tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        app, ["simulate", "--regimen", "salin_intradiscal", "--out", str(tmp_path / "x")]
    )
    assert result.exit_code == 2
    assert "saline_intradiscal" in result.output and "Traceback" not in result.output
    result = runner.invoke(
        app,
        ["simulate", "--regimen", REGIMEN, "--follow-up", "30,10", "--out", str(tmp_path / "y")],
    )
    assert result.exit_code == 2 and "follow_up_days" in result.output
