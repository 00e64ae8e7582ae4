"""Published data shipped with DiscTwin (copied from the project's calibration folder).

Each CSV starts with a ``# source:`` comment naming its publication.
"""

from __future__ import annotations

import csv
import io
from importlib import resources

__all__ = ["load_csv", "source_of"]


def _text(name: str) -> str:
    return resources.files("disctwin.data").joinpath(name).read_text("utf-8")


def load_csv(name: str) -> list[dict[str, str]]:
    """Rows of a shipped CSV (comment lines skipped), as dicts of strings."""
    lines = [ln for ln in _text(name).splitlines() if not ln.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


def source_of(name: str) -> str:
    """The ``# source`` comment of a shipped CSV."""
    comments = [ln[1:].strip() for ln in _text(name).splitlines() if ln.startswith("#")]
    return " ".join(comments)
