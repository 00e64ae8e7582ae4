"""The ``disctwin`` command line (Typer + Rich). The only place that prints.

Whatever a user types is printed as typed: both consoles have Rich markup and emoji codes
off (``[/b]`` in a path or a criterion name is text, not a style), so styles are given as
:class:`rich.text.Text` spans. Every user error, including a value the option parser
cannot read (``--n-patients 1.5``), is one message naming the field, the value and what is
allowed, with exit code 2 (:func:`user_errors`, :class:`DiscTwinGroup`).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from disctwin.errors import ConfigError, DiscTwinError, Problem, check_range

#: The largest seed any command takes (numpy's SeedSequence takes more; files keep int64).
MAX_SEED = 2**63 - 1


def print_error(err: Exception) -> None:
    """Print a user error on stderr: ``error:`` and the message, as plain text."""
    err_console.print(
        Text.assemble(("error:", "bold red"), " ", str(err)), highlight=False, soft_wrap=True
    )


def _raw_value(args: list[str], opts: list[str]) -> str | None:
    """The text the user gave for an option (its last occurrence), or None."""
    found = None
    for i, token in enumerate(args):
        for opt in opts:
            if token == opt and i + 1 < len(args):
                found = args[i + 1]
            elif token.startswith(opt + "="):
                found = token[len(opt) + 1 :]
    return found


def _parse_problem(err: typer.BadParameter, args: list[str]) -> Problem:
    """The DiscTwin problem for a value the option parser refused."""
    param = err.param
    opts = list(getattr(param, "opts", None) or [])
    field = opts[0] if opts else (param.name or "argument").upper() if param else "argument"
    if type(err).__name__ == "MissingParameter":
        return Problem(field, None, "a value (this option is required)")
    message = err.message.removeprefix("Value error, ").removeprefix("Input should be ")
    return Problem(field, _raw_value(args, opts), message.split(", unable to parse")[0])


class DiscTwinGroup(TyperGroup):
    """The ``disctwin`` command group: a value the option parser refuses (a word for a
    number, ``1.5`` for a count) gets DiscTwin's message, not the parser's."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        ctx.meta["disctwin.args"] = list(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except typer.BadParameter as err:
            print_error(ConfigError(_parse_problem(err, ctx.meta.get("disctwin.args", []))))
            raise typer.Exit(2) from None


if TYPE_CHECKING:
    from disctwin.io.simulation import SimulationRun
    from disctwin.io.treatment import TreatmentRun

app = typer.Typer(
    name="disctwin",
    help="DiscTwin: in-silico trials of regenerative therapies for degenerative disc disease.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=DiscTwinGroup,
)
console = Console(markup=False, emoji=False)
err_console = Console(stderr=True, markup=False, emoji=False)


