"""The Rodas4P solver kernel (disctwin.engine._kernel) on small hand-written models.

Models are defined in ``conftest.py`` as model-module source text and compiled with
:func:`disctwin.engine.compile.build_module`, exactly as the engine does with the generated
DiscTwin model.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numba
import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.linalg import expm

from disctwin.engine.compile import build_module, kernel_source

NO_BREAKS = np.empty(0)


def solve(m, t0, y0, p, t_out, *, rtol, atol, breaks=NO_BREAKS, max_steps=100_000, events=None):
    """One solve_patient call: (y_out, status, n_accepted, n_rejected).

    ``events``: optional list of (time, kind, index, value), sorted by time.
    """
    events = events or []
    ev_t = np.array([e[0] for e in events], dtype=float)
    ev_kind = np.array([e[1] for e in events], dtype=np.int64)
    ev_index = np.array([e[2] for e in events], dtype=np.int64)
    ev_value = np.array([e[3] for e in events], dtype=float)
    vecs, mats, ipiv = m.alloc_work()
    t_out = np.asarray(t_out, dtype=float)
    y_out = np.full((t_out.size, m.N_STATES), -12345.0)
    status, n_acc, n_rej = m.solve_patient(
        float(t0),
        np.asarray(y0, dtype=float),
        np.asarray(p, dtype=float),
        t_out,
        np.asarray(breaks, dtype=float),
        ev_t,
        ev_kind,
        ev_index,
        ev_value,
        float(rtol),
        np.atleast_1d(np.asarray(atol, dtype=float)),
        int(max_steps),
        y_out,
        vecs,
        mats,
        ipiv,
    )
    return y_out, status, n_acc, n_rej


# ------------------------------------------------------------------ exact solutions
def limit_cycle_exact(t, r0=0.5, a=0.5):
    """y1 = r cos(theta), y2 = r sin(theta), r' = r (1 - r^2), theta' = 1 + a cos t."""
    t = np.asarray(t, dtype=float)
    r = 1.0 / np.sqrt(1.0 + (1.0 / r0**2 - 1.0) * np.exp(-2.0 * t))
    theta = t + a * np.sin(t)
    return np.stack([r * np.cos(theta), r * np.sin(theta)], axis=-1)


def arrow_f(t, y, p):
    forcing = 1.0 + 0.5 * np.sin(t)
    f = np.empty(7)
    acc = 0.0
    for k in range(3):
        a, b = y[2 * k], y[2 * k + 1]
        k1, k2, s = p[3 * k : 3 * k + 3]
        f[2 * k] = s * forcing - k1 * a * b - 0.1 * a
        f[2 * k + 1] = k1 * a * b - k2 * b + 0.01
        acc += (k + 1.0) * a * b / (1.0 + a)
    f[6] = acc - p[9] * y[6]
    return f


def arrow_jac(t, y, p):
    J = np.zeros((7, 7))
    for k in range(3):
        a, b = y[2 * k], y[2 * k + 1]
        k1, k2 = p[3 * k], p[3 * k + 1]
        o = 2 * k
        J[o, o], J[o, o + 1] = -k1 * b - 0.1, -k1 * a
        J[o + 1, o], J[o + 1, o + 1] = k1 * b, k1 * a - k2
        J[6, o] = (k + 1.0) * b / (1.0 + a) ** 2
        J[6, o + 1] = (k + 1.0) * a / (1.0 + a)
    J[6, 6] = -p[9]
    return J


ARROW_P = np.array([2.0, 1.0e3, 0.5, 0.5, 0.3, 0.2, 5.0, 20.0, 1.0, 0.05])
ARROW_Y0 = np.array([1.0, 0.5, 0.2, 1.0, 0.0, 0.1, 0.0])


def radau(f, jac, t_span, y0, t_eval, rtol=1e-11, atol=1e-13):
    sol = solve_ivp(f, t_span, y0, method="Radau", jac=jac, t_eval=t_eval, rtol=rtol, atol=atol)
    assert sol.success, sol.message
    return sol.y.T


# ------------------------------------------------------------------ convergence order
def test_fixed_step_order_is_4_and_embedded_order_is_3(build):
    """Global error of n equal steps: slope ~4 (Rodas4P), ~3 for the embedded solution.

    The problem is nonlinear, non-autonomous (uses df/dt) with a full 2x2 Jacobian, so
    wrong a/c/d coefficients or a missing df/dt term would break the order.
    """
    m = build("limit_cycle")
    vecs, mats, ipiv = m.alloc_work()
    y0, p, t_end = np.array([0.5, 0.0]), np.array([0.5]), 1.0
    exact = limit_cycle_exact(t_end)
    out = np.empty(2)
    ns = [10, 20, 40, 80, 160]
    orders = {}
    for embedded in (False, True):
        errs = []
        for n in ns:
            st = m.solve_fixed_steps(0.0, y0, p, t_end, n, embedded, out, vecs, mats, ipiv)
            assert st == m.STATUS_OK
            errs.append(np.linalg.norm(out - exact))
        errs = np.array(errs)
        orders[embedded] = np.log2(errs[:-1] / errs[1:])
    assert np.all(orders[False] >= 3.5), orders[False]
    assert np.all(orders[False] <= 4.6), orders[False]
    assert np.all(np.abs(orders[True] - 3.0) <= 0.4), orders[True]


def test_adaptive_error_follows_tolerance(build):
    """Tolerance-driven: error shrinks with rtol, stays within a small multiple of it, and
    steps grow roughly like rtol^(-1/4) (order-3 error estimator)."""
    m = build("limit_cycle")
    t_out = np.linspace(0.0, 10.0, 11)
    exact = limit_cycle_exact(t_out)
    errs, steps = [], []
    for rtol in (1e-5, 1e-7, 1e-9):
        y, st, n_acc, _ = solve(m, 0.0, [0.5, 0.0], [0.5], t_out, rtol=rtol, atol=rtol)
        assert st == m.STATUS_OK
        errs.append(np.abs(y - exact).max())
        steps.append(n_acc)
        assert errs[-1] < 20 * rtol
    assert errs[0] > errs[1] > errs[2]
    # two decades of tolerance: 100^(1/4) = 3.2 times the steps (allow 2..5)
    ratios = np.array(steps[1:]) / np.array(steps[:-1])
    assert np.all((ratios > 2.0) & (ratios < 5.0)), steps


# ------------------------------------------------------------------ stiff accuracy
def test_stiff_linear_system_matches_expm(build):
    m = build("linear2")
    V = np.array([[1.0, 0.5], [0.3, 1.0]])
    A = V @ np.diag([-1.0, -1.0e4]) @ np.linalg.inv(V)
    y0 = np.array([2.0, -1.0])  # both modes present
    t_out = np.array([0.0, 1e-4, 1e-3, 1e-2, 0.1, 1.0, 3.0, 5.0])
    y, st, n_acc, _ = solve(m, 0.0, y0, A.ravel(), t_out, rtol=1e-7, atol=1e-12)
    assert st == m.STATUS_OK
    assert np.array_equal(y[0], y0)  # output at t0 is y0 exactly
    ref = np.array([expm(A * t) @ y0 for t in t_out])
    rel = np.abs(y - ref) / np.abs(ref)
    assert rel.max() < 1e-5, rel
    assert n_acc < 400  # L-stable: steps follow the slow mode after the transient


@pytest.mark.slow
def test_robertson_matches_radau(build):
    m = build("robertson")

    def f(t, y):
        a = -0.04 * y[0] + 1e4 * y[1] * y[2]
        c = 3e7 * y[1] ** 2
        return [a, -a - c, c]

    def jac(t, y):
        return [
            [-0.04, 1e4 * y[2], 1e4 * y[1]],
            [0.04, -1e4 * y[2] - 6e7 * y[1], -1e4 * y[1]],
            [0.0, 6e7 * y[1], 0.0],
        ]

    t_out = np.logspace(-4, 5, 10)
    y0 = np.array([1.0, 0.0, 0.0])
    ref = radau(f, jac, (0.0, 1e5), y0, t_out, rtol=1e-10, atol=1e-14)
    atol = np.array([1e-10, 1e-12, 1e-10])
    y, st, n_acc, n_rej = solve(m, 0.0, y0, [], t_out, rtol=1e-7, atol=atol)
    assert st == m.STATUS_OK
    rel = np.abs(y - ref) / np.abs(ref)
    assert rel.max() < 1e-4, rel
    assert n_acc + n_rej < 500
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=0, atol=1e-9)  # mass conserved


@pytest.mark.slow
def test_non_autonomous_uses_dfdt(build):
    """y' = -50 (y - cos t), y(0) = 0: against the exact solution and Radau."""
    m = build("scalar")
    p = [50.0, 1.0, 0.0, 0.0, 0.0]
    t_out = np.linspace(0.0, 10.0, 101)
    exact = (2500 * np.cos(t_out) + 50 * np.sin(t_out)) / 2501 - 2500 / 2501 * np.exp(-50 * t_out)
    ref = radau(
        lambda t, y: -50.0 * (y - np.cos(t)),
        lambda t, y: [[-50.0]],
        (0.0, 10.0),
        [0.0],
        t_out,
        rtol=1e-12,
        atol=1e-14,
    )[:, 0]
    assert np.abs(ref - exact).max() < 1e-9
    y, st, _, _ = solve(m, 0.0, [0.0], p, t_out, rtol=1e-8, atol=1e-10)
    assert st == m.STATUS_OK
    assert np.abs(y[:, 0] - exact).max() < 1e-7
    assert np.abs(y[:, 0] - ref).max() < 1e-7


