"""A run's output directory: started, resumed or refused; parts written atomically; a manifest.

Every command that writes its results under ``--out`` (``simulate``, ``simulate --regimen``,
``trial``) opens a :class:`RunDirectory` with the provenance of what it is about to run
(:func:`disctwin.io.provenance.provenance`: versions, model digest, full config, seed):

* a file at the path is refused; so is a non-empty directory without a manifest;
* a new or empty directory starts the run; one whose ``run.json`` holds the same
  provenance resumes it; one holding a different run is refused (each refusal a
  :class:`~disctwin.errors.ConfigError` naming the field, e.g. ``--out``);
* ``run.json`` is written when the run starts (``"complete": false``, with the provenance and
  the machine, :func:`~disctwin.io.provenance.run_environment`) and again when it ends
  (:meth:`RunDirectory.complete`, with the run's summary);
* every part (a Parquet file, a text file, a replicate's whole directory) is written under a
  temporary dot-name beside its final path and renamed into place (:func:`os.replace`,
  atomic within one file system): a run killed at any moment leaves each part whole or
  absent. Leftover temporaries are dot-files, which Parquet dataset readers ignore, and are
  overwritten when the part is written again. :meth:`RunDirectory.is_done` tells a resumed
  run which parts it can skip.
* each part's SHA-256 is appended to ``checksums.jsonl`` (one JSON line per part: its
  files and their SHA-256) once the part is in place, so a part that was
  truncated or edited after it was written is detected on resume and written again;
* a run whose ``run.json`` names input files (``provenance["inputs"]``, each with its
  SHA-256, :func:`~disctwin.io.provenance.input_files`) is resumed only if every file still
  has the same content; the refusal names the file that changed.
* a run that failed or was killed before its first part was written leaves nothing worth
  keeping: any run may start afresh in its directory. A run that raises after it started is
  marked ``"failed"`` (with the error) in ``run.json``.
* :func:`check_output_path` checks an output path before any work: the CLI calls it for
  every ``--out``, and :meth:`RunDirectory.open` for its directory.

Example (``config`` and ``table`` being a run's configuration and one part's table)::

    run = RunDirectory.open(out, provenance(config), subdirectories=("parts",))
    if not run.is_done("parts/part-00000.parquet"):
        run.write_parquet(table, "parts/part-00000.parquet")
    run.complete(seconds=1.5)
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from disctwin.errors import ConfigError, Problem
from disctwin.io.provenance import canonical_json, run_environment

__all__ = [
    "CHECKSUMS",
    "MANIFEST",
    "RunDirectory",
    "atomic_path",
    "check_output_path",
    "free_bytes",
    "write_parquet",
]

#: The manifest's file name inside a run directory.
MANIFEST = "run.json"
#: The parts' checksums inside a run directory (one JSON line per part, appended).
CHECKSUMS = "checksums.jsonl"


def check_output_path(
    path: str | Path,
    field: str,
    kind: Literal["file", "directory"],
    *,
    replace: bool = False,
) -> Path:
    """``path`` as a :class:`~pathlib.Path` if a ``kind`` can be written there; touches nothing.

    A file needs an existing, writable directory and no directory at the path; an existing
    file is refused unless ``replace`` (the CLI's ``--force``). A directory may be new (its
    missing parents are created, below the nearest existing directory, which must be
    writable) or an existing, writable directory (what it holds is
    :meth:`RunDirectory.open`'s business).

    Raises:
        ConfigError: naming ``field`` and the path, saying what is wrong.
    """
    text = str(path)
    if not text.strip():
        raise ConfigError(Problem(field, text, f"the path of a {kind} (got an empty string)"))
    out = Path(path)
    if kind == "file":
        return _check_file_path(out, field, replace)
    if out.exists() and not out.is_dir():
        raise ConfigError(Problem(field, text, "a directory path (a file exists there)"))
    existing = out
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(
            Problem(field, text, f"a directory path ({existing} on the way is a file)")
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(
            Problem(field, text, f"a directory you can write to ({existing} is not writable)")
        )
    return out


def free_bytes(path: str | Path) -> int:
    """Free space on the file system where ``path`` is (or would be created)."""
    existing = Path(path)
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    return shutil.disk_usage(existing).free


def _check_file_path(out: Path, field: str, replace: bool) -> Path:
    text = str(out)
    if out.is_dir():
        raise ConfigError(Problem(field, text, "a file path (a directory exists there)"))
    parent = out.parent
    if not parent.is_dir():
        what = "is a file" if parent.exists() else "does not exist"
        raise ConfigError(
            Problem(field, text, f"a file in an existing directory ({parent} {what})")
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(
            Problem(field, text, f"a file in a directory you can write to ({parent} is not)")
        )
    if out.exists() and not replace:
        raise ConfigError(
            Problem(field, text, "a path where no file exists yet (add --force to replace it)")
        )
    if out.exists() and not os.access(out, os.W_OK):
        raise ConfigError(Problem(field, text, "a file you can write to"))
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _files(path: Path) -> list[Path]:
    """The files a part consists of: itself, or every file under a directory part."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file())
    return [path] if path.is_file() else []


def write_parquet(table, path: Path, provenance: dict, *, row_group_size: int | None = None):
    """Write ``table`` (a :class:`pyarrow.Table` or a pandas DataFrame, index dropped) to
    ``path`` as zstd Parquet, ``provenance`` in its schema metadata (key ``disctwin``).

    Not atomic by itself: use :meth:`RunDirectory.write_parquet`, or write inside
    :func:`atomic_path` / :meth:`RunDirectory.directory`.
    """
    if not isinstance(table, pa.Table):
        table = pa.Table.from_pandas(table, preserve_index=False)
    table = table.replace_schema_metadata({"disctwin": canonical_json(provenance)})
    pq.write_table(table, path, compression="zstd", row_group_size=row_group_size)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


@contextmanager
def atomic_path(path: str | Path, *, directory: bool = False, replace: bool = False):
    """Yield a temporary path beside ``path`` (``.NAME.tmp``) to write; when the block ends
    without error it is renamed to ``path``, otherwise removed.

    Args:
        directory: yield a fresh, empty temporary directory (a leftover one from a killed
            run is removed first) instead of a file path.
        replace: for a directory, replace an existing ``path`` (removed just before the
            rename); without it an existing non-empty directory makes the rename fail.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    if directory:
        _remove(tmp)
        tmp.mkdir(parents=True)
    try:
        yield tmp
        if directory and replace and path.exists():
            _remove(path)
        os.replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise


def _write_bytes(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


class RunDirectory:
    """An output directory holding one run (module docs); make one with :meth:`open`.

    Attributes:
        path: the directory.
        provenance: what the run is (written into ``run.json`` and every Parquet file).
        manifest: the contents of ``run.json`` as last written.
    """

    def __init__(self, path: Path, provenance: dict, manifest: dict):
        self.path = path
        self.provenance = provenance
        self.manifest = manifest
        self._checksums: dict[str, dict[str, str]] = {}

    @classmethod
    def open(
        cls,
        out: str | Path,
        provenance: dict,
        *,
        field: str = "out",
        same: str = "configuration",
        subdirectories: Sequence[str] = (),
    ) -> RunDirectory:
        """Start or resume the run ``provenance`` in ``out``, or refuse (module docs).

        Creates ``out`` and its ``subdirectories`` and writes ``run.json`` (not complete).
        Call it once every input is validated: it is the first thing to touch the disk.

        Args:
            field: the name of the output argument, for error messages (``out``, ``--out``).
            same: what makes two runs the same, in words (``"protocol and seed"``), for the
                message refusing a directory that holds a different run.

        Raises:
            ConfigError: a file at ``out``, a path that cannot be written, a non-empty
                directory without a manifest, or one whose manifest holds different
                provenance (naming the input file that changed) or cannot be read.
        """
        out = check_output_path(out, field, "directory")
        manifest_path = out / MANIFEST
        resumed = False
        if manifest_path.exists():
            old = _read_manifest(manifest_path)
            if old is None:
                raise ConfigError(
                    Problem(
                        field,
                        str(out),
                        f"a directory whose {MANIFEST} can be read (this one is damaged: "
                        "remove the directory to start again)",
                    )
                )
            resumed = canonical_json(old.get("provenance")) == canonical_json(provenance)
            if not resumed and (old.get("complete") or _holds_results(out)):
                raise ConfigError(
                    Problem(
                        field,
                        str(out),
                        f"an empty directory, or one holding the same run (same {same}), "
                        "which is resumed; this one holds a different run"
                        + _what_changed(old.get("provenance"), provenance),
                    )
                )
            if not resumed:  # a run that stopped before its first part: start afresh
                _clear(out)
        elif out.exists() and any(out.iterdir()):
            raise ConfigError(Problem(field, str(out), "a new or empty directory"))
        out.mkdir(parents=True, exist_ok=True)
        for sub in subdirectories:
            (out / sub).mkdir(parents=True, exist_ok=True)
        manifest = {"provenance": provenance, "environment": run_environment(), "complete": False}
        run = cls(out, provenance, manifest)
        if resumed:
            run._checksums = _read_checksums(out / CHECKSUMS)
        run._write_manifest()
        return run

    def _write_manifest(self) -> None:
        _write_bytes(self.path / MANIFEST, json.dumps(self.manifest, indent=2).encode("utf-8"))

    def is_done(self, *parts: str) -> bool:
        """Whether every one of ``parts`` (paths relative to the run directory) is written
        and unchanged since: each file's SHA-256 as recorded in ``checksums.jsonl`` when the
        part was put in place. A part truncated, edited or left unrecorded by a killed run
        is not done (and is written again)."""
        return all(self._intact(part) for part in parts)

    def _intact(self, part: str) -> bool:
        recorded = self._checksums.get(part)
        if not recorded:
            return False
        actual = _files(self.path / part)
        if sorted(self._relative(f) for f in actual) != sorted(recorded):
            return False
        return all(_sha256(f) == recorded[self._relative(f)] for f in actual)

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.path).as_posix()

    def record(self, part: str) -> None:
        """Append the SHA-256 of ``part`` (a file, or every file of a directory) to
        ``checksums.jsonl``: the part is then done (:meth:`is_done`). The parts' writers call it
        once the part is in place; safe from several processes at once (one appended
        line per part)."""
        files = {self._relative(f): _sha256(f) for f in _files(self.path / part)}
        line = json.dumps({"part": part, "sha256": files}, sort_keys=True) + "\n"
        fd = os.open(self.path / CHECKSUMS, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)
        self._checksums[part] = files

    def write_parquet(self, table, part: str, *, row_group_size: int | None = None) -> Path:
        """Write ``table`` atomically to ``part`` (:func:`write_parquet`, this run's
        provenance in the schema metadata), record its checksum; return its path."""
        path = self.path / part
        with atomic_path(path) as tmp:
            write_parquet(table, tmp, self.provenance, row_group_size=row_group_size)
        self.record(part)
        return path

    def write_text(self, part: str, text: str) -> Path:
        """Write ``text`` atomically to ``part``, UTF-8, line endings as given."""
        path = self.path / part
        _write_bytes(path, text.encode("utf-8"))
        return path

    @contextmanager
    def directory(self, part: str) -> Iterator[Path]:
        """Yield an empty temporary directory to fill; renamed to ``part`` (e.g. one
        replicate's directory, replacing a damaged one) and recorded when the block ends
        without error, removed otherwise."""
        with atomic_path(self.path / part, directory=True, replace=True) as tmp:
            yield tmp
        self.record(part)

    @contextmanager
    def running(self) -> Iterator[RunDirectory]:
        """Mark the run failed in ``run.json`` (``"failed"``: the error) if the block raises
        an error; an interrupted run (Ctrl-C, kill) is left to be resumed."""
        try:
            yield self
        except Exception as err:
            self.manifest.update(failed=f"{type(err).__name__}: {err}")
            self._write_manifest()
            raise

    def complete(self, **summary: Any) -> dict:
        """Mark the run complete, add ``summary`` (counts, timings) to ``run.json``, and
        return the manifest. ``checksums.jsonl`` is rewritten with one line per part."""
        if self._checksums:
            lines = [
                json.dumps({"part": k, "sha256": v}, sort_keys=True) + "\n"
                for k, v in sorted(self._checksums.items())
            ]
            _write_bytes(self.path / CHECKSUMS, "".join(lines).encode("utf-8"))
        self.manifest.update(complete=True, **summary)
        self._write_manifest()
        return self.manifest


def _read_manifest(path: Path) -> dict | None:
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return old if isinstance(old, dict) else None


def _read_checksums(path: Path) -> dict[str, dict[str, str]]:
    """part -> {file: SHA-256}, the last record of each part; a line cut short by a kill
    (or otherwise unreadable) is ignored."""
    found: dict[str, dict[str, str]] = {}
    if not path.is_file():
        return found
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
            found[str(entry["part"])] = {str(k): str(v) for k, v in entry["sha256"].items()}
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
    return found


def _holds_results(out: Path) -> bool:
    """Whether ``out`` holds anything but a manifest, checksums, temporaries and folders."""
    for path in out.rglob("*"):
        rel = path.relative_to(out)
        if path.is_dir() or any(p.startswith(".") for p in rel.parts):
            continue
        if rel.as_posix() not in (MANIFEST, CHECKSUMS):
            return True
    return False


def _clear(out: Path) -> None:
    """Empty a run directory that holds no results (:func:`_holds_results`)."""
    for path in sorted(out.iterdir()):
        _remove(path)


def _what_changed(old: Any, new: dict) -> str:
    """Which input file changed between two runs' provenance, in words ('' if none)."""
    if not isinstance(old, dict):
        return ""
    before, after = old.get("inputs") or {}, new.get("inputs") or {}
    changed = [
        f"{after[k]['path']} ({k})"
        for k in sorted(after)
        if k in before and before[k] != after[k] and before[k].get("path") == after[k]["path"]
    ]
    if not changed:
        return ""
    return (
        ": the content of "
        + ", ".join(changed)
        + " changed since it started (remove the directory, or choose another, to run it)"
    )
