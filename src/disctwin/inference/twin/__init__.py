"""A patient's own twin: a record, the posterior of their virtual patient, forecasts.

>>> rec = load_record("examples/patients/p0042.toml")          # doctest: +SKIP
>>> post = infer_twin(rec, n_particles=400, seed=1)             # doctest: +SKIP
>>> quantiles, benefit = forecast(post, 10, [load_regimen("saline_intradiscal")])  # doctest: +SKIP

See :mod:`~disctwin.inference.twin.record` (the record's schema),
:mod:`~disctwin.inference.twin.likelihood` (the observation model read backwards),
:mod:`~disctwin.inference.twin.posterior` (tempered SMC) and
:mod:`~disctwin.inference.twin.forecast`.
"""

from disctwin.inference.twin.forecast import forecast
from disctwin.inference.twin.posterior import TwinPosterior, infer_twin, infer_twins
from disctwin.inference.twin.record import PatientRecord, load_record, record_from_dict

__all__ = [
    "PatientRecord",
    "TwinPosterior",
    "forecast",
    "infer_twin",
    "infer_twins",
    "load_record",
    "record_from_dict",
]
