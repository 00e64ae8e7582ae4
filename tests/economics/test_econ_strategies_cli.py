"""The strategies file and ``disctwin economics``: one error per bad input, nothing
written; a tiny run writes results, ICERs, CEAC, plots and provenance."""

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from disctwin.cli import app
from disctwin.economics.strategies import parse_strategies
from disctwin.errors import ConfigError

REGIMENS = Path(__file__).parents[2] / "examples" / "regimens"


def raw(**changes):
    base = {
        "name": "t",
        "country": "USA",
        "threshold": 100000,
        "horizon_years": 5,
        "psa_draws": 3,
        "population": {"n_patients": 12, "seed": 1},
        "follow_up_days": [0.0, 182.0, 364.0],
        "strategies": [
            {"name": "none"},
            {"name": "opioids", "regimen": str(REGIMENS / "opioid_long_term_60mme.toml")},
        ],
    }
    return {**base, **changes}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"country": "GRB"}, "country"),
        ({"rate_costs": 3.5}, "rate_costs"),
        ({"strategies": [{"name": "a", "price": -1.0}, {"name": "b"}]}, "strategies[0].price"),
        (
            {"strategies": [{"name": "a", "population": "p1"}, {"name": "b", "population": "p2"}]},
            "strategies.population",
        ),
    ],
)
def test_bad_input_is_one_error_naming_the_field(changes, field):
    with pytest.raises(ConfigError) as err:
        parse_strategies(raw(**changes))
    assert field in str(err.value)


def test_cli_writes_results_icers_ceac_plots_and_provenance(tmp_path):
    spec = tmp_path / "s.toml"
    lines = [
        'name = "t"',
        'country = "GBR"',
        "threshold = 20000",
        "horizon_years = 5",
        "psa_draws = 3",
        "follow_up_days = [0.0, 182.0, 364.0]",
        "[population]",
        "n_patients = 12",
        "seed = 1",
        "[[strategies]]",
        'name = "none"',
        "[[strategies]]",
        'name = "opioids"',
        f'regimen = "{REGIMENS / "opioid_long_term_60mme.toml"}"',
    ]
    spec.write_text("\n".join(lines))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["economics", str(spec), "--out", str(out)])
    assert result.exit_code == 0, result.output
    for name in ("results.csv", "icers.csv", "ceac.csv", "psa.csv", "ce_plane.png", "ceac.png"):
        assert (out / name).is_file()
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["config"]["country"] == "GBR" and "model_digest" in manifest


def test_cli_bad_file_writes_nothing(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text('name = "t"\ncountry = "XYZ"\nthreshold = 1\n')
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["economics", str(spec), "--out", str(out)])
    assert result.exit_code == 2 and "country" in result.output
    assert not out.exists()


def test_cli_budget_impact_access_and_tornado_are_written_and_plotted(tmp_path):
    spec = tmp_path / "s.toml"
    lines = [
        'name = "t"',
        'country = "USA"',
        "threshold = 100000",
        "horizon_years = 5",
        "psa_draws = 0",
        "follow_up_days = [0.0, 182.0, 364.0]",
        "[population]",
        "n_patients = 12",
        "seed = 1",
        "[[strategies]]",
        'name = "none"',
        "[[strategies]]",
        'name = "opioids"',
        f'regimen = "{REGIMENS / "opioid_long_term_60mme.toml"}"',
        "acquisition_units = 1",
        "priced = true",
        "[budget_impact]",
        'strategy = "opioids"',
        'comparator = "none"',
        "eligible_patients = 1000",
        "uptake = [0.1, 0.2, 0.3]",
        'price = "value_based"',
        "[access]",
        'strategy = "opioids"',
        'comparator = "none"',
        "list_price_usd = 1000.0",
        'countries = ["MWI", "IND", "BRA", "USA"]',
        "[dsa]",
        'strategy = "opioids"',
        'comparator = "none"',
    ]
    spec.write_text("\n".join(lines))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["economics", str(spec), "--out", str(out)])
    assert result.exit_code == 0, result.output
    budget = pd.read_csv(out / "budget_impact.csv")
    vbp = pd.read_csv(out / "value_based_price.csv")
    assert budget["year"].tolist() == [1, 2, 3]
    assert budget["price_per_unit"].iloc[0] == pytest.approx(max(vbp["price"].iloc[0], 0.0))
    assert budget["patients_starting"].tolist() == pytest.approx([100, 200, 300])
    assert set(budget[["country", "perspective", "currency"]].iloc[0]) == {"USA", "payer", "USD"}
    assert (out / "budget_impact.png").is_file()
    access = pd.read_csv(out / "access.csv")
    results = pd.read_csv(out / "results.csv", index_col="strategy")
    assert access.groupby("scenario").size().to_dict() == {
        "patent_sharing": 4,
        "single_price": 4,
        "tiered": 4,
    }
    usa = access[(access["iso3"] == "USA") & (access["scenario"] == "single_price")].iloc[0]
    gain = results.loc["opioids", "qaly"] - results.loc["none", "qaly"]
    extra = results.loc["opioids", "cost"] - results.loc["none", "cost"]  # price 0 in the file
    assert usa["value_based_price_usd"] == pytest.approx(usa["threshold_usd"] * gain - extra)
    assert (out / "access_summary.csv").is_file() and (out / "access.png").is_file()
    dsa = pd.read_csv(out / "dsa.csv")
    nmb = 100000 * gain - extra  # incremental NMB of opioids vs none at the threshold
    assert dsa["base_outcome"].iloc[0] == pytest.approx(nmb, rel=1e-9)
    assert dsa["swing"].is_monotonic_decreasing and (dsa["swing"] >= 0).all()
    assert dsa.loc[dsa["parameter"] == "opioid_per_mme_day", "swing"].iloc[0] > 0
    assert dsa.loc[dsa["parameter"] == "intradiscal_procedure", "swing"].iloc[0] == 0
    assert (out / "tornado.png").is_file()


def test_cli_bad_budget_table_is_one_error_and_writes_nothing(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(
        'name = "t"\ncountry = "USA"\nthreshold = 1\n[[strategies]]\nname = "a"\n'
        '[[strategies]]\nname = "b"\n[budget_impact]\nstrategy = "b"\ncomparator = "a"\n'
        "eligible_patients = 10\nuptake = [0.5, 2.0]\n"
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["economics", str(spec), "--out", str(out)])
    assert result.exit_code == 2 and "budget_impact.uptake" in result.output
    assert "2.0" in result.output and not out.exists()
