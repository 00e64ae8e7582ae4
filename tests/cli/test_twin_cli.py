"""`disctwin twin`: one patient's posterior and forecasts, and its bad-input errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from disctwin.cli import app

EXAMPLE = "examples/patients/p0042.toml"


def test_a_bad_record_is_one_clear_error_and_nothing_is_written(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[mri]]\nage_years = 40\n[mri.level."L4/5"]\npfirrmann = 7\n')
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["twin", str(bad), "--out", str(out)])
    assert result.exit_code == 2
    assert "pfirrmann" in result.output and "Traceback" not in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("option", "value"), [("--horizon", "0"), ("--particles", "3"), ("--horizon", "80")]
)
def test_bad_options_are_refused_before_any_work(tmp_path, option, value):
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["twin", EXAMPLE, option, value, "--out", str(out)])
    assert result.exit_code == 2 and option in result.output
    assert not out.exists()


@pytest.mark.slow
def test_the_twin_command_writes_forecasts_and_provenance(tmp_path):
    out = tmp_path / "twin"
    args = ["twin", EXAMPLE, "--regimens", "saline_intradiscal", "--horizon", "5"]
    result = CliRunner().invoke(app, [*args, "--particles", "60", "--out", str(out)])
    assert result.exit_code == 0, result.output
    forecast = pd.read_csv(out / "forecast.csv")
    assert set(forecast.strategy) == {"untreated", "saline_intradiscal"}
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["complete"] and manifest["diagnostics"]["stages"] >= 1
    assert manifest["provenance"]["config"]["record"]["patient"]["id"] == "P-0042"
    assert (out / "forecast.png").stat().st_size > 1000
