"""The redesign changes no number: trajectories of 200 patients, untreated and under three
regimens (gene transfer, intrathecal, cell therapy), equal the digests stored before it
(``tests/engine/golden.py``)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from golden import CASES, GOLDEN_FILE, compute, host_cpu


@pytest.fixture(scope="module")
def stored():
    return json.loads(GOLDEN_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def current():
    return compute()


@pytest.mark.parametrize("case", list(CASES))
def test_trajectories_unchanged(case, stored, current):
    if stored["cpu"] == host_cpu():
        assert current[case]["digest"] == stored["cases"][case]["digest"]
    else:  # another instruction set may round differently in the last bit
        np.testing.assert_allclose(
            current[case]["state_means"],
            stored["cases"][case]["state_means"],
            rtol=1e-9,
            atol=1e-14,
        )
