"""Run a population simulation to Parquet: resumable, chunk-independent, with provenance.

Output directory layout::

    OUT/run.json                    manifest: provenance, config, progress, timings
    OUT/discs/part-00000.parquet    one row per patient x age x lumbar level
    OUT/patients/part-00000.parquet one row per patient x age
    OUT/summary.csv                 per-person prevalence of each finding by age

Patients are written in fixed parts of :data:`PART_PATIENTS` (part ``k`` holds patients
``k*PART_PATIENTS`` .. ``(k+1)*PART_PATIENTS - 1``), each written atomically (temporary file,
then rename) once all its patients are simulated. The engine's chunk size only decides how
a part is computed, so files are byte-identical whatever the chunk size or thread count. A
killed run, started again with the same configuration and output directory, skips the
parts already written: no patient is lost or written twice. The directory (refusing a
different run, resuming, the manifest, atomic parts) is a
:class:`~disctwin.io.rundir.RunDirectory`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from disctwin.engine import STATUS_NAMES, Engine, Trajectories
from disctwin.errors import ConfigError, Problem
from disctwin.io.provenance import input_files, parameter_inputs, provenance
from disctwin.io.rundir import RunDirectory
from disctwin.model import LEVELS, N_LEVELS, validate_ages
from disctwin.model.observables import FINDINGS, measure, true_observables
from disctwin.model.records import record_values, records
from disctwin.population import PopulationSpec

__all__ = [
    "PART_PATIENTS",
    "SimulationRun",
    "output_bytes",
    "prevalence_by_age",
    "run_simulation",
]

#: Patients per output part file (fixed: part boundaries never depend on the chunk size).
PART_PATIENTS = 10_000
#: Bytes written per patient and recorded age, about (measured: 1,000 patients at 7 ages
#: write 4.3 MB; a regimen's two twins at 6 follow-up days, 600 bytes per patient-day).
BYTES_PER_PATIENT_AGE = 700


def output_bytes(n_patients: int, n_ages: int) -> int:
    """About how many bytes a simulation of ``n_patients`` at ``n_ages`` ages writes."""
    return int(n_patients) * int(n_ages) * BYTES_PER_PATIENT_AGE


@dataclass(frozen=True)
class SimulationRun:
    """What :func:`run_simulation` did."""

    out_dir: Path
    n_patients: int
    parts_written: int
    parts_skipped: int
    status_counts: dict[str, int]
    seconds: float


def _masked(values: np.ndarray, failed: np.ndarray) -> pa.Array:
    return pa.array(values, mask=failed if failed.any() else None)


def chunk_tables(result: Trajectories, seed: int) -> tuple[pa.Table, pa.Table]:
    """Disc and patient tables of one chunk (true and measured observables)."""
    pop = result.population
    n, m = len(pop), len(result.ages_days)
    disc_true, patient_true = true_observables(
        result.states, pop.parameters, pop.layout, result.ages_days
    )
    measured = measure(disc_true, patient_true, pop.parameter_set, seed, pop.patient_index)
    sources: dict[str, Any] = {
        "measured_disc": measured.disc,
        "measured_patient": measured.patient,
        "disc_true": disc_true,
        "patient_true": patient_true,
        "states": result.states,
    }
    failed_p = np.repeat(result.status != 0, m)  # (n*m,)
    failed_d = np.repeat(result.status != 0, m * N_LEVELS)
    ages = result.ages_days / 365.25

    disc_cols: dict[str, pa.Array] = {
        "patient_index": pa.array(np.repeat(pop.patient_index, m * N_LEVELS)),
        "age_years": pa.array(np.tile(np.repeat(ages, N_LEVELS), n)),
        "level": pa.array(np.tile(np.array(LEVELS), n * m)).dictionary_encode(),
    }
    for rec in records("simulation", "disc"):
        disc_cols[rec.name] = _masked(record_values(rec, **sources).reshape(-1), failed_d)

    status_names = np.array([STATUS_NAMES[int(s)] for s in result.status])
    pat_cols: dict[str, pa.Array] = {
        "patient_index": pa.array(np.repeat(pop.patient_index, m)),
        "age_years": pa.array(np.tile(ages, n)),
        "status": pa.array(np.repeat(status_names, m)).dictionary_encode(),
    }
    for name, values in pop.covariates.items():
        pat_cols[name] = pa.array(np.repeat(values, m))
    for rec in records("simulation", "patient"):
        pat_cols[rec.name] = _masked(record_values(rec, **sources).reshape(-1), failed_p)
    return pa.table(disc_cols), pa.table(pat_cols)


def _config(spec: PopulationSpec, ages: np.ndarray, engine: Engine, part_size: int) -> dict:
    return {
        "population": spec.model_dump(),
        "ages_years": ages.tolist(),
        # tolerances change results (within tolerance); chunk size and threads do not
        "solver": {"rtol": engine.rtol, "atol": engine.atol, "max_steps": engine.max_steps},
        "parameter_set": spec.parameter_set().name,
        "parameter_digest": spec.parameter_set().digest(),
        "part_patients": part_size,
    }


def run_simulation(
    spec: PopulationSpec,
    ages_years: Sequence[float],
    out_dir: str | Path,
    *,
    engine: Engine | None = None,
    on_progress: Callable[[int], None] | None = None,
    part_size: int = PART_PATIENTS,
) -> SimulationRun:
    """Simulate ``spec`` and write the output directory (see module docs).

    Raises:
        ConfigError: invalid ages, or ``out_dir`` holding a different run. Nothing is
            written before every input has been validated.
    """
    engine = engine or Engine()
    ages = validate_ages(ages_years)
    spec.parameter_set()  # validate the parameter file before touching the disk
    if part_size < 1:
        raise ConfigError(Problem("part_size", part_size, "a positive number of patients"))
    inputs = input_files(parameter_inputs(spec.parameter_file))
    run = RunDirectory.open(
        out_dir,
        provenance(_config(spec, ages, engine, part_size), inputs),
        subdirectories=("discs", "patients"),
    )
    with run.running():
        return _simulate_parts(spec, ages, engine, run, part_size, on_progress)


def _simulate_parts(
    spec: PopulationSpec,
    ages: np.ndarray,
    engine: Engine,
    run: RunDirectory,
    part_size: int,
    on_progress: Callable[[int], None] | None,
) -> SimulationRun:

    started = time.perf_counter()
    counts = dict.fromkeys(STATUS_NAMES.values(), 0)
    written = skipped = 0
    n_parts = -(-spec.n_patients // part_size)
    for part in range(n_parts):
        lo = part * part_size
        hi = min(spec.n_patients, lo + part_size)
        disc_part, pat_part = (f"{sub}/part-{part:05d}.parquet" for sub in ("discs", "patients"))
        if run.is_done(disc_part, pat_part):
            skipped += 1
            if on_progress:
                on_progress(hi - lo)
            continue
        disc_tables, pat_tables = [], []
        for chunk in engine.run(spec, ages, start=lo, stop=hi):
            d, p = chunk_tables(chunk, spec.seed)
            disc_tables.append(d)
            pat_tables.append(p)
            for k, v in chunk.status_counts().items():
                counts[k] += v
            if on_progress:
                on_progress(len(chunk.population))
        for tables, part_path in ((disc_tables, disc_part), (pat_tables, pat_part)):
            table = pa.concat_tables(tables).combine_chunks()
            run.write_parquet(table, part_path, row_group_size=1_000_000)
        written += 1

    run.write_text("summary.csv", _summary_csv(prevalence_by_age(run.path)))
    seconds = time.perf_counter() - started
    final_counts = _status_counts(run.path)
    run.complete(
        status_counts=final_counts,
        seconds=seconds,
        parts_written=written,
        parts_skipped=skipped,
    )
    return SimulationRun(run.path, spec.n_patients, written, skipped, final_counts, seconds)


def _status_counts(out: Path) -> dict[str, int]:
    table = pq.read_table(out / "patients", columns=["age_years", "status"])
    first_age = pc.equal(table.column("age_years"), pc.min(table.column("age_years")))
    status = table.filter(first_age).column("status").cast(pa.string()).to_pylist()
    return {name: status.count(name) for name in STATUS_NAMES.values()}


def prevalence_by_age(out: str | Path) -> dict[str, dict[float, float]]:
    """Per-person prevalence (%) of each finding and of chronic pain by age, from the files.

    Patients whose integration failed are excluded (their values are null).
    """
    cols = ["age_years"] + [f"any_{f}" for f in FINDINGS] + ["chronic_pain"]
    table = pq.read_table(Path(out) / "patients", columns=cols)
    ages = table.column("age_years").to_numpy()
    result: dict[str, dict[float, float]] = {}
    for name in cols[1:]:
        col = table.column(name)
        valid = ~np.asarray(col.is_null().to_numpy(zero_copy_only=False))
        filled = col.fill_null(pa.scalar(False))
        values = np.asarray(filled.to_numpy(zero_copy_only=False), dtype=bool)
        key = name.removeprefix("any_")
        result[key] = {}
        for a in np.unique(ages):
            sel = (ages == a) & valid
            result[key][float(a)] = 100.0 * values[sel].mean() if sel.any() else float("nan")
    return result


def _summary_csv(summary: dict[str, dict[float, float]]) -> str:
    ages = sorted(next(iter(summary.values())).keys())
    lines = ["finding," + ",".join(f"age_{a:g}" for a in ages)]
    for name, by_age in summary.items():
        lines.append(name + "," + ",".join(f"{by_age[a]:.3f}" for a in ages))
    return "\n".join(lines) + "\n"
