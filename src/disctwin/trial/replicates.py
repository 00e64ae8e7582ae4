"""Replicate trials and their operating characteristics; sample-size search.

Replicate ``r`` of a run with seed ``s`` is an independent trial (new patients) whose seed
is spawned from ``(s, r)`` (:func:`replicate_seed`), so any replicate can be rerun alone,
and a run's results do not depend on how many replicates ran before it or in what order,
nor on how many processes ran them (:func:`run_replicates` and :func:`find_sample_size` take
``workers``: :mod:`disctwin.parallel`).

Operating characteristics (:func:`operating_characteristics`), per endpoint and comparison
over R replicates, each with its Monte Carlo standard error:

* rejection rate: two-sided p (adjusted for multiplicity) below alpha, either direction;
  success rate: significant *and* favouring the treatment (power under an effect; under no
  effect it estimates the one-sided type I error, about alpha / 2);
* mean estimate, mean truth (the same patients' noise-matched potential outcomes), bias
  (mean of estimate - truth), RMSE, coverage of the confidence interval;
* mean patients enrolled and screened; for group-sequential designs the probability of
  stopping at each look for efficacy or futility and the expected sample size.

Each rate comes with its Monte Carlo SE ``sqrt(p (1 - p) / R)`` (``*_mcse``) and its
Clopper-Pearson exact 95% interval (``*_ci_low``, ``*_ci_high``;
:mod:`disctwin.stats.montecarlo`), which, unlike the SE, is not zero when no trial (or every
trial) rejects; a mean has MC SE ``sd / sqrt(R)``.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
from scipy import stats

from disctwin.engine import Engine
from disctwin.errors import ConfigError, Problem
from disctwin.parallel import check_workers, iter_replicates
from disctwin.stats.montecarlo import Rate, mean_mcse, rate
from disctwin.trial.protocol import Protocol
from disctwin.trial.simulate import TrialResult, simulate_trial

__all__ = [
    "MIN_SEARCH_REPLICATES",
    "SEARCH_REPLICATES",
    "EvaluationStore",
    "SampleSizeSearch",
    "analytic_power",
    "check_search",
    "find_sample_size",
    "operating_characteristics",
    "replicate_rows",
    "replicate_seed",
    "run_replicates",
]


def replicate_seed(seed: int, replicate: int) -> int:
    """The seed of replicate ``replicate`` (63 bits spawned from ``(seed, replicate)``).

    >>> replicate_seed(1, 0) == replicate_seed(1, 0) != replicate_seed(1, 1)
    True
    """
    words = np.random.SeedSequence(int(seed), spawn_key=(int(replicate),)).generate_state(
        2, np.uint32
    )
    return int((int(words[0]) << 31) ^ int(words[1])) & (2**63 - 1)


def replicate_rows(result: TrialResult) -> pd.DataFrame:
    """One row per endpoint x comparison of a trial, with the trial's size and stopping."""
    rows = result.results.copy()
    rows.insert(0, "replicate", result.replicate)
    rows.insert(1, "seed", result.seed)
    rows["n_enrolled"] = result.n_enrolled
    rows["n_screened"] = result.screening.n_screened
    rows["n_screen_failures"] = result.screening.n_failed
    rows["under_enrolled"] = result.screening.under_enrolled
    seq = result.sequential
    rows["stopped_at_look"] = seq.stopped_at if seq is not None else 1
    rows["decision"] = seq.decision if seq is not None else "final"
    return rows


def _replicate(
    protocol: Protocol,
    seed: int,
    engine: Engine | None,
    n_patients: int | None,
    keep_trial: bool,
    replicate: int,
) -> TrialResult | pd.DataFrame:
    """Replicate ``replicate``: its :class:`TrialResult` if ``keep_trial``, else only its
    :func:`replicate_rows` (all a worker process need send back)."""
    result = simulate_trial(
        protocol,
        replicate_seed(seed, replicate),
        replicate=replicate,
        engine=engine,
        n_patients=n_patients,
    )
    return result if keep_trial else replicate_rows(result)


