"""Design commands: ``disctwin boin-table``, ``disctwin boundaries``, ``disctwin escalation``.

Tables for clinicians and statisticians computed by :mod:`disctwin.stats.escalation` and
:mod:`disctwin.stats.sequential`; this module only parses options and prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, cast

import numpy as np
import pandas as pd
import typer
from rich.table import Table

from disctwin.cli.app import Force, app, check_out, check_seed, console, out_path, user_errors
from disctwin.cli.formatting import estimate_text, rate_text
from disctwin.errors import ConfigError, Problem, check_range, suggest

#: The most cohorts ``escalation --exact`` enumerates: the tree of outcomes grows about
#: 1.8-fold per cohort (16 cohorts of 3 at 5 doses: about 25 s); simulate beyond it.
MAX_EXACT_COHORTS = 16
#: The most virtual patients per dose level of ``escalation --regimen``.
MAX_VIRTUAL_PATIENTS = 1_000_000


def _numbers(text: str, option: str, allowed: str) -> list[float]:
    try:
        values = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ConfigError(Problem(option, text, allowed)) from None
    if not values:
        raise ConfigError(Problem(option, text, allowed))
    return values


_Choice = TypeVar("_Choice", bound=str)


def _none_or(value: str | None, option: str, choices: tuple[_Choice, ...]) -> _Choice | None:
    if value is None or value.lower() == "none":
        return None
    if value not in choices:
        raise ConfigError(
            Problem(option, value, ", ".join((*choices, "none")), suggest(value, choices))
        )
    return value


@app.command("boin-table")
@user_errors
def boin_table(
    target: Annotated[float, typer.Option(help="Target DLT probability (e.g. 0.3).")] = 0.3,
    cohort_size: Annotated[int, typer.Option(help="Patients per cohort.")] = 3,
    max_n: Annotated[int, typer.Option(help="Most patients treated at one dose.")] = 12,
    phi1: Annotated[
        float | None, typer.Option(help="Highest sub-therapeutic DLT rate (default 0.6 target).")
    ] = None,
    phi2: Annotated[
        float | None, typer.Option(help="Lowest overly toxic DLT rate (default 1.4 target).")
    ] = None,
    elimination_cutoff: Annotated[
        float, typer.Option(help="Eliminate a dose if Pr(DLT rate > target) exceeds this.")
    ] = 0.95,
    out: Annotated[
        Path | None, typer.Option(parser=out_path, help="Also write the table as CSV.")
    ] = None,
    force: Force = False,
) -> None:
    """Print the BOIN dose-escalation decision table (Liu & Yuan 2015) for the clinic."""
    from disctwin.stats.escalation import boin_boundaries, boin_decision_table

    check_out(out, "file", force=force)
    table = boin_decision_table(
        target, cohort_size, max_n, phi1=phi1, phi2=phi2, elimination_cutoff=elimination_cutoff
    )
    lambda_e, lambda_d = boin_boundaries(target, phi1, phi2)
    view = Table(
        title=f"BOIN decisions, target DLT rate {target:g} "
        f"(lambda_e = {lambda_e:.3f}, lambda_d = {lambda_d:.3f})",
        caption="Otherwise stay at the current dose. Eliminate: never return to this dose or "
        "higher ones.",
    )
    for header in (
        "patients treated at current dose",
        "escalate if DLTs <=",
        "de-escalate if DLTs >=",
        "eliminate if DLTs >=",
    ):
        view.add_column(header, justify="right")
    row: Any  # pandas-stubs types a row's fields as any scalar
    for row in table.itertuples(index=False):
        eliminate = "-" if pd.isna(row.eliminate_if_at_least) else str(row.eliminate_if_at_least)
        view.add_row(
            str(row.n), str(row.escalate_if_at_most), str(row.deescalate_if_at_least), eliminate
        )
    console.print(view)
    _write_csv(table, out)


def _write_csv(frame: pd.DataFrame, out: Path | None) -> None:
    """Write ``frame`` to the (checked) file ``out`` atomically, if given."""
    from disctwin.io.rundir import atomic_path

    if out is None:
        return
    with atomic_path(out) as tmp:
        frame.to_csv(tmp, index=False)
    console.print(f"wrote {out}")


@app.command("boundaries")
@user_errors
def boundaries_command(
    looks: Annotated[
        str, typer.Option(help="Information fractions of the looks, e.g. 0.5,1.")
    ] = "0.5,1",
    alpha: Annotated[
        float, typer.Option(help="Type I error (one-sided unless --sides 2).")
    ] = 0.025,
    spending: Annotated[
        str, typer.Option(help="Alpha spending: obrien_fleming or pocock.")
    ] = "obrien_fleming",
    futility: Annotated[
        str | None,
        typer.Option(
            help="Beta spending for non-binding futility: none, obrien_fleming or pocock."
        ),
    ] = None,
    beta: Annotated[float, typer.Option(help="Type II error (power 1 - beta).")] = 0.1,
    sides: Annotated[int, typer.Option(help="1 (one-sided) or 2 (symmetric two-sided).")] = 1,
    out: Annotated[
        Path | None, typer.Option(parser=out_path, help="Also write the table as CSV.")
    ] = None,
    force: Force = False,
) -> None:
    """Print group-sequential boundaries (Lan-DeMets spending) with stopping probabilities."""
    from disctwin.stats.sequential import SPENDING, boundaries, crossing_probabilities

    check_out(out, "file", force=force)
    fractions = _numbers(looks, "--looks", "comma-separated fractions ending at 1, e.g. 0.5,1")
    if spending not in SPENDING:
        raise ConfigError(
            Problem("--spending", spending, ", ".join(SPENDING), suggest(spending, SPENDING))
        )
    bounds = boundaries(
        fractions,
        alpha=alpha,
        spending=spending,
        futility=_none_or(futility, "--futility", SPENDING),
        beta=beta,
        sides=cast(Literal[1, 2], sides),  # boundaries() rejects any other number
    )
    null = crossing_probabilities(bounds, 0.0)
    alternative = crossing_probabilities(bounds, bounds.drift)
    frame = bounds.to_frame()
    for label, probabilities in (("null", null), ("alternative", alternative)):
        frame[f"efficacy_stop_{label}"] = probabilities.upper
        frame[f"lower_stop_{label}"] = probabilities.lower
    side = "one-sided" if sides == 1 else "two-sided"
    fut = f", non-binding futility ({bounds.futility_spending})" if bounds.futility_spending else ""
    view = Table(
        title=f"Group-sequential boundaries: {spending} spending, {side} alpha {alpha:g}{fut}",
        caption=f"Power {1 - beta:.0%} needs {bounds.inflation_factor:.4f} x the fixed-sample "
        f"information (drift {bounds.drift:.4f}).",
    )
    columns = [
        ("look", "look", "{:d}"),
        ("information_fraction", "information", "{:.3f}"),
        ("z_efficacy", "z efficacy", "{:.3f}"),
        ("nominal_p", "nominal p", "{:.2e}"),
        ("alpha_spent", "cum. alpha", "{:.5f}"),
    ]
    if bounds.futility is not None:
        columns += [("z_futility", "z futility", "{:.3f}"), ("beta_spent", "cum. beta", "{:.4f}")]
    _print(view, frame, columns)
    lower = "futility" if sides == 1 else "lower bound"
    stops = Table(
        title="Probability of stopping at each look"
        + (" (futility bound obeyed)" if bounds.futility is not None else ""),
        caption=f"Expected information at stopping: {null.expected_information_fraction:.3f} "
        f"(null), {alternative.expected_information_fraction:.3f} (alternative).",
    )
    columns = [("look", "look", "{:d}"), ("efficacy_stop_null", "efficacy | null", "{:.4f}")]
    if bounds.futility is not None or sides == 2:
        columns.append(("lower_stop_null", f"{lower} | null", "{:.4f}"))
    columns.append(("efficacy_stop_alternative", "efficacy | alternative", "{:.4f}"))
    if bounds.futility is not None or sides == 2:
        columns.append(("lower_stop_alternative", f"{lower} | alternative", "{:.4f}"))
    _print(stops, frame, columns)
    _write_csv(frame, out)


def _print(view: Table, frame: pd.DataFrame, columns: list[tuple[str, str, str]]) -> None:
    for _, header, _ in columns:
        view.add_column(header, justify="right")
    for row in frame.itertuples(index=False):
        view.add_row(*(fmt.format(getattr(row, name)) for name, _, fmt in columns))
    console.print(view)


@app.command("escalation")
@user_errors
def escalation_command(
    doses: Annotated[
        str, typer.Option(help="True DLT probability of each dose, lowest first.")
    ] = "0.05,0.15,0.3,0.45,0.6",
    design: Annotated[str, typer.Option(help="boin or 3+3.")] = "boin",
    target: Annotated[float, typer.Option(help="BOIN target DLT probability.")] = 0.3,
    cohort_size: Annotated[int, typer.Option(help="BOIN cohort size.")] = 3,
    cohorts: Annotated[int, typer.Option(help="BOIN maximum number of cohorts.")] = 10,
    trials: Annotated[int, typer.Option(help="Simulated trials.")] = 2000,
    seed: Annotated[int, typer.Option(help="Seed (trial r uses spawn key r).")] = 2026,
    exact: Annotated[
        bool, typer.Option("--exact", help="Enumerate every outcome instead of simulating.")
    ] = False,
    regimen: Annotated[
        str | None,
        typer.Option(
            help="Regimen TOML: take the true DLT curve from its harms in virtual patients, "
            "its first dose set to each of --dose-levels (instead of --doses)."
        ),
    ] = None,
    dose_levels: Annotated[
        str, typer.Option(help="With --regimen: dose of each level, lowest first.")
    ] = "",
    dlt_window: Annotated[float, typer.Option(help="With --regimen: DLT window (days).")] = 28.0,
    dlt_grade: Annotated[int, typer.Option(help="With --regimen: lowest DLT grade.")] = 3,
    virtual_patients: Annotated[
        int, typer.Option(help="With --regimen: virtual patients per dose level.")
    ] = 2000,
) -> None:
    """Operating characteristics of a Phase I escalation design at a true dose-toxicity curve
    (given, or from a regimen's harms in virtual patients)."""
    from disctwin.stats.escalation import (
        Boin,
        ThreePlusThree,
        exact_operating_characteristics,
        simulate_escalation,
    )

    check_seed(seed)
    if exact and cohorts > MAX_EXACT_COHORTS:
        raise ConfigError(
            Problem(
                "--cohorts",
                cohorts,
                f"at most {MAX_EXACT_COHORTS} with --exact (the enumeration grows about "
                "1.8-fold per cohort); leave out --exact to simulate more",
            )
        )
    probabilities: np.ndarray | list[float]
    if regimen is not None:
        from disctwin.therapies import load_regimen
        from disctwin.trial.phase1 import check_dose_levels, dlt_probabilities

        check_range("--virtual-patients", virtual_patients, 1, MAX_VIRTUAL_PATIENTS, integer=True)
        check_range("--dlt-window", dlt_window, 0, 3650, unit="days")
        levels = _numbers(dose_levels, "--dose-levels", "comma-separated increasing doses")
        loaded = load_regimen(regimen)
        check_dose_levels(loaded, levels, field="--dose-levels")
        probabilities, _ = dlt_probabilities(
            loaded,
            levels,
            n_patients=virtual_patients,
            seed=seed,
            window_days=dlt_window,
            min_grade=dlt_grade,
        )
        from disctwin.stats.montecarlo import proportion_interval

        low, high = proportion_interval(np.rint(probabilities * virtual_patients), virtual_patients)
        console.print(
            "DLT probability (grade >= {g} within {w:g} days; {n} virtual patients, exact 95% "
            "interval) by dose: {c}".format(
                g=dlt_grade,
                w=dlt_window,
                n=virtual_patients,
                c=", ".join(
                    f"{lv:g}: {rate_text(p, lo, hi, 3)}"
                    for lv, p, lo, hi in zip(levels, probabilities, low, high, strict=True)
                ),
            )
        )
    else:
        probabilities = _numbers(doses, "--doses", "comma-separated probabilities in [0, 1]")
    designs = ("boin", "3+3")
    if design not in designs:
        raise ConfigError(Problem("--design", design, "boin or 3+3", suggest(design, designs)))
    chosen = (
        Boin(target=target, cohort_size=cohort_size, n_cohorts=cohorts)
        if design == "boin"
        else ThreePlusThree()
    )
    if exact:
        oc = exact_operating_characteristics(chosen, probabilities)
    else:
        oc = simulate_escalation(chosen, probabilities, trials, seed)
    how = (
        "exact: no Monte Carlo error"
        if exact
        else f"{trials} simulated trials, seed {seed}; selection with its Clopper-Pearson "
        "exact 95% interval, means ± Monte Carlo SE"
    )
    total = estimate_text(oc.mean_total_patients, oc.mean_total_patients_mcse, 1)
    view = Table(
        title=f"{chosen.name}: operating characteristics ({how})",
        caption=f"Mean patients {total}, mean DLTs {oc.mean_total_dlts:.2f}.",
    )
    for header in ("dose", "true DLT rate", "P(selected as MTD)", "mean patients", "mean DLTs"):
        view.add_column(header, justify="right")
    row: Any  # pandas-stubs types a row's fields as any scalar
    for row in oc.to_frame().itertuples(index=False):
        view.add_row(
            row.dose,
            "" if np.isnan(row.true_dlt_probability) else f"{row.true_dlt_probability:.2f}",
            rate_text(row.selection_probability, row.selection_ci_low, row.selection_ci_high, 3),
            ""
            if np.isnan(row.mean_patients)
            else estimate_text(row.mean_patients, row.mean_patients_mcse, 2),
            "" if np.isnan(row.mean_dlts) else estimate_text(row.mean_dlts, row.mean_dlts_mcse, 2),
        )
    console.print(view)
