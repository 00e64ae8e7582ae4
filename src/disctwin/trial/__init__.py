"""Virtual clinical trials: protocols, screening, randomisation, visits, endpoints, designs.

A trial is a :class:`Protocol` (TOML; :func:`load_protocol`) run by :func:`simulate_trial`:
candidates are screened through the simulation door (:func:`screen`), randomised
(:func:`randomise`), treated as treated/untreated twins, followed at the protocol's visits
(intercurrent events and dropout: :mod:`disctwin.trial.endpoints.followup`), and every
endpoint kind of the registry (:mod:`disctwin.trial.endpoints`) is analysed with the
statistics of :mod:`disctwin.stats`. Replicates, operating characteristics and the
sample-size search are in :mod:`disctwin.trial.replicates`. Writing a run (CDISC SDTM/ADaM,
DuckDB) is :mod:`disctwin.io.cdisc`'s business: ``trial`` never imports ``io``.
"""

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
    MIN_SEARCH_REPLICATES,
    SEARCH_REPLICATES,
    SampleSizeSearch,
    find_sample_size,
    operating_characteristics,
    replicate_seed,
    run_replicates,
)
from disctwin.trial.screening import Screening, screen
from disctwin.trial.simulate import (
    SequentialOutcome,
    TrialResult,
    check_protocol_inputs,
    protocol_input_files,
    simulate_trial,
)

__all__ = [
    "DISC_VARIABLES",
    "MIN_SEARCH_REPLICATES",
    "PATIENT_VARIABLES",
    "SEARCH_REPLICATES",
    "FollowUp",
    "Protocol",
    "ResponseParts",
    "SampleSizeSearch",
    "Screening",
    "SequentialOutcome",
    "TrialResult",
    "check_protocol",
    "check_protocol_inputs",
    "dump_protocol",
    "endpoint_values",
    "exact_response_rate",
    "find_sample_size",
    "load_protocol",
    "operating_characteristics",
    "permuted_blocks",
    "protocol_from_dict",
    "protocol_input_files",
    "randomise",
    "replicate_seed",
    "response_parts",
    "run_replicates",
    "screen",
    "simulate_trial",
    "stratum_codes",
]
