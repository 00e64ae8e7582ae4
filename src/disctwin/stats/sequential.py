"""Group-sequential designs: boundaries from alpha spending, crossing probabilities, power.

A confirmatory trial with interim looks at information fractions ``0 < t_1 < ... < t_K = 1``
stops for efficacy at look k when the standardised statistic ``Z_k >= b_k`` and (optionally)
for futility when ``Z_k <= a_k``. The ``Z_k`` are those of a Brownian motion observed at the
looks: jointly normal, ``E Z_k = drift * sqrt(t_k)``, ``corr(Z_j, Z_k) = sqrt(t_j / t_k)``
(``drift = theta * sqrt(I_max)``: the expected Z at the final look).

Boundaries come from Lan-DeMets spending functions: the type I error spent by look k is
``alpha(t_k)``:

- O'Brien-Fleming type: ``alpha(t) = 2 - 2 Phi(z_{1 - alpha/2} / sqrt(t))``
- Pocock type: ``alpha(t) = alpha * ln(1 + (e - 1) t)``

and the bounds solve ``P_0(Z_1 < b_1, ..., Z_{k-1} < b_{k-1}, Z_k >= b_k) = alpha(t_k) -
alpha(t_{k-1})``. The probabilities are computed exactly (to ~1e-9) by the recursive numerical
integration of Armitage, McPherson & Rowe (1969) on the grid of Jennison & Turnbull (2000,
chapter 19: 6r - 1 points concentrated near the mean with logarithmic tails, Simpson's rule).
It is deterministic, costs O(K r^2) and keeps its accuracy in the far tail, where the first
look of an O'Brien-Fleming design spends ~1e-7: ``scipy.stats.multivariate_normal.cdf``
(Genz's quasi-Monte Carlo, absolute error ~1e-5, random) could not resolve that and could not
be inverted reliably; it is used in the tests as an independent check instead.

Futility bounds are non-binding: the efficacy bounds are computed as if there were no
futility bound, so the type I error stays at most alpha whether or not a trial stops for
futility; futility bounds spend ``beta(t)`` of type II error under the design alternative,
and the maximum information is the one at which ``a_K = b_K`` (as in gsDesign ``test.type=4``).

References:
    Lan & DeMets (1983) Biometrika 70:659-663. Jennison & Turnbull (2000) Group Sequential
    Methods with Applications to Clinical Trials, Chapman & Hall (chapters 2, 7, 19).
    O'Brien & Fleming (1979) Biometrics 35:549; Pocock (1977) Biometrika 64:191;
    Wang & Tsiatis (1987) Biometrics 43:193; Armitage, McPherson & Rowe (1969) JRSS-A 132:235.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from disctwin.errors import ConfigError, Problem, suggest

__all__ = [
    "Boundaries",
    "CrossingProbabilities",
    "boundaries",
    "crossing_probabilities",
    "fixed_sample_drift",
    "maximum_information",
    "spending_function",
    "wang_tsiatis",
]

Spending = Literal["obrien_fleming", "pocock"]
SPENDING: tuple[Spending, ...] = ("obrien_fleming", "pocock")

_GRID_R = 32  # Jennison & Turnbull recommend r = 16 for 1e-6; 32 costs little and gives ~1e-9


def spending_function(t: np.ndarray | float, total: float, kind: Spending) -> np.ndarray:
    """Cumulative error spent by information fraction ``t`` (Lan & DeMets 1983).

    ``obrien_fleming``: ``2 - 2 Phi(z_{1 - total/2} / sqrt(t))``;
    ``pocock``: ``total * ln(1 + (e - 1) t)``. Both are 0 at t = 0 and ``total`` at t = 1.

    Example:
        >>> float(spending_function(1.0, 0.025, "pocock"))
        0.025
        >>> round(float(spending_function(0.5, 0.025, "obrien_fleming")), 6)
        0.001525
    """
    t = np.clip(np.asarray(t, dtype=float), 0.0, 1.0)
    if kind == "obrien_fleming":
        with np.errstate(divide="ignore"):
            return 2.0 * stats.norm.sf(stats.norm.isf(total / 2.0) / np.sqrt(t))
    if kind == "pocock":
        return total * np.log1p((math.e - 1.0) * t)
    raise ConfigError(Problem("spending", kind, ", ".join(SPENDING), suggest(str(kind), SPENDING)))


@dataclass(frozen=True)
class Boundaries:
    """Group-sequential boundaries on the Z scale.

    Attributes:
        information_fractions: (K,) ``t_k``, ending at 1.
        efficacy: (K,) ``b_k``: stop for efficacy when ``Z_k >= b_k`` (two-sided designs also
            when ``Z_k <= -b_k``).
        futility: (K,) ``a_k`` (non-binding: stop for futility when ``Z_k <= a_k``), or None.
        alpha_spent: (K,) cumulative type I error spent by look k.
        beta_spent: (K,) cumulative type II error spent by the futility bound, or None.
        nominal_p: (K,) one-sided nominal p-value of ``b_k``: ``1 - Phi(b_k)``.
        alpha: total type I error (one-sided, or two-sided when ``sides == 2``).
        beta: type II error at the design alternative (power ``1 - beta``).
        spending: the efficacy spending function (or ``wang_tsiatis(shape)``).
        futility_spending: the beta-spending function, or None.
        sides: 1 (one-sided) or 2 (symmetric two-sided).
        drift: ``theta * sqrt(I_max)`` giving power ``1 - beta`` with these bounds.
        inflation_factor: ``I_max`` over the fixed-sample information for the same power:
            ``(drift / (z_{1-alpha/sides} + z_{1-beta}))^2``.
    """

    information_fractions: np.ndarray
    efficacy: np.ndarray
    futility: np.ndarray | None
    alpha_spent: np.ndarray
    beta_spent: np.ndarray | None
    nominal_p: np.ndarray
    alpha: float
    beta: float
    spending: str
    futility_spending: str | None
    sides: int
    drift: float
    inflation_factor: float

    def maximum_information(self, effect: float) -> float:
        """Information ``I_max = (drift / effect)^2`` needed at the final look (see
        :func:`maximum_information`)."""
        return maximum_information(self, effect)

    def to_frame(self) -> pd.DataFrame:
        """One row per look: fraction, z bounds, nominal p, cumulative alpha (and beta)."""
        frame = pd.DataFrame(
            {
                "look": np.arange(1, self.information_fractions.size + 1),
                "information_fraction": self.information_fractions,
                "z_efficacy": self.efficacy,
                "nominal_p": self.nominal_p,
                "alpha_spent": self.alpha_spent,
            }
        )
        if self.futility is not None:
            frame["z_futility"] = self.futility
            frame["beta_spent"] = self.beta_spent
        return frame


@dataclass(frozen=True)
class CrossingProbabilities:
    """Probabilities of stopping at each look under a given drift.

    Attributes:
        information_fractions: (K,) the looks.
        drift: ``theta * sqrt(I_max)``.
        upper: (K,) probability of first crossing the efficacy bound at look k.
        lower: (K,) probability of first crossing the lower bound at look k (the futility
            bound of a one-sided design, ``-b_k`` of a two-sided one; zeros if none).
    """

    information_fractions: np.ndarray
    drift: float
    upper: np.ndarray
    lower: np.ndarray

    @property
    def efficacy(self) -> np.ndarray:
        """Same as ``upper``."""
        return self.upper

    @property
    def futility(self) -> np.ndarray:
        """Same as ``lower``."""
        return self.lower

    @property
    def power(self) -> float:
        """Probability of crossing the efficacy bound at some look (type I error at drift 0)."""
        return float(self.upper.sum())

    @property
    def stop(self) -> np.ndarray:
        """(K,) probability of stopping at look k (the last look takes every remaining trial)."""
        stop = self.upper + self.lower
        stop[-1] = 1.0 - stop[:-1].sum()
        return stop

    @property
    def expected_information_fraction(self) -> float:
        """Expected information at stopping over ``I_max`` (average sample number ratio)."""
        return float(self.stop @ self.information_fractions)


# ---------------------------------------------------------------------------------------------
# numerical integration (Jennison & Turnbull 2000, chapter 19)


def _grid(mean: float, low: float, high: float, r: int) -> tuple[np.ndarray, np.ndarray]:
    """Points and Simpson weights on ``[low, high]`` for a density centred at ``mean``."""
    i = np.arange(1, 6 * r)
    x = np.where(
        i <= r - 1,
        -3.0 - 4.0 * np.log(r / np.maximum(i, 1)),
        np.where(i <= 5 * r, -3.0 + 3.0 * (i - r) / (2.0 * r), 3.0 + 4.0 * np.log(r / (6 * r - i))),
    )
    x = x + mean
    if not low < high:
        return np.empty(0), np.empty(0)
    inside = x[(x > low) & (x < high)]
    head = [low] if np.isfinite(low) and low > x[0] else []
    tail = [high] if np.isfinite(high) and high < x[-1] else []
    x = np.concatenate([head, inside, tail])
    if x.size < 2:  # a continuation region narrower than one grid step
        x = np.array([max(low, mean - 8.0), min(high, mean + 8.0)])
    mid = 0.5 * (x[:-1] + x[1:])
    z = np.empty(2 * x.size - 1)
    z[0::2], z[1::2] = x, mid
    d = np.diff(x)
    w = np.zeros_like(z)
    w[0:-1:2] += d / 6.0
    w[2::2] += d / 6.0
    w[1::2] = 4.0 * d / 6.0
    return z, w


class _Recursion:
    """Sub-density of ``Z_k`` on the continuation region, advanced look by look.

    After ``advance`` through looks 0..k-1, ``upper(b)`` and ``lower(a)`` give the
    probabilities of first crossing at look k, so solving for a bound at look k costs one
    dot product per trial value, not a new recursion.
    """

    def __init__(self, t: np.ndarray, drift: float, r: int = _GRID_R):
        self.t, self.drift, self.r = t, drift, r
        self.k = 0  # the look whose crossing probabilities ``upper``/``lower`` give
        # grid and weights of the continuation region, set by the first ``advance``
        self.z: np.ndarray = np.empty(0)
        self.wh: np.ndarray = np.empty(0)

    def _conditional(self):
        t, k = self.t, self.k
        s0, s1 = math.sqrt(t[k - 1]), math.sqrt(t[k])
        sd = math.sqrt(t[k] - t[k - 1])
        return self.z * s0 + self.drift * (t[k] - t[k - 1]), s1, sd

    def upper(self, high: float) -> float:
        if self.k == 0:
            return float(stats.norm.sf(high - self.drift * math.sqrt(self.t[0])))
        if self.wh.size == 0:
            return 0.0
        shift, s1, sd = self._conditional()
        return float(self.wh @ stats.norm.sf((high * s1 - shift) / sd))

    def lower(self, low: float) -> float:
        if self.k == 0:
            return float(stats.norm.cdf(low - self.drift * math.sqrt(self.t[0])))
        if self.wh.size == 0:
            return 0.0
        shift, s1, sd = self._conditional()
        return float(self.wh @ stats.norm.cdf((low * s1 - shift) / sd))

    def advance(self, low: float, high: float) -> None:
        """Continue past look k with continuation region ``(low, high)``."""
        mean = self.drift * math.sqrt(self.t[self.k])
        z, w = _grid(mean, low, high, self.r)
        if self.k == 0:
            self.wh = w * stats.norm.pdf(z - mean)
        elif self.wh.size == 0 or z.size == 0:
            self.wh = np.empty(0)
        else:
            shift, s1, sd = self._conditional()
            kernel = stats.norm.pdf((z[:, None] * s1 - shift[None, :]) / sd) * (s1 / sd)
            self.wh = w * (kernel @ self.wh)
        self.z = z
        self.k += 1


def _crossings(
    t: np.ndarray, low: np.ndarray, high: np.ndarray, drift: float
) -> tuple[np.ndarray, np.ndarray]:
    """First-crossing probabilities of ``high`` (upward) and ``low`` (downward) at each look."""
    rec = _Recursion(t, drift)
    upper, lower = np.zeros(t.size), np.zeros(t.size)
    for k in range(t.size):
        upper[k], lower[k] = rec.upper(high[k]), rec.lower(low[k])
        if k < t.size - 1:
            rec.advance(low[k], high[k])
    return upper, lower


def _solve_decreasing(f, target: float, lo: float, hi: float) -> float:
    """Root of ``f(x) = target`` for f decreasing on [lo, hi] (clamped at the ends)."""
    if f(hi) >= target:
        return hi
    if f(lo) <= target:
        return lo
    return optimize.brentq(lambda x: f(x) - target, lo, hi, xtol=1e-10, rtol=1e-13)


# ---------------------------------------------------------------------------------------------
# public API


def _check(
    information_fractions, alpha: float, beta: float, sides: int, problems: list[Problem]
) -> np.ndarray:
    try:
        t = np.asarray(information_fractions, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        problems.append(Problem("information_fractions", information_fractions, "numbers"))
        return np.array([1.0])
    allowed = "increasing fractions in (0, 1] ending at 1, e.g. 0.5,1 (at most 20 looks)"
    if (
        t.size == 0
        or t.size > 20
        or not np.isfinite(t).all()
        or t[0] <= 0
        or np.any(np.diff(t) <= 0)
        or abs(t[-1] - 1.0) > 1e-9
    ):
        problems.append(Problem("information_fractions", t.tolist(), allowed))
    if not (isinstance(alpha, int | float) and 0 < alpha < 0.5):
        problems.append(Problem("alpha", alpha, "a number in (0, 0.5)"))
    if not (isinstance(beta, int | float) and 0 < beta < 0.5):
        problems.append(Problem("beta", beta, "a number in (0, 0.5)"))
    if sides not in (1, 2):
        problems.append(Problem("sides", sides, "1 (one-sided) or 2 (symmetric two-sided)"))
    return t


def _efficacy_bounds(t: np.ndarray, cumulative: np.ndarray, sides: int) -> np.ndarray:
    increments = np.diff(np.concatenate([[0.0], cumulative])) / sides
    b = np.full(t.size, np.inf)
    rec = _Recursion(t, 0.0)
    for k in range(t.size):
        if increments[k] > 0:
            b[k] = _solve_decreasing(rec.upper, increments[k], -10.0, 40.0)
        if k < t.size - 1:
            rec.advance(-b[k] if sides == 2 else -np.inf, b[k])
    return b


def _futility_bounds(t, b, beta_cumulative, drift) -> tuple[np.ndarray, float]:
    """Futility bounds spending beta under ``drift``, and the total probability of crossing
    them (with ``a_K = b_K``)."""
    increments = np.diff(np.concatenate([[0.0], beta_cumulative]))
    a = np.full(t.size, -np.inf)
    rec = _Recursion(t, drift)
    total = 0.0
    for k in range(t.size):
        if k == t.size - 1:
            a[k] = b[k]
        elif increments[k] > 0:
            # lower-crossing probability increases with a: solve on -a (decreasing)
            a[k] = -_solve_decreasing(lambda y: rec.lower(-y), increments[k], -b[k], 40.0)
            a[k] = min(a[k], b[k])
        total += rec.lower(a[k])
        if k < t.size - 1:
            rec.advance(a[k], b[k])
    return a, total


def fixed_sample_drift(alpha: float, beta: float, sides: int = 1) -> float:
    """Drift of a single-look test with power ``1 - beta``: ``z_{1-alpha/sides} + z_{1-beta}``.

    Example:
        >>> round(fixed_sample_drift(0.025, 0.1), 4)
        3.2415
    """
    return float(stats.norm.isf(alpha / sides) + stats.norm.isf(beta))


def boundaries(
    information_fractions: Sequence[float] | np.ndarray,
    alpha: float = 0.025,
    spending: Spending = "obrien_fleming",
    futility: Spending | None = None,
    beta: float = 0.1,
    *,
    sides: Literal[1, 2] = 1,
) -> Boundaries:
    """Efficacy (and non-binding futility) boundaries from Lan-DeMets spending functions.

    Efficacy: ``b_k`` solves ``P_0(no crossing before k, Z_k >= b_k) = (alpha(t_k) -
    alpha(t_{k-1})) / sides`` (two-sided designs: symmetric ``+-b_k``). Futility (one-sided
    only): ``a_k`` solves ``P_drift(no crossing before k, Z_k <= a_k) = beta(t_k) -
    beta(t_{k-1})`` with ``a_K = b_K``; the drift (hence the maximum information) is the one
    that makes this hold, so power is exactly ``1 - beta``. Without futility, the drift is the
    one giving power ``1 - beta`` with the efficacy bounds alone.

    Args:
        information_fractions: (K,) increasing, ending at 1.
        alpha: one-sided type I error (two-sided total when ``sides=2``).
        spending: ``obrien_fleming`` or ``pocock`` (Lan-DeMets types).
        futility: beta-spending function for a non-binding futility bound, or None.
        beta: type II error at the design alternative.
        sides: 1 or 2.

    Reference: Lan & DeMets (1983); Jennison & Turnbull (2000) sections 7.2-7.3 and 19.2.
    Published check values (one-sided alpha 0.025, O'Brien-Fleming type, gsDesign ``sfLDOF``
    and Reboussin et al. 2000 ``ldbounds``): 2 looks 2.963, 1.969; 5 looks 4.877, 3.357,
    2.680, 2.290, 2.031.

    Example:
        >>> b = boundaries([0.5, 1.0])
        >>> b.efficacy.round(3).tolist()
        [2.963, 1.969]
    """
    problems: list[Problem] = []
    t = _check(information_fractions, alpha, beta, sides, problems)
    for name, value, optional in (("spending", spending, False), ("futility", futility, True)):
        if (value is None and not optional) or (value is not None and value not in SPENDING):
            problems.append(
                Problem(
                    name,
                    value,
                    ", ".join(SPENDING) + (" or none" if optional else ""),
                    suggest(str(value), SPENDING),
                )
            )
    if futility is not None and sides == 2:
        problems.append(Problem("futility", futility, "none for a two-sided design"))
    if problems:
        raise ConfigError(problems)
    cumulative = spending_function(t, alpha, spending)
    b = _efficacy_bounds(t, cumulative, sides)
    fixed = fixed_sample_drift(alpha, beta, sides)
    beta_cumulative = None
    if futility is None:
        a = None
        low = -b if sides == 2 else np.full(t.size, -np.inf)

        def shortfall(drift):
            return _crossings(t, low, b, drift)[0].sum() - (1 - beta)

        drift = optimize.brentq(shortfall, fixed * 0.5, fixed * 3.0, xtol=1e-10)
    else:
        beta_cumulative = spending_function(t, beta, futility)

        def excess(drift):
            return _futility_bounds(t, b, beta_cumulative, drift)[1] - beta

        drift = optimize.brentq(excess, fixed * 0.8, fixed * 3.0, xtol=1e-10)
        a = _futility_bounds(t, b, beta_cumulative, drift)[0]
    return Boundaries(
        information_fractions=t,
        efficacy=b,
        futility=a,
        alpha_spent=cumulative,
        beta_spent=beta_cumulative,
        nominal_p=stats.norm.sf(b),
        alpha=float(alpha),
        beta=float(beta),
        spending=spending,
        futility_spending=futility,
        sides=int(sides),
        drift=float(drift),
        inflation_factor=float((drift / fixed) ** 2),
    )


def wang_tsiatis(
    information_fractions: Sequence[float] | np.ndarray,
    alpha: float = 0.025,
    shape: float = 0.0,
    beta: float = 0.1,
    *,
    sides: Literal[1, 2] = 1,
) -> Boundaries:
    """Classical (not spending) boundaries ``b_k = c * t_k^(shape - 1/2)`` of Wang & Tsiatis.

    ``shape = 0`` gives O'Brien & Fleming (1979), ``shape = 0.5`` Pocock (1977); ``c`` solves
    ``P_0(cross at some look) = alpha``. These need the number and timing of looks fixed in
    advance; spending functions (:func:`boundaries`) do not.

    Reference: Wang & Tsiatis (1987); Jennison & Turnbull (2000) Tables 2.1 and 2.3
    (two-sided alpha 0.05: O'Brien-Fleming C_B(2) = 1.977, C_B(3) = 2.004; Pocock
    C_P(2) = 2.178, C_P(5) = 2.413).

    Example:
        >>> wang_tsiatis([0.5, 1.0], alpha=0.05, sides=2).efficacy.round(3).tolist()
        [2.797, 1.977]
    """
    problems: list[Problem] = []
    t = _check(information_fractions, alpha, beta, sides, problems)
    if not (isinstance(shape, int | float) and -0.5 <= shape <= 1.0):
        problems.append(Problem("shape", shape, "a number in [-0.5, 1] (0: OBF, 0.5: Pocock)"))
    if problems:
        raise ConfigError(problems)
    scale = t ** (shape - 0.5)

    def error(c):
        b = c * scale
        low = -b if sides == 2 else np.full(t.size, -np.inf)
        up, lo = _crossings(t, low, b, 0.0)
        return up.sum() + (lo.sum() if sides == 2 else 0.0)

    c = _solve_decreasing(error, alpha, 0.5, 10.0)
    b = c * scale
    low = -b if sides == 2 else np.full(t.size, -np.inf)
    up, lo = _crossings(t, low, b, 0.0)
    spent = np.cumsum(up + (lo if sides == 2 else 0.0))
    fixed = fixed_sample_drift(alpha, beta, sides)
    drift = optimize.brentq(
        lambda d: _crossings(t, low, b, d)[0].sum() - (1 - beta), fixed * 0.5, fixed * 3.0
    )
    return Boundaries(
        information_fractions=t,
        efficacy=b,
        futility=None,
        alpha_spent=spent,
        beta_spent=None,
        nominal_p=stats.norm.sf(b),
        alpha=float(alpha),
        beta=float(beta),
        spending=f"wang_tsiatis({shape:g})",
        futility_spending=None,
        sides=int(sides),
        drift=float(drift),
        inflation_factor=float((drift / fixed) ** 2),
    )


def crossing_probabilities(
    boundaries: Boundaries, drift: float, *, use_futility: bool = True
) -> CrossingProbabilities:
    """Probability of stopping for efficacy (and futility) at each look under ``drift``.

    ``drift = theta * sqrt(I_max)``, the mean of Z at the final look: 0 gives the type I error
    spent per look, ``boundaries.drift`` the power at the design alternative. With
    ``use_futility=False`` the (non-binding) futility bound is ignored.

    Example:
        >>> b = boundaries([0.5, 1.0], spending="pocock")
        >>> round(crossing_probabilities(b, 0.0).power, 6)
        0.025
    """
    if not np.isfinite(drift):
        raise ConfigError(Problem("drift", drift, "a finite number"))
    t = boundaries.information_fractions
    b = boundaries.efficacy
    if boundaries.sides == 2:
        low = -b
    elif boundaries.futility is not None and use_futility:
        low = boundaries.futility
    else:
        low = np.full(t.size, -np.inf)
    upper, lower = _crossings(t, low, b, float(drift))
    return CrossingProbabilities(t, float(drift), upper, lower)


def maximum_information(boundaries: Boundaries, effect: float) -> float:
    """Statistical information needed at the final look to detect ``effect`` with power
    ``1 - beta``: ``I_max = (drift / effect)^2``.

    For a two-arm comparison of means with standard deviation ``sigma`` and ``n`` patients per
    arm, ``I = n / (2 sigma^2)``, so ``n_per_arm = 2 sigma^2 I_max``.

    Example:
        >>> b = boundaries([1.0])  # a single look: no inflation
        >>> round(maximum_information(b, 0.5) * 2, 1)  # patients per arm, sigma = 1
        84.1
    """
    if not (np.isfinite(effect) and effect != 0):
        raise ConfigError(Problem("effect", effect, "a non-zero finite treatment effect"))
    return float((boundaries.drift / effect) ** 2)
