"""Simulated trials: screening counts, consistency with the data written, reproducibility,
no-effect truth, CDISC tables and DuckDB, group-sequential and single-arm designs, the CLI."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest
from scipy.stats import binomtest
from typer.testing import CliRunner

from disctwin.cli import app
from disctwin.errors import ConfigError
from disctwin.io.cdisc import (
    adam_datasets,
    covariate_variables,
    parameters,
    sdtm_domains,
    write_run,
)
from disctwin.testing import canonical_protocol_dict
from disctwin.trial import dump_protocol, protocol_from_dict, screen, simulate_trial

# two arms with the same control regimen: no effect by construction
null_protocol = canonical_protocol_dict


@pytest.fixture(scope="module")
def protocol():
    return protocol_from_dict(null_protocol())


@pytest.fixture(scope="module")
def trial(protocol):
    return simulate_trial(protocol, 11, replicate=3)


def test_screen_failure_counts_add_up(trial, protocol):
    s = trial.screening
    assert s.n_enrolled == protocol.study.n_patients
    assert s.n_screened == s.n_enrolled + s.n_failed
    counts = list(s.failures.values())
    assert max(counts) <= s.n_failed <= sum(counts)  # several failures per candidate possible
    # recount from the enrolled patients' values: every one meets every criterion
    assert np.all(s.variables["vas"] >= 40) and np.all(s.variables["age_years"] <= 60)
    assert np.all(s.variables["clbp_duration_months"] >= 3)
    assert not np.any(s.disc["disc_extrusion"])


def test_screening_does_not_depend_on_batching(protocol, trial):
    small = screen(protocol, 11, n_target=7)
    big = trial.screening
    assert np.array_equal(small.population.patient_index, big.population.patient_index[:7])
    assert small.n_screened == big.population.patient_index[6] + 1


def test_screening_values_are_the_trial_data(trial):
    """The QS screening VAS of each subject is the value eligibility was decided on."""
    qs = sdtm_domains(trial)["qs"]
    vas = qs[(qs["QSTESTCD"] == "VAS") & (qs["VISIT"] == "SCREENING")]
    np.testing.assert_allclose(vas["QSSTRESN"].to_numpy(), trial.screening.variables["vas"])


@pytest.mark.slow
def test_baseline_is_the_report_screening_foresaw_and_can_confirm_eligibility(trial):
    """The baseline visit precedes randomisation: its reports are screening variables and
    become the trial's baseline. Enrolled at a noisy peak, patients report less a day later
    (regression to the mean before dosing); a criterion on ``baseline_vas`` confirms the
    pain at baseline, as most pain trials do."""
    s = trial.screening
    for world in trial.worlds.values():
        np.testing.assert_array_equal(world.follow_up.vas[:, 1], s.variables["baseline_vas"])
        np.testing.assert_array_equal(world.follow_up.odi[:, 1], s.variables["baseline_odi"])
    assert s.variables["baseline_vas"].mean() < s.variables["vas"].mean()
    spec = null_protocol(n_patients=12)
    spec["eligibility"].append({"name": "pain at baseline", "variable": "baseline_vas", "min": 40})
    confirmed = simulate_trial(protocol_from_dict(spec), 11)
    base = confirmed.observed.vas[:, 1]
    assert np.all(base[np.isfinite(base)] >= 40)
    assert confirmed.screening.failures["pain at baseline"] > 0


@pytest.mark.slow
def test_reproducible(protocol, trial):
    again = simulate_trial(protocol, 11, replicate=3)
    assert again.results.equals(trial.results)
    np.testing.assert_array_equal(again.observed.vas, trial.observed.vas)
    assert np.array_equal(again.arm, trial.arm)


def test_no_effect_truth_is_zero_and_arms_balanced(trial):
    # every endpoint, the time to surgery (log hazard ratio of the twins) included
    assert trial.results["truth"].notna().all() and np.all(trial.results["truth"] == 0.0)
    # permuted blocks of 2 or 4 within 2 strata: overall imbalance at most 2 per stratum
    counts = np.bincount(trial.arm, minlength=2)
    assert abs(counts[0] - counts[1]) <= 4


def test_cdisc_columns_and_subject_counts(trial):
    sdtm = sdtm_domains(trial)
    adam = adam_datasets(trial, sdtm)
    required = {
        "dm": {"STUDYID", "DOMAIN", "USUBJID", "ARMCD", "ARM", "AGE", "SEX"},
        "ex": {"USUBJID", "EXTRT", "EXSTDY"},
        "ae": {"USUBJID", "AETERM", "AESEV", "AESER", "AESTDY"},
        "qs": {"USUBJID", "QSTESTCD", "QSORRES", "QSSTRESN", "VISITNUM", "VISIT", "QSDY"},
        "mo": {"USUBJID", "MOTESTCD", "MOLOC", "MOSTRESN", "VISITNUM"},
        "cm": {"USUBJID", "CMTRT", "CMOCCUR", "CMDOSE", "CMDOSU", "VISITNUM", "CMDY"},
        "ds": {"USUBJID", "DSDECOD", "DSSTDY"},
        "adsl": {"USUBJID", "TRT01P", "ITTFL", "COMPLFL", "BASEVAS"},
        "adqs": {"USUBJID", "PARAMCD", "AVISITN", "AVAL", "BASE", "CHG", "ABLFL"},
        "adae": {"USUBJID", "TRTEMFL", "ASTDY"},
        "adtte": {"USUBJID", "PARAMCD", "AVAL", "CNSR"},
    }
    tables = {**sdtm, **adam}
    for name, cols in required.items():
        assert cols <= set(tables[name].columns), name
        assert (tables[name]["REPL"] == 3).all()
    n = trial.n_enrolled
    assert sdtm["dm"]["USUBJID"].is_unique and len(sdtm["dm"]) == n == len(adam["adsl"])
    for name in ("ex", "qs", "ds", "adqs"):
        assert set(tables[name]["USUBJID"]) == set(sdtm["dm"]["USUBJID"])
    assert len(sdtm["ds"]) == 2 * n  # randomised + end of study
    lost = (sdtm["ds"]["DSDECOD"] == "LOST TO FOLLOW-UP").sum()
    assert lost == np.isfinite(trial.observed.dropout_day).sum()
    # every QS record is an attended visit; MRI at screening and the MRI visit only
    assert len(sdtm["qs"]) == 3 * trial.observed.attended.sum()
    # opioid use is recorded at every attended visit (CM), and analysed in ADQS
    assert len(sdtm["cm"]) == trial.observed.attended.sum()
    assert (adam["adqs"]["PARAMCD"] == "OPIOMME").sum() == trial.observed.attended[:, 1:].sum()
    assert set(sdtm["mo"]["VISIT"]) <= {"SCREENING", "M3"}


@pytest.mark.slow
def test_ancova_and_logistic_estimates_equal_statsmodels_on_the_exported_adam(tmp_path):
    """A statistician refitting the protocol's analyses on the exported ADaM (records with
    ANL01FL = "Y") gets the trial's estimates: ANCOVA of CHG on arm + BASE (+ the protocol's
    covariates from ADSL), logistic regression of the responder AVAL on arm + BASE."""
    import statsmodels.formula.api as smf

    d = null_protocol(n_patients=60)
    d["endpoint"].append(
        {
            "name": "vas_lt50",
            "kind": "responder",
            "visit": "m6",
            "threshold": 50,
            "threshold_type": "below",
            "analysis": "logistic",
        }
    )
    d["analysis"] = {"covariates": ["age_years"]}
    # frequent further interventions, so that the refit meets intercurrent events
    d["further_intervention"] = {"vas_threshold": 30, "probability_per_visit": 0.5}
    p = protocol_from_dict(d)
    write_run(p, 1, 21, tmp_path)
    adam = tmp_path / "replicates" / "r00000" / "adam"
    adsl = pq.read_table(adam / "adsl.parquet").to_pandas()
    adqs = pq.read_table(adam / "adqs.parquet").to_pandas()
    results = pq.read_table(tmp_path / "replicates.parquet").to_pandas()
    age = covariate_variables(p)["age_years"]
    assert age == "AGEYEARS"  # a SAS name of at most 8 characters
    adqs = adqs[adqs.ANL01FL == "Y"].merge(adsl[["USUBJID", "ARMCD", age]], on="USUBJID")
    adqs["TRT"] = (adqs.ARMCD == "SHAM_B").astype(float)

    def reported(endpoint):
        return results[results.endpoint == endpoint].iloc[0]

    vas = adqs[(adqs.PARAMCD == "VAS") & (adqs.AVISIT == "M6")]
    assert (vas.RESCFL == "Y").any() or (vas.FINTFL == "Y").any()  # intercurrent events kept
    fit = smf.ols(f"CHG ~ TRT + BASE + {age}", vas).fit()
    row = reported("vas_chg")
    assert row.n == len(vas)
    assert np.isclose(row.estimate, fit.params["TRT"], rtol=1e-9, atol=1e-9)
    assert np.isclose(row.se, fit.bse["TRT"], rtol=1e-9)
    assert np.isclose(row.p_value, fit.pvalues["TRT"], rtol=1e-6)

    code = parameters(p)["vas_lt50"]
    resp = adqs[adqs.PARAMCD.eq(code)]
    assert 0.1 < resp.AVAL.mean() < 0.9
    fit = smf.logit("AVAL ~ TRT + BASE", resp).fit(disp=0)
    row = reported("vas_lt50")
    assert np.isclose(row.estimate, fit.params["TRT"], rtol=1e-6, atol=1e-8)
    assert np.isclose(row.se, fit.bse["TRT"], rtol=1e-5)


@pytest.mark.slow
def test_run_directory_duckdb_and_resume(tmp_path, protocol):
    out = tmp_path / "run"
    first = write_run(protocol, 2, 5, out)
    assert first["replicates_written"] == 2
    con = duckdb.connect(str(out / "trial.duckdb"), read_only=True)
    for name in ("dm", "qs", "mo", "ds", "adsl", "adqs", "adtte"):
        files = sorted(out.glob(f"replicates/r*/*/{name}.parquet"))
        assert len(files) == 2
        n_parquet = sum(pq.read_metadata(f).num_rows for f in files)
        assert con.execute(f"select count(*) from {name}").fetchone()[0] == n_parquet
    per_rep = con.execute("select REPL, count(*) from dm group by 1 order by 1").fetchall()
    assert per_rep == [(0, 24), (1, 24)]
    con.close()
    before = pq.read_table(out / "replicates.parquet")
    again = write_run(protocol, 2, 5, out)  # resumed: nothing rewritten, same summary
    assert again["replicates_written"] == 0 and again["replicates_skipped"] == 2
    assert pq.read_table(out / "replicates.parquet").equals(before)
    assert len(before) == 2 * len(protocol.endpoint)
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["complete"] and manifest["provenance"]["config"]["seed"] == 5


@pytest.mark.slow
def test_group_sequential_looks():
    d = null_protocol(design="group_sequential", n_patients=30)
    d["endpoint"] = d["endpoint"][:2]  # primary change + a secondary responder endpoint
    d["sequential"] = {"information_fractions": [0.5, 1.0], "futility": "obrien_fleming"}
    d["enrolment"] = {"rate_per_month": 1.0}  # slow accrual: the interim comes before the end
    result = simulate_trial(protocol_from_dict(d), 21)
    looks = result.sequential.looks
    assert looks["look"].tolist()[0] == 1 and len(looks) == result.sequential.stopped_at
    np.testing.assert_allclose(looks["efficacy_bound"].iloc[0], 2.963, atol=2e-3)  # OBF, 2 looks
    first = looks.iloc[0]
    assert first["with_primary_visit"] <= 15 <= first["enrolled"] < 30
    if result.sequential.decision != "final":  # stopped: later patients never enrolled
        assert result.n_enrolled == first["enrolled"]
        assert len(sdtm_domains(result)["dm"]) == first["enrolled"]
    else:
        assert result.n_enrolled == 30
    # the secondary endpoint is analysed once, at the analysis that ended the trial
    res = result.results.set_index("endpoint")
    assert list(res.index) == ["vas_chg", "vas30"]
    assert (res["look"] == result.sequential.stopped_at).all()
    assert res.loc["vas30", "n"] <= int(looks["enrolled"].iloc[-1])
    assert res.loc["vas30", "truth"] == 0.0  # identical arms


def test_single_arm_exact_interval():
    d = null_protocol(design="single_arm", blinded=False, n_patients=15)
    d["arm"] = [{"name": "open", "regimen": "saline_intradiscal"}]
    d["randomisation"] = {}
    d["endpoint"] = [
        {"name": "vas30", "kind": "responder", "visit": "m6", "threshold": 30, "primary": True}
    ]
    result = simulate_trial(protocol_from_dict(d), 8)
    row = result.results.iloc[0]
    k = round(row["estimate"] * row["n"])
    ci = binomtest(k, int(row["n"]), 0.2).proportion_ci(method="exact")
    assert row["ci_low"] == pytest.approx(ci.low) and row["ci_high"] == pytest.approx(ci.high)
    assert 0 <= row["truth_untreated"] <= 1


@pytest.mark.slow
def test_cli_runs_a_protocol_end_to_end(tmp_path, protocol):
    path = tmp_path / "p.toml"
    path.write_text(dump_protocol(protocol))
    out = tmp_path / "cli"
    args = ["trial", str(path), "--replicates", "1", "--seed", "3", "--out", str(out), "--quiet"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "24 enrolled" in result.output and "resumed 0" in result.output
    assert (out / "trial.duckdb").is_file()
    oc = (out / "operating_characteristics.csv").read_text()
    assert oc.startswith("endpoint,comparison") and "vas_chg,sham_b vs sham_a" in oc
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0 and "resumed 1" in again.output
    other_seed = ["trial", str(path), "--replicates", "1", "--seed", "4", "--out", str(out)]
    other = CliRunner().invoke(app, other_seed)
    assert other.exit_code == 2 and "different run" in other.output
    # --n-patients: another size is another run (refused here), a bad size one clear error
    resized = CliRunner().invoke(app, [*args, "--n-patients", "12"])
    assert resized.exit_code == 2 and "different run" in resized.output
    bad = CliRunner().invoke(app, [*args, "--n-patients", "0"])
    assert bad.exit_code == 2 and "--n-patients: got 0" in bad.output
    assert "Traceback" not in bad.output


@pytest.mark.slow
@pytest.mark.slow
def test_results_do_not_depend_on_the_number_of_workers(tmp_path):
    small = protocol_from_dict(null_protocol(n_patients=12))
    one = write_run(small, 2, 11, tmp_path / "one")
    two = write_run(small, 2, 11, tmp_path / "two", workers=2)
    assert one["replicates_written"] == two["replicates_written"] == 2
    assert pq.read_table(tmp_path / "one" / "replicates.parquet").equals(
        pq.read_table(tmp_path / "two" / "replicates.parquet")
    )
    for name in ("sdtm/qs", "adam/adqs", "adam/adsl"):
        a = pq.read_table(tmp_path / "one" / "replicates" / "r00001" / f"{name}.parquet")
        b = pq.read_table(tmp_path / "two" / "replicates" / "r00001" / f"{name}.parquet")
        assert a.equals(b), name


def test_bad_workers_are_refused_before_anything_is_written(tmp_path):
    small = protocol_from_dict(null_protocol(n_patients=12))
    with pytest.raises(ConfigError, match="--workers"):
        write_run(small, 2, 11, tmp_path / "run", workers=0)
    assert not (tmp_path / "run").exists()
