"""Utility mapping: the shipped coefficients give the published equation's values."""

from __future__ import annotations

import numpy as np
import pytest

from disctwin.economics import load_utility_mapping, map_utility
from disctwin.errors import ConfigError


def test_shipped_mapping_is_the_published_equation():
    """EQ-5D = 0.97711 - 0.00687 ODI - 0.01488 leg pain - 0.01008 back pain (coefficients
    as printed in the abstract of 'Estimating EQ-5D values from the Oswestry Disability Index
    and numeric rating scales for back and leg pain', Spine 2014; RMSE 0.149)."""
    mapping = load_utility_mapping()
    odi = np.array([0.0, 20.0, 40.0, 60.0, 100.0])
    leg = np.array([0.0, 2.0, 5.0, 7.0, 10.0])
    back = np.array([0.0, 3.0, 6.0, 8.0, 10.0])
    expected = 0.97711 - 0.00687 * odi - 0.01488 * leg - 0.01008 * back
    assert map_utility(mapping, odi=odi, leg_pain=leg, back_pain=back) == pytest.approx(expected)
    assert mapping.rmse == 0.149
    assert "Oswestry" in mapping.source


def test_utility_is_monotone_in_disability_and_capped_at_one():
    mapping = load_utility_mapping()
    odi = np.linspace(0, 100, 11)
    u = map_utility(mapping, odi=odi, leg_pain=0.0, back_pain=0.0)
    assert np.all(np.diff(u) < 0) and np.all(u <= 1.0)


def test_out_of_range_or_missing_measures_are_refused():
    mapping = load_utility_mapping()
    with pytest.raises(ConfigError, match="odi"):
        map_utility(mapping, odi=120.0, leg_pain=1.0, back_pain=1.0)
    with pytest.raises(ConfigError, match="measures"):
        map_utility(mapping, odi=20.0)
    with pytest.raises(ConfigError, match="did you mean"):
        load_utility_mapping("eq5d_from_odi_leg_back_pian")
