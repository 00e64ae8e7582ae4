"""Intradiscal cell therapy: mesenchymal stem / progenitor cells and discogenic cells.

A dose of ``cells`` per treated disc, suspended in saline or hyaluronic acid, does at its
dosing time:

1. the **needle injury** of the intradiscal puncture (:func:`~disctwin.therapies.delivery.
   needle_effects`);
2. **leakage**: the carrier's share of the cells flows back out along the needle track
   (hyaluronic acid leaks less); leaked cells can form osteophytes (a harm);
3. **implantation**: the rest, ``cells (1 - leakage) / np_reference_cells``, is added to the
   disc's ``implanted_cells`` (relative to the reference NP's viable cells), and the
   product's slots are set: own death rate, sensitivity to the niche, differentiation rate,
   paracrine anti-inflammatory and anabolic secretion (``cells.toml``);
4. a hyaluronic-acid carrier adds its own small anti-inflammatory pulse.

In the model (:mod:`disctwin.model.equations`) implanted cells eat glucose from the same
supply as the native cells, die from the niche's nutrient stress (low glucose and pH: a
starved disc kills more) and osmotic/load stress, differentiate into NP-like cells that
join the viable cells, and secrete while they survive. So survival and benefit fall as the
disc's nutrient supply falls, and more cells bring less and less (they starve each other).

Sources: autologous bone-marrow or adipose MSC, allogeneic umbilical-cord MSC, allogeneic
discogenic progenitors. Harms: the intradiscal procedure's (discitis, nerve root injury),
osteophytes from leaked cells, tumour (higher for culture-expanded and donor cells), and an
inflammatory reaction to donor cells.

>>> CellTherapy.Settings(modality="cell_therapy", source="autologous_adipose_msc",
...     cells=2e7, carrier="hyaluronic_acid").cells
20000000.0
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from disctwin.errors import Problem, suggest
from disctwin.model.states import N_LEVELS
from disctwin.therapies.base import AbstractTherapy, DoseContext, Effect, Hazard, register
from disctwin.therapies.delivery import LevelSettings, needle_effects, procedure_hazards
from disctwin.therapies.kinetics import PULSE_SLOTS
from disctwin.therapies.nonspecific import hyaluronic_acid_effects
from disctwin.therapies.products import HarmTiming, products

__all__ = ["CellTherapy", "CellTherapySettings", "implanted_units"]

_SLOTS = {
    "tx_implant_death_rate": "death_rate",
    "tx_implant_niche_sensitivity": "niche_sensitivity",
    "tx_implant_differentiation_rate": "differentiation_rate",
    "tx_paracrine_antiinflammatory": "paracrine_antiinflammatory",
    "tx_paracrine_anabolic": "paracrine_anabolic",
}


class CellTherapySettings(LevelSettings):
    """One intradiscal injection of cells.

    Attributes:
        source: catalogue cell source (``autologous_bone_marrow_msc``,
            ``autologous_adipose_msc``, ``umbilical_cord_msc``,
            ``allogeneic_discogenic_progenitor``).
        cells: cells injected per treated disc.
        carrier: ``saline`` or ``hyaluronic_acid``.
    """

    route: Literal["intradiscal"] = "intradiscal"
    source: str
    cells: float = Field(gt=0.0, le=1e9)
    carrier: Literal["saline", "hyaluronic_acid"] = "saline"


def implanted_units(settings: CellTherapySettings) -> tuple[float, float]:
    """(implanted, leaked) cells of a dose, the implanted ones relative to the reference NP's
    viable cells (the model's ``implanted_cells`` unit), the leaked ones in cells."""
    cat = products()
    leak = cat.carrier[settings.carrier].leakage.value
    implanted = settings.cells * (1 - leak) / cat.product.np_reference_cells.value
    return implanted, settings.cells * leak


def _timed(name: str, harm: HarmTiming, p: np.ndarray, exposures: np.ndarray) -> Hazard:
    assert harm.onset_days_median is not None, f"harm {name!r} needs onset_days_median"
    return Hazard(
        term=name,
        probability=p,
        exposures=exposures,
        onset_median_days=harm.onset_days_median.value,
        onset_gsd=harm.onset_days_gsd.value,
        severity=harm.severity,
        related="product",
    )


@register
class CellTherapy(AbstractTherapy[CellTherapySettings]):
    """Implanted cells limited by the disc's niche; paracrine and differentiating."""

    modality = "cell_therapy"
    Settings = CellTherapySettings
    states = ("implanted_cells", "annular_damage", "viable_cells", "proteoglycan")
    parameters = (*_SLOTS, *PULSE_SLOTS)

    def check(self, settings):
        sources = products().source
        if settings.source not in sources:
            return [
                Problem(
                    "dose.source",
                    settings.source,
                    ", ".join(sources),
                    suggest(settings.source, sources),
                )
            ]
        return []

    def effects(self, settings: CellTherapySettings, ctx: DoseContext) -> list[Effect]:
        source = products().source[settings.source]
        implanted, _ = implanted_units(settings)
        mask = settings.level_mask(ctx)
        out = needle_effects(settings, ctx)
        for level in range(N_LEVELS):
            m = mask[:, level]
            if not m.any():
                continue
            out += [
                Effect("parameter_set", slot, level, getattr(source, field).value, m)
                for slot, field in _SLOTS.items()
            ]
            out.append(Effect("state_add", "implanted_cells", level, implanted, m))
        if products().carrier[settings.carrier].ha_pulse:
            out += hyaluronic_acid_effects(mask, ctx)
        return out

    def hazards(self, settings: CellTherapySettings, ctx: DoseContext) -> list[Hazard]:
        cat = products()
        source = cat.source[settings.source]
        n = ctx.n_patients
        discs = settings.level_mask(ctx).sum(axis=1)
        patients = (discs > 0).astype(np.int64)
        _, leaked = implanted_units(settings)
        p_osteophyte = min(
            cat.product.osteophyte_max.value,
            cat.product.osteophyte_per_1e7_leaked.value * leaked / 1e7,
        )
        harms = cat.cell_harm
        out = procedure_hazards(settings, ctx)
        out.append(_timed("osteophyte", harms["osteophyte"], np.full(n, p_osteophyte), discs))
        out.append(
            _timed("tumour", harms["tumour"], np.full(n, source.tumour_probability.value), patients)
        )
        if source.immune_reaction_probability.value > 0:
            p = np.full(n, source.immune_reaction_probability.value)
            out.append(_timed("immune_reaction", harms["immune_reaction"], p, patients))
        return out
