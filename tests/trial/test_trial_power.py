"""Simulated power against the analytic two-sample formula.

A continuous endpoint with a known effect and SD: R two-arm trials whose change from
baseline is ``delta * treated + beta * (baseline - 60) + N(0, sigma^2)``, each analysed by the
trial's ANCOVA and summarised by :func:`operating_characteristics`. The rejection rate must
match the power of the two-sample t-test (statsmodels ``TTestIndPower``, effect size
``delta / sigma``) within 3 percentage points (MC SE about 0.9 points at R = 3000), and the
``analytic_power`` column (computed from the trials' own estimates) must equal that formula.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.power import TTestIndPower

from disctwin.errors import ConfigError
from disctwin.stats.analysis import ancova
from disctwin.trial.replicates import analytic_power, operating_characteristics

R = 3000
PER_ARM = 25
SIGMA = 18.0


def _replicate_rows(delta: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    treated = np.repeat([0.0, 1.0], PER_ARM)
    rows = []
    for r in range(R):
        base = rng.normal(60.0, 10.0, 2 * PER_ARM)
        change = delta * treated - 0.4 * (base - 60.0) + rng.normal(0.0, SIGMA, 2 * PER_ARM)
        e = ancova(change, base, treated)
        rows.append(
            {
                "replicate": r,
                "endpoint": "vas_change",
                "comparison": "treated vs control",
                "kind": "change",
                "method": "ancova",
                "primary": True,
                "estimate": e.estimate,
                "se": e.se,
                "n": e.n,
                "truth": delta,
                "covered": e.ci_low <= delta <= e.ci_high,
                "significant": e.p_value < 0.05,
                "success": e.p_value < 0.05 and e.estimate < 0,
                "n_enrolled": 2 * PER_ARM,
                "n_screened": 2 * PER_ARM,
                "under_enrolled": False,
                "stopped_at_look": 1,
                "decision": "final",
            }
        )
    return pd.DataFrame(rows)


@pytest.mark.parametrize("delta", [-10.0, -14.0])
def test_simulated_power_matches_the_two_sample_formula(delta):
    oc = operating_characteristics(_replicate_rows(delta, seed=int(-delta))).iloc[0]
    formula = TTestIndPower().power(abs(delta) / SIGMA, PER_ARM, 0.05, ratio=1.0)
    assert 0.3 < formula < 0.95
    assert abs(oc["rejection_rate"] - formula) < 0.03, (oc["rejection_rate"], formula)
    # the analytic column, from the trials' estimated SE, is the same formula
    assert abs(oc["analytic_power"] - formula) < 0.02
    assert abs(oc["coverage"] - 0.95) < 0.015


def test_analytic_power_is_the_t_test_formula_and_alpha_without_effect():
    se = SIGMA * np.sqrt(2 / PER_ARM)
    for d in (0.0, 5.0, 12.0):
        expected = TTestIndPower().power(d / SIGMA, PER_ARM, 0.05, ratio=1.0, df=2 * PER_ARM - 2)
        assert np.isclose(analytic_power(d, se, 2 * PER_ARM - 2, 0.05), expected, rtol=1e-9)
    assert np.isclose(analytic_power(0.0, se, 48, 0.05), 0.05)
    assert np.isnan(analytic_power(1.0, 0.0, 48, 0.05))


def _fake_replicates(power_of_n):
    """A stand-in for the trial simulator: replicate r of a trial with N patients succeeds
    iff its quantile (r + 0.5) / R is below ``power_of_n(N)`` (common random numbers)."""

    def run(protocol, replicates, seed, *, engine=None, n_patients=None, on_trial=None, workers=1):
        r = np.arange(replicates)
        win = (r + 0.5) / replicates < power_of_n(n_patients)
        return pd.DataFrame(
            {
                "endpoint": "vas_change",
                "comparison": "b vs a",
                "kind": "change",
                "method": "ancova",
                "primary": True,
                "success": win,
                "truth": -10.0,
                "se": 20.0 / np.sqrt(n_patients),
                "n": n_patients,
                "decision": "final",
            }
        )

    return run


def _protocol():
    from disctwin.trial import protocol_from_dict

    return protocol_from_dict(
        {
            "study": {"id": "FINDN", "n_patients": 40},
            "eligibility": [
                {"name": "pain", "variable": "vas", "min": 40},
                {"name": "chronic", "variable": "clbp_duration_months", "min": 3},
            ],
            "arm": [
                {"name": "a", "regimen": "saline_intradiscal", "role": "control"},
                {"name": "b", "regimen": "saline_intradiscal"},
            ],
            "visit": [{"name": "m6", "day": 182}],
            "endpoint": [{"name": "vas_change", "kind": "change", "visit": "m6", "primary": True}],
        }
    )


def test_sample_size_search_finds_the_smallest_n_reaching_the_target(monkeypatch):
    from disctwin.trial import replicates

    monkeypatch.setattr(replicates, "run_replicates", _fake_replicates(lambda n: n / 200))
    result = replicates.find_sample_size(_protocol(), 0.9, seed=1, replicates=100, n_max=400)
    assert result.n_total == 180  # power n / 200 >= 0.9, on the grid of multiples of 2
    t = result.table.set_index("n_total")
    assert t.loc[178, "power"] < 0.9 <= t.loc[180, "power"]
    expected = analytic_power(10.0, 20.0 / np.sqrt(180), 177, 0.05)
    assert np.isclose(t.loc[180, "analytic_power"], expected)


def test_find_n_command_writes_the_table_and_the_power_curve(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from disctwin.cli import app
    from disctwin.trial import dump_protocol, replicates

    monkeypatch.setattr(replicates, "run_replicates", _fake_replicates(lambda n: n / 100))
    path = tmp_path / "p.toml"
    path.write_text(dump_protocol(_protocol()))
    args = ["trial", str(path), "--find-n", "--power", "0.8", "--replicates", "50"]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "n")])
    assert result.exit_code == 0, result.output
    assert "smallest N with estimated power >= 0.8: 80" in result.output
    table = pd.read_csv(tmp_path / "n" / "find_n.csv")
    assert {"n_total", "power", "power_mcse", "analytic_power"} <= set(table.columns)
    assert (tmp_path / "n" / "power_curve.png").stat().st_size > 1000


def test_find_n_runs_its_replicates_on_the_workers_asked_for(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from disctwin.cli import app
    from disctwin.trial import dump_protocol, replicates

    fake = _fake_replicates(lambda n: n / 100)
    asked = []

    def run(*args, workers=1, **options):
        asked.append(workers)
        return fake(*args, **options)

    monkeypatch.setattr(replicates, "run_replicates", run)
    path = tmp_path / "p.toml"
    path.write_text(dump_protocol(_protocol()))
    args = [
        "trial",
        str(path),
        "--find-n",
        "--power",
        "0.8",
        "--replicates",
        "50",
        "--workers",
        "3",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert asked and set(asked) == {3}


def _formula_replicates(asked=None):
    """A stand-in whose replicate r at N succeeds iff (r + 0.5) / R is below the analytic
    power at N (effect 10, SD 20 per patient): simulated power then tracks the formula
    within 1 / R, as the real simulator's does within Monte Carlo error."""

    def power_of_n(n):
        return analytic_power(10.0, 40.0 / np.sqrt(n), n - 3.0, 0.05)

    fake = _fake_replicates(power_of_n)

    def run(protocol, replicates, seed, **options):
        if asked is not None:
            asked.append(replicates)
        frame = fake(protocol, replicates, seed, **options)
        return frame.assign(se=40.0 / np.sqrt(options["n_patients"]))

    return run


