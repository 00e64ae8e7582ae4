"""Files: simulation output (Parquet), provenance."""

from disctwin.io.provenance import provenance
from disctwin.io.simulation import PART_PATIENTS, SimulationRun, prevalence_by_age, run_simulation

__all__ = ["PART_PATIENTS", "SimulationRun", "prevalence_by_age", "provenance", "run_simulation"]
