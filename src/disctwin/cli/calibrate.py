"""``disctwin calibrate natural-history``: fit, save the calibrated set, write the report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from disctwin.cli.app import (
    _from_pydantic,
    app,
    check_out,
    console,
    err_console,
    out_path,
    user_errors,
)

calibrate_app = typer.Typer(
    help="Calibrate the model to the published data shipped with DiscTwin.",
    no_args_is_help=True,
)
app.add_typer(calibrate_app, name="calibrate")


@calibrate_app.command("natural-history")
@user_errors
def natural_history(
    seed: Annotated[int, typer.Option(help="Seed of the virtual cohorts and the samplers.")] = 2026,
    out: Annotated[Path, typer.Option(parser=out_path, help="Output directory.")] = Path(
        "disctwin-calibration"
    ),
    quick: Annotated[
        bool, typer.Option("--quick", help="Tiny smoke run (seconds; not a usable fit).")
    ] = False,
    disc_patients: Annotated[
        int | None, typer.Option(help="Virtual patients for the MRI findings.")
    ] = None,
    pain_patients: Annotated[
        int | None,
        typer.Option(help="Virtual patients followed weekly for the Costa and VAST cohorts."),
    ] = None,
    steps: Annotated[int | None, typer.Option(help="MCMC steps per stage.")] = None,
) -> None:
    """Fit the natural history (Brinjikji 2015 MRI findings by age; Costa 2012/2009 course
    of persistent and chronic LBP; VAST saline arm) by Bayesian MCMC; write the posterior,
    the calibrated parameter set and the fit report (Markdown + PNG) to OUT."""
    from disctwin.inference.calibration import CalibrationSettings, calibrate_natural_history
    from disctwin.io.calibration import write_calibration
    from disctwin.report.calibration import write_fit_report

    check_out(out, "directory")
    try:
        base = CalibrationSettings.quick(seed) if quick else CalibrationSettings(seed=seed)
        changes = {
            k: v
            for k, v in {
                "n_disc_patients": disc_patients,
                "n_pain_patients": pain_patients,
                "disc_steps": steps,
                "pain_steps": steps,
            }.items()
            if v is not None
        }
        settings = CalibrationSettings(**{**base.model_dump(), **changes})
    except ValidationError as err:
        raise _from_pydantic(
            err,
            {
                "seed": "--seed",
                "n_disc_patients": "--disc-patients",
                "n_pain_patients": "--pain-patients",
                "disc_steps": "--steps",
                "pain_steps": "--steps",
            },
        ) from None
    with console.status("calibrating") as status:
        result = calibrate_natural_history(settings, progress=lambda m: status.update(m))
    paths = write_calibration(result, out)
    report = write_fit_report(result, out)

    table = Table(title=f"Fit to the calibration data (seed {seed}; posterior predictive)")
    for h in ("source", "quantity", "at", "observed", "median", "90% interval", "residual"):
        table.add_column(h, justify="left" if h in ("source", "quantity") else "right")
    for r in result.summary():
        style = "red" if abs(r["residual"]) > 5 else None
        table.add_row(
            r["source"],
            r["quantity"],
            f"{r['x']:g} {r['x_unit']}",
            f"{r['observed']:g}",
            f"{r['median']:.1f}",
            f"{r['p05']:.1f}-{r['p95']:.1f}",
            f"{r['residual']:+.1f}",
            style=style,
        )
    console.print(table)
    score = result.score()
    console.print(
        f"within 5 points: {score['within_5'] * score['n_points']:.0f}/{score['n_points']:.0f}; "
        f"RMSE {score['rmse']:.2f}; max |residual| {score['max_abs_residual']:.1f}; "
        f"acceptance disc {result.acceptance['disc']:.2f}, pain {result.acceptance['pain']:.2f}; "
        f"{result.seconds:.0f} s"
    )
    for label, value in result.median.items():
        err_console.print(f"  {label} = {value:.4g}", highlight=False)
    console.print(f"calibrated set: {paths['set']}; report: {report}; output: {out}")
