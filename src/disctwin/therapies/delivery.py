"""Shared machinery of payload delivery: settings, antibodies, needle injury, harms.

A payload dose (viral gene transfer, RNAi, CRISPR) does, at its dosing time:

1. **needle injury** (intradiscal): the annulus is moved ``annulus_injury_max x injury`` of
   the way to full damage, and the NP loses ``nucleus_cell_loss_max x injury`` of its viable
   cells and ``nucleus_loss_max x injury`` of its proteoglycan,
   with ``injury`` a steep function of needle outer diameter / disc height
   (:meth:`~disctwin.therapies.catalogue.Needle.injury`, Elliott 2008);
2. **slot parameters**: the route's clearance, the vector's (or edit's) onset, loss and
   inheritance, the target reach (DRG), and the payloads' effect gains;
3. **payload**: ``dose / dose_63 x (1 - neutralised)`` transduction units into the disc's
   ``vector_load`` or the patient's ``csf_vector``; uptake by viable cells then happens in
   the model, so a disc with few living cells gains little.

Neutralised share: a patient with pre-existing antibodies to the vector (drawn per patient
and vector from the regional seroprevalence) loses the route's ``nab_block``; a patient who
seroconverted after an earlier dose of the same vector (drawn per patient and dose) loses
the route's ``induced_nab_block``, which blocks re-dosing with the same serotype but not
with another.
"""

from __future__ import annotations

import zlib
from typing import Literal

import numpy as np
from pydantic import Field, field_validator

from disctwin.errors import Problem, suggest
from disctwin.model.states import LEVELS, N_LEVELS
from disctwin.streams import Stream
from disctwin.therapies.base import DoseContext, DoseSettings, Effect, Hazard
from disctwin.therapies.catalogue import REGIONS, Harm, catalogue

__all__ = [
    "PayloadSettings",
    "needle_effects",
    "patient_uniforms",
    "payload_effects",
    "payload_hazards",
    "procedure_hazards",
    "unneutralised_fraction",
]

Route = Literal["intradiscal", "intrathecal", "intradermal"]


def patient_uniforms(seed: int, stream: Stream, patient_index: np.ndarray, *key: int) -> np.ndarray:
    """(n,) uniforms, one per patient, from ``SeedSequence(seed, (stream, i, *key))``: a
    patient's draw depends only on the seed, its index and the key (never on the chunk)."""
    out = np.empty(len(patient_index))
    for row, i in enumerate(patient_index):
        seq = np.random.SeedSequence(int(seed), spawn_key=(int(stream), int(i), *key))
        out[row] = np.random.Generator(np.random.PCG64(seq)).random()
    return out


def _key(text: str) -> int:
    return zlib.crc32(text.encode())


class LevelSettings(DoseSettings):
    """Fields of any dose with a route: target levels, needle, prophylaxis."""

    route: Route
    levels: tuple[str, ...] | Literal["index"] = "index"
    needle_gauge: int = 22
    antibiotics: bool = True

    @field_validator("levels")
    @classmethod
    def _levels(cls, value):
        if value == "index":
            return value
        bad = [v for v in value if v not in LEVELS]
        if bad:
            hint = suggest(bad[0], LEVELS)
            raise ValueError(
                f"unknown level {bad[0]!r}; allowed: {', '.join(LEVELS)} or 'index'"
                + (f" (did you mean {hint!r}?)" if hint else "")
            )
        if len(set(value)) != len(value) or not value:
            raise ValueError("a non-empty list of distinct levels")
        return value

    @field_validator("needle_gauge")
    @classmethod
    def _gauge(cls, value: int) -> int:
        table = catalogue().needle.outer_diameter_mm
        if value not in table:
            raise ValueError(f"a needle gauge in {sorted(table)}")
        return value

    def level_mask(self, ctx: DoseContext) -> np.ndarray:
        """(n, 5) levels treated: the listed ones, or each patient's index levels."""
        if self.levels == "index":
            return ctx.target_levels
        mask = np.zeros((ctx.n_patients, N_LEVELS), dtype=bool)
        mask[:, [LEVELS.index(lv) for lv in self.levels]] = True
        return mask


#: The largest dose a regimen may give, as a multiple of the top of the catalogue's range of
#: the vector's 63%-transduction dose for the route: far above it transduction has long
#: saturated and the model is outside anything sourced (an AAV disc dose of 1e17 vg makes
#: the solver fail for every patient).
MAX_DOSE_FACTOR = 1000.0


