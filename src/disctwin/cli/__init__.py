"""Command-line interface: ``disctwin --help``."""

from disctwin.cli import calibrate as _calibrate  # noqa: F401  (registers the command)
from disctwin.cli import designs as _designs  # noqa: F401  (registers the commands)
from disctwin.cli import economics as _economics  # noqa: F401  (registers the command)
from disctwin.cli import trial as _trial  # noqa: F401  (registers the command)
from disctwin.cli import twin as _twin  # noqa: F401  (registers the command)
from disctwin.cli import validate as _validate  # noqa: F401  (registers the command)
from disctwin.cli.app import app, main

__all__ = ["app", "main"]
