"""Small canonical inputs shared by tests, docs and benchmarks.

Each is tiny enough to run in seconds and covers the main paths: a population of a dozen
patients, an intradiscal gene-therapy regimen (payload, vector, needle, antibodies), and a
two-arm blinded protocol whose arms receive the same regimen (no effect by construction),
with MRI and pain eligibility, stratified block randomisation, dropout, rescue, further
interventions and one endpoint of every main kind.
"""

from __future__ import annotations

from typing import Any

from disctwin.population import Population, sample_population
from disctwin.therapies import Regimen, parse_regimen

__all__ = [
    "CANONICAL_SEED",
    "canonical_population",
    "canonical_protocol",
    "canonical_protocol_dict",
    "canonical_regimen",
]

#: The study seed of the canonical population.
CANONICAL_SEED = 11


def canonical_population(n_patients: int = 12, seed: int = CANONICAL_SEED) -> Population:
    """``n_patients`` virtual patients of study seed ``seed`` (default: 12 of seed 11)."""
    return sample_population(n_patients, seed=seed)


def canonical_regimen() -> Regimen:
    """One intradiscal dose of AAV2 carrying TIMP1 at L4/5 (an anti-catabolic gene
    therapy, 1e12 vg through a 25G needle, as examples/regimens/intradiscal_aav2_timp1.toml)."""
    return parse_regimen(
        {
            "regimen": {"name": "canonical intradiscal AAV2-TIMP1", "basis": "testing"},
            "dose": [
                {
                    "modality": "gene_therapy",
                    "vector": "aav2",
                    "payload": ["timp1"],
                    "route": "intradiscal",
                    "dose": 1e12,
                    "needle_gauge": 25,
                    "levels": "index",
                }
            ],
        }
    )


def canonical_protocol_dict(**study: Any) -> dict:
    """A two-arm null protocol (both arms sham): no treatment effect by construction."""
    return {
        "study": {"id": "NULL", "n_patients": 24, "blinded": True, **study},
        "eligibility": [
            {"name": "pain", "variable": "vas", "min": 40},
            {"name": "chronic", "variable": "clbp_duration_months", "min": 3},
            {"name": "young", "variable": "age_years", "max": 60},
            {
                "name": "no extrusion",
                "kind": "exclusion",
                "variable": "disc_extrusion",
                "equals": 1,
            },
        ],
        "arm": [
            {"name": "sham_a", "regimen": "sham_intradiscal", "role": "control"},
            {"name": "sham_b", "regimen": "sham_intradiscal"},
        ],
        "randomisation": {"block_sizes": [2, 4], "strata": [{"variable": "opioid_use"}]},
        "visit": [{"name": "m3", "day": 91, "mri": True}, {"name": "m6", "day": 182}],
        "dropout": {"annual_rate": 0.3, "pain_log_hazard_per_10_vas": 0.3},
        "rescue": {"vas_threshold": 80, "vas_effect": 5},
        "further_intervention": {"vas_threshold": 60, "probability_per_visit": 0.2},
        "endpoint": [
            {"name": "vas_chg", "kind": "change", "visit": "m6", "primary": True},
            {"name": "vas30", "kind": "responder", "visit": "m6", "threshold": 30},
            {
                "name": "odi10",
                "kind": "responder",
                "measure": "odi",
                "visit": "m6",
                "threshold": 10,
                "threshold_type": "points",
            },
            {
                "name": "both",
                "kind": "composite",
                "components": ["vas30", "odi10"],
                "no_further_intervention": True,
            },
            {"name": "surgery", "kind": "time_to_event", "event": "further_intervention"},
        ],
    }


def canonical_protocol(**study: Any):
    """:func:`canonical_protocol_dict` validated into a :class:`~disctwin.trial.Protocol`."""
    from disctwin.trial import protocol_from_dict

    return protocol_from_dict(canonical_protocol_dict(**study))