# ------------------------------------------------------------------ block-arrow structure
@pytest.mark.slow
def test_block_arrow_matches_radau_and_dense_declaration(build):
    """3 blocks of 2 + 1 tail state. The structured model's jac poisons every entry outside
    the block-arrow structure with NaN, so reading one would make the result NaN."""
    arrow, dense = build("arrow"), build("arrow_dense")
    assert (arrow.N_BLOCKS, arrow.BLOCK_SIZE, arrow.N_TAIL) == (3, 2, 1)
    t_out = np.linspace(0.0, 30.0, 31)
    ref = radau(
        lambda t, y: arrow_f(t, y, ARROW_P),
        lambda t, y: arrow_jac(t, y, ARROW_P),
        (0.0, 30.0),
        ARROW_Y0,
        t_out,
    )
    y_a, st_a, n_a, _ = solve(arrow, 0.0, ARROW_Y0, ARROW_P, t_out, rtol=1e-9, atol=1e-12)
    y_d, st_d, n_d, _ = solve(dense, 0.0, ARROW_Y0, ARROW_P, t_out, rtol=1e-9, atol=1e-12)
    assert st_a == st_d == arrow.STATUS_OK
    assert np.all(np.isfinite(y_a))
    scale = np.abs(ref) + 1e-6
    assert (np.abs(y_a - ref) / scale).max() < 1e-6
    assert (np.abs(y_d - ref) / scale).max() < 1e-6
    # same method, only the LU ordering differs: agreement far inside the tolerance
    assert (np.abs(y_a - y_d) / scale).max() < 1e-8
    assert abs(n_a - n_d) <= 2


