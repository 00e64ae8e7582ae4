"""Phase I dose escalation: the 3+3 design and BOIN, one trial or operating characteristics.

A design is a frozen config (:class:`ThreePlusThree`, :class:`Boin`) that drives a small
state machine: treat a cohort at the current dose, observe its dose-limiting toxicities
(DLTs), decide (escalate, stay, de-escalate, eliminate, stop). The same machine is run

- by simulation (:func:`three_plus_three`, :func:`boin_trial`, :func:`simulate_escalation`):
  each cohort's DLT count is ``Binomial(cohort size, p_true[dose])``; replicate r draws from
  ``default_rng(SeedSequence(seed, spawn_key=(r,)))``, so results do not depend on how
  replicates are split among workers (``workers``: :mod:`disctwin.parallel`);
- and exactly (:func:`exact_operating_characteristics`): every branch of the decision tree is
  enumerated with its binomial probability (no Monte Carlo error; practical for small designs).

Simulated operating characteristics carry their Monte Carlo errors: each selection
probability its MC SE and Clopper-Pearson exact 95% interval, each mean its MC SE
(:meth:`OperatingCharacteristics.to_frame`; :mod:`disctwin.stats.montecarlo`).

Doses are 0-based indices into ``true_dlt_probabilities``; ``None`` (``-1`` in arrays) means
no dose was selected (every dose too toxic).

References:
    Storer (1989) Biometrics 45:925 (3+3); Le Tourneau, Lee & Siu (2009) JNCI 101:708.
    Liu & Yuan (2015) JRSS-C 64:507-523 (BOIN); Yuan, Hess, Hilsenbeck & Gilbert (2016)
    Clin Cancer Res 22:4291 (BOIN decision table); the BOIN R package (Yan, Pan, Zhang, Liu,
    Yuan; ``get.boundary``, ``get.oc``, ``select.mtd``), whose rules are followed here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cache, partial
from itertools import pairwise

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy import special, stats

from disctwin.errors import ConfigError, Problem
from disctwin.parallel import check_workers, map_replicates
from disctwin.stats.montecarlo import proportion_interval

__all__ = [
    "Boin",
    "EscalationTrial",
    "OperatingCharacteristics",
    "ThreePlusThree",
    "boin_boundaries",
    "boin_decision_table",
    "boin_select_mtd",
    "boin_trial",
    "exact_operating_characteristics",
    "isotonic_regression",
    "probability_above_target",
    "simulate_escalation",
    "three_plus_three",
    "three_plus_three_escalation_probability",
]


class _Design(BaseModel):
    """Frozen design config; invalid values raise ConfigError naming field and allowed range."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def __init__(self, **data):
        try:
            super().__init__(**data)
        except ValidationError as err:
            problems = [
                Problem(
                    ".".join(str(x) for x in e["loc"]) or type(self).__name__,
                    e.get("input"),
                    e["msg"].removeprefix("Value error, ").removeprefix("Input should be "),
                )
                for e in err.errors()
            ]
            raise ConfigError(problems) from None


class ThreePlusThree(_Design):
    """The traditional 3+3 design (cohorts of 3).

    At a dose: 0/3 DLTs: escalate; 1/3: treat 3 more, then escalate if <= 1/6; >= 2 DLTs:
    the dose is too toxic and the trial de-escalates. With ``confirm_mtd`` (default), the MTD
    must have 6 patients: on de-escalation to a dose with only 3, 3 more are treated there
    (<= 1/6: it is the MTD; otherwise de-escalate again). Without it, the MTD is simply the
    dose below the first too-toxic one. Escalating past the highest dose selects it.

    Attributes:
        start_dose: index of the first dose (default 0, the lowest).
        confirm_mtd: expand the dose below a too-toxic one to 6 patients before selecting it.
    """

    start_dose: int = Field(default=0, ge=0, description="index of the first dose")
    confirm_mtd: bool = True

    @property
    def name(self) -> str:
        return "3+3" + (" (MTD confirmed with 6 patients)" if self.confirm_mtd else "")


