"""Trial analysis against statsmodels, SciPy, lifelines and published values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.duration.survfunc import SurvfuncRight, survdiff
from statsmodels.stats.proportion import confint_proportions_2indep

from disctwin.errors import ConfigError
from disctwin.stats.analysis import (
    adjust_p_values,
    ancova,
    hierarchical,
    kaplan_meier,
    mmrm,
    responder_logistic,
    risk_difference,
    time_to_event,
)


def _trial(rng, n=120):
    treated = rng.integers(0, 2, n)
    baseline = rng.normal(6.5, 1.2, n)
    age = rng.normal(45, 10, n)
    change = -1.0 - 1.2 * treated - 0.4 * (baseline - 6.5) + 0.02 * (age - 45)
    change = change + rng.normal(0, 1.5, n)
    return pd.DataFrame({"change": change, "baseline": baseline, "treated": treated, "age": age})


def test_ancova_matches_statsmodels_formula_with_covariates_and_missing_rows(rng):
    data = _trial(rng)
    data.loc[[3, 17], "change"] = np.nan
    data.loc[40, "age"] = np.nan
    est = ancova(data.change, data.baseline, data.treated, covariates=data[["age"]], alpha=0.1)
    ref = smf.ols("change ~ treated + baseline + age", data=data.dropna()).fit()
    assert est.n == len(data) - 3
    assert est.estimate == pytest.approx(ref.params["treated"], rel=1e-12)
    assert est.se == pytest.approx(ref.bse["treated"], rel=1e-12)
    assert est.p_value == pytest.approx(ref.pvalues["treated"], rel=1e-10)
    low, high = ref.conf_int(alpha=0.1).loc["treated"]
    assert (est.ci_low, est.ci_high) == pytest.approx((low, high), rel=1e-10)
    assert est.to_dict()["estimate"] == est.estimate


def test_responder_logistic_matches_glm_binomial(rng):
    data = _trial(rng, 200)
    responder = (data.change < -2.0).astype(int)
    est = responder_logistic(responder, data.treated, baseline=data.baseline)
    exog = sm.add_constant(data[["treated", "baseline"]])
    ref = sm.GLM(responder, exog, family=sm.families.Binomial()).fit()  # IRLS, not Newton
    assert est.estimate == pytest.approx(ref.params["treated"], rel=1e-6)
    assert est.se == pytest.approx(ref.bse["treated"], rel=1e-5)
    assert est.p_value == pytest.approx(ref.pvalues["treated"], rel=1e-4)


def test_responder_logistic_separation_uses_haldane_and_fisher():
    responder = [1] * 8 + [0] * 2 + [0] * 10  # treated 8/10, control 0/10
    treated = [1] * 10 + [0] * 10
    est = responder_logistic(responder, treated)
    assert est.estimate == pytest.approx(np.log(8.5 * 10.5 / (2.5 * 0.5)))
    assert est.p_value == pytest.approx(stats.fisher_exact([[8, 2], [0, 10]]).pvalue)
    assert "separation" in est.method


def test_risk_difference_newcombe_published_example_and_statsmodels():
    # Newcombe (1998) Stat Med 17:873, Table II example (a): 56/70 vs 48/80, method 10:
    # difference 0.2000, 95% CI 0.0524 to 0.3339.
    responder = [1] * 56 + [0] * 14 + [1] * 48 + [0] * 32
    treated = [1] * 70 + [0] * 80
    est = risk_difference(responder, treated)
    assert est.estimate == pytest.approx(0.2)
    assert (round(est.ci_low, 4), round(est.ci_high, 4)) == (0.0524, 0.3339)
    ref = confint_proportions_2indep(56, 70, 48, 80, method="newcomb", compare="diff")
    assert (est.ci_low, est.ci_high) == pytest.approx(ref, rel=1e-10)
    chi2 = stats.chi2_contingency([[56, 14], [48, 32]], correction=False)
    assert est.p_value == pytest.approx(chi2.pvalue, rel=1e-10)
    wald = risk_difference(responder, treated, method="wald", alpha=0.1)
    ref = confint_proportions_2indep(56, 70, 48, 80, method="wald", compare="diff", alpha=0.1)
    assert (wald.ci_low, wald.ci_high) == pytest.approx(ref, rel=1e-10)


def _survival(rng, n=150):
    treated = rng.integers(0, 2, n)
    time = rng.exponential(np.where(treated == 1, 30.0, 18.0))
    censor = rng.uniform(5, 60, n)
    event = (time <= censor).astype(int)
    # rounded times create ties: the Efron approximation then matters
    return np.round(np.minimum(time, censor)), event, treated


def test_time_to_event_matches_statsmodels_phreg_and_survdiff(rng):
    time, event, treated = _survival(rng)
    est = time_to_event(time, event, treated)
    cox = PHReg(time, treated[:, None].astype(float), status=event, ties="efron").fit()
    assert est.estimate == pytest.approx(cox.params[0], rel=1e-5)
    assert est.se == pytest.approx(cox.bse[0], rel=1e-4)
    _, p = survdiff(time, event, treated)
    assert est.p_value == pytest.approx(p, rel=1e-8)
    assert est.details["hazard_ratio"] == pytest.approx(np.exp(cox.params[0]), rel=1e-5)


def test_time_to_event_without_events_in_one_arm_reports_log_rank_only(rng):
    time, event, treated = _survival(rng)
    event = np.where(treated == 1, 0, event)  # no events on treatment: monotone likelihood
    est = time_to_event(time, event, treated)
    _, p = survdiff(time, event, treated)
    assert np.isnan(est.estimate) and np.isnan(est.ci_low) and "not estimable" in est.method
    assert est.p_value == pytest.approx(p, rel=1e-8) and est.details["events_treated"] == 0


def test_kaplan_meier_matches_statsmodels(rng):
    time, event, _ = _survival(rng, 60)
    km = kaplan_meier(time, event)
    ref = SurvfuncRight(time, event)
    at_event_times = km.set_index("time").loc[ref.surv_times, "survival"].to_numpy()
    np.testing.assert_allclose(at_event_times, ref.surv_prob, rtol=1e-12)
    assert km.at_risk.iloc[0] == 60 and km.events.sum() == event.sum()


def test_multiplicity_against_definitions():
    p = np.array([0.012, 0.04, 0.03, 0.2, 0.001])
    m = len(p)
    order = np.argsort(p)
    holm = np.empty(m)
    holm[order] = np.minimum(1, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    np.testing.assert_allclose(adjust_p_values(p, "holm").adjusted, holm)
    rev = order[::-1]
    hoch = np.empty(m)
    hoch[rev] = np.minimum.accumulate((np.arange(m) + 1) * p[rev])
    np.testing.assert_allclose(adjust_p_values(p, "hochberg").adjusted, hoch)
    bh = np.empty(m)
    bh[rev] = np.minimum.accumulate(m / (m - np.arange(m)) * p[rev])
    np.testing.assert_allclose(adjust_p_values(p, "fdr_bh").adjusted, bh)
    assert adjust_p_values(p, "bonferroni").rejected.tolist() == [False] * 4 + [True]
    # fixed sequence: the third hypothesis is not tested once the second fails
    gate = hierarchical([0.01, 0.2, 0.001], 0.05)
    assert gate.rejected.tolist() == [True, False, False]
    assert hierarchical([0.01, 0.02, 0.049], 0.05).rejected.all()


def _long(rng, n=160, visits=(4, 12, 26, 52)):
    v = len(visits)
    treated = rng.integers(0, 2, n)
    baseline = rng.normal(6.5, 1.0, n)
    corr = 0.6 ** np.abs(np.subtract.outer(np.arange(v), np.arange(v)))
    sd = np.linspace(1.0, 1.8, v)
    noise = rng.multivariate_normal(np.zeros(v), corr * np.outer(sd, sd), n)
    effect = -1.5 * treated[:, None] * np.linspace(0.3, 1.0, v)
    y = -1.0 - 0.5 * (baseline[:, None] - 6.5) + effect + noise
    rows = [(i, visits[j], treated[i], baseline[i], y[i, j]) for i in range(n) for j in range(v)]
    return pd.DataFrame(rows, columns=["subject", "visit", "treated", "baseline", "change"])


def test_mmrm_unstructured_without_missing_data_equals_ancova_at_each_visit(rng):
    data = _long(rng)
    for at in (12, 52):
        est = mmrm(data, at_visit=at)
        visit = data[data.visit == at]
        ref = ancova(visit.change, visit.baseline, visit.treated)
        # identical regressors at every visit: GLS = OLS; REML variance = OLS residual variance
        assert est.estimate == pytest.approx(ref.estimate, rel=1e-8)
        assert est.se == pytest.approx(ref.se, rel=1e-4)
        assert "Satterthwaite df=157.0" in est.method  # n - 3, as for the ANCOVA
        assert est.p_value == pytest.approx(ref.p_value, rel=1e-3)
        assert est.details["converged"] == 1.0


def test_mmrm_compound_symmetry_with_missing_data_matches_statsmodels_mixedlm(rng):
    data = _long(rng, n=120)
    dropped = (rng.random(len(data)) < 0.25) & (data.visit > 4)
    data = data[~dropped].reset_index(drop=True)
    est = mmrm(data, covariance="compound_symmetry", df="residual")
    formula = "change ~ 0 + C(visit) + C(visit):treated + C(visit):baseline"
    ref = smf.mixedlm(formula, data, groups=data["subject"]).fit(reml=True)
    name = "C(visit)[52]:treated"
    assert est.estimate == pytest.approx(ref.fe_params[name], rel=1e-4)
    assert est.se == pytest.approx(ref.bse_fe[name], rel=1e-3)
    # visit labels as an ordered categorical: same fit
    labelled = data.assign(
        visit=pd.Categorical(
            "week " + data.visit.astype(str),
            categories=[f"week {w}" for w in (4, 12, 26, 52)],
            ordered=True,
        )
    )
    same = mmrm(labelled, covariance="compound_symmetry", df="residual")
    assert same.estimate == pytest.approx(est.estimate, rel=1e-6)
    assert "week 52" in same.name
    # the unstructured fit nests compound symmetry: its REML likelihood cannot be lower
    un = mmrm(data)
    assert un.details["minus2_reml_loglik"] <= est.details["minus2_reml_loglik"] + 1e-6
    assert un.n == data.subject.nunique()


def test_bad_arguments_name_field_and_allowed_values(rng):
    with pytest.raises(ConfigError) as err:
        ancova([1.0, 2.0, 3.0], [1.0, 2.0], [0, 1, 2])
    fields = {p.field for p in err.value.problems}
    assert {"treated", "baseline"} <= fields
    with pytest.raises(ConfigError, match="at least 1 patient"):
        ancova([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0], [1, 1, 1, 1])
    with pytest.raises(ConfigError) as err:
        adjust_p_values([0.1, 0.2], "holmes")
    assert err.value.problems[0].suggestion == "holm"
    with pytest.raises(ConfigError, match="newcombe or wald"):
        risk_difference([1, 0], [1, 0], method="score")
    data = _long(rng, n=20)
    with pytest.raises(ConfigError) as err:
        mmrm(data, at_visit=99, covariance="unstructered")
    assert {p.field for p in err.value.problems} == {"covariance"}
    with pytest.raises(ConfigError, match="at_visit"):
        mmrm(data, at_visit=99)
    with pytest.raises(ConfigError, match="a column of frame"):
        mmrm(data, response="pain")
