"""Hostile input, through the command line as a user types it (issue 29's battery).

Every bad input ends with exit code 2 and one DiscTwin message (``error:``) naming the
field and, where there is one, the value; no traceback; nothing written where the output
was to go (an existing path left as it was). The valid-but-unusual inputs (Rich markup in
a path, ``?`` and ``[`` in a trial directory, a byte-order mark) run and print what was
typed. Cases are a table: one row per input, ids say what each is.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from disctwin.cli import app
from disctwin.io import rundir
from disctwin.testing import canonical_protocol_dict, canonical_regimen
from disctwin.therapies import dump_regimen
from disctwin.trial import dump_protocol, protocol_from_dict

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ECONOMICS = str(EXAMPLES / "economics" / "clbp_gene_therapies_us.toml")
NOT_UTF8 = b'[set]\nname = "caf\xe9"\n'  # Latin-1, as an old editor saves it

runner = CliRunner()


def _protocol(**changes: object) -> str:
    data = canonical_protocol_dict(n_patients=8)
    for key, value in changes.items():
        data[key] = value
    return dump_protocol(protocol_from_dict(data))


def _write_files(root: Path) -> None:
    """The files the cases name (relative to the working directory ``root``)."""
    regimen = dump_regimen(canonical_regimen())
    protocol = _protocol()
    files: dict[str, str | bytes] = {
        "latin1.toml": NOT_UTF8,
        "regimen.toml": regimen,
        "regimen_1e18.toml": regimen.replace("1000000000000.0", "1e18"),
        "regimen_dose_in_head.toml": '[regimen]\nname = "x"\ndose = 1e12\n',
        "regimen_latin1.toml": regimen.encode() + b"# \xff\n",
        "self.toml": '[set]\nbase = "self.toml"\n',
        "loop_a.toml": '[set]\nbase = "loop_b.toml"\n',
        "loop_b.toml": '[set]\nbase = "loop_a.toml"\n',
        "overlay_on_latin1.toml": '[set]\nbase = "latin1.toml"\n',
        "overide.toml": '[set]\nbase = "calibrated"\n[[overide]]\nname = "pain_scale"\n',
        "valeu.toml": '[set]\nbase = "calibrated"\n[[override]]\nname = "pain_scale"\n'
        "valeu = 1.0\n",
        "set_key.toml": '[set]\nbase = "calibrated"\nnmae = "mine"\n',
        "protocol.toml": protocol,
        "protocol_latin1.toml": protocol.encode() + b"\n# \xff\n",
        "protocol_misspelt.toml": protocol.replace(
            'regimen = "sham_intradiscal"', 'regimen = "sham_intradiscl"', 1
        ),
        "protocol_missing.toml": protocol.replace(
            'regimen = "sham_intradiscal"', 'regimen = "missing.toml"', 1
        ),
        "protocol_broken.toml": protocol.replace(
            'regimen = "sham_intradiscal"', 'regimen = "regimen_latin1.toml"', 1
        ),
        "protocol_min_max.toml": protocol.replace("min = 40.0", "min = 90.0\nmax = 40.0", 1),
        "strategies_latin1.toml": b"name = 'caf\xe9'\n",
        "regimen_modality_table.toml": '[regimen]\nname = "x"\n[[dose]]\nmodality = {a = 1}\n',
        "protocol_kind_list.toml": protocol.replace('kind = "change"', "kind = []", 1),
        "what_is_this.toml": "colour = 'blue'\n",
        "a_file": "someone's notes\n",
    }
    for name, content in files.items():
        path = root / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    (root / "a_dir").mkdir()
    (root / "foreign").mkdir()
    (root / "foreign" / "thesis.tex").write_text("years of work\n")
    (root / "locked").mkdir()


@dataclass(frozen=True)
class Bad:
    """One bad input: the arguments, the field the message must name, the value it must
    show (if any), and the output path that must stay as it was (new: must not appear)."""

    args: tuple[str, ...]
    field: str
    value: str | None = None
    out: str | None = None
    locked: bool = False  # the directory "locked" is not writable (os.access says so)
    quick: bool = False  # refused before any computation (within seconds)
    env: dict[str, str] = field(default_factory=dict)


def bad(*args: str, **kw) -> Bad:
    return Bad(tuple(args), **kw)


BAD = {
    # --- tracebacks: files that are not UTF-8 ---------------------------------------------
    "params-parameters-not-utf8": bad(
        "params", "--parameters", "latin1.toml", field="parameter_file", value="latin1.toml"
    ),
    "simulate-parameters-not-utf8": bad(
        "simulate", "--parameters", "latin1.toml", "--out", "o", field="UTF-8", out="o"
    ),
    "overlay-base-not-utf8": bad(
        "params", "--parameters", "overlay_on_latin1.toml", field="UTF-8", value="latin1.toml"
    ),
    "regimen-not-utf8": bad(
        "simulate", "--regimen", "regimen_latin1.toml", "--out", "o", field="regimen", out="o"
    ),
    "protocol-not-utf8": bad(
        "trial", "protocol_latin1.toml", "--out", "o", field="protocol", out="o"
    ),
    "protocol-regimen-not-utf8": bad(
        "trial", "protocol_broken.toml", "--validate", field="UTF-8", value="regimen_latin1"
    ),
    "strategies-not-utf8": bad(
        "economics", "strategies_latin1.toml", "--out", "o", field="STRATEGIES", out="o"
    ),
    "parameters-a-directory": bad(
        "params", "--parameters", "a_dir", field="parameter_file", value="a_dir"
    ),
    # --- tracebacks: --out where a file goes ----------------------------------------------
    **{
        f"{cmd}-out-{what}": bad(*argv, "--out", path, field="--out", value=path, out=path)
        for cmd, argv in {
            "describe": ("describe",),
            "catalogue": ("catalogue",),
            "boin-table": ("boin-table",),
            "boundaries": ("boundaries",),
            "export-sbml": ("export-sbml", "--patient-index", "1"),
            "economics-docs": ("economics-docs",),
        }.items()
        for what, path in {
            "a-directory": "a_dir",
            "missing-parent": "no/such/dir/x.txt",
            "existing-file": "a_file",
        }.items()
    },
    "describe-out-not-writable": bad(
        "describe", "--out", "locked/model.md", field="--out", out="locked/model.md", locked=True
    ),
    # --- tracebacks: --out where a directory goes -----------------------------------------
    **{
        f"{cmd}-out-{what}": bad(*argv, "--out", path, field="--out", out=path, quick=True)
        for cmd, argv in {
            "simulate": ("simulate", "--n-patients", "3"),
            "trial": ("trial", "protocol.toml"),
            "sensitivity": ("sensitivity",),
            "calibrate": ("calibrate", "natural-history", "--quick"),
            "economics": ("economics", ECONOMICS),
            "twin": ("twin", "record.toml"),
        }.items()
        for what, path in {"a-file": "a_file", "below-a-file": "a_file/run"}.items()
    },
    "simulate-out-not-writable": bad(
        "simulate", "--out", "locked/run", field="--out", out="locked/run", locked=True
    ),
    "sensitivity-out-not-writable": bad(
        "sensitivity", "--out", "locked/s", field="--out", out="locked/s", locked=True, quick=True
    ),
    "economics-out-foreign-directory": bad(
        "economics", ECONOMICS, "--out", "foreign", field="--out", out="foreign", quick=True
    ),
    # --- tracebacks: numbers out of range -------------------------------------------------
    "export-sbml-patient-index-huge": bad(
        "export-sbml", "--patient-index", "1000000000000", "--out", "p.xml",
        field="--patient-index", value="1000000000000", out="p.xml",
    ),
    "export-sbml-seed-2^64": bad(
        "export-sbml", "--patient-index", "1", "--seed", "18446744073709551616", "--out",
        "p.xml", field="--seed", value="18446744073709551616", out="p.xml",
    ),
    "simulate-seed-2^64": bad(
        "simulate", "--seed", "18446744073709551616", "--out", "o", field="--seed", out="o"
    ),
    "trial-seed-2^64": bad(
        "trial", "protocol.toml", "--seed", "18446744073709551616", "--out", "o",
        field="--seed", value="18446744073709551616", out="o",
    ),
    "sensitivity-seed-2^64": bad(
        "sensitivity", "--seed", "18446744073709551616", field="--seed", quick=True
    ),
    "calibrate-seed-2^64": bad(
        "calibrate", "natural-history", "--seed", "18446744073709551616", "--out", "o",
        field="--seed", out="o", quick=True,
    ),
    "sensitivity-n-2^40": bad(
        "sensitivity", "--n", "1099511627776", field="--n", value="1099511627776", quick=True
    ),
    "escalation-virtual-patients-0": bad(
        "escalation", "--regimen", "regimen.toml", "--dose-levels", "1e11,1e12",
        "--virtual-patients", "0", field="--virtual-patients", value="0",
    ),
    # --- tracebacks: an overlay whose base leads back to itself ---------------------------
    "overlay-base-is-itself": bad(
        "params", "--parameters", "self.toml", field="set.base", value="self.toml"
    ),
    "overlay-bases-in-a-loop": bad(
        "params", "--parameters", "loop_a.toml", field="set.base", value="loop_a.toml"
    ),
    # --- silent acceptances ---------------------------------------------------------------
    "overlay-table-typo": bad(
        "params", "--parameters", "overide.toml", field="overide", value="override"
    ),
    "overlay-key-typo": bad("params", "--parameters", "valeu.toml", field="valeu", value="value"),
    "overlay-set-key-typo": bad(
        "params", "--parameters", "set_key.toml", field="nmae", value="name"
    ),
    "regimen-dose-under-regimen": bad(
        "simulate", "--regimen", "regimen_dose_in_head.toml", "--out", "o",
        field="regimen.dose", value="[[dose]]", out="o",
    ),
    "regimen-dose-1e18": bad(
        "simulate", "--regimen", "regimen_1e18.toml", "--n-patients", "2", "--out", "o",
        field="dose", value="1e+18", out="o",
    ),
    **{
        f"escalation-dose-level-{level}": bad(
            "escalation", "--regimen", "regimen.toml", "--dose-levels", f"1e11,{level}",
            "--virtual-patients", "3", field="--dose-levels", value=shown,
        )
        for level, shown in (("nan", "nan"), ("inf", "inf"), ("1e308", "1e+308"))
    },
    "simulate-rtol-1e-300": bad("simulate", "--rtol", "1e-300", "--out", "o", field="--rtol",
                                value="1e-300", out="o"),
    "simulate-out-empty": bad("simulate", "--out", "", field="--out", value="''"),
    "describe-out-empty": bad("describe", "--out", "", field="--out", value="''"),
    "find-n-n-max-0": bad(
        "trial", "protocol.toml", "--find-n", "--n-max", "0", field="--n-max", value="0"
    ),
    "validate-misspelt-regimen": bad(
        "trial", "protocol_misspelt.toml", "--validate", field="regimen", value="sham_intradiscl"
    ),
    "validate-missing-regimen-file": bad(
        "trial", "protocol_missing.toml", "--validate", field="regimen", value="missing.toml"
    ),
    "validate-eligibility-min-above-max": bad(
        "trial", "protocol_min_max.toml", "--validate", field="eligibility[0].min", value="90"
    ),
    "economics-psa-draws-negative": bad(
        "economics", ECONOMICS, "--psa-draws", "-1", "--out", "o", field="--psa-draws",
        value="-1", out="o",
    ),
    # --- found by the mutation property (tests/cli/test_mutated_inputs.py) -----------------
    "validate-modality-a-table": bad(
        "validate", "regimen_modality_table.toml", field="dose[0].modality", value="{'a': 1}"
    ),
    "validate-endpoint-kind-a-list": bad(
        "validate", "protocol_kind_list.toml", field="endpoint[0]", value="[]"
    ),
    "validate-a-file-of-no-known-kind": bad(
        "validate", "what_is_this.toml", field="what_is_this.toml", value="['colour']"
    ),
    "validate-every-problem-of-every-file": bad(
        "validate", "overide.toml", "self.toml", "regimen_1e18.toml", "protocol_missing.toml",
        field="4 problems", value="missing.toml",
    ),
    # --- partial outputs: runs refused before their directory is made ---------------------
    "simulate-region-unknown": bad(
        "simulate", "--regimen", "regimen.toml", "--region", "mars", "--n-patients", "2",
        "--out", "o", field="region", value="mars", out="o",
    ),
    "trial-missing-regimen": bad(
        "trial", "protocol_missing.toml", "--out", "o", field="regimen", out="o"
    ),
    "trial-broken-regimen": bad(
        "trial", "protocol_broken.toml", "--out", "o", field="regimen", out="o"
    ),
    "trial-workers-0": bad(
        "trial", "protocol.toml", "--workers", "0", "--out", "o", field="--workers", out="o"
    ),
    "trial-workers-1000": bad(
        "trial", "protocol.toml", "--workers", "1000", "--out", "o", field="--workers",
        value="1000", out="o",
    ),
    # --- refusals that did not show the value ---------------------------------------------
    **{
        f"simulate-n-patients-{value or 'empty'}": bad(
            "simulate", "--n-patients", value, "--out", "o", field="--n-patients",
            value=repr(value), out="o",
        )
        for value in ("1.5", "nan", "")
    },
    "simulate-seed-1e3": bad(
        "simulate", "--seed", "1e3", "--out", "o", field="--seed", value="'1e3'", out="o"
    ),
    "trial-replicates-abc": bad(
        "trial", "protocol.toml", "--replicates", "abc", "--out", "o", field="--replicates",
        value="'abc'", out="o",
    ),
    "boin-table-target-abc": bad("boin-table", "--target", "abc", field="--target", value="'abc'"),
    # --- unbounded work -------------------------------------------------------------------
    "escalation-exact-200-cohorts": bad(
        "escalation", "--exact", "--cohorts", "200", field="--cohorts", value="200", quick=True
    ),
    "trial-replicates-10^7": bad(
        "trial", "protocol.toml", "--replicates", "10000000", "--out", "o",
        field="--replicates", value="10000000", out="o", quick=True,
    ),
    "trial-n-patients-10^7": bad(
        "trial", "protocol.toml", "--n-patients", "10000000", "--out", "o",
        field="--n-patients", value="10000000", out="o", quick=True,
    ),
    "simulate-output-larger-than-the-disk": bad(
        "simulate", "--n-patients", "10000000", "--out", "o", field="--n-patients",
        value="10000000", out="o", quick=True, env={"free_bytes": "1000000000"},
    ),
}  # fmt: skip


def _snapshot(path: Path) -> dict[str, bytes] | None:
    """What is at ``path``: None if nothing, else every file's bytes."""
    if not path.exists():
        return None
    if path.is_file():
        return {"": path.read_bytes()}
    return {str(p.relative_to(path)): p.read_bytes() for p in path.rglob("*") if p.is_file()}


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    _write_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("case", BAD.values(), ids=BAD.keys())
def test_bad_input_is_one_clear_error_and_writes_nothing(case: Bad, workdir, monkeypatch):
    if case.locked:
        locked = (workdir / "locked").resolve()
        real = os.access
        monkeypatch.setattr(
            os, "access", lambda p, mode, **kw: Path(p).resolve() != locked and real(p, mode, **kw)
        )
    if "free_bytes" in case.env:
        monkeypatch.setattr(rundir, "free_bytes", lambda _p: int(case.env["free_bytes"]))
    before = sorted(p.name for p in workdir.iterdir())
    out_before = _snapshot(workdir / case.out) if case.out else None
    started = time.perf_counter()
    result = runner.invoke(app, list(case.args))
    seconds = time.perf_counter() - started
    output = result.output
    assert result.exit_code == 2, output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), repr(result.exception)
    assert "Traceback" not in output
    assert output.count("error:") == 1 and "Usage:" not in output, output
    assert case.field in output, output
    if case.value is not None:
        assert case.value in output, output
    if case.out:
        assert _snapshot(workdir / case.out) == out_before, f"{case.out} changed"
    assert sorted(p.name for p in workdir.iterdir()) == before, "something was written"
    if case.quick:
        assert seconds < 10, f"refused only after {seconds:.0f} s of work"


