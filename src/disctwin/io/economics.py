"""``disctwin economics``: simulate the strategies through the engine door, evaluate them
with :mod:`disctwin.economics`, write the results.

Output directory::

    OUT/results.csv     per strategy: cost, QALYs, life years, overdose deaths, cost components
    OUT/icers.csv       ICER table with strong and extended dominance
    OUT/value_based_price.csv   threshold price of the priced strategy (if any)
    OUT/budget_impact.csv       year-by-year budget impact (if the file has [budget_impact])
    OUT/access.csv              per country and pricing scenario: threshold, value-based
                                price, price, affordable, budget share, patients treatable
    OUT/access_summary.csv      per scenario: countries that can afford it, patients treatable
                                (both if the file has [access])
    OUT/dsa.csv                 one-way sensitivity (tornado data) of the incremental net
                                monetary benefit, each unit cost at its range's ends ([dsa])
    OUT/ceac.csv        cost-effectiveness acceptability curves from the PSA
    OUT/psa.csv         per draw and strategy: cost, QALYs
    OUT/run.json        provenance (config, seed, versions, model digest)

The PSA draws the unit costs uniformly within their shipped ranges (parameter uncertainty
of costs only; the patients, hence patient variability, are the same in every draw).
Everything is written to a temporary directory beside OUT first and moved into place
(:func:`disctwin.io.rundir.atomic_path`), replacing an earlier OUT, so a failure leaves
nothing partial.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from disctwin.economics import (
    Discounting,
    Extrapolation,
    LifetimeInputs,
    LifetimeSettings,
    PSAResult,
    TherapyProfile,
    access_summary,
    access_table,
    annual_costs,
    budget_impact,
    calculate_icers,
    ceac,
    follow_up_from_trajectories,
    incremental_nmb,
    lifetime_outcomes,
    load_adverse_event_utilities,
    load_cost_items,
    load_life_table,
    load_overdose_mortality,
    load_utility_mapping,
    one_way_dsa,
    strategy_totals,
    value_based_price,
)
from disctwin.economics.lifetime import FollowUp, LifetimeOutcomes
from disctwin.economics.schema import CostItem
from disctwin.economics.strategies import StrategiesSpec, parse_strategies
from disctwin.engine import Record, simulate
from disctwin.errors import ConfigError, Problem, read_toml_file
from disctwin.io.provenance import canonical_json, provenance
from disctwin.io.rundir import atomic_path, check_output_path
from disctwin.population import sample_population
from disctwin.units import DAYS_PER_YEAR

__all__ = ["EconomicsRun", "check_strategies_inputs", "read_strategies", "run_economics"]


@dataclass(frozen=True)
class EconomicsRun:
    """What :func:`run_economics` produced."""

    spec: StrategiesSpec
    summary: pd.DataFrame
    icers: pd.DataFrame
    ceac: pd.DataFrame
    psa: PSAResult
    value_based_price: pd.DataFrame
    budget_impact: pd.DataFrame | None = None
    access: pd.DataFrame | None = None
    access_summary: pd.DataFrame | None = None
    dsa: pd.DataFrame | None = None


def read_strategies(path: Path) -> tuple[StrategiesSpec, Path]:
    """The validated strategies file and its directory (regimen paths are relative to it)."""
    path = Path(path)
    return parse_strategies(read_toml_file(path, "STRATEGIES")), path.parent


def _regimen_source(base: Path, regimen: str) -> str | Path:
    """A strategy's regimen as :func:`~disctwin.therapies.load_regimen` takes it: a file
    beside the strategies file, else a built-in name or a path as written."""
    candidate = base / regimen
    return candidate if candidate.is_file() else regimen


def check_strategies_inputs(spec: StrategiesSpec, base: Path) -> None:
    """Every check a run of ``spec`` makes before simulating: each strategy's regimen
    exists and is valid, each one-off cost is shipped for the country.

    Raises:
        ConfigError: listing every problem found.
    """
    from disctwin.therapies import load_regimen

    problems: list[Problem] = []
    unknown = sorted(
        {c for s in spec.strategies for c in s.one_off_costs} - set(load_cost_items(spec.country))
    )
    if unknown:
        problems.append(
            Problem("strategies.one_off_costs", unknown, "cost items shipped for the country")
        )
    for k, strategy in enumerate(spec.strategies):
        if strategy.regimen is None:
            continue
        try:
            load_regimen(_regimen_source(base, strategy.regimen))
        except ConfigError as err:
            problems += [
                Problem(f"strategies[{k}] ({strategy.name}).regimen: {p.field}", p.value, p.allowed)
                for p in err.problems
            ]
    if problems:
        raise ConfigError(problems)


def _follow_ups(spec: StrategiesSpec, base: Path):
    from disctwin.therapies import load_regimen

    choice = spec.population
    population = sample_population(choice.n_patients, seed=choice.seed)
    rng = np.random.default_rng([choice.seed, 24])
    age = rng.uniform(*choice.age_years, size=choice.n_patients)
    day0 = age * DAYS_PER_YEAR
    days = np.asarray(spec.follow_up_days, dtype=float)
    population_id = f"sample_population(n={choice.n_patients}, seed={choice.seed})"
    follow_ups = []
    for strategy in spec.strategies:
        regimen = None
        if strategy.regimen is not None:
            regimen = load_regimen(_regimen_source(base, strategy.regimen))
        run = simulate(
            population,
            regimen,
            ages_days=day0[:, None] + days,
            treatment_age_days=day0 if regimen is not None else None,
            record=Record(parameters=regimen is not None),
        )
        follow_ups.append(
            follow_up_from_trajectories(
                run,
                strategy.name,
                treatment_age_days=day0,
                population_id=population_id,
                one_off_costs=strategy.one_off_costs,
                acquisition_units=strategy.acquisition_units,
            )
        )
    return follow_ups


def _evaluate(spec, follow_ups, costs) -> tuple[pd.DataFrame, list]:
    rate_costs, rate_effects = spec.discount_rates()
    settings = LifetimeSettings(
        horizon_years=spec.horizon_years,
        cycle_years=spec.cycle_years,
        extrapolation=Extrapolation(spec.extrapolation, spec.half_life_years),
        discounting=Discounting(rate_costs, rate_effects),
    )
    tables = {s: load_life_table(spec.country, s) for s in ("female", "male")}
    outcomes = []
    for strategy, follow_up in zip(spec.strategies, follow_ups, strict=True):
        inputs = LifetimeInputs(
            costs,
            load_utility_mapping(),
            tables,
            load_overdose_mortality(),
            load_adverse_event_utilities(),
            price=strategy.price,
        )
        outcomes.append(lifetime_outcomes(follow_up, inputs, settings))
    return strategy_totals([o.patient_outcomes() for o in outcomes]), outcomes


def run_economics(
    spec: StrategiesSpec,
    base: Path,
    out: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> EconomicsRun:
    """Simulate, evaluate, run the PSA and write OUT (module docs).

    Raises:
        ConfigError: unknown cost items, or an ``out`` that cannot be written or is a
            non-empty directory other than an earlier economics output (checked first).
    """
    _check_out(Path(out))
    check_strategies_inputs(spec, base)
    follow_ups = _follow_ups(spec, base)
    costs = load_cost_items(spec.country)
    summary, outcomes = _evaluate(spec, follow_ups, costs)
    for o in outcomes:
        summary.loc[o.strategy, "life_years"] = float(np.mean(o.life_years))
        summary.loc[o.strategy, "overdose_deaths"] = float(np.mean(o.overdose_deaths))
        for name, value in o.components.items():
            summary.loc[o.strategy, f"cost_{name}"] = value
    icers = calculate_icers(summary)
    vbp_rows = []
    for strategy in spec.strategies:
        if strategy.priced:
            unpriced = summary.copy()
            units = max(strategy.acquisition_units, 1e-12)
            acquisition = strategy.price * strategy.acquisition_units
            unpriced.loc[strategy.name, "cost"] = unpriced["cost"].loc[strategy.name] - acquisition
            vbp = value_based_price(unpriced, strategy.name, spec.threshold, units=units)
            vbp_rows.append(vars(vbp))
    budget = _budget_impact(spec, outcomes, pd.DataFrame(vbp_rows), costs)
    access = _access(spec, summary)
    dsa = _dsa(spec, follow_ups, costs)
    rng = np.random.default_rng([spec.seed, 2024])
    draws_costs, draws_effects, draws = [], [], []
    for k in range(spec.psa_draws):
        drawn = {
            name: item.model_copy(update={"value": float(rng.uniform(*item.range))})
            for name, item in costs.items()
        }
        totals, _ = _evaluate(spec, follow_ups, drawn)
        draws_costs.append(totals["cost"].to_numpy())
        draws_effects.append(totals["qaly"].to_numpy())
        draws.append({name: item.value for name, item in drawn.items()})
        if progress is not None:
            progress(k + 1, spec.psa_draws)
    names = tuple(s.name for s in spec.strategies)
    if spec.psa_draws:
        psa = PSAResult(names, pd.DataFrame(draws), np.array(draws_costs), np.array(draws_effects))
        thresholds = np.linspace(0, 3 * spec.threshold, 31)
        curves = ceac(psa, thresholds)
    else:
        psa = PSAResult(
            names,
            pd.DataFrame({"none": [0.0]}),
            summary[["cost"]].T.to_numpy(),
            summary[["qaly"]].T.to_numpy(),
        )
        curves = pd.DataFrame(columns=["threshold", "strategy", "probability"])
    result = EconomicsRun(
        spec,
        summary,
        icers,
        curves,
        psa,
        pd.DataFrame(vbp_rows),
        budget,
        access,
        None if access is None else access_summary(access),
        dsa,
    )
    _write(result, Path(out))
    return result


def _check_out(out: Path) -> None:
    """OUT may be new, empty, or an earlier economics output (it is replaced): never
    another directory, whose contents replacing it would delete."""
    check_output_path(out, "--out", "directory")
    if out.is_dir() and any(out.iterdir()) and not _is_economics_output(out):
        raise ConfigError(
            Problem(
                "--out",
                str(out),
                "a new or empty directory, or an earlier economics output (which is replaced)",
            )
        )


def _is_economics_output(out: Path) -> bool:
    try:
        manifest = json.loads((out / "run.json").read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and "strategies" in manifest.get("config", {})


def _budget_impact(
    spec: StrategiesSpec,
    outcomes: list[LifetimeOutcomes],
    vbp: pd.DataFrame,
    costs: Mapping[str, CostItem],
) -> pd.DataFrame | None:
    """The ``[budget_impact]`` table of the file, at its price (module docs); None without."""
    choice = spec.budget_impact
    if choice is None:
        return None
    strategy = spec.strategy(choice.strategy)
    price = strategy.price
    if choice.price == "value_based":
        prices = vbp.loc[vbp["strategy"] == strategy.name, "price"].astype(float)
        price = max(float(prices.iloc[0]), 0.0)
    elif isinstance(choice.price, float):
        price = choice.price
    yearly = annual_costs(outcomes, choice.years)
    extra = (price - strategy.price) * strategy.acquisition_units  # year 1: bought at day 0
    yearly[1] = yearly[1].astype(float) + np.where(yearly.index == strategy.name, extra, 0.0)
    table = budget_impact(
        yearly,
        choice.strategy,
        choice.comparator,
        eligible=choice.eligible_patients,
        uptake=choice.uptake,
        health_budget=choice.health_budget,
    )
    table.insert(0, "country", spec.country)
    table.insert(1, "perspective", spec.perspective)
    table.insert(2, "currency", next(iter(costs.values())).currency)
    table.insert(3, "price_per_unit", price)
    return table


def therapy_profile(spec: StrategiesSpec, summary: pd.DataFrame) -> TherapyProfile:
    """The ``[access]`` strategy against its comparator, from a run's summary: discounted
    incremental QALYs, incremental cost without the therapy's price, administration cost."""
    if spec.access is None:
        raise ConfigError(Problem("access", None, "an [access] table in the strategies file"))
    strategy = spec.strategy(spec.access.strategy)
    comparator = spec.access.comparator
    own_price = strategy.price * strategy.acquisition_units
    qaly, cost = summary["qaly"].astype(float), summary["cost"].astype(float)
    administration = summary["cost_administration"].astype(float)
    return TherapyProfile(
        therapy=strategy.name,
        comparator=comparator,
        incremental_qaly=float(qaly[strategy.name] - qaly[comparator]),
        incremental_cost_usd=float(cost[strategy.name] - own_price - cost[comparator]),
        start_cost_usd=float(administration[strategy.name]),
        units=strategy.acquisition_units,
        source=f"disctwin economics run of {spec.name!r} (seed {spec.seed})",
    )


