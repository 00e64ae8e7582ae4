"""``disctwin trial``: run a protocol's replicate trials, or search its sample size."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from disctwin.cli.app import (
    MAX_SEED,
    app,
    check_out,
    console,
    err_console,
    out_path,
    user_errors,
)
from disctwin.errors import ConfigError, Problem
from disctwin.parallel import MAX_WORKERS
from disctwin.report.trial import plot_power_curve


def _fmt(x: float, se: float | None = None, digits: int = 3) -> str:
    if x != x:  # NaN
        return "-"
    text = f"{x:.{digits}f}"
    return text + (f" ± {se:.{digits}f}" if se is not None and se == se else "")


@app.command("trial")
@user_errors
def trial_command(
    protocol: Annotated[Path, typer.Argument(help="Protocol TOML file.")],
    replicates: Annotated[int, typer.Option(help="Independent trials to simulate.")] = 1,
    seed: Annotated[
        int, typer.Option(help="Run seed (replicate r uses a seed spawned from it).")
    ] = 2026,
    out: Annotated[
        Path | None,
        typer.Option(parser=out_path, help="Output directory (resumed if it holds the same run)."),
    ] = None,
    find_n: Annotated[
        bool, typer.Option("--find-n", help="Search the smallest total N reaching --power.")
    ] = False,
    power: Annotated[float, typer.Option(help="Target power for --find-n.")] = 0.9,
    n_max: Annotated[int, typer.Option(help="Largest total N --find-n tries.")] = 1000,
    validate: Annotated[
        bool, typer.Option("--validate", help="Only check the protocol; report every problem.")
    ] = False,
    workers: Annotated[
        int, typer.Option(help="Processes running replicates (results do not depend on it).")
    ] = 1,
    n_patients: Annotated[
        int | None,
        typer.Option(
            help="Patients to enrol per trial (instead of the protocol's study.n_patients)."
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Simulate a trial protocol: screening, randomisation, visits, dropout, endpoints and
    analysis, R times; print operating characteristics (power or type I error, bias and CI
    coverage against the simulated truth, sample size, stopping) and write CDISC SDTM/ADaM
    Parquet and a DuckDB database per replicate."""
    from disctwin.trial import check_protocol_inputs, load_protocol

    check_out(out, "directory")
    p = load_protocol(protocol)
    if n_patients is not None:
        p = _with_size(p, n_patients)
    check_protocol_inputs(p)  # the files it refers to exist and are valid
    if validate:
        console.print(f"{protocol}: valid ({len(p.arm)} arms, {len(p.endpoint)} endpoints)")
        return
    problems = []
    if not 1 <= replicates <= 1_000_000:
        problems.append(Problem("--replicates", replicates, "1 to 1,000,000"))
    if not 0 <= seed <= MAX_SEED:
        problems.append(Problem("--seed", seed, f"a whole number from 0 to {MAX_SEED}"))
    if find_n and not 2 <= n_max <= 100_000:
        problems.append(Problem("--n-max", n_max, "a total sample size from 2 to 100,000"))
    if not 1 <= workers <= MAX_WORKERS:
        problems.append(Problem("--workers", workers, f"1 to {MAX_WORKERS} processes"))
    if find_n and not 0 < power < 1:
        problems.append(Problem("--power", power, "a probability in (0, 1)"))
    if not find_n and out is None:
        problems.append(Problem("--out", None, "an output directory (or use --find-n)"))
    if problems:
        raise ConfigError(problems)
    if find_n:
        _find_n(p, replicates, seed, power, n_max, out, workers)
        return

    from disctwin.io.cdisc import write_run

    progress = Progress(
        TextColumn("[bold]trials"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        disable=quiet or not err_console.is_terminal,
    )
    with progress:
        task = progress.add_task("trials", total=replicates)
        manifest = write_run(
            p,
            replicates,
            seed,
            out,
            on_replicate=lambda _r: progress.advance(task),
            workers=workers,
        )
    _print_run(p, out, manifest)


def _with_size(p, n_patients: int):
    """The protocol with ``study.n_patients`` replaced, validated again (the run's manifest
    then records the size that ran)."""
    from disctwin.trial import protocol_from_dict

    data = p.model_dump(mode="json", exclude_none=True)
    data["study"]["n_patients"] = n_patients
    try:
        return protocol_from_dict(data, base_dir=p.base_dir)
    except ConfigError as err:
        problems = [
            Problem("--n-patients", x.value, x.allowed) if x.field == "study.n_patients" else x
            for x in err.problems
        ]
        raise ConfigError(problems) from None


def _print_run(p, out: Path, manifest: dict) -> None:
    import pandas as pd
    import pyarrow.parquet as pq

    screening = pq.read_table(out / "replicates" / "r00000" / "screening.parquet").to_pandas()
    first = screening.iloc[0]
    table = Table(
        title=f"Screening, replicate 0: {first['n_screened']} screened, "
        f"{first['n_enrolled']} enrolled"
    )
    table.add_column("criterion")
    table.add_column("screen failures", justify="right")
    for _, r in screening.iterrows():
        table.add_row(str(r["criterion"]), str(r["failures"]))
    console.print(table)

    oc = pd.read_csv(out / "operating_characteristics.csv")
    reps = int(oc["replicates"].iloc[0])
    table = Table(
        title=f"{p.study.id}: operating characteristics over {reps} trials "
        "(± Monte Carlo SE; truth: the same patients' noise-matched twins; analytic: the "
        "two-sample t-test power at the true effect and the trials' SE)"
    )
    for h in (
        "endpoint",
        "comparison",
        "reject",
        "analytic",
        "success",
        "mean est.",
        "truth",
        "bias",
        "coverage",
        "mean N",
    ):
        table.add_column(h, justify="left" if h in ("endpoint", "comparison") else "right")
    for _, r in oc.iterrows():
        table.add_row(
            str(r["endpoint"]) + (" (primary)" if r["primary"] else ""),
            str(r["comparison"]),
            _fmt(r["rejection_rate"], r["rejection_rate_mcse"], 2),
            _fmt(r.get("analytic_power", float("nan")), None, 2),
            _fmt(r["success_rate"], r["success_rate_mcse"], 2),
            _fmt(r["mean_estimate"]),
            _fmt(r["mean_truth"]),
            _fmt(r["bias"], r["bias_mcse"]),
            _fmt(r["coverage"], r["coverage_mcse"], 2),
            _fmt(r["mean_n_enrolled"], None, 1),
        )
    console.print(table)
    stops = [c for c in oc.columns if c.startswith("stop_")]
    if stops:
        prim = oc[oc["primary"]].iloc[0]
        console.print(
            "stopping probabilities: "
            + ", ".join(f"{c.removeprefix('stop_')} {prim[c]:.2f}" for c in stops)
            + f"; expected sample size {prim['mean_n_enrolled']:.1f}"
        )
    console.print(
        f"replicates written {manifest['replicates_written']}, resumed "
        f"{manifest['replicates_skipped']}, in {manifest['seconds']:.1f} s"
    )
    console.print(f"output: {out} (trial.duckdb, replicates.parquet, per-replicate SDTM/ADaM)")


def _find_n(
    p, replicates: int, seed: int, power: float, n_max: int, out: Path | None, workers: int
) -> None:
    from disctwin.trial import find_sample_size

    with console.status("searching the sample size") as status:
        result = find_sample_size(
            p,
            power,
            seed,
            replicates=replicates,
            n_max=n_max,
            workers=workers,
            on_evaluation=lambda n, pw, se: status.update(f"N = {n}: power {pw:.2f} ± {se:.2f}"),
        )
    table = Table(
        title=f"Power of the primary endpoint by total N ({result.replicates} trials each, "
        "± Monte Carlo SE)"
    )
    for h in ("total N", "per arm", "power", "analytic"):
        table.add_column(h, justify="right" if h != "per arm" else "left")
    for _, r in result.table.iterrows():
        table.add_row(
            str(r["n_total"]),
            r["n_per_arm"],
            _fmt(r["power"], r["power_mcse"], 3),
            _fmt(r["analytic_power"], None, 3),
        )
    console.print(table)
    if result.n_total is None:
        console.print(f"no N up to {n_max} reached power {power:g}")
    else:
        console.print(
            f"smallest N with estimated power >= {power:g}: {result.n_total} "
            "(neighbouring N within 2 MC SE of the target are not distinguishable; "
            "raise --replicates to sharpen)"
        )
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        result.table.to_csv(out / "find_n.csv", index=False)
        plot_power_curve(result, out / "power_curve.png", p.study.id)
        console.print(f"wrote {out / 'find_n.csv'} and {out / 'power_curve.png'}")
