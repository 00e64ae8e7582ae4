"""The metadata of DiscTwin's CDISC datasets: variable labels, names, terms, transport rules.

Shipped as data beside this module (``io/data``), each row naming its source:

* ``cdisc_variables.csv``: the label of every variable written (SDTMIG 3.4 and ADaMIG 1.3
  labels where the IG defines the variable, ``DiscTwin (sponsor-defined)`` otherwise);
  ``dataset`` blank means any dataset, ``--SEQ``-style names any SDTM domain's prefix.
  Labels travel with the data: in each Parquet file's field metadata (key ``label``,
  :func:`labelled_table`) and in the SAS transport files (:mod:`disctwin.io.xpt`).
* ``ae_terms.csv``: each harm's adverse-event term (``AEDECOD``) and body system or organ
  class (``AEBODSYS``, one of the MedDRA system organ class names). The terms are
  DiscTwin's own, **not MedDRA-coded** (MedDRA is licensed; a sponsor codes them).

:func:`transport_problems` checks a dataset against the SAS XPORT version 5 rules that
FDA's Study Data Technical Conformance Guide requires (variable names at most 8
characters, letters, digits and underscores, a letter first; labels at most 40
characters; character values at most 200 bytes; dataset names at most 8 characters).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = [
    "ADAM_SOURCES",
    "AE_TERMS",
    "COUNTRY",
    "SITEID",
    "XPT_MAX_CHARS",
    "XPT_MAX_LABEL",
    "XPT_MAX_NAME",
    "ae_term",
    "label",
    "labelled_table",
    "route",
    "transport_problems",
    "variable_metadata",
]

#: SAS XPORT v5 limits: name and label lengths, bytes of a character value.
XPT_MAX_NAME = 8
XPT_MAX_LABEL = 40
XPT_MAX_CHARS = 200
#: The one virtual site every simulated patient is enrolled at.
SITEID = "001"
#: ISO 3166-1 alpha-3 country of the virtual patients: the trial simulates them under the
#: ``us`` seroprevalence region (:class:`disctwin.engine.Dosing`).
COUNTRY = "USA"
#: The SDTM domain whose variables an ADaM dataset copies (labels looked up there too).
ADAM_SOURCES = {"adae": "ae", "adsl": "dm", "adqs": "qs", "adtte": ""}

_SAS_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")

#: SDTM route of administration (CDISC CT codelist ROUTE, C66729, submission values) of a
#: regimen's dose route; oral drugs by modality.
_ROUTES = {
    "intradiscal": "INTRADISCAL",
    "intrathecal": "INTRATHECAL",
    "intradermal": "INTRADERMAL",
    "epidural": "EPIDURAL",
}
_ORAL_MODALITIES = ("opioid", "nsaid")


@cache
def variable_metadata() -> pd.DataFrame:
    """The shipped variable table (``dataset``, ``variable``, ``label``, ``source``)."""
    text = resources.files("disctwin.io").joinpath("data/cdisc_variables.csv").read_text("utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    return pd.DataFrame(rows, columns=["dataset", "variable", "label", "source"]).fillna("")


@cache
def _labels() -> dict[tuple[str, str], str]:
    t = variable_metadata()
    return {(d, v): lab for d, v, lab in zip(t["dataset"], t["variable"], t["label"], strict=True)}


def label(dataset: str, variable: str, extra: Mapping[str, str] | None = None) -> str | None:
    """The label of ``variable`` in ``dataset`` (``dm``, ``adsl``, ``suppex``...): the
    dataset's own entry, then that of the SDTM domain an ADaM dataset copies, then any
    dataset's, then the ``--`` pattern of an SDTM domain's prefixed variables; ``extra``
    first (labels made at run time, e.g. an analysis covariate's). None if none."""
    if extra and variable in extra:
        return extra[variable]
    table = _labels()
    for d in (dataset, ADAM_SOURCES.get(dataset, ""), ""):
        if (d, variable) in table:
            return table[(d, variable)]
    for d in (dataset.removeprefix("supp"), ADAM_SOURCES.get(dataset, "")):
        domain, pattern = d.upper(), ("", "--" + variable[2:])
        if len(domain) == 2 and variable.startswith(domain) and pattern in table:
            return table[pattern]
    return None


@cache
def _ae_terms() -> dict[str, tuple[str, str]]:
    text = resources.files("disctwin.io").joinpath("data/ae_terms.csv").read_text("utf-8")
    return {r["term"]: (r["aedecod"], r["aebodsys"]) for r in csv.DictReader(text.splitlines())}


#: harm term -> (AEDECOD, AEBODSYS).
AE_TERMS: Mapping[str, tuple[str, str]] = _ae_terms()


def ae_term(term: str) -> tuple[str, str]:
    """(``AEDECOD``, ``AEBODSYS``) of a harm's term; a term missing from the table gets
    its own name upper-cased and an empty body system (a test keeps the table complete)."""
    return AE_TERMS.get(term, (term.replace("_", " ").upper(), ""))


def route(modality: str, dose_route: str | None) -> str:
    """SDTM ``EXROUTE`` of a dose: its route's CT submission value, ``ORAL`` for tablets,
    empty where no route applies (physical therapy)."""
    if dose_route is not None:
        return _ROUTES.get(dose_route, dose_route.upper())
    return "ORAL" if modality in _ORAL_MODALITIES else ""


def labelled_table(
    frame: pd.DataFrame, dataset: str, extra: Mapping[str, str] | None = None
) -> pa.Table:
    """``frame`` as an Arrow table whose fields carry their labels (field metadata
    ``label``; :func:`label`).

    Raises:
        ValueError: a variable without a label (add it to ``cdisc_variables.csv``).
    """
    table = pa.Table.from_pandas(frame, preserve_index=False)
    fields = []
    missing = []
    for f in table.schema:
        text = label(dataset, f.name, extra)
        if text is None:
            missing.append(f.name)
            continue
        fields.append(f.with_metadata({"label": text}))
    if missing:
        raise ValueError(f"{dataset}: variables without a label: {', '.join(missing)}")
    return table.cast(pa.schema(fields))


def transport_problems(
    dataset: str, frame: pd.DataFrame, extra: Mapping[str, str] | None = None
) -> list[str]:
    """Every way ``frame`` breaks the SAS XPORT v5 rules (module docs); empty if none."""
    problems = []
    if not (len(dataset) <= XPT_MAX_NAME and _SAS_NAME.match(dataset.upper())):
        problems.append(f"dataset name {dataset!r}: at most {XPT_MAX_NAME} characters")
    for name in frame.columns:
        if not (len(name) <= XPT_MAX_NAME and _SAS_NAME.match(name)):
            problems.append(f"{dataset}.{name}: a SAS name of at most {XPT_MAX_NAME} characters")
        text = label(dataset, name, extra)
        if text is None:
            problems.append(f"{dataset}.{name}: no label")
        elif len(text) > XPT_MAX_LABEL:
            problems.append(f"{dataset}.{name}: label longer than {XPT_MAX_LABEL} ({text!r})")
        column = frame[name]
        if column.dtype == object:
            strings = column.dropna().astype(str)
            sizes = strings.map(lambda x: len(x.encode("utf-8")))
            longest = int(sizes.max()) if len(strings) else 0
            if longest > XPT_MAX_CHARS:
                problems.append(f"{dataset}.{name}: a value of {longest} bytes (> {XPT_MAX_CHARS})")
            if not strings.map(str.isascii).all():
                problems.append(f"{dataset}.{name}: non-ASCII characters")
        elif not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)):
            problems.append(f"{dataset}.{name}: type {column.dtype} (numeric or character)")
        elif pd.api.types.is_float_dtype(column) and np.isinf(column.to_numpy(float)).any():
            problems.append(f"{dataset}.{name}: infinite values")
    return problems
