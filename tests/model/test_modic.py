"""Modic type 1 endplate change: vertebral marrow oedema next to a degenerated, inflamed disc
(model observable ``marrow_oedema``, MRI finding ``modic_1``). Its prevalence must be
plausible against the literature cited in the parameter sources (``modic1_threshold``):
Modic changes of any type in a median 6% of non-clinical populations and 43% of patients
with non-specific LBP (Jensen 2008), type 1 a minority of them."""

from __future__ import annotations

import numpy as np
import pytest

from disctwin.engine import compiled_model
from disctwin.model import START_AGE_YEARS, initial_state
from disctwin.model.observables import measure, true_observables
from disctwin.population import sample_population
from disctwin.units import DAYS_PER_YEAR

N = 1500


#: Both Modic tests fail since the recalibrated natural history was merged (issue 7 note).
REFIT_AFTER_RECALIBRATION = pytest.mark.xfail(
    strict=True,
    reason=(
        "the recalibrated natural history (issue 4, fitted without the vertebrogenic pain "
        "term) moved marrow oedema: at the sourced modic1_threshold 0.64, Modic 1 is 8.1% "
        "of people aged 40-70 and 39% of those in chronic pain; the reading threshold and "
        "the vertebrogenic parameters must be fitted with the natural history (issue 7 "
        "note)"
    ),
)


@pytest.fixture(scope="module")
def adults():
    """N people aged 40-70 (uniform), measured once."""
    pop = sample_population(N, seed=31)
    age = np.linspace(40.0, 70.0, N) * DAYS_PER_YEAR
    t0 = START_AGE_YEARS * DAYS_PER_YEAR
    states, status, _ = compiled_model(pop.layout).solve(
        t0, initial_state(), pop.parameters, age[:, None], rtol=1e-6, atol=1e-10, max_steps=100_000
    )
    assert np.all(status == 0)
    disc, patient = true_observables(states, pop.parameters, pop.layout, age[:, None])
    measured = measure(disc, patient, pop.parameter_set, 31, pop.patient_index)
    return disc, measured


@REFIT_AFTER_RECALIBRATION
def test_modic_1_is_rare_in_the_population_and_several_times_commoner_in_chronic_pain(adults):
    _, measured = adults
    modic = measured.disc["modic_1"][:, 0].any(axis=1)
    chronic = measured.patient["chronic_pain"][:, 0]
    general, in_pain = modic.mean(), modic[chronic].mean()
    # type 1 is a minority of Modic changes: below the 6% (population) and 43% (NSLBP)
    # medians of all types (Jensen 2008), but present (Nguyen 2017 screened for it)
    assert 0.01 <= general <= 0.06, general
    assert 0.05 <= in_pain <= 0.30, in_pain
    assert in_pain > 3 * modic[~chronic].mean()


@REFIT_AFTER_RECALIBRATION
def test_modic_1_lies_next_to_degenerated_inflamed_lower_lumbar_discs(adults):
    disc, measured = adults
    modic = measured.disc["modic_1"][:, 0]  # (N, 5)
    by_level = modic.mean(axis=0)
    assert by_level[3:].sum() > 3 * by_level[:3].sum()  # L4/5 and L5/S1 (Sheng-yun 2014)
    height = disc["disc_height_relative"][:, 0]
    inflammation = disc["inflammation"][:, 0]
    assert np.median(height[modic]) < np.median(height[~modic]) - 0.1
    assert np.median(inflammation[modic]) > 1.3 * np.median(inflammation[~modic])
