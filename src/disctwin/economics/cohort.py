"""Cohort and individual state-transition models: traces, discounted costs and QALYs.

A cohort state-transition (Markov) model is an initial state distribution
:math:`\\mathbf m_0` (1 x S), transition matrices :math:`P_t` (S x S, rows sum to 1), and
annual state costs and utilities. The trace is :math:`\\mathbf m_{t+1} = \\mathbf m_t P_t`,
``t = 0..n-1``. With within-cycle weights :math:`w_t` and discount factors :math:`d_t`
(see :mod:`disctwin.economics.discounting`) the totals of strategy ``s`` are

.. math:: C_s = \\Delta \\sum_t w_t d^c_t\\, \\mathbf m_t \\mathbf c_t, \\qquad
    E_s = \\Delta \\sum_t w_t d^e_t\\, \\mathbf m_t \\mathbf u_t

(``Δ`` the cycle length in years; costs per year, utilities per year of life), plus
one-off transition costs charged at the end of the cycle in which the transition happens.

:func:`simulate_individuals` runs the same model patient by patient (a microsimulation),
with common random numbers across strategies, so that strategies share one population.

Reference: Alarid-Escudero F, Krijkamp EM, Enns EA, et al. An Introductory Tutorial on
Cohort State-Transition Models in R Using a Cost-Effectiveness Analysis Example. Med Decis
Making 2023;43(1):3-20, doi:10.1177/0272989X221103163.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from disctwin.economics._checks import as_finite_array
from disctwin.economics.discounting import Discounting, discount_factors, within_cycle_weights
from disctwin.economics.outcomes import PatientOutcomes
from disctwin.errors import ConfigError, Problem

__all__ = [
    "CohortModel",
    "CohortResult",
    "CohortStrategy",
    "evaluate_cohort",
    "simulate_individuals",
]

_ROW_SUM_TOLERANCE = 1e-9


@dataclass(frozen=True)
class CohortStrategy:
    """One strategy of a cohort model.

    Attributes:
        name: strategy label, unique within the model.
        transition: (S, S) or time-varying (n_cycles, S, S) transition probabilities per
            cycle; rows sum to 1.
        state_costs: (S,) or (n_cycles + 1, S), costs per year in each state.
        state_utilities: (S,) or (n_cycles + 1, S), utility per year of life in each state.
        transition_costs: optional (S, S), one-off cost of moving from state i to j.
    """

    name: str
    transition: np.ndarray
    state_costs: np.ndarray
    state_utilities: np.ndarray
    transition_costs: np.ndarray | None = None


@dataclass(frozen=True)
class CohortModel:
    """States, starting distribution, horizon and the strategies compared.

    Attributes:
        states: state names, e.g. ``("H", "S1", "S2", "D")``.
        initial: (S,) starting distribution, sums to 1 (shared by every strategy).
        n_cycles: number of cycles ``n`` (the trace has ``n + 1`` rows).
        cycle_length: years per cycle.
        strategies: the strategies compared.
        dead_states: states that do not count as alive (for life years).
        population: label of the cohort (strategies of one model share it).
    """

    states: tuple[str, ...]
    initial: np.ndarray
    n_cycles: int
    cycle_length: float
    strategies: tuple[CohortStrategy, ...]
    dead_states: tuple[str, ...] = ()
    population: str = "cohort"

    def __post_init__(self) -> None:
        _validate(self)


@dataclass(frozen=True)
class CohortResult:
    """Totals and traces of a cohort model.

    Attributes:
        summary: one row per strategy (index ``strategy``), columns ``cost``, ``qaly``,
            ``life_years`` (discounted, per person).
        traces: per strategy, a (n_cycles + 1) x S DataFrame of state occupancy.
        population: the cohort label.
    """

    summary: pd.DataFrame
    traces: dict[str, pd.DataFrame] = field(repr=False)
    population: str = "cohort"


def _per_time(name: str, values: np.ndarray, n_rows: int, n_states: int) -> np.ndarray:
    array = as_finite_array(name, values)
    if array.shape == (n_states,):
        return np.broadcast_to(array, (n_rows, n_states))
    if array.shape == (n_rows, n_states):
        return array
    raise ConfigError(
        Problem(name, f"shape {array.shape}", f"shape ({n_states},) or ({n_rows}, {n_states})")
    )


def _transitions(strategy: CohortStrategy, n_cycles: int, n_states: int) -> np.ndarray:
    field_name = f"strategies.{strategy.name}.transition"
    p = as_finite_array(field_name, strategy.transition)
    if p.shape == (n_states, n_states):
        p = np.broadcast_to(p, (n_cycles, n_states, n_states))
    elif p.shape != (n_cycles, n_states, n_states):
        raise ConfigError(
            Problem(
                field_name,
                f"shape {p.shape}",
                f"shape ({n_states}, {n_states}) or ({n_cycles}, {n_states}, {n_states})",
            )
        )
    if np.any(p < 0) or np.any(p > 1):
        raise ConfigError(
            Problem(
                field_name, float(p.min() if p.min() < 0 else p.max()), "probabilities in [0, 1]"
            )
        )
    sums = p.sum(axis=-1)
    worst = float(np.abs(sums - 1).max())
    if worst > _ROW_SUM_TOLERANCE:
        raise ConfigError(
            Problem(field_name, f"a row summing to 1 {worst:+.3g}", "rows that sum to 1 (1e-9)")
        )
    return p


def _validate(model: CohortModel) -> None:
    n_states = len(model.states)
    if n_states < 1 or len(set(model.states)) != n_states:
        raise ConfigError(Problem("states", model.states, "at least one state, names unique"))
    unknown = [s for s in model.dead_states if s not in model.states]
    if unknown:
        raise ConfigError(Problem("dead_states", unknown, f"states of the model {model.states}"))
    initial = as_finite_array("initial", model.initial, 1)
    if initial.shape != (n_states,) or np.any(initial < 0) or abs(initial.sum() - 1) > 1e-9:
        raise ConfigError(
            Problem("initial", initial.tolist(), f"{n_states} non-negative values summing to 1")
        )
    if (
        isinstance(model.n_cycles, bool)
        or not isinstance(model.n_cycles, int | np.integer)
        or (model.n_cycles < 1)
    ):
        raise ConfigError(Problem("n_cycles", model.n_cycles, "an integer >= 1"))
    if not (np.isfinite(model.cycle_length) and model.cycle_length > 0):
        raise ConfigError(Problem("cycle_length", model.cycle_length, "years per cycle, > 0"))
    names = [s.name for s in model.strategies]
    if not names or len(set(names)) != len(names):
        raise ConfigError(Problem("strategies", names, "at least one strategy, names unique"))
    for strategy in model.strategies:
        _transitions(strategy, model.n_cycles, n_states)
        for attr in ("state_costs", "state_utilities"):
            _per_time(
                f"strategies.{strategy.name}.{attr}",
                getattr(strategy, attr),
                model.n_cycles + 1,
                n_states,
            )
        if strategy.transition_costs is not None:
            tc = as_finite_array(
                f"strategies.{strategy.name}.transition_costs", strategy.transition_costs
            )
            if tc.shape != (n_states, n_states):
                raise ConfigError(
                    Problem(
                        f"strategies.{strategy.name}.transition_costs",
                        f"shape {tc.shape}",
                        f"shape ({n_states}, {n_states})",
                    )
                )


def _trace(initial: np.ndarray, p: np.ndarray) -> np.ndarray:
    trace = np.empty((p.shape[0] + 1, initial.size))
    trace[0] = initial
    for t in range(p.shape[0]):
        trace[t + 1] = trace[t] @ p[t]
    return trace


def evaluate_cohort(model: CohortModel, discounting: Discounting | None = None) -> CohortResult:
    """Discounted total cost, QALYs and life years per person, for every strategy.

    Args:
        model: the cohort model.
        discounting: rates, method and within-cycle correction (default 3%/3%,
            continuous, half-cycle).

    Returns:
        :class:`CohortResult`; ``summary`` is ordered as ``model.strategies``.

    Example:
        >>> import numpy as np
        >>> s = CohortStrategy("only", np.eye(1), np.array([1.0]), np.array([1.0]))
        >>> m = CohortModel(("alive",), np.array([1.0]), 10, 1.0, (s,))
        >>> float(evaluate_cohort(m, Discounting(0, 0)).summary.loc["only", "qaly"])
        10.0
    """
    discounting = discounting or Discounting()
    n, n_states, dt = model.n_cycles, len(model.states), float(model.cycle_length)
    weights = within_cycle_weights(n, discounting.within_cycle)
    times = np.arange(n + 1) * dt
    d_cost = discount_factors(times, discounting.rate_costs, discounting.method, dt)
    d_effect = discount_factors(times, discounting.rate_effects, discounting.method, dt)
    alive = np.array([s not in model.dead_states for s in model.states], dtype=float)
    initial = np.asarray(model.initial, dtype=float)
    rows, traces = [], {}
    for strategy in model.strategies:
        p = _transitions(strategy, n, n_states)
        trace = _trace(initial, p)
        costs = _per_time("state_costs", strategy.state_costs, n + 1, n_states)
        utilities = _per_time("state_utilities", strategy.state_utilities, n + 1, n_states)
        per_cycle_cost = np.einsum("ts,ts->t", trace, costs) * dt
        per_cycle_qaly = np.einsum("ts,ts->t", trace, utilities) * dt
        cost = float(per_cycle_cost @ (weights * d_cost))
        if strategy.transition_costs is not None:
            flows = np.einsum("ti,tij,ij->t", trace[:-1], p, np.asarray(strategy.transition_costs))
            cost += float(flows @ d_cost[1:])
        rows.append(
            {
                "strategy": strategy.name,
                "cost": cost,
                "qaly": float(per_cycle_qaly @ (weights * d_effect)),
                "life_years": float((trace @ alive) * dt @ (weights * d_effect)),
            }
        )
        traces[strategy.name] = pd.DataFrame(trace, columns=list(model.states))
    summary = pd.DataFrame(rows).set_index("strategy")
    return CohortResult(summary=summary, traces=traces, population=model.population)


def simulate_individuals(
    model: CohortModel,
    n_patients: int,
    rng: np.random.Generator,
    discounting: Discounting | None = None,
) -> list[PatientOutcomes]:
    """Microsimulate the model patient by patient; per-patient discounted costs and QALYs.

    Each patient starts in a state drawn from ``model.initial`` and moves each cycle by
    inverse-CDF sampling of its row of :math:`P_t`. The same uniforms serve every strategy
    (common random numbers), so the strategies share one population and their differences
    carry less Monte Carlo noise. Same ``rng`` state, same answer. The mean over patients
    converges to :func:`evaluate_cohort`.

    Returns:
        one :class:`PatientOutcomes` per strategy, in model order.
    """
    if (
        isinstance(n_patients, bool)
        or not isinstance(n_patients, int | np.integer)
        or (n_patients < 1)
    ):
        raise ConfigError(Problem("n_patients", n_patients, "an integer >= 1"))
    if not isinstance(rng, np.random.Generator):
        raise ConfigError(Problem("rng", type(rng).__name__, "a numpy.random.Generator"))
    discounting = discounting or Discounting()
    n, n_states, dt = model.n_cycles, len(model.states), float(model.cycle_length)
    weights = within_cycle_weights(n, discounting.within_cycle)
    times = np.arange(n + 1) * dt
    d_cost = discount_factors(times, discounting.rate_costs, discounting.method, dt)
    d_effect = discount_factors(times, discounting.rate_effects, discounting.method, dt)
    start = np.searchsorted(np.cumsum(model.initial), rng.random(n_patients), side="right")
    start = np.minimum(start, n_states - 1)
    uniforms = rng.random((n, n_patients))
    population = f"{model.population}:microsimulation:{n_patients}"
    patients = np.arange(n_patients)
    outcomes = []
    for strategy in model.strategies:
        p = _transitions(strategy, n, n_states)
        costs = _per_time("state_costs", strategy.state_costs, n + 1, n_states)
        utilities = _per_time("state_utilities", strategy.state_utilities, n + 1, n_states)
        state = start.copy()
        cost = costs[0, state] * dt * weights[0] * d_cost[0]
        qaly = utilities[0, state] * dt * weights[0] * d_effect[0]
        for t in range(n):
            cumulative = np.cumsum(p[t][state], axis=1)
            nxt = np.minimum((uniforms[t][:, None] >= cumulative).sum(axis=1), n_states - 1)
            if strategy.transition_costs is not None:
                cost = cost + np.asarray(strategy.transition_costs)[state, nxt] * d_cost[t + 1]
            state = nxt
            cost = cost + costs[t + 1, state] * dt * weights[t + 1] * d_cost[t + 1]
            qaly = qaly + utilities[t + 1, state] * dt * weights[t + 1] * d_effect[t + 1]
        outcomes.append(PatientOutcomes(strategy.name, population, patients, cost, qaly))
    return outcomes