# ----------------------------------------------------------------------- valid but unusual


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result.output


def test_rich_markup_in_an_output_path_is_printed_as_typed(workdir):
    (workdir / "m[").mkdir()  # so that 'm[/b]x' is a file in it, as the issue typed
    for command in (["describe"], ["catalogue"], ["boin-table"], ["boundaries"]):
        out = "m[/b]x [bold]" + command[0]
        output = _ok([*command, "--out", out])
        assert f"wrote {out}" in output
        assert (workdir / out).is_file()


def test_rich_markup_in_a_protocol_path_is_printed_as_typed(workdir):
    (workdir / "p[").mkdir()
    (workdir / "p[/b][red].toml").write_text(_protocol())
    assert "p[/b][red].toml: valid" in _ok(["trial", "p[/b][red].toml", "--validate"])


def test_a_utf8_file_with_a_byte_order_mark_is_read(workdir):
    (workdir / "bom.toml").write_bytes(
        b'\xef\xbb\xbf[set]\nbase = "calibrated"\nname = "caf\xc3\xa9"\n'
    )
    assert "café" in _ok(["params", "--parameters", "bom.toml"])


def test_describe_replaces_a_file_only_with_force(workdir):
    _ok(["describe", "--out", "a_file", "--force"])
    assert (workdir / "a_file").read_text().startswith("# DiscTwin model reference")


