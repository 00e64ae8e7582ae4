"""Trial statistics: estimates, multiplicity, group-sequential boundaries, dose escalation.

Pure functions and frozen designs on arrays and frames (NumPy, SciPy, pandas, statsmodels,
lifelines): nothing here knows of patients, therapies or the engine, so each function is
checked against statsmodels, SciPy or a published table alone (``tests/stats``), and the
trial package (:mod:`disctwin.trial`) only feeds it simulated data.

* :mod:`~disctwin.stats.analysis`: ANCOVA, logistic regression, risk difference, MMRM,
  Kaplan-Meier / log-rank / Cox, multiplicity adjustment.
* :mod:`~disctwin.stats.sequential`: Lan-DeMets spending boundaries and crossing
  probabilities.
* :mod:`~disctwin.stats.escalation`: 3+3 and BOIN phase I designs.
"""

from disctwin.stats.analysis import (
    Estimate,
    Multiplicity,
    adjust_p_values,
    ancova,
    hierarchical,
    kaplan_meier,
    mmrm,
    responder_logistic,
    risk_difference,
    time_to_event,
)
from disctwin.stats.escalation import (
    Boin,
    EscalationTrial,
    OperatingCharacteristics,
    ThreePlusThree,
    boin_boundaries,
    boin_decision_table,
    boin_select_mtd,
    boin_trial,
    exact_operating_characteristics,
    isotonic_regression,
    probability_above_target,
    simulate_escalation,
    three_plus_three,
    three_plus_three_escalation_probability,
)
from disctwin.stats.sequential import (
    SPENDING,
    Boundaries,
    CrossingProbabilities,
    boundaries,
    crossing_probabilities,
    fixed_sample_drift,
    maximum_information,
    spending_function,
    wang_tsiatis,
)

__all__ = [
    "SPENDING",
    "Boin",
    "Boundaries",
    "CrossingProbabilities",
    "EscalationTrial",
    "Estimate",
    "Multiplicity",
    "OperatingCharacteristics",
    "ThreePlusThree",
    "adjust_p_values",
    "ancova",
    "boin_boundaries",
    "boin_decision_table",
    "boin_select_mtd",
    "boin_trial",
    "boundaries",
    "crossing_probabilities",
    "exact_operating_characteristics",
    "fixed_sample_drift",
    "hierarchical",
    "isotonic_regression",
    "kaplan_meier",
    "maximum_information",
    "mmrm",
    "probability_above_target",
    "responder_logistic",
    "risk_difference",
    "simulate_escalation",
    "spending_function",
    "three_plus_three",
    "three_plus_three_escalation_probability",
    "time_to_event",
    "wang_tsiatis",
]