class Boin(_Design):
    """Bayesian optimal interval design (Liu & Yuan 2015).

    Escalate when the observed DLT rate at the current dose ``y/n <= lambda_e``, de-escalate
    when ``y/n >= lambda_d``, otherwise stay; eliminate the dose and all higher ones when
    ``Pr(p > target | y, n) > elimination_cutoff`` under a Beta(1, 1) prior, for ``n >= 3``
    (the trial stops if the lowest dose is eliminated). At the end, the MTD is the dose whose
    isotonic-regression estimate is closest to the target (:func:`boin_select_mtd`).

    Attributes:
        target: target DLT probability ``phi`` (fraction; 0.2-0.35 typical; Liu & Yuan 2015).
        phi1: highest DLT probability deemed sub-therapeutic (default ``0.6 phi``: the
            paper's recommended default).
        phi2: lowest DLT probability deemed overly toxic (default ``1.4 phi``).
        cohort_size: patients per cohort (default 3).
        n_cohorts: maximum number of cohorts (default 10: 30 patients).
        start_dose: index of the first dose.
        elimination_cutoff: posterior probability above which a dose is eliminated (0.95,
            the BOIN R package default).
        n_earlystop: stop once this many patients have been treated at the current dose and
            the decision is to stay there (None: never; the BOIN R package's ``n.earlystop``).
    """

    target: float = Field(gt=0.0, lt=0.6)
    phi1: float | None = Field(default=None, ge=0.0, lt=1.0)
    phi2: float | None = Field(default=None, gt=0.0, lt=1.0)
    cohort_size: int = Field(default=3, ge=1, le=12)
    n_cohorts: int = Field(default=10, ge=1, le=200)
    start_dose: int = Field(default=0, ge=0)
    elimination_cutoff: float = Field(default=0.95, gt=0.5, lt=1.0)
    n_earlystop: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> Boin:
        if not self.lower < self.target < self.upper:
            raise ValueError(
                f"phi1 < target < phi2 (got {self.lower:g}, {self.target:g}, {self.upper:g})"
            )
        return self

    @property
    def lower(self) -> float:
        return 0.6 * self.target if self.phi1 is None else self.phi1

    @property
    def upper(self) -> float:
        return 1.4 * self.target if self.phi2 is None else self.phi2

    @property
    def name(self) -> str:
        return f"BOIN (target {self.target:g}, {self.n_cohorts} cohorts of {self.cohort_size})"

    @property
    def boundaries(self) -> tuple[float, float]:
        """``(lambda_e, lambda_d)``, see :func:`boin_boundaries`."""
        return boin_boundaries(self.target, self.lower, self.upper)


Design = ThreePlusThree | Boin


# ---------------------------------------------------------------------------------------------
# BOIN building blocks


def boin_boundaries(
    target: float, phi1: float | None = None, phi2: float | None = None
) -> tuple[float, float]:
    """BOIN escalation and de-escalation boundaries ``(lambda_e, lambda_d)``.

    ``lambda_e = ln((1 - phi1) / (1 - phi)) / ln(phi (1 - phi1) / (phi1 (1 - phi)))``,
    ``lambda_d = ln((1 - phi) / (1 - phi2)) / ln(phi2 (1 - phi) / (phi (1 - phi2)))``,
    with ``phi1 = 0.6 phi`` and ``phi2 = 1.4 phi`` by default (Liu & Yuan 2015, Table 1:
    phi = 0.3 gives 0.236 and 0.358).

    Example:
        >>> [round(x, 3) for x in boin_boundaries(0.25)]
        [0.197, 0.298]
    """
    phi1 = 0.6 * target if phi1 is None else phi1
    phi2 = 1.4 * target if phi2 is None else phi2
    if not 0.0 < phi1 < target < phi2 < 1.0:
        raise ConfigError(Problem("target", (phi1, target, phi2), "0 < phi1 < target < phi2 < 1"))
    lambda_e = math.log((1 - phi1) / (1 - target)) / math.log(
        target * (1 - phi1) / (phi1 * (1 - target))
    )
    lambda_d = math.log((1 - target) / (1 - phi2)) / math.log(
        phi2 * (1 - target) / (target * (1 - phi2))
    )
    return lambda_e, lambda_d


