"""Input checks shared by the economic modules: each failure is one :class:`ConfigError`
naming the field, the value and what is allowed."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from disctwin.errors import ConfigError, Problem, suggest

#: Annual discount rates outside this interval are refused: every HTA guideline we know of
#: lies between 0 and 0.07; 0.2 leaves room for sensitivity analyses, not for typos (3.5
#: instead of 0.035).
MAX_DISCOUNT_RATE = 0.2


def check_discount_rate(field: str, rate: float) -> float:
    """``rate`` as a float if it is a number in [0, 0.2] (annual, a fraction, not percent)."""
    if isinstance(rate, bool) or not isinstance(rate, int | float | np.floating | np.integer):
        raise ConfigError(Problem(field, rate, "an annual rate as a number in [0, 0.2]"))
    value = float(rate)
    if not (math.isfinite(value) and 0.0 <= value <= MAX_DISCOUNT_RATE):
        raise ConfigError(
            Problem(field, rate, "an annual rate in [0, 0.2], as a fraction (0.035 = 3.5%)")
        )
    return value


def check_price(field: str, price: float) -> float:
    """``price`` as a float if it is a finite number >= 0."""
    if isinstance(price, bool) or not isinstance(price, int | float | np.floating | np.integer):
        raise ConfigError(Problem(field, price, "a price as a finite number >= 0"))
    value = float(price)
    if not (math.isfinite(value) and value >= 0.0):
        raise ConfigError(Problem(field, price, "a price as a finite number >= 0"))
    return value


def check_positive(field: str, value: float, what: str = "a finite number > 0") -> float:
    """``value`` as a float if finite and > 0."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise ConfigError(Problem(field, value, what))
    number = float(value)
    if not (math.isfinite(number) and number > 0.0):
        raise ConfigError(Problem(field, value, what))
    return number


def check_threshold(field: str, threshold: float) -> float:
    """A willingness-to-pay threshold: a finite number >= 0 (money per QALY)."""
    if isinstance(threshold, bool) or not isinstance(
        threshold, int | float | np.floating | np.integer
    ):
        raise ConfigError(Problem(field, threshold, "a threshold as a finite number >= 0"))
    value = float(threshold)
    if not (math.isfinite(value) and value >= 0.0):
        raise ConfigError(Problem(field, threshold, "a threshold as a finite number >= 0"))
    return value


def check_name(field: str, name: str, known: Iterable[str], what: str) -> str:
    """``name`` if it is one of ``known``; otherwise a ConfigError with a nearest-name hint."""
    names = sorted(known)
    if name in names:
        return name
    allowed = f"{what}: one of {names}" if len(names) <= 40 else f"{what} ({len(names)} known)"
    raise ConfigError(Problem(field, name, allowed, suggest(str(name), names)))


def as_finite_array(field: str, values: object, ndim: int | None = None) -> np.ndarray:
    """``values`` as a float array, refusing NaN/inf and (optionally) the wrong rank."""
    array = np.asarray(values, dtype=float)
    if ndim is not None and array.ndim != ndim:
        raise ConfigError(Problem(field, f"array of shape {array.shape}", f"a {ndim}-d array"))
    if not np.all(np.isfinite(array)):
        raise ConfigError(Problem(field, "array with NaN or inf", "finite numbers only"))
    return array
