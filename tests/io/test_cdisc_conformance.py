"""DiscTwin's own CDISC conformance suite: each rule with its implementation-guide reference.

The open CDISC rules engine cannot run offline here, so the rules DiscTwin's datasets are
meant to keep are written out (:data:`RULES`, one test each, ids ``R01``...) and checked on
a trial built to exercise them: three arms (sham, a regimen file of three intradiscal siRNA
doses, an intrathecal AAV9 vector with late harms), heavy dropout (patients lost before the
first visit), a time-to-event endpoint, responders imputed as non-responders, an analysis
covariate whose name is longer than 8 characters and two endpoints whose names abbreviate
alike. References: SDTMIG v3.4, ADaMIG v1.3, ADaM Structure for Occurrence Data (OCCDS)
v1.1, ADaM Basic Data Structure for Time-to-Event Analyses v1.0, FDA Study Data Technical
Conformance Guide (TCG, 2023) section 3.3.1 on SAS XPORT v5, and issue 27.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from disctwin.io.cdisc import (
    ADAM_DATASETS,
    SDTM_DOMAINS,
    adam_datasets,
    dataset_labels,
    parameters,
    sdtm_domains,
)
from disctwin.io.cdisc_metadata import AE_TERMS, label, transport_problems
from disctwin.io.xpt import read_xpt, transport_frame, write_xpt
from disctwin.testing import canonical_protocol_dict
from disctwin.trial import protocol_from_dict, simulate_trial
from disctwin.trial.endpoints import parameter_codes, short_code

ROOT = Path(__file__).resolve().parents[2]
REGIMENS = ROOT / "examples" / "regimens"
SAS_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
#: CDISC CT ROUTE (C66729) submission values DiscTwin writes.
ROUTE_CT = {"INTRADISCAL", "INTRATHECAL", "INTRADERMAL", "EPIDURAL", "ORAL", ""}


def conformance_protocol():
    d = canonical_protocol_dict(n_patients=30)
    d["study"]["id"] = "CONFORM"
    d["arm"] = [
        {"name": "sham", "regimen": "sham_intradiscal", "role": "control"},
        {"name": "sirna", "regimen": str(REGIMENS / "intradiscal_sirna_mmp3.toml")},
        {"name": "aav9", "regimen": str(REGIMENS / "intrathecal_aav9_scn9a_repressor.toml")},
    ]
    d["randomisation"]["block_sizes"] = [3, 6]
    d["dropout"] = {"annual_rate": 0.9, "pain_log_hazard_per_10_vas": 0.5}
    d["analysis"] = {"covariates": ["age_years"]}
    d["endpoint"] += [  # abbreviate alike: VASRSPM6
        {"name": "vas_resp_m6", "kind": "responder", "visit": "m6", "threshold": 30},
        {"name": "vas_rsp_m6", "kind": "responder", "visit": "m6", "threshold": 30},
    ]
    return protocol_from_dict(d)


@pytest.fixture(scope="module")
def trial():
    return simulate_trial(conformance_protocol(), 5, replicate=2)


@pytest.fixture(scope="module")
def tables(trial):
    sdtm = sdtm_domains(trial)
    return {**sdtm, **adam_datasets(trial, sdtm)}


@pytest.fixture(scope="module")
def labels(trial):
    return dataset_labels(trial.protocol)


def _names_and_labels(tables, labels):
    for name, frame in tables.items():
        assert len(name) <= 8 and SAS_NAME.match(name.upper()), name
        for var in frame.columns:
            assert len(var) <= 8 and SAS_NAME.match(var), f"{name}.{var}"
            text = label(name, var, labels.get(name))
            assert text and len(text) <= 40, f"{name}.{var}: {text!r}"
        assert transport_problems(name, frame, labels.get(name)) == []


def _identifiers(tables, labels):
    for name in SDTM_DOMAINS:
        frame = tables[name]
        assert {"STUDYID", "USUBJID"} <= set(frame.columns), name
        if name.startswith("supp"):
            assert (frame["RDOMAIN"] == name.removeprefix("supp").upper()).all()
        else:
            assert (frame["DOMAIN"] == name.upper()).all(), name
    for name in ADAM_DATASETS:
        assert {"STUDYID", "USUBJID"} <= set(tables[name].columns), name


def _sequence_numbers(tables, labels):
    for name in SDTM_DOMAINS:
        seq = f"{name.upper()}SEQ"
        if seq in tables[name].columns:
            assert not tables[name].duplicated(["USUBJID", seq]).any(), name


def _demographics(tables, labels):
    dm = tables["dm"]
    required = {"STUDYID", "DOMAIN", "USUBJID", "SUBJID", "SITEID", "SEX", "ARMCD", "ARM"}
    expected = {"RFSTDTC", "AGE", "AGEU", "ACTARMCD", "ACTARM", "COUNTRY"}
    assert required | expected <= set(dm.columns)
    assert dm["USUBJID"].is_unique
    assert set(dm["SEX"]) <= {"M", "F", "U"} and set(dm["AGEU"]) == {"YEARS"}
    assert dm["SITEID"].ne("").all() and set(dm["COUNTRY"]) == {"USA"}
    assert (dm["ARMCD"].str.len() <= 20).all()


def _treatment_names(tables, labels):
    """Issue 27: ARM, TRT01P and EXTRT were regimen file paths."""
    for frame, column in (
        (tables["dm"], "ARM"),
        (tables["adsl"], "TRT01P"),
        (tables["ex"], "EXTRT"),
        (tables["adqs"], "TRTP"),
    ):
        values = set(frame[column])
        assert not any(".toml" in v or "/" in v for v in values), (column, values)
    assert "Intrathecal AAV9 SCN9A (Nav1.7) repressor" in set(tables["adsl"]["TRT01P"])
    # each arm's description is unique, so ARMCD and ARM are one-to-one
    pairs = tables["dm"][["ARMCD", "ARM"]].drop_duplicates()
    assert pairs["ARMCD"].is_unique and pairs["ARM"].is_unique
    # the source is kept as a supplemental qualifier of each exposure record
    supp = tables["suppex"]
    assert set(supp["QNAM"]) == {"EXREGSRC"} and len(supp) == len(tables["ex"])
    assert any(v.endswith("intradiscal_sirna_mmp3.toml") for v in supp["QVAL"])


def _exposure(tables, labels):
    ex = tables["ex"]
    assert {"EXTRT", "EXDOSE", "EXDOSU", "EXROUTE", "EXLOC", "EXSTDTC", "EXSTDY"} <= set(ex.columns)
    assert set(ex["EXROUTE"]) <= ROUTE_CT
    sirna = ex[ex["EXTRT"].str.contains("siRNA", case=False)]
    assert set(sirna["EXSTDY"]) <= {1, 29, 57} and 1 in set(sirna["EXSTDY"])
    assert (sirna["EXDOSE"] == 50).all() and set(sirna["EXDOSU"]) == {"ug"}
    assert set(sirna["EXLOC"]) == {"L4/5 INTERVERTEBRAL DISC"}
    aav = ex[ex["EXROUTE"] == "INTRATHECAL"]
    assert len(aav) and (aav["EXDOSE"] == 1e14).all() and set(aav["EXDOSU"]) == {"vg"}
    # a dose after the patient left the study is not recorded
    ds = tables["ds"]
    end = ds[ds["DSCAT"] == "DISPOSITION EVENT"].set_index("USUBJID")["DSSTDY"]
    assert (sirna["EXSTDY"] <= sirna["USUBJID"].map(end)).all()
    doses = sirna.groupby("USUBJID").size()
    assert doses.max() == 3 and doses.min() < 3  # some left before their third dose


def _adverse_events(tables, labels):
    ae = tables["ae"]
    assert len(ae) > 0
    assert ae["AEBODSYS"].ne("").all() and ae["AEDECOD"].ne("").all()
    assert set(ae["AESEV"]) <= {"MILD", "MODERATE", "SEVERE", "LIFE THREATENING", "FATAL"}
    assert set(ae["AESER"]) <= {"Y", "N"}
    adae = tables["adae"]
    assert {"TRTA", "ASTDT", "ASTDY", "TRTEMFL"} <= set(adae.columns)
    assert set(adae["TRTEMFL"]) <= {"Y", "N"}


def _adsl(tables, labels):
    adsl = tables["adsl"]
    required = {"STUDYID", "USUBJID", "SUBJID", "SITEID", "AGE", "AGEU", "SEX", "ARM"}
    required |= {"TRT01P", "TRT01A", "TRTSDT", "ITTFL", "SAFFL", "RANDFL"}
    assert required <= set(adsl.columns)
    assert adsl["USUBJID"].is_unique and set(adsl["USUBJID"]) == set(tables["dm"]["USUBJID"])
    for flag in ("ITTFL", "SAFFL", "RANDFL", "COMPLFL"):
        assert set(adsl[flag]) <= {"Y", "N"}, flag
    assert "AGEYEARS" in adsl.columns  # the analysis covariate age_years, SAS-named


def _parameters(tables, labels):
    for name in ("adqs", "adtte"):
        frame = tables[name]
        codes = frame["PARAMCD"].drop_duplicates()
        assert codes.map(lambda c: len(c) <= 8 and bool(SAS_NAME.match(c))).all(), name
        pairs = frame[["PARAMCD", "PARAM"]].drop_duplicates()
        assert pairs["PARAMCD"].is_unique and pairs["PARAM"].is_unique, name
    both = tables["adqs"].groupby("PARAMCD")["PARAM"].first()
    assert short_code("vas_resp_m6") == short_code("vas_rsp_m6") == "VASRSPM6"
    assert both["VASRSPM6"] == "responder: vas_resp_m6"
    assert both["VASRSPA6"] == "responder: vas_rsp_m6"


def _treatment_variables(tables, labels):
    for name in ("adqs", "adtte"):
        assert {"TRTP", "TRTA"} <= set(tables[name].columns), name
    assert "ADT" in tables["adqs"].columns


def _non_responder_imputation(trial, tables):
    adqs = tables["adqs"]
    resp = adqs[adqs["PARAMCD"] == "VAS30"]
    usubjid = tables["dm"]["USUBJID"].to_numpy()
    m6 = 2 + [v.name for v in trial.protocol.visit].index("m6")
    missed = set(usubjid[~trial.observed.attended[trial.included, m6]])
    assert missed  # heavy dropout: some missed the visit
    flagged = resp[resp["DTYPE"] == "NRI"]
    assert set(flagged["USUBJID"]) == missed
    assert (flagged["AVAL"] == 0).all()
    assert set(adqs["DTYPE"]) <= {"", "NRI"}


def _time_to_event(trial, tables):
    adtte = tables["adtte"]
    assert {"STARTDT", "ADT", "AVAL", "CNSR", "CNSDTDSC"} <= set(adtte.columns)
    assert set(adtte["CNSR"]) <= {0, 1} and (adtte["AVAL"] >= 0).all()
    # every ITT subject has a record (issue 27: one lost before the first visit had none)
    assert set(adtte["USUBJID"]) == set(tables["adsl"]["USUBJID"])
    lost = adtte[adtte["CNSDTDSC"] == "LOST BEFORE FIRST VISIT"]
    assert len(lost) > 0
    assert (lost["CNSR"] == 1).all() and (lost["AVAL"] == 0).all()
    assert (lost["ADT"] == lost["STARTDT"]).all() and (lost["ANL01FL"] == "N").all()
    # the records analysed are those the Cox analysis counted
    n = trial.results.set_index(["endpoint", "comparison"])["n"]
    analysed = adtte[adtte["ANL01FL"] == "Y"]
    for comparison in ("sirna vs sham", "aav9 vs sham"):
        arms = {a.upper() for a in comparison.split(" vs ")}
        adsl = tables["adsl"].set_index("USUBJID")
        mine = analysed[analysed["USUBJID"].map(adsl["ARMCD"]).isin(arms)]
        assert len(mine) == n[("surgery", comparison)]


def _transport_round_trip(tables, labels, tmp: Path):
    for name, frame in tables.items():
        path = write_xpt(frame, tmp / f"{name}.xpt", name, labels=labels.get(name))
        assert path.read_bytes()[:48] == b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!"
        back, read_labels, table_name = read_xpt(path)
        assert table_name == name.upper()
        pd.testing.assert_frame_equal(back, transport_frame(frame).reset_index(drop=True))
        assert read_labels == {v: label(name, v, labels.get(name)) for v in frame.columns}


#: (id, reference, rule, check). ``check(ctx)`` reads the fixture values it needs.
RULES: list[tuple[str, str, str, Callable[[dict], None]]] = [
    (
        "R01",
        "FDA TCG 3.3.1; SDTMIG 3.4 2.2; ADaMIG 1.3 3.1",
        "dataset and variable names are SAS names of at most 8 characters; every variable has "
        "a label of at most 40 characters; character values at most 200 bytes, ASCII",
        lambda c: _names_and_labels(c["tables"], c["labels"]),
    ),
    (
        "R02",
        "SDTMIG 3.4 4.1.2, 8.4; ADaMIG 1.3 3.1",
        "STUDYID and USUBJID in every dataset; DOMAIN equals the domain (RDOMAIN in SUPP--)",
        lambda c: _identifiers(c["tables"], c["labels"]),
    ),
    (
        "R03",
        "SDTMIG 3.4 4.1.5",
        "--SEQ unique within a subject",
        lambda c: _sequence_numbers(c["tables"], c["labels"]),
    ),
    (
        "R04",
        "SDTMIG 3.4 5.2 (DM)",
        "DM: one record per subject; required and expected variables (SITEID, AGEU, ACTARM, "
        "COUNTRY...); SEX and AGEU controlled terms; ARMCD at most 20 characters",
        lambda c: _demographics(c["tables"], c["labels"]),
    ),
    (
        "R05",
        "SDTMIG 3.4 5.2, 6.1.1, 8.4; issue 27",
        "treatment names, not file paths, in ARM, EXTRT, TRT01P, TRTP; ARMCD-ARM one-to-one; "
        "the regimen source kept in SUPPEX (QNAM EXREGSRC)",
        lambda c: _treatment_names(c["tables"], c["labels"]),
    ),
    (
        "R06",
        "SDTMIG 3.4 6.1.1 (EX); CDISC CT ROUTE C66729",
        "EX: one record per dose and location with EXDOSE, EXDOSU, EXROUTE (CT), EXLOC; no "
        "dose after the subject left",
        lambda c: _exposure(c["tables"], c["labels"]),
    ),
    (
        "R07",
        "SDTMIG 3.4 6.2.1 (AE); OCCDS 1.1",
        "AE: AEDECOD and AEBODSYS for every event; AESEV and AESER controlled terms; ADAE has "
        "TRTA, ASTDT, ASTDY, TRTEMFL",
        lambda c: _adverse_events(c["tables"], c["labels"]),
    ),
    (
        "R08",
        "ADaMIG 1.3 3.2 (ADSL)",
        "ADSL: one record per DM subject; required variables; population flags Y/N; analysis "
        "covariates under SAS names",
        lambda c: _adsl(c["tables"], c["labels"]),
    ),
    (
        "R09",
        "ADaMIG 1.3 3.3.4",
        "PARAMCD at most 8 characters, a SAS name, one-to-one with PARAM; two endpoints never "
        "share a code",
        lambda c: _parameters(c["tables"], c["labels"]),
    ),
    (
        "R10",
        "ADaMIG 1.3 3.3.2, 3.3.3",
        "BDS datasets carry TRTP/TRTA; ADQS carries ADT",
        lambda c: _treatment_variables(c["tables"], c["labels"]),
    ),
    (
        "R11",
        "ADaMIG 1.3 3.3.5 (DTYPE); issue 27",
        "records imputed as non-response have DTYPE = NRI, and no others",
        lambda c: _non_responder_imputation(c["trial"], c["tables"]),
    ),
    (
        "R12",
        "ADaM BDS for TTE 1.0; issue 27",
        "ADTTE: STARTDT, ADT, CNSR in {0, 1}; every ITT subject has a record, one lost before "
        "the first visit censored at day 1 and not analysed; the analysed records are those "
        "the Cox analysis counted",
        lambda c: _time_to_event(c["trial"], c["tables"]),
    ),
    (
        "R13",
        "FDA TCG 3.3.1",
        "every dataset written as SAS XPORT v5 reads back identical, with its labels (pyreadstat)",
        lambda c: _transport_round_trip(c["tables"], c["labels"], c["tmp"]),
    ),
]


@pytest.mark.parametrize(("rule", "reference", "text", "check"), RULES, ids=[r[0] for r in RULES])
def test_conformance_rule(rule, reference, text, check, trial, tables, labels, tmp_path):
    check({"trial": trial, "tables": tables, "labels": labels, "tmp": tmp_path})


def test_every_harm_has_an_adverse_event_term_and_body_system():
    """Each harm a regimen can cause (every ``harm.NAME`` and ``vector_harm.NAME`` table of
    the therapy catalogues) has its AEDECOD and AEBODSYS."""
    data = ROOT / "src" / "disctwin" / "therapies" / "data"
    pattern = re.compile(r"^\[(?:[a-z_]+\.)?(?:vector_)?harm\.([a-z0-9_]+)\]", re.M)
    harms = {m for f in data.glob("*.toml") for m in pattern.findall(f.read_text())}
    assert len(harms) >= 20
    assert harms <= set(AE_TERMS), sorted(harms - set(AE_TERMS))
    assert all(decod and soc for decod, soc in AE_TERMS.values())


def test_the_issue_example_codes_no_longer_collide():
    """Issue 27: PARAMCD was ``name.upper()[:8]``: ``vas30_m12`` became ``VAS30_M1`` and two
    endpoints collided as ``RESPONDE``."""
    assert short_code("vas30_m12") == "VAS30M12"
    codes = parameter_codes(["responder_m6", "responder_m12", "vas30_m12"])
    assert len(set(codes.values())) == 3 and all(len(c) <= 8 for c in codes.values())
    assert "RESPONDE" not in codes.values()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.from_regex(r"[A-Za-z][A-Za-z0-9_\-]{0,39}", fullmatch=True),
        min_size=1,
        max_size=40,
        unique=True,
    ),
    st.lists(st.sampled_from(["VAS", "NRS", "ODI", "OPIOMME"]), unique=True),
)
def test_parameter_codes_are_unique_sas_names_for_any_endpoint_names(names, reserved):
    codes = parameter_codes(names, reserved=reserved)
    assert list(codes) == names
    values = list(codes.values())
    assert len(set(values)) == len(values)
    assert not set(values) & set(reserved)
    assert all(len(c) <= 8 and SAS_NAME.match(c) for c in values)
    assert parameter_codes(names, reserved=reserved) == codes  # deterministic


def test_parameters_of_a_protocol_avoid_the_measures_codes():
    codes = parameters(conformance_protocol())
    assert len(set(codes.values())) == len(codes)
    assert not set(codes.values()) & {"VAS", "NRS", "ODI", "OPIOMME"}


def test_transport_rules_catch_what_xpt_v5_forbids():
    frame = pd.DataFrame({"REPLICATE": [1], "AVAL": [np.inf], "X": ["é" * 120]})
    problems = transport_problems("adverylongname", frame)
    text = " ".join(problems)
    assert "dataset name" in text and "REPLICATE" in text and "infinite" in text
    assert "bytes" in text and "non-ASCII" in text and "no label" in text
    with pytest.raises(ValueError, match="REPLICATE"):
        write_xpt(frame, Path("/nonexistent/x.xpt"), "adqs")
