"""Parameters are data: every entry has a unit, a range containing its value, a source."""

from __future__ import annotations

import pytest

from disctwin.errors import ConfigError
from disctwin.model import build_model
from disctwin.params import load_covariate_set, load_parameter_set
from disctwin.units import KNOWN_UNITS


@pytest.fixture(scope="module")
def ps():
    return load_parameter_set()


def test_every_parameter_has_unit_range_meaning_and_source(ps):
    for spec in ps:
        assert spec.unit in KNOWN_UNITS, spec.name
        low, high = spec.range
        assert all(low <= v <= high for v in spec.values), spec.name
        assert len(spec.source) > 10 and len(spec.meaning) > 10, spec.name


def test_sources_name_a_paper_or_an_assumption_with_a_reason(ps):
    for spec in ps:
        text = spec.source.lower()
        if text.startswith("assumption"):
            assert len(text) > len("assumption: ") + 10, spec.name
        else:
            # a citation has a year, or points to the project's science file or a definition
            assert (
                any(ch.isdigit() for ch in text)
                or "science.md" in text
                or text.startswith(("definition", "physiology"))
            ), spec.name


def test_model_uses_only_parameters_of_the_set(ps):
    missing = [p for p in build_model().parameters if p not in ps]
    assert missing == []


def test_level_parameters_have_five_values(ps):
    assert ps["level_load"].values[3] > ps["level_load"].values[0]  # L4/5 loaded more than L1/2
    for spec in ps:
        if spec.scope == "level":
            assert len(spec.values) == 5


def test_replace_validates_range_and_names(ps):
    assert ps.replace(apoptosis_rate=5e-5)["apoptosis_rate"].value == 5e-5
    with pytest.raises(ConfigError) as info:
        ps.replace(apoptosis_rate=-1.0, apoptosis_rat=1.0)
    text = str(info.value)
    assert "parameter.apoptosis_rate" in text and "-1.0" in text and "range" in text
    assert "did you mean 'apoptosis_rate'" in text


def test_invalid_file_reports_every_problem(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[parameter]]\nname = "a"\nvalue = 5.0\nunit = "furlongs"\nrange = [0.0, 1.0]\n'
        'meaning = "something"\nsource = "assumption: a value for this test only"\n'
        '[[parameter]]\nname = "b"\nvalue = 2.0\nunit = "1"\nrange = [0.0, 1.0]\n'
        'meaning = "something"\nsource = "assumption: a value for this test only"\n'
    )
    with pytest.raises(ConfigError) as info:
        load_parameter_set(bad)
    assert len(info.value.problems) == 2
    text = str(info.value)
    assert "furlongs" in text and "outside its range" in text


def test_digest_changes_with_values(ps):
    assert ps.digest() != ps.replace(apoptosis_rate=5e-5).digest()
    assert ps.digest() == load_parameter_set().digest()


def test_covariates_load():
    cs = load_covariate_set()
    assert {"smoker", "manual_labour", "bmi", "genetic_risk_score"} <= set(cs.names)


def _overlay(path, text):
    path.write_text(text)
    return path


def test_an_overlay_whose_bases_lead_back_to_it_is_refused_naming_the_chain(tmp_path):
    _overlay(tmp_path / "a.toml", '[set]\nbase = "b.toml"\n')
    _overlay(tmp_path / "b.toml", '[set]\nbase = "a.toml"\n')
    with pytest.raises(ConfigError, match="does not lead back here") as err:
        load_parameter_set(tmp_path / "a.toml")
    (problem,) = err.value.problems
    chain = f"{tmp_path / 'a.toml'} -> {tmp_path / 'b.toml'} -> {tmp_path / 'a.toml'}"
    assert chain in problem.allowed


@pytest.mark.parametrize(
    ("text", "field", "hint"),
    [
        ('[[overide]]\nname = "pain_scale"\n', "[overide]", "override"),
        ('[[override]]\nname = "pain_scale"\nvaleu = 1.0\n', "override[0].valeu", "value"),
        ('[[override]]\nname = "pain_scale"\nbetween_patient_vc = 0.1\n', "", None),
    ],
)
def test_misspelt_tables_and_keys_of_an_overlay_are_refused(tmp_path, text, field, hint):
    path = _overlay(tmp_path / "o.toml", '[set]\nbase = "calibrated"\n' + text)
    with pytest.raises(ConfigError) as err:
        load_parameter_set(path)
    (problem,) = err.value.problems
    assert field in problem.field
    if hint:
        assert problem.suggestion == hint


def test_unknown_set_keys_and_parameters_in_an_overlay_are_refused(tmp_path):
    path = _overlay(
        tmp_path / "o.toml", '[set]\nbase = "calibrated"\nnmae = "x"\n[[parameter]]\nname = "a"\n'
    )
    with pytest.raises(ConfigError) as err:
        load_parameter_set(path)
    fields = [p.field for p in err.value.problems]
    assert any(f.endswith("set.nmae") for f in fields)
    assert any(f.endswith("[[parameter]]") for f in fields)


def test_the_files_of_a_parameter_set_are_listed_for_provenance(tmp_path):
    from disctwin.params import parameter_set_files

    _overlay(tmp_path / "base.toml", '[set]\nbase = "calibrated"\n')
    top = _overlay(tmp_path / "top.toml", '[set]\nbase = "base.toml"\n')
    assert parameter_set_files(top) == (top, tmp_path / "base.toml")
    assert parameter_set_files("calibrated") == ()
    assert parameter_set_files(None) == ()
