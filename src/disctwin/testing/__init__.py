"""Small canonical populations, regimens and protocols for tests, docs and benchmarks."""

from disctwin.testing.canonical import (
    CANONICAL_SEED,
    canonical_population,
    canonical_protocol,
    canonical_protocol_dict,
    canonical_regimen,
)

__all__ = [
    "CANONICAL_SEED",
    "canonical_population",
    "canonical_protocol",
    "canonical_protocol_dict",
    "canonical_regimen",
]