class PayloadSettings(LevelSettings):
    """One dose of a payload through a vector (or siRNA) by a route.

    Attributes:
        vector: catalogue vector (``aav2``, ``aav5``, ``aav6``, ``aav8``, ``aav9``, ``ad5``,
            ``lv``, ``hsv1``, ``sirna``).
        genome: AAV genome, ``single_stranded`` or ``self_complementary``.
        payload: catalogue payload names (a cassette may carry several).
        dose: per treated disc (intradiscal) or per patient, in the vector's unit.
        dose_unit: optional; must match the vector family's unit.
    """

    vector: str
    genome: Literal["single_stranded", "self_complementary"] = "single_stranded"
    payload: tuple[str, ...] = Field(min_length=1)
    dose: float = Field(gt=0.0, le=1e18)
    dose_unit: str | None = None


def check_payload_settings(s: PayloadSettings, kinds: tuple[str, ...], viral_only: bool) -> list:
    """Cross-field problems of a payload dose (names, kinds, route, units)."""
    cat = catalogue()
    problems = []
    if s.vector not in cat.vectors:
        problems.append(
            Problem("dose.vector", s.vector, ", ".join(cat.vectors), suggest(s.vector, cat.vectors))
        )
        return problems
    vector = cat.vectors[s.vector]
    family = cat.families[vector.family]
    if viral_only and not family.antibodies:
        problems.append(Problem("dose.vector", s.vector, "a viral vector for this modality"))
    route = cat.routes[s.route]
    for name in s.payload:
        if name not in cat.payloads:
            problems.append(
                Problem("dose.payload", name, ", ".join(cat.payloads), suggest(name, cat.payloads))
            )
            continue
        p = cat.payloads[name]
        if p.kind not in kinds:
            problems.append(
                Problem("dose.payload", name, f"a payload of kind {', '.join(kinds)} (is {p.kind})")
            )
        if p.compartment != route.compartment:
            problems.append(
                Problem(
                    "dose.route",
                    s.route,
                    f"a route reaching the {p.compartment} for payload {name}",
                )
            )
    dose_63 = vector.disc_dose_63 if route.compartment == "disc" else vector.drg_dose_63
    if dose_63 is None:
        problems.append(Problem("dose.route", s.route, f"a route vector {s.vector} can take"))
    elif s.dose > MAX_DOSE_FACTOR * dose_63.range[1]:
        top = MAX_DOSE_FACTOR * dose_63.range[1]
        problems.append(
            Problem(
                "dose.dose",
                s.dose,
                f"at most {top:g} {family.dose_unit} for {s.vector} by route {s.route} "
                f"({MAX_DOSE_FACTOR:g} x the top of the catalogue's sourced range of the "
                f"dose transducing 63% of the {route.compartment}'s cells)",
            )
        )
    if s.dose_unit is not None and s.dose_unit != family.dose_unit:
        problems.append(Problem("dose.dose_unit", s.dose_unit, family.dose_unit))
    if s.genome == "self_complementary" and vector.family != "aav":
        problems.append(Problem("dose.genome", s.genome, "single_stranded (only AAV can be sc)"))
    if s.route != "intradiscal" and s.levels != "index":
        problems.append(Problem("dose.levels", list(s.levels), f"no levels for route {s.route}"))
    return problems


def unneutralised_fraction(s: PayloadSettings, ctx: DoseContext) -> np.ndarray:
    """(n,) share of the dose not neutralised by antibodies (see module docs)."""
    cat = catalogue()
    vector = cat.vectors[s.vector]
    if not cat.families[vector.family].antibodies:
        return np.ones(ctx.n_patients)
    if ctx.region not in REGIONS:
        raise ValueError(f"region {ctx.region!r} not in {REGIONS}")
    route = cat.routes[s.route]
    u = patient_uniforms(ctx.seed, Stream.ANTIBODIES, ctx.patient_index, _key(s.vector))
    pre = u < vector.seroprevalence[ctx.region]
    induced = np.zeros(ctx.n_patients, dtype=bool)
    for k, earlier in enumerate(ctx.earlier):
        if not isinstance(earlier, PayloadSettings) or earlier.vector != s.vector:
            continue
        earlier_route = cat.routes[earlier.route]
        v = patient_uniforms(ctx.seed, Stream.ANTIBODIES, ctx.patient_index, _key(s.vector), k + 1)
        induced |= v < earlier_route.seroconversion.value
    fraction = np.ones(ctx.n_patients)
    fraction = np.where(pre, fraction * (1 - route.nab_block.value), fraction)
    return np.where(induced, fraction * (1 - route.induced_nab_block.value), fraction)


def needle_effects(s: LevelSettings, ctx: DoseContext) -> list[Effect]:
    """Annulus injury and NP loss of an intradiscal puncture at each treated level."""
    if s.route != "intradiscal":
        return []
    needle = catalogue().needle
    injury = needle.injury(s.needle_gauge)
    mask = s.level_mask(ctx)
    out = []
    for level in range(N_LEVELS):
        if not mask[:, level].any():
            continue
        m = mask[:, level]
        out.append(
            Effect(
                "state_toward_one",
                "annular_damage",
                level,
                needle.annulus_injury_max.value * injury,
                m,
            )
        )
        out.append(
            Effect(
                "state_multiply",
                "viable_cells",
                level,
                1 - needle.nucleus_cell_loss_max.value * injury,
                m,
            )
        )
        out.append(
            Effect(
                "state_multiply",
                "proteoglycan",
                level,
                1 - needle.nucleus_loss_max.value * injury,
                m,
            )
        )
    return out