def test_block_arrow_steps_do_not_depend_on_stiffness(build):
    """Raising block 0's fast rate from 1e3 to 1e7 per unit time leaves the step count
    (set by the other blocks' non-stiff dynamics) almost unchanged: L-stability."""
    m = build("arrow")
    counts = []
    for k2 in (1e3, 1e5, 1e7):
        p = ARROW_P.copy()
        p[1] = k2
        _, st, n_acc, n_rej = solve(m, 0.0, ARROW_Y0, p, [0.0, 100.0], rtol=1e-6, atol=1e-9)
        assert st == m.STATUS_OK
        counts.append(n_acc + n_rej)
    assert max(counts) < 1.1 * min(counts), counts


@pytest.mark.slow
def test_all_tail_declaration_is_identical_to_one_block(build):
    """N_BLOCKS = 0 (everything in the tail) runs the same LU on the same matrix."""
    block, tail = build("robertson"), build("robertson_tail")
    assert (tail.N_BLOCKS, tail.N_TAIL) == (0, 3)
    t_out = np.logspace(-4, 5, 10)
    atol = np.array([1e-10, 1e-12, 1e-10])
    y_b, st_b, n_b, _ = solve(block, 0.0, [1.0, 0.0, 0.0], [], t_out, rtol=1e-7, atol=atol)
    y_t, st_t, n_t, _ = solve(tail, 0.0, [1.0, 0.0, 0.0], [], t_out, rtol=1e-7, atol=atol)
    assert st_b == st_t == block.STATUS_OK
    assert n_b == n_t
    assert np.array_equal(y_b, y_t)


