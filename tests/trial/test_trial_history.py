"""Screening history: chronic-pain duration is the trailing run of months in which the
patient felt pain (the pain course's drive above zero), read on the history grid."""

from __future__ import annotations

import numpy as np

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
    h = _history(in_pain, grid, u, np.full(4, 5.0))
    assert h["clbp_duration_months"].tolist() == [120.0, 6.0, 0.0, float(grid[-30])]
    assert grid[-30] > 24  # the run reaches into the quarterly part of the grid
    # care, interventions and opioids need a current chronic course
    assert h["conservative_care_months"][2] == 0 and h["opioid_use"][2] == 0
