"""SAS transport (XPORT version 5) files of CDISC datasets, through pyreadstat.

FDA and PMDA take SDTM and ADaM datasets as SAS XPORT version 5 files (FDA Study Data
Technical Conformance Guide, section 3.3.1): one dataset per file, dataset and variable
names of at most 8 characters, labels of at most 40, character values of at most 200 bytes,
numbers as 8-byte IBM floating point. :func:`write_xpt` checks a dataset against those
rules (:func:`disctwin.io.cdisc_metadata.transport_problems`) and writes it with
`pyreadstat <https://github.com/Roche/pyreadstat>`_ (ReadStat's writer), each variable with
its label; dates (``ADT``, ``TRTSDT``...) become SAS dates. :func:`read_xpt` reads one back
(``tests/io/test_xpt.py`` round-trips every dataset of a trial).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

import pandas as pd

from disctwin.io.cdisc_metadata import label, transport_problems

__all__ = ["read_xpt", "transport_frame", "write_xpt"]


def transport_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as it is stored in a transport file: numbers as floats (SAS has one
    numeric type), character values with missing ones blank, dates as dates."""
    out = {}
    for name in frame.columns:
        column = frame[name]
        values = column.dropna()
        if len(values) and isinstance(values.iloc[0], date):
            out[name] = column.astype(object).where(column.notna(), None)  # type: ignore[call-overload]
        elif pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
            out[name] = column.astype(float)
        else:
            out[name] = column.astype(object).where(column.notna(), "").astype(str)
    return pd.DataFrame(out, index=frame.index)


def write_xpt(
    frame: pd.DataFrame,
    path: str | Path,
    dataset: str,
    *,
    labels: Mapping[str, str] | None = None,
    file_label: str = "",
) -> Path:
    """Write ``frame`` as the XPORT v5 file ``path``, named ``dataset`` (upper-cased) with
    every variable's label (:func:`~disctwin.io.cdisc_metadata.label`; ``labels`` first).

    Raises:
        ValueError: the dataset breaks the transport rules (every problem listed).
    """
    import pyreadstat

    problems = transport_problems(dataset, frame, labels)
    if problems:
        raise ValueError("; ".join(problems))
    path = Path(path)
    column_labels: dict[str, str | None] = {
        name: label(dataset, name, labels) or "" for name in frame.columns
    }
    pyreadstat.write_xport(
        transport_frame(frame),
        str(path),
        file_label=file_label[:40],
        column_labels=column_labels,
        table_name=dataset.upper(),
        file_format_version=5,
    )
    return path


def read_xpt(path: str | Path) -> tuple[pd.DataFrame, dict[str, str], str]:
    """(data, variable labels, dataset name) of an XPORT file; character values as
    strings (missing ones blank), numbers as floats, dates as dates."""
    import pyreadstat

    frame, meta = pyreadstat.read_xport(str(path))
    for name in frame.columns:
        if frame[name].dtype == object:
            values = frame[name].dropna()
            if len(values) and isinstance(values.iloc[0], date):
                frame[name] = frame[name].astype(object).where(frame[name].notna(), None)  # type: ignore[call-overload]
            else:
                frame[name] = frame[name].fillna("").astype(str)
        elif pd.api.types.is_numeric_dtype(frame[name]):
            frame[name] = frame[name].astype(float)
    labels = {k: v or "" for k, v in meta.column_names_to_labels.items()}
    return frame, labels, str(meta.table_name or "")