@pytest.mark.slow
def test_two_tail_states_with_pivoting_match_radau(build):
    m = build("two_tail")
    p = np.array([0.5, 30.0, 1000.0])
    y0 = np.array([1.0, 0.5, -0.5, 1.0, 0.2, -0.1])

    def f(t, y):
        d = np.empty(6)
        for k in range(2):
            a, b = y[2 * k], y[2 * k + 1]
            d[2 * k] = -p[0] * a + b * b
            d[2 * k + 1] = -p[1] * (k + 1.0) * b + 0.1 * np.sin(t)
        d[4] = -p[2] * y[4] + y[0] + y[2] * y[3]
        d[5] = 5.0 * p[2] * y[4] - 0.1 * y[5] + y[1] ** 2
        return d

    def jac(t, y):
        J = np.zeros((6, 6))
        for k in range(2):
            J[2 * k, 2 * k], J[2 * k, 2 * k + 1] = -p[0], 2.0 * y[2 * k + 1]
            J[2 * k + 1, 2 * k + 1] = -p[1] * (k + 1.0)
        J[4, 0], J[4, 2], J[4, 3], J[4, 4] = 1.0, y[3], y[2], -p[2]
        J[5, 1], J[5, 4], J[5, 5] = 2.0 * y[1], 5.0 * p[2], -0.1
        return J

    t_out = np.linspace(0.0, 10.0, 21)
    ref = radau(f, jac, (0.0, 10.0), y0, t_out)
    y, st, n_acc, _ = solve(m, 0.0, y0, p, t_out, rtol=1e-8, atol=1e-11)
    assert st == m.STATUS_OK
    assert n_acc < 1000  # steps ~> 1/p2: the tail LU pivots
    assert (np.abs(y - ref) / (np.abs(ref) + 1e-3)).max() < 1e-6


# ------------------------------------------------------------------ dense output
def test_dense_output_between_steps(build):
    m = build("limit_cycle")
    t_out = np.linspace(0.0, 10.0, 200)
    exact = limit_cycle_exact(t_out)

    def f(t, y):
        w = 1.0 + 0.5 * np.cos(t)
        g = 1.0 - y[0] ** 2 - y[1] ** 2
        return [-w * y[1] + y[0] * g, w * y[0] + y[1] * g]

    ref = solve_ivp(
        f, (0.0, 10.0), [0.5, 0.0], method="DOP853", t_eval=t_out, rtol=1e-13, atol=1e-13
    ).y.T
    assert np.abs(ref - exact).max() < 1e-10
    for rtol in (1e-6, 1e-8):
        y, st, n_acc, _ = solve(m, 0.0, [0.5, 0.0], [0.5], t_out, rtol=rtol, atol=rtol)
        assert st == m.STATUS_OK
        assert np.abs(y - ref).max() < 20 * rtol
        # 200 outputs, fewer steps: outputs come from the continuous extension
        y_end, _, n_acc_end, _ = solve(m, 0.0, [0.5, 0.0], [0.5], [10.0], rtol=rtol, atol=rtol)
        if rtol == 1e-6:
            assert n_acc < 200
        # outputs do not change the steps: identical step count and final state
        assert n_acc_end == n_acc
        assert np.array_equal(y_end[-1], y[-1])


def test_dense_output_is_third_order_in_the_step(build):
    """Interpolation error inside steps shrinks like h^4 (order-3 continuous extension):
    at fixed relative tolerance ratios, mid-step errors track the tolerance."""
    m = build("limit_cycle")
    t_out = np.linspace(0.05, 9.95, 397)
    exact = limit_cycle_exact(t_out)
    e = []
    for rtol in (1e-5, 1e-7):
        y, st, _, _ = solve(m, 0.0, [0.5, 0.0], [0.5], t_out, rtol=rtol, atol=rtol)
        assert st == m.STATUS_OK
        e.append(np.abs(y - exact).max())
    assert e[1] < e[0] / 20


