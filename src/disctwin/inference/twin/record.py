"""A patient's record: covariates, MRI studies by level, pain and disability by date.

The record is a TOML (or JSON, or a dict) file; every field except the age is optional and a
missing value is missing, never zero::

    [patient]
    id = "P-0042"
    born = 1981-04-02            # or give age_years on every study instead of dates
    today = 2026-11-30           # the forecast starts here (default: the last study)

    [covariates]                 # any subset; missing ones are unknown to the twin
    female = true
    bmi = 27.4
    smoker = false
    manual_labour = true
    diabetes = false
    depression = false
    fear_avoidance = 0.8         # fear-avoidance beliefs, SD units
    genetic_risk_score = 1.2     # polygenic risk score, SD units

    [[mri]]
    date = 2021-03-01
    [mri.level."L4/5"]
    pfirrmann = 3                # I-V as 1-5
    t2_relative = 0.71           # nucleus T2 relative to adolescence
    disc_height_index = 0.93     # disc height relative to adolescence
    bulge = true
    protrusion = false
    extrusion = false
    annular_fissure = true
    modic_1 = false

    [[pain]]
    date = 2021-03-01
    nrs = 6                      # 0-10
    vas = 58                     # 0-100 mm
    odi = 32                     # 0-100 %

:func:`load_record` validates everything at once (one :class:`~disctwin.errors.ConfigError`
naming every field, value and what is allowed) and returns a :class:`PatientRecord`;
:meth:`PatientRecord.observations` gives the arrays the twin's likelihood reads.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from disctwin.errors import ConfigError, Problem, read_text_file, suggest
from disctwin.model.states import LEVELS, N_LEVELS
from disctwin.units import DAYS_PER_YEAR

__all__ = [
    "DISC_FINDINGS",
    "Observations",
    "PatientRecord",
    "load_record",
    "record_from_dict",
]

#: Yes/no findings per level: record name -> the model's reading (:mod:`disctwin.model.records`).
DISC_FINDINGS = {
    "signal_loss": "disc_signal_loss",
    "height_loss": "disc_height_loss",
    "bulge": "disc_bulge",
    "protrusion": "disc_protrusion",
    "extrusion": "disc_extrusion",
    "annular_fissure": "annular_fissure",
    "modic_1": "modic_1",
}
_MIN_AGE, _MAX_AGE = 12.0, 95.0


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Patient(_Frozen):
    id: str = "patient"
    born: dt.date | None = None
    today: dt.date | None = None


class Covariates(_Frozen):
    """The population's covariates (:data:`disctwin.model.equations.COVARIATES`), each
    optional, with the population's bounds."""

    female: bool | None = None
    bmi: float | None = Field(default=None, ge=15.0, le=60.0)
    manual_labour: bool | None = None
    smoker: bool | None = None
    diabetes: bool | None = None
    genetic_risk_score: float | None = Field(default=None, ge=-5.0, le=5.0)
    depression: bool | None = None
    fear_avoidance: float | None = Field(default=None, ge=-4.0, le=4.0)


class DiscReading(_Frozen):
    pfirrmann: int | None = Field(default=None, ge=1, le=5)
    t2_relative: float | None = Field(default=None, gt=0.0, le=1.5)
    disc_height_index: float | None = Field(default=None, gt=0.0, le=1.5)
    signal_loss: bool | None = None
    height_loss: bool | None = None
    bulge: bool | None = None
    protrusion: bool | None = None
    extrusion: bool | None = None
    annular_fissure: bool | None = None
    modic_1: bool | None = None


class _Dated(_Frozen):
    date: dt.date | None = None
    age_years: float | None = Field(default=None, ge=_MIN_AGE, le=_MAX_AGE)

    @model_validator(mode="after")
    def _one_time(self):
        if (self.date is None) == (self.age_years is None):
            raise ValueError("give exactly one of date or age_years")
        return self


class MriStudy(_Dated):
    level: dict[str, DiscReading] = Field(min_length=1)


class PainReport(_Dated):
    nrs: int | None = Field(default=None, ge=0, le=10)
    vas: float | None = Field(default=None, ge=0.0, le=100.0)
    odi: float | None = Field(default=None, ge=0.0, le=100.0)


class PatientRecord(_Frozen):
    """A validated record (see module docs)."""

    patient: Patient = Patient()
    covariates: Covariates = Covariates()
    mri: tuple[MriStudy, ...] = ()
    pain: tuple[PainReport, ...] = ()

    def age_at(self, when: _Dated) -> float:
        if when.age_years is not None:
            return float(when.age_years)
        assert when.date is not None and self.patient.born is not None  # checked on load
        return (when.date - self.patient.born).days / DAYS_PER_YEAR

    @property
    def known_covariates(self) -> dict[str, float]:
        """The covariates the record gives, as model values (booleans 0/1)."""
        return {k: float(v) for k, v in self.covariates.model_dump().items() if v is not None}

    @property
    def age_now(self) -> float:
        """Age at ``patient.today`` (or at the last study)."""
        if self.patient.today is not None and self.patient.born is not None:
            return (self.patient.today - self.patient.born).days / DAYS_PER_YEAR
        ages = [self.age_at(s) for s in (*self.mri, *self.pain)]
        if not ages:
            raise ConfigError(
                Problem("patient.today", None, "a date (with patient.born), or at least one study")
            )
        return max(ages)

    def observations(self) -> Observations:
        return Observations.from_record(self)


