"""Intradiscal cell therapy: survival and benefit limited by the disc's niche, a dose-response
that saturates, harms by carrier and source (issue 7, SCIENCE.md section 3: "most cells die;
a starved disc kills more"; Gu-lab FE models: cell dose and nutrition decide success)."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from disctwin.engine import simulate_twins
from disctwin.model import state_index
from disctwin.params import load_parameter_set
from disctwin.population import sample_population
from disctwin.therapies import THERAPIES, DoseContext
from disctwin.therapies.cell_therapy import implanted_units
from disctwin.units import DAYS_PER_YEAR

L45 = 3
AGE = 45.0
FOLLOW = np.array([-1.0, 7.0, 30.0, 90.0, 730.0])


def _cells(make_regimen, cells, source="autologous_bone_marrow_msc", carrier="hyaluronic_acid"):
    return make_regimen(
        {
            "modality": "cell_therapy",
            "source": source,
            "cells": cells,
            "carrier": carrier,
            "levels": ["L4/5"],
            "needle_gauge": 27,  # a fine needle: the cells, not the puncture, are measured
        }
    )


def _run(pop, regimen):
    start = np.full(len(pop), AGE * DAYS_PER_YEAR)
    twins = simulate_twins(pop, regimen, start, start[:, None] + FOLLOW[None, :])
    assert np.all(twins.status_treated == 0) and np.all(twins.status_untreated == 0)
    return twins


def _gain(twins, state):
    i = state_index(state, L45)
    return (twins.treated[:, :, i] - twins.untreated[:, :, i]).mean(axis=0)


@pytest.fixture(scope="module")
def by_supply(make_regimen):
    """The same 24 patients with a slower, the default and a faster endplate decline, each
    given 2e7 bone-marrow MSC at L4/5 at age 45."""
    ps = load_parameter_set()
    base = ps["endplate_decline_rate"].value
    regimen = _cells(make_regimen, 2e7)
    out = []
    for factor in (0.3, 1.0, 3.0):
        pop = sample_population(
            24, seed=11, parameter_set=ps.replace(endplate_decline_rate=base * factor)
        )
        twins = _run(pop, regimen)
        disc, _ = twins.true_observables("untreated")
        out.append((float(disc["glucose"][:, 0, L45].mean()), twins))
    return regimen, out


def test_most_implanted_cells_die_and_a_starved_disc_kills_more(by_supply):
    regimen, runs = by_supply
    dose_units, _ = implanted_units(regimen.doses[0])
    glucose = [g for g, _ in runs]
    assert glucose[0] > glucose[1] > glucose[2]  # nutrient supply falls
    i = state_index("implanted_cells", L45)
    survival_30 = [float(t.treated[:, 2, i].mean()) / dose_units for _, t in runs]
    survival_90 = [float(t.treated[:, 3, i].mean()) / dose_units for _, t in runs]
    assert survival_30[0] > survival_30[1] > survival_30[2]
    assert survival_90[0] > survival_90[1] > survival_90[2]
    assert max(survival_90) < 0.5  # most cells die within three months, even when well fed
    assert survival_30[2] < 0.5 * survival_30[0]


def test_proteoglycan_gain_shrinks_as_the_nutrient_supply_falls(by_supply):
    _, runs = by_supply
    gain_2y = [float(_gain(t, "proteoglycan")[-1]) for _, t in runs]
    cells_2y = [float(_gain(t, "viable_cells")[-1]) for _, t in runs]
    assert gain_2y[0] > gain_2y[1] > gain_2y[2]
    assert gain_2y[0] > 0
    assert cells_2y[0] > cells_2y[2]  # differentiated NP-like cells last where the disc is fed


def test_dose_response_in_cell_number_saturates(make_regimen):
    pop = sample_population(24, seed=12)
    sham = make_regimen(
        {"modality": "procedure", "kind": "saline", "levels": ["L4/5"], "needle_gauge": 27}
    )
    needle = float(_gain(_run(pop, sham), "proteoglycan")[-1])  # the puncture alone
    doses = (3e6, 1e7, 3e7, 1e8)
    gains, glucose_d7 = [], []
    for cells in doses:
        twins = _run(pop, _cells(make_regimen, cells))
        gains.append(float(_gain(twins, "proteoglycan")[-1]) - needle)
        disc, _ = twins.true_observables("treated")
        glucose_d7.append(float(disc["glucose"][:, 1, L45].mean()))
    assert gains[0] > 0
    assert all(b > a for a, b in pairwise(gains))  # more cells, more gain
    per_cell = [g / d for g, d in zip(gains, doses, strict=True)]
    assert all(b < a for a, b in pairwise(per_cell))  # but less per cell
    assert gains[-1] < 0.5 * gains[-2] * doses[-1] / doses[-2]  # far from proportional
    # the cells starve each other: the disc's glucose falls as the dose rises
    assert all(b < a for a, b in pairwise(glucose_d7))


def _context(n=4):
    levels = np.zeros((n, 5), dtype=bool)
    levels[:, L45] = True
    return DoseContext(
        seed=1,
        patient_index=np.arange(n),
        dose_index=0,
        target_levels=levels,
        dose_age_days=np.full(n, AGE * DAYS_PER_YEAR),
    )


def _hazard(make_regimen, term, **dose):
    regimen = make_regimen({"modality": "cell_therapy", "cells": 2e7, **dose})
    hazards = THERAPIES["cell_therapy"]().hazards(regimen.doses[0], _context())
    return next((float(h.probability[0]) for h in hazards if h.term == term), 0.0)


def test_leakage_osteophytes_fall_with_a_viscous_carrier_and_rise_with_the_dose(make_regimen):
    src = {"source": "autologous_adipose_msc"}
    saline = _hazard(make_regimen, "osteophyte", carrier="saline", **src)
    ha = _hazard(make_regimen, "osteophyte", carrier="hyaluronic_acid", **src)
    assert saline > ha > 0
    more = _hazard(make_regimen, "osteophyte", carrier="saline", **src, cells=8e7)
    assert more > saline


def test_tumour_risk_is_higher_for_donor_cells_and_immune_reactions_only_for_them(make_regimen):
    autologous = {"source": "autologous_bone_marrow_msc"}
    donor = {"source": "umbilical_cord_msc"}
    assert _hazard(make_regimen, "tumour", **donor) > _hazard(make_regimen, "tumour", **autologous)
    assert _hazard(make_regimen, "immune_reaction", **autologous) == 0.0
    assert _hazard(make_regimen, "immune_reaction", **donor) > 0.0
    # plus the intradiscal procedure's harms
    assert _hazard(make_regimen, "discitis", **autologous) > 0.0
