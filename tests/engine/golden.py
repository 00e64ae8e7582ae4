"""Golden trajectories: 200 patients untreated and under three regimens, as digests.

Made before the "one door to the engine" redesign (issue 22) from the code of commit
d87bbe3, so that the redesign can prove it changed no number: the SHA-256 of every state
(and of the parameters in force under a regimen) at the output ages must stay the same, bit
for bit. Regenerate (only for a change meant to alter the model's numbers, saying so in the
commit) with ``python tests/engine/golden.py --write``.

Bit-for-bit holds on one kind of processor: Numba compiles for the host CPU, and another
instruction set may round differently in the last bit. The file records the CPU it was made
on; on another CPU the test compares per-state means at the output ages to 1e-9 relative
instead of the digests.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
GOLDEN_FILE = Path(__file__).with_name("data") / "golden_trajectories.json"
N_PATIENTS = 200
SEED = 4711
TREATMENT_AGE_YEARS = 45.0
OUTPUT_AGES_YEARS = (20.0, 44.0, 45.0, 45.1, 46.0, 50.0, 60.0)
#: name -> regimen file (None: untreated, the natural history from age 10)
CASES = {
    "untreated": None,
    "gene_transfer_ad_tgfb1": "examples/regimens/intradiscal_ad_tgfb1.toml",
    "intrathecal_aav9_scn9a": "examples/regimens/intrathecal_aav9_scn9a_repressor.toml",
    "cell_therapy_discogenic": "examples/regimens/discogenic_cells_high.toml",
}


def host_cpu() -> str:
    import llvmlite.binding as llvm

    return f"{llvm.get_host_cpu_name()}|{llvm.get_host_cpu_features().flatten()}"


def _digest(*arrays: np.ndarray) -> str:
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str((a.dtype.str, a.shape)).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def compute() -> dict[str, dict]:
    """Digest and per-state means of every case (the current code's numbers)."""
    from disctwin.engine import simulate_twins
    from disctwin.population import sample_population
    from disctwin.therapies import load_regimen
    from disctwin.units import DAYS_PER_YEAR

    pop = sample_population(N_PATIENTS, seed=SEED)
    ages = np.array(OUTPUT_AGES_YEARS) * DAYS_PER_YEAR
    out: dict[str, dict] = {}
    for name, path in CASES.items():
        if path is None:
            from disctwin.engine import Engine
            from disctwin.population import PopulationSpec

            spec = PopulationSpec(n_patients=N_PATIENTS, seed=SEED)
            (chunk,) = Engine(chunk_size=N_PATIENTS).run(spec, OUTPUT_AGES_YEARS)
            states, params = chunk.states, chunk.population.parameters
            status = chunk.status
        else:
            twins = simulate_twins(
                pop,
                load_regimen(str(ROOT / path)),
                np.full(N_PATIENTS, TREATMENT_AGE_YEARS * DAYS_PER_YEAR),
                np.broadcast_to(ages, (N_PATIENTS, len(ages))),
            )
            states = np.stack([twins.treated, twins.untreated])
            params = twins.parameters_treated
            status = np.stack([twins.status_treated, twins.status_untreated])
        out[name] = {
            "digest": _digest(states, params, status),
            "state_means": np.nanmean(states.reshape(-1, *states.shape[-2:]), axis=0).tolist(),
        }
    return out


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/engine/golden.py --write")
    payload = {"cpu": host_cpu(), "n_patients": N_PATIENTS, "seed": SEED, "cases": compute()}
    GOLDEN_FILE.parent.mkdir(exist_ok=True)
    GOLDEN_FILE.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN_FILE}")
