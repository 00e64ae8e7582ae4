"""Bad input: one clear message naming field, value and what is allowed; exit code 2; no
traceback; nothing written."""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from disctwin.cli import app
from disctwin.engine import Engine
from disctwin.errors import ConfigError
from disctwin.io import run_simulation
from disctwin.population import PopulationSpec

runner = CliRunner()


def _invoke(args):
    return runner.invoke(app, args)


def _assert_clear_error(result, field: str):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert field in result.output, result.output
    # a single error block: one "error:" line (click's own usage errors use "Error")
    assert result.output.lower().count("error") >= 1


invalid_ints = st.one_of(st.integers(max_value=0), st.integers(min_value=10**9, max_value=10**12))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(n=invalid_ints)
def test_invalid_patient_count(n, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    result = _invoke(["simulate", "--n-patients", str(n), "--out", str(out)])
    _assert_clear_error(result, "--n-patients")
    assert str(n) in result.output
    assert not out.exists()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ages=st.one_of(
        st.text(alphabet=string.ascii_letters + ":;", min_size=1, max_size=8),
        st.tuples(st.integers(-50, 200), st.integers(-50, 200), st.integers(-5, 0)).map(
            lambda t: f"{t[0]}:{t[1]}:{t[2]}"
        ),
        st.lists(st.integers(-100, 9), min_size=1, max_size=3).map(lambda v: ",".join(map(str, v))),
        st.lists(st.integers(101, 400), min_size=1, max_size=3).map(
            lambda v: ",".join(map(str, v))
        ),
        st.just("30,20"),
        st.just("nan"),
    )
)
def test_invalid_ages(ages, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    result = _invoke(["simulate", "--ages", ages, "--out", str(out)])
    _assert_clear_error(result, "--ages")
    assert not out.exists()


_INVALID_OPTIONS = {
    "--chunk-size": ["0", "-3", "2000000"],
    "--threads": ["0", "-3", "5000"],
    "--rtol": ["0", "-1e-3", "0.5"],
    "--seed": ["-1", "-12345"],
}


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), option=st.sampled_from(sorted(_INVALID_OPTIONS)))
def test_invalid_engine_options(data, option, tmp_path_factory):
    value = data.draw(st.sampled_from(_INVALID_OPTIONS[option]))
    out = tmp_path_factory.mktemp("run") / "out"
    result = _invoke(["simulate", option, value, "--out", str(out)])
    _assert_clear_error(result, option)
    assert value in result.output or repr(float(value)) in result.output
    assert not out.exists()


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    option=st.sampled_from(["--n-patients", "--chunk-size", "--threads", "--rtol", "--seed"]),
    value=st.text(alphabet=string.ascii_letters, min_size=1, max_size=5),
)
def test_values_of_the_wrong_type(option, value, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    result = _invoke(["simulate", option, value, "--out", str(out)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert option in result.output
    assert not out.exists()


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    entry=st.fixed_dictionaries(
        {
            "value": st.one_of(
                st.floats(allow_nan=False, allow_infinity=False),
                st.text(alphabet=string.ascii_letters + string.digits, max_size=3),
            ),
            "unit": st.sampled_from(["1", "1/day", "parsecs", ""]),
            "range": st.lists(st.floats(-10, 10, allow_nan=False), min_size=2, max_size=2),
        }
    )
)
def test_invalid_parameter_files(entry, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("params")
    value = entry["value"]
    low, high = entry["range"]
    valid = isinstance(value, float) and entry["unit"] in ("1", "1/day") and low <= value <= high
    if valid:
        return
    vtext = repr(value) if isinstance(value, float) else '"' + value.replace('"', "") + '"'
    path = tmp_path / "params.toml"
    path.write_text(
        "[[parameter]]\n"
        'name = "apoptosis_rate"\n'
        f"value = {vtext}\n"
        f'unit = "{entry["unit"]}"\n'
        f"range = [{low!r}, {high!r}]\n"
        'meaning = "baseline apoptosis"\n'
        'source = "assumption: a value for this test only"\n'
    )
    out = tmp_path / "out"
    result = _invoke(["simulate", "--parameters", str(path), "--out", str(out)])
    _assert_clear_error(result, "apoptosis_rate")
    assert not out.exists()


def test_missing_parameter_file(tmp_path):
    result = _invoke(
        ["simulate", "--parameters", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "out")]
    )
    _assert_clear_error(result, "parameter_file")


def test_output_path_that_is_a_file(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("x")
    with pytest.raises(ConfigError, match="out"):
        run_simulation(PopulationSpec(n_patients=2, seed=1), [20], target, engine=Engine())


def test_output_dir_with_other_content(tmp_path):
    (tmp_path / "other.txt").write_text("x")
    with pytest.raises(ConfigError, match="new or empty directory"):
        run_simulation(PopulationSpec(n_patients=2, seed=1), [20], tmp_path, engine=Engine())


def test_unknown_parameter_group():
    result = _invoke(["params", "--group", "nutriton"])
    _assert_clear_error(result, "--group")
    assert "did you mean 'nutrition'" in result.output


@pytest.mark.parametrize("mode", [[], ["--find-n"]], ids=["run", "find-n"])
def test_trial_workers_out_of_range_is_one_clear_error_and_writes_nothing(tmp_path, mode):
    from disctwin.testing import canonical_protocol
    from disctwin.trial import dump_protocol

    path = tmp_path / "p.toml"
    path.write_text(dump_protocol(canonical_protocol()))
    result = _invoke(["trial", str(path), "--workers", "0", "--out", str(tmp_path / "o"), *mode])
    _assert_clear_error(result, "--workers")
    assert "1 to 256 processes" in result.output
    assert not (tmp_path / "o").exists()
