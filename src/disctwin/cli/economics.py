"""``disctwin economics STRATEGIES.toml --out DIR``: costs, QALYs, ICERs, value-based price,
PSA and CEAC of the strategies, with plots and provenance."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from disctwin.cli.app import app, check_out, console, out_path, user_errors
from disctwin.errors import check_range


@app.command("economics")
@user_errors
def economics(
    strategies: Annotated[Path, typer.Argument(help="Strategies file (TOML).")],
    out: Annotated[
        Path, typer.Option(parser=out_path, help="Output directory (an earlier one is replaced).")
    ] = Path("disctwin-economics"),
    psa_draws: Annotated[
        int | None, typer.Option(help="Override the file's number of PSA draws.")
    ] = None,
) -> None:
    """Simulate each strategy on one virtual population and evaluate it: lifetime costs and
    QALYs, ICER table with dominance, value-based price, PSA, CEAC; CSVs, plots, run.json."""
    from disctwin.io.economics import read_strategies, run_economics
    from disctwin.report.economics import plot_ce_plane, plot_ceac

    check_out(out, "directory")
    spec, base = read_strategies(strategies)
    if psa_draws is not None:
        check_range("--psa-draws", psa_draws, 0, 100_000, integer=True)
        spec = spec.model_copy(update={"psa_draws": psa_draws})
    columns = (TextColumn("PSA"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("psa", total=max(spec.psa_draws, 1))
        result = run_economics(spec, base, out, progress=lambda k, n: bar.update(task, completed=k))
    if spec.psa_draws:
        plot_ce_plane(result.psa, result.summary, spec.threshold, out / "ce_plane.png")
        plot_ceac(result.ceac, out / "ceac.png")
    table = Table(title=f"{spec.name} ({spec.country}, threshold {spec.threshold:,.0f}/QALY)")
    for column in ("strategy", "cost", "QALYs", "incr. cost", "incr. QALYs", "ICER", "status"):
        table.add_column(column)
    for row in result.icers.itertuples():
        table.add_row(
            row.strategy,
            f"{row.cost:,.0f}",
            f"{row.qaly:.3f}",
            "" if row.incremental_cost != row.incremental_cost else f"{row.incremental_cost:,.0f}",
            "" if row.incremental_qaly != row.incremental_qaly else f"{row.incremental_qaly:.3f}",
            "" if row.icer != row.icer else f"{row.icer:,.0f}",
            row.status,
        )
    console.print(table)
    for row in result.value_based_price.itertuples():
        console.print(
            f"value-based price of {row.strategy} at {row.threshold:,.0f}/QALY: "
            f"{row.price:,.0f} per unit (binding comparator {row.binding_comparator})"
        )
    console.print(f"written to {out}")