# ------------------------------------------------------------------ breakpoints
def test_breakpoint_at_kink_is_hit_exactly(build):
    """y' = max(0, t - 2.3): on each side of 2.3 the solution is a polynomial Rodas4
    integrates exactly, so landing on the breakpoint gives roundoff-level error; stepping
    across it does not."""
    m = build("scalar")
    p = [0.0, 0.0, 0.0, 1.0, 2.3]
    exact = (5.0 - 2.3) ** 2 / 2
    t_out = [2.3, 5.0]
    y_b, st, _, n_rej_b = solve(m, 0.0, [0.0], p, t_out, rtol=1e-4, atol=1e-4, breaks=[2.3])
    assert st == m.STATUS_OK
    assert y_b[0, 0] == 0.0
    assert abs(y_b[1, 0] - exact) < 1e-12 * exact
    assert n_rej_b == 0
    y_n, st, _, _ = solve(m, 0.0, [0.0], p, t_out, rtol=1e-4, atol=1e-4)
    assert st == m.STATUS_OK
    assert abs(y_n[1, 0] - exact) > 1e-9 * exact


def test_breakpoints_restart_without_changing_the_solution(build):
    m = build("limit_cycle")
    t_out = np.linspace(0.0, 10.0, 41)
    exact = limit_cycle_exact(t_out)
    breaks = np.linspace(0.7, 9.7, 10)
    y0, p = [0.5, 0.0], [0.5]
    y, st, n_acc, _ = solve(m, 0.0, y0, p, t_out, rtol=1e-7, atol=1e-7)
    y_b, st_b, n_acc_b, _ = solve(m, 0.0, y0, p, t_out, rtol=1e-7, atol=1e-7, breaks=breaks)
    assert st == st_b == m.STATUS_OK
    assert np.abs(y_b - exact).max() < 2e-6
    assert np.abs(y_b - y).max() < 2e-6
    assert n_acc_b > n_acc + len(breaks)  # each restart begins with a small step


def test_irrelevant_breakpoints_are_ignored(build):
    """Breakpoints at or before t0, at or after the end, or repeated t0 change nothing."""
    m = build("limit_cycle")
    t_out = np.linspace(1.0, 6.0, 11)
    y, _, n, _ = solve(m, 1.0, [0.5, 0.0], [0.5], t_out, rtol=1e-6, atol=1e-6)
    y_b, _, n_b, _ = solve(
        m, 1.0, [0.5, 0.0], [0.5], t_out, rtol=1e-6, atol=1e-6, breaks=[-3.0, 1.0, 1.0, 6.0, 9.0]
    )
    assert n_b == n
    assert np.array_equal(y, y_b)


def test_output_at_a_breakpoint_and_duplicate_breaks(build):
    m = build("limit_cycle")
    t_out = np.array([0.0, 2.0, 2.0, 3.0])
    y, st, _, _ = solve(
        m, 0.0, [0.5, 0.0], [0.5], t_out, rtol=1e-8, atol=1e-8, breaks=[2.0, 2.0, 2.5]
    )
    assert st == m.STATUS_OK
    assert np.array_equal(y[1], y[2])
    assert np.abs(y - limit_cycle_exact(t_out)).max() < 1e-6


# ------------------------------------------------------------------ status codes
def test_blow_up_returns_status_and_nan(build):
    """y' = y^2, y(0) = 1 blows up at t = 1: a status code, NaN afterwards, no exception."""
    m = build("scalar")
    p = [0.0, 0.0, 1.0, 0.0, 0.0]
    t_out = [0.5, 0.9, 1.5, 2.0]
    y, st, _, _ = solve(m, 0.0, [1.0], p, t_out, rtol=1e-6, atol=1e-6)
    assert st in (m.STATUS_NON_FINITE, m.STATUS_STEP_UNDERFLOW)
    np.testing.assert_allclose(y[:2, 0], [2.0, 10.0], rtol=1e-4)
    assert np.all(np.isnan(y[2:]))


def test_step_limit(build):
    m = build("scalar")
    p = [50.0, 1.0, 0.0, 0.0, 0.0]
    y, st, n_acc, n_rej = solve(
        m, 0.0, [0.0], p, [0.0, 5.0, 10.0], rtol=1e-6, atol=1e-6, max_steps=5
    )
    assert st == m.STATUS_STEP_LIMIT
    assert n_acc + n_rej == 5
    assert y[0, 0] == 0.0
    assert np.all(np.isnan(y[1:]))


def test_non_finite_start(build):
    m = build("scalar")
    y, st, _, _ = solve(m, 0.0, [np.nan], [1.0, 0, 0, 0, 0], [1.0, 2.0], rtol=1e-6, atol=1e-6)
    assert st == m.STATUS_NON_FINITE
    assert np.all(np.isnan(y))