_HOSTILE = "<script>alert(1)</script> | broken | row\nsecond line"


def _hostile_set(workdir: Path) -> str:
    (workdir / "hostile.toml").write_text(
        "[set]\n"
        'name = "<script>alert(1)</script>|`"\n'
        "[[parameter]]\n"
        'name = "apoptosis_rate"\n'
        "value = 4e-5\n"
        'unit = "1/day"\n'
        "range = [1e-5, 2e-4]\n"
        f'group = "{_HOSTILE.replace(chr(10), chr(92) + "n")}"\n'
        f'meaning = "{_HOSTILE.replace(chr(10), chr(92) + "n")}"\n'
        f'source = "assumption: {_HOSTILE.replace(chr(10), chr(92) + "n")}"\n'
    )
    return "hostile.toml"


def _table_rows(markdown: str) -> list[str]:
    return [
        line
        for line in markdown.splitlines()
        if line.startswith("|") and "apoptosis_rate" in line.split("|")[1]
    ]


@pytest.mark.parametrize("command", [["params", "--format", "md"], ["describe"]])
def test_markdown_outputs_show_user_text_as_text(workdir, command):
    output = _ok([*command, "--parameters", _hostile_set(workdir)])
    (row,) = _table_rows(output)
    assert "<script>" not in output
    assert "&lt;script>alert(1)&lt;/script>" in row
    lines = output.splitlines()
    at = lines.index(row)
    header = next(lines[i] for i in range(at - 1, -1, -1) if lines[i + 1].startswith("|---"))
    cells = len(header.replace("\\|", "").split("|"))
    assert len(row.replace("\\|", "").split("|")) == cells  # the row is not broken


