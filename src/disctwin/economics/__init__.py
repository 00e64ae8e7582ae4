"""Health economics: costs, QALYs, ICERs, net benefit, value-based price, DSA, PSA and value
of information. Reads results (cohort models, per-patient outcomes); never runs the engine.

>>> from disctwin.economics import load_sick_sicker, sick_sicker_model, evaluate_cohort
>>> inputs = load_sick_sicker()
>>> model = sick_sicker_model(inputs.base_case, inputs.settings)
>>> summary = evaluate_cohort(model, inputs.discounting).summary
>>> round(float(summary.loc["Standard of care", "qaly"]), 3)
20.711
"""

from disctwin.economics.budget import MAX_BUDGET_YEARS, annual_costs, budget_impact
from disctwin.economics.cea import (
    ValueBasedPrice,
    calculate_icers,
    net_health_benefit,
    net_monetary_benefit,
    value_based_price,
    with_price,
)
from disctwin.economics.cohort import (
    CohortModel,
    CohortResult,
    CohortStrategy,
    evaluate_cohort,
    simulate_individuals,
)
from disctwin.economics.datasets import (
    AdverseEventUtility,
    GuidelineDiscounting,
    SickSickerInputs,
    cost_countries,
    currencies,
    guideline_discounting,
    load_adverse_event_utilities,
    load_cost_items,
    load_life_table,
    load_overdose_mortality,
    load_sick_sicker,
    load_utility_mapping,
)
from disctwin.economics.discounting import (
    DISCOUNT_METHODS,
    WITHIN_CYCLE_METHODS,
    Discounting,
    discount_factors,
    discounted_flow,
    present_value,
    within_cycle_weights,
)
from disctwin.economics.dsa import incremental_nmb, one_way_dsa
from disctwin.economics.from_simulation import follow_up_from_trajectories
from disctwin.economics.lifetime import (
    EXTRAPOLATIONS,
    Extrapolation,
    FollowUp,
    LifetimeInputs,
    LifetimeOutcomes,
    LifetimeSettings,
    lifetime_outcomes,
)
from disctwin.economics.mortality import GompertzLifeTable, OverdoseMortality
from disctwin.economics.outcomes import PatientOutcomes, strategy_totals
from disctwin.economics.psa import (
    Beta,
    Distribution,
    Fixed,
    Gamma,
    LogNormal,
    Normal,
    PSAResult,
    Uniform,
    ceac,
    ceaf,
    evpi,
    evppi,
    run_psa,
    sample_parameters,
)
from disctwin.economics.reference_models import sick_sicker_model
from disctwin.economics.schema import CostItem, DistributionSpec, EconomicParameter, parse
from disctwin.economics.utilities import UtilityMapping, map_utility

__all__ = [
    "DISCOUNT_METHODS",
    "EXTRAPOLATIONS",
    "MAX_BUDGET_YEARS",
    "WITHIN_CYCLE_METHODS",
    "AdverseEventUtility",
    "Beta",
    "CohortModel",
    "CohortResult",
    "CohortStrategy",
    "CostItem",
    "Discounting",
    "Distribution",
    "DistributionSpec",
    "EconomicParameter",
    "Extrapolation",
    "Fixed",
    "FollowUp",
    "Gamma",
    "GompertzLifeTable",
    "GuidelineDiscounting",
    "LifetimeInputs",
    "LifetimeOutcomes",
    "LifetimeSettings",
    "LogNormal",
    "Normal",
    "OverdoseMortality",
    "PSAResult",
    "PatientOutcomes",
    "SickSickerInputs",
    "Uniform",
    "UtilityMapping",
    "ValueBasedPrice",
    "annual_costs",
    "budget_impact",
    "calculate_icers",
    "ceac",
    "ceaf",
    "cost_countries",
    "currencies",
    "discount_factors",
    "discounted_flow",
    "evaluate_cohort",
    "evpi",
    "evppi",
    "follow_up_from_trajectories",
    "guideline_discounting",
    "incremental_nmb",
    "lifetime_outcomes",
    "load_adverse_event_utilities",
    "load_cost_items",
    "load_life_table",
    "load_overdose_mortality",
    "load_sick_sicker",
    "load_utility_mapping",
    "map_utility",
    "net_health_benefit",
    "net_monetary_benefit",
    "one_way_dsa",
    "parse",
    "present_value",
    "run_psa",
    "sample_parameters",
    "sick_sicker_model",
    "simulate_individuals",
    "strategy_totals",
    "value_based_price",
    "with_price",
    "within_cycle_weights",
]
