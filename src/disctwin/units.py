"""Units used by DiscTwin parameters and outputs, and the time conventions.

The model's time unit is the day; ages are given to users in years and converted here.
Dimensionless quantities that are normalised to a reference (e.g. viable cell density
relative to the adolescent nucleus pulposus) carry the unit ``"1"`` and say what they are
relative to in their meaning.
"""

from __future__ import annotations

__all__ = ["DAYS_PER_YEAR", "KNOWN_UNITS", "days_to_years", "is_known_unit", "years_to_days"]

#: Julian year, used for every age/time conversion.
DAYS_PER_YEAR: float = 365.25

#: Every unit string a parameter, state or observable may carry, with its meaning.
KNOWN_UNITS: dict[str, str] = {
    "1": "dimensionless (a fraction, a multiplier, or normalised to a stated reference)",
    "1/day": "rate per day",
    "1/year": "rate per year (hazards of long-term drug therapy)",
    "day": "days",
    "year": "years (Julian, 365.25 days)",
    "kg/m^2": "body-mass index",
    "pH": "pH units",
    "ms": "milliseconds (MRI relaxation time)",
    "points": "points on a patient-reported scale",
    "cells/mm^3": "cell density",
    "cells": "number of cells",
    "vg": "vector genomes (AAV, and adenovirus/lentivirus particles stated as genomes)",
    "pfu": "plaque-forming units (replicating or replication-defective herpes/adenovirus)",
    "TU": "transducing units (lentivirus)",
    "ug": "micrograms",
    "mg": "milligrams",
    "mg/day": "milligrams per day (opioids: morphine milligram equivalents, MME)",
    "mm": "millimetres",
    "log10": "base-10 logarithm of a dose in its own unit",
}


def is_known_unit(unit: str) -> bool:
    """True if ``unit`` is one of :data:`KNOWN_UNITS`."""
    return unit in KNOWN_UNITS


def years_to_days(years):
    """Convert years to model time (days)."""
    return years * DAYS_PER_YEAR


def days_to_years(days):
    """Convert model time (days) to years."""
    return days / DAYS_PER_YEAR