def probability_above_target(dlts: int, n: int, target: float) -> float:
    """Posterior ``Pr(p > target | dlts of n)`` under a Beta(1, 1) prior:
    ``1 - I_target(dlts + 1, n - dlts + 1)`` (regularised incomplete beta).

    Example:
        >>> round(probability_above_target(3, 3, 0.3), 4)  # 1 - 0.3^4
        0.9919
    """
    return float(special.betainc(n - dlts + 1, dlts + 1, 1.0 - target))


def _elimination_count(n: int, target: float, cutoff: float) -> int | None:
    """Smallest DLT count out of n that eliminates the dose (n >= 3), or None."""
    if n < 3:
        return None
    for y in range(n + 1):
        if probability_above_target(y, n, target) > cutoff:
            return y
    return None


def boin_decision_table(
    target: float,
    cohort_size: int = 3,
    max_n: int = 12,
    *,
    phi1: float | None = None,
    phi2: float | None = None,
    elimination_cutoff: float = 0.95,
) -> pd.DataFrame:
    """The BOIN decision table for clinicians: one row per number of patients treated at the
    current dose (multiples of ``cohort_size`` up to ``max_n``).

    Columns: ``n``, ``escalate_if_at_most`` (``floor(n lambda_e)`` DLTs), ``deescalate_if_at_least``
    (``ceil(n lambda_d)``), ``eliminate_if_at_least`` (smallest y with ``Pr(p > target | y, n)
    > cutoff``; missing for n < 3 or if none). Otherwise: stay.

    Reference: Yuan et al. (2016) Clin Cancer Res 22:4291, Table 1 (target 0.3, n = 1..12).

    Example:
        >>> boin_decision_table(0.3, 3, 12).to_numpy().tolist()
        [[3, 0, 2, 3], [6, 1, 3, 4], [9, 2, 4, 5], [12, 2, 5, 7]]
    """
    problems = []
    if not (isinstance(cohort_size, int) and 1 <= cohort_size <= 12):
        problems.append(Problem("cohort_size", cohort_size, "an integer from 1 to 12"))
    if not (isinstance(max_n, int) and cohort_size <= max_n <= 300):
        problems.append(Problem("max_n", max_n, "an integer from cohort_size to 300"))
    if not (isinstance(target, int | float) and 0 < target < 0.6):
        problems.append(Problem("target", target, "a DLT probability in (0, 0.6)"))
    if not 0.5 < elimination_cutoff < 1:
        problems.append(Problem("elimination_cutoff", elimination_cutoff, "a number in (0.5, 1)"))
    if problems:
        raise ConfigError(problems)
    lambda_e, lambda_d = boin_boundaries(target, phi1, phi2)
    ns = np.arange(cohort_size, max_n + 1, cohort_size)
    eliminate = [_elimination_count(int(n), target, elimination_cutoff) for n in ns]
    return pd.DataFrame(
        {
            "n": ns,
            "escalate_if_at_most": np.floor(ns * lambda_e).astype(int),
            "deescalate_if_at_least": np.ceil(ns * lambda_d).astype(int),
            "eliminate_if_at_least": pd.array(eliminate, dtype="Int64"),
        }
    )


