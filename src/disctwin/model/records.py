"""The record spec: every recorded quantity declared once.

A :class:`Record` says what one recorded quantity is (name, disc or patient level, noise-free
model value or measured reading, unit, meaning), where its values come from (a measured
reading of :func:`~disctwin.model.observables.measure`, a noise-free model observable, a
state, or a per-person finding at any lumbar level) and where it is recorded:

- ``simulation``: the Parquet files of ``disctwin simulate`` (:mod:`disctwin.io.simulation`);
- ``treatment``: the treated/untreated twin files and ``differences.csv``
  (:mod:`disctwin.io.treatment`);
- ``screening``: the MRI variables per lumbar level that trial eligibility criteria read
  (:data:`disctwin.trial.protocol.DISC_VARIABLES`) and the patient-reported measures taken
  at screening and baseline;
- ``visit``: the measures taken at every trial visit, which endpoints read
  (:data:`disctwin.trial.protocol.MEASURES`, :class:`disctwin.trial.endpoints.FollowUp`);
- ``sensitivity``: the quantities a global sensitivity analysis may ask for
  (:mod:`disctwin.inference.sensitivity`, ``quantity@age``): a yes/no record as the
  per-person prevalence (%; a disc finding at any lumbar level), a numeric one as its mean
  (over patients, and levels for a disc record).

A record with a :class:`Cdisc` code is written to that SDTM domain (QS: questionnaires, MO:
morphology/imaging) and to ADQS by :mod:`disctwin.io.cdisc`.

Adding a recorded quantity is one entry in :data:`RECORDS` (and, for a new model quantity,
its observable in :mod:`disctwin.model.processes`): every writer, vocabulary and analysis
above reads this table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

from disctwin.model.states import DISC_STATES, N_LEVELS, PATIENT_STATES, state_index

__all__ = [
    "OUTPUTS",
    "RECORDS",
    "Cdisc",
    "Record",
    "record",
    "record_values",
    "records",
]

#: Where a record may be recorded (see the module docstring).
OUTPUTS = ("simulation", "treatment", "screening", "visit", "sensitivity")

Level = Literal["disc", "patient"]
Source = Literal["measured", "observable", "state", "finding"]


@dataclass(frozen=True)
class Cdisc:
    """How a record is submitted: SDTM domain, test code (<= 8 characters), test name, unit."""

    domain: Literal["QS", "MO", "CM"]
    testcd: str
    test: str
    unit: str = ""

    def __post_init__(self) -> None:
        if not (1 <= len(self.testcd) <= 8 and self.testcd.isalnum() and self.testcd.isupper()):
            raise ValueError(f"CDISC test code {self.testcd!r}: 1-8 upper-case letters/digits")


@dataclass(frozen=True)
class Record:
    """One recorded quantity.

    Attributes:
        name: its name everywhere (Parquet column, protocol vocabulary, sensitivity output).
        level: ``disc`` (one value per lumbar level) or ``patient``.
        truth: ``true`` (noise-free model value) or ``measured`` (a reading with measurement
            noise, or a category read from one).
        unit: SI-style unit string ("1" for dimensionless, "ms", "points", "%", "mg/day").
        meaning: one line for people.
        source: where values come from: ``measured`` (:class:`~disctwin.model.observables.
            Measured`), ``observable`` (noise-free model observable), ``state`` (a model
            state), ``finding`` (a disc finding at any lumbar level, per person).
        key: the name in that source (defaults to ``name``).
        outputs: where it is recorded (:data:`OUTPUTS`).
        cdisc: its SDTM code, if it is submitted.
        better: for a measure endpoints read, which way favours the patient (``lower``:
            pain, disability, grade; ``higher``: T2, disc height); None otherwise.

    A disc record among the ``visit`` measures is read at the trial's MRI visits (the
    screening scan is the baseline), as the mean over each patient's treated (index)
    levels.
    """

    name: str
    level: Level
    truth: Literal["true", "measured"]
    unit: str
    meaning: str
    source: Source
    outputs: frozenset[str]
    key: str = ""
    cdisc: Cdisc | None = None
    better: Literal["lower", "higher"] | None = None

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", self.name)
        unknown = set(self.outputs) - set(OUTPUTS)
        if unknown:
            raise ValueError(f"record {self.name!r}: unknown outputs {sorted(unknown)}")
        if "visit" in self.outputs and self.better is None:
            raise ValueError(f"record {self.name!r}: a visit measure says which way is better")
        if self.source == "finding" and self.level != "patient":
            raise ValueError(f"record {self.name!r}: a finding at any level is per patient")

    @property
    def described(self) -> str:
        """Meaning with its unit, for vocabularies."""
        return self.meaning if self.unit in ("", "1") else f"{self.meaning} ({self.unit})"


def _r(
    name, level, truth, unit, meaning, source, outputs, key="", cdisc=None, better=None
) -> Record:
    return Record(name, level, truth, unit, meaning, source, frozenset(outputs), key, cdisc, better)


_SIM, _TX, _SCR, _VISIT, _SENS = OUTPUTS
_DISC_STATE_UNITS = {s.name: (s.unit, s.meaning) for s in DISC_STATES}
_PATIENT_STATE_UNITS = {s.name: (s.unit, s.meaning) for s in PATIENT_STATES}
_FINDINGS = (
    ("disc_degeneration", "Pfirrmann grade >= III", (_SIM, _TX, _SCR, _SENS)),
    ("disc_signal_loss", "T2 signal loss", (_SIM, _SCR, _SENS)),
    ("disc_height_loss", "disc height loss", (_SIM, _SCR, _SENS)),
    ("disc_bulge", "bulge", (_SIM, _TX, _SCR, _SENS)),
    ("disc_protrusion", "protrusion", (_SIM, _TX, _SCR, _SENS)),
    ("annular_fissure", "annular fissure", (_SIM, _TX, _SCR, _SENS)),
)

#: Every recorded quantity, in output column order within each level.
RECORDS: tuple[Record, ...] = (
    # --- per disc, measured (MRI readings) ---
    _r("t2_ms", "disc", "measured", "ms", "measured NP T2", "measured", (_SIM,)),
    _r(
        "t2_relative",
        "disc",
        "measured",
        "1",
        "measured NP T2 relative to adolescence",
        "measured",
        (_SIM, _TX, _SCR, _VISIT),
        cdisc=Cdisc("MO", "T2REL", "Nucleus T2 Relative to Adolescence"),
        better="higher",
    ),
    _r(
        "disc_height_index",
        "disc",
        "measured",
        "1",
        "measured disc height relative to adolescence",
        "measured",
        (_SIM, _TX, _SCR, _VISIT),
        cdisc=Cdisc("MO", "DHI", "Disc Height Index (relative to adolescence)"),
        better="higher",
    ),
    _r(
        "pfirrmann_grade",
        "disc",
        "measured",
        "1",
        "Pfirrmann grade I-V (1-5), read by a rater",
        "measured",
        (_SIM, _TX, _SCR, _VISIT),
        cdisc=Cdisc("MO", "PFIRRMAN", "Pfirrmann Grade"),
        better="lower",
    ),
    *(
        _r(
            name,
            "disc",
            "measured",
            "1",
            meaning,
            "measured",
            outputs,
            cdisc=Cdisc("MO", "PROTRUS", "Disc Protrusion") if name == "disc_protrusion" else None,
        )
        for name, meaning, outputs in _FINDINGS
    ),
    _r(
        "disc_extrusion",
        "disc",
        "measured",
        "1",
        "extrusion",
        "measured",
        (_SIM, _TX, _SCR),
        cdisc=Cdisc("MO", "EXTRUS", "Disc Extrusion"),
    ),
    _r(
        "modic_1",
        "disc",
        "measured",
        "1",
        "Modic type 1 endplate change (vertebral marrow oedema) next to the disc",
        "measured",
        (_SIM, _SCR),
        cdisc=Cdisc("MO", "MODIC1", "Modic Type 1 Endplate Change"),
    ),
    # --- per disc, noise-free model values ---
    _r(
        "t2_relative_true",
        "disc",
        "true",
        "1",
        "NP T2 relative to adolescence",
        "observable",
        (_SIM,),
        "t2_relative",
    ),
    _r(
        "disc_height_true",
        "disc",
        "true",
        "1",
        "disc height relative to adolescence",
        "observable",
        (_SIM,),
        "disc_height_relative",
    ),
    _r(
        "herniation_true",
        "disc",
        "true",
        "1",
        "herniated NP volume fraction",
        "observable",
        (_SIM,),
        "herniation",
    ),
    _r(
        "annular_damage_true",
        "disc",
        "true",
        "1",
        "extent of annular fissuring (0-1)",
        "observable",
        (_SIM,),
        "annular_damage_extent",
    ),
    _r(
        "inflammation_true",
        "disc",
        "true",
        "1",
        "inflammation index",
        "observable",
        (_SIM, _TX),
        "inflammation",
    ),
    _r(
        "glucose_true",
        "disc",
        "true",
        "1",
        "NP-centre glucose (relative)",
        "observable",
        (_SIM,),
        "glucose",
    ),
    _r("ph_true", "disc", "true", "pH", "NP-centre pH", "observable", (_SIM,), "ph"),
    _r(
        "nociceptive_input_true",
        "disc",
        "true",
        "1",
        "nociceptive input from the disc to the dorsal horn",
        "observable",
        (_SIM, _TX),
        "disc_nociceptive_input",
    ),
    _r(
        "nerve_ingrowth_true",
        "disc",
        "true",
        _DISC_STATE_UNITS["innervation"][0],
        _DISC_STATE_UNITS["innervation"][1],
        "state",
        (_SIM, _TX, _SENS),
        "innervation",
    ),
    *(
        _r(name, "disc", "true", "1", meaning, "observable", (_TX,))
        for name, meaning in (
            ("proteoglycan_synthesis", "NP aggrecan synthesis relative to adolescence"),
            ("transgene_activity", "transgene activity in the disc (0 untreated)"),
            ("adamts_relative_expression", "ADAMTS expression relative to untreated"),
            ("mmp_relative_expression", "MMP expression relative to untreated"),
        )
    ),
    # --- per patient, measured (patient-reported) ---
    _r(
        "nrs",
        "patient",
        "measured",
        "points",
        "low back pain intensity, NRS 0-10",
        "measured",
        (_SIM, _TX, _SCR, _VISIT),
        cdisc=Cdisc("QS", "NRS", "Low back pain intensity, numeric rating scale", "points"),
        better="lower",
    ),
    _r(
        "vas",
        "patient",
        "measured",
        "mm",
        "low back pain intensity, VAS 0-100",
        "measured",
        (_SIM, _TX, _SCR, _VISIT),
        cdisc=Cdisc("QS", "VAS", "Low back pain intensity, visual analogue scale", "mm"),
        better="lower",
    ),
    _r(
        "odi",
        "patient",
        "measured",
        "%",
        "Oswestry disability index, 0-100",
        "measured",
        (_SIM, _TX, _SCR, _VISIT),
        cdisc=Cdisc("QS", "ODI", "Oswestry Disability Index", "%"),
        better="lower",
    ),
    _r(
        "opioid_mme",
        "patient",
        "true",
        "mg/day",
        "opioid taken, morphine milligram equivalents per day (0 = off all opioids)",
        "observable",
        (_VISIT,),
        "opioid_daily_mme",
        Cdisc("CM", "OPIOMME", "Opioid use (morphine milligram equivalents per day)", "mg MME"),
        "lower",
    ),
    # --- per patient, noise-free ---
    _r(
        "pain_reported_mean",
        "patient",
        "true",
        "points",
        "expected reported pain, NRS scale",
        "measured",
        (_SIM, _TX, _SENS),
    ),
    _r(
        "pain_latent",
        "patient",
        "true",
        "points",
        "pain before reporting modifiers, NRS scale",
        "measured",
        (_SIM, _TX),
    ),
    _r(
        "chronic_pain",
        "patient",
        "true",
        "1",
        "noise-free expected pain at or above the model's chronic-pain threshold",
        "measured",
        (_SIM, _SCR, _SENS),
    ),
    _r(
        "central_sensitisation_true",
        "patient",
        "true",
        _PATIENT_STATE_UNITS["central_sensitisation"][0],
        _PATIENT_STATE_UNITS["central_sensitisation"][1],
        "state",
        (_SIM,),
        "central_sensitisation",
    ),
    *(
        _r(name, "patient", "true", "1", meaning, "observable", (_TX,))
        for name, meaning in (
            ("nav17_relative_expression", "Nav1.7 expression in nociceptors relative to untreated"),
            ("transgenic_opioid_tone", "opioid tone from a transgene (0 untreated)"),
        )
    ),
    # --- per patient, a disc finding at any lumbar level ---
    *(
        _r(
            f"any_{name}",
            "patient",
            "measured",
            "1",
            f"{meaning} at any lumbar level",
            "finding",
            (_SIM,),
            name,
        )
        for name, meaning, _ in _FINDINGS
    ),
)

_BY_NAME: dict[str, Record] = {r.name: r for r in RECORDS}
if len(_BY_NAME) != len(RECORDS):  # pragma: no cover - a programming error, caught at import
    raise RuntimeError("duplicate record names in RECORDS")


def record(name: str) -> Record:
    """The record called ``name`` (KeyError if none)."""
    return _BY_NAME[name]


def records(output: str, level: Level | None = None) -> tuple[Record, ...]:
    """Records written to ``output`` (one of :data:`OUTPUTS`), optionally of one level."""
    if output not in OUTPUTS:
        raise ValueError(f"unknown output {output!r}; one of {', '.join(OUTPUTS)}")
    return tuple(r for r in RECORDS if output in r.outputs and (level is None or r.level == level))


def record_values(
    rec: Record,
    *,
    measured_disc: Mapping[str, np.ndarray] | None = None,
    measured_patient: Mapping[str, np.ndarray] | None = None,
    disc_true: Mapping[str, np.ndarray] | None = None,
    patient_true: Mapping[str, np.ndarray] | None = None,
    states: np.ndarray | None = None,
) -> np.ndarray:
    """Values of ``rec``: (n, m, 5) for disc records, (n, m) for patient records.

    Pass the sources the record may read (the measured readings, the noise-free observables,
    the (n, m, n_states) states); a missing source raises ValueError naming it.
    """

    def need(source: Mapping[str, np.ndarray] | np.ndarray | None, what: str):
        if source is None:
            raise ValueError(f"record {rec.name!r} reads {what}, which was not given")
        return source

    if rec.source == "measured":
        table = measured_disc if rec.level == "disc" else measured_patient
        return np.asarray(need(table, f"measured {rec.level} readings")[rec.key])
    if rec.source == "observable":
        table = disc_true if rec.level == "disc" else patient_true
        return np.asarray(need(table, f"true {rec.level} observables")[rec.key])
    if rec.source == "finding":
        readings = np.asarray(need(measured_disc, "measured disc readings")[rec.key])
        return np.asarray(readings.any(axis=-1))
    y = need(states, "states")
    if rec.level == "patient":
        return np.asarray(y[:, :, state_index(rec.key)])
    columns = [state_index(rec.key, level) for level in range(N_LEVELS)]
    return np.asarray(y[:, :, columns])