@dataclass(frozen=True)
class Observations:
    """A record as arrays over its V distinct visit ages (missing: NaN, or -1 for flags).

    Attributes:
        ages_years: (V,) ascending.
        t2_relative, disc_height_index: (V, 5) measured values.
        pfirrmann: (V, 5) grades 1-5 (0: missing).
        findings: name -> (V, 5) int8 flags (1 yes, 0 no, -1 missing); names are the
            model's readings (``disc_protrusion`` ...).
        nrs, vas, odi: (V,) reports.
    """

    ages_years: np.ndarray
    t2_relative: np.ndarray
    disc_height_index: np.ndarray
    pfirrmann: np.ndarray
    findings: dict[str, np.ndarray]
    nrs: np.ndarray
    vas: np.ndarray
    odi: np.ndarray

    @property
    def n_observed(self) -> int:
        """How many values the record holds."""
        flags = sum(int((f >= 0).sum()) for f in self.findings.values())
        numeric = [self.t2_relative, self.disc_height_index, self.nrs, self.vas, self.odi]
        return (
            flags
            + int((self.pfirrmann > 0).sum())
            + sum(int(np.isfinite(a).sum()) for a in numeric)
        )

    @classmethod
    def from_record(cls, record: PatientRecord) -> Observations:
        ages = sorted({round(record.age_at(s), 6) for s in (*record.mri, *record.pain)})
        v = len(ages)
        col = {a: i for i, a in enumerate(ages)}
        t2 = np.full((v, N_LEVELS), np.nan)
        height = np.full((v, N_LEVELS), np.nan)
        grade = np.zeros((v, N_LEVELS), dtype=np.int8)
        findings = {m: np.full((v, N_LEVELS), -1, dtype=np.int8) for m in DISC_FINDINGS.values()}
        for study in record.mri:
            i = col[round(record.age_at(study), 6)]
            for level, reading in study.level.items():
                k = LEVELS.index(level)
                if reading.t2_relative is not None:
                    t2[i, k] = reading.t2_relative
                if reading.disc_height_index is not None:
                    height[i, k] = reading.disc_height_index
                if reading.pfirrmann is not None:
                    grade[i, k] = reading.pfirrmann
                for name, model_name in DISC_FINDINGS.items():
                    flag = getattr(reading, name)
                    if flag is not None:
                        findings[model_name][i, k] = int(flag)
        nrs, vas, odi = (np.full(v, np.nan) for _ in range(3))
        for report in record.pain:
            i = col[round(record.age_at(report), 6)]
            for name, arr in (("nrs", nrs), ("vas", vas), ("odi", odi)):
                value = getattr(report, name)
                if value is not None:
                    arr[i] = value
        return cls(np.array(ages), t2, height, grade, findings, nrs, vas, odi)


def _problems(err: ValidationError) -> list[Problem]:
    problems = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"])
        value = "(missing)" if e["type"] == "missing" else e.get("input")
        allowed = e["msg"].removeprefix("Value error, ").removeprefix("Input should be ")
        if e["type"] == "extra_forbidden":
            allowed = "a field of the patient record (see disctwin.inference.twin.record)"
        problems.append(Problem(loc or "record", value, allowed))
    return problems


def _check(record: PatientRecord, today: dt.date) -> list[Problem]:
    problems: list[Problem] = []
    born = record.patient.born
    for kind, studies in (("mri", record.mri), ("pain", record.pain)):
        for i, s in enumerate(studies):
            where = f"{kind}[{i}]"
            if s.date is not None:
                if born is None:
                    problems.append(Problem(f"{where}.date", str(s.date), "patient.born given"))
                    continue
                if s.date > today:
                    problems.append(Problem(f"{where}.date", str(s.date), f"a date up to {today}"))
                age = (s.date - born).days / DAYS_PER_YEAR
                if not _MIN_AGE <= age <= _MAX_AGE:
                    problems.append(
                        Problem(f"{where}.date", str(s.date), f"an age {_MIN_AGE:g}-{_MAX_AGE:g}")
                    )
            if kind == "mri":
                for level in s.level:  # type: ignore[attr-defined]
                    if level not in LEVELS:
                        problems.append(
                            Problem(
                                f"{where}.level",
                                level,
                                "a lumbar level: " + ", ".join(LEVELS),
                                suggest(level, LEVELS),
                            )
                        )
    if born is not None and born > today:
        problems.append(Problem("patient.born", str(born), f"a date before {today}"))
    if record.patient.today is not None:
        last = [s.date for s in (*record.mri, *record.pain) if s.date is not None]
        if last and max(last) > record.patient.today:
            problems.append(
                Problem("patient.today", str(record.patient.today), "on or after the last study")
            )
    return problems


def record_from_dict(data: dict[str, Any], *, today: dt.date | None = None) -> PatientRecord:
    """Validate a record given as a dict (parsed TOML/JSON); ``today`` bounds the dates
    (default: the machine's date)."""
    try:
        record = PatientRecord.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_problems(err)) from None
    problems = _check(record, today or dt.date.today())
    if problems:
        raise ConfigError(problems)
    return record


def load_record(path: str | Path, *, today: dt.date | None = None) -> PatientRecord:
    """Read and validate a patient record (``.toml`` or ``.json``)."""
    p = Path(path)
    text = read_text_file(p, "record", what="TOML or JSON file")
    try:
        data = json.loads(text) if p.suffix.lower() == ".json" else tomllib.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as err:
        raise ConfigError(Problem("record", str(p), f"valid TOML or JSON ({err})")) from None
    return record_from_dict(data, today=today)
