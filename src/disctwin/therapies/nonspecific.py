"""The non-specific response of a treated arm, from named parts.

What a control arm's improvement is made of, and where each part lives:

1. **Regression to the mean**: patients enrol at a pain peak because eligibility reads a
   noisy, fluctuating pain report (:func:`disctwin.model.observables.measure` with visit
   ages: pain episodes and a slow pain state as Ornstein-Uhlenbeck processes). Nothing is
   added here; it emerges from screening in the trial simulator.
2. **Natural course**: the model's own pain trajectory (noise-free expected pain).
3. **Expectation** (this module): receiving a treatment lowers reported pain by
   ``gain exp(-expectation_decay_rate (t - t_0))`` (model slots ``tx_expectation_*``), from
   the first dose. ``gain`` is that of the most invasive kind of treatment in the regimen
   (``injection`` > ``oral``, ``exercise``; each modality's ``expectation`` attribute), times
   ``blinded_factor`` in a blinded arm (the patient knows it may be placebo). An untreated
   arm has none. :func:`disctwin.engine.simulate_twins` adds it when given ``blinded``.
4. **Needle injury** of an intradiscal sham or vehicle: :func:`disctwin.therapies.delivery.
   needle_effects`.
5. **Vehicle**: a hyaluronic-acid carrier has a small anti-inflammatory effect of its own
   (:func:`hyaluronic_acid_effects`).
"""

from __future__ import annotations

import numpy as np

from disctwin.therapies.base import THERAPIES, DoseContext, Effect
from disctwin.therapies.kinetics import dose_ages, pulse_effects
from disctwin.therapies.products import products

__all__ = [
    "EXPECTATION_KINDS",
    "expectation_effects",
    "expectation_gain",
    "hyaluronic_acid_effects",
]

#: Kinds of treatment, most to least invasive.
EXPECTATION_KINDS = ("injection", "oral", "exercise")


def expectation_gain(regimen, blinded: bool) -> float:
    """Initial fractional pain reduction by expectation in an arm given ``regimen``."""
    if not regimen.doses:
        return 0.0
    e = products().comparators.expectation
    gain = max(getattr(e, THERAPIES[d.modality].expectation).value for d in regimen.doses)
    return gain * (e.blinded_factor.value if blinded else 1.0)


def expectation_effects(regimen, blinded: bool, ctx: DoseContext) -> list[Effect]:
    """Start the expectation effect at the regimen's first dose (``ctx`` of that dose)."""
    gain = expectation_gain(regimen, blinded)
    if gain <= 0:
        return []
    return [
        Effect("parameter_set", "tx_expectation_gain", None, gain),
        Effect("parameter_set", "tx_expectation_start", None, dose_ages(ctx)),
    ]


def hyaluronic_acid_effects(mask: np.ndarray, ctx: DoseContext) -> list[Effect]:
    """The small anti-inflammatory pulse of a hyaluronic-acid vehicle in discs ``mask``."""
    ha = products().comparators.hyaluronic_acid
    return pulse_effects(
        mask, ctx, ha.pulse_gain.value, ha.onset_rate.value, ha.clearance_rate.value
    )
