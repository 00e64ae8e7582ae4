"""PSA throughput of the economic layer: 1,000 draws x 2,000 patients x 3 strategies.

Usage: python bench/psa.py [--draws 1000] [--n-patients 2000] [--horizon 60] [--seed 1]

Times what ``disctwin economics`` does per PSA draw (issue 24: under 30 minutes on 2
cores): draw every US unit cost uniformly within its shipped range, evaluate the lifetime
model (utilities, background and overdose mortality, care, opioid and adverse-event costs,
discounting; quarterly cycles) of each strategy on the same patients, keep the (draws x
strategies) costs and QALYs, then CEAC and EVPI. The follow-ups are synthetic, seeded
trajectories of pain, ODI and opioid dose for three strategies (conservative care, long-term
opioids, a one-time therapy), so the benchmark needs no engine run; the work per draw is
the same as after a simulation.

Before timing it checks its answers: a draw with every cost at its base value reproduces
the deterministic totals exactly, EVPI is >= 0, and the CEAC sums to 1 at every threshold.
Prints seconds per draw, the total, and the ratio to the issue's 30-minute budget.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from disctwin.economics import (
    Discounting,
    LifetimeInputs,
    LifetimeSettings,
    PSAResult,
    ceac,
    evpi,
    lifetime_outcomes,
    load_adverse_event_utilities,
    load_cost_items,
    load_life_table,
    load_overdose_mortality,
    load_utility_mapping,
    strategy_totals,
)
from disctwin.economics.lifetime import FollowUp
from disctwin.economics.schema import CostItem

BUDGET_S = 30 * 60.0  # issue 24: 1,000 draws x 2,000 patients x 3 strategies in 30 minutes
STRATEGIES = ("Conservative care", "Long-term opioids", "One-time therapy")


def follow_ups(n: int, seed: int) -> list[FollowUp]:
    """Three strategies on the same ``n`` synthetic patients (seeded)."""
    rng = np.random.default_rng([seed, 24])
    times = np.array([0.0, 0.25, 0.5, 1.0, 2.0])
    age = rng.uniform(40.0, 60.0, n)
    female = rng.random(n) < 0.5
    pain0 = np.clip(rng.normal(6.0, 1.5, n), 0, 10)
    odi0 = np.clip(rng.normal(40.0, 12.0, n), 0, 100)
    relief = {"Conservative care": 0.15, "Long-term opioids": 0.3, "One-time therapy": 0.5}
    doses = {"Conservative care": 0.0, "Long-term opioids": 60.0, "One-time therapy": 0.0}
    out = []
    for name in STRATEGIES:
        fall = relief[name] * (1 - np.exp(-times / 0.5))
        pain = pain0[:, None] * (1 - fall)[None, :]
        odi = odi0[:, None] * (1 - fall)[None, :]
        mme = np.where(times[None, :] > 0, doses[name], 0.0) * np.ones((n, 1))
        events = None
        if name == "Long-term opioids":
            rows = np.flatnonzero(rng.random(n) < 0.05)
            events = pd.DataFrame(
                {
                    "row": rows,
                    "years": rng.uniform(0, 2, rows.size),
                    "term": "opioid_misuse",
                    "severity": 2,
                }
            )
        out.append(
            FollowUp(
                strategy=name,
                population=f"bench(n={n}, seed={seed})",
                patient_ids=np.arange(n),
                age_years=age,
                female=female,
                times_years=times,
                pain=pain,
                odi=odi,
                mme=mme,
                events=events,
                one_off_costs=("intrathecal_administration", "mri_lumbar")
                if name == "One-time therapy"
                else ("conservative_care_course",),
                acquisition_units=1.0 if name == "One-time therapy" else 0.0,
            )
        )
    return out


def evaluate(
    fus: list[FollowUp], costs: dict[str, CostItem], settings: LifetimeSettings
) -> pd.DataFrame:
    """Mean discounted cost and QALYs of each strategy (what each PSA draw computes)."""
    tables = {s: load_life_table("USA", s) for s in ("female", "male")}
    inputs = LifetimeInputs(
        costs,
        load_utility_mapping(),
        tables,
        load_overdose_mortality(),
        load_adverse_event_utilities(),
        price=20000.0,
    )
    return strategy_totals([lifetime_outcomes(f, inputs, settings).patient_outcomes() for f in fus])


def run(draws: int, fus: list[FollowUp], settings: LifetimeSettings, seed: int) -> PSAResult:
    base = load_cost_items("USA")
    rng = np.random.default_rng([seed, 2024])
    costs, effects, rows = [], [], []
    for _ in range(draws):
        drawn = {
            name: item.model_copy(update={"value": float(rng.uniform(*item.range))})
            for name, item in base.items()
        }
        totals = evaluate(fus, drawn, settings)
        costs.append(totals["cost"].to_numpy())
        effects.append(totals["qaly"].to_numpy())
        rows.append({name: item.value for name, item in drawn.items()})
    return PSAResult(STRATEGIES, pd.DataFrame(rows), np.array(costs), np.array(effects))


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--n-patients", type=int, default=2000)
    ap.add_argument("--horizon", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    settings = LifetimeSettings(horizon_years=args.horizon, discounting=Discounting(0.03, 0.03))
    fus = follow_ups(args.n_patients, args.seed)

    # check the answers before timing anything
    base = load_cost_items("USA")
    deterministic = evaluate(fus, base, settings)
    again = evaluate(fus, {n: i.model_copy() for n, i in base.items()}, settings)
    assert deterministic.equals(again), "a base-value draw must reproduce the base case"
    small = run(20, fus, settings, args.seed)
    thresholds = np.linspace(0, 200_000, 21)
    assert (evpi(small, thresholds)["evpi"] >= -1e-9).all(), "EVPI must be >= 0"
    sums = ceac(small, thresholds).groupby("threshold")["probability"].sum()
    assert np.allclose(sums, 1.0), "the CEAC must sum to 1 at every threshold"
    print("checks passed: base-value draw = base case, EVPI >= 0, CEAC sums to 1")

    start = time.perf_counter()
    psa = run(args.draws, fus, settings, args.seed)
    curves = ceac(psa, thresholds)
    value = evpi(psa, thresholds)
    elapsed = time.perf_counter() - start
    print(
        f"PSA: {args.draws} draws x {args.n_patients} patients x {len(STRATEGIES)} strategies, "
        f"{args.horizon:g}-year horizon, quarterly cycles"
    )
    print(f"  {elapsed:.1f} s in all, {elapsed / args.draws * 1000:.1f} ms per draw")
    print(f"  {elapsed / BUDGET_S:.3f} of the issue's 30-minute budget ({BUDGET_S / elapsed:.0f}x)")
    print(f"  CEAC rows {len(curves)}, EVPI at 100,000/QALY {float(value['evpi'].iloc[10]):,.0f}")


if __name__ == "__main__":
    main()
