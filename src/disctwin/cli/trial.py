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
from disctwin.cli.formatting import estimate_text as _fmt
from disctwin.cli.formatting import rate_text
from disctwin.errors import ConfigError, Problem
from disctwin.parallel import MAX_WORKERS
from disctwin.report.trial import plot_power_curve

#: ``--replicates`` of a run when none is given (a sample-size search has its own default,
#: :data:`disctwin.trial.SEARCH_REPLICATES`).
RUN_REPLICATES = 1


@app.command("trial")
@user_errors
def trial_command(
    protocol: Annotated[Path, typer.Argument(help="Protocol TOML file.")],
    replicates: Annotated[
        int | None,
        typer.Option(
            help="Independent trials to simulate (default 1; with --find-n, trials per N: "
            "default 200, at least 50)."
        ),
    ] = None,
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
    n_grid: Annotated[
        str | None,
        typer.Option(
            help="With --find-n: evaluate exactly these total sample sizes (comma-separated) "
            "instead of bisecting."
        ),
    ] = None,
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
    from disctwin.trial import MIN_SEARCH_REPLICATES, SEARCH_REPLICATES

    problems = []
    if replicates is None:
        replicates = SEARCH_REPLICATES if find_n else RUN_REPLICATES
    if find_n and not MIN_SEARCH_REPLICATES <= replicates <= 1_000_000:
        problems.append(
            Problem(
                "--replicates",
                replicates,
                f"{MIN_SEARCH_REPLICATES} to 1,000,000 trials per N for --find-n (default "
                f"{SEARCH_REPLICATES}; fewer give power 0 or 1 by chance)",
            )
        )
    elif not 1 <= replicates <= 1_000_000:
        problems.append(Problem("--replicates", replicates, "1 to 1,000,000"))
    grid = _grid(n_grid) if n_grid is not None else None
    if n_grid is not None and not find_n:
        problems.append(Problem("--n-grid", n_grid, "only with --find-n"))
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
        _find_n(p, replicates, seed, power, n_max, out, workers, grid)
        return

    from disctwin.io.cdisc import write_run

    assert out is not None  # checked above: --out is needed without --find-n

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


def _grid(text: str) -> list[int]:
    """The total sample sizes of ``--n-grid`` (whole numbers; multiples of the allocation
    are checked by the search)."""
    try:
        values = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ConfigError(
            Problem("--n-grid", text, "comma-separated whole numbers, e.g. 40,60,80")
        ) from None
    if not values:
        raise ConfigError(Problem("--n-grid", text, "comma-separated whole numbers"))
    return values


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
        "(rates with their Clopper-Pearson exact 95% interval, means ± Monte Carlo SE; "
        "truth: the same patients' noise-matched twins; analytic: the two-sample t-test "
        "power at the true effect and the trials' SE)"
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
            _rate(r, "rejection_rate"),
            _fmt(r.get("analytic_power", float("nan")), None, 2),
            _rate(r, "success_rate"),
            _fmt(r["mean_estimate"]),
            _fmt(r["mean_truth"]),
            _fmt(r["bias"], r["bias_mcse"]),
            _rate(r, "coverage"),
            _fmt(r["mean_n_enrolled"], None, 1),
        )
    console.print(table)
    stops = [c for c in oc.columns if c.startswith("stop_") and not c.endswith(("_low", "_high"))]
    if stops:
        prim = oc[oc["primary"]].iloc[0]
        console.print(
            "stopping probabilities: "
            + ", ".join(f"{c.removeprefix('stop_')} {_rate(prim, c)}" for c in stops)
            + f"; expected sample size {prim['mean_n_enrolled']:.1f}"
        )
    console.print(
        f"replicates written {manifest['replicates_written']}, resumed "
        f"{manifest['replicates_skipped']}, in {manifest['seconds']:.1f} s"
    )
    console.print(f"output: {out} (trial.duckdb, replicates.parquet, per-replicate SDTM/ADaM)")


def _rate(row, name: str, digits: int = 2) -> str:
    """A rate column of an operating-characteristics row with its interval columns."""
    return rate_text(row[name], row.get(f"{name}_ci_low"), row.get(f"{name}_ci_high"), digits)


def _find_n(
    p,
    replicates: int,
    seed: int,
    power: float,
    n_max: int,
    out: Path | None,
    workers: int,
    grid: list[int] | None = None,
) -> None:
    from disctwin.trial.replicates import check_search, find_sample_size

    check_search(p, power, replicates, grid)  # before the directory is touched
    store = None
    if out is not None:
        from disctwin.io.sample_size import SearchDirectory

        store = SearchDirectory.open(out, p, seed, replicates)
    with console.status("searching the sample size") as status:
        result = find_sample_size(
            p,
            power,
            seed,
            replicates=replicates,
            n_max=n_max,
            grid=grid,
            workers=workers,
            store=store,
            on_evaluation=lambda n, pw: status.update(
                f"N = {n}: power {rate_text(pw.estimate, pw.low, pw.high)}"
            ),
        )
    table = Table(
        title=f"Power of the primary endpoint by total N ({result.replicates} trials each; "
        "Clopper-Pearson exact 95% interval; analytic: two-sample t-test power at the "
        "simulated effect and SE)"
    )
    for h in ("total N", "per arm", "power", "analytic"):
        table.add_column(h, justify="right" if h != "per arm" else "left")
    for _, r in result.table.iterrows():
        table.add_row(
            str(r["n_total"]),
            r["n_per_arm"],
            rate_text(r["power"], r["power_ci_low"], r["power_ci_high"], 3),
            _fmt(r["analytic_power"], None, 3),
        )
    console.print(table)
    if result.n_total is None:
        console.print(f"no N evaluated (up to {n_max}) reached power {power:g}")
    else:
        close = [n for n in result.undistinguished if n != result.n_total]
        console.print(
            f"smallest N with estimated power >= {power:g}: {result.n_total} "
            f"(power {_power_at(result, result.n_total)})"
        )
        if close or result.n_total in result.undistinguished:
            console.print(
                f"not distinguishable from the target with {result.replicates} trials per N "
                f"(interval holds {power:g}): N = "
                + ", ".join(str(n) for n in result.undistinguished)
                + "; raise --replicates to sharpen"
            )
    if store is not None and out is not None:
        store.complete(result)
        plot_power_curve(result, out / "power_curve.png", p.study.id)
        if store.reused:
            console.print(f"resumed: {len(store.reused)} N read back from {out / 'n'}")
        console.print(f"wrote {out / 'find_n.csv'} and {out / 'power_curve.png'}")


def _power_at(result, n_total: int) -> str:
    r = result.table.set_index("n_total").loc[n_total]
    text = rate_text(r["power"], r["power_ci_low"], r["power_ci_high"], 3)
    if r["analytic_power"] == r["analytic_power"]:
        text += f", analytic {r['analytic_power']:.3f}"
    return text
