"""A trial run directory is one run: resumed only with the same inputs (file contents
included), whole after a kill at any point, reusable after a run that failed early."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from disctwin.cli import app
from disctwin.testing import canonical_protocol_dict, canonical_regimen
from disctwin.therapies import dump_regimen
from disctwin.trial import dump_protocol, protocol_from_dict

pytestmark = pytest.mark.slow  # each replicate simulates its patients (seconds)

runner = CliRunner()
SRC = Path(__file__).resolve().parents[2] / "src"


def _files(tmp_path: Path, **study) -> Path:
    """A two-arm protocol whose second arm's regimen is a file beside it."""
    (tmp_path / "regimen.toml").write_text(dump_regimen(canonical_regimen()))
    data = canonical_protocol_dict(n_patients=8, **study)
    data["arm"][1]["regimen"] = "regimen.toml"
    path = tmp_path / "protocol.toml"
    path.write_text(dump_protocol(protocol_from_dict(data, base_dir=tmp_path)))
    return path


def _trial(protocol: Path, out: Path, *extra: str):
    return runner.invoke(app, ["trial", str(protocol), "--out", str(out), "--quiet", *extra])


def test_a_resumed_trial_whose_regimen_file_was_edited_is_refused(tmp_path):
    protocol = _files(tmp_path)
    out = tmp_path / "run"
    assert _trial(protocol, out).exit_code == 0
    before = sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))
    regimen = tmp_path / "regimen.toml"
    regimen.write_text(regimen.read_text().replace("1000000000000.0", "10000000000000.0"))
    result = _trial(protocol, out, "--replicates", "2")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "regimen.toml" in result.output and "changed since it started" in result.output
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == before


def test_a_failed_trial_leaves_a_directory_the_corrected_command_reuses(tmp_path):
    protocol = _files(tmp_path)
    text = protocol.read_text()
    protocol.write_text(re.sub(r"max_screened = \d+", "max_screened = 2", text))
    out = tmp_path / "run"
    failed = _trial(protocol, out)
    assert failed.exit_code == 2, failed.output
    assert "Traceback" not in failed.output
    assert "max_screened" in failed.output
    assert json.loads((out / "run.json").read_text())["failed"]
    protocol.write_text(text)
    corrected = _trial(protocol, out)
    assert corrected.exit_code == 0, corrected.output
    assert "replicates written 1, resumed 0" in corrected.output


def _tables(out: Path) -> dict[str, bytes]:
    """Every result file's bytes (the DuckDB file by its tables' contents)."""
    found = {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.suffix in (".parquet", ".csv")
    }
    con = duckdb.connect(str(out / "trial.duckdb"), read_only=True)
    try:
        for (name,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
            rows = con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall()
            found[f"trial.duckdb:{name}"] = repr(rows).encode()
    finally:
        con.close()
    return found


def _kill_when(protocol: Path, out: Path, ready, replicates: int) -> None:
    """Start the trial in a process and kill -9 it as soon as ``ready(out)`` holds."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    args = [sys.executable, "-m", "disctwin.cli", "trial", str(protocol), "--out", str(out)]
    args += ["--replicates", str(replicates), "--quiet"]
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while not ready(out) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()


def test_a_trial_killed_at_several_points_resumes_to_the_uninterrupted_tables(tmp_path):
    protocol = _files(tmp_path)
    reference = tmp_path / "reference"
    assert _trial(protocol, reference, "--replicates", "3").exit_code == 0
    expected = _tables(reference)
    points = {
        "started": lambda out: (out / "run.json").exists(),
        "one replicate written": lambda out: (out / "replicates" / "r00000").exists(),
        "two replicates written": lambda out: (out / "replicates" / "r00001").exists(),
        "writing the summary": lambda out: (out / "replicates.parquet").exists(),
    }
    for name, ready in points.items():
        out = tmp_path / name.replace(" ", "_")
        _kill_when(protocol, out, ready, 3)
        result = _trial(protocol, out, "--replicates", "3")
        assert result.exit_code == 0, (name, result.output)
        assert _tables(out) == expected, name


def test_a_truncated_replicate_file_is_detected_and_written_again(tmp_path):
    protocol = _files(tmp_path)
    out = tmp_path / "run"
    assert _trial(protocol, out, "--replicates", "2").exit_code == 0
    expected = _tables(out)
    dm = out / "replicates" / "r00001" / "sdtm" / "dm.parquet"
    dm.write_bytes(dm.read_bytes()[:100])
    result = _trial(protocol, out, "--replicates", "2")
    assert result.exit_code == 0, result.output
    assert "replicates written 1, resumed 1" in result.output
    assert _tables(out) == expected
