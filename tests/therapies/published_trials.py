"""Helpers of the published comparator-trial tests: the published values and one trial of
an example protocol (not a test module)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from disctwin.data import load_csv
from disctwin.trial import load_protocol, simulate_trial
from disctwin.trial.endpoints import endpoint_values

PROTOCOLS = Path(__file__).resolve().parents[2] / "examples" / "protocols"
ARMS = load_csv("control_and_comparator_arms.csv")


def published(study: str, timepoint: str, outcome: str) -> str:
    """The published value of one row of control_and_comparator_arms.csv."""
    (row,) = [
        r
        for r in ARMS
        if r["study"] == study
        and str(r["timepoint_months"]) == timepoint
        and r["outcome"] == outcome
    ]
    return str(row["value"])


def trial(name: str, n: int, seed: int):
    """One simulated trial of ``examples/protocols/<name>.toml`` with ``n`` patients."""
    return simulate_trial(load_protocol(PROTOCOLS / f"{name}.toml"), seed, n_patients=n)


def row(result, endpoint: str):
    """The result row of one endpoint (first comparison)."""
    r = result.results
    return r[r.endpoint == endpoint].iloc[0]


def arm_rates(result, endpoint: str) -> dict[str, float]:
    """Mean endpoint value per arm, as observed."""
    p = result.protocol
    values = endpoint_values(p, p.endpoint_named(endpoint), result.observed).value
    return {a.name: float(np.mean(values[result.arm == k])) for k, a in enumerate(p.arm)}
