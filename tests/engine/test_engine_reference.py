"""The compiled engine against SciPy's solve_ivp (Radau, tight tolerances), per patient.

The reference shares only the symbolic equations with the engine: its right-hand side and
Jacobian come from SymPy's lambdify of the flat system, its integrator is SciPy's.
"""

from __future__ import annotations

import numpy as np
import pytest

from disctwin.engine import compiled_model
from disctwin.engine.reference import reference_model
from disctwin.model import initial_state
from disctwin.model.observables import true_observables
from disctwin.population import sample_population
from disctwin.units import DAYS_PER_YEAR

# population-scale or published-trial checks: the full suite (CI) runs them
pytestmark = pytest.mark.slow

N_PATIENTS = 50
AGES = np.arange(10.0, 70.1, 5.0)  # 60 years from the start age


@pytest.fixture(scope="module")
def both():
    pop = sample_population(N_PATIENTS, seed=2024)
    t_out = AGES * DAYS_PER_YEAR
    y0 = initial_state()
    engine_states, status, _ = compiled_model(pop.layout).solve(
        t_out[0], y0, pop.parameters, t_out, rtol=1e-6, atol=1e-10, max_steps=100_000
    )
    ref = reference_model(pop.layout)
    ref_states = np.stack(
        [
            ref.solve(t_out[0], y0, p, t_out, method="Radau", rtol=1e-10, atol=1e-13)
            for p in pop.parameters
        ]
    )
    return pop, t_out, engine_states, ref_states, status


def _close(a, b):
    return np.abs(a - b) <= 1e-3 * np.abs(b) + 1e-6


def test_all_patients_integrate(both):
    assert np.all(both[4] == 0)


def test_every_state_agrees_with_scipy(both):
    _, _, eng, ref, _ = both
    ok = _close(eng, ref)
    worst = np.max(np.abs(eng - ref) / (np.abs(ref) + 1e-6))
    assert ok.all(), f"worst relative difference {worst:.2e}"


def test_every_observable_agrees_with_scipy(both):
    pop, t_out, eng, ref, _ = both
    disc_e, pat_e = true_observables(eng, pop.parameters, pop.layout, t_out)
    disc_r, pat_r = true_observables(ref, pop.parameters, pop.layout, t_out)
    for name in disc_r:
        assert _close(disc_e[name], disc_r[name]).all(), name
    for name in pat_r:
        assert _close(pat_e[name], pat_r[name]).all(), name


def test_the_comparison_can_fail(both):
    """A perturbed solution is caught: the tolerance is not vacuous."""
    _, _, eng, ref, _ = both
    assert not _close(eng * (1 + 3e-3), ref).all()