def _access(spec: StrategiesSpec, summary: pd.DataFrame) -> pd.DataFrame | None:
    if spec.access is None:
        return None
    return access_table(therapy_profile(spec, summary), spec.access.settings)


def _dsa(
    spec: StrategiesSpec, follow_ups: list[FollowUp], costs: Mapping[str, CostItem]
) -> pd.DataFrame | None:
    """Tornado data of the ``[dsa]`` table: every unit cost with a non-empty range, alone at
    its low and high end, the others at base; outcome: incremental NMB at the threshold."""
    if spec.dsa is None:
        return None
    base = {name: item.value for name, item in costs.items()}
    ranges = {name: item.range for name, item in costs.items() if item.range[0] < item.range[1]}

    def evaluate(values: Mapping[str, float]) -> pd.DataFrame:
        drawn = {n: i.model_copy(update={"value": float(values[n])}) for n, i in costs.items()}
        return _evaluate(spec, follow_ups, drawn)[0]

    outcome = incremental_nmb(spec.dsa.strategy, spec.dsa.comparator, spec.threshold)
    table = one_way_dsa(evaluate, base, ranges, outcome)
    table.insert(0, "strategy", spec.dsa.strategy)
    table.insert(1, "comparator", spec.dsa.comparator)
    table.insert(2, "threshold", spec.threshold)
    table["base_outcome"] = table.attrs["base_outcome"]
    table["currency"] = next(iter(costs.values())).currency
    return table


