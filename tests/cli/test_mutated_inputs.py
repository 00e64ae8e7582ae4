"""Property: no mutation of a shipped input file breaks the command line.

Every example parameter set, regimen and protocol (and the packaged parameter sets) is
mutated by hypothesis (a key dropped, renamed to a near-miss, retyped or its number
perturbed; bytes that are not UTF-8; an overlay whose base leads back to itself) and given
to ``disctwin validate``, which runs every check the run reading the file would. Each case
ends with exit 0 ("valid") or exit 2 and one DiscTwin message whose every problem names a
field, the value and what is allowed; never a traceback; nothing is written. The fast tier
draws 150 cases; the slow tier 2,500.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from disctwin.cli import app

ROOT = Path(__file__).resolve().parents[2]
BASES = sorted(
    [
        *(ROOT / "examples" / "regimens").glob("*.toml"),
        *(ROOT / "examples" / "protocols").glob("*.toml"),
        *(ROOT / "src" / "disctwin" / "params" / "data").glob("*.toml"),
    ]
)
runner = CliRunner()
#: One problem line of a DiscTwin message: field, the value, what is allowed.
PROBLEM = re.compile(r"^\s*\S.*: got .*; allowed: .+", re.MULTILINE)


# ----------------------------------------------------------------------- TOML, written back


def _key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return (
            "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
        )
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string is a TOML basic string
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(type(v))


def dump(data: dict[str, Any]) -> str:
    lines = [f"{_key(k)} = {_value(v)}" for k, v in data.items() if not _is_table(v)]
    for k, v in data.items():
        if isinstance(v, dict):
            lines += ["", f"[{_key(k)}]", *(f"{_key(a)} = {_value(b)}" for a, b in v.items())]
        elif _is_table(v):
            for item in v:
                lines += ["", f"[[{_key(k)}]]"]
                lines += [f"{_key(a)} = {_value(b)}" for a, b in item.items()]
    return "\n".join(lines) + "\n"


def _is_table(v: Any) -> bool:
    return isinstance(v, dict) or (
        isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)
    )


# ----------------------------------------------------------------------------- mutations


def _paths(data: Any, at: tuple = ()) -> list[tuple]:
    """Every key path of the parsed file (into tables and arrays of tables)."""
    found = []
    if isinstance(data, dict):
        for k, v in data.items():
            found.append((*at, k))
            found += _paths(v, (*at, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            if isinstance(v, dict):
                found += _paths(v, (*at, i))
    return found


def _parent(data: Any, path: tuple) -> Any:
    for step in path[:-1]:
        data = data[step]
    return data


NEW_VALUES = st.one_of(
    st.sampled_from(["", "x", "1e3", "nan", "<script>alert(1)</script>", "a|b", "é"]),
    st.sampled_from([0, -1, 1, 2**64, 10**12, 0.0, -0.5, 1e308, 1e-300]),
    st.sampled_from([math.nan, math.inf, -math.inf, True, False]),
    st.sampled_from([[], [1, 2], ["a"], {}, {"x": 1}]),
)


def _near_miss(name: str, draw) -> str:
    if not name:
        return "x"
    i = draw(st.integers(0, len(name) - 1))
    how = draw(st.sampled_from(["drop", "double", "swap", "case"]))
    if how == "drop":
        return name[:i] + name[i + 1 :] or "x"
    if how == "double":
        return name[:i] + name[i] + name[i:]
    if how == "swap" and len(name) > 1:
        j = min(i + 1, len(name) - 1)
        chars = list(name)
        chars[i], chars[j] = chars[j], chars[i]
        return "".join(chars)
    return name.upper()


@st.composite
def mutated(draw) -> tuple[str, bytes]:
    base = draw(st.sampled_from(BASES))
    data = tomllib.loads(base.read_text("utf-8"))
    kind = draw(st.sampled_from(["drop", "rename", "retype", "perturb", "bytes", "cycle"]))
    paths = _paths(data)
    path = draw(st.sampled_from(paths))
    parent = _parent(data, path)
    key = path[-1]
    if kind == "drop":
        del parent[key]
    elif kind == "rename":
        parent[_near_miss(str(key), draw)] = parent.pop(key)
    elif kind == "retype":
        parent[key] = draw(NEW_VALUES)
    elif kind == "perturb":
        numbers = [p for p in paths if isinstance(_parent(data, p)[p[-1]], int | float)]
        if numbers:
            path = draw(st.sampled_from(numbers))
            parent, key = _parent(data, path), path[-1]
        factor = draw(st.sampled_from([-1.0, 0.0, 1e-9, 1.5, 1e6, 1e30, math.nan, math.inf]))
        value = parent[key]
        if isinstance(value, int | float) and not isinstance(value, bool):
            parent[key] = value * factor
    elif kind == "cycle":
        data.setdefault("set", {})["base"] = draw(st.sampled_from(["mutant.toml", "other.toml"]))
    text = dump(data).encode("utf-8")
    if kind == "bytes":
        at = draw(st.integers(0, len(text)))
        text = (
            text[:at] + draw(st.sampled_from([b"\xff", b"\xe9", b"\xc3", b"\x80\x80"])) + text[at:]
        )
    return base.relative_to(ROOT).as_posix(), text


# -------------------------------------------------------------------------------- checks


def _workspace(tmp_path: Path) -> Path:
    """A copy of examples/ (protocols refer to ../regimens) to write mutants into."""
    work = tmp_path / "work"
    shutil.copytree(ROOT / "examples", work / "examples")
    (work / "examples" / "other.toml").write_text('[set]\nbase = "mutant.toml"\n')
    return work


def check_case(work: Path, base: str, text: bytes) -> int:
    folder = work / (Path(base).parent if base.startswith("examples") else Path("examples"))
    mutant = folder / "mutant.toml"
    mutant.write_bytes(text)
    (folder / "other.toml").write_text('[set]\nbase = "mutant.toml"\n')
    before = sorted(p.relative_to(work) for p in work.rglob("*"))
    result = runner.invoke(app, ["validate", str(mutant)])
    output = result.output
    assert result.exit_code in (0, 2), (base, text, output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        base,
        text,
        repr(result.exception),
    )
    assert "Traceback" not in output
    if result.exit_code == 0:
        assert "valid" in output
    else:
        assert output.count("error:") == 1 and "Usage:" not in output, output
        problems = [line for line in output.splitlines()[1:] if line.strip()]
        head = output.splitlines()[0]
        lines = problems if head.rstrip().endswith(":") else [head.removeprefix("error: ")]
        joined = "\n".join(lines)
        assert len(PROBLEM.findall(joined)) >= 1, output
    assert sorted(p.relative_to(work) for p in work.rglob("*")) == before, "something written"
    return result.exit_code


def _property(examples: int):
    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        derandomize=True,
    )
    @given(case=mutated())
    def run(tmp_path_factory, case):
        work = getattr(run, "work", None)
        if work is None:
            work = run.work = _workspace(tmp_path_factory.mktemp("mutants"))
        run.codes.append(check_case(work, *case))

    run.codes = []
    return run


_fast = _property(150)
_slow = _property(2500)


def test_mutated_inputs_give_a_valid_file_or_one_clear_error(tmp_path_factory):
    _fast(tmp_path_factory)
    assert len(_fast.codes) == 150
    assert {0, 2} <= set(_fast.codes)  # both outcomes drawn: the mutations reach the checks


@pytest.mark.slow
def test_thousands_of_mutated_inputs_give_a_valid_file_or_one_clear_error(tmp_path_factory):
    _slow(tmp_path_factory)
    codes = _slow.codes
    assert len(codes) == 2500
    print(f"{len(codes)} mutated files: {codes.count(0)} valid, {codes.count(2)} refused")