def _invoke(tmp_path, *args):
    from typer.testing import CliRunner

    from disctwin.cli import app
    from disctwin.trial import dump_protocol

    path = tmp_path / "p.toml"
    path.write_text(dump_protocol(_protocol()))
    return CliRunner().invoke(app, ["trial", str(path), "--find-n", *args])


def test_the_readme_find_n_command_is_not_a_one_replicate_search(monkeypatch, tmp_path):
    """Issue 27: ``--find-n --power 0.9`` inherited ``--replicates 1``, so power jumped 0 ->
    1 and a confident N was printed where the analytic power was 0.112. Now the search runs
    the library's 200 trials per N, prints each power with its exact interval beside the
    analytic power, and the N it gives has simulated power whose interval holds the
    analytic power there."""
    from disctwin.trial import SEARCH_REPLICATES, replicates

    asked: list[int] = []
    monkeypatch.setattr(replicates, "run_replicates", _formula_replicates(asked))
    result = _invoke(tmp_path, "--power", "0.9", "--out", str(tmp_path / "n"))
    assert result.exit_code == 0, result.output
    assert asked and set(asked) == {SEARCH_REPLICATES}
    table = pd.read_csv(tmp_path / "n" / "find_n.csv").set_index("n_total")
    n = int(result.output.split("smallest N with estimated power >= 0.9: ")[1].split()[0])
    row = table.loc[n]
    assert row["power"] >= 0.9 and row["replicates"] == SEARCH_REPLICATES
    assert row["power_ci_low"] <= row["analytic_power"] <= row["power_ci_high"]
    assert row["analytic_power"] > 0.85  # not the 0.112 of the one-replicate answer
    assert "95% CI" in result.output and "analytic" in result.output
    # every evaluated N: the formula inside the simulated power's interval
    inside = (table["power_ci_low"] <= table["analytic_power"]) & (
        table["analytic_power"] <= table["power_ci_high"]
    )
    assert inside.all(), table


@pytest.mark.parametrize("count", ["1", "49"])
def test_find_n_refuses_too_few_replicates(monkeypatch, tmp_path, count):
    from disctwin.trial import replicates

    monkeypatch.setattr(replicates, "run_replicates", _formula_replicates())
    result = _invoke(tmp_path, "--replicates", count)
    assert result.exit_code == 2
    assert "--replicates" in result.output and "50 to 1,000,000" in result.output
    with pytest.raises(ConfigError) as err:
        replicates.find_sample_size(_protocol(), 0.9, seed=1, replicates=int(count))
    assert err.value.problems[0].field == "--replicates"


