"""The command line: each command runs, prints what it promises, writes what it says."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
from typer.testing import CliRunner

from disctwin.cli import app

runner = CliRunner()


def test_help_lists_every_command():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("simulate", "params", "describe", "export-sbml"):
        assert command in result.output
        assert runner.invoke(app, [command, "--help"]).exit_code == 0


def _simulate_small(out):
    args = ["simulate", "--n-patients", "25", "--seed", "4", "--ages", "20:50:10"]
    return runner.invoke(app, [*args, "--out", str(out), "--quiet"])


def test_simulate_writes_parquet_and_prints_brinjikji_comparison(tmp_path):
    out = tmp_path / "run"
    result = _simulate_small(out)
    assert result.exit_code == 0, result.output
    assert "Brinjikji" in result.output and "(37)" in result.output  # published 20 y value
    assert "ok 25" in result.output
    discs = pq.read_table(out / "discs")
    patients = pq.read_table(out / "patients")
    assert discs.num_rows == 25 * 4 * 5 and patients.num_rows == 25 * 4
    assert {"pfirrmann_grade", "t2_ms", "disc_height_index", "annular_fissure"} <= set(
        discs.column_names
    )
    assert {"nrs", "vas", "odi", "smoker", "status"} <= set(patients.column_names)
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["complete"] and manifest["provenance"]["config"]["population"]["seed"] == 4
    # the same command again resumes: nothing rewritten
    again = _simulate_small(out)
    assert again.exit_code == 0 and "resumed 1" in again.output


def test_params_prints_units_and_sources():
    result = runner.invoke(app, ["params", "--format", "csv", "--group", "nutrition"])
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("name,value,unit,range")
    assert any(line.startswith("endplate_decline_rate,") and "1/day" in line for line in lines)


def test_describe_html(tmp_path):
    out = tmp_path / "model.html"
    result = runner.invoke(app, ["describe", "--format", "html", "--out", str(out)])
    assert result.exit_code == 0
    assert "<table>" in out.read_text()


def test_export_sbml(tmp_path):
    out = tmp_path / "p.xml"
    result = runner.invoke(
        app, ["export-sbml", "--patient-index", "2", "--seed", "5", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("<?xml")


def test_sensitivity_command(tmp_path):
    result = runner.invoke(
        app,
        [
            "sensitivity",
            "--outputs",
            "chronic_pain@40",
            "--n",
            "4",
            "--patients",
            "20",
            "--parameters",
            "pain_scale,fissure_rate",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Sobol indices of chronic_pain@40" in result.output
    rows = (tmp_path / "sobol.csv").read_text().splitlines()
    assert rows[0] == "output,parameter,S1,S1_conf,ST,ST_conf" and len(rows) == 3
    assert (tmp_path / "sobol.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sensitivity_bad_output_name():
    result = runner.invoke(app, ["sensitivity", "--outputs", "chronic_pian@40"])
    assert result.exit_code == 2 and "did you mean 'chronic_pain'" in result.output


def test_a_truncated_part_is_detected_on_resume_and_written_again(tmp_path):
    out = tmp_path / "run"
    assert _simulate_small(out).exit_code == 0
    part = out / "patients" / "part-00000.parquet"
    whole = part.read_bytes()
    part.write_bytes(whole[: len(whole) // 3])
    again = _simulate_small(out)
    assert again.exit_code == 0, again.output
    assert "parts written 1, resumed 0" in " ".join(again.output.split())
    assert part.read_bytes() == whole


def test_a_resumed_simulation_whose_parameter_file_changed_is_refused(tmp_path):
    overlay = tmp_path / "overlay.toml"
    overlay.write_text('[set]\nbase = "calibrated"\n')
    args = [
        "simulate",
        "--n-patients",
        "3",
        "--ages",
        "20",
        "--quiet",
        "--out",
        str(tmp_path / "o"),
    ]
    assert runner.invoke(app, [*args, "--parameters", str(overlay)]).exit_code == 0
    overlay.write_text('[set]\nbase = "calibrated"\n# the same set, another file\n')
    result = runner.invoke(app, [*args, "--parameters", str(overlay)])
    assert result.exit_code == 2
    assert f"the content of {overlay} (parameter_file) changed" in result.output
