"""A sample-size search's directory: each evaluated N kept, so a search resumes.

``disctwin trial P.toml --find-n --out DIR`` opens ``DIR`` as a
:class:`~disctwin.io.rundir.RunDirectory` whose provenance is the protocol, the seed, the
replicates per N and the solver: what an N's replicate rows depend on (the target power,
the grid and the search range do not, so a search started again with another target or
grid reuses every N already evaluated). Each N's rows are written atomically to
``DIR/n/n000120.parquet`` as soon as they are simulated; a killed search started again
skips them. When the search ends, ``DIR/find_n.csv`` holds the power table.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from disctwin.engine import Engine
from disctwin.io.provenance import input_files, provenance
from disctwin.io.rundir import RunDirectory
from disctwin.trial.protocol import Protocol
from disctwin.trial.replicates import SampleSizeSearch
from disctwin.trial.simulate import protocol_input_files

__all__ = ["SearchDirectory"]


class SearchDirectory:
    """The run directory of a sample-size search (module docs); an
    :class:`~disctwin.trial.replicates.EvaluationStore`.

    Attributes:
        run: the run directory.
        reused: the N whose rows were read back rather than simulated, in order.
    """

    def __init__(self, run: RunDirectory) -> None:
        self.run = run
        self.reused: list[int] = []

    @classmethod
    def open(
        cls,
        out: str | Path,
        protocol: Protocol,
        seed: int,
        replicates: int,
        *,
        engine: Engine | None = None,
        field: str = "--out",
    ) -> SearchDirectory:
        """Start or resume the search in ``out`` (refusing a directory holding another run:
        :meth:`RunDirectory.open`)."""
        engine = engine or Engine()
        config = {
            "search": "sample_size",
            "protocol": protocol.model_dump(mode="json"),
            "seed": int(seed),
            "replicates_per_n": int(replicates),
            "solver": {"rtol": engine.rtol, "atol": engine.atol, "max_steps": engine.max_steps},
        }
        run = RunDirectory.open(
            out,
            provenance(config, input_files(protocol_input_files(protocol))),
            field=field,
            same="protocol, seed and replicates",
            subdirectories=("n",),
        )
        return cls(run)

    @staticmethod
    def part(n_total: int) -> str:
        """The file of N = ``n_total``'s rows, relative to the directory."""
        return f"n/n{int(n_total):06d}.parquet"

    def load(self, n_total: int) -> pd.DataFrame | None:
        """The rows of N = ``n_total`` if this search evaluated it before, else None."""
        if not self.run.is_done(self.part(n_total)):
            return None
        self.reused.append(int(n_total))
        return pq.read_table(self.run.path / self.part(n_total)).to_pandas()

    def save(self, n_total: int, rows: pd.DataFrame) -> None:
        """Write the rows of N = ``n_total`` (atomically)."""
        self.run.write_parquet(rows, self.part(n_total))

    def complete(self, result: SampleSizeSearch, **summary: object) -> dict:
        """Write ``find_n.csv`` and mark the run complete; return the manifest."""
        self.run.write_text("find_n.csv", result.table.to_csv(index=False))
        return self.run.complete(
            target_power=result.target_power,
            n_total=result.n_total,
            evaluated=[int(n) for n in result.table["n_total"]],
            reused=self.reused,
            **summary,
        )
