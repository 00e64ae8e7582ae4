"""Files: run directories (refused, resumed, written atomically), simulation output
(Parquet), provenance."""

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
