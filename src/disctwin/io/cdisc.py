"""CDISC-style output of simulated trials: SDTM domains and ADaM datasets, Parquet and DuckDB.

Per trial (:func:`sdtm_domains`, :func:`adam_datasets`):

* SDTM: DM (demographics, arm, one virtual site ``SITEID``, ``COUNTRY``), EX (exposure: one
  record per dose of the regimen and treated disc, with ``EXDOSE``/``EXDOSU``, ``EXROUTE``
  and ``EXLOC`` where the regimen states them; ``EXTRT`` the regimen's name) and SUPPEX
  (``EXREGSRC``: the regimen file or built-in name the treatment came from), AE (adverse
  events, ``AEBODSYS`` from :mod:`disctwin.io.cdisc_metadata`), QS (VAS, NRS, ODI per
  visit), MO (MRI per lumbar level: Pfirrmann grade, disc height index, relative T2,
  protrusion/extrusion, Modic 1), CM (opioid use at every visit, a pre-specified
  medication: ``CMOCCUR``, daily dose in morphine milligram equivalents), DS
  (randomisation, completion or dropout).
* ADaM: ADSL (one row per subject: flags, baseline, disposition, treatment start
  ``TRTSDT``, analysis covariates under SAS names of at most 8 characters), ADQS (analysis
  values, baseline, change and percent change per visit with ``ADT``, opioid use
  ``OPIOMME`` included; one row per subject for each endpoint with records of its own,
  e.g. a responder such as off all opioids, with ``BASE`` of its measure and
  ``DTYPE = "NRI"`` where a missed visit was imputed as non-response), ADAE
  (treatment-emergent AEs, ``ASTDT``), ADTTE (time-to-event endpoints, ``STARTDT``,
  ``ADT``, ``CNSR`` 1 for censored; every ITT subject, one lost before the first visit
  censored at day 1 with ``ANL01FL = "N"``). BDS and OCCDS datasets carry ``TRTP``/``TRTA``:
  the regimen's name. Each endpoint kind writes its own records
  (:meth:`~disctwin.trial.endpoints.AbstractEndpoint.adam_rows`) under the protocol's
  unique ``PARAMCD`` (:func:`parameters`: at most 8 characters, collision-free).
  ``ANL01FL`` = "Y" marks the records the protocol's analyses use: every attended visit
  (treatment-policy strategy: rescue medication and further interventions are part of the
  outcome, flagged per record by ``RESCFL`` and ``FINTFL``), so refitting the analysis on
  ``ANL01FL == "Y"`` reproduces the reported estimates.

Variable names follow SDTMIG 3.4 / ADaMIG 1.3 (``STUDYID``, ``USUBJID``, ``ARMCD``,
``QSTESTCD``, ``QSORRES``, ``VISITNUM``, ``PARAMCD``, ``AVAL``, ``CHG``, ``CNSR``...) and
the SAS XPORT v5 rules (names of at most 8 characters, labels of at most 40); every
variable has a label (:mod:`disctwin.io.cdisc_metadata`), written into each Parquet
field's metadata. Study day 1 is the treatment day (baseline is day 1, screening a negative
day, as SDTM has no day 0). Every table carries ``REPL``, the simulation replicate (a
sponsor-defined variable). This is simulation output in a CDISC shape, not a
conformance-checked submission: controlled terminology is used where obvious, adverse
events are not MedDRA-coded, and dates are nominal (study start :data:`STUDY_START`).

:func:`write_run` writes a run directory (a :class:`~disctwin.io.rundir.RunDirectory`,
resumable: each replicate is written to a temporary directory and renamed into place; a
killed run started again skips the replicates already there; replicates run in worker
processes through :func:`disctwin.parallel.map_replicates`), and :func:`build_database`
gathers every replicate's tables into one DuckDB file.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from disctwin.engine import Engine
from disctwin.engine.dosing import index_levels_mask
from disctwin.io.cdisc_metadata import COUNTRY, SITEID, ae_term, labelled_table, route
from disctwin.io.provenance import input_files, provenance
from disctwin.io.rundir import RunDirectory, atomic_path, write_parquet
from disctwin.io.xpt import write_xpt
from disctwin.model.records import RECORDS, records
from disctwin.model.states import LEVELS
from disctwin.parallel import check_workers, map_replicates
from disctwin.therapies import Regimen
from disctwin.therapies.base import DoseSettings
from disctwin.therapies.catalogue import catalogue
from disctwin.therapies.cell_therapy import CellTherapySettings
from disctwin.therapies.corticosteroid import CorticosteroidSettings
from disctwin.therapies.delivery import PayloadSettings
from disctwin.therapies.opioid import OpioidSettings
from disctwin.trial.endpoints import BASELINE, endpoint_kind, endpoint_values, parameter_codes
from disctwin.trial.protocol import PATIENT_VARIABLES, Protocol
from disctwin.trial.replicates import (
    operating_characteristics,
    replicate_rows,
    replicate_seed,
)
from disctwin.trial.simulate import (
    TrialResult,
    check_protocol_inputs,
    protocol_input_files,
    simulate_trial,
    trial_index_levels,
    trial_regimens,
)

__all__ = [
    "ADAM_DATASETS",
    "SDTM_DOMAINS",
    "STUDY_START",
    "adam_datasets",
    "build_database",
    "sdtm_domains",
    "write_run",
]

SDTM_DOMAINS = ("dm", "ex", "suppex", "ae", "qs", "mo", "cm", "ds")
ADAM_DATASETS = ("adsl", "adqs", "adae", "adtte")
#: Nominal calendar date of the first patient's baseline (study day 1).
STUDY_START = date(2026, 1, 1)

#: Questionnaires (SDTM QS) and imaging findings (SDTM MO, per level): the record spec's
#: records with those CDISC domains (:mod:`disctwin.model.records`), code -> record.
_QS = {c.testcd: (r, c) for r in RECORDS if (c := r.cdisc) and c.domain == "QS"}
_MO = {c.testcd: (r, c) for r in RECORDS if (c := r.cdisc) and c.domain == "MO"}
#: Parameters of ADQS: every visit measure with a CDISC code (questionnaires; opioid use,
#: whose SDTM domain is CM).
_ADQS = {c.testcd: (r, c) for r in records("visit") if (c := r.cdisc)}
_SEVERITY = {1: "MILD", 2: "MODERATE", 3: "SEVERE", 4: "LIFE THREATENING", 5: "FATAL"}


def _study_day(day_after_baseline: np.ndarray, *, visit: bool = False) -> np.ndarray:
    """SDTM study day: day 1 is the treatment day; no day 0. Visit days are nominal (the
    baseline measurement, minutes before dosing, is day 1); event days are floored."""
    d = np.asarray(day_after_baseline, dtype=float)
    d = np.rint(d) if visit else np.floor(d)
    return np.where(d >= 0, d + 1, d).astype(np.int64)


def _dates(days: np.ndarray) -> list[str]:
    return [(STUDY_START + timedelta(days=float(x))).isoformat() for x in days]


def _date_values(days: np.ndarray) -> list[date | None]:
    """Calendar dates (ADaM numeric dates: Arrow ``date32``, SAS dates in XPT) of nominal
    days after :data:`STUDY_START` (whole days, as :func:`_dates`); None where missing."""
    return [
        STUDY_START + timedelta(days=float(x)) if np.isfinite(x) else None
        for x in np.asarray(days, dtype=float)
    ]


def _arm_descriptions(protocol: Protocol, regimens: dict[str, Regimen]) -> dict[str, str]:
    """ARM of each arm: its regimen's name, with the arm code where two arms share it."""
    names = [regimens[a.regimen].name for a in protocol.arm]
    return {
        a.name: n if names.count(n) == 1 else f"{n} ({a.name})"
        for a, n in zip(protocol.arm, names, strict=True)
    }


