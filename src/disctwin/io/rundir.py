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
  run which parts it can skip; which parts exist is the only record of progress.

Example (``config`` and ``table`` being a run's configuration and one part's table)::

    run = RunDirectory.open(out, provenance(config), subdirectories=("parts",))
    if not run.is_done("parts/part-00000.parquet"):
        run.write_parquet(table, "parts/part-00000.parquet")
    run.complete(seconds=1.5)
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from disctwin.errors import ConfigError, Problem
from disctwin.io.provenance import canonical_json, run_environment

__all__ = ["MANIFEST", "RunDirectory", "atomic_path", "write_parquet"]

#: The manifest's file name inside a run directory.
MANIFEST = "run.json"


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
            ConfigError: a file at ``out``, a non-empty directory without a manifest, or one
                whose manifest holds different provenance (or cannot be read).
        """
        out = Path(out)
        if out.exists() and not out.is_dir():
            raise ConfigError(Problem(field, str(out), "a directory path (a file exists there)"))
        manifest_path = out / MANIFEST
        if manifest_path.exists():
            try:
                old = json.loads(manifest_path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError):
                old = None
            if not isinstance(old, dict):
                raise ConfigError(
                    Problem(
                        field,
                        str(out),
                        f"a directory whose {MANIFEST} can be read (this one is damaged: "
                        "remove the directory to start again)",
                    )
                )
            if canonical_json(old.get("provenance")) != canonical_json(provenance):
                raise ConfigError(
                    Problem(
                        field,
                        str(out),
                        f"an empty directory, or one holding the same run (same {same}), "
                        "which is resumed; this one holds a different run",
                    )
                )
        elif out.exists() and any(out.iterdir()):
            raise ConfigError(Problem(field, str(out), "a new or empty directory"))
        out.mkdir(parents=True, exist_ok=True)
        for sub in subdirectories:
            (out / sub).mkdir(parents=True, exist_ok=True)
        manifest = {"provenance": provenance, "environment": run_environment(), "complete": False}
        run = cls(out, provenance, manifest)
        run._write_manifest()
        return run

    def _write_manifest(self) -> None:
        _write_bytes(self.path / MANIFEST, json.dumps(self.manifest, indent=2).encode("utf-8"))

    def is_done(self, *parts: str) -> bool:
        """Whether every one of ``parts`` (paths relative to the run directory) is written.

        Parts are renamed into place only when whole, so existing means done.
        """
        return all((self.path / part).exists() for part in parts)

    def write_parquet(self, table, part: str, *, row_group_size: int | None = None) -> Path:
        """Write ``table`` atomically to ``part`` (:func:`write_parquet`, this run's
        provenance in the schema metadata); return its path."""
        path = self.path / part
        with atomic_path(path) as tmp:
            write_parquet(table, tmp, self.provenance, row_group_size=row_group_size)
        return path

    def write_text(self, part: str, text: str) -> Path:
        """Write ``text`` atomically to ``part``, UTF-8, line endings as given."""
        path = self.path / part
        _write_bytes(path, text.encode("utf-8"))
        return path

    @contextmanager
    def directory(self, part: str) -> Iterator[Path]:
        """Yield an empty temporary directory to fill; renamed to ``part`` (e.g. one
        replicate's directory) when the block ends without error, removed otherwise."""
        with atomic_path(self.path / part, directory=True) as tmp:
            yield tmp

    def complete(self, **summary) -> dict:
        """Mark the run complete, add ``summary`` (counts, timings) to ``run.json``, and
        return the manifest."""
        self.manifest.update(complete=True, **summary)
        self._write_manifest()
        return self.manifest
