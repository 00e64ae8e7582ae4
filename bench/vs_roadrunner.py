"""DiscTwin's engine vs libRoadRunner on the same patients, in one run.

Usage: python bench/vs_roadrunner.py [--n-patients 2000] [--years 10] [--processes 2]

Each patient's model is integrated from age 10 for ``--years`` with monthly output, at
rtol 1e-6 (atol 1e-10) in every solver. libRoadRunner loads the exported structural SBML
once, then for each patient: reset, set the patient's parameter values, simulate (its usual
loop); and the same loop split over a process pool. Answers are compared before timing.
Prints patients per second and the ratios.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import tempfile
import time
from pathlib import Path

import numpy as np

from disctwin.engine import compiled_model
from disctwin.io.sbml import build_document, sbml_id
from disctwin.model import DISC_STATES, N_LEVELS, PATIENT_STATES, initial_state
from disctwin.params import load_parameter_set
from disctwin.population import default_parameter_vector, sample_population
from disctwin.units import DAYS_PER_YEAR

_RR = None  # per-process RoadRunner instance


def _parameter_ids(layout) -> list[str]:
    ids = [""] * layout.size
    for name in layout.names:
        off, width = layout.offsets[name], layout.widths[name]
        for k in range(width):
            ids[off + k] = name if width == 1 else sbml_id(name, k)
    return ids


def _state_ids() -> list[str]:
    ids = [sbml_id(s.name, k) for k in range(N_LEVELS) for s in DISC_STATES]
    return ids + [s.name for s in PATIENT_STATES]


def _init(sbml_path: str, param_ids: list[str], t_out: np.ndarray) -> None:
    global _RR, _IDS, _T
    import roadrunner

    _RR = roadrunner.RoadRunner(sbml_path)
    _RR.integrator.relative_tolerance = 1e-6
    _RR.integrator.absolute_tolerance = 1e-10
    _RR.integrator.maximum_num_steps = 100_000
    _RR.timeCourseSelections = ["time", *_state_ids()]
    _IDS = param_ids
    _T = t_out


def _simulate(params: np.ndarray) -> np.ndarray:
    rr = _RR
    rr.resetAll()
    for pid, value in zip(_IDS, params, strict=True):
        rr.setValue(pid, float(value))
    return np.asarray(rr.simulate(_T[0], _T[-1], len(_T)))[:, 1:]


def _simulate_many(block: np.ndarray) -> np.ndarray:
    return np.stack([_simulate(p) for p in block])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-patients", type=int, default=2000)
    ap.add_argument("--years", type=float, default=10.0)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()

    pop = sample_population(args.n_patients, seed=args.seed)
    n_months = round(args.years * 12)
    t_out = (10.0 + np.arange(n_months + 1) / 12.0) * DAYS_PER_YEAR
    ps = load_parameter_set()
    doc = build_document(ps, pop.layout, default_parameter_vector(ps, pop.layout))
    import libsbml

    folder = Path(tempfile.mkdtemp(prefix="disctwin-bench-"))
    sbml_path = str(folder / "structural.xml")
    libsbml.writeSBMLToFile(doc, sbml_path)
    param_ids = _parameter_ids(pop.layout)

    model = compiled_model(pop.layout)
    solve = dict(rtol=1e-6, atol=1e-10, max_steps=100_000)
    model.solve(t_out[0], initial_state(), pop.parameters[:2], t_out, **solve)  # compile/load

    # check answers before timing
    _init(sbml_path, param_ids, t_out)
    n_check = min(20, args.n_patients)
    rr_check = _simulate_many(pop.parameters[:n_check])
    eng_check, _, _ = model.solve(
        t_out[0], initial_state(), pop.parameters[:n_check], t_out, **solve
    )
    rel = np.max(np.abs(eng_check - rr_check) / (np.abs(rr_check) + 1e-6))
    if rel > 1e-2:  # both solvers at rtol 1e-6: they agree to ~1e-3, not better
        raise SystemExit(f"answers disagree (max rel diff {rel:.2e}); not timing")

    t = time.perf_counter()
    _, status, steps = model.solve(t_out[0], initial_state(), pop.parameters, t_out, **solve)
    engine_s = time.perf_counter() - t

    t = time.perf_counter()
    _simulate_many(pop.parameters)
    rr_s = time.perf_counter() - t

    blocks = np.array_split(pop.parameters, args.processes * 8)
    ctx = mp.get_context("fork")
    with ctx.Pool(
        args.processes, initializer=_init, initargs=(sbml_path, param_ids, t_out)
    ) as pool:
        pool.map(_simulate_many, blocks[: args.processes])  # warm up every worker
        t = time.perf_counter()
        pool.map(_simulate_many, blocks)
        pool_s = time.perf_counter() - t

    n = args.n_patients
    e, r, p = n / engine_s, n / rr_s, n / pool_s
    print(
        f"{n} patients, {args.years:g} years from age 10, monthly output ({len(t_out)} points), "
        f"rtol 1e-6 / atol 1e-10 everywhere; max rel diff engine vs libRoadRunner {rel:.1e}"
    )
    print(
        f"DiscTwin engine:                  {e:10,.0f} patients/s  (status ok "
        f"{np.sum(status == 0)}/{n}, mean {steps.mean():.0f} steps)"
    )
    print(f"libRoadRunner loop (1 process):   {r:10,.0f} patients/s")
    print(f"libRoadRunner pool ({args.processes} processes): {p:10,.0f} patients/s")
    print(
        f"ratio DiscTwin / libRoadRunner loop: {e / r:.1f}x; / {args.processes}-process pool: "
        f"{e / p:.1f}x"
    )


if __name__ == "__main__":
    main()
