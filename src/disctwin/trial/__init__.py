"""Virtual clinical trials: protocols, randomisation, visits, endpoints, designs and analysis."""

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
from disctwin.stats.sequential import Boundaries, boundaries, crossing_probabilities
from disctwin.trial.endpoints import FollowUp, endpoint_values, exact_response_rate
from disctwin.trial.nonspecific import ResponseParts, response_parts
from disctwin.trial.protocol import (
    DISC_VARIABLES,
    PATIENT_VARIABLES,
    Protocol,
    check_protocol,
    dump_protocol,
    load_protocol,
    protocol_from_dict,
)
from disctwin.trial.randomisation import permuted_blocks, randomise, stratum_codes
from disctwin.trial.replicates import (
    SampleSizeSearch,
    find_sample_size,
    operating_characteristics,
    replicate_seed,
    run_replicates,
)
from disctwin.trial.screening import Screening, screen
from disctwin.trial.simulate import SequentialOutcome, TrialResult, simulate_trial

__all__ = [
    "DISC_VARIABLES",
    "PATIENT_VARIABLES",
    "Boundaries",
    "Estimate",
    "FollowUp",
    "Multiplicity",
    "Protocol",
    "ResponseParts",
    "SampleSizeSearch",
    "Screening",
    "SequentialOutcome",
    "TrialResult",
    "adjust_p_values",
    "ancova",
    "boundaries",
    "check_protocol",
    "crossing_probabilities",
    "dump_protocol",
    "endpoint_values",
    "exact_response_rate",
    "find_sample_size",
    "hierarchical",
    "kaplan_meier",
    "load_protocol",
    "mmrm",
    "operating_characteristics",
    "permuted_blocks",
    "protocol_from_dict",
    "randomise",
    "replicate_seed",
    "responder_logistic",
    "response_parts",
    "risk_difference",
    "run_replicates",
    "screen",
    "simulate_trial",
    "stratum_codes",
    "time_to_event",
]
