"""Provenance carried by every result: model version, configuration, seed, data digests."""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "file_digest",
    "input_files",
    "model_digest",
    "package_version",
    "parameter_inputs",
    "provenance",
]


def package_version() -> str:
    try:
        return metadata.version("disctwin")
    except metadata.PackageNotFoundError:  # running from a source tree
        return "0+unknown"


def model_digest() -> str:
    """SHA-256 (first 16 hex) of the source files that define the model: every module of
    ``disctwin.model`` (states, process builders, rate laws, observables, conventions)."""
    root = Path(__file__).resolve().parents[1] / "model"
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def file_digest(path: str | Path) -> str:
    """SHA-256 (hex) of a file's bytes."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def input_files(files: Mapping[str, str | Path | None]) -> dict[str, dict[str, str]]:
    """The run's input files by content: ``{what: {"path": ..., "sha256": ...}}``.

    Args:
        files: what each file is (``"--regimen"``, ``"arm[0].regimen"``) -> its path, as the
            user gave it; ``None`` and names that are not files (a built-in regimen, a
            packaged parameter set) are left out.
    """
    return {
        name: {"path": str(path), "sha256": file_digest(path)}
        for name, path in files.items()
        if path is not None and Path(path).is_file()
    }


def parameter_inputs(path: str | Path | None, field: str = "parameter_file") -> dict[str, Path]:
    """A parameter set's files (the file, then its overlays' file bases), named for
    :func:`input_files`: ``field``, ``field (base 1)``, ..."""
    from disctwin.params import parameter_set_files

    files = parameter_set_files(path) if path is not None else ()
    return {field + (f" (base {k})" if k else ""): f for k, f in enumerate(files)}


def provenance(config: dict, inputs: Mapping[str, Any] | None = None) -> dict:
    """What a result must carry to be reproduced: versions, config (incl. seed), digests.

    Nothing here depends on the machine, the time, the chunk size or the worker count, so
    identical runs produce identical files.

    Args:
        inputs: the input files by content (:func:`input_files`); part of the run's
            identity, so a resumed run whose inputs changed is refused, naming the file.
    """
    result = {
        "disctwin_version": package_version(),
        "model_digest": model_digest(),
        "config": config,
        "numpy_version": np.__version__,
    }
    if inputs:
        result["inputs"] = dict(inputs)
    return result


def run_environment() -> dict:
    """Machine facts for the run manifest (not for the result files)."""
    return {"python": platform.python_version(), "platform": platform.platform()}


def canonical_json(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))
