"""The house's rules, checked: layers, no import cycles, small functions, one door.

The layer order is the README's "Package layout", declared once in ``pyproject.toml``
(``[tool.importlinter]``); CI also runs ``lint-imports``.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "disctwin"
#: generated-code templates are exempt from the size rule
EXEMPT = {SRC / "engine" / "_kernel.py"}
MAX_FUNCTION_LINES = 150


def _modules():
    return sorted(p for p in SRC.rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """disctwin modules imported at module level (not inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("disctwin"):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("disctwin"))
    return found


def test_no_module_level_import_cycles():
    names = {_module_name(p): p for p in _modules()}
    graph = {
        name: {m for m in _imports(path) if m in names and m != name}
        for name, path in names.items()
    }
    # a package's __init__ re-exports its modules: that edge is not a cycle of logic
    for name in graph:
        graph[name] = {m for m in graph[name] if not name.startswith(m + ".")}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, cycles


def test_layer_contract_holds():
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.skip("import-linter is not installed (it is in the test extras)")
    done = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]


def test_no_function_longer_than_150_lines():
    long = []
    for path in _modules():
        if path in EXEMPT:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({n})")
    assert not long, long


def test_the_compiled_solver_is_called_from_the_door_alone():
    callers = []
    for path in _modules():
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\.solve\(", line):
                callers.append(f"{path.relative_to(SRC)}:{i}")
    assert callers and all(c.startswith("engine/simulate.py:") for c in callers), callers


def test_plots_are_made_in_report_only():
    """Matplotlib is imported by ``disctwin.report`` alone (running apart from drawing)."""
    outside = [
        str(p.relative_to(ROOT))
        for p in _modules()
        if "matplotlib" in p.read_text(encoding="utf-8") and p.parent.name != "report"
    ]
    assert not outside, outside