def _subjects(result: TrialResult, regimens: dict[str, Regimen]) -> pd.DataFrame:
    p = result.protocol
    rows = np.flatnonzero(result.included)
    arms = [p.arm[a] for a in result.arm[rows]]
    described = _arm_descriptions(p, regimens)
    return pd.DataFrame(
        {
            "row": rows,
            "STUDYID": p.study.id,
            "USUBJID": [f"{p.study.id}-R{result.replicate:04d}-{r + 1:04d}" for r in rows],
            "SUBJID": [f"{r + 1:04d}" for r in rows],
            "ARMCD": [a.name.upper()[:20] for a in arms],
            "ARM": [described[a.name] for a in arms],
            "TRT": [regimens[a.regimen].name for a in arms],
            "REGIMEN": [a.regimen for a in arms],
        }
    )


def _visits(result: TrialResult) -> list[tuple[int, str, int]]:
    """(column, VISIT, VISITNUM) of every schedule column."""
    out = [(0, "SCREENING", 0), (BASELINE, "BASELINE", 1)]
    out += [(2 + j, v.name.upper(), 2 + j) for j, v in enumerate(result.protocol.visit)]
    return out


def _dose_amount(dose: DoseSettings) -> tuple[float, str]:
    """(EXDOSE, EXDOSU) of a dose, per location (treated disc) for intradiscal doses and per
    patient otherwise; (NaN, "") where the regimen states no amount (a sham or saline
    procedure, physical therapy)."""
    if isinstance(dose, PayloadSettings):
        cat = catalogue()
        family = cat.families[cat.vectors[dose.vector].family]
        return float(dose.dose), family.dose_unit
    if isinstance(dose, CellTherapySettings):
        return float(dose.cells), "cells"
    if isinstance(dose, CorticosteroidSettings):
        return float(dose.dose_mg), "mg"
    if isinstance(dose, OpioidSettings):
        return float(dose.mme_per_day), "mg MME/day"
    return float("nan"), ""


