"""Engine throughput vs a SciPy solve_ivp loop on the same patients, in one run.

Usage: python bench/engine.py [--n-patients 4000] [--n-scipy 20] [--years 70] [--threads N]

Both integrate from age 10 with yearly output, at matched accuracy: the engine at its
defaults (rtol 1e-6, atol 1e-10), the SciPy loop (LSODA with the analytic, lambdified
Jacobian, one patient at a time) at rtol 1e-6, atol 1e-9, which give about the same
error. Before timing, each is checked against a tight Radau reference (rtol 1e-11) on the
first ``--n-scipy`` patients and both errors are printed (max over states and outputs of
|x - ref| / (|ref| + 1e-6)). Prints patient-years per second of each and their ratio.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from disctwin.engine import compiled_model
from disctwin.engine.reference import reference_model
from disctwin.model import initial_state
from disctwin.population import sample_population
from disctwin.units import DAYS_PER_YEAR


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-patients", type=int, default=4000)
    ap.add_argument("--n-scipy", type=int, default=20)
    ap.add_argument("--years", type=float, default=70.0)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    import numba

    if args.threads:
        numba.set_num_threads(args.threads)
    pop = sample_population(args.n_patients, seed=args.seed)
    t_out = (10.0 + np.arange(0.0, args.years + 1e-9, 1.0)) * DAYS_PER_YEAR
    y0 = initial_state()
    engine_tol = {"rtol": 1e-6, "atol": 1e-10}
    scipy_tol = {"rtol": 1e-6, "atol": 1e-9}

    t = time.perf_counter()
    model = compiled_model(pop.layout)
    model.solve(t_out[0], y0, pop.parameters[:2], t_out, max_steps=100_000, **engine_tol)
    compile_s = time.perf_counter() - t

    ref = reference_model(pop.layout)
    n_s = min(args.n_scipy, args.n_patients)

    # check the answers before timing anything
    truth = np.stack(
        [
            ref.solve(t_out[0], y0, p, t_out, method="Radau", rtol=1e-11, atol=1e-14)
            for p in pop.parameters[:n_s]
        ]
    )
    eng_sub, status, _ = model.solve(
        t_out[0], y0, pop.parameters[:n_s], t_out, max_steps=100_000, **engine_tol
    )
    t = time.perf_counter()
    scipy_sub = np.stack(
        [
            ref.solve(t_out[0], y0, p, t_out, method="LSODA", **scipy_tol)
            for p in pop.parameters[:n_s]
        ]
    )
    scipy_s = time.perf_counter() - t

    def error(x):
        return np.max(np.abs(x - truth) / (np.abs(truth) + 1e-6))

    err_engine, err_scipy = error(eng_sub), error(scipy_sub)
    if not np.all(status == 0) or max(err_engine, err_scipy) > 1e-3:
        raise SystemExit(f"inaccurate (engine {err_engine:.1e}, SciPy {err_scipy:.1e}); not timing")

    t = time.perf_counter()
    _, status, steps = model.solve(
        t_out[0], y0, pop.parameters, t_out, max_steps=100_000, **engine_tol
    )
    engine_s = time.perf_counter() - t

    py_engine = args.n_patients * args.years / engine_s
    py_scipy = n_s * args.years / scipy_s
    threads = numba.get_num_threads()
    print(
        f"model: {model.n_states} states, {pop.layout.size} parameters per patient; "
        f"{args.years:g} years per patient, yearly output, rtol 1e-6, atol 1e-9"
    )
    print(
        f"machine: {os.cpu_count()} cores; engine threads: {threads}; "
        f"compile/load: {compile_s:.1f} s"
    )
    print(
        f"error vs Radau rtol 1e-11 on {n_s} patients: engine (rtol 1e-6, atol 1e-10) "
        f"{err_engine:.1e}, SciPy LSODA (rtol 1e-6, atol 1e-9) {err_scipy:.1e}"
    )
    print(
        f"engine:     {args.n_patients:>6} patients in {engine_s:8.2f} s = "
        f"{py_engine:12,.0f} patient-years/s  (mean {steps.mean():.0f} steps/patient, "
        f"status ok {np.sum(status == 0)}/{len(status)})"
    )
    print(f"SciPy loop: {n_s:>6} patients in {scipy_s:8.2f} s = {py_scipy:12,.0f} patient-years/s")
    print(
        f"ratio engine / SciPy: {py_engine / py_scipy:,.0f}x "
        f"(per core: {py_engine / threads / py_scipy:,.0f}x)"
    )


if __name__ == "__main__":
    main()