def user_errors(command: Callable) -> Callable:
    """Turn a DiscTwin user error into one clear message on stderr and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except DiscTwinError as err:
            print_error(err)
            raise typer.Exit(2) from None

    return wrapper


def out_path(text: str | Path) -> Path:
    """Parse an output path option: an empty string is refused (it would mean ``.``)."""
    if not str(text).strip():
        raise ValueError("a path (got an empty string)")
    return Path(text)


#: ``--force`` of the commands writing one file: replace an existing file.
Force = Annotated[bool, typer.Option("--force", help="Replace the --out file if it exists.")]


def check_out(
    path: Path | None, kind: Literal["file", "directory"], *, force: bool = False
) -> Path | None:
    """Check ``--out`` before any work (:func:`disctwin.io.rundir.check_output_path`)."""
    from disctwin.io.rundir import check_output_path

    return None if path is None else check_output_path(path, "--out", kind, replace=force)


def check_seed(seed: int, field: str = "--seed") -> int:
    """``seed`` if it is a whole number from 0 to :data:`MAX_SEED`."""
    return check_range(field, seed, 0, MAX_SEED, integer=True)


def _from_pydantic(err: ValidationError, names: dict[str, str]) -> ConfigError:
    problems = []
    for e in err.errors():
        field = str(e["loc"][0]) if e["loc"] else "input"
        problems.append(
            Problem(
                names.get(field, field),
                e.get("input"),
                e["msg"].removeprefix("Value error, ").removeprefix("Input should be "),
            )
        )
    return ConfigError(problems)


def parse_ages(text: str, field: str = "--ages") -> list[float]:
    """Parse ``START:STOP:STEP`` (inclusive) or a comma-separated list of numbers."""
    allowed = "START:STOP:STEP (e.g. 20:80:10) or a comma-separated list (e.g. 20,35,50)"
    try:
        if ":" in text:
            parts = [float(x) for x in text.split(":")]
            if len(parts) != 3 or parts[2] <= 0 or parts[1] < parts[0]:
                raise ValueError
            start, stop, step = parts
            n = int(np.floor((stop - start) / step + 1e-9)) + 1
            if n > 10_000:
                raise ValueError
            return [start + i * step for i in range(n)]
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ConfigError(Problem(field, text, allowed)) from None


@app.command()
@user_errors
def simulate(
    n_patients: Annotated[int, typer.Option(help="Number of virtual patients.")] = 2000,
    seed: Annotated[int, typer.Option(help="Study seed (same seed, same patients).")] = 2026,
    ages: Annotated[
        str, typer.Option(help="Ages to record, START:STOP:STEP or a list.")
    ] = "20:80:10",
    out: Annotated[
        Path,
        typer.Option(parser=out_path, help="Output directory (resumed if it holds the same run)."),
    ] = Path("disctwin-simulation"),
    parameters: Annotated[
        Path | None, typer.Option(help="Parameter-set TOML (default: packaged).")
    ] = None,
    chunk_size: Annotated[
        int, typer.Option(help="Patients integrated per chunk (memory bound).")
    ] = 2000,
    threads: Annotated[int | None, typer.Option(help="Threads (default: all cores).")] = None,
    rtol: Annotated[float, typer.Option(help="Solver relative tolerance.")] = 1e-6,
    regimen: Annotated[
        str | None,
        typer.Option(
            help="Regimen TOML (or built-in name): simulate treated and untreated twins and "
            "report their difference in every observable."
        ),
    ] = None,
    treatment_age: Annotated[
        float, typer.Option(help="With --regimen: age (years) at the regimen's day 0.")
    ] = 45.0,
    follow_up: Annotated[
        str, typer.Option(help="With --regimen: days after day 0 to record (list).")
    ] = "0,30,90,180,365,730",
    region: Annotated[
        str, typer.Option(help="With --regimen: antibody seroprevalence region.")
    ] = "us",
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Simulate a virtual population from age 10 and write per-disc, per-patient Parquet.

    Prints the per-person prevalence of each MRI finding by age beside Brinjikji 2015.
    With --regimen, every patient is treated at --treatment-age and its treated and untreated
    twins (same random streams) are recorded at the --follow-up days; the mean difference of
    every observable is printed and written to differences.csv.
    """
    from disctwin.engine import Engine
    from disctwin.io.simulation import run_simulation
    from disctwin.model import validate_ages
    from disctwin.population import PopulationSpec

    check_out(out, "directory")
    regimen_file = None
    if regimen is not None:
        from disctwin.therapies import BUILTIN_REGIMENS, load_regimen

        loaded = load_regimen(regimen)
        regimen_file = None if regimen in BUILTIN_REGIMENS else regimen
        days = parse_ages(follow_up, field="--follow-up")
    else:
        age_list = validate_ages(parse_ages(ages), field="--ages").tolist()
    try:
        spec = PopulationSpec(
            n_patients=n_patients,
            seed=seed,
            parameter_file=str(parameters) if parameters else None,
        )
        engine = Engine(chunk_size=chunk_size, threads=threads, rtol=rtol)
    except ValidationError as err:
        raise _from_pydantic(
            err,
            {
                "n_patients": "--n-patients",
                "seed": "--seed",
                "chunk_size": "--chunk-size",
                "threads": "--threads",
                "rtol": "--rtol",
            },
        ) from None
    _check_size(out, n_patients, len(days) if regimen is not None else len(age_list))
    progress = Progress(
        TextColumn("[bold]simulating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("patients"),
        TimeRemainingColumn(),
        console=err_console,
        disable=quiet or not err_console.is_terminal,
    )
    run: TreatmentRun | SimulationRun
    with progress:
        task = progress.add_task("simulate", total=n_patients)
        if regimen is not None:
            from disctwin.io.treatment import run_treatment

            run = run_treatment(
                spec,
                loaded,
                treatment_age,
                days,
                out,
                engine=engine,
                region=region,
                on_progress=lambda k: progress.advance(task, k),
                inputs={"--regimen": regimen_file},
            )
        else:
            run = run_simulation(
                spec, age_list, out, engine=engine, on_progress=lambda k: progress.advance(task, k)
            )
    if regimen is not None:
        _print_treatment(run, loaded)
    else:
        _print_simulation(run, age_list)


def _check_size(out: Path, n_patients: int, n_times: int) -> None:
    """Refuse a population whose output would not fit on the disk; announce a large one."""
    from disctwin.io.rundir import free_bytes
    from disctwin.io.simulation import output_bytes

    size, free = output_bytes(n_patients, n_times), free_bytes(out)
    if size > free:
        raise ConfigError(
            Problem(
                "--n-patients",
                n_patients,
                f"a population whose output (about {size / 1e9:.1f} GB) fits in the "
                f"{free / 1e9:.1f} GB free under --out",
            )
        )
    if size > 1e9:
        err_console.print(
            f"about {size / 1e9:.1f} GB will be written to {out} ({free / 1e9:.0f} GB free); "
            "a killed run resumes where it stopped",
            highlight=False,
        )


def _print_treatment(run, regimen) -> None:
    console.print(
        Text.assemble(
            (regimen.name, "bold"),
            f": {run.n_patients} patients, treated and untreated twins, in {run.seconds:.1f} s;"
            f" {run.adverse_events} adverse events (see adverse_events/); solver status "
            f"{run.status_counts['treated']}",
        )
    )
    shown = {
        ("pain_latent", "patient"),
        ("vas", "patient"),
        ("odi", "patient"),
        ("t2_relative", "L4/5"),
        ("disc_height_index", "L4/5"),
        ("proteoglycan_synthesis", "L4/5"),
        ("transgene_activity", "L4/5"),
    }
    table = Table(title="Treated - untreated (mean, SE) by day after day 0")
    days = sorted({r["day"] for r in run.differences})
    table.add_column("observable")
    for d in days:
        table.add_column(f"day {d:g}", justify="right")
    by_key: dict[tuple, dict[float, dict]] = {}
    for r in run.differences:
        by_key.setdefault((r["observable"], r["level"]), {})[r["day"]] = r
    for key in sorted(by_key, key=lambda k: (k[1] != "patient", k)):
        if key not in shown:
            continue
        cells = [
            f"{by_key[key][d]['difference_mean']:+.3g} ± {by_key[key][d]['difference_se']:.2g}"
            for d in days
        ]
        table.add_row(f"{key[0]} ({key[1]})", *cells)
    console.print(table)
    console.print(f"every observable: {run.out_dir / 'differences.csv'}")


def _print_simulation(run, age_list) -> None:
    from disctwin.data import load_csv
    from disctwin.io.simulation import prevalence_by_age

    prev = prevalence_by_age(run.out_dir)
    published = {
        (r["finding"], float(r["age_years"])): (float(r["prevalence_pct"]), r["n_at_age"])
        for r in load_csv("brinjikji2015_prevalence_by_age.csv")
    }
    table = Table(
        title="Per-person prevalence (%) by age: DiscTwin (packaged default set) vs "
        "Brinjikji 2015 (asymptomatic adults, any lumbar level)"
    )
    table.add_column("finding", no_wrap=True)
    for a in age_list:
        table.add_column(f"{a:g}y", justify="right", no_wrap=True)
    for finding, by_age in prev.items():
        cells = []
        for a in age_list:
            model = by_age.get(float(a), float("nan"))
            pub = published.get((finding, float(a)))
            cells.append(Text.assemble(f"{model:.0f}", (f" ({pub[0]:.0f})" if pub else "", "dim")))
        table.add_row(finding, *cells)
    console.print(table)
    console.print(
        "(published value in brackets; chronic_pain is not a Brinjikji finding)", style="dim"
    )
    counts = ", ".join(f"{k} {v}" for k, v in run.status_counts.items())
    console.print(
        f"{run.n_patients} patients (solver status: {counts}) in {run.seconds:.1f} s wall time "
        f"(start-up and first-run compilation included); parts written {run.parts_written}, "
        f"resumed {run.parts_skipped}"
    )
    console.print(f"output: {run.out_dir}")


@app.command()
@user_errors
def params(
    group: Annotated[
        str | None, typer.Option(help="Only this group (e.g. nutrition, pain).")
    ] = None,
    parameters: Annotated[
        Path | None, typer.Option(help="Parameter-set TOML (default: packaged).")
    ] = None,
    format: Annotated[str, typer.Option(help="table, csv or md.")] = "table",
) -> None:
    """Print the parameter table: name, value, unit, range, variability, meaning, source."""
    from disctwin.errors import suggest
    from disctwin.params import load_parameter_set

    ps = load_parameter_set(parameters)
    groups = sorted({s.group for s in ps})
    if group is not None and group not in groups:
        raise ConfigError(Problem("--group", group, ", ".join(groups), suggest(group, groups)))
    if format not in ("table", "csv", "md"):
        raise ConfigError(Problem("--format", format, "table, csv or md"))
    specs = [s for s in ps if group is None or s.group == group]

    def value(s) -> str:
        return ", ".join(f"{v:g}" for v in s.values)

    def variability(s) -> str:
        parts = []
        if s.between_patient_cv:
            parts.append(f"patient CV {s.between_patient_cv:g}")
        if s.between_disc_cv:
            parts.append(f"disc CV {s.between_disc_cv:g}")
        return "; ".join(parts)

    rows = [
        (
            s.name,
            value(s),
            s.unit,
            f"[{s.range[0]:g}, {s.range[1]:g}]",
            variability(s),
            s.group,
            s.meaning,
            s.source,
        )
        for s in specs
    ]
    header = ("name", "value", "unit", "range", "variability", "group", "meaning", "source")
    if format == "csv":
        import csv

        w = csv.writer(sys.stdout)
        w.writerow(header)
        w.writerows(rows)
        return
    if format == "md":
        from disctwin.report import markdown_cell

        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for r in rows:
            print("| " + " | ".join(markdown_cell(c) for c in r) + " |")
        return
    table = Table(title=f"Parameter set {ps.name} ({len(specs)} parameters)", show_lines=False)
    for h in header:
        table.add_column(h, overflow="fold")
    for r in rows:
        table.add_row(*r)
    console.print(table)


@app.command()
@user_errors
def describe(
    format: Annotated[str, typer.Option(help="md or html.")] = "md",
    out: Annotated[
        Path | None, typer.Option(parser=out_path, help="Write to this file instead of stdout.")
    ] = None,
    parameters: Annotated[Path | None, typer.Option(help="Parameter-set TOML.")] = None,
    force: Force = False,
) -> None:
    """Print the model reference (states, rate laws, parameters, observables), generated
    from the code."""
    from disctwin.params import load_parameter_set
    from disctwin.report import describe_html, describe_markdown

    if format not in ("md", "html"):
        raise ConfigError(Problem("--format", format, "md or html"))
    check_out(out, "file", force=force)
    ps = load_parameter_set(parameters)
    text = describe_markdown(ps) if format == "md" else describe_html(ps)
    write_or_print(text, out)


def write_or_print(text: str, out: Path | None) -> None:
    """Write ``text`` to the (checked) file ``out`` atomically, or print it."""
    from disctwin.io.rundir import atomic_path

    if out is None:
        sys.stdout.write(text)
        return
    with atomic_path(out) as tmp:
        tmp.write_text(text, encoding="utf-8")
    console.print(f"wrote {out}")


@app.command()
@user_errors
def catalogue(
    out: Annotated[
        Path | None, typer.Option(parser=out_path, help="Write to this file instead of stdout.")
    ] = None,
    force: Force = False,
) -> None:
    """Print the therapy catalogue: modalities, vectors, payloads, routes, needles and harms,
    every number with its unit, range and source (Markdown)."""
    from disctwin.report.catalogue import catalogue_markdown

    check_out(out, "file", force=force)
    write_or_print(catalogue_markdown(), out)


@app.command("export-sbml")
@user_errors
def export_sbml_command(
    out: Annotated[Path, typer.Option(parser=out_path, help="SBML file to write.")],
    patient_index: Annotated[int | None, typer.Option(help="Which virtual patient.")] = None,
    seed: Annotated[int, typer.Option(help="Study seed of the patient.")] = 2026,
    population: Annotated[
        bool, typer.Option("--population", help="The structural model, default parameters.")
    ] = False,
    parameters: Annotated[Path | None, typer.Option(help="Parameter-set TOML.")] = None,
    regimen: Annotated[
        str | None, typer.Option(help="Regimen TOML or built-in name: doses as SBML events.")
    ] = None,
    treatment_age: Annotated[
        float, typer.Option(help="With --regimen: age (years) at the regimen's day 0.")
    ] = 45.0,
    force: Force = False,
) -> None:
    """Write one virtual patient (or, with --population, the structural model) as SBML L3V2."""
    from disctwin.io.sbml import MAX_PATIENT_INDEX, export_sbml

    check_out(out, "file", force=force)
    loaded = None
    if regimen is not None:
        from disctwin.therapies import load_regimen

        loaded = load_regimen(regimen)
        if not 10.0 <= treatment_age <= 100.0:
            raise ConfigError(Problem("--treatment-age", treatment_age, "10 to 100 years"))

    if population == (patient_index is not None):
        raise ConfigError(
            Problem(
                "--patient-index/--population",
                patient_index,
                "exactly one of --patient-index I or --population",
            )
        )
    check_seed(seed)
    if patient_index is not None:
        check_range("--patient-index", patient_index, 0, MAX_PATIENT_INDEX, integer=True)
    path = export_sbml(
        out,
        seed=seed,
        patient_index=patient_index,
        parameter_file=str(parameters) if parameters else None,
        regimen=loaded,
        treatment_age_years=treatment_age,
    )
    console.print(f"wrote {path} (libsbml consistency check: no errors)")


@app.command()
@user_errors
def sensitivity(
    outputs: Annotated[
        str, typer.Option(help="Comma-separated outputs, <quantity>@<age>.")
    ] = "disc_degeneration@50,chronic_pain@50",
    n: Annotated[int, typer.Option(help="Sobol base sample size (power of 2).")] = 64,
    patients: Annotated[int, typer.Option(help="Virtual patients per model run.")] = 500,
    parameters: Annotated[
        str | None, typer.Option(help="Comma-separated uncertain parameters (default: 13).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the sample and of the patients.")] = 2026,
    out: Annotated[
        Path | None,
        typer.Option(parser=out_path, help="Write sobol.csv and the plot sobol.png here."),
    ] = None,
) -> None:
    """Global sensitivity (Sobol first-order and total indices, SALib) of model outputs to
    uncertain parameters over their plausible ranges, on common random numbers."""
    from disctwin.inference import model_outputs, parse_outputs, sobol_analysis
    from disctwin.inference import uncertain_parameters as uncertain

    check_out(out, "directory")
    names = [o.strip() for o in outputs.split(",") if o.strip()]
    parse_outputs(names)
    if patients < 1 or patients > 1_000_000:
        raise ConfigError(Problem("--patients", patients, "1 to 1,000,000"))
    check_seed(seed)
    params = uncertain([p.strip() for p in parameters.split(",")] if parameters else None)
    if not 2 <= n <= MAX_SOBOL_N or n & (n - 1):
        raise ConfigError(Problem("--n", n, f"a power of 2 from 2 to {MAX_SOBOL_N:,}"))
    f = model_outputs(names, n_patients=patients, seed=seed, parameters=params)
    total = n * (len(params) + 2)
    with console.status(f"running {total} parameter samples x {patients} patients"):
        res = sobol_analysis(f, params, names, n_base=n, seed=seed)
    for o in names:
        table = Table(
            title=f"Sobol indices of {o} ({res.n_evaluations} runs x {patients} "
            f"patients; {res.conf_level:.0%} CI)"
        )
        for h in ("parameter", "S1", "ST"):
            table.add_column(h, justify="left" if h == "parameter" else "right", no_wrap=True)
        for p, s1, c1, st, ct in res.ranking(o):
            table.add_row(p, f"{s1:.3f} ± {c1:.3f}", f"{st:.3f} ± {ct:.3f}")
        console.print(table)
    if out is not None:
        import csv

        out.mkdir(parents=True, exist_ok=True)
        with (out / "sobol.csv").open("w", newline="") as fh:
            w = csv.DictWriter(
                fh, fieldnames=["output", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
            )
            w.writeheader()
            w.writerows(res.to_rows())
        from disctwin.report.sensitivity import plot_sobol

        plot = plot_sobol(res, out / "sobol.png")
        console.print(f"wrote {out / 'sobol.csv'} and {plot}")


#: The largest Sobol base sample (--n): 2^14 x (13 + 2) = 245,760 model runs.
MAX_SOBOL_N = 2**14


def main() -> None:
    """Entry point of the ``disctwin`` command."""
    app(prog_name="disctwin")
