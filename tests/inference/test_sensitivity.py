"""Sobol sensitivity: the wiring reproduces the Ishigami function's known indices, and the
model path runs end to end on common random numbers."""

from __future__ import annotations

import numpy as np
import pytest

from disctwin.errors import ConfigError
from disctwin.inference import (
    UncertainParameter,
    model_outputs,
    parse_outputs,
    sobol_analysis,
    uncertain_parameters,
)

# Ishigami & Homma (1990), a = 7, b = 0.1 (Saltelli et al. 2008, Global Sensitivity Analysis:
# The Primer, Table 4.4 / eq. 4.35): first-order and total indices.
ISHIGAMI_S1 = np.array([0.3139, 0.4424, 0.0])
ISHIGAMI_ST = np.array([0.5576, 0.4424, 0.2437])


def _ishigami(x: np.ndarray) -> np.ndarray:
    a, b = 7.0, 0.1
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_ishigami_indices_are_reproduced():
    params = [UncertainParameter(f"x{i}", -np.pi, np.pi, log=False) for i in range(3)]
    res = sobol_analysis(_ishigami, params, ["y"], n_base=2**13, seed=1)
    np.testing.assert_allclose(res.S1[0], ISHIGAMI_S1, atol=0.02)
    np.testing.assert_allclose(res.ST[0], ISHIGAMI_ST, atol=0.02)
    assert res.n_evaluations == 2**13 * (3 + 2)
    assert res.ranking("y")[0][0] == "x0"  # largest total index


def test_plot_has_a_panel_per_output(tmp_path):
    from matplotlib.image import imread

    from disctwin.report.sensitivity import plot_sobol

    params = [UncertainParameter(f"x{i}", -np.pi, np.pi, log=False) for i in range(3)]

    def two(x):
        return np.column_stack([_ishigami(x), x[:, 2]])

    one = sobol_analysis(_ishigami, params, ["y"], n_base=64, seed=1)
    both = sobol_analysis(two, params, ["y", "x2"], n_base=64, seed=1)
    h1, w1, _ = imread(plot_sobol(one, tmp_path / "one.png")).shape
    h2, w2, _ = imread(plot_sobol(both, tmp_path / "sub" / "both.png")).shape
    assert h1 == h2 and w2 > 1.5 * w1  # side-by-side panels, same parameters
    assert both.ranking("x2")[0][0] == "x2"  # the panel's top bar: x2 drives itself


def test_log_uniform_parameters_are_sampled_in_log_space():
    seen = []

    def record(x):
        seen.append(x.copy())
        return x[:, :1]

    params = [UncertainParameter("k", 1e-4, 1e-1, log=True)]
    sobol_analysis(record, params, ["k"], n_base=256, seed=0)
    x = np.concatenate(seen)[:, 0]
    assert x.min() >= 1e-4 and x.max() <= 1e-1
    assert abs(np.median(np.log10(x)) - (-2.5)) < 0.15  # uniform in log10 between -4 and -1


def test_bad_requests_name_the_field():
    with pytest.raises(ConfigError, match="did you mean 'disc_degeneration'"):
        parse_outputs(["disc_degen@50"])
    with pytest.raises(ConfigError, match="age"):
        parse_outputs(["chronic_pain@5"])
    with pytest.raises(ConfigError, match="did you mean 'apoptosis_rate'"):
        uncertain_parameters(["apoptosis_rat"])
    with pytest.raises(ConfigError, match="one value per patient"):
        uncertain_parameters(["level_load"])
    with pytest.raises(ConfigError, match="power of 2"):
        sobol_analysis(_ishigami, [UncertainParameter("a", 0, 1, False)], ["y"], n_base=100, seed=0)


def test_model_outputs_respond_to_their_drivers():
    params = uncertain_parameters(["endplate_decline_rate", "pain_scale"])
    f = model_outputs(
        ["disc_degeneration@50", "chronic_pain@50"], n_patients=200, seed=3, parameters=params
    )
    low_decline = np.array([[1e-5, 3.5], [2e-4, 3.5], [4e-5, 1.0], [4e-5, 5.0]])
    y = f(low_decline)
    assert y.shape == (4, 2)
    assert y[1, 0] > y[0, 0] + 5  # faster endplate decline, more degeneration at 50
    assert y[2, 1] > y[3, 1] + 5  # lower pain scale, more chronic pain
    assert np.array_equal(f(low_decline[:1]), y[:1])  # common random numbers: deterministic


def test_model_sobol_smoke():
    params = uncertain_parameters(["endplate_decline_rate", "pain_scale"])
    f = model_outputs(["chronic_pain@40"], n_patients=50, seed=1, parameters=params)
    res = sobol_analysis(f, params, ["chronic_pain@40"], n_base=8, seed=2, num_resamples=20)
    assert res.S1.shape == (1, 2) and np.all(np.isfinite(res.ST))