def test_find_n_resumes_from_its_directory(monkeypatch, tmp_path):
    """A search started again in its directory reads back every N already evaluated (also
    with another target power); a directory of another run (other replicates) is refused."""
    from disctwin.trial import replicates

    asked: list[int] = []
    monkeypatch.setattr(replicates, "run_replicates", _formula_replicates(asked))
    out = str(tmp_path / "n")
    first = _invoke(tmp_path, "--power", "0.8", "--replicates", "60", "--out", out)
    assert first.exit_code == 0, first.output
    evaluated = len(asked)
    table = pd.read_csv(tmp_path / "n" / "find_n.csv")
    assert evaluated == len(table) > 2
    again = _invoke(tmp_path, "--power", "0.8", "--replicates", "60", "--out", out)
    assert again.exit_code == 0, again.output
    assert len(asked) == evaluated  # nothing simulated again
    assert f"resumed: {evaluated} N read back" in again.output
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "n" / "find_n.csv"), table)
    higher = _invoke(tmp_path, "--power", "0.9", "--replicates", "60", "--out", out)
    assert higher.exit_code == 0, higher.output
    assert evaluated < len(asked) < 2 * evaluated  # only the N not evaluated before
    other = _invoke(tmp_path, "--power", "0.8", "--replicates", "70", "--out", out)
    assert other.exit_code == 2 and "--out" in other.output


def test_find_n_on_a_grid_of_sizes(monkeypatch, tmp_path):
    from disctwin.trial import replicates

    monkeypatch.setattr(replicates, "run_replicates", _formula_replicates())
    result = _invoke(
        tmp_path, "--power", "0.8", "--n-grid", "40,200,120", "--out", str(tmp_path / "g")
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "g" / "find_n.csv")
    assert table["n_total"].tolist() == [40, 120, 200]
    power = dict(zip(table["n_total"], table["power"], strict=True))
    expected = min(n for n in (40, 120, 200) if power[n] >= 0.8)
    assert f"smallest N with estimated power >= 0.8: {expected}" in result.output
    odd = _invoke(tmp_path, "--n-grid", "41,80", "--out", str(tmp_path / "odd"))
    assert odd.exit_code == 2 and "--n-grid" in odd.output and "multiples" in odd.output
    assert not (tmp_path / "odd").exists()  # refused before anything is written
    assert _invoke(tmp_path, "--n-grid", "forty").exit_code == 2


def test_operating_characteristics_give_exact_intervals_not_zero_errors(tmp_path):
    """Issue 27: 20 null trials printed 'rejection 0.00 +- 0.00, coverage 1.00 +- 0.00'.
    Every rate now carries its Clopper-Pearson interval (statsmodels ``proportion_confint``,
    method "beta"), and the run's table prints '0.00 (95% CI 0.00-0.17)'."""
    from statsmodels.stats.proportion import proportion_confint

    from disctwin.cli.app import console
    from disctwin.cli.trial import _print_run

    rows = _replicate_rows(0.0, seed=5).iloc[:20].copy()
    rows["significant"] = False
    rows["success"] = False
    rows["covered"] = True
    rows.loc[rows.index[:3], "stopped_at_look"] = 2  # a two-look design: stopping rates
    oc = operating_characteristics(rows).iloc[0]
    assert oc["rejection_rate"] == 0.0 and oc["rejection_rate_mcse"] == 0.0
    low, high = proportion_confint(0, 20, alpha=0.05, method="beta")
    assert oc["rejection_rate_ci_low"] == pytest.approx(low, abs=1e-12)
    assert oc["rejection_rate_ci_high"] == pytest.approx(high, abs=1e-12)
    low, high = proportion_confint(20, 20, alpha=0.05, method="beta")
    assert oc["coverage"] == 1.0
    assert (oc["coverage_ci_low"], oc["coverage_ci_high"]) == pytest.approx((low, high))
    assert oc["stop_efficacy_look1"] == 0.0 and oc["stop_futility_look1"] == 0.0
    assert oc["stop_efficacy_look2_ci_high"] > 0
    # the printed table
    out = tmp_path / "run"
    (out / "replicates" / "r00000").mkdir(parents=True)
    screening = pd.DataFrame(
        {"criterion": ["pain"], "failures": [3], "n_screened": [43], "n_enrolled": [40]}
    )
    screening.to_parquet(out / "replicates" / "r00000" / "screening.parquet")
    operating_characteristics(rows).to_csv(out / "operating_characteristics.csv", index=False)
    manifest = {"replicates_written": 20, "replicates_skipped": 0, "seconds": 1.0}
    width = console.width
    try:
        console.width = 250
        with console.capture() as captured:
            _print_run(_protocol(), out, manifest)
    finally:
        console.width = width
    text = captured.get()
    assert "0.00 (95% CI 0.00-0.17)" in text and "1.00 (95% CI 0.83-1.00)" in text
    assert "± 0.00" not in text  # no zero Monte Carlo error
    assert "efficacy_look1 0.00 (95% CI 0.00-0.17)" in text
