"""``disctwin economics STRATEGIES.toml --out DIR``: costs, QALYs, ICERs, value-based price,
PSA and CEAC of the strategies, with plots and provenance."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from disctwin.cli.app import Force, app, check_out, console, out_path, user_errors, write_or_print
from disctwin.errors import check_range

if TYPE_CHECKING:
    import pandas as pd


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
    from disctwin.report.economics import (
        plot_access,
        plot_budget_impact,
        plot_ce_plane,
        plot_ceac,
        plot_tornado,
    )

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
    row: Any  # pandas-stubs types a row's fields as any scalar
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
    if result.budget_impact is not None:
        _print_budget_impact(result.budget_impact)
        plot_budget_impact(result.budget_impact, out / "budget_impact.png")
    if result.dsa is not None:
        _print_dsa(result.dsa)
        plot_tornado(result.dsa, out / "tornado.png")
    if result.access is not None and result.access_summary is not None:
        _print_access(result.access, result.access_summary)
        plot_access(result.access, out / "access.png")
    console.print(f"written to {out}")


def _print_dsa(dsa: pd.DataFrame, top: int = 8) -> None:
    first = dsa.iloc[0]
    table = Table(
        title=f"One-way DSA: incremental NMB of {first['strategy']} vs {first['comparator']} "
        f"at {first['threshold']:,.0f}/QALY (base {first['base_outcome']:,.0f} "
        f"{first['currency']}), top {min(top, len(dsa))} of {len(dsa)}"
    )
    for column in ("parameter", "low", "high", "NMB at low", "NMB at high", "swing"):
        table.add_column(column)
    for row in dsa.head(top).itertuples():
        table.add_row(
            str(row.parameter),
            f"{row.low:,.2f}",
            f"{row.high:,.2f}",
            f"{row.outcome_low:,.0f}",
            f"{row.outcome_high:,.0f}",
            f"{row.swing:,.0f}",
        )
    console.print(table)


def _print_access(access: pd.DataFrame, summary: pd.DataFrame) -> None:
    first = access.iloc[0]
    flag = " - discouraged" if bool(first["basis_discouraged"]) else ""
    table = Table(
        title=f"Access ({len(access) // len(summary)} countries, threshold basis "
        f"{first['threshold_basis']}{flag})"
    )
    for column in (
        "scenario",
        "can afford",
        "low",
        "lower-mid",
        "upper-mid",
        "high",
        "treatable/yr where affordable",
    ):
        table.add_column(column)
    for row in summary.itertuples():
        table.add_row(
            str(row.scenario),
            f"{row.affordable}/{row.countries}",
            str(row.affordable_low),
            str(row.affordable_lower_middle),
            str(row.affordable_upper_middle),
            str(row.affordable_high),
            f"{row.patients_treatable_where_affordable:,.0f}",
        )
    console.print(table)


def _print_budget_impact(budget: pd.DataFrame) -> None:
    first = budget.iloc[0]
    table = Table(
        title=f"Budget impact ({first['country']}, {first['perspective']}, {first['currency']}, "
        f"price {first['price_per_unit']:,.0f} per unit, undiscounted)"
    )
    for column in ("year", "eligible", "uptake", "starting", "impact", "cumulative"):
        table.add_column(column)
    for row in budget.itertuples():
        table.add_row(
            str(row.year),
            f"{row.eligible_patients:,.0f}",
            f"{row.uptake:.0%}",
            f"{row.patients_starting:,.0f}",
            f"{row.budget_impact:,.0f}",
            f"{row.cumulative_budget_impact:,.0f}",
        )
    console.print(table)


@app.command("economics-docs")
@user_errors
def economics_docs(
    out: Annotated[
        Path | None, typer.Option(parser=out_path, help="Write to this file instead of stdout.")
    ] = None,
    force: Force = False,
) -> None:
    """Print the generated health-economics reference (docs/economics.md): access by
    country with and without patent sharing, thresholds, budget impact example, parameters
    and sources (Markdown)."""
    from disctwin.report.economics_docs import economics_markdown

    check_out(out, "file", force=force)
    write_or_print(economics_markdown(), out)