def test_status_constants(build):
    m = build("scalar")
    assert (m.STATUS_OK, m.STATUS_STEP_LIMIT, m.STATUS_NON_FINITE, m.STATUS_STEP_UNDERFLOW) == (
        0,
        1,
        2,
        3,
    )


# ------------------------------------------------------------------ population
def _population(n, seed):
    rng = np.random.default_rng(seed)
    P = np.empty((n, 10))
    for k in range(3):
        P[:, 3 * k] = rng.uniform(0.5, 5.0, n)
        P[:, 3 * k + 1] = 10.0 ** rng.uniform(-1, 3, n)
        P[:, 3 * k + 2] = rng.uniform(0.1, 1.0, n)
    P[:, 9] = rng.uniform(0.01, 1.0, n)
    Y0 = ARROW_Y0 * rng.uniform(0.5, 1.5, (n, 7))
    t0 = rng.uniform(0.0, 1.0, n)
    T_out = t0[:, None] + np.linspace(0.0, 20.0, 9)[None, :]
    T_breaks = np.full((n, 3), np.nan)
    n_breaks = rng.integers(0, 4, n)
    for i in range(n):
        T_breaks[i, : n_breaks[i]] = np.sort(t0[i] + rng.uniform(0.0, 20.0, n_breaks[i]))
    return t0, Y0, P, T_out, T_breaks, n_breaks


def _solve_population(m, t0, Y0, P, T_out, T_breaks, n_breaks, rtol=1e-6, atol=1e-9):
    n = Y0.shape[0]
    Y_out = np.empty((n, T_out.shape[1], m.N_STATES))
    status = np.empty(n, dtype=np.int64)
    n_steps = np.empty(n, dtype=np.int64)
    m.solve_population(
        t0,
        Y0,
        P,
        T_out,
        T_breaks,
        n_breaks,
        np.zeros((n, 1)),
        np.zeros((n, 1), dtype=np.int64),
        np.zeros((n, 1), dtype=np.int64),
        np.zeros((n, 1)),
        np.zeros(n, dtype=np.int64),
        rtol,
        np.full(m.N_STATES, atol),
        100_000,
        Y_out,
        status,
        n_steps,
    )
    return Y_out, status, n_steps


def test_population_is_bit_identical_across_batches_threads_and_single_calls(build):
    m = build("arrow")
    args = _population(64, seed=7)
    Y_all, st_all, ns_all = _solve_population(m, *args)
    assert np.all(st_all == m.STATUS_OK)
    assert np.all(np.isfinite(Y_all))
    for batch in (1, 7):
        parts = [
            _solve_population(m, *(a[lo : lo + batch] for a in args)) for lo in range(0, 64, batch)
        ]
        assert np.array_equal(np.concatenate([q[0] for q in parts]), Y_all)
        assert np.array_equal(np.concatenate([q[1] for q in parts]), st_all)
        assert np.array_equal(np.concatenate([q[2] for q in parts]), ns_all)
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        Y_1, _, ns_1 = _solve_population(m, *args)
    finally:
        numba.set_num_threads(old)
    assert np.array_equal(Y_1, Y_all)
    assert np.array_equal(ns_1, ns_all)
    t0, Y0, P, T_out, T_breaks, n_breaks = args
    for i in range(64):
        y, st, n_acc, _ = solve(
            m,
            t0[i],
            Y0[i],
            P[i],
            T_out[i],
            rtol=1e-6,
            atol=np.full(7, 1e-9),
            breaks=T_breaks[i, : n_breaks[i]],
        )
        assert st == st_all[i]
        assert n_acc == ns_all[i]
        assert np.array_equal(y, Y_all[i])


def test_population_reports_failures_without_raising(build):
    m = build("scalar")
    n = 4
    P = np.array([[50.0, 1.0, 0.0, 0.0, 0.0]] * n)
    P[1] = [0.0, 0.0, 1.0, 0.0, 0.0]  # blows up at t = 1
    Y0 = np.ones((n, 1))
    Y0[2] = np.nan
    T_out = np.tile(np.array([0.5, 2.0]), (n, 1))
    Y_out, status, n_steps = _solve_population(
        m,
        np.zeros(n),
        Y0,
        P,
        T_out,
        np.zeros((n, 0)),
        np.zeros(n, dtype=np.int64),
    )
    assert status[0] == status[3] == m.STATUS_OK
    assert status[1] in (m.STATUS_NON_FINITE, m.STATUS_STEP_UNDERFLOW)
    assert status[2] == m.STATUS_NON_FINITE
    assert np.isfinite(Y_out[1, 0]).all() and np.isnan(Y_out[1, 1]).all()
    assert np.isnan(Y_out[2]).all()
    assert np.array_equal(Y_out[0], Y_out[3])
    assert n_steps[0] > 0


