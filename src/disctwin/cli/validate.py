"""``disctwin validate FILE...``: check input files as the runs reading them would."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from disctwin.cli.app import app, console, user_errors
from disctwin.errors import ConfigError, Problem


@app.command("validate")
@user_errors
def validate_command(
    files: Annotated[
        list[Path],
        typer.Argument(help="Parameter sets, regimens, protocols or strategies files (TOML)."),
    ],
) -> None:
    """Check each file as the run reading it would (schema, names, ranges, the files it
    refers to) and report every problem in every file at once; nothing is run."""
    from disctwin.io.inputs import validate_file

    problems: list[Problem] = []
    for path in files:
        try:
            summary = validate_file(path)
        except ConfigError as err:
            problems += err.problems
            continue
        console.print(f"{path}: valid ({summary})")
    if problems:
        raise ConfigError(problems)
