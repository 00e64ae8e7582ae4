"""Provenance carried by every result: model version, configuration, seed, data digests."""

from __future__ import annotations

import hashlib
import json
import platform
from importlib import metadata
from pathlib import Path

import numpy as np

__all__ = ["model_digest", "package_version", "provenance"]


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


def provenance(config: dict) -> dict:
    """What a result must carry to be reproduced: versions, config (incl. seed), digests.

    Nothing here depends on the machine, the time, the chunk size or the worker count, so
    identical runs produce identical files.
    """
    return {
        "disctwin_version": package_version(),
        "model_digest": model_digest(),
        "config": config,
        "numpy_version": np.__version__,
    }


def run_environment() -> dict:
    """Machine facts for the run manifest (not for the result files)."""
    return {"python": platform.python_version(), "platform": platform.platform()}


def canonical_json(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))
