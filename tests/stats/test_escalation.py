"""Phase I escalation (3+3, BOIN) against exact formulas, published tables and SciPy; the
design commands of the CLI."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from disctwin.cli import app
from disctwin.errors import ConfigError
from disctwin.stats.escalation import (
    Boin,
    ThreePlusThree,
    _pava,
    _start,
    _step,
    boin_boundaries,
    boin_decision_table,
    boin_select_mtd,
    boin_trial,
    exact_operating_characteristics,
    isotonic_regression,
    probability_above_target,
    simulate_escalation,
    three_plus_three,
    three_plus_three_escalation_probability,
)

CURVE = [0.05, 0.15, 0.3, 0.45, 0.6]


def _mc_tolerance(p, n):
    return 4.0 * np.sqrt(np.maximum(p * (1 - p), 1e-4) / n)


# ---------------------------------------------------------------------------------------------
# 3+3


def test_three_plus_three_escalation_probability_by_formula_and_simulation():
    p = 0.3
    q = three_plus_three_escalation_probability(p)
    # by hand: P(0/3) + P(1/3) P(0/3)
    assert q == pytest.approx(
        stats.binom.pmf(0, 3, p) + stats.binom.pmf(1, 3, p) * stats.binom.pmf(0, 3, p)
    )
    n = 4000
    oc = simulate_escalation(ThreePlusThree(confirm_mtd=False), [p, 0.0], n, seed=3)
    # the trial escalates past dose 0 iff dose 1 is treated
    passed = np.mean(oc.selected == 1)
    assert abs(passed - q) < _mc_tolerance(q, n)


def _simple_selection(p):
    """Selection probabilities of 3+3 without MTD confirmation, in closed form."""
    q = three_plus_three_escalation_probability(np.asarray(p))
    reach = np.concatenate([[1.0], np.cumprod(q)])  # P(escalate past doses 0..j-1)
    select = reach[1:-1] * (1 - q[1:])  # pass doses 0..j, stop at j + 1
    top = reach[-1]
    return 1 - q[0], np.concatenate([select, [top]]), reach[:-1]


def test_three_plus_three_exact_enumeration_matches_closed_form():
    none, select, reach = _simple_selection(CURVE)
    oc = exact_operating_characteristics(ThreePlusThree(confirm_mtd=False), CURVE)
    np.testing.assert_allclose(oc.selection, select, atol=1e-12)
    assert oc.no_selection == pytest.approx(none, abs=1e-12)
    # patients at dose j: 3 if reached, 3 more if 1/3
    p = np.asarray(CURVE)
    np.testing.assert_allclose(oc.mean_patients, reach * (3 + 3 * 3 * p * (1 - p) ** 2))


@pytest.mark.parametrize("confirm_mtd", [False, True])
def test_three_plus_three_simulation_matches_exact_enumeration(confirm_mtd):
    design = ThreePlusThree(confirm_mtd=confirm_mtd)
    exact = exact_operating_characteristics(design, CURVE)
    n = 3000
    sim = simulate_escalation(design, CURVE, n, seed=11)
    tol = _mc_tolerance(exact.selection, n)
    assert np.all(np.abs(sim.selection - exact.selection) < tol)
    assert abs(sim.mean_total_patients - exact.mean_total_patients) < 4 * (
        sim.total_patients.std() / np.sqrt(n)
    )
    if confirm_mtd:  # confirmation treats more patients and selects lower doses
        plain = exact_operating_characteristics(ThreePlusThree(confirm_mtd=False), CURVE)
        assert exact.mean_total_patients > plain.mean_total_patients
        assert exact.selection[3] < plain.selection[3]


def test_three_plus_three_rules_step_by_step():
    design = ThreePlusThree()
    s = _start(design, 3)
    s = _step(design, s, 0)  # 0/3 at dose 0: escalate
    assert s.current == 1 and not s.done
    s = _step(design, s, 1)  # 1/3: 3 more at dose 1
    assert s.current == 1 and s.n == (3, 3, 0)
    s = _step(design, s, 1)  # 2/6: too toxic; dose 0 has only 3: expand it
    assert s.current == 0 and not s.done
    s = _step(design, s, 1)  # 1/6 at dose 0: it is the MTD
    assert s.done and s.selected == 0 and s.n == (6, 6, 0)
    rng = np.random.default_rng(1)
    trial = three_plus_three([1.0, 1.0], rng)
    assert trial.selected is None and trial.total_patients == 3


# ---------------------------------------------------------------------------------------------
# BOIN


# Liu & Yuan (2015) JRSS-C 64:507, Table 1; BOIN R package get.boundary(): (lambda_e, lambda_d)
@pytest.mark.parametrize(
    ("target", "published"), [(0.3, (0.236, 0.358)), (0.25, (0.197, 0.298)), (0.2, (0.157, 0.238))]
)
def test_boin_boundaries_match_published(target, published):
    lambda_e, lambda_d = boin_boundaries(target)
    assert (lambda_e, lambda_d) == pytest.approx(published, abs=1e-3)


def test_boin_decision_table_matches_yuan_2016_table_1():
    # Yuan, Hess, Hilsenbeck & Gilbert (2016) Clin Cancer Res 22:4291, Table 1 (target 0.3,
    # n = 1..12 patients treated at the current dose)
    table = boin_decision_table(0.3, cohort_size=1, max_n=12)
    assert table.escalate_if_at_most.tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
    assert table.deescalate_if_at_least.tolist() == [1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5]
    eliminate = [None if pd.isna(x) else int(x) for x in table.eliminate_if_at_least]
    assert eliminate == [None, None, 3, 3, 4, 4, 5, 5, 5, 6, 6, 7]


@pytest.mark.parametrize("target", [0.2, 0.25, 0.3, 0.35])
def test_boin_elimination_cutoffs_against_scipy_beta(target):
    table = boin_decision_table(target, cohort_size=1, max_n=30)
    for n, cut in zip(table.n, table.eliminate_if_at_least, strict=True):
        posterior = [stats.beta(y + 1, n - y + 1).sf(target) for y in range(n + 1)]
        expected = next((y for y in range(n + 1) if posterior[y] > 0.95), None) if n >= 3 else None
        assert (None if pd.isna(cut) else int(cut)) == expected
        assert probability_above_target(n // 2, n, target) == pytest.approx(posterior[n // 2])


def test_boin_rules_step_by_step():
    design = Boin(target=0.3, n_cohorts=6)
    s = _start(design, 4)
    s = _step(design, s, 0)  # 0/3 <= 0.236: escalate
    assert s.current == 1
    s = _step(design, s, 1)  # 1/3 between boundaries: stay
    assert s.current == 1
    s = _step(design, s, 2)  # 3/6 >= 0.358: de-escalate
    assert s.current == 0
    s = _step(design, s, 0)  # 0/6: escalate
    s = _step(design, s, 3)  # 6/9 at dose 1: Pr(p > .3) > .95: eliminate doses 1..3
    assert s.current == 0 and s.highest == 0
    s = _step(design, s, 0)  # 0/9 at dose 0: would escalate, but dose 1 is eliminated
    assert s.done and s.current == 0 and s.reason == "maximum sample size"
    assert boin_select_mtd(s.n, s.dlts, 0.3) == 0


def _brute_force_isotonic(values, weights):
    """Best non-decreasing fit among all partitions into consecutive blocks (block means)."""
    best, best_loss = None, math.inf
    k = len(values)
    for cuts in itertools.product([False, True], repeat=k - 1):
        bounds = [0, *[i + 1 for i, c in enumerate(cuts) if c], k]
        fit = np.empty(k)
        for a, b in itertools.pairwise(bounds):
            fit[a:b] = np.average(values[a:b], weights=weights[a:b])
        if np.all(np.diff(fit) >= -1e-12):
            loss = np.sum(weights * (fit - values) ** 2)
            if loss < best_loss:
                best, best_loss = fit, loss
    return best


def test_isotonic_regression_pava_against_brute_force_and_scipy(rng):
    for _ in range(30):
        k = int(rng.integers(1, 7))
        values = rng.random(k)
        weights = rng.uniform(0.2, 5.0, k)
        expected = _brute_force_isotonic(values, weights)
        np.testing.assert_allclose(_pava(values, weights), expected, atol=1e-12)
        np.testing.assert_allclose(isotonic_regression(values, weights), expected, atol=1e-12)


def test_boin_mtd_selection_follows_the_boin_package_rules():
    # dose 2 (0-based) is eliminated (5/6 DLTs), so are the ones above; dose 1 closest
    assert boin_select_mtd([3, 9, 6, 0], [0, 2, 5, 0], 0.3) == 1
    # lowest dose eliminated: no MTD
    assert boin_select_mtd([3, 0, 0], [3, 0, 0], 0.3) is None
    # estimates (0.17, 0.02, 0.45) violate monotonicity: doses 0 and 1 are pooled (~0.1), so
    # dose 2 (0.45, 0.15 from the target) is closer than the pooled pair (0.2 away)
    assert boin_select_mtd([6, 3, 9], [1, 0, 4], 0.3) == 2
    # without pooling dose 0 (0.17) would have been closest: the isotonic step matters
    assert boin_select_mtd([6, 0, 9], [1, 0, 4], 0.3) == 0


def test_boin_simulation_matches_exact_enumeration():
    design = Boin(target=0.25, n_cohorts=5, cohort_size=3)
    curve = [0.1, 0.25, 0.45, 0.6]
    exact = exact_operating_characteristics(design, curve)
    assert exact.selection.sum() + exact.no_selection == pytest.approx(1.0)
    n = 3000
    sim = simulate_escalation(design, curve, n, seed=99)
    assert np.all(np.abs(sim.selection - exact.selection) < _mc_tolerance(exact.selection, n))
    np.testing.assert_allclose(sim.mean_patients, exact.mean_patients, atol=0.35)


@pytest.mark.parametrize("design", [Boin(target=0.3, n_earlystop=9), ThreePlusThree()])
def test_replicates_do_not_depend_on_batching(design):
    whole = simulate_escalation(design, CURVE, 60, seed=5)
    first = simulate_escalation(design, CURVE, 25, seed=5)
    rest = simulate_escalation(design, CURVE, 35, seed=5, first_trial=25)
    np.testing.assert_array_equal(whole.selected, np.concatenate([first.selected, rest.selected]))
    np.testing.assert_array_equal(
        whole.total_patients, np.concatenate([first.total_patients, rest.total_patients])
    )
    assert len(set(whole.total_patients.tolist())) > 1  # trials differ: the check has teeth
    run = boin_trial if isinstance(design, Boin) else three_plus_three
    for r in (0, 7, 59):
        rng = np.random.default_rng(np.random.SeedSequence(5, spawn_key=(r,)))
        trial = run(CURVE, rng, design=design)
        assert (trial.total_patients, trial.selected) == (
            whole.total_patients[r],
            None if whole.selected[r] < 0 else whole.selected[r],
        )


def test_replicates_do_not_depend_on_the_number_of_workers():
    design = Boin(target=0.3, n_earlystop=9)
    one = simulate_escalation(design, CURVE, 45, seed=5, first_trial=3)
    two = simulate_escalation(design, CURVE, 45, seed=5, first_trial=3, workers=2)
    np.testing.assert_array_equal(one.selected, two.selected)
    np.testing.assert_array_equal(one.total_patients, two.total_patients)
    np.testing.assert_array_equal(one.mean_dlts, two.mean_dlts)
    with pytest.raises(ConfigError) as err:  # reported with the other problems
        simulate_escalation(design, CURVE, 0, seed=5, workers=0)
    assert {p.field for p in err.value.problems} == {"n_trials", "--workers"}


def test_bad_designs_raise_config_errors():
    with pytest.raises(ConfigError) as err:
        Boin(target=0.3, cohort_size=0, unknown=1)
    assert {p.field for p in err.value.problems} == {"cohort_size", "unknown"}
    with pytest.raises(ConfigError, match="phi1 < target < phi2"):
        Boin(target=0.3, phi1=0.35)
    with pytest.raises(ConfigError, match="true_dlt_probabilities"):
        simulate_escalation(ThreePlusThree(), [0.1, 1.2], 10, seed=1)
    with pytest.raises(ConfigError, match="start_dose"):
        simulate_escalation(ThreePlusThree(start_dose=3), [0.1, 0.2], 10, seed=1)


# ---------------------------------------------------------------------------------------------
# command line

runner = CliRunner()


def test_cli_boin_table_prints_and_writes_the_decision_table(tmp_path):
    out = tmp_path / "boin.csv"
    args = ["boin-table", "--target", "0.3", "--cohort-size", "3", "--max-n", "12"]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "0.236" in result.output and "0.359" in result.output  # lambda_e, lambda_d
    table = pd.read_csv(out)
    assert table.n.tolist() == [3, 6, 9, 12]
    assert table.eliminate_if_at_least.tolist() == [3, 4, 5, 7]
    bad = runner.invoke(app, ["boin-table", "--target", "0.9"])
    assert bad.exit_code == 2 and "target" in bad.output


def test_cli_boundaries_and_escalation(tmp_path):
    out = tmp_path / "bounds.csv"
    args = ["boundaries", "--looks", "0.2,0.4,0.6,0.8,1", "--futility", "pocock"]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "4.877" in result.output and "2.680" in result.output
    frame = pd.read_csv(out)
    assert frame.z_futility.iloc[-1] == pytest.approx(frame.z_efficacy.iloc[-1])
    typo = runner.invoke(app, ["boundaries", "--spending", "obrien"])
    assert typo.exit_code == 2 and "obrien_fleming" in typo.output
    oc = runner.invoke(app, ["escalation", "--design", "3+3", "--exact"])
    assert oc.exit_code == 0 and "P(selected as MTD)" in oc.output


def test_simulated_operating_characteristics_carry_monte_carlo_errors():
    """Issue 27: escalation OC tables printed no Monte Carlo error. Each selection probability
    now has its MC SE and Clopper-Pearson interval (statsmodels ``proportion_confint``,
    method "beta"), each mean its SE (sd / sqrt(R)); a dose never selected still has an
    interval above zero; exact enumeration has none."""
    from statsmodels.stats.proportion import proportion_confint

    n_trials = 300
    oc = simulate_escalation(Boin(target=0.3), [0.01, 0.05, 0.3, 0.7], n_trials, seed=4)
    frame = oc.to_frame()
    counts = np.append(
        np.bincount(oc.selected[oc.selected >= 0], minlength=4), np.sum(oc.selected < 0)
    )
    low, high = proportion_confint(counts, n_trials, alpha=0.05, method="beta")
    np.testing.assert_allclose(frame.selection_ci_low, low, atol=1e-12)
    np.testing.assert_allclose(frame.selection_ci_high, high, atol=1e-12)
    p = counts / n_trials
    np.testing.assert_allclose(frame.selection_mcse, np.sqrt(p * (1 - p) / n_trials))
    assert (frame.selection_ci_high > 0).all()  # never selected: interval above zero
    assert 0 in counts  # the check above is about a dose never selected
    np.testing.assert_allclose(
        frame.mean_patients_mcse.iloc[:4],
        [np.std(oc_n, ddof=1) / np.sqrt(n_trials) for oc_n in _per_trial_patients(oc, n_trials)],
    )
    assert oc.mean_total_patients_mcse == pytest.approx(
        np.std(oc.total_patients, ddof=1) / np.sqrt(n_trials)
    )
    exact = exact_operating_characteristics(ThreePlusThree(), [0.1, 0.5]).to_frame()
    assert exact[["selection_ci_low", "selection_mcse", "mean_patients_mcse"]].isna().all().all()
    printed = runner.invoke(app, ["escalation", "--trials", "200", "--doses", "0.01,0.3,0.8"])
    assert printed.exit_code == 0, printed.output
    assert "(95% CI" in printed.output and "±" in printed.output


def _per_trial_patients(oc, n_trials):
    """Patients per dose in each trial of ``oc`` (rerun from the seeds, which the module
    documents: trial r draws from SeedSequence(seed, spawn_key=(r,)))."""
    from disctwin.stats.escalation import _simulate_trials

    n, _, selected = _simulate_trials(
        Boin(target=0.3), np.array(oc.true_dlt_probabilities), 4, range(n_trials)
    )
    np.testing.assert_array_equal(selected, oc.selected)
    return n.T