def _exposure(
    result: TrialResult, subj: pd.DataFrame, regimens: dict[str, Regimen], end_day: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """EX (one record per dose and treated location, for the doses given by the end of
    each patient's participation) and SUPPEX (the regimen file or built-in name each
    treatment came from, ``QNAM = "EXREGSRC"``)."""
    p = result.protocol
    rows = subj["row"].to_numpy()
    levels = index_levels_mask(trial_index_levels(p, result.screening), len(result.arm))[rows]
    parts = []
    for i, (usubjid, source) in enumerate(zip(subj["USUBJID"], subj["REGIMEN"], strict=True)):
        regimen = regimens[source]
        for dose in regimen.doses:
            if dose.day > end_day[i]:
                continue  # after the patient left the study
            amount, unit = _dose_amount(dose)
            where = [""]
            if getattr(dose, "route", None) == "intradiscal":
                treated = getattr(dose, "levels", "index")
                mask = levels[i] if treated == "index" else [lv in treated for lv in LEVELS]
                where = [
                    f"{lv} INTERVERTEBRAL DISC" for lv, m in zip(LEVELS, mask, strict=True) if m
                ]
            for loc in where:
                parts.append(
                    {
                        "USUBJID": usubjid,
                        "EXTRT": regimen.name,
                        "EXDOSE": amount,
                        "EXDOSU": unit,
                        "EXROUTE": route(dose.modality, getattr(dose, "route", None)),
                        "EXLOC": loc,
                        "EXSTDTC": (
                            STUDY_START
                            + timedelta(days=float(result.enrol_day[rows[i]]) + dose.day)
                        ).isoformat(),
                        "EXSTDY": int(_study_day(np.array([dose.day]))[0]),
                        "SOURCE": source,
                    }
                )
    columns = ["USUBJID", "EXTRT", "EXDOSE", "EXDOSU", "EXROUTE", "EXLOC", "EXSTDTC", "EXSTDY"]
    frame = pd.DataFrame(parts, columns=[*columns, "SOURCE"])
    frame["EXDOSE"] = frame["EXDOSE"].astype(float)
    frame["EXSTDY"] = frame["EXSTDY"].astype(np.int64)
    frame.insert(1, "EXSEQ", frame.groupby("USUBJID").cumcount() + 1)
    supp = pd.DataFrame(
        {
            "STUDYID": p.study.id,
            "REPL": result.replicate,
            "RDOMAIN": "EX",
            "USUBJID": frame["USUBJID"],
            "IDVAR": "EXSEQ",
            "IDVARVAL": frame["EXSEQ"].astype(str),
            "QNAM": "EXREGSRC",
            "QLABEL": "Regimen Source (file or built-in name)",
            "QVAL": frame["SOURCE"],
            "QORIG": "ASSIGNED",
        }
    )
    ex = frame.drop(columns="SOURCE")
    ex.insert(0, "DOMAIN", "EX")
    ex.insert(0, "REPL", result.replicate)
    ex.insert(0, "STUDYID", p.study.id)
    return ex.reset_index(drop=True), supp.reset_index(drop=True)


def sdtm_domains(result: TrialResult) -> dict[str, pd.DataFrame]:
    """The SDTM domains of one trial (module docs)."""
    regimens = trial_regimens(result.protocol)
    subj = _subjects(result, regimens)
    rows = subj["row"].to_numpy()
    fu = result.observed
    scr = result.screening
    study, rep = result.protocol.study.id, result.replicate
    base = {"STUDYID": study, "REPL": rep}
    female = scr.variables["female"][rows] > 0.5
    dm = pd.DataFrame(
        {
            **base,
            "DOMAIN": "DM",
            "USUBJID": subj["USUBJID"],
            "SUBJID": subj["SUBJID"],
            "RFSTDTC": _dates(result.enrol_day[rows]),
            "RFXSTDTC": _dates(result.enrol_day[rows]),
            "SITEID": SITEID,
            "AGE": np.floor(scr.variables["age_years"][rows]).astype(np.int64),
            "AGEU": "YEARS",
            "SEX": np.where(female, "F", "M"),
            "ARMCD": subj["ARMCD"],
            "ARM": subj["ARM"],
            "ACTARMCD": subj["ARMCD"],
            "ACTARM": subj["ARM"],
            "COUNTRY": COUNTRY,
        }
    )
    _, end_day = _end_of_study(result, rows)
    ex, suppex = _exposure(result, subj, regimens, end_day)
    ae_src = result.adverse_events
    ae_src = ae_src[ae_src["row"].isin(rows)]
    usubjid = dict(zip(subj["row"], subj["USUBJID"], strict=True))
    coded = [ae_term(str(t)) for t in ae_src["term"]]
    ae = pd.DataFrame(
        {
            **base,
            "DOMAIN": "AE",
            "USUBJID": [usubjid[r] for r in ae_src["row"]],
            "AETERM": ae_src["term"].astype(str).to_numpy(),
            "AEDECOD": [c[0] for c in coded],
            "AEBODSYS": [c[1] for c in coded],
            "AESEV": [_SEVERITY.get(int(s), "SEVERE") for s in ae_src["severity"]],
            "AETOXGR": ae_src["severity"].astype(np.int64).to_numpy(),
            "AESER": np.where(ae_src["serious"].astype(bool), "Y", "N"),
            "AEREL": ae_src["related"].astype(str).str.upper().to_numpy(),
            "AESTDY": _study_day(ae_src["day"].to_numpy(dtype=float)),
        }
    )
    if len(ae):
        ae.insert(4, "AESEQ", ae.groupby("USUBJID").cumcount() + 1)
    else:
        ae.insert(4, "AESEQ", pd.Series(dtype="int64"))

    qs_parts, mo_parts, cm_parts = [], [], []
    for col, visit, visitnum in _visits(result):
        seen = fu.attended[rows, col]
        day = _study_day(np.full(len(rows), fu.visit_days[col]), visit=True)
        mme = fu.measure("opioid_mme")[rows, col]
        keep = seen & np.isfinite(mme)
        cm_parts.append(
            pd.DataFrame(
                {
                    "USUBJID": subj["USUBJID"].to_numpy()[keep],
                    "CMTRT": "OPIOID ANALGESIC",
                    "CMCAT": "OPIOIDS",
                    "CMPRESP": "Y",
                    "CMOCCUR": np.where(mme[keep] > 0, "Y", "N"),
                    "CMDOSE": mme[keep].astype(float),
                    "CMDOSU": "mg MME",
                    "CMDOSFRQ": "QD",
                    "VISITNUM": visitnum,
                    "VISIT": visit,
                    "CMDY": day[keep],
                }
            )
        )
        for code, (rec, cd) in _QS.items():
            values = fu.measure(rec.name)[rows, col]
            keep = seen & np.isfinite(values)
            text = [f"{v:.1f}" if rec.name != "nrs" else f"{v:.0f}" for v in values[keep]]
            qs_parts.append(
                pd.DataFrame(
                    {
                        "USUBJID": subj["USUBJID"].to_numpy()[keep],
                        "QSTESTCD": code,
                        "QSTEST": cd.test,
                        "QSCAT": "BACK PAIN",
                        "QSORRES": text,
                        "QSORRESU": cd.unit,
                        "QSSTRESC": text,
                        "QSSTRESN": values[keep].astype(float),
                        "QSSTRESU": cd.unit,
                        "QSBLFL": "Y" if col == BASELINE else "",
                        "VISITNUM": visitnum,
                        "VISIT": visit,
                        "QSDY": day[keep],
                    }
                )
            )
        mri = col == 0 or (col >= 2 and result.protocol.visit[col - 2].mri)
        if mri:
            for code, (rec, cd) in _MO.items():
                values = result.disc[rec.name][rows, col, :].astype(float)  # (n, 5)
                for k, level in enumerate(LEVELS):
                    v = values[:, k]
                    keep = seen & np.isfinite(v)
                    text = [f"{x:g}" for x in v[keep]]
                    mo_parts.append(
                        pd.DataFrame(
                            {
                                "USUBJID": subj["USUBJID"].to_numpy()[keep],
                                "MOTESTCD": code,
                                "MOTEST": cd.test,
                                "MOLOC": f"{level} INTERVERTEBRAL DISC",
                                "MOORRES": text,
                                "MOSTRESC": text,
                                "MOSTRESN": v[keep],
                                "VISITNUM": visitnum,
                                "VISIT": visit,
                                "MODY": day[keep],
                            }
                        )
                    )
    qs = _finish(pd.concat(qs_parts, ignore_index=True), "QS", base)
    mo = _finish(pd.concat(mo_parts, ignore_index=True), "MO", base)
    cm = _finish(pd.concat(cm_parts, ignore_index=True), "CM", base)

    ds = _disposition(result, subj)
    return {
        "dm": dm,
        "ex": ex,
        "suppex": suppex,
        "ae": ae,
        "qs": qs,
        "mo": mo,
        "cm": cm,
        "ds": ds,
    }


def _finish(frame: pd.DataFrame, domain: str, base: dict) -> pd.DataFrame:
    frame = frame.sort_values(["USUBJID", "VISITNUM"], kind="stable").reset_index(drop=True)
    frame.insert(0, "DOMAIN", domain)
    for k, v in reversed(base.items()):
        frame.insert(0, k, v)
    frame.insert(4, f"{domain}SEQ", frame.groupby("USUBJID").cumcount() + 1)
    return frame


def _status(result: TrialResult, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(decode, reason) of each subject's end of study."""
    fu = result.observed
    dropped = np.isfinite(fu.dropout_day[rows])
    stopped = result.sequential is not None and result.sequential.decision != "final"
    missing_last = ~fu.attended[rows, -1]
    decode = np.where(
        dropped,
        "LOST TO FOLLOW-UP",
        np.where(missing_last & stopped, "STUDY TERMINATED BY SPONSOR", "COMPLETED"),
    )
    return decode, dropped


def _end_of_study(result: TrialResult, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(dropped, day after baseline each subject's participation ended)."""
    fu = result.observed
    _, dropped = _status(result, rows)
    last_col = np.where(fu.attended[rows], np.arange(fu.n_columns), 0).max(axis=1)
    end_day = np.where(dropped, fu.dropout_day[rows], np.rint(fu.visit_days[last_col]))
    return dropped, end_day


def _disposition(result: TrialResult, subj: pd.DataFrame) -> pd.DataFrame:
    rows = subj["row"].to_numpy()
    decode, _ = _status(result, rows)
    _, end_day = _end_of_study(result, rows)
    n = len(rows)
    frame = pd.DataFrame(
        {
            "USUBJID": np.concatenate([subj["USUBJID"], subj["USUBJID"]]),
            "DSTERM": np.concatenate([np.full(n, "RANDOMIZED"), decode]),
            "DSDECOD": np.concatenate([np.full(n, "RANDOMIZED"), decode]),
            "DSCAT": np.concatenate(
                [np.full(n, "PROTOCOL MILESTONE"), np.full(n, "DISPOSITION EVENT")]
            ),
            "DSSTDY": np.concatenate([np.ones(n, dtype=np.int64), _study_day(end_day)]),
            "VISITNUM": np.concatenate([np.ones(n, dtype=np.int64), np.zeros(n, dtype=np.int64)]),
        }
    )
    frame = frame.sort_values(["USUBJID", "DSSTDY"], kind="stable").drop(columns="VISITNUM")
    frame.insert(0, "DOMAIN", "DS")
    frame.insert(0, "REPL", result.replicate)
    frame.insert(0, "STUDYID", result.protocol.study.id)
    frame.insert(4, "DSSEQ", frame.groupby("USUBJID").cumcount() + 1)
    return frame.reset_index(drop=True)


def covariate_variables(protocol: Protocol) -> dict[str, str]:
    """ADSL variable (a SAS name of at most 8 characters, not clashing with ADSL's own) of
    each of the protocol's ANCOVA covariates, covariate name -> variable."""
    taken = set(_ADSL_VARIABLES)
    out = {}
    for name in protocol.analysis.covariates:
        code = parameter_codes([name], reserved=taken)[name]
        taken.add(code)
        out[name] = code
    return out


def parameters(protocol: Protocol) -> dict[str, str]:
    """``PARAMCD`` of each endpoint (name -> code): unique, at most 8 characters, none equal
    to a per-visit measure's (:func:`~disctwin.trial.endpoints.parameter_codes`)."""
    return parameter_codes([e.name for e in protocol.endpoint], reserved=_ADQS)


def dataset_labels(protocol: Protocol) -> dict[str, dict[str, str]]:
    """Labels made from the protocol (beyond the shipped table), by dataset: the ADSL
    covariates'."""
    labels = {}
    for name, var in covariate_variables(protocol).items():
        meaning = PATIENT_VARIABLES.get(name, name)
        labels[var] = meaning[:1].upper() + meaning[1:40]
    return {"adsl": {k: v[:40] for k, v in labels.items()}}


#: ADSL's own variables (analysis covariates take other names).
_ADSL_VARIABLES = (
    "STUDYID",
    "REPL",
    "USUBJID",
    "SUBJID",
    "SITEID",
    "ARMCD",
    "ARM",
    "ACTARMCD",
    "ACTARM",
    "TRT01P",
    "TRT01A",
    "TRTSDT",
    "AGE",
    "AGEU",
    "SEX",
    "COUNTRY",
    "STRATUM",
    "RANDFL",
    "ITTFL",
    "SAFFL",
    "COMPLFL",
    "EOSSTT",
    "DCSREAS",
    "BASEVAS",
    "BASENRS",
    "BASEODI",
    "CLBPDUR",
    "MODPDUR",
    "OPIOIDFL",
    "RESCFL",
    "FINTFL",
)


def adam_datasets(result: TrialResult, sdtm: dict[str, pd.DataFrame] | None = None):
    """The ADaM datasets of one trial (module docs)."""
    sdtm = sdtm or sdtm_domains(result)
    p = result.protocol
    regimens = trial_regimens(p)
    subj = _subjects(result, regimens)
    rows = subj["row"].to_numpy()
    fu = result.observed
    scr = result.screening
    decode, _ = _status(result, rows)
    base: dict[str, str | int] = {"STUDYID": p.study.id, "REPL": result.replicate}
    start = np.asarray(result.enrol_day[rows], dtype=float)
    adsl = pd.DataFrame(
        {
            **base,
            "USUBJID": subj["USUBJID"],
            "SUBJID": subj["SUBJID"],
            "SITEID": SITEID,
            "ARMCD": subj["ARMCD"],
            "ARM": subj["ARM"],
            "ACTARMCD": subj["ARMCD"],
            "ACTARM": subj["ARM"],
            "TRT01P": subj["TRT"],
            "TRT01A": subj["TRT"],
            "TRTSDT": _date_values(start),
            "AGE": np.floor(scr.variables["age_years"][rows]).astype(np.int64),
            "AGEU": "YEARS",
            "SEX": np.where(scr.variables["female"][rows] > 0.5, "F", "M"),
            "COUNTRY": COUNTRY,
            "STRATUM": result.stratum[rows],
            "RANDFL": "Y",
            "ITTFL": "Y",
            "SAFFL": "Y",
            "COMPLFL": np.where(decode == "COMPLETED", "Y", "N"),
            "EOSSTT": np.where(decode == "COMPLETED", "COMPLETED", "DISCONTINUED"),
            "DCSREAS": np.where(decode == "COMPLETED", "", decode),
            "BASEVAS": fu.vas[rows, BASELINE],
            "BASENRS": fu.nrs[rows, BASELINE],
            "BASEODI": fu.odi[rows, BASELINE],
            "CLBPDUR": scr.variables["clbp_duration_months"][rows],
            "MODPDUR": scr.variables["moderate_pain_months"][rows],
            "OPIOIDFL": np.where(scr.variables["opioid_use"][rows] > 0.5, "Y", "N"),
            "RESCFL": np.where(fu.rescue_from[rows] < fu.n_columns, "Y", "N"),
            "FINTFL": np.where(fu.intervention_at[rows] < fu.n_columns, "Y", "N"),
        }
    )
    for name, var in covariate_variables(p).items():  # the ANCOVA's covariates, as analysed
        adsl[var] = scr.variables[name][rows]
    parts = []
    for col, visit, visitnum in _visits(result):
        if col == 0:
            continue
        seen = fu.attended[rows, col]
        for code, (rec, cd) in _ADQS.items():
            y = fu.measure(rec.name)[rows]
            aval, b = y[:, col], y[:, BASELINE]
            keep = seen & np.isfinite(aval)
            with np.errstate(divide="ignore", invalid="ignore"):
                pchg = np.where(b > 0, 100 * (aval - b) / b, np.nan)
            parts.append(
                pd.DataFrame(
                    {
                        "USUBJID": subj["USUBJID"].to_numpy()[keep],
                        "ARM": subj["ARM"].to_numpy()[keep],
                        "PARAMCD": code,
                        "PARAM": cd.test,
                        "AVISIT": visit,
                        "AVISITN": visitnum,
                        "ADT": _date_values(start[keep] + np.rint(fu.visit_days[col])),
                        "ADY": _study_day(np.full(keep.sum(), fu.visit_days[col]), visit=True),
                        "AVAL": aval[keep],
                        "BASE": b[keep],
                        "CHG": (aval - b)[keep] if col != BASELINE else np.nan,
                        "PCHG": pchg[keep] if col != BASELINE else np.nan,
                        "ABLFL": "Y" if col == BASELINE else "",
                        # every attended value enters the analyses (treatment-policy
                        # strategy: rescue and further intervention are part of the outcome)
                        "ANL01FL": "Y",
                        "RESCFL": np.where(fu.rescue_from[rows][keep] <= col, "Y", "N"),
                        "FINTFL": np.where(fu.intervention_at[rows][keep] < col, "Y", "N"),
                    }
                )
            )
    derived = _endpoint_rows(p, fu, subj)
    parts += derived["adqs"]
    adqs = _with_treatment(pd.concat(parts, ignore_index=True), subj, base)
    adqs["DTYPE"] = adqs["DTYPE"].fillna("")

    ae = sdtm["ae"]
    arm_of = dict(zip(subj["USUBJID"], subj["ARM"], strict=True))
    start_of = dict(zip(subj["USUBJID"], start, strict=True))
    adae = ae.drop(columns=["DOMAIN"]).assign(
        ARM=[arm_of[u] for u in ae["USUBJID"]],
        ASTDT=pd.Series(
            _date_values(
                np.array([start_of[u] for u in ae["USUBJID"]], dtype=float)
                + np.where(ae["AESTDY"] > 0, ae["AESTDY"] - 1, ae["AESTDY"])
            ),
            index=ae.index,
            dtype=object,
        ),
        ASTDY=ae["AESTDY"],
        TRTEMFL=np.where(ae["AESTDY"] >= 1, "Y", "N"),
    )
    adae = _with_treatment(adae.drop(columns=list(base)), subj, base, after="ARM", planned=False)

    tte = derived["adtte"]
    cols = ["USUBJID", "ARM", "PARAMCD", "PARAM", "AVAL", "CNSR", "EVNTDESC", "CNSDTDSC"]
    adtte = pd.concat(tte, ignore_index=True) if tte else pd.DataFrame(columns=[*cols, "ANL01FL"])
    origin = np.array([start_of[u] for u in adtte["USUBJID"]], dtype=float)
    adtte.insert(list(adtte.columns).index("AVAL"), "STARTDT", _date_values(origin))
    adtte.insert(
        list(adtte.columns).index("AVAL"),
        "ADT",
        _date_values(origin + np.rint(adtte["AVAL"].to_numpy(dtype=float))),
    )
    adtte = _with_treatment(adtte, subj, base)
    return {"adsl": adsl, "adqs": adqs, "adae": adae, "adtte": adtte}


def _with_treatment(
    frame: pd.DataFrame,
    subj: pd.DataFrame,
    base: dict,
    *,
    after: str = "ARM",
    planned: bool = True,
) -> pd.DataFrame:
    """``frame`` with ``base`` (STUDYID, REPL) first and the subject's treatment after
    ``after``: ``TRTP`` (planned) and ``TRTA`` (actual; the same here, every patient
    receives the arm randomised to)."""
    trt = dict(zip(subj["USUBJID"], subj["TRT"], strict=True))
    given = [trt[u] for u in frame["USUBJID"]]
    at = list(frame.columns).index(after) + 1
    frame = frame.copy()
    if planned:
        frame.insert(at, "TRTP", given)
        at += 1
    frame.insert(at, "TRTA", given)
    for k, v in reversed(base.items()):
        frame.insert(0, k, v)
    return frame


def _endpoint_rows(p: Protocol, fu, subj: pd.DataFrame) -> dict[str, list[pd.DataFrame]]:
    """Each endpoint's own ADaM records (:meth:`AbstractEndpoint.adam_rows`), by dataset, in
    protocol order, with the protocol's unique ``PARAMCD`` (:func:`parameters`)."""
    rows = subj["row"].to_numpy()
    codes = parameters(p)
    out: dict[str, list[pd.DataFrame]] = {"adqs": [], "adtte": []}
    for e in p.endpoint:
        mine = endpoint_values(p, e, fu).subset(rows)
        for name, frame in endpoint_kind(e).adam_rows(e, mine, subj).items():
            out[name].append(frame.assign(PARAMCD=codes[e.name]))
    return out


# ----------------------------------------------------------------------------- run files


def _screening_frame(result: TrialResult) -> pd.DataFrame:
    s = result.screening
    rows = [{"criterion": k, "failures": v} for k, v in s.failures.items()]
    rows.append({"criterion": "screen failures (any criterion)", "failures": s.n_failed})
    frame = pd.DataFrame(rows)
    frame.insert(0, "REPL", result.replicate)
    frame["n_screened"] = s.n_screened
    frame["n_enrolled"] = s.n_enrolled
    return frame


def _write_replicate(result: TrialResult, run: RunDirectory) -> None:
    """Write one replicate's directory (atomically: filled under a temporary name, then
    renamed into place)."""
    meta = run.provenance
    with run.directory(f"replicates/r{result.replicate:05d}") as tmp:
        for sub in ("sdtm", "adam", "xpt"):
            (tmp / sub).mkdir()
        sdtm = sdtm_domains(result)
        extra = dataset_labels(result.protocol)
        study = f"{result.protocol.study.id} replicate {result.replicate}"
        for kind, frames in (("sdtm", sdtm), ("adam", adam_datasets(result, sdtm))):
            for name, frame in frames.items():
                labels = extra.get(name)
                table = labelled_table(frame, name, labels)
                write_parquet(table, tmp / kind / f"{name}.parquet", meta)
                write_xpt(frame, tmp / "xpt" / f"{name}.xpt", name, labels=labels, file_label=study)
        write_parquet(replicate_rows(result), tmp / "results.parquet", meta)
        write_parquet(_screening_frame(result), tmp / "screening.parquet", meta)
        if result.sequential is not None:
            looks = result.sequential.looks.assign(REPL=result.replicate)
            write_parquet(looks, tmp / "looks.parquet", meta)


def _run_replicate(protocol: Protocol, seed: int, engine: Engine, run: RunDirectory, r: int) -> int:
    """Simulate replicate ``r`` and write its directory (atomically); return ``r``."""
    result = simulate_trial(protocol, replicate_seed(seed, r), replicate=r, engine=engine)
    _write_replicate(result, run)
    return r


def _literal_glob(path: str) -> str:
    """``path`` as a DuckDB file pattern matching only itself: DuckDB reads ``*``, ``?``
    and ``[`` in a file name as wildcards, so each is put in a one-character class."""
    return re.sub(r"([*?\[\]])", r"[\1]", path)


@contextmanager
def _duckdb_path(path: Path) -> Iterator[Path]:
    """A path DuckDB can create ``path``'s database at: ``path`` itself, or, if it holds a
    ``?`` (which DuckDB reads as the start of connection options), a scratch file copied
    to ``path`` when the block ends without error."""
    if "?" not in str(path):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="disctwin-duckdb-") as scratch:
        db = Path(scratch) / "trial.duckdb"
        yield db
        shutil.copyfile(db, path)


def build_database(out: str | Path, replicates: int | None = None) -> Path:
    """Gather every replicate's tables into ``OUT/trial.duckdb`` (one table per domain or
    dataset, all replicates, plus ``results``, ``screening`` and ``looks``)."""
    import duckdb

    out = Path(out)
    tables = {n: f"r*/sdtm/{n}.parquet" for n in SDTM_DOMAINS}
    tables |= {n: f"r*/adam/{n}.parquet" for n in ADAM_DATASETS}
    tables |= {"results": "r*/results.parquet", "screening": "r*/screening.parquet"}
    tables |= {"looks": "r*/looks.parquet"}
    with atomic_path(out / "trial.duckdb") as tmp, _duckdb_path(tmp) as db:
        tmp.unlink(missing_ok=True)  # a leftover of a killed run
        con = duckdb.connect(str(db))
        try:
            for name, pattern in tables.items():
                files = [
                    f
                    for f in sorted((out / "replicates").glob(pattern))
                    if replicates is None
                    or int(f.relative_to(out / "replicates").parts[0][1:]) < replicates
                ]
                if not files:
                    continue
                con.execute(
                    f"CREATE TABLE {name} AS SELECT * FROM read_parquet($files, "
                    "union_by_name = true)",
                    {"files": [_literal_glob(str(f)) for f in files]},
                )
        finally:
            con.close()
    return out / "trial.duckdb"


def write_run(
    protocol: Protocol,
    replicates: int,
    seed: int,
    out: str | Path,
    *,
    engine: Engine | None = None,
    on_replicate: Callable[[int], None] | None = None,
    workers: int = 1,
) -> dict:
    """Run ``replicates`` trials and write the run directory::

        OUT/run.json                          provenance (protocol, seed), timings
        OUT/replicates/r00000/sdtm/*.parquet  DM, EX, SUPPEX, AE, QS, MO, CM, DS
        OUT/replicates/r00000/adam/*.parquet  ADSL, ADQS, ADAE, ADTTE
        OUT/replicates/r00000/xpt/*.xpt       every dataset as SAS XPORT v5 (labelled)
        OUT/replicates/r00000/results.parquet estimates, truth, decisions
        OUT/replicates.parquet, .csv          every replicate's results
        OUT/operating_characteristics.csv     power / type I error, bias, coverage, N
        OUT/trial.duckdb                      every table, all replicates

    A directory holding the same protocol and seed is resumed (replicates already written
    are skipped; more replicates may be added); one holding a different run is refused.
    ``workers`` > 1 runs replicates in that many processes (each single-threaded); every
    replicate draws only from its own seed, so the files are identical whatever ``workers``.

    Returns:
        the manifest (also written as ``run.json``), with ``replicates_written`` and
        ``replicates_skipped``.
    """
    engine = engine or Engine()
    check_workers(workers)
    check_protocol_inputs(protocol)  # every file it reads, before the directory is touched
    config = {
        "protocol": protocol.model_dump(mode="json"),
        "seed": int(seed),
        "solver": {"rtol": engine.rtol, "atol": engine.atol, "max_steps": engine.max_steps},
    }
    run = RunDirectory.open(
        out,
        provenance(config, input_files(protocol_input_files(protocol))),
        field="--out",
        same="protocol and seed",
        subdirectories=("replicates",),
    )
    started = time.perf_counter()
    todo = [r for r in range(replicates) if not run.is_done(f"replicates/r{r:05d}")]
    if min(workers, len(todo)) > 1:
        engine = engine.model_copy(update={"threads": 1})  # one thread per worker process
    with run.running():
        map_replicates(
            partial(_run_replicate, protocol, seed, engine, run),
            todo,
            workers=workers,
            on_done=None if on_replicate is None else lambda r, _: on_replicate(r),
        )
    root = run.path / "replicates"
    files = sorted(
        f for f in root.glob("r*/results.parquet") if int(f.parent.name[1:]) < replicates
    )
    rows = pd.concat([pq.read_table(f).to_pandas() for f in files], ignore_index=True)
    run.write_parquet(rows, "replicates.parquet")
    run.write_text("replicates.csv", rows.to_csv(index=False))
    oc = operating_characteristics(rows, protocol.analysis.alpha)
    run.write_text("operating_characteristics.csv", oc.to_csv(index=False))
    build_database(run.path, replicates)
    return run.complete(
        replicates=replicates,
        replicates_written=len(todo),
        replicates_skipped=replicates - len(todo),
        seconds=time.perf_counter() - started,
    )