def test_html_output_shows_user_text_as_text(workdir):
    _ok(["describe", "--format", "html", "--parameters", _hostile_set(workdir), "--out", "m.html"])
    page = (workdir / "m.html").read_text()
    assert "<script>" not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt; | broken | row second line") == 3


def test_the_output_estimate_is_shown_before_a_large_simulation(workdir, monkeypatch):
    from disctwin.io import simulation

    monkeypatch.setattr(simulation, "BYTES_PER_PATIENT_AGE", 10**9)  # 2 patients: 14 GB
    monkeypatch.setattr(rundir, "free_bytes", lambda _p: 10**15)

    def stop(*_args, **_kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(simulation, "_simulate_parts", stop)
    result = runner.invoke(app, ["simulate", "--n-patients", "2", "--out", "big"])
    assert "about 14.0 GB will be written to big" in result.output


@pytest.mark.slow
def test_a_trial_directory_with_wildcards_and_quotes_builds_its_database(workdir):
    out = workdir / "run? [1] *'s"
    (workdir / "run_ [1] x's").mkdir()  # what the wildcards would also match
    output = _ok(["trial", "protocol.toml", "--out", str(out), "--quiet"])
    assert "replicates written 1" in output
    con = duckdb.connect(str(out / "trial.duckdb"), read_only=True)
    try:
        (n,) = con.execute("SELECT count(*) FROM dm").fetchone()
    finally:
        con.close()
    assert n == pq.read_table(out / "replicates" / "r00000" / "sdtm" / "dm.parquet").num_rows
