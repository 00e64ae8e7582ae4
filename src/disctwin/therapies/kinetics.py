"""Shared effect builders of the drug and cell modalities: anti-inflammatory pulses, courses
of daily drugs that start and stop, and the harms of continuous therapy.

* **Anti-inflammatory pulse** (corticosteroid, hyaluronic acid): per treated disc, the model's
  ``tx_pulse_*`` slots: inflammation is divided by ``1 + gain B(t - t_0)``, with ``B`` the
  Bateman curve ``(e^{-k_c tau} - e^{-k_o tau})`` scaled to peak at 1 (onset ``k_o`` >
  clearance ``k_c``). A later pulse in the same disc replaces an earlier one.
* **Course**: a slot set at the start of a course and reset when it ends
  (:class:`~disctwin.therapies.base.Effect` ``delay_days``).
* **Harms of continuous therapy**: probability over a course of ``years`` at daily dose ``d``
  ``s (1 - exp(-h (d / d_ref)^a years))`` (``s`` the susceptible share), median onset a
  fixed fraction of the course.
"""

from __future__ import annotations

import numpy as np

from disctwin.model.states import N_LEVELS
from disctwin.therapies.base import DoseContext, Effect, Hazard
from disctwin.therapies.catalogue import Quantity
from disctwin.therapies.products import DrugHarm, FixedHarm
from disctwin.units import DAYS_PER_YEAR

__all__ = [
    "PULSE_SLOTS",
    "course_effects",
    "dose_ages",
    "drug_hazard",
    "fixed_hazard",
    "pulse_effects",
]

#: Model slots of the anti-inflammatory pulse (per disc).
PULSE_SLOTS = ("tx_pulse_gain", "tx_pulse_start", "tx_pulse_onset_rate", "tx_pulse_clearance_rate")


def dose_ages(ctx: DoseContext) -> np.ndarray:
    """(n,) ages at the dose; a modality that starts a clock needs them."""
    if ctx.dose_age_days is None:
        raise ValueError("this modality needs DoseContext.dose_age_days (the age at the dose)")
    return np.asarray(ctx.dose_age_days, dtype=float)


def pulse_effects(
    mask: np.ndarray, ctx: DoseContext, gain: float, onset_rate: float, clearance_rate: float
) -> list[Effect]:
    """Start an anti-inflammatory pulse of peak ``gain`` in the discs ``mask`` (n, 5)."""
    if not onset_rate > clearance_rate:
        raise ValueError("a pulse needs onset_rate > clearance_rate")
    start = dose_ages(ctx)
    out = []
    for level in range(N_LEVELS):
        m = mask[:, level]
        if not m.any():
            continue
        values: tuple[float | np.ndarray, ...] = (gain, start, onset_rate, clearance_rate)
        out += [
            Effect("parameter_set", slot, level, v, m)
            for slot, v in zip(PULSE_SLOTS, values, strict=True)
        ]
    return out


def course_effects(
    slots: dict[str, float], level: int | None, duration_days: float, mask=None
) -> list[Effect]:
    """Set ``slots`` at the start of a course and reset them to 0 when it ends."""
    out = [Effect("parameter_set", k, level, v, mask) for k, v in slots.items()]
    out += [
        Effect("parameter_set", k, level, 0.0, mask, delay_days=float(duration_days)) for k in slots
    ]
    return out


def fixed_hazard(
    name: str, harm: FixedHarm, n: int, related: str, exposures: np.ndarray | None = None
) -> Hazard:
    """A harm with a fixed probability per exposure (default one per patient)."""
    assert harm.onset_days_median is not None, f"harm {name!r} needs onset_days_median"
    return Hazard(
        term=name,
        probability=np.full(n, harm.probability.value),
        exposures=np.ones(n, dtype=np.int64) if exposures is None else exposures,
        onset_median_days=harm.onset_days_median.value,
        onset_gsd=harm.onset_days_gsd.value,
        severity=harm.severity,
        related=related,
    )


def drug_hazard(
    name: str,
    harm: DrugHarm,
    n: int,
    daily_dose: float,
    reference_dose: Quantity,
    duration_days: float,
) -> Hazard:
    """The harm of a course of ``duration_days`` at ``daily_dose`` (module docs)."""
    years = duration_days / DAYS_PER_YEAR
    relative = daily_dose / reference_dose.value
    rate = harm.hazard_per_year.value * relative**harm.dose_exponent.value
    share = 1.0 if harm.susceptible is None else harm.susceptible.value
    p = share * -np.expm1(-rate * years)
    return Hazard(
        term=name,
        probability=np.full(n, p),
        exposures=np.ones(n, dtype=np.int64),
        onset_median_days=max(1.0, harm.onset_fraction.value * duration_days),
        onset_gsd=harm.onset_days_gsd.value,
        onset_within_days=duration_days,
        severity=harm.severity,
        related="product",
    )
