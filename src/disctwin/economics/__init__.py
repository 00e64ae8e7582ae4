"""Health economics: costs, QALYs, ICERs, net benefit, value-based price, DSA, PSA and value
of information. Reads results (cohort models, per-patient outcomes); never runs the engine.
"""

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

__all__ = [
    "DISCOUNT_METHODS",
    "WITHIN_CYCLE_METHODS",
    "Beta",
    "CohortModel",
    "CohortResult",
    "CohortStrategy",
    "Discounting",
    "Distribution",
    "Fixed",
    "Gamma",
    "LogNormal",
    "Normal",
    "PSAResult",
    "PatientOutcomes",
    "Uniform",
    "ValueBasedPrice",
    "calculate_icers",
    "ceac",
    "ceaf",
    "discount_factors",
    "discounted_flow",
    "evaluate_cohort",
    "evpi",
    "evppi",
    "incremental_nmb",
    "net_health_benefit",
    "net_monetary_benefit",
    "one_way_dsa",
    "present_value",
    "run_psa",
    "sample_parameters",
    "simulate_individuals",
    "strategy_totals",
    "value_based_price",
    "with_price",
    "within_cycle_weights",
]
