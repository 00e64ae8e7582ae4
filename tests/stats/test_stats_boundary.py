"""The statistics package imports nothing of the simulation (read from the source, since
importing ``disctwin`` itself loads the engine): only errors, the replicate runner and
libraries."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import disctwin.stats

STATS = Path(disctwin.stats.__file__).parent
#: third-party libraries statistics may use (pydantic: the escalation designs are frozen
#: configs; lifelines: Kaplan-Meier and Cox).
LIBRARIES = {"numpy", "scipy", "pandas", "statsmodels", "lifelines", "pydantic"}


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("path", sorted(STATS.glob("*.py")), ids=lambda p: p.name)
def test_stats_module_imports_only_errors_and_libraries(path):
    for name in _imports(path):
        top = name.split(".")[0]
        if top == "disctwin":
            # the replicate runner (disctwin.parallel) is below stats: it knows no simulation
            allowed = ("disctwin.errors", "disctwin.parallel")
            assert name in allowed or name.startswith("disctwin.stats"), name
        else:
            assert top in LIBRARIES or top in sys.stdlib_module_names, name