@pytest.mark.slow
def test_population_matches_radau(build):
    m = build("arrow")
    t0, Y0, P, T_out, _, _ = _population(6, seed=3)
    Y_out, status, _ = _solve_population(
        m,
        t0,
        Y0,
        P,
        T_out,
        np.zeros((6, 0)),
        np.zeros(6, dtype=np.int64),
        rtol=1e-8,
        atol=1e-11,
    )
    assert np.all(status == m.STATUS_OK)
    for i in range(6):
        ref = radau(
            lambda t, y, p=P[i]: arrow_f(t, y, p),
            lambda t, y, p=P[i]: arrow_jac(t, y, p),
            (t0[i], T_out[i, -1]),
            Y0[i],
            T_out[i],
        )
        assert (np.abs(Y_out[i] - ref) / (np.abs(ref) + 1e-6)).max() < 1e-5


# ------------------------------------------------------------------ build_module
def test_build_module_caches(build, kernel_cache_dir, model_sources, monkeypatch):
    m = build("scalar")
    monkeypatch.setenv("DISCTWIN_CACHE_DIR", str(kernel_cache_dir))
    again = build_module(model_sources["scalar"], "test_scalar")
    assert again is m
    path = kernel_cache_dir / (m.__name__ + ".py")
    assert path.is_file()
    assert path.read_text(encoding="utf-8").endswith(kernel_source())
    assert m.__name__.startswith("test_scalar_") and len(m.__name__) == len("test_scalar_") + 16
    assert sys.modules[m.__name__] is m
    # a different source is a different module
    other = build_module(model_sources["scalar"] + "\n# changed\n", "test_scalar")
    assert other is not m and other.__name__ != m.__name__


def test_kernel_source_is_self_contained_text():
    text = kernel_source()
    assert "import numpy as np" in text and "import numba as nb" in text
    assert "import math" in text
    for name in ("solve_patient", "solve_population", "alloc_work", "STATUS_STEP_UNDERFLOW"):
        assert name in text


# ------------------------------------------------------------------ no allocation per step
_ALLOC_SCRIPT = """
import sys
import numpy as np
from numba.core.runtime import rtsys
from disctwin.engine.compile import build_module

m = build_module(sys.stdin.read(), "test_limit_cycle")
vecs, mats, ipiv = m.alloc_work()
deltas = []
for t_end in (1.0, 1.0, 200.0):
    t_out = np.linspace(0.0, t_end, 50)
    y_out = np.empty((50, 2))
    no_events = (np.empty(0), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64),
                 np.empty(0))
    args = (0.0, np.array([0.5, 0.0]), np.array([0.5]), t_out, np.empty(0), *no_events, 1e-6,
            np.array([1e-6]), 100000, y_out, vecs, mats, ipiv)
    before = rtsys.get_allocation_stats().alloc
    status, n_acc, _ = m.solve_patient(*args)
    deltas.append((rtsys.get_allocation_stats().alloc - before, int(n_acc)))
print(deltas[1][0], deltas[2][0], deltas[1][1], deltas[2][1])
"""


@pytest.mark.slow
def test_no_allocation_per_step(build, kernel_cache_dir, model_sources):
    """NRT allocation count of a solve_patient call does not grow with the step count."""
    build("limit_cycle")  # compiled (and cached on disk) in this session already
    env = dict(os.environ, NUMBA_NRT_STATS="1", DISCTWIN_CACHE_DIR=str(kernel_cache_dir))
    out = subprocess.run(
        [sys.executable, "-c", _ALLOC_SCRIPT],
        input=model_sources["limit_cycle"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=300,
    ).stdout.split()
    short_allocs, long_allocs, short_steps, long_steps = map(int, out)
    assert long_steps > 10 * short_steps
    assert long_allocs == short_allocs  # only argument boxing, nothing per step
