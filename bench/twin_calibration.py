"""Calibration of a patient twin's forecasts on virtual patients the population never fitted.

Usage: python bench/twin_calibration.py [--patients 300] [--particles 200] [--seed 90210]

Issue 25's must-show: simulate virtual patients (a seed used nowhere else), give each twin
only their records at 40 and 45 (every level's measured T2, disc height index and Pfirrmann
grade; NRS and ODI; all with the model's measurement noise), forecast 55, and count how
often the 90% and 50% intervals hold the true (noise-free) T2 and height of each disc and
the expected pain (targets 85-95% and 42-58%). Also prints the ratio of the forecast's 90%
interval width to the population's (sharper than the prior: under 1), the spread of the
posterior predictive p-values (roughly uniform for a well-specified model) and the time per
twin. Patients are inferred in batches (one simulation per SMC step for the batch).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from disctwin.engine import simulate
from disctwin.inference.twin import infer_twins, record_from_dict
from disctwin.model.observables import measure
from disctwin.model.states import LEVELS
from disctwin.population import sample_population
from disctwin.units import DAYS_PER_YEAR

BINARY = ("female", "manual_labour", "smoker", "diabetes", "depression")
AGES = np.array([40.0, 45.0, 55.0])


def records_of(pop, m):
    out = []
    for i in range(len(pop)):
        cov = {k: bool(v[i]) if k in BINARY else float(v[i]) for k, v in pop.covariates.items()}
        mri = [
            {
                "age_years": float(a),
                "level": {
                    lv: {
                        "t2_relative": float(m.disc["t2_relative"][i, j, k]),
                        "disc_height_index": float(m.disc["disc_height_index"][i, j, k]),
                        "pfirrmann": int(m.disc["pfirrmann_grade"][i, j, k]),
                    }
                    for k, lv in enumerate(LEVELS)
                },
            }
            for j, a in enumerate(AGES[:2])
        ]
        pain = [
            {
                "age_years": float(a),
                "nrs": int(m.patient["nrs"][i, j]),
                "odi": float(m.patient["odi"][i, j]),
            }
            for j, a in enumerate(AGES[:2])
        ]
        out.append(record_from_dict({"covariates": cov, "mri": mri, "pain": pain}))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=300)
    ap.add_argument("--particles", type=int, default=200)
    ap.add_argument("--batch", type=int, default=25)
    ap.add_argument("--seed", type=int, default=90210)
    a = ap.parse_args()
    pop = sample_population(a.patients, seed=a.seed)
    run = simulate(pop, ages_days=AGES * DAYS_PER_YEAR)
    disc, patient = run.true_observables()
    times = np.tile(AGES * DAYS_PER_YEAR, (a.patients, 1))
    m = measure(disc, patient, pop.parameter_set, a.seed, pop.patient_index, times_days=times)
    records = records_of(pop, m)
    hits = {k: [] for k in ("t2_90", "t2_50", "h_90", "h_50", "pain_90", "pain_50")}
    widths, ppp = [], []
    started = time.perf_counter()
    for lo in range(0, a.patients, a.batch):
        batch = records[lo : lo + a.batch]
        for b, post in enumerate(infer_twins(batch, n_particles=a.particles, seed=a.seed + lo)):
            i = lo + b
            ppp.append(post.ppp)
            d, p = simulate(post.population, ages_days=AGES[2:] * DAYS_PER_YEAR).true_observables()
            for key, name in (("t2", "t2_relative"), ("h", "disc_height_relative")):
                q = np.quantile(d[name][:, 0, :], [0.05, 0.25, 0.75, 0.95], axis=0)
                true = disc[name][i, 2]
                hits[f"{key}_90"] += list((q[0] <= true) & (true <= q[3]))
                hits[f"{key}_50"] += list((q[1] <= true) & (true <= q[2]))
                if key == "t2":
                    widths += list(q[3] - q[0])
            pain = np.clip(p["pain_reported_mean"][:, 0], 0, 10)
            true_pain = float(np.clip(patient["pain_reported_mean"][i, 2], 0, 10))
            q = np.quantile(pain, [0.05, 0.25, 0.75, 0.95])
            hits["pain_90"].append(q[0] <= true_pain <= q[3])
            hits["pain_50"].append(q[1] <= true_pain <= q[2])
        print(f"{min(lo + a.batch, a.patients)} twins, {time.perf_counter() - started:.0f} s")
    seconds = time.perf_counter() - started
    prior = simulate(sample_population(2000, seed=a.seed + 1), ages_days=AGES[2:] * DAYS_PER_YEAR)
    t2p = prior.true_observables()[0]["t2_relative"][:, 0, :]
    prior_width = (np.quantile(t2p, 0.95, axis=0) - np.quantile(t2p, 0.05, axis=0)).mean()
    for key, values in hits.items():
        target = "85-95%" if key.endswith("90") else "42-58%"
        print(f"coverage {key}: {100 * np.mean(values):.1f}% (target {target}, n={len(values)})")
    print(f"T2 90% interval width / population's: {np.mean(widths) / prior_width:.2f}")
    print(
        "posterior predictive p deciles:", np.round(np.quantile(ppp, np.linspace(0.1, 0.9, 9)), 2)
    )
    print(f"{seconds:.0f} s for {a.patients} twins ({seconds / a.patients:.1f} s each, batched)")


if __name__ == "__main__":
    main()
