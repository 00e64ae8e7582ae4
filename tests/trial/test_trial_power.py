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
