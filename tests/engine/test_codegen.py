"""Generated Numba code (rhs, exact Jacobian, df/dt, hoisted constants) equals an independent
SymPy lambdify of the flat system, at random states, times and patients."""

from __future__ import annotations

import numpy as np
import pytest

from disctwin.engine import compiled_model
from disctwin.engine.reference import reference_model
from disctwin.model import initial_state
from disctwin.population import sample_population


@pytest.fixture(scope="module")
def setup():
    pop = sample_population(6, seed=3)
    module = compiled_model(pop.layout).module
    extended = np.empty((len(pop), module.N_PARAMETERS + module.N_DERIVED))
    module.derive(pop.parameters, extended)
    return pop, module, extended, reference_model(pop.layout)


def _points(rng, n=4):
    y0 = initial_state()
    for _ in range(n):
        yield (
            rng.uniform(5 * 365.25, 90 * 365.25),
            y0 * rng.uniform(0.2, 1.1, y0.size) + rng.uniform(0, 0.6, y0.size),
        )


def test_derived_constants_leave_the_parameters_untouched(setup):
    pop, module, extended, _ = setup
    np.testing.assert_array_equal(extended[:, : module.N_PARAMETERS], pop.parameters)
    assert module.N_DERIVED > 0 and np.all(np.isfinite(extended))


def test_rhs_jacobian_and_time_derivative_match_lambdify(setup, rng):
    pop, module, extended, ref = setup
    n = module.N_STATES
    for i in range(len(pop)):
        for t, y in _points(rng):
            dydt = np.zeros(n)
            module.rhs(t, y, extended[i], dydt)
            np.testing.assert_allclose(dydt, ref.f(t, y, pop.parameters[i]), rtol=1e-11, atol=1e-16)
            J = np.full((n, n), np.nan)
            module.jac(t, y, extended[i], J)
            J_ref = ref.jac(t, y, pop.parameters[i])
            blocks = np.zeros((n, n), dtype=bool)
            for k in range(module.N_BLOCKS):
                s = slice(k * module.BLOCK_SIZE, (k + 1) * module.BLOCK_SIZE)
                blocks[s, s] = True
            blocks[n - module.N_TAIL :, :] = True
            np.testing.assert_allclose(J[blocks], J_ref[blocks], rtol=1e-10, atol=1e-15)
            assert np.all(J_ref[~blocks] == 0)  # the block-arrow structure is real
            ft = np.zeros(n)
            module.dfdt(t, y, extended[i], ft)
            h = 1e-2
            fd = (ref.f(t + h, y, pop.parameters[i]) - ref.f(t - h, y, pop.parameters[i])) / (2 * h)
            np.testing.assert_allclose(ft, fd, rtol=1e-6, atol=1e-14)


def test_untreated_fast_path_matches_lambdify_and_treated_patients_take_the_full_path(setup, rng):
    """With every therapy compartment and inert therapy parameter at zero, the generated code
    takes its untreated branch; it must equal the full model there (and the full branch must
    still be used as soon as one therapy quantity is not zero)."""
    from disctwin.model import DISC_STATES, N_LEVELS, PATIENT_STATES, state_index

    pop, module, _, ref = setup
    n = module.N_STATES
    therapy = [
        state_index(s.name, lv) for lv in range(N_LEVELS) for s in DISC_STATES if s.therapy
    ] + [state_index(s.name) for s in PATIENT_STATES if s.therapy]
    assert therapy and pop.layout.inert
    for i in range(len(pop)):
        for t, y in _points(rng, n=2):
            for active in (False, True):
                y = y.copy()
                y[therapy] = 0.0
                if active:  # one disc carries a payload: its block takes the full path
                    y[state_index("transgene_expression", 2)] = 0.3
                params = pop.parameters[i].copy()
                if active:  # and a drug acts on another disc through an inert parameter only
                    name = (
                        "tx_cox_inhibition"
                        if "tx_cox_inhibition" in pop.layout.offsets
                        else ("tx_anabolic_gain")
                    )
                    params[pop.layout.slot(name, 1)] = 0.5
                ext = np.empty((1, module.N_PARAMETERS + module.N_DERIVED))
                module.derive(params[None, :], ext)
                ext = ext[0]
                dydt = np.zeros(n)
                module.rhs(t, y, ext, dydt)
                np.testing.assert_allclose(dydt, ref.f(t, y, params), rtol=1e-11, atol=1e-16)
                J = np.zeros((n, n))
                module.jac(t, y, ext, J)
                J_ref = ref.jac(t, y, params)
                for k in range(module.N_BLOCKS):
                    s = slice(k * module.BLOCK_SIZE, (k + 1) * module.BLOCK_SIZE)
                    np.testing.assert_allclose(J[s, s], J_ref[s, s], rtol=1e-10, atol=1e-15)
                tail = slice(n - module.N_TAIL, n)
                np.testing.assert_allclose(J[tail], J_ref[tail], rtol=1e-10, atol=1e-15)
