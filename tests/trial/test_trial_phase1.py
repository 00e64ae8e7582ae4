"""Phase I on virtual patients: the DLT curve comes from the regimen's own seeded harms."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm
from typer.testing import CliRunner

from disctwin.cli import app
from disctwin.errors import ConfigError
from disctwin.therapies import THERAPIES, DoseContext, load_regimen
from disctwin.trial.phase1 import dlt_probabilities

REGIMEN = "examples/regimens/intrathecal_aav9_scn9a_repressor.toml"


def _expected(regimen, level, window, grade):
    """1 - prod(1 - p_h * P(grade >= g) * P(onset <= window)) over the dose's hazards."""
    first = regimen.doses[0].model_copy(update={"dose": level})
    ctx = DoseContext(
        seed=0, patient_index=np.arange(1), dose_index=0, target_levels=np.zeros((1, 5), dtype=bool)
    )
    none = 1.0
    for h in THERAPIES[first.modality]().hazards(first, ctx):
        severe = sum(h.severity[grade - 1 :])
        on_time = norm.cdf(np.log(window / h.onset_median_days) / np.log(h.onset_gsd))
        none *= (1 - h.probability[0] * severe * on_time) ** int(h.exposures[0])
    return 1 - none


def test_dlt_curve_rises_with_dose_and_matches_the_hazards():
    regimen = load_regimen(REGIMEN)
    levels = [1e13, 1e14, 1e15]
    p, se = dlt_probabilities(regimen, levels, n_patients=4000, seed=3, window_days=60)
    assert np.all(np.diff(p) > 0)
    for level, pi, s in zip(levels, p, se, strict=True):
        assert abs(pi - _expected(regimen, level, 60, 3)) < 4 * max(s, 1e-3)


def test_bad_phase1_input_is_named():
    regimen = load_regimen(REGIMEN)
    with pytest.raises(ConfigError, match="dose_levels"):
        dlt_probabilities(regimen, [1e14, 1e13])
    with pytest.raises(ConfigError, match="dose amount"):
        dlt_probabilities(load_regimen("sham_intradiscal"), [1.0])


def test_cli_escalation_from_a_regimen():
    result = CliRunner().invoke(
        app,
        [
            "escalation",
            "--regimen",
            REGIMEN,
            "--dose-levels",
            "1e13,1e14,1e15",
            "--trials",
            "200",
            "--virtual-patients",
            "300",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "DLT probability" in result.output and "P(selected as MTD)" in result.output
