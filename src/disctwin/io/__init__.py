"""Files: writing runs and reading inputs, apart from running them.

- :mod:`disctwin.io.rundir`: the run directory every run writes into: a directory holding a
  different run refused, the same run resumed, ``run.json`` and every part written
  atomically;
- :mod:`disctwin.io.simulation` and :mod:`disctwin.io.treatment`: natural-history and
  treated/untreated-twin runs to Parquet (columns from the record spec,
  :mod:`disctwin.model.records`), resumable and chunk-independent;
- :mod:`disctwin.io.cdisc`: trial runs as CDISC SDTM/ADaM Parquet and a DuckDB database;
- :mod:`disctwin.io.economics`: economic evaluations; :mod:`disctwin.io.sbml`: SBML export;
- :mod:`disctwin.io.provenance`: the model digest, versions, config and seed every output
  carries.
"""

from disctwin.io.provenance import provenance
from disctwin.io.rundir import RunDirectory
from disctwin.io.simulation import PART_PATIENTS, SimulationRun, prevalence_by_age, run_simulation

__all__ = [
    "PART_PATIENTS",
    "RunDirectory",
    "SimulationRun",
    "prevalence_by_age",
    "provenance",
    "run_simulation",
]
