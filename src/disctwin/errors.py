"""Errors DiscTwin raises for user mistakes, each naming field, value and what is allowed.

Numerical code never prints; the CLI turns these into one clear message and exit code 2.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "ConfigError",
    "DiscTwinError",
    "Problem",
    "check_range",
    "read_text_file",
    "read_toml_file",
    "suggest",
]


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


def read_text_file(path: str | Path, field: str, *, what: str = "file") -> str:
    """The text of a file the user named: its bytes decoded as UTF-8 (a leading byte-order
    mark is dropped). The one way DiscTwin reads a user's TOML, JSON or CSV file.

    Args:
        path: the file.
        field: what the user called it, for the message (``"--parameters"``, ``"regimen"``).
        what: the kind of file, in words (``"TOML file"``), for the message.

    Raises:
        ConfigError: naming ``field`` and the path when it is missing, a directory, not
            readable, or not UTF-8 text (with the first offending byte and its offset).
    """
    path = Path(path)
    if not str(path).strip():
        raise ConfigError(Problem(field, str(path), f"the path of an existing {what}"))
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(Problem(field, str(path), f"an existing {what}")) from None
    except IsADirectoryError:
        raise ConfigError(Problem(field, str(path), f"a {what} (this is a directory)")) from None
    except PermissionError:
        raise ConfigError(
            Problem(field, str(path), f"a readable {what} (permission denied)")
        ) from None
    except OSError as err:
        raise ConfigError(
            Problem(field, str(path), f"a readable {what} ({err.strerror or err})")
        ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ConfigError(
            Problem(
                field,
                str(path),
                f"a UTF-8 text file (byte 0x{data[err.start]:02x} at offset {err.start} "
                "is not UTF-8)",
            )
        ) from None


def read_toml_file(path: str | Path, field: str) -> dict[str, Any]:
    """The parsed content of a user's TOML file (:func:`read_text_file`, then TOML).

    Raises:
        ConfigError: naming ``field`` and the path for every reason
            :func:`read_text_file` gives, and for text that is not valid TOML.
    """
    text = read_text_file(path, field, what="TOML file")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(Problem(field, str(path), f"valid TOML ({err})")) from None


def check_range(
    field: str,
    value: Any,
    low: float,
    high: float,
    *,
    integer: bool = False,
    unit: str = "",
) -> Any:
    """``value`` if it is a finite number from ``low`` to ``high`` (a whole number if
    ``integer``); otherwise a :class:`ConfigError` naming ``field``, the value and the range.
    """
    kind = "a whole number" if integer else "a number"
    allowed = f"{kind} from {_number(low)} to {_number(high)}" + (f" {unit}" if unit else "")
    ok_type = (
        isinstance(value, int) if integer else isinstance(value, int | float)
    ) and not isinstance(value, bool)
    if not ok_type or not (low <= value <= high):  # NaN fails the comparison
        raise ConfigError(Problem(field, value, allowed))
    return value


def _number(x: float) -> str:
    if isinstance(x, int) or (float(x).is_integer() and abs(x) < 1e15):
        return f"{int(x):,}"
    return f"{x:g}"