def _write(result: EconomicsRun, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out, directory=True, replace=True) as tmp:
        result.summary.to_csv(tmp / "results.csv")
        result.icers.to_csv(tmp / "icers.csv", index=False)
        result.value_based_price.to_csv(tmp / "value_based_price.csv", index=False)
        result.ceac.to_csv(tmp / "ceac.csv", index=False)
        if result.budget_impact is not None:
            result.budget_impact.to_csv(tmp / "budget_impact.csv", index=False)
        if result.dsa is not None:
            result.dsa.to_csv(tmp / "dsa.csv", index=False)
        if result.access is not None and result.access_summary is not None:
            result.access.to_csv(tmp / "access.csv", index=False)
            result.access_summary.to_csv(tmp / "access_summary.csv", index=False)
        long = []
        for j, name in enumerate(result.psa.strategies):
            long.append(
                pd.DataFrame(
                    {
                        "draw": np.arange(len(result.psa.costs)),
                        "strategy": name,
                        "cost": result.psa.costs[:, j],
                        "qaly": result.psa.effects[:, j],
                    }
                )
            )
        pd.concat(long).to_csv(tmp / "psa.csv", index=False)
        manifest = provenance(json.loads(canonical_json(result.spec.model_dump(mode="json"))))
        (tmp / "run.json").write_text(json.dumps(manifest, indent=2, sort_keys=True), "utf-8")
