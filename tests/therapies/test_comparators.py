"""The comparators (corticosteroid, opioid, NSAID, conservative care) and the non-specific
response (expectation, vehicle), on treated vs untreated twins; the published anchors that
need a whole trial run the trial simulator on the protocols in examples/protocols/
(tests/trial/test_comparator_trials.py)."""

from __future__ import annotations

import numpy as np
import pytest

from disctwin.engine import simulate_twins
from disctwin.population import sample_population
from disctwin.units import DAYS_PER_YEAR

AGE = 55.0
FOLLOW = np.array([-1.0, 7.0, 30.0, 90.0, 180.0, 365.0])
N = 80


@pytest.fixture(scope="module")
def pop():
    return sample_population(N, seed=21)


def _twins(pop, regimen, blinded=None):
    start = np.full(len(pop), AGE * DAYS_PER_YEAR)
    index = np.zeros((len(pop), 5), dtype=bool)
    index[:, 3:] = True  # L4/5 and L5/S1
    twins = simulate_twins(
        pop, regimen, start, start[:, None] + FOLLOW[None, :], index_levels=index, blinded=blinded
    )
    assert np.all(twins.status_treated == 0) and np.all(twins.status_untreated == 0)
    return twins


def _relief(twins, rows=None):
    """(m,) mean VAS-scale (0-100) reduction of expected reported pain, treated vs untreated."""
    _, treated = twins.true_observables("treated")
    _, untreated = twins.true_observables("untreated")
    diff = 10 * (untreated["pain_reported_mean"] - treated["pain_reported_mean"])
    return diff[rows].mean(axis=0) if rows is not None else diff.mean(axis=0)


def _in_pain(twins):
    _, untreated = twins.true_observables("untreated")
    return untreated["pain_reported_mean"][:, 0] >= 3.0


def test_steroid_pulse_peaks_within_a_month_is_gone_by_a_year_and_favours_inflamed_discs(
    pop, make_regimen
):
    regimen = make_regimen(
        {"modality": "corticosteroid", "drug": "prednisolone_acetate", "dose_mg": 25.0}
    )
    twins = _twins(pop, regimen)
    disc, _ = twins.true_observables("treated")
    pulse = disc["anti_inflammatory_pulse"][:, :, 3].mean(axis=0)
    assert pulse[0] == 0 and np.argmax(pulse) in (1, 2)  # peak within a month
    assert pulse[-1] < 0.01 * pulse.max()  # gone by 12 months
    pain = _in_pain(twins)
    relief = _relief(twins, pain)
    assert relief[1] > 1.0 and abs(relief[-1]) < 0.3 * relief[1]
    # larger in the inflammatory (Modic 1) phenotype: among the injected discs of a larger
    # cohort, those read as Modic 1 before the injection lose a larger share of their pain
    # input at 1 month than those without (the pulse divides inflammation by the same
    # factor everywhere; where inflammation carries more of the input, more of it goes)
    cohort = _twins(sample_population(5 * N, seed=22), regimen)
    treated, _ = cohort.true_observables("treated")
    untreated, _ = cohort.true_observables("untreated")
    threshold = pop.parameter_set["modic1_threshold"].value
    modic = untreated["marrow_oedema"][:, 0, 3:] > threshold  # (n, 2) index discs

    def input_cut(discs):  # relative cut of those discs' nociceptive input at 1 month
        before = untreated["disc_nociceptive_input"][:, 2, 3:][discs].sum()
        return 1 - treated["disc_nociceptive_input"][:, 2, 3:][discs].sum() / before

    assert modic.sum() >= 15
    assert input_cut(modic) > 1.2 * input_cut(~modic) > 0
    # the matched placebo injection gives no steroid
    placebo = make_regimen(
        {"modality": "corticosteroid", "drug": "prednisolone_acetate", "placebo": True}
    )
    assert np.allclose(_relief(_twins(pop, placebo), pain)[:2], 0.0, atol=0.3)


