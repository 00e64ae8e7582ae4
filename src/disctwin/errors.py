"""Errors DiscTwin raises for user mistakes, each naming field, value and what is allowed.

Numerical code never prints; the CLI turns these into one clear message and exit code 2.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["ConfigError", "DiscTwinError", "Problem", "suggest"]


class DiscTwinError(Exception):
    """Base class of every error DiscTwin raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a user's input.

    Attributes:
        field: dotted path of the offending field, e.g. ``"population.n_patients"``.
        value: the value given, as the user wrote it.
        allowed: what would have been accepted, in words.
        suggestion: the nearest valid name, for typos, if any.
    """

    field: str
    value: object
    allowed: str
    suggestion: str | None = None

    def __str__(self) -> str:
        text = f"{self.field}: got {self.value!r}; allowed: {self.allowed}"
        if self.suggestion:
            text += f" (did you mean {self.suggestion!r}?)"
        return text


class ConfigError(DiscTwinError, ValueError):
    """A configuration or argument is invalid; carries every problem found, not only the first."""

    def __init__(self, problems: Sequence[Problem] | Problem):
        if isinstance(problems, Problem):
            problems = [problems]
        if not problems:
            raise ValueError("ConfigError needs at least one Problem")
        self.problems: tuple[Problem, ...] = tuple(problems)
        lines = [str(p) for p in self.problems]
        head = "invalid input" if len(lines) == 1 else f"{len(lines)} problems in the input"
        super().__init__(head + ":\n  " + "\n  ".join(lines))


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """Return the closest candidate to ``name`` (for 'did you mean' hints), or None."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None
