"""A patient twin's run directory::

OUT/run.json           provenance (the record as read, options, seed), diagnostics
OUT/posterior.parquet  the posterior draws: covariates, log-likelihood, variability normals
OUT/forecast.csv       quantiles (5, 25, 50, 75, 95%) and mean by strategy, quantity,
                       level and age
OUT/benefit.csv        per regimen: mean pain gain at the horizon, P(gain >= MCID),
                       P(any adverse event)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from disctwin.inference.twin import TwinPosterior
from disctwin.io.provenance import provenance
from disctwin.io.rundir import RunDirectory

__all__ = ["TwinRun", "write_twin"]


@dataclass(frozen=True)
class TwinRun:
    out_dir: Path
    manifest: dict


def _posterior_table(post: TwinPosterior) -> pa.Table:
    cols: dict[str, pa.Array] = {"draw": pa.array(np.arange(post.n_draws))}
    cols.update({k: pa.array(v) for k, v in post.population.covariates.items()})
    cols["log_likelihood"] = pa.array(post.log_likelihood)
    for j in range(post.z.shape[1]):
        cols[f"z{j:03d}"] = pa.array(post.z[:, j])
    return pa.table(cols)


def write_twin(
    post: TwinPosterior,
    quantiles: pd.DataFrame,
    benefit: pd.DataFrame,
    config: dict,
    out: str | Path,
) -> TwinRun:
    """Write the twin's results (module docs); ``config`` is what the run was asked (the
    record, regimens, horizon, particles, seed) and goes into the provenance."""
    run = RunDirectory.open(Path(out), provenance(config))
    run.write_parquet(_posterior_table(post), "posterior.parquet")
    run.write_text("forecast.csv", quantiles.to_csv(index=False))
    run.write_text("benefit.csv", benefit.to_csv(index=False))
    manifest = run.complete(
        diagnostics={
            "particles": post.n_draws,
            "stages": post.stages,
            "ess": list(post.ess),
            "acceptance": list(post.acceptance),
            "log_evidence": post.log_evidence,
            "posterior_predictive_p": None if np.isnan(post.ppp) else post.ppp,
        }
    )
    return TwinRun(Path(out), manifest)
