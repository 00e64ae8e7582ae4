"""How the commands print numbers with their Monte Carlo errors."""

from __future__ import annotations

import math

__all__ = ["estimate_text", "rate_text"]


def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def rate_text(p: float, low: float | None, high: float | None, digits: int = 2) -> str:
    """A simulated rate with its 95% interval: ``0.00 (95% CI 0.00-0.17)``; ``-`` for none.

    >>> rate_text(0.0, 0.0, 0.168)
    '0.00 (95% CI 0.00-0.17)'
    """
    if _missing(p):
        return "-"
    text = f"{p:.{digits}f}"
    if _missing(low) or _missing(high):
        return text
    return f"{text} (95% CI {low:.{digits}f}-{high:.{digits}f})"


def estimate_text(x: float, se: float | None = None, digits: int = 3) -> str:
    """A mean with its Monte Carlo SE: ``0.240 ± 0.140``; ``-`` for none."""
    if _missing(x):
        return "-"
    text = f"{x:.{digits}f}"
    return text + ("" if _missing(se) else f" ± {se:.{digits}f}")
