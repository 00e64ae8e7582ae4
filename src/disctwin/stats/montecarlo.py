"""Monte Carlo errors of simulated operating characteristics.

A rate estimated from R simulated trials (power, type I error, coverage, a dose's selection
probability) is a binomial proportion ``x / R``. Its Monte Carlo standard error
``sqrt(p (1 - p) / R)`` is zero when no trial (or every trial) rejects, which reads as
certainty after 20 trials; so every rate is reported with a **Clopper-Pearson (exact)
95% interval** (:func:`proportion_interval`, ``method="clopper_pearson"``), which is never
degenerate: 0 rejections in 20 trials give 0.000-0.168, in 2,000 trials 0.000-0.0018. The
Wilson score interval is available too (``method="wilson"``). Both equal statsmodels'
``proportion_confint`` (methods ``"beta"`` and ``"wilson"``; ``tests/stats/test_montecarlo.py``).

A mean over trials (bias, mean N) has Monte Carlo standard error ``sd / sqrt(R)``
(:func:`mean_mcse`).

References:
    Clopper & Pearson (1934) Biometrika 26:404. Wilson (1927) JASA 22:209. Morris, White &
    Crowther (2019) Stat Med 38:2074 (Monte Carlo SE of simulation performance measures).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

__all__ = [
    "INTERVAL",
    "LEVEL",
    "Rate",
    "mean_mcse",
    "proportion_interval",
    "rate",
]

#: The confidence level of every reported Monte Carlo interval.
LEVEL = 0.95
#: The interval reported for simulated rates, in words (tables, notes).
INTERVAL = "Clopper-Pearson exact 95% interval"

Method = Literal["clopper_pearson", "wilson"]


def proportion_interval(
    successes: ArrayLike,
    n: ArrayLike,
    *,
    level: float = LEVEL,
    method: Method = "clopper_pearson",
) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) two-sided ``level`` confidence interval of a binomial proportion.

    ``method="clopper_pearson"``: the exact interval, the ``alpha/2`` quantile of
    Beta(x, n - x + 1) and the ``1 - alpha/2`` quantile of Beta(x + 1, n - x) (0 and 1 at
    x = 0 and x = n). ``method="wilson"``: the score interval
    ``(p + z^2/2n +- z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)``. NaN where ``n`` is 0.

    >>> low, high = proportion_interval(0, 20)
    >>> float(low), round(float(high), 4)
    (0.0, 0.1684)
    """
    x = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    if not 0 < level < 1:
        raise ValueError(f"level {level}: a probability in (0, 1)")
    if np.any(x < 0) or np.any(x > m):
        raise ValueError("successes must lie between 0 and n")
    alpha = 1.0 - level
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "clopper_pearson":
            low = np.where(x > 0, stats.beta.ppf(alpha / 2, x, m - x + 1), 0.0)
            high = np.where(x < m, stats.beta.ppf(1 - alpha / 2, x + 1, m - x), 1.0)
        elif method == "wilson":
            z = stats.norm.ppf(1 - alpha / 2)
            p = x / m
            centre = (p + z**2 / (2 * m)) / (1 + z**2 / m)
            half = z * np.sqrt(p * (1 - p) / m + z**2 / (4 * m**2)) / (1 + z**2 / m)
            low, high = centre - half, centre + half
        else:
            raise ValueError(f"method {method!r}: clopper_pearson or wilson")
    empty = m <= 0
    low = np.where(empty, np.nan, np.clip(low, 0.0, 1.0))
    high = np.where(empty, np.nan, np.clip(high, 0.0, 1.0))
    return low, high


@dataclass(frozen=True)
class Rate:
    """A simulated rate and its Monte Carlo error.

    Attributes:
        estimate: the proportion x / R (NaN with no trials).
        mcse: ``sqrt(p (1 - p) / R)`` (zero at 0 or 1: read the interval).
        low, high: the Clopper-Pearson 95% interval (:data:`INTERVAL`).
        n: R, the trials counted.
    """

    estimate: float
    mcse: float
    low: float
    high: float
    n: int


def rate(outcomes: ArrayLike, *, method: Method = "clopper_pearson") -> Rate:
    """The rate of true (or 1) among ``outcomes``, NaN ones left out (:class:`Rate`).

    >>> r = rate([False] * 20)
    >>> r.estimate, r.mcse, round(r.high, 3)
    (0.0, 0.0, 0.168)
    """
    x = np.asarray(outcomes, dtype=float).ravel()
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        nan = float("nan")
        return Rate(nan, nan, nan, nan, 0)
    k = float(x.sum())
    p = k / n
    low, high = proportion_interval(k, n, method=method)
    return Rate(p, float(np.sqrt(p * (1 - p) / n)), float(low), float(high), n)


def mean_mcse(values: ArrayLike) -> tuple[float, float]:
    """(mean, its Monte Carlo SE ``sd / sqrt(R)``) of ``values``, NaN ones left out; the SE
    is NaN with fewer than two values."""
    x = np.asarray(values, dtype=float).ravel()
    x = x[np.isfinite(x)]
    if x.size == 0:
        return float("nan"), float("nan")
    sd = float(x.std(ddof=1)) if x.size > 1 else float("nan")
    return float(x.mean()), sd / float(np.sqrt(x.size))