def payload_effects(s: PayloadSettings, ctx: DoseContext) -> list[Effect]:
    """Slot parameters and payload of a dose (after the needle injury)."""
    cat = catalogue()
    vector = cat.vectors[s.vector]
    family = cat.families[vector.family]
    route = cat.routes[s.route]
    payloads = [cat.payloads[p] for p in s.payload]
    permanent = any(p.permanent for p in payloads)
    if permanent:
        onset = max(p.onset_days.value for p in payloads if p.onset_days is not None)
    elif s.genome == "self_complementary":
        assert family.onset_days_self_complementary is not None  # only AAV can be sc (checked)
        onset = family.onset_days_self_complementary.value
    else:
        onset = family.onset_days.value
    gains: dict[str, float] = {}
    for p in payloads:
        for slot, q in p.effects.items():
            gains[slot] = gains.get(slot, 0.0) + q.value
    fraction = unneutralised_fraction(s, ctx)
    out = needle_effects(s, ctx)
    if route.compartment == "disc":
        loss = 0.0 if permanent else family.disc_payload_loss_rate.value
        inherit = 1.0 if permanent else family.inheritance.value
        assert vector.disc_dose_63 is not None  # check_payload_settings: route fits vector
        units = s.dose / vector.disc_dose_63.value * fraction
        mask = s.level_mask(ctx)
        for level in range(N_LEVELS):
            m = mask[:, level]
            if not m.any():
                continue
            sets = {
                "tx_vector_clearance_rate": route.payload_clearance_rate.value,
                "tx_onset_rate": 1.0 / onset,
                "tx_payload_loss_rate": loss,
                "tx_inheritance": inherit,
                **gains,
            }
            out += [Effect("parameter_set", k, level, v, m) for k, v in sets.items()]
            out.append(Effect("state_add", "vector_load", level, units, m))
    else:
        loss = 0.0 if permanent else family.drg_payload_loss_rate.value
        assert vector.drg_dose_63 is not None and vector.drg_reach is not None
        units = s.dose / vector.drg_dose_63.value * fraction
        sets = {
            "tx_csf_clearance_rate": route.payload_clearance_rate.value,
            "tx_drg_reach": vector.drg_reach.value,
            "tx_drg_onset_rate": 1.0 / onset,
            "tx_drg_loss_rate": loss,
            **gains,
        }
        out += [Effect("parameter_set", k, None, v) for k, v in sets.items()]
        out.append(Effect("state_add", "csf_vector", None, units))
    return out


def _harm_hazard(name: str, harm: Harm, exposures: np.ndarray, antibiotics: bool) -> Hazard:
    p = harm.probability.value * (harm.antibiotic_factor.value if antibiotics else 1.0)
    return Hazard(
        term=name,
        probability=np.full(len(exposures), p),
        exposures=exposures,
        onset_median_days=harm.onset_days_median.value,
        onset_gsd=harm.onset_days_gsd.value,
        severity=harm.severity,
        related="procedure",
    )


def procedure_hazards(s: LevelSettings, ctx: DoseContext) -> list[Hazard]:
    """Harms of the route's procedure (per treated disc or per procedure)."""
    out = []
    discs = s.level_mask(ctx).sum(axis=1) if s.route == "intradiscal" else None
    for name, harm in catalogue().harms.items():
        if harm.route != s.route:
            continue
        exposures = discs if harm.per == "disc" else np.ones(ctx.n_patients, dtype=np.int64)
        assert exposures is not None  # per-disc harms are those of the intradiscal route
        out.append(_harm_hazard(name, harm, exposures, s.antibiotics))
    return out


def payload_hazards(s: PayloadSettings, ctx: DoseContext) -> list[Hazard]:
    """Procedure harms plus the vector's dose-dependent harms."""
    cat = catalogue()
    out = procedure_hazards(s, ctx)
    family = cat.vectors[s.vector].family
    log_dose = np.log10(s.dose)
    for name, h in cat.vector_harms.items():
        if family not in h.families or s.route not in h.routes:
            continue
        p = h.probability_max.value / (
            1 + np.exp(-(log_dose - h.log10_dose_50.value) / h.log10_dose_scale.value)
        )
        out.append(
            Hazard(
                term=name,
                probability=np.full(ctx.n_patients, p),
                exposures=np.ones(ctx.n_patients, dtype=np.int64),
                onset_median_days=h.onset_days_median.value,
                onset_gsd=h.onset_days_gsd.value,
                severity=h.severity,
                related="vector",
            )
        )
    return out
