"""Command-line interface: ``disctwin --help``."""

from disctwin.cli.app import app, main

__all__ = ["app", "main"]
