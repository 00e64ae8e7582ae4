"""The run directory: which directories it refuses, resumes or starts; atomic parts; the
manifest (:mod:`disctwin.io.rundir`)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from disctwin.errors import ConfigError
from disctwin.io import rundir
from disctwin.io.rundir import MANIFEST, RunDirectory

RUN = {"config": {"seed": 1}, "disctwin_version": "test"}
TABLE = pa.table({"patient_index": [0, 1, 2], "value": [0.5, 1.5, 2.5]})


def _problem(err: pytest.ExceptionInfo[ConfigError]):
    (problem,) = err.value.problems
    return problem


def _leftovers(path):
    return sorted(p.name for p in path.rglob(".*"))


def test_a_new_directory_is_started_with_a_manifest_not_yet_complete(tmp_path):
    out = tmp_path / "new" / "run"
    run = RunDirectory.open(out, RUN, subdirectories=("discs", "patients"))
    assert (out / "discs").is_dir() and (out / "patients").is_dir()
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["provenance"] == RUN and manifest["complete"] is False
    assert set(manifest) == {"provenance", "environment", "complete"}
    assert run.manifest == manifest and not _leftovers(out)


def test_complete_marks_the_manifest_and_adds_the_summary(tmp_path):
    run = RunDirectory.open(tmp_path / "run", RUN)
    returned = run.complete(seconds=1.5, parts_written=2)
    manifest = json.loads((tmp_path / "run" / MANIFEST).read_text())
    assert manifest == returned
    assert manifest["complete"] is True
    assert (manifest["seconds"], manifest["parts_written"]) == (1.5, 2)
    assert not _leftovers(tmp_path / "run")


def test_an_empty_existing_directory_is_started(tmp_path):
    RunDirectory.open(tmp_path, RUN)
    assert (tmp_path / MANIFEST).is_file()


def test_a_directory_holding_a_different_run_is_refused(tmp_path):
    RunDirectory.open(tmp_path / "run", RUN).complete()
    before = (tmp_path / "run" / MANIFEST).read_bytes()
    other = {**RUN, "config": {"seed": 2}}
    with pytest.raises(ConfigError, match="different run") as err:
        RunDirectory.open(tmp_path / "run", other, field="--out", same="protocol and seed")
    problem = _problem(err)
    assert problem.field == "--out" and problem.value == str(tmp_path / "run")
    assert "same run (same protocol and seed)" in problem.allowed
    assert (tmp_path / "run" / MANIFEST).read_bytes() == before  # left as it was


def test_a_non_empty_directory_without_a_manifest_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("someone else's")
    with pytest.raises(ConfigError, match="new or empty directory") as err:
        RunDirectory.open(tmp_path, RUN)
    assert _problem(err).field == "out"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_a_file_at_the_path_is_refused_naming_the_field(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("x")
    with pytest.raises(ConfigError, match="a file exists there") as err:
        RunDirectory.open(target, RUN, field="--out")
    assert _problem(err).field == "--out"
    assert target.read_text() == "x"


def test_a_damaged_manifest_is_refused(tmp_path):
    (tmp_path / MANIFEST).write_text('{"provenance": ')  # cut short
    with pytest.raises(ConfigError, match="damaged"):
        RunDirectory.open(tmp_path, RUN)


def test_the_same_run_is_resumed_skipping_the_parts_done(tmp_path):
    out = tmp_path / "run"
    run = RunDirectory.open(out, RUN, subdirectories=("parts",))
    run.write_parquet(TABLE, "parts/part-00000.parquet")
    first = (out / "parts" / "part-00000.parquet").read_bytes()
    run.complete(seconds=1.0)

    again = RunDirectory.open(out, json.loads(json.dumps(RUN)), subdirectories=("parts",))
    assert again.is_done("parts/part-00000.parquet")
    assert not again.is_done("parts/part-00000.parquet", "parts/part-00001.parquet")
    assert json.loads((out / MANIFEST).read_text())["complete"] is False  # running again
    assert (out / "parts" / "part-00000.parquet").read_bytes() == first


def test_parts_carry_the_provenance_and_text_keeps_its_line_endings(tmp_path):
    run = RunDirectory.open(tmp_path, RUN)
    path = run.write_parquet(TABLE.to_pandas(), "table.parquet")
    assert pq.read_table(path).equals(TABLE)
    assert json.loads(pq.read_schema(path).metadata[b"disctwin"]) == RUN
    run.write_text("rows.csv", "a,b\r\n1,2\r\n")
    assert (tmp_path / "rows.csv").read_bytes() == b"a,b\r\n1,2\r\n"


def test_an_interrupted_part_write_leaves_no_partial_file(tmp_path, monkeypatch):
    run = RunDirectory.open(tmp_path, RUN, subdirectories=("parts",))

    def killed(table, where, **options):
        where.write_bytes(b"PAR1 half a file")
        raise KeyboardInterrupt  # the user stopped the run mid-write

    monkeypatch.setattr(rundir.pq, "write_table", killed)
    with pytest.raises(KeyboardInterrupt):
        run.write_parquet(TABLE, "parts/part-00000.parquet")
    assert not run.is_done("parts/part-00000.parquet")
    assert list((tmp_path / "parts").iterdir()) == []  # no temporary left either


def test_a_replicate_directory_appears_whole_or_not_at_all(tmp_path):
    run = RunDirectory.open(tmp_path, RUN, subdirectories=("replicates",))
    with pytest.raises(RuntimeError), run.directory("replicates/r00000") as tmp:
        (tmp / "sdtm").mkdir()
        (tmp / "sdtm" / "dm.parquet").write_bytes(b"written")
        raise RuntimeError("the simulation failed half-way")
    assert list((tmp_path / "replicates").iterdir()) == []

    # a killed run's leftover temporary is cleared, then the directory is written whole
    (tmp_path / "replicates" / ".r00001.tmp").mkdir()
    (tmp_path / "replicates" / ".r00001.tmp" / "stale.parquet").write_bytes(b"stale")
    with run.directory("replicates/r00001") as tmp:
        assert list(tmp.iterdir()) == []
        (tmp / "results.parquet").write_bytes(b"done")
    assert run.is_done("replicates/r00001")
    assert [p.name for p in (tmp_path / "replicates").iterdir()] == ["r00001"]


def test_atomic_path_can_replace_a_whole_directory(tmp_path):
    out = tmp_path / "econ"
    out.mkdir()
    (out / "old.csv").write_text("old")
    with rundir.atomic_path(out, directory=True, replace=True) as tmp:
        (tmp / "results.csv").write_text("new")
    assert [p.name for p in out.iterdir()] == ["results.csv"]
    assert not _leftovers(tmp_path)


# ------------------------------------------------------------------ checksums and inputs


def test_a_truncated_or_edited_part_is_not_done_and_is_written_again(tmp_path):
    out = tmp_path / "run"
    run = RunDirectory.open(out, RUN, subdirectories=("parts",))
    run.write_parquet(TABLE, "parts/part-00000.parquet")
    run.complete()
    part = out / "parts" / "part-00000.parquet"
    whole = part.read_bytes()
    part.write_bytes(whole[: len(whole) // 2])  # cut short by someone else's copy
    again = RunDirectory.open(out, RUN, subdirectories=("parts",))
    assert not again.is_done("parts/part-00000.parquet")
    again.write_parquet(TABLE, "parts/part-00000.parquet")
    assert part.read_bytes() == whole
    assert RunDirectory.open(out, RUN).is_done("parts/part-00000.parquet")


def test_a_part_in_place_but_not_recorded_is_not_done(tmp_path):
    """A run killed between the rename and the checksum line: the part is written again."""
    run = RunDirectory.open(tmp_path, RUN, subdirectories=("parts",))
    rundir.write_parquet(TABLE, tmp_path / "parts" / "part-00000.parquet", RUN)
    assert not RunDirectory.open(tmp_path, RUN).is_done("parts/part-00000.parquet")
    assert run.path == tmp_path


def test_a_replicate_directory_with_a_file_changed_or_added_is_not_done(tmp_path):
    run = RunDirectory.open(tmp_path, RUN, subdirectories=("replicates",))
    with run.directory("replicates/r00000") as tmp:
        (tmp / "results.parquet").write_bytes(b"done")
    assert RunDirectory.open(tmp_path, RUN).is_done("replicates/r00000")
    (tmp_path / "replicates" / "r00000" / "extra.parquet").write_bytes(b"?")
    assert not RunDirectory.open(tmp_path, RUN).is_done("replicates/r00000")
    # written again, it replaces the damaged directory whole
    again = RunDirectory.open(tmp_path, RUN)
    with again.directory("replicates/r00000") as tmp:
        (tmp / "results.parquet").write_bytes(b"done")
    assert sorted(p.name for p in (tmp_path / "replicates" / "r00000").iterdir()) == [
        "results.parquet"
    ]
    assert RunDirectory.open(tmp_path, RUN).is_done("replicates/r00000")


def test_a_checksum_line_cut_short_by_a_kill_is_ignored(tmp_path):
    run = RunDirectory.open(tmp_path, RUN, subdirectories=("parts",))
    run.write_parquet(TABLE, "parts/part-00000.parquet")
    with (tmp_path / rundir.CHECKSUMS).open("a") as fh:
        fh.write('{"part": "parts/part-00001.parq')
    again = RunDirectory.open(tmp_path, RUN)
    assert again.is_done("parts/part-00000.parquet")
    assert not again.is_done("parts/part-00001.parquet")


def test_a_resumed_run_whose_input_file_changed_is_refused_naming_the_file(tmp_path):
    from disctwin.io.provenance import input_files, provenance

    regimen = tmp_path / "regimen.toml"
    regimen.write_text("dose = 1e10\n")
    first = provenance({"seed": 1}, input_files({"--regimen": regimen}))
    RunDirectory.open(tmp_path / "run", first).write_parquet(TABLE, "part.parquet")
    assert RunDirectory.open(tmp_path / "run", first).is_done("part.parquet")  # unchanged

    regimen.write_text("dose = 1e11\n")
    edited = provenance({"seed": 1}, input_files({"--regimen": regimen}))
    with pytest.raises(ConfigError, match="different run") as err:
        RunDirectory.open(tmp_path / "run", edited, field="--out")
    assert f"the content of {regimen} (--regimen) changed" in _problem(err).allowed


def test_a_run_stopped_before_its_first_part_is_started_afresh_by_another(tmp_path):
    out = tmp_path / "run"
    failed = RunDirectory.open(out, RUN, subdirectories=("discs",))
    with pytest.raises(RuntimeError), failed.running():
        raise RuntimeError("unknown region")
    assert json.loads((out / MANIFEST).read_text())["failed"] == "RuntimeError: unknown region"
    corrected = {**RUN, "config": {"seed": 2}}
    run = RunDirectory.open(out, corrected, subdirectories=("replicates",))
    assert sorted(p.name for p in out.iterdir()) == sorted([MANIFEST, "replicates"])
    assert run.manifest["provenance"] == corrected


def test_a_stopped_run_that_wrote_results_is_still_refused_to_another(tmp_path):
    run = RunDirectory.open(tmp_path, RUN)
    run.write_parquet(TABLE, "part.parquet")
    with pytest.raises(ConfigError, match="different run"):
        RunDirectory.open(tmp_path, {**RUN, "config": {"seed": 2}})
    assert (tmp_path / "part.parquet").is_file()


def test_an_interrupted_run_is_not_marked_failed(tmp_path):
    run = RunDirectory.open(tmp_path, RUN)
    with pytest.raises(KeyboardInterrupt), run.running():
        raise KeyboardInterrupt
    assert "failed" not in json.loads((tmp_path / MANIFEST).read_text())


# ------------------------------------------------------------------------- output paths


@pytest.mark.parametrize(
    ("make", "path", "kind", "says"),
    [
        (None, "", "file", "empty string"),
        (None, "", "directory", "empty string"),
        ("dir", "x", "file", "a directory exists there"),
        (None, "no/such/x.csv", "file", "no/such does not exist"),
        ("file", "x/y.csv", "file", "x is a file"),
        ("file", "x", "file", "add --force to replace it"),
        ("file", "x", "directory", "a file exists there"),
        ("file", "x/run/a", "directory", "x on the way is a file"),
    ],
)
def test_output_paths_are_checked_before_any_work(tmp_path, monkeypatch, make, path, kind, says):
    monkeypatch.chdir(tmp_path)
    if make == "dir":
        (tmp_path / "x").mkdir()
    elif make == "file":
        (tmp_path / "x").write_text("mine")
    with pytest.raises(ConfigError, match=says) as err:
        rundir.check_output_path(path, "--out", kind)
    assert _problem(err).field == "--out" and _problem(err).value == path
    assert sorted(p.name for p in tmp_path.iterdir()) == (["x"] if make else [])


def test_an_existing_file_may_be_replaced_and_new_directories_are_fine(tmp_path):
    (tmp_path / "x").write_text("old")
    assert rundir.check_output_path(tmp_path / "x", "--out", "file", replace=True)
    assert rundir.check_output_path(tmp_path / "a" / "b", "--out", "directory")
    assert not (tmp_path / "a").exists()


@pytest.mark.parametrize("kind", ["file", "directory"])
def test_an_output_path_that_cannot_be_written_is_refused(tmp_path, monkeypatch, kind):
    locked = tmp_path / "locked"
    locked.mkdir()
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, m: Path(p) != locked and real(p, m))
    with pytest.raises(ConfigError, match=r"not writable|write to"):
        rundir.check_output_path(locked / "out", "--out", kind)
    with pytest.raises(ConfigError, match="write to"):
        RunDirectory.open(locked / "run", RUN, field="--out")
    assert list(locked.iterdir()) == []
