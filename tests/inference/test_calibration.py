"""Calibration: targets, cohort recruitment, cohort re-parametrisation, overlay sets, a
reproducible smoke run through the CLI, and the calibrated default against the data."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from typer.testing import CliRunner

from disctwin.cli import app
from disctwin.errors import ConfigError
from disctwin.inference.calibration import (
    DISC_FITTED,
    OBSERVATION_FITTED,
    CalibrationSettings,
    FittedParameter,
    _DiscStage,
    _optimise,
    _starts,
    _VirtualCohort,
    apply_fitted,
    calibrate_natural_history,
    calibration_targets,
    costa_cohorts,
    posterior_columns,
    predict_targets,
    vast_cohort,
    weighted_mean,
)
from disctwin.params import load_parameter_set, load_posterior, posterior_draw
from disctwin.population import sample_population

# population-scale or published-trial checks: the full suite (CI) runs them
pytestmark = pytest.mark.slow


def test_targets_are_every_published_point_with_its_size():
    targets = calibration_targets()
    prevalence = [t for t in targets if t.kind == "prevalence"]
    assert len(prevalence) == 24 and all(t.n > 0 for t in prevalence)
    # Brinjikji 2015 Table 1 stratum sizes, as shipped: degeneration at 30 years, n = 604
    deg30 = next(t for t in prevalence if t.quantity == "disc_degeneration" and t.x == 30)
    assert (deg30.observed, deg30.n) == (52.0, 604.0)
    costa12 = [t for t in targets if t.source == "Costa 2012"]
    assert [t.observed for t in costa12] == [51, 33, 26, 23]
    # 95% CI 44-59 at baseline -> SE (59 - 44) / 3.92
    assert costa12[0].se == pytest.approx(15 / 3.919928, rel=1e-6)
    costa09 = [t for t in targets if t.source == "Costa 2009"]
    assert [(t.x, t.observed, t.n) for t in costa09] == [(9, 35, 406), (12, 42, 406)]


def test_cohorts_are_recruited_the_way_the_studies_recruited():
    W = 130
    felt = np.zeros((3, W), bool)
    # patient 0: episode from week 20 to 40 -> persistent presentation at weeks 26..33
    felt[0, 20:41] = True
    # patient 1: onset at week 10, pain until week 60, then pain-free -> chronic, recovered
    # at week 61, i.e. 51 weeks after onset: by 12 months, not by 9
    felt[1, 10:61] = True
    # patient 2: onset at week 10, recovered at week 15 -> not chronic
    felt[2, 10:15] = True
    nrs = np.where(felt, 4, 0).astype(np.int8)
    vas = np.where(felt, 40.0, 0.0)
    odi = np.where(felt, 30.0, 0.0)
    c = costa_cohorts(felt, nrs, vas, odi, 0.07)
    # an episode starting at week s is recruited as persistent at weeks s+6..s+12 (pain at
    # every visit for 6 weeks, not for 13): patient 0 at 26..32, patient 1 at 16..22
    assert len(c["persistent_vas"]) == 7 + 7
    assert np.array_equal(c["persistent_vas"][:7, 3] > 0, np.zeros(7, bool))  # 0 ends at 40
    # chronic (no pain-free month within 13 weeks of onset): patient 0 recovers 21 weeks after
    # onset (by 9 months), patient 1 after 51 weeks (by 12 months only); patient 2 is not
    assert np.array_equal(c["chronic_recovered"], [[True, True], [False, True]])
    # equal disability, equal odds of presenting
    assert np.allclose(c["persistent_weight"], c["persistent_weight"][0])


def test_presentations_are_weighted_by_the_odds_of_seeking_care():
    """Ferreira 2010: care-seeking odds rise with disability; a week with 30 more ODI points
    carries exp(30 beta) the weight (8 at the sourced value), and the weighted cohort mean
    equals the mean of a cohort sampled with those odds (checked against a weighted mean
    computed by NumPy's own average)."""
    W = 130
    felt = np.zeros((2, W), bool)
    felt[:, 20:41] = True
    nrs = np.where(felt, 5, 0).astype(np.int8)
    vas = np.where(felt, 50.0, 0.0)
    vas[1] = np.where(felt[1], 80.0, 0.0)
    odi = np.where(felt, 30.0, 0.0)
    odi[1] = np.where(felt[1], 60.0, 0.0)
    ps = load_parameter_set("uncalibrated")
    beta = ps["care_seeking_log_odds_per_odi_point"].value
    c = costa_cohorts(felt, nrs, vas, odi, beta)
    w = c["persistent_weight"]
    assert w[-1] / w[0] == pytest.approx(np.exp(30 * beta)) and np.exp(30 * beta) == pytest.approx(
        8.0, rel=0.01
    )
    mean, se, n_eff = weighted_mean(c["persistent_vas"][:, 0], w)
    assert mean == pytest.approx(np.average(c["persistent_vas"][:, 0], weights=w))
    r = np.exp(30 * beta)  # the disabled patient's presentations count r times over
    assert mean == pytest.approx((50 + r * 80) / (1 + r))
    assert n_eff == pytest.approx(w.sum() ** 2 / (w**2).sum()) and n_eff < len(w)
    assert se > 0


#: A disc-stage parameter vector in DISC_FITTED order; the last three are reading thresholds
#: (not in the ODE parameters).
DISC_VALUES = [4e-4, 12000.0, 1.0, 0.4, 1.1e-5, 1.4, 8e-5, 3.0, 2e-3, 3.0, 0.6, 0.3, 0.5]
DISC_VALUES += [1.5, 0.7, 0.7, 0.86, 0.16]


def test_reparametrised_cohort_equals_a_freshly_sampled_population():
    ps = load_parameter_set("uncalibrated")
    values = DISC_VALUES
    assert len(values) == len(DISC_FITTED)
    cohort = _VirtualCohort(ps, DISC_FITTED, 17, np.arange(30))
    new = apply_fitted(ps, posterior_columns(DISC_FITTED, values, ps))
    fresh = sample_population(seed=17, parameter_set=new, patient_index=np.arange(30))
    assert np.allclose(cohort.parameters(values), fresh.parameters, rtol=1e-12, atol=0)


def test_a_fitted_reading_reaches_the_reader():
    """Fitted quantities outside the rate laws are the MRI reader's, found, not listed."""
    ps = load_parameter_set("uncalibrated")
    values = DISC_VALUES
    assert set(_VirtualCohort(ps, DISC_FITTED, 17, np.arange(5)).readings) == set(
        OBSERVATION_FITTED
    )
    # a reading that is not in OBSERVATION_FITTED still reaches measure()
    fitted = (*DISC_FITTED, FittedParameter("pfirrmann_misclassification"))
    settings = CalibrationSettings(seed=17, n_disc_patients=60)
    stage = _DiscStage(ps, settings, calibration_targets(), fitted)
    exact, misread = stage.predict([[*values, 0.0], [*values, 0.4]])
    degeneration = np.array([t.quantity == "disc_degeneration" for t in stage.targets])
    assert np.all(misread[degeneration] != exact[degeneration])
    assert np.array_equal(misread[~degeneration], exact[~degeneration])
    # a spread factor on a reading would scale nothing: refused
    with pytest.raises(ValueError, match="bulge_threshold_heterogeneity"):
        _VirtualCohort(
            ps,
            (*DISC_FITTED, FittedParameter("bulge_threshold", "heterogeneity", 0.5, 2.0)),
            17,
            np.arange(5),
        )


def test_overlay_set_and_posterior_draws(tmp_path):
    (tmp_path / "post.csv").write_text(
        "# test\ndraw,fissure_rate,fissure_rate.between_patient_cv\n0,1e-5,1.5\n1,2e-5,2.0\n"
    )
    (tmp_path / "set.toml").write_text(
        '[set]\nname = "t"\nbase = "uncalibrated"\nposterior = "post.csv"\n'
        '[[override]]\nname = "fissure_rate"\nvalue = 1.5e-5\nposterior_90_value = [1, 2]\n'
    )
    base = load_parameter_set("uncalibrated")
    ps = load_parameter_set(tmp_path / "set.toml")
    assert ps["fissure_rate"].value == 1.5e-5 and "calibrated in t" in ps["fissure_rate"].source
    assert ps.names == base.names  # everything else flows through from the base
    assert ps["herniation_rate"] == base["herniation_rate"]
    assert len(load_posterior(tmp_path / "set.toml")) == 2
    draw = posterior_draw(1, tmp_path / "set.toml")
    assert draw["fissure_rate"].value == 2e-5 and draw["fissure_rate"].between_patient_cv == 2.0
    with pytest.raises(ConfigError):
        posterior_draw(5, tmp_path / "set.toml")
    (tmp_path / "bad.toml").write_text(
        '[set]\nname = "b"\nbase = "uncalibrated"\n'
        '[[override]]\nname = "fisure_rate"\nvalue = 1.0\n'
    )
    with pytest.raises(ConfigError, match="fissure_rate"):
        load_parameter_set(tmp_path / "bad.toml")


def test_multi_start_finds_the_global_optimum_that_the_default_start_misses():
    # two basins in the unit square: a shallow one at the default start (0.2, 0.2) and the
    # global one at (0.8, 0.7); Nelder-Mead from the default stays in the shallow basin
    centres, depths = np.array([[0.2, 0.2], [0.8, 0.7]]), np.array([1.0, 2.0])

    def neg_log_prob(u):
        return -float(np.log(np.sum(depths * np.exp(-np.sum((u - centres) ** 2, 1) / 0.01))))

    x0 = np.array([0.2, 0.2])
    single = _optimise(neg_log_prob, x0, 200)
    assert np.allclose(single[0], centres[0], atol=0.02)
    starts = _starts(x0, 8, seed=3, stream_index=1)
    assert starts.shape == (8, 2) and np.array_equal(starts[0], x0)
    assert np.all((starts >= 0) & (starts <= 1))
    assert np.array_equal(starts, _starts(x0, 8, seed=3, stream_index=1))  # seeded
    assert not np.array_equal(starts, _starts(x0, 8, seed=4, stream_index=1))
    best = min((_optimise(neg_log_prob, s, 200) for s in starts), key=lambda o: o[1])
    assert np.allclose(best[0], centres[1], atol=0.02)
    assert best[1] < single[1] - 0.5
    assert best[2] <= 200


TINY = dict(
    n_disc_patients=40,
    n_pain_patients=40,
    optimiser_evaluations=3,
    disc_walkers=36,
    disc_steps=2,
    pain_walkers=12,
    pain_steps=2,
    n_posterior=4,
    n_predictive=2,
)


def test_quick_cli_run_writes_a_loadable_set_and_is_reproducible(tmp_path, monkeypatch):
    import disctwin.inference.calibration as calibration

    monkeypatch.setattr(
        calibration.CalibrationSettings,
        "quick",
        classmethod(lambda cls, seed: cls(seed=seed, **TINY)),
    )
    out = tmp_path / "cal"
    result = CliRunner().invoke(
        app, ["calibrate", "natural-history", "--seed", "5", "--quick", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    for name in ("report.md", "fit.csv", "posterior.parquet", "fit_brinjikji.png", "fit_costa.png"):
        assert (out / name).is_file(), name
    report = (out / "report.md").read_text()
    assert "| Brinjikji 2015 | disc_degeneration | 50 y | 80 |" in report
    ps = load_parameter_set(out / "calibrated-2026.11.toml")
    assert ps.name == "disctwin-calibrated-2026.11"
    with (out / "posterior.csv").open() as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    again = calibrate_natural_history(CalibrationSettings(seed=5, **TINY))
    cli_values = np.array([[float(r[k]) for k in again.median_columns] for r in rows])
    mine = np.array([[c[k] for k in again.median_columns] for c in again.columns])
    assert np.array_equal(cli_values, mine)  # same seed, same posterior
    other = calibrate_natural_history(CalibrationSettings(seed=6, **TINY))
    assert not np.array_equal(other.posterior, again.posterior)


def test_bad_cli_input_is_one_message():
    result = CliRunner().invoke(
        app, ["calibrate", "natural-history", "--seed", "-1", "--quick", "--out", "x"]
    )
    assert result.exit_code == 2 and "--seed" in result.output


@pytest.fixture(scope="module")
def fresh_predictions():
    """Both packaged sets on fresh virtual cohorts (not the calibration's own patients).

    4,000 patients followed weekly, so that the Costa 2009 cohort (people still in pain
    after 3 months) is a few hundred, not a few dozen, and its simulation error (about 2
    percentage points) is small beside the 5-point bar."""
    sizes = dict(seed=90210, n_disc_patients=2000, n_pain_patients=4000)
    out = {}
    for name in ("calibrated", "uncalibrated"):
        targets, values = predict_targets(load_parameter_set(name), **sizes)
        out[name] = (targets, np.asarray(values))
    return out


def test_calibrated_default_is_much_closer_to_the_data_than_the_priors(fresh_predictions):
    assert load_parameter_set().name == "disctwin-calibrated-2026.11"
    targets, cal = fresh_predictions["calibrated"]
    _, prior = fresh_predictions["uncalibrated"]
    observed = np.array([t.observed for t in targets])
    rmse = {k: np.sqrt(np.mean((v - observed) ** 2)) for k, v in (("cal", cal), ("prior", prior))}
    assert rmse["cal"] < 0.6 * rmse["prior"], rmse
    assert np.mean(np.abs(cal - observed) <= 5) >= 0.4


def _misses(fresh_predictions, sources):
    targets, values = fresh_predictions["calibrated"]
    return [
        (t.label, t.observed, round(float(v), 1))
        for t, v in zip(targets, values, strict=True)
        if t.source.startswith(sources) and not abs(v - t.observed) <= 5.0
    ]


def test_calibrated_default_reproduces_every_brinjikji_point(fresh_predictions):
    """The issue's bar for the MRI findings, on fresh virtual cohorts: every Brinjikji point
    (six findings at 20, 30, 40 and 50 years) within 5 percentage points."""
    targets, _ = fresh_predictions["calibrated"]
    assert sum(t.source.startswith("Brinjikji") for t in targets) == 24
    assert not _misses(fresh_predictions, ("Brinjikji",))


@pytest.mark.xfail(
    strict=True,
    reason="Costa 2009 pain-free at 12 months: 47.1 vs 42 on these fresh cohorts at the "
    "posterior median (the fit report's posterior predictive median: 46.9, within 5; other "
    "fresh cohorts give 45.6-46.5); Costa 2012 within 5 at every time",
)
def test_calibrated_default_reproduces_every_costa_point(fresh_predictions):
    """The issue's bar for the pain course, on fresh virtual cohorts: Costa 2012 within 5
    points (0-100), Costa 2009 within 5 percentage points."""
    targets, _ = fresh_predictions["calibrated"]
    assert sum(t.source.startswith("Costa") for t in targets) == 4 + 2
    assert not _misses(fresh_predictions, ("Costa",))


@pytest.mark.xfail(
    strict=True,
    reason="VAST saline improvement at 12 months: 24.7 vs 30.5 on these fresh cohorts "
    "(fit report: 25.2; docs/calibration/report.md)",
)
def test_calibrated_default_reproduces_the_vast_saline_arm(fresh_predictions):
    """Beyond the issue's bar: the VAST saline arm (baseline and 12-month improvement)."""
    assert not _misses(fresh_predictions, ("VAST",))


def test_vast_cohort_enrols_after_six_months_of_pain_within_the_trial_thresholds():
    W = 120
    felt = np.zeros((4, W), bool)
    felt[:, 10:] = True  # in pain from week 10: 26 weeks of pain first at week 36
    vas = np.full((4, W), 50.0)
    odi = np.full((4, W), 40.0)
    vas[1] = 95.0  # above VAS 90: never eligible
    odi[2] = 20.0  # below ODI 30: never eligible
    vas[3, 60:] = 20.0  # eligible at 36..59 only, improved a year later
    v = vast_cohort(felt, vas, odi)
    weeks = np.arange(36, W - 52)  # patient 0: every week with 52 weeks of follow-up
    assert len(v) == len(weeks) + len(np.arange(36, 60))
    assert np.all(v[:, 0] == 50.0)
    assert np.all(v[len(weeks) :, 1] == 20.0)  # patient 3 followed to weeks 88..111


def test_vast_targets_are_the_saline_arm_with_its_stated_standard_errors():
    vast = [t for t in calibration_targets() if t.source.startswith("VAST")]
    assert [(t.kind, t.observed) for t in vast] == [
        ("vast_baseline", 55.25),
        ("vast_improvement", 30.5),
    ]
    assert all(t.se is not None and 1.0 < t.se < 5.0 for t in vast)


def test_settings_refuse_fewer_walkers_than_the_sampler_needs():
    from pydantic import ValidationError

    need = 2 * len(DISC_FITTED)
    assert CalibrationSettings(seed=1, disc_walkers=need).disc_walkers == need
    with pytest.raises(ValidationError, match=f"disc_walkers = {need - 2}.*at least {need}"):
        CalibrationSettings(seed=1, disc_walkers=need - 2)
