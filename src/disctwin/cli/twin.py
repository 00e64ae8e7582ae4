"""``disctwin twin PATIENT.toml --regimens a.toml,b.toml --horizon 10 --out DIR``: one
patient's twin, its posterior and forecasts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from disctwin.cli.app import app, check_out, console, err_console, out_path, user_errors
from disctwin.errors import ConfigError, Problem

#: A posterior predictive p-value under this says the record is not one the model produces.
PPP_ALARM = 0.01


@app.command("twin")
@user_errors
def twin(
    record: Annotated[Path, typer.Argument(help="Patient record (TOML or JSON).")],
    regimens: Annotated[
        str, typer.Option(help="Comma-separated regimens (files or built-in names).")
    ] = "",
    horizon: Annotated[float, typer.Option(help="Forecast horizon (years).")] = 10.0,
    particles: Annotated[int, typer.Option(help="Posterior draws (SMC particles).")] = 400,
    seed: Annotated[int, typer.Option(help="Seed of the posterior sampler.")] = 0,
    out: Annotated[Path, typer.Option(parser=out_path, help="Output directory.")] = Path(
        "disctwin-twin"
    ),
) -> None:
    """Infer the patient's own virtual twin from the record (tempered SMC through the model's
    observation model) and forecast each disc and the pain, untreated and under each
    regimen, with 50/90% intervals and the probability of a clinically important benefit."""
    from disctwin.inference.twin import forecast, infer_twin, load_record
    from disctwin.io.twin import write_twin
    from disctwin.report.twin import plot_forecast
    from disctwin.therapies import load_regimen

    check_out(out, "directory")
    problems = []
    if not 0 < horizon <= 50:
        problems.append(Problem("--horizon", horizon, "years after today, 0 < horizon <= 50"))
    if not 50 <= particles <= 20_000:
        problems.append(Problem("--particles", particles, "50 to 20000 draws"))
    if not 0 <= seed < 2**63:
        problems.append(Problem("--seed", seed, f"an integer 0 to {2**63 - 1}"))
    if problems:
        raise ConfigError(problems)
    rec = load_record(record)
    loaded = [load_regimen(r.strip()) for r in regimens.split(",") if r.strip()]
    if rec.age_now + horizon > 95:
        raise ConfigError(Problem("--horizon", horizon, f"up to {95 - rec.age_now:.1f} years"))
    with console.status("posterior (tempered SMC)"):
        post = infer_twin(rec, n_particles=particles, seed=seed)
    with console.status("forecasts"):
        quantiles, benefit = forecast(post, horizon, loaded)
    config = {
        "record": rec.model_dump(mode="json"),
        "regimens": [r.model_dump(mode="json") for r in loaded],
        "horizon_years": horizon,
        "particles": particles,
        "seed": seed,
    }
    write_twin(post, quantiles, benefit, config, out)
    plot_forecast(quantiles, out / "forecast.png", rec.patient.id)
    if post.ppp == post.ppp and post.ppp < PPP_ALARM:
        err_console.print(
            Text.assemble(
                ("warning:", "bold red"),
                f" posterior predictive p = {post.ppp:.3f}: this record is unlike the records "
                "the model produces; read the forecast with care",
            )
        )
    label = (
        "population forecast for these covariates (no scans or scores)"
        if not post.stages
        else (
            f"posterior: {post.stages} stages, min ESS {min(post.ess):.0f}, "
            f"predictive p {post.ppp:.2f}"
        )
    )
    console.print(f"{rec.patient.id}, age {rec.age_now:.1f}: {label}")
    table = Table(title=f"At {rec.age_now + horizon:.1f} years (median, 90% interval)")
    for column in ("strategy", "L4/5 T2", "L5/S1 T2", "pain (NRS)"):
        table.add_column(column)
    last = quantiles[quantiles.age_years == quantiles.age_years.max()]

    def cell(strategy: str, quantity: str, level: str) -> str:
        r: Any = last[
            (last.strategy == strategy) & (last.quantity == quantity) & (last.level == level)
        ].iloc[0]
        return f"{r.q50:.2f} ({r.q05:.2f}-{r.q95:.2f})"

    for strategy in dict.fromkeys(last.strategy):
        table.add_row(
            str(strategy),
            cell(strategy, "t2_relative", "L4/5"),
            cell(strategy, "t2_relative", "L5/S1"),
            cell(strategy, "pain_reported_mean", "patient"),
        )
    console.print(table)
    for row in benefit.itertuples():
        console.print(
            f"{row.strategy!s}: P(pain at least {2:g} points lower than untreated) "
            f"= {row.p_benefit:.2f}"
        )
    console.print(f"written to {out}")
