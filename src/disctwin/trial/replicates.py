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

MC SE of a rate ``p`` is ``sqrt(p (1 - p) / R)``; of a mean, ``sd / sqrt(R)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
from scipy import stats

from disctwin.engine import Engine
from disctwin.errors import ConfigError, Problem
from disctwin.parallel import check_workers, iter_replicates
from disctwin.trial.protocol import Protocol
from disctwin.trial.simulate import TrialResult, simulate_trial

__all__ = [
    "SampleSizeSearch",
    "analytic_power",
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


def _rate(x: pd.Series) -> tuple[float, float]:
    x = x.dropna().astype(float)
    if len(x) == 0:
        return float("nan"), float("nan")
    p = float(x.mean())
    return p, float(np.sqrt(p * (1 - p) / len(x)))


def _mean(x: pd.Series) -> tuple[float, float]:
    x = x.dropna().astype(float)
    if len(x) == 0:
        return float("nan"), float("nan")
    sd = float(x.std(ddof=1)) if len(x) > 1 else float("nan")
    return float(x.mean()), sd / np.sqrt(len(x))


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
    """One row per endpoint x comparison: rates, bias, coverage, size, stopping (module
    docs), and for endpoints analysed by ANCOVA the analytic power (:func:`analytic_power`) at the
    simulated patients' true effect and standard error, to set beside the simulated
    rejection rate (``alpha``: the protocol's two-sided level)."""
    out = []
    for (endpoint, comparison), g in rows.groupby(["endpoint", "comparison"], sort=False):
        reject, reject_se = _rate(g["significant"])
        success, success_se = _rate(g["success"])
        err = g["estimate"] - g["truth"]
        bias, bias_se = _mean(err)
        coverage, coverage_se = _rate(g["covered"].dropna().astype(float))
        n_mean, n_se = _mean(g["n_enrolled"])
        row = {
            "endpoint": endpoint,
            "comparison": comparison,
            "primary": bool(g["primary"].iloc[0]),
            "method": g["method"].iloc[0],
            "replicates": len(g),
            "rejection_rate": reject,
            "rejection_rate_mcse": reject_se,
            "analytic_power": _analytic_power(g, alpha),
            "success_rate": success,
            "success_rate_mcse": success_se,
            "mean_estimate": float(g["estimate"].mean()),
            "mean_truth": float(g["truth"].mean()),
            "bias": bias,
            "bias_mcse": bias_se,
            "rmse": _rmse(err),
            "coverage": coverage,
            "coverage_mcse": coverage_se,
            "mean_n_enrolled": n_mean,
            "mean_n_enrolled_mcse": n_se,
            "mean_n_screened": float(g["n_screened"].mean()),
            "under_enrolled_rate": float(g["under_enrolled"].mean()),
        }
        if g["decision"].ne("final").any() or g["stopped_at_look"].gt(1).any():
            looks = sorted(g["stopped_at_look"].unique())
            for look in range(1, int(max(looks)) + 1):
                at = g["stopped_at_look"] == look
                row[f"stop_efficacy_look{look}"] = float(
                    (at & (g["decision"] == "efficacy")).mean()
                )
                row[f"stop_futility_look{look}"] = float(
                    (at & (g["decision"] == "futility")).mean()
                )
        out.append(row)
    return pd.DataFrame(out)


@dataclass(frozen=True)
class SampleSizeSearch:
    """The outcome of :func:`find_sample_size`.

    Attributes:
        table: one row per total N evaluated: N, per-arm N, power and its MC SE, and for an
            endpoint analysed by ANCOVA the analytic two-sample power at the simulated effect
            and SE (two-sided: it counts rejections in either direction, the simulated power only
            favourable ones).
        n_total: smallest evaluated N whose estimated power reaches the target (None if
            even the largest does not).
        target_power: the power asked for.
        replicates: replicates per evaluated N.
    """

    table: pd.DataFrame
    n_total: int | None
    target_power: float
    replicates: int


def find_sample_size(
    protocol: Protocol,
    target_power: float,
    seed: int,
    *,
    replicates: int = 200,
    n_min: int | None = None,
    n_max: int = 2_000,
    engine: Engine | None = None,
    on_evaluation: Callable[[int, float, float], None] | None = None,
    workers: int = 1,
) -> SampleSizeSearch:
    """Smallest total sample size whose simulated power for the primary endpoint (every
    comparison's success rate, the lowest one counting) reaches ``target_power``.

    Bisection over a grid of totals that are multiples of the allocation total: power is
    estimated with ``replicates`` trials at each N (common random numbers: the same
    replicate seeds at every N, so the power curve is smooth in N); the answer is the
    smallest evaluated N with estimated power >= target. Each estimate carries its MC SE
    (``sqrt(p(1-p)/R)``): an N whose power is within about 2 MC SE of the target is not
    distinguishable from it, which the table shows. ``workers`` processes run each N's
    replicates (:func:`run_replicates`); the search does not depend on it.
    """
    if not 0 < target_power < 1:
        raise ConfigError(Problem("--power", target_power, "a probability in (0, 1)"))
    check_workers(workers)
    step = sum(a.allocation for a in protocol.arm)
    lo_units = max(1, -(-(n_min or 2 * step) // step))
    hi_units = max(lo_units, n_max // step)
    evaluated: dict[int, tuple[float, float, float]] = {}

    def power(units: int) -> float:
        n_total = units * step
        if n_total not in evaluated:
            rows = run_replicates(
                protocol, replicates, seed, engine=engine, n_patients=n_total, workers=workers
            )
            prim = rows[rows["primary"]]
            by_comparison = prim.groupby("comparison")["success"].mean()
            weakest = str(by_comparison.idxmin())
            p = float(by_comparison.min())
            analytic = _analytic_power(prim[prim["comparison"] == weakest], protocol.analysis.alpha)
            evaluated[n_total] = (p, float(np.sqrt(p * (1 - p) / replicates)), analytic)
            if on_evaluation is not None:
                on_evaluation(n_total, p, evaluated[n_total][1])
        return evaluated[n_total][0]

    # grow the upper end until the target is reached (or n_max), then bisect
    hi = lo_units
    while power(hi) < target_power and hi < hi_units:
        lo_prev, hi = hi, min(hi_units, hi * 2)
        lo_units = lo_prev
    found = power(hi) >= target_power
    if found:
        lo = lo_units
        if power(lo) >= target_power:
            hi = lo
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if power(mid) >= target_power:
                hi = mid
            else:
                lo = mid
    table = pd.DataFrame(
        [
            {
                "n_total": n,
                "n_per_arm": ", ".join(
                    f"{a.name} {n // step * a.allocation}" for a in protocol.arm
                ),
                "power": p,
                "power_mcse": se,
                "analytic_power": analytic,
            }
            for n, (p, se, analytic) in sorted(evaluated.items())
        ]
    )
    return SampleSizeSearch(table, hi * step if found else None, target_power, replicates)
