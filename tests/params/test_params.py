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