def _pava(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted pool-adjacent-violators: the non-decreasing fit minimising weighted squares."""
    blocks: list[list[float]] = []  # [weighted mean, weight, length]
    for v, w in zip(values, weights, strict=True):
        blocks.append([float(v), float(w), 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            v2, w2, n2 = blocks.pop()
            v1, w1, n1 = blocks.pop()
            blocks.append([(v1 * w1 + v2 * w2) / (w1 + w2), w1 + w2, n1 + n2])
    return np.concatenate([np.full(n, v) for v, _, n in blocks])


def isotonic_regression(values: ArrayLike, weights: ArrayLike) -> np.ndarray:
    """Non-decreasing least-squares fit ``argmin sum w_i (x_i - v_i)^2`` s.t. ``x`` increasing.

    Uses ``scipy.optimize.isotonic_regression`` (SciPy >= 1.12), else the pool-adjacent-
    violators algorithm of this module (Barlow et al. 1972).

    Example:
        >>> isotonic_regression([0.1, 0.3, 0.2, 0.5], [1, 1, 1, 1]).round(2).tolist()
        [0.1, 0.25, 0.25, 0.5]
    """
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    try:
        from scipy.optimize import isotonic_regression as scipy_isotonic
    except ImportError:  # SciPy < 1.12
        return _pava(v, w)
    return np.asarray(scipy_isotonic(v, weights=w, increasing=True).x)


def boin_select_mtd(
    n: Sequence[int],
    dlts: Sequence[int],
    target: float,
    *,
    elimination_cutoff: float = 0.95,
) -> int | None:
    """Select the MTD at the end of a BOIN trial (BOIN R package ``select.mtd``).

    Doses from the lowest eliminated one up (``Pr(p > target | data) > cutoff``, n >= 3) are
    excluded; if the lowest is excluded, none is selected. Among the remaining doses that were
    tried, ``p_hat = (y + 0.05) / (n + 0.1)`` is made non-decreasing by isotonic regression
    with weights ``1 / var`` (``var = (y + .05)(n - y + .05) / ((n + .1)^2 (n + 1.1))``); the
    dose with the estimate closest to the target is selected, ties to the higher dose below
    the target and the lower dose above it.

    Example:
        >>> boin_select_mtd([3, 6, 9, 3], [0, 1, 3, 2], 0.3)
        2
    """
    n_arr = np.asarray(n, dtype=float)
    y_arr = np.asarray(dlts, dtype=float)
    eliminated = np.zeros(n_arr.size, dtype=bool)
    for d in range(n_arr.size):
        if n_arr[d] >= 3 and (
            probability_above_target(int(y_arr[d]), int(n_arr[d]), target) > elimination_cutoff
        ):
            eliminated[d:] = True
            break
    admissible = (n_arr > 0) & ~eliminated
    if eliminated[0] or not admissible.any():
        return None
    index = np.flatnonzero(admissible)
    y, m = y_arr[index], n_arr[index]
    p_hat = (y + 0.05) / (m + 0.1)
    variance = (y + 0.05) * (m - y + 0.05) / ((m + 0.1) ** 2 * (m + 0.1 + 1))
    fitted = isotonic_regression(p_hat, 1.0 / variance)
    fitted = fitted + np.arange(1, fitted.size + 1) * 1e-10  # ties: as the BOIN package
    return int(index[int(np.argmin(np.abs(fitted - target)))])


# ---------------------------------------------------------------------------------------------
# the state machine


@dataclass(frozen=True)
class _State:
    n: tuple[int, ...]
    dlts: tuple[int, ...]
    current: int
    highest: int  # highest dose not eliminated
    cohorts: int = 0
    done: bool = False
    selected: int | None = None  # 3+3 selects during the trial
    reason: str = ""


def _start(design: Design, n_doses: int) -> _State:
    return _State((0,) * n_doses, (0,) * n_doses, design.start_dose, n_doses - 1)


def _cohort_size(design: Design) -> int:
    return 3 if isinstance(design, ThreePlusThree) else design.cohort_size


def _step(design: Design, state: _State, dlts: int) -> _State:
    """Treat one cohort at ``state.current`` with ``dlts`` DLTs and decide what comes next."""
    d = state.current
    c = _cohort_size(design)
    n = list(state.n)
    y = list(state.dlts)
    n[d] += c
    y[d] += dlts
    s = replace(state, n=tuple(n), dlts=tuple(y), cohorts=state.cohorts + 1)
    if isinstance(design, ThreePlusThree):
        return _step_3plus3(design, s, d)
    return _step_boin(design, s, d)


def _step_3plus3(design: ThreePlusThree, s: _State, d: int) -> _State:
    n, y = s.n[d], s.dlts[d]
    top = len(s.n) - 1

    def stop(selected, reason):
        return replace(s, done=True, selected=selected, reason=reason)

    def deescalate():
        if d == 0:
            return stop(None, "lowest dose too toxic")
        if not design.confirm_mtd or s.n[d - 1] >= 6:
            return stop(d - 1, "dose above too toxic")
        return replace(s, current=d - 1, highest=d - 1)

    if (n == 3 and y >= 2) or (n == 6 and y >= 2):
        return deescalate()
    if n == 3 and y == 1:
        return s  # 3 more at the same dose
    # 0/3 or <= 1/6: escalate, unless the dose above was already found too toxic
    if d < s.highest and s.n[d + 1] == 0:
        return replace(s, current=d + 1)
    if d == top and s.highest == top:
        return stop(d, "highest dose passed")
    return stop(d, "confirmed with 6 patients")


def _step_boin(design: Boin, s: _State, d: int) -> _State:
    n, y = s.n[d], s.dlts[d]
    lambda_e, lambda_d = design.boundaries
    current, highest = d, s.highest
    if n >= 3 and probability_above_target(y, n, design.target) > design.elimination_cutoff:
        highest = d - 1
        if d == 0:
            return replace(s, highest=-1, done=True, reason="lowest dose eliminated")
        current = d - 1
    elif y <= math.floor(n * lambda_e) and d < highest:
        current = d + 1
    elif y >= math.ceil(n * lambda_d) and d > 0:
        current = d - 1
    if s.cohorts >= design.n_cohorts:
        return replace(s, current=current, highest=highest, done=True, reason="maximum sample size")
    # BOIN package (>= 2.7): stop early only when the decision is to stay at the current dose
    if design.n_earlystop is not None and n >= design.n_earlystop and current == d:
        return replace(s, highest=highest, done=True, reason=f"{n} patients at the current dose")
    return replace(s, current=current, highest=highest)


def _select(design: Design, state: _State) -> int | None:
    if isinstance(design, ThreePlusThree):
        return state.selected
    return boin_select_mtd(
        state.n, state.dlts, design.target, elimination_cutoff=design.elimination_cutoff
    )


# ---------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class EscalationTrial:
    """One simulated escalation trial.

    Attributes:
        n: (doses,) patients treated at each dose.
        dlts: (doses,) DLTs observed at each dose.
        selected: index of the selected MTD, or None.
        doses_given: (cohorts,) the dose of each cohort in order.
        reason: why the trial stopped.
    """

    n: np.ndarray
    dlts: np.ndarray
    selected: int | None
    doses_given: np.ndarray
    reason: str

    @property
    def total_patients(self) -> int:
        return int(self.n.sum())

    @property
    def total_dlts(self) -> int:
        return int(self.dlts.sum())


@dataclass(frozen=True)
class OperatingCharacteristics:
    """Operating characteristics of a design at one true dose-toxicity curve.

    Attributes:
        design: the design's name.
        true_dlt_probabilities: (doses,).
        selection: (doses,) probability that each dose is selected as the MTD.
        no_selection: probability that no dose is selected.
        mean_patients: (doses,) expected patients treated at each dose.
        mean_dlts: (doses,) expected DLTs at each dose.
        n_trials: number of simulated trials (None: exact enumeration).
        selected: (n_trials,) the MTD of each simulated trial, -1 for none (empty if exact).
        total_patients: (n_trials,) patients in each simulated trial (empty if exact).
        selection_ci: (2, doses + 1) Clopper-Pearson exact 95% interval of each dose's
            selection probability, the last column that of no selection (None if exact:
            no Monte Carlo error; :mod:`disctwin.stats.montecarlo`).
        mean_patients_mcse, mean_dlts_mcse: (doses,) Monte Carlo SE of the means
            (``sd / sqrt(n_trials)``; None if exact).
    """

    design: str
    true_dlt_probabilities: np.ndarray
    selection: np.ndarray
    no_selection: float
    mean_patients: np.ndarray
    mean_dlts: np.ndarray
    n_trials: int | None = None
    selected: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=int))
    total_patients: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=int))
    selection_ci: np.ndarray | None = None
    mean_patients_mcse: np.ndarray | None = None
    mean_dlts_mcse: np.ndarray | None = None

    @property
    def mean_total_patients(self) -> float:
        return float(self.mean_patients.sum())

    @property
    def mean_total_patients_mcse(self) -> float:
        """Monte Carlo SE of :attr:`mean_total_patients` (NaN if exact)."""
        if self.total_patients.size < 2:
            return float("nan")
        return float(self.total_patients.std(ddof=1) / np.sqrt(self.total_patients.size))

    @property
    def mean_total_dlts(self) -> float:
        return float(self.mean_dlts.sum())

    def to_frame(self) -> pd.DataFrame:
        """One row per dose, plus a row ``none`` for no selection; the Monte Carlo columns
        (``selection_mcse``, ``selection_ci_low``, ``selection_ci_high``,
        ``mean_patients_mcse``, ``mean_dlts_mcse``) are NaN for exact enumeration."""
        doses = self.true_dlt_probabilities.size
        selection = np.array([*self.selection, self.no_selection])
        nan = np.full(doses + 1, np.nan)
        mcse = np.sqrt(selection * (1 - selection) / self.n_trials) if self.n_trials else nan

        def per_dose(x: np.ndarray | None) -> np.ndarray:
            return nan if x is None else np.array([*x, np.nan])

        ci = self.selection_ci if self.selection_ci is not None else np.vstack([nan, nan])
        return pd.DataFrame(
            {
                "dose": [*(str(d + 1) for d in range(doses)), "none"],
                "true_dlt_probability": [*self.true_dlt_probabilities, np.nan],
                "selection_probability": selection,
                "selection_mcse": mcse,
                "selection_ci_low": ci[0],
                "selection_ci_high": ci[1],
                "mean_patients": [*self.mean_patients, np.nan],
                "mean_patients_mcse": per_dose(self.mean_patients_mcse),
                "mean_dlts": [*self.mean_dlts, np.nan],
                "mean_dlts_mcse": per_dose(self.mean_dlts_mcse),
            }
        )


# ---------------------------------------------------------------------------------------------
# running designs


def _check(design, true_dlt_probabilities) -> np.ndarray:
    problems = []
    if not isinstance(design, ThreePlusThree | Boin):
        problems.append(Problem("design", type(design).__name__, "ThreePlusThree or Boin"))
    try:
        p = np.asarray(true_dlt_probabilities, dtype=float)
    except (TypeError, ValueError):
        p = np.array([np.nan])
    if p.ndim != 1 or p.size == 0 or not np.all((p >= 0) & (p <= 1)):
        problems.append(
            Problem(
                "true_dlt_probabilities",
                true_dlt_probabilities,
                "one probability in [0, 1] per dose, lowest dose first",
            )
        )
    elif isinstance(design, ThreePlusThree | Boin) and design.start_dose >= p.size:
        problems.append(Problem("start_dose", design.start_dose, f"0 to {p.size - 1}"))
    if problems:
        raise ConfigError(problems)
    return p


def _run(design: Design, p: np.ndarray, rng: np.random.Generator) -> EscalationTrial:
    state = _start(design, p.size)
    c = _cohort_size(design)
    given = []
    while not state.done:
        given.append(state.current)
        state = _step(design, state, int(rng.binomial(c, p[state.current])))
    return EscalationTrial(
        np.array(state.n),
        np.array(state.dlts),
        _select(design, state),
        np.array(given, dtype=int),
        state.reason,
    )


def three_plus_three(
    true_dlt_probabilities: Sequence[float] | np.ndarray,
    rng: np.random.Generator,
    *,
    design: ThreePlusThree | None = None,
) -> EscalationTrial:
    """Simulate one 3+3 trial (see :class:`ThreePlusThree` for the rules).

    Example:
        >>> trial = three_plus_three([0.05, 0.1, 0.2, 0.4, 0.6], np.random.default_rng(1))
        >>> trial.selected in (None, 0, 1, 2, 3, 4)
        True
    """
    design = ThreePlusThree() if design is None else design
    return _run(design, _check(design, true_dlt_probabilities), rng)


def boin_trial(
    true_dlt_probabilities: Sequence[float] | np.ndarray,
    rng: np.random.Generator,
    *,
    design: Boin | None = None,
    target: float = 0.3,
) -> EscalationTrial:
    """Simulate one BOIN trial (see :class:`Boin`); ``design`` defaults to ``Boin(target)``.

    Example:
        >>> trial = boin_trial([0.05, 0.1, 0.3, 0.5], np.random.default_rng(3))
        >>> trial.total_patients
        30
    """
    design = Boin(target=target) if design is None else design
    return _run(design, _check(design, true_dlt_probabilities), rng)


def _simulate_trials(
    design: Design, p: np.ndarray, seed: int, trials: range
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Patients (trials, doses), DLTs (trials, doses) and the MTD (trials,; -1 for none) of
    trials ``trials``, trial r drawing from ``SeedSequence(seed, spawn_key=(r,))``."""
    n = np.zeros((len(trials), p.size), dtype=int)
    y = np.zeros((len(trials), p.size), dtype=int)
    selected = np.full(len(trials), -1, dtype=int)
    for i, r in enumerate(trials):
        rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(r,)))
        trial = _run(design, p, rng)
        n[i], y[i] = trial.n, trial.dlts
        if trial.selected is not None:
            selected[i] = trial.selected
    return n, y, selected


