"""Run a regimen on a population: treated and untreated twins to Parquet, with their difference.

Output directory layout::

    OUT/run.json                      manifest: provenance (config, regimen, seed), progress
    OUT/patients/part-00000.parquet   one row per patient x follow-up time x twin
    OUT/discs/part-00000.parquet      one row per patient x follow-up time x level x twin
    OUT/adverse_events/part-00000.parquet   adverse events of the treated twins
    OUT/differences.csv               mean treated, untreated and treated - untreated of every
                                      observable at every follow-up time (and per level)

Every patient is treated at ``treatment_age`` (day 0 of the regimen) and observed at the
follow-up days. Both twins share the patient's parameters and random streams, measurement
noise included, so their difference is the treatment effect. Parts are written atomically and
skipped when a killed run is started again; a directory holding a different run is refused
(a :class:`~disctwin.io.rundir.RunDirectory`, as for :mod:`disctwin.io.simulation`).
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from disctwin.engine import STATUS_NAMES, Engine, simulate_twins
from disctwin.errors import ConfigError, Problem, suggest
from disctwin.io.provenance import input_files, parameter_inputs, provenance
from disctwin.io.rundir import RunDirectory
from disctwin.io.simulation import PART_PATIENTS
from disctwin.model import LEVELS, N_LEVELS
from disctwin.model.observables import measure
from disctwin.model.records import record_values, records
from disctwin.population import PopulationSpec
from disctwin.therapies import Regimen
from disctwin.therapies.catalogue import REGIONS
from disctwin.units import DAYS_PER_YEAR

__all__ = ["TreatmentRun", "run_treatment"]


@dataclass(frozen=True)
class TreatmentRun:
    """What :func:`run_treatment` did."""

    out_dir: Path
    n_patients: int
    status_counts: dict[str, dict[str, int]]
    adverse_events: int
    seconds: float
    differences: list[dict]


def _validate_days(days: Sequence[float]) -> np.ndarray:
    d = np.asarray(list(days), dtype=float)
    if d.ndim != 1 or d.size == 0 or not np.all(np.isfinite(d)) or np.any(np.diff(d) <= 0):
        raise ConfigError(
            Problem("follow_up_days", list(days), "a non-empty list of increasing days")
        )
    if d.min() < -3650 or d.max() > 36_525:
        raise ConfigError(Problem("follow_up_days", list(days), "days between -3650 and 36525"))
    return d


def _twin_tables(twins, twin: str, seed: int, days: np.ndarray) -> tuple[pa.Table, pa.Table]:
    pop = twins.population
    n, m = twins.ages_days.shape
    disc_true, patient_true = twins.true_observables(twin)
    measured = measure(
        disc_true,
        patient_true,
        pop.parameter_set,
        seed,
        pop.patient_index,
        times_days=twins.ages_days,
    )
    status = twins.status_treated if twin == "treated" else twins.status_untreated
    failed = np.repeat(status != 0, m)
    mask = failed if failed.any() else None
    pat = {
        "patient_index": pa.array(np.repeat(pop.patient_index, m)),
        "twin": pa.array([twin] * (n * m)).dictionary_encode(),
        "day": pa.array(np.tile(days, n)),
        "age_years": pa.array(twins.ages_days.reshape(-1) / DAYS_PER_YEAR),
        "status": pa.array(np.repeat([STATUS_NAMES[int(s)] for s in status], m)),
    }
    sources = {
        "measured_disc": measured.disc,
        "measured_patient": measured.patient,
        "disc_true": disc_true,
        "patient_true": patient_true,
        "states": twins.treated if twin == "treated" else twins.untreated,
    }
    for rec in records("treatment", "patient"):
        values = record_values(rec, **sources)
        pat[rec.name] = pa.array(values.reshape(-1), mask=mask)
    failed_d = np.repeat(status != 0, m * N_LEVELS)
    mask_d = failed_d if failed_d.any() else None
    disc = {
        "patient_index": pa.array(np.repeat(pop.patient_index, m * N_LEVELS)),
        "twin": pa.array([twin] * (n * m * N_LEVELS)).dictionary_encode(),
        "day": pa.array(np.tile(np.repeat(days, N_LEVELS), n)),
        "level": pa.array(np.tile(np.array(LEVELS), n * m)).dictionary_encode(),
    }
    for rec in records("treatment", "disc"):
        values = record_values(rec, **sources)
        disc[rec.name] = pa.array(values.reshape(-1), mask=mask_d)
    return pa.table(pat), pa.table(disc)


def run_treatment(
    spec: PopulationSpec,
    regimen: Regimen,
    treatment_age_years: float,
    follow_up_days: Sequence[float],
    out_dir: str | Path,
    *,
    engine: Engine | None = None,
    region: str = "us",
    on_progress: Callable[[int], None] | None = None,
    part_size: int = PART_PATIENTS,
    inputs: Mapping[str, str | Path | None] | None = None,
) -> TreatmentRun:
    """Simulate the twins of ``spec``'s patients under ``regimen`` and write ``out_dir``.

    Args:
        inputs: files the run was made from besides the parameter set (e.g. the regimen
            file, ``{"--regimen": path}``): their content is part of the run's identity.

    Raises:
        ConfigError: invalid inputs, or ``out_dir`` holding a different run (nothing is
            written before every input is validated).
    """
    engine = engine or Engine()
    days = _validate_days(follow_up_days)
    if not 18.0 <= treatment_age_years <= 95.0:
        raise ConfigError(Problem("treatment_age", treatment_age_years, "18 to 95 years"))
    ages = treatment_age_years * DAYS_PER_YEAR + days
    if ages.min() < 10 * DAYS_PER_YEAR or ages.max() > 100 * DAYS_PER_YEAR:
        raise ConfigError(
            Problem("follow_up_days", days.tolist(), "follow-up within ages 10 to 100")
        )
    if region not in REGIONS:
        raise ConfigError(Problem("region", region, ", ".join(REGIONS), suggest(region, REGIONS)))
    spec.parameter_set()
    config = {
        "population": spec.model_dump(),
        "regimen": regimen.to_dict(),
        "treatment_age_years": treatment_age_years,
        "follow_up_days": days.tolist(),
        "region": region,
        "solver": {"rtol": engine.rtol, "atol": engine.atol, "max_steps": engine.max_steps},
        "parameter_set": spec.parameter_set().name,
        "parameter_digest": spec.parameter_set().digest(),
        "part_patients": part_size,
    }
    files = input_files({**parameter_inputs(spec.parameter_file), **(inputs or {})})
    run = RunDirectory.open(
        out_dir, provenance(config, files), subdirectories=("patients", "discs", "adverse_events")
    )
    with run.running():
        return _treat_parts(spec, regimen, ages, days, run, engine, region, on_progress, part_size)


def _treat_parts(
    spec: PopulationSpec,
    regimen: Regimen,
    ages: np.ndarray,
    days: np.ndarray,
    run: RunDirectory,
    engine: Engine,
    region: str,
    on_progress: Callable[[int], None] | None,
    part_size: int,
) -> TreatmentRun:
    started = time.perf_counter()
    n_parts = -(-spec.n_patients // part_size)
    for part in range(n_parts):
        lo, hi = part * part_size, min(spec.n_patients, (part + 1) * part_size)
        parts = [
            f"{sub}/part-{part:05d}.parquet" for sub in ("patients", "discs", "adverse_events")
        ]
        if run.is_done(*parts):
            if on_progress:
                on_progress(hi - lo)
            continue
        # twin-major order within a part, so files do not depend on the chunk size
        pats: dict[str, list] = {"treated": [], "untreated": []}
        discs: dict[str, list] = {"treated": [], "untreated": []}
        aes = []
        for c_lo in range(lo, hi, engine.chunk_size):
            c_hi = min(hi, c_lo + engine.chunk_size)
            pop = spec.sample(c_lo, c_hi)
            twins = simulate_twins(
                pop,
                regimen,
                np.full(len(pop), ages[0] - days[0]),
                np.broadcast_to(ages, (len(pop), len(ages))),
                engine=engine,
                region=region,
            )
            for twin in ("treated", "untreated"):
                p, d = _twin_tables(twins, twin, spec.seed, days)
                pats[twin].append(p)
                discs[twin].append(d)
            aes.append(twins.adverse_events)
            if on_progress:
                on_progress(len(pop))
        for table, part_path in zip(
            (
                pa.concat_tables(pats["treated"] + pats["untreated"]),
                pa.concat_tables(discs["treated"] + discs["untreated"]),
                pa.concat_tables(aes),
            ),
            parts,
            strict=True,
        ):
            run.write_parquet(table.combine_chunks(), part_path, row_group_size=1_000_000)

    out = run.path
    differences = _differences(out, days)
    run.write_text("differences.csv", _csv_text(differences))
    patients = pq.read_table(out / "patients", columns=["twin", "day", "status"])
    first = patients.filter(pa.compute.equal(patients.column("day"), days[0]))
    counts = {}
    for twin in ("treated", "untreated"):
        names = first.column("twin").cast(pa.string())
        sel = first.filter(pa.compute.equal(names, pa.scalar(twin)))
        status = sel.column("status").to_pylist()
        counts[twin] = {name: status.count(name) for name in STATUS_NAMES.values()}
    n_ae = pq.read_table(out / "adverse_events").num_rows
    seconds = time.perf_counter() - started
    run.complete(status_counts=counts, adverse_events=n_ae, seconds=seconds)
    return TreatmentRun(out, spec.n_patients, counts, n_ae, seconds, differences)


def _differences(out: Path, days: np.ndarray) -> list[dict]:
    """Mean of each observable per twin and follow-up day, and the mean paired difference."""
    rows = []
    patients = pq.read_table(out / "patients").to_pandas()
    discs = pq.read_table(out / "discs").to_pandas()
    for frame, columns, by_level in (
        (patients, [r.name for r in records("treatment", "patient")], False),
        (discs, [r.name for r in records("treatment", "disc")], True),
    ):
        keys = ["patient_index", "day", "level"] if by_level else ["patient_index", "day"]
        treated = frame[frame.twin == "treated"].set_index(keys).sort_index()
        untreated = frame[frame.twin == "untreated"].set_index(keys).sort_index()
        for name in columns:
            diff = treated[name].astype(float) - untreated[name].astype(float)
            group = ["day", "level"] if by_level else ["day"]
            t_mean = treated[name].astype(float).groupby(level=group, observed=True).mean()
            u_mean = untreated[name].astype(float).groupby(level=group, observed=True).mean()
            d_mean = diff.groupby(level=group, observed=True).mean()
            d_sd = diff.groupby(level=group, observed=True).std(ddof=1)
            count = diff.groupby(level=group, observed=True).count()
            for key in d_mean.index:
                day, level = key if by_level else (key, "patient")
                rows.append(
                    {
                        "observable": name,
                        "level": level,
                        "day": float(day),
                        "treated_mean": float(t_mean[key]),
                        "untreated_mean": float(u_mean[key]),
                        "difference_mean": float(d_mean[key]),
                        "difference_se": float(d_sd[key] / np.sqrt(count[key]))
                        if count[key] > 1
                        else float("nan"),
                        "n": int(count[key]),
                    }
                )
    return rows


def _csv_text(rows: list[dict]) -> str:
    text = StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue()