def run_replicates(
    protocol: Protocol,
    replicates: int | Iterable[int],
    seed: int,
    *,
    engine: Engine | None = None,
    n_patients: int | None = None,
    on_trial: Callable[[TrialResult], None] | None = None,
    workers: int = 1,
) -> pd.DataFrame:
    """Run replicate trials and return their stacked :func:`replicate_rows`.

    Args:
        replicates: a count R (replicates 0..R-1) or the replicate numbers to run.
        on_trial: called with each trial's result (e.g. to write its CDISC files), in
            replicate order with one worker, as each finishes with more.
        workers: processes running replicates (:mod:`disctwin.parallel`;
            each single-threaded). The rows, in replicate order, do not depend on it.

    Raises:
        ConfigError: ``workers`` outside 1 to 256 (field ``--workers``).
    """
    numbers = range(replicates) if isinstance(replicates, int) else list(replicates)
    check_workers(workers)
    if min(workers, len(numbers)) > 1:
        engine = (engine or Engine()).model_copy(update={"threads": 1})
    keep = on_trial is not None
    fn = partial(_replicate, protocol, seed, engine, n_patients, keep)
    frames: list[pd.DataFrame | None] = [None] * len(numbers)
    for position, output in iter_replicates(fn, numbers, workers=workers):
        if isinstance(output, TrialResult):  # kept (keep) for on_trial
            if on_trial is not None:
                on_trial(output)
            output = replicate_rows(output)
        frames[position] = output  # the trial itself is let go
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def _rate_columns(name: str, x: pd.Series) -> dict[str, float]:
    """``name``, ``name_mcse``, ``name_ci_low``, ``name_ci_high`` of the rate of ``x``."""
    r = rate(x.dropna().to_numpy(dtype=float))
    return {
        name: r.estimate,
        f"{name}_mcse": r.mcse,
        f"{name}_ci_low": r.low,
        f"{name}_ci_high": r.high,
    }


def _mean(x: pd.Series) -> tuple[float, float]:
    return mean_mcse(x.dropna().to_numpy(dtype=float))


def _rmse(err: pd.Series) -> float:
    e = err.dropna().to_numpy(dtype=float)
    return float(np.sqrt(np.mean(e**2))) if len(e) else float("nan")


def analytic_power(effect: float, se: float, df: float, alpha: float) -> float:
    r"""Power of the two-sided two-sample t-test (the textbook formula) for a true
    difference ``effect`` whose estimator has standard error ``se``
    (:math:`\sigma\sqrt{1/n_1 + 1/n_2}`) and ``df`` residual degrees of freedom:

    .. math:: P(|T| > t_{1-\alpha/2,\,df}),\quad T \sim t_{df}(\delta / se)

    (noncentral t; the normal approximation :math:`\Phi(|\delta|/se - z_{1-\alpha/2})`
    as ``df`` grows). Reference: Chow, Shao & Wang (2008) Sample Size Calculations in
    Clinical Research, 3.2.

    >>> round(analytic_power(0.5, (2 / 64) ** 0.5, 126, 0.05), 3)  # d = 0.5, 64 per arm
    0.801
    """
    if not (np.isfinite(effect) and np.isfinite(se) and se > 0 and df > 0):
        return float("nan")
    t = stats.t.ppf(1 - alpha / 2, df)
    ncp = effect / se
    return float(stats.nct.sf(t, df, ncp) + stats.nct.cdf(-t, df, ncp))


def _analytic_power(g: pd.DataFrame, alpha: float) -> float:
    """The textbook power of an endpoint analysed by ANCOVA (a mean difference) at a single
    final look, with the replicates' mean true effect and their root-mean-square standard
    error (the effect and SD the simulated patients have); NaN for other analyses and
    designs."""
    if not (g["method"] == "ancova").all():
        return float("nan")
    if not (g["decision"] == "final").all():
        return float("nan")
    se = g["se"].dropna().to_numpy(dtype=float)
    if len(se) == 0:
        return float("nan")
    return analytic_power(
        float(g["truth"].mean()),
        float(np.sqrt(np.mean(se**2))),
        float(g["n"].mean()) - 3.0,
        alpha,
    )