def simulate_escalation(
    design: Design,
    true_dlt_probabilities: Sequence[float] | np.ndarray,
    n_trials: int,
    seed: int,
    *,
    first_trial: int = 0,
    workers: int = 1,
) -> OperatingCharacteristics:
    """Operating characteristics by simulating ``n_trials`` independent trials.

    Trial r (``first_trial <= r < first_trial + n_trials``) uses
    ``np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(r,)))``: any split of the
    replicates into batches gives the same trials. ``workers`` > 1 runs batches of trials
    in that many processes (:func:`disctwin.parallel.map_replicates`), with the same result.

    Example:
        >>> oc = simulate_escalation(Boin(target=0.3), [0.05, 0.15, 0.3, 0.5], 200, seed=7)
        >>> round(float(oc.selection.sum() + oc.no_selection), 12)
        1.0
    """
    p = _check(design, true_dlt_probabilities)
    problems = []
    if not (isinstance(n_trials, int | np.integer) and 1 <= n_trials <= 10_000_000):
        problems.append(Problem("n_trials", n_trials, "an integer from 1 to 10,000,000"))
    if not (isinstance(seed, int | np.integer) and seed >= 0):
        problems.append(Problem("seed", seed, "a non-negative integer"))
    if not (isinstance(first_trial, int | np.integer) and first_trial >= 0):
        problems.append(Problem("first_trial", first_trial, "a non-negative integer"))
    try:
        check_workers(workers)
    except ConfigError as err:
        problems.extend(err.problems)
    if problems:
        raise ConfigError(problems)
    # a trial takes microseconds: a process gets batches of them (a few per worker, so
    # that one slow batch does not hold the rest back), one batch when serial
    n_batches = min(int(n_trials), 4 * workers - 3)
    bounds = [int(first_trial) + k * int(n_trials) // n_batches for k in range(n_batches + 1)]
    batches = [range(lo, hi) for lo, hi in pairwise(bounds)]
    parts = map_replicates(
        partial(_simulate_trials, design, p, int(seed)), batches, workers=workers
    )
    n, y, selected = (np.concatenate(arrays) for arrays in zip(*parts, strict=True))
    doses = p.size
    counts = np.bincount(selected[selected >= 0], minlength=doses)
    counts = np.append(counts, np.sum(selected < 0))
    low, high = proportion_interval(counts, int(n_trials))

    def spread(a: np.ndarray) -> np.ndarray | None:
        return a.std(axis=0, ddof=1) / np.sqrt(n_trials) if n_trials > 1 else None

    return OperatingCharacteristics(
        design=design.name,
        true_dlt_probabilities=p,
        selection=counts[:doses] / n_trials,
        no_selection=float(counts[doses] / n_trials),
        mean_patients=n.mean(axis=0),
        mean_dlts=y.mean(axis=0),
        n_trials=int(n_trials),
        selected=selected,
        total_patients=n.sum(axis=1),
        selection_ci=np.vstack([low, high]),
        mean_patients_mcse=spread(n),
        mean_dlts_mcse=spread(y),
    )


def exact_operating_characteristics(
    design: Design, true_dlt_probabilities: Sequence[float] | np.ndarray
) -> OperatingCharacteristics:
    """Operating characteristics computed exactly by enumerating the decision tree.

    Each cohort's DLT count k has probability ``Binomial(c, p_d).pmf(k)``; expectations are
    propagated through the design's own decision rules, with memoisation on the trial state.
    Exact for any design, but the number of reachable states grows quickly with the number
    of cohorts (3+3: always small; BOIN: practical up to roughly 6 cohorts x 4 doses).

    Example:
        >>> oc = exact_operating_characteristics(ThreePlusThree(confirm_mtd=False), [0.1, 0.5])
        >>> round(float(oc.no_selection), 6)  # 1 - ((0.9)^3 + 3 (0.1) (0.9)^2 (0.9)^3)
        0.093853
    """
    p = _check(design, true_dlt_probabilities)
    doses = p.size
    c = _cohort_size(design)
    pmf = [stats.binom.pmf(np.arange(c + 1), c, pd_) for pd_ in p]

    @cache
    def expect(state: _State) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if state.done:
            sel = np.zeros(doses + 1)
            chosen = _select(design, state)
            sel[doses if chosen is None else chosen] = 1.0
            return sel, np.array(state.n, dtype=float), np.array(state.dlts, dtype=float)
        total = [np.zeros(doses + 1), np.zeros(doses), np.zeros(doses)]
        for k, prob in enumerate(pmf[state.current]):
            if prob == 0.0:
                continue
            for acc, part in zip(total, expect(_step(design, state, k)), strict=True):
                acc += prob * part
        return total[0], total[1], total[2]

    sel, mean_n, mean_y = expect(_start(design, doses))
    expect.cache_clear()
    return OperatingCharacteristics(
        design=design.name,
        true_dlt_probabilities=p,
        selection=sel[:doses],
        no_selection=float(sel[doses]),
        mean_patients=mean_n,
        mean_dlts=mean_y,
    )


def three_plus_three_escalation_probability(p: float | np.ndarray) -> np.ndarray:
    """Probability that a 3+3 trial escalates past a dose with DLT probability ``p``:
    ``(1 - p)^3 + 3 p (1 - p)^2 (1 - p)^3`` (0 of 3, or 1 of 3 then 0 of 3 more).

    Example:
        >>> round(float(three_plus_three_escalation_probability(0.3)), 4)
        0.4943
    """
    p = np.asarray(p, dtype=float)
    return (1 - p) ** 3 + 3 * p * (1 - p) ** 2 * (1 - p) ** 3