def test_opioid_analgesia_rises_with_dose_wanes_with_tolerance_and_use_is_observable(
    pop, make_regimen
):
    course = {"modality": "opioid", "duration_days": 200.0}
    low = _twins(pop, make_regimen({**course, "mme_per_day": 30.0}))
    high = _twins(pop, make_regimen({**course, "mme_per_day": 90.0}))
    pain = _in_pain(high)
    r_low, r_high = _relief(low, pain), _relief(high, pain)
    assert r_high[1] > r_low[1] > 0  # dose-dependent
    assert r_high[1] < 3 * r_low[1]  # saturating, not proportional
    assert r_high[4] < 0.7 * r_high[1]  # tolerance: less relief at 6 months than in week 1
    assert abs(r_high[5]) < 0.5  # stopped after 200 days
    _, patient = high.true_observables("treated")
    np.testing.assert_array_equal(patient["opioid_daily_mme"][0], [0, 90, 90, 90, 90, 0])


def test_expectation_needs_treatment_is_smaller_blinded_and_decays(pop, make_regimen):
    saline = make_regimen({"modality": "procedure", "kind": "saline", "needle_gauge": 25})
    blinded = _twins(pop, saline, blinded=True)
    open_label = _twins(pop, saline, blinded=False)
    _, patient = blinded.true_observables("treated")
    expectation = patient["expectation_effect"].mean(axis=0)
    assert expectation[0] == 0 and expectation[1] > 0.1
    assert expectation[-1] < 0.25 * expectation[1]  # decays within months
    _, open_patient = open_label.true_observables("treated")
    assert open_patient["expectation_effect"][:, 1].mean() > expectation[1]
    # in patients in pain the placebo component is clinically visible (it is a fraction of
    # the reported pain, so it is small in the pain-free majority of a general population)
    pain = _in_pain(blinded)
    specific_in_pain = _relief(_twins(pop, saline), pain)
    assert np.all(_relief(blinded, pain)[1:3] > specific_in_pain[1:3] + 3.0)
    # none without treatment, and none when the twins are asked for specific effects only
    _, untreated = blinded.true_observables("untreated")
    assert np.all(untreated["expectation_effect"] == 0)
    _, plain = _twins(pop, saline).true_observables("treated")
    assert np.all(plain["expectation_effect"] == 0)


def test_hyaluronic_acid_vehicle_has_a_small_effect_of_its_own(pop, make_regimen):
    saline = _relief(_twins(pop, make_regimen({"modality": "procedure", "kind": "saline"})))
    vehicle = _relief(_twins(pop, make_regimen({"modality": "procedure", "kind": "vehicle_ha"})))
    extra = vehicle - saline
    assert 0.1 < extra[1] < 5.0  # small
    assert abs(extra[-1]) < 0.1  # and short-lived


def test_conservative_care_is_modest_and_slow(pop, make_regimen):
    twins = _twins(pop, make_regimen({"modality": "conservative_care", "duration_days": 84.0}))
    _, patient = twins.true_observables("treated")
    _, untreated = twins.true_observables("untreated")
    fear_drop = (untreated["fear_avoidance_z"] - patient["fear_avoidance_z"]).mean(axis=0)
    assert fear_drop[1] < 0.3 * fear_drop[3]  # slow: builds over weeks
    assert fear_drop[-1] > 0  # part of it kept after the programme
    relief = _relief(twins, _in_pain(twins))
    assert 0 < relief[3] < 8.0  # modest


def test_nsaid_relief_lasts_as_long_as_the_course(pop, make_regimen):
    twins = _twins(pop, make_regimen({"modality": "nsaid", "duration_days": 60.0}))
    relief = _relief(twins, _in_pain(twins))
    assert 1.0 < relief[1] < 15.0 and relief[2] > 1.0
    assert abs(relief[3]) < 0.5  # stopped at day 60
