"""Screening history: chronic-pain duration is the trailing run of months in which the
patient felt pain (the pain course's drive above zero), read on the history grid."""

from __future__ import annotations

import numpy as np
import pytest

from disctwin.trial.screening import _history, history_grid_months


def test_chronic_duration_is_the_trailing_run_of_months_in_pain():
    grid = history_grid_months(10.0)  # oldest first, 0 = the screening visit
    assert grid[-1] == 0 and np.all(np.diff(grid) < 0)
    k = len(grid)
    in_pain = np.zeros((4, k), bool)
    in_pain[0] = True  # in pain over the whole lookback: capped at 10 years
    in_pain[1, -7:] = True  # the screening month and the 6 before it
    in_pain[2, :-1] = True  # pain-free at the screening visit: not chronic now
    in_pain[3, -30:] = True  # two years monthly, then quarterly points
    u = np.full((4, 6), 0.5)
    h = _history(in_pain, grid, u, np.full(4, 5.0), np.zeros_like(in_pain))
    assert h["clbp_duration_months"].tolist() == [120.0, 6.0, 0.0, float(grid[-30])]
    assert grid[-30] > 24  # the run reaches into the quarterly part of the grid
    # care, interventions and opioids need a current chronic course
    assert h["conservative_care_months"][2] == 0 and h["opioid_use"][2] == 0


def test_moderate_pain_duration_is_its_own_trailing_run_and_never_exceeds_chronic_pain():
    grid = history_grid_months(10.0)
    k = len(grid)
    in_pain = np.ones((3, k), bool)
    moderate = np.zeros((3, k), bool)
    moderate[0, -4:] = True  # moderate for the screening month and the 3 before it
    moderate[1, -13:] = True
    moderate[1, -2] = False  # a mild month just before screening breaks the run
    h = _history(in_pain, grid, np.full((3, 6), 0.5), np.full(3, 5.0), moderate)
    assert h["moderate_pain_months"].tolist() == [3.0, 0.0, 0.0]
    assert h["clbp_duration_months"].tolist() == [120.0] * 3
    # no month of moderate pain: zero, whatever the months of any pain
    without = _history(in_pain, grid, np.full((3, 6), 0.5), np.full(3, 5.0), ~in_pain)
    assert without["moderate_pain_months"].tolist() == [0.0] * 3


@pytest.mark.slow
def test_screened_moderate_pain_history_reads_the_same_pain_course():
    """On screened candidates: months of at least moderate pain never exceed months of any
    pain, the criterion fails some candidates, and a protocol asking for it enrols only
    patients who had it."""
    from disctwin.trial.protocol import Protocol
    from disctwin.trial.screening import screen

    protocol = Protocol.model_validate(
        {
            "study": {"id": "T", "title": "t", "n_patients": 20},
            "population": {"age_years": [40.0, 60.0]},
            "eligibility": [
                {"variable": "nrs", "min": 4},
                {"name": "moderate 3 months", "variable": "moderate_pain_months", "min": 3},
            ],
            "arm": [{"name": "a", "regimen": "no_treatment", "role": "control"}],
            "visit": [{"name": "m1", "day": 30}],
            "endpoint": [{"name": "e", "kind": "change", "measure": "nrs", "visit": "m1"}],
        }
    )
    s = screen(protocol, 3)
    v = s.variables
    assert np.all(v["moderate_pain_months"] >= 3) and np.all(v["nrs"] >= 4)
    assert np.all(v["moderate_pain_months"] <= v["clbp_duration_months"])
    assert s.failures["moderate 3 months"] > 0