def operating_characteristics(rows: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """One row per endpoint x comparison: rates (each with MC SE and exact 95% interval),
    bias, coverage, size, stopping (module docs), and for endpoints analysed by ANCOVA the
    analytic power (:func:`analytic_power`) at the simulated patients' true effect and
    standard error, to set beside the simulated rejection rate (``alpha``: the protocol's
    two-sided level)."""
    out = []
    for (endpoint, comparison), g in rows.groupby(["endpoint", "comparison"], sort=False):
        err = g["estimate"] - g["truth"]
        bias, bias_se = _mean(err)
        n_mean, n_se = _mean(g["n_enrolled"])
        row: dict[str, object] = {
            "endpoint": endpoint,
            "comparison": comparison,
            "primary": bool(g["primary"].iloc[0]),
            "method": g["method"].iloc[0],
            "replicates": len(g),
            **_rate_columns("rejection_rate", g["significant"]),
            "analytic_power": _analytic_power(g, alpha),
            **_rate_columns("success_rate", g["success"]),
            "mean_estimate": float(g["estimate"].mean()),
            "mean_truth": float(g["truth"].mean()),
            "bias": bias,
            "bias_mcse": bias_se,
            "rmse": _rmse(err),
            **_rate_columns("coverage", g["covered"]),
            "mean_n_enrolled": n_mean,
            "mean_n_enrolled_mcse": n_se,
            "mean_n_screened": float(g["n_screened"].mean()),
            "under_enrolled_rate": float(g["under_enrolled"].mean()),
        }
        if g["decision"].ne("final").any() or g["stopped_at_look"].gt(1).any():
            looks = sorted(g["stopped_at_look"].unique())
            for look in range(1, int(max(looks)) + 1):
                at = g["stopped_at_look"] == look
                for decision in ("efficacy", "futility"):
                    stop = rate((at & (g["decision"] == decision)).to_numpy(dtype=float))
                    name = f"stop_{decision}_look{look}"
                    row[name] = stop.estimate
                    row[f"{name}_ci_low"] = stop.low
                    row[f"{name}_ci_high"] = stop.high
        out.append(row)
    return pd.DataFrame(out)


#: Replicates per evaluated N a sample-size search uses unless told otherwise.
SEARCH_REPLICATES = 200
#: The fewest replicates per N a sample-size search accepts: with fewer, a power estimate's
#: exact 95% interval is wider than +-0.15 near 0.8 (one trial gives power 0 or 1).
MIN_SEARCH_REPLICATES = 50


class EvaluationStore(typing.Protocol):
    """Where a sample-size search keeps each evaluated N's replicate rows, so that a search
    started again (same protocol, seed and replicates) reuses them
    (:class:`disctwin.io.sample_size.SearchDirectory`)."""

    def load(self, n_total: int) -> pd.DataFrame | None:
        """The rows of N = ``n_total`` if already evaluated, else None."""
        ...

    def save(self, n_total: int, rows: pd.DataFrame) -> None:
        """Keep the rows of N = ``n_total``."""
        ...


@dataclass(frozen=True)
class SampleSizeSearch:
    """The outcome of :func:`find_sample_size`.

    Attributes:
        table: one row per total N evaluated: N, per-arm N, power with its MC SE and its
            Clopper-Pearson exact 95% interval (``power_ci_low``, ``power_ci_high``), and for
            an endpoint analysed by ANCOVA the analytic two-sample power at the simulated
            effect and SE (two-sided: it counts rejections in either direction, the
            simulated power only favourable ones).
        n_total: smallest evaluated N whose estimated power reaches the target (None if
            even the largest does not).
        target_power: the power asked for.
        replicates: replicates per evaluated N.
    """

    table: pd.DataFrame
    n_total: int | None
    target_power: float
    replicates: int

    @property
    def undistinguished(self) -> list[int]:
        """The evaluated N whose power interval holds the target: their power is not
        distinguishable from it with this many replicates."""
        t = self.table
        inside = (t["power_ci_low"] <= self.target_power) & (
            self.target_power <= t["power_ci_high"]
        )
        return [int(n) for n in t.loc[inside, "n_total"]]


def check_search(
    protocol: Protocol,
    target_power: float,
    replicates: int,
    grid: Sequence[int] | None = None,
) -> None:
    """Refuse a sample-size search that :func:`find_sample_size` would refuse, before
    anything runs or is written.

    Raises:
        ConfigError: every problem at once (target, replicates, grid).
    """
    step = sum(a.allocation for a in protocol.arm)
    problems = []
    if not 0 < target_power < 1:
        problems.append(Problem("--power", target_power, "a probability in (0, 1)"))
    if (
        isinstance(replicates, bool)
        or not isinstance(replicates, int | np.integer)
        or not MIN_SEARCH_REPLICATES <= replicates <= 1_000_000
    ):
        problems.append(
            Problem(
                "--replicates",
                replicates,
                f"{MIN_SEARCH_REPLICATES} to 1,000,000 trials per N for a power search "
                f"(default {SEARCH_REPLICATES}; fewer give power 0 or 1 by chance)",
            )
        )
    if grid is not None:
        bad = [n for n in grid if isinstance(n, bool) or int(n) != n or n < step or n % step]
        if not grid or bad:
            problems.append(
                Problem(
                    "--n-grid",
                    list(grid),
                    f"total sample sizes that are multiples of the allocation total {step}",
                )
            )
    if problems:
        raise ConfigError(problems)


def find_sample_size(
    protocol: Protocol,
    target_power: float,
    seed: int,
    *,
    replicates: int = SEARCH_REPLICATES,
    n_min: int | None = None,
    n_max: int = 2_000,
    grid: Sequence[int] | None = None,
    engine: Engine | None = None,
    on_evaluation: Callable[[int, Rate], None] | None = None,
    workers: int = 1,
    store: EvaluationStore | None = None,
) -> SampleSizeSearch:
    """Smallest total sample size whose simulated power for the primary endpoint (every
    comparison's success rate, the lowest one counting) reaches ``target_power``.

    Bisection over a grid of totals that are multiples of the allocation total (or, with
    ``grid``, exactly those totals, each evaluated): power is estimated with ``replicates``
    trials at each N (common random numbers: the same replicate seeds at every N, so the
    power curve is smooth in N); the answer is the smallest evaluated N with estimated
    power >= target. Each estimate carries its MC SE and its exact 95% interval
    (:mod:`disctwin.stats.montecarlo`): an N whose interval holds the target is not
    distinguishable from it (:attr:`SampleSizeSearch.undistinguished`). ``workers``
    processes run each N's replicates (:func:`run_replicates`); the search does not depend
    on it. ``store`` keeps each N's rows, so a search started again resumes.

    Raises:
        ConfigError: a target outside (0, 1), fewer than :data:`MIN_SEARCH_REPLICATES`
            replicates, a grid of totals that are not multiples of the allocation total,
            or a bad ``workers``.
    """
    check_search(protocol, target_power, replicates, grid)
    check_workers(workers)
    step = sum(a.allocation for a in protocol.arm)
    replicates = int(replicates)
    alpha = protocol.analysis.alpha
    evaluated: dict[int, tuple[Rate, float]] = {}

    def evaluate(n_total: int) -> float:
        if n_total not in evaluated:
            rows = store.load(n_total) if store is not None else None
            if rows is None:
                rows = run_replicates(
                    protocol, replicates, seed, engine=engine, n_patients=n_total, workers=workers
                )
                if store is not None:
                    store.save(n_total, rows)
            prim = rows[rows["primary"]]
            by_comparison = prim.groupby("comparison")["success"]
            weakest = str(by_comparison.mean().idxmin())
            power = rate(prim.loc[prim["comparison"] == weakest, "success"].to_numpy(float))
            analytic = _analytic_power(prim[prim["comparison"] == weakest], alpha)
            evaluated[n_total] = (power, analytic)
            if on_evaluation is not None:
                on_evaluation(n_total, power)
        return evaluated[n_total][0].estimate

    if grid is not None:
        totals = sorted({int(n) for n in grid})
        for n_total in totals:
            evaluate(n_total)
        reached = [n for n in totals if evaluated[n][0].estimate >= target_power]
        answer = reached[0] if reached else None
    else:
        answer = _bisect(evaluate, step, target_power, n_min, n_max)
    table = pd.DataFrame(
        [
            {
                "n_total": n,
                "n_per_arm": ", ".join(
                    f"{a.name} {n // step * a.allocation}" for a in protocol.arm
                ),
                "replicates": power.n,
                "power": power.estimate,
                "power_mcse": power.mcse,
                "power_ci_low": power.low,
                "power_ci_high": power.high,
                "analytic_power": analytic,
            }
            for n, (power, analytic) in sorted(evaluated.items())
        ]
    )
    return SampleSizeSearch(table, answer, target_power, replicates)


def _bisect(
    power: Callable[[int], float], step: int, target: float, n_min: int | None, n_max: int
) -> int | None:
    """The smallest multiple of ``step`` in the search range whose ``power`` reaches
    ``target``: the upper end doubles until it does (or reaches ``n_max``), then bisection."""
    lo_units = max(1, -(-(n_min or 2 * step) // step))
    hi_units = max(lo_units, n_max // step)
    hi = lo_units
    while power(hi * step) < target and hi < hi_units:
        lo_prev, hi = hi, min(hi_units, hi * 2)
        lo_units = lo_prev
    if power(hi * step) < target:
        return None
    lo = lo_units
    if power(lo * step) >= target:
        hi = lo
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if power(mid * step) >= target:
            hi = mid
        else:
            lo = mid
    return hi * step
