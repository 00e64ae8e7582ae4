"""Shared fixtures. Compiled model code is cached under a per-session directory only when
DISCTWIN_CACHE_DIR is unset, so CI and developers reuse their normal cache."""

from __future__ import annotations

import numpy as np
import pytest

from disctwin.population import sample_population


@pytest.fixture(scope="session")
def small_population():
    """Twelve patients of study seed 11."""
    return sample_population(12, seed=11)


@pytest.fixture
def rng():
    return np.random.default_rng(20261121)
