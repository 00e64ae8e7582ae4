"""Stiff ODE solver kernel: Rodas4P with block-arrow linear algebra, compiled with Numba.

This file is not imported on its own. :func:`disctwin.engine.compile.build_module` appends
its text to a generated model module and imports the combined file, so that every function
here calls the model's ``rhs``/``jac``/``dfdt`` as plain globals of the same module and
Numba can cache the whole thing on disk (``cache=True``).

Method
------
Rodas4P: the 6-stage Rosenbrock scheme "Rodas" of Hairer & Wanner (1996, *Solving
Ordinary Differential Equations II*, 2nd ed., sec. IV.7, Fortran code ``rodas.f``)
with G. Steinebach's coefficient set (``rodas.f`` ``METH = 3``). Order 4, L-stable and
stiffly accurate, with an embedded order-3 solution for error control and a continuous
extension of order 3 (dense output), so output times are written by interpolation without
shortening steps. Compared with the original Rodas4 set (``METH = 1``), Steinebach's
coefficients keep order 4 on linear parabolic and Prothero-Robinson type problems
``y' = -k (y - g(t)) + g'(t)`` -- a state relaxing towards an age-dependent target, which is
what DiscTwin's disc states do -- where Rodas4 suffers order reduction: on
``y' = -k (y - cos t)`` with ``k`` = 50..1000 it needs 6-12 times fewer steps at rtol 1e-6.

The W-transformed formulation of ``rodas.f`` is used: each stage solves

    (1/(h*gamma) I - J) k_i = f(t + c_i h, y + sum_j a_ij k_j) + sum_j (c_ij/h) k_j
                              + h d_i df/dt,

so one LU factorisation per step serves all six stages; ``y_new = y + sum_j a_5j k_j
+ k_5 + k_6`` (stiffly accurate), the embedded solution omits ``k_6``. The Jacobian, df/dt
and f(t_n, y_n) are kept on a rejected step (only the matrix is refactorised with the new h).

As in ``rodas.f``, the interpolant is not error-controlled: where a very stiff component
(``k h >> 1``) tracks a target that varies within one step, values between step points are
less accurate than the step points themselves.

Error control: RMS norm of the embedded error ``k6`` scaled by
``sc_i = atol_i + rtol * max(|y_i|, |y_new_i|)``; a step is accepted when the norm is <= 1.
New step ``h / fac`` with ``fac = clip(err**(1/4) / 0.9, 1/6, 5)`` (growth <= 6, shrink
>= 0.2), combined on accepted steps with Gustafsson's predictive controller as in
``rodas.f``. The first step of every segment (start and each breakpoint) comes from
Hairer's initial-step heuristic (``HINIT`` of Hairer, Norsett & Wanner, vol. I, II.4).

Contract with the model module (globals defined before this text)
-----------------------------------------------------------------
* ``N_STATES``, ``N_BLOCKS``, ``BLOCK_SIZE``, ``N_TAIL`` (ints,
  ``N_STATES == N_BLOCKS * BLOCK_SIZE + N_TAIL``). States are ordered block by block, then
  the tail. The right-hand side of a block depends only on that block's states; tail
  right-hand sides may depend on anything. The Jacobian is therefore block diagonal plus
  dense tail rows, and so is ``(1/(h*gamma) I - J)``: it is factorised block by block
  (partial-pivoting LU of each ``BLOCK_SIZE`` block and of the ``N_TAIL`` tail block), the
  tail's coupling to the blocks being eliminated by forward substitution. A dense system
  is ``N_BLOCKS = 1, BLOCK_SIZE = n, N_TAIL = 0`` (or ``N_BLOCKS = 0, N_TAIL = n``).
* ``rhs(t, y, p, dydt)``: writes f(t, y; p) into ``dydt``.
* ``jac(t, y, p, J)``: writes df/dy into the (N_STATES, N_STATES) array ``J``: every entry
  of the diagonal blocks and of the tail rows. Other entries are never read.
* ``dfdt(t, y, p, ft)``: writes the partial derivative df/dt into ``ft``.

All three must be Numba ``njit`` functions; ``p`` is a 1-D float64 parameter vector.

Status codes
------------
``STATUS_OK = 0``; ``STATUS_STEP_LIMIT = 1`` (more than ``max_steps`` attempted steps,
accepted plus rejected); ``STATUS_NON_FINITE = 2`` (NaN/inf in the state, its derivative or,
repeatedly, in a trial step); ``STATUS_STEP_UNDERFLOW = 3`` (the controller asks for a step
below ``1e-12 * max(|t|, |t_end|)``). On failure the outputs not reached are NaN. Nothing
here raises.

Coefficients
------------
The tableau (``A21..A54``, ``C21..C65``, ``C2..C4``, ``D1..D4``, ``GAMMA``) and the
dense-output coefficients (``D21..D35``) are those of subroutine ``ROCOE``, ``METH = 3``
(Steinebach), of Hairer & Wanner's ``rodas.f`` (version of October 28, 1996; read from an
f2c translation of it), checked digit for digit against SciML OrdinaryDiffEq.jl
``rosenbrock_tableaus.jl`` (``Rodas4PTableau``: ``a``, ``C``, ``c``, ``d``, ``h21..h35``).
The stage sequence, the error estimate and the dense output follow ``rodas.f``'s ``ROSCOR``
and ``CONTRO``. The continuous extension is
``y(t + s h) = (1 - s) y0 + s (y1 + (1 - s) (q1 + s q2))``,
``q1 = sum_j D2j k_j``, ``q2 = sum_j D3j k_j`` (j = 1..5).
"""

import math

import numba as nb
import numpy as np

STATUS_OK = 0
STATUS_STEP_LIMIT = 1
STATUS_NON_FINITE = 2
STATUS_STEP_UNDERFLOW = 3

# ---------------------------------------------------------------------------------------
# Rodas4P coefficients (Steinebach 1995): Hairer & Wanner, rodas.f (version of 28 Oct 1996),
# subroutine ROCOE, METH = 3 ("method with coefficients of Gerd Steinebach"); identical to
# SciML OrdinaryDiffEq.jl, rosenbrock_tableaus.jl, Rodas4PTableau (a, C, c, d, h).
_R4_GAMMA = 0.25
_R4_C2 = 0.75  # 3 * gamma
_R4_C3 = 0.21
_R4_C4 = 0.63
_R4_D1 = 0.25
_R4_D2 = -0.5
_R4_D3 = -0.023504
_R4_D4 = -0.0362
_R4_A21 = 3.0
_R4_A31 = 1.831036793486759
_R4_A32 = 0.4955183967433795
_R4_A41 = 2.304376582692669
_R4_A42 = -0.05249275245743001
_R4_A43 = -1.176798761832782
_R4_A51 = -7.170454962423024
_R4_A52 = -4.741636671481785
_R4_A53 = -16.31002631330971
_R4_A54 = -1.062004044111401
_R4_C21 = -12.0
_R4_C31 = -8.791795173947035
_R4_C32 = -2.207865586973518
_R4_C41 = 10.81793056857153
_R4_C42 = 6.780270611428266
_R4_C43 = 19.53485944642410
_R4_C51 = 34.19095006749676
_R4_C52 = 15.49671153725963
_R4_C53 = 54.74760875964130
_R4_C54 = 14.16005392148534
_R4_C61 = 34.62605830930532
_R4_C62 = 15.30084976114473
_R4_C63 = 56.99955578662667
_R4_C64 = 18.40807009793095
_R4_C65 = -5.714285714285717
# dense output (rodas.f D21..D35 = OrdinaryDiffEq.jl h21..h35)
_R4_D21 = 25.09876703708589
_R4_D22 = 11.62013104361867
_R4_D23 = 28.49148307714626
_R4_D24 = -5.664021568594133
_R4_D25 = 0.0
_R4_D31 = 1.638054557396973
_R4_D32 = -0.7373619806678748
_R4_D33 = 8.477918219238990
_R4_D34 = 15.99253148779520
_R4_D35 = -1.882352941176471

# step-size control
_R4_SAFE = 0.9
_R4_FAC_MIN = 1.0 / 6.0  # h_new / h <= 6
_R4_FAC_MAX = 5.0  # h_new / h >= 0.2
_R4_MAX_NONFINITE = 12  # consecutive non-finite trial steps (each shrinks h by 5) before giving up
_R4_HMIN_REL = 1e-12

# rows of the per-patient vector workspace
_W_Y = 0
_W_YNEW = 1
_W_F0 = 2
_W_FT = 3
_W_DY = 4
_W_YS = 5
_W_K1 = 6
_W_ATOL = 12
WORK_ROWS = 13

# Event kinds (see solve_patient): what an event does to its target at its time.
EVENT_STATE_SET = 0
EVENT_STATE_ADD = 1
EVENT_STATE_MULTIPLY = 2
EVENT_PARAMETER_SET = 3
EVENT_PARAMETER_ADD = 4
EVENT_PARAMETER_MULTIPLY = 5
EVENT_STATE_TOWARD_ONE = 6  # y += v * (1 - y): close the fraction v of the gap to 1


@nb.njit(cache=True)
def alloc_work():
    """Per-patient workspace for :func:`solve_patient`: ``(vecs, mats, ipiv)``.

    ``vecs`` (WORK_ROWS, N_STATES), ``mats`` (2, N_STATES, N_STATES) holding the Jacobian
    and the factorised iteration matrix, ``ipiv`` (N_STATES,) int64 pivots.
    """
    vecs = np.zeros((WORK_ROWS, N_STATES))
    mats = np.zeros((2, N_STATES, N_STATES))
    ipiv = np.zeros(N_STATES, dtype=np.int64)
    return vecs, mats, ipiv


# ----------------------------------------------------------------- block-arrow linear algebra
@nb.njit(cache=True, error_model="numpy", inline="always")
def _r4_lu(E, ipiv, o, m):
    """In-place LU with partial pivoting of E[o:o+m, o:o+m]; rows swapped only within it.

    L (unit diagonal) below the diagonal, U above it, and the *reciprocal* of U's diagonal
    on the diagonal (the solves multiply instead of divide). False if a pivot is zero.
    """
    for k in range(m):
        piv = k
        amax = abs(E[o + k, o + k])
        for i in range(k + 1, m):
            v = abs(E[o + i, o + k])
            if v > amax:
                amax = v
                piv = i
        ipiv[o + k] = o + piv
        if amax == 0.0:
            return False
        if piv != k:
            for j in range(m):
                tmp = E[o + k, o + j]
                E[o + k, o + j] = E[o + piv, o + j]
                E[o + piv, o + j] = tmp
        inv = 1.0 / E[o + k, o + k]
        E[o + k, o + k] = inv
        for i in range(k + 1, m):
            mult = E[o + i, o + k] * inv
            E[o + i, o + k] = mult
            if mult != 0.0:
                for j in range(k + 1, m):
                    E[o + i, o + j] -= mult * E[o + k, o + j]
    return True


@nb.njit(cache=True, error_model="numpy", inline="always")
def _r4_lu_solve(E, ipiv, o, m, x):
    """Solve with the LU of E[o:o+m, o:o+m] in place on x[o:o+m] (column-oriented)."""
    for k in range(m):
        pk = ipiv[o + k]
        if pk != o + k:
            tmp = x[o + k]
            x[o + k] = x[pk]
            x[pk] = tmp
    for j in range(m - 1):
        xj = x[o + j]
        for i in range(j + 1, m):
            x[o + i] -= E[o + i, o + j] * xj
    for j in range(m - 1, -1, -1):
        xj = x[o + j] * E[o + j, o + j]
        x[o + j] = xj
        for i in range(j):
            x[o + i] -= E[o + i, o + j] * xj


@nb.njit(cache=True, error_model="numpy")
def _r4_factor(J, E, ipiv, fac):
    """E := LU of (fac*I - J) in block-arrow form; False if a pivot is exactly zero.

    Diagonal blocks are factorised independently; the tail rows keep the coupling
    ``-J[tail, blocks]`` unfactorised (columns < N_BLOCKS*BLOCK_SIZE) and the LU of the
    tail block. Only the diagonal blocks and the tail rows of J are read.
    """
    for b in range(N_BLOCKS):
        o = b * BLOCK_SIZE
        for i in range(BLOCK_SIZE):
            for j in range(BLOCK_SIZE):
                E[o + i, o + j] = -J[o + i, o + j]
            E[o + i, o + i] += fac
        if not _r4_lu(E, ipiv, o, BLOCK_SIZE):
            return False
    nd = N_BLOCKS * BLOCK_SIZE
    for r in range(nd, N_STATES):
        for c in range(N_STATES):
            E[r, c] = -J[r, c]
        E[r, r] += fac
    return N_TAIL == 0 or _r4_lu(E, ipiv, nd, N_TAIL)


@nb.njit(cache=True, error_model="numpy")
def _r4_solve(E, ipiv, x):
    """x := (fac*I - J)^-1 x with the factors from :func:`_r4_factor`."""
    for b in range(N_BLOCKS):
        _r4_lu_solve(E, ipiv, b * BLOCK_SIZE, BLOCK_SIZE, x)
    nd = N_BLOCKS * BLOCK_SIZE
    if N_TAIL > 0:
        for r in range(nd, N_STATES):
            s = x[r]
            for c in range(nd):
                s -= E[r, c] * x[c]
            x[r] = s
        _r4_lu_solve(E, ipiv, nd, N_TAIL, x)


# ------------------------------------------------------------------------------ one step
@nb.njit(cache=True, error_model="numpy")
def _r4_stages(t, h, y, p, f0, ft, E, ipiv, vecs, ynew):
    """The six Rodas4P stages from (t, y) with step h and factorised E = LU(I/(h*gamma) - J).

    Writes k1..k6 into vecs[_W_K1 : _W_K1 + 6], the embedded (order 3) solution into
    vecs[_W_YS] and the order-4 solution into ``ynew``; k6 = ynew - embedded is the error
    estimate.
    """
    n = N_STATES
    ys = vecs[_W_YS]
    dy = vecs[_W_DY]
    k1 = vecs[_W_K1]
    k2 = vecs[_W_K1 + 1]
    k3 = vecs[_W_K1 + 2]
    k4 = vecs[_W_K1 + 3]
    k5 = vecs[_W_K1 + 4]
    k6 = vecs[_W_K1 + 5]
    ih = 1.0 / h
    hd1 = h * _R4_D1
    hd2 = h * _R4_D2
    hd3 = h * _R4_D3
    hd4 = h * _R4_D4
    # stage 1
    for i in range(n):
        k1[i] = f0[i] + hd1 * ft[i]
    _r4_solve(E, ipiv, k1)
    # stage 2
    for i in range(n):
        ys[i] = y[i] + _R4_A21 * k1[i]
    rhs(t + _R4_C2 * h, ys, p, dy)
    hc21 = _R4_C21 * ih
    for i in range(n):
        k2[i] = dy[i] + hd2 * ft[i] + hc21 * k1[i]
    _r4_solve(E, ipiv, k2)
    # stage 3
    for i in range(n):
        ys[i] = y[i] + _R4_A31 * k1[i] + _R4_A32 * k2[i]
    rhs(t + _R4_C3 * h, ys, p, dy)
    hc31 = _R4_C31 * ih
    hc32 = _R4_C32 * ih
    for i in range(n):
        k3[i] = dy[i] + hd3 * ft[i] + hc31 * k1[i] + hc32 * k2[i]
    _r4_solve(E, ipiv, k3)
    # stage 4
    for i in range(n):
        ys[i] = y[i] + _R4_A41 * k1[i] + _R4_A42 * k2[i] + _R4_A43 * k3[i]
    rhs(t + _R4_C4 * h, ys, p, dy)
    hc41 = _R4_C41 * ih
    hc42 = _R4_C42 * ih
    hc43 = _R4_C43 * ih
    for i in range(n):
        k4[i] = dy[i] + hd4 * ft[i] + hc41 * k1[i] + hc42 * k2[i] + hc43 * k3[i]
    _r4_solve(E, ipiv, k4)
    # stage 5 (c5 = 1, d5 = 0)
    for i in range(n):
        ys[i] = y[i] + _R4_A51 * k1[i] + _R4_A52 * k2[i] + _R4_A53 * k3[i] + _R4_A54 * k4[i]
    rhs(t + h, ys, p, dy)
    hc51 = _R4_C51 * ih
    hc52 = _R4_C52 * ih
    hc53 = _R4_C53 * ih
    hc54 = _R4_C54 * ih
    for i in range(n):
        k5[i] = dy[i] + hc51 * k1[i] + hc52 * k2[i] + hc53 * k3[i] + hc54 * k4[i]
    _r4_solve(E, ipiv, k5)
    # embedded solution (order 3), then stage 6
    for i in range(n):
        ys[i] += k5[i]
    rhs(t + h, ys, p, dy)
    hc61 = _R4_C61 * ih
    hc62 = _R4_C62 * ih
    hc63 = _R4_C63 * ih
    hc64 = _R4_C64 * ih
    hc65 = _R4_C65 * ih
    for i in range(n):
        k6[i] = dy[i] + hc61 * k1[i] + hc62 * k2[i] + hc63 * k3[i] + hc64 * k4[i] + hc65 * k5[i]
    _r4_solve(E, ipiv, k6)
    # solution (order 4)
    for i in range(n):
        ynew[i] = ys[i] + k6[i]


@nb.njit(cache=True, error_model="numpy")
def _r4_error(y, ynew, k6, rtol, atol):
    """Scaled RMS norm of k6; NaN when ynew or k6 holds a NaN or inf."""
    acc = 0.0
    chk = 0.0
    for i in range(N_STATES):
        a = abs(y[i])
        b = abs(ynew[i])
        sc = atol[i] + rtol * (a if a > b else b)
        e = k6[i] / sc
        acc += e * e
        chk += ynew[i] - ynew[i]  # 0 when finite, NaN otherwise
    if chk != 0.0 or not math.isfinite(acc):
        return np.nan
    return math.sqrt(acc / N_STATES)


@nb.njit(cache=True, error_model="numpy")
def _r4_dense(t, h, tk, y, ynew, vecs, y_out, k):
    """Write the continuous extension at tk in [t, t+h] into y_out[k, :]."""
    k1 = vecs[_W_K1]
    k2 = vecs[_W_K1 + 1]
    k3 = vecs[_W_K1 + 2]
    k4 = vecs[_W_K1 + 3]
    k5 = vecs[_W_K1 + 4]
    s = (tk - t) / h
    s1 = 1.0 - s
    for i in range(N_STATES):
        q1 = _R4_D21 * k1[i] + _R4_D22 * k2[i] + _R4_D23 * k3[i] + _R4_D24 * k4[i] + _R4_D25 * k5[i]
        q2 = _R4_D31 * k1[i] + _R4_D32 * k2[i] + _R4_D33 * k3[i] + _R4_D34 * k4[i] + _R4_D35 * k5[i]
        y_out[k, i] = s1 * y[i] + s * (ynew[i] + s1 * (q1 + s * q2))


@nb.njit(cache=True, error_model="numpy")
def _r4_all_finite(x):
    chk = 0.0
    for i in range(x.shape[0]):
        chk += x[i] - x[i]
    return chk == 0.0


@nb.njit(cache=True, error_model="numpy")
def _r4_initial_step(t, y, f0, span, rtol, atol, p, ys, f1):
    """Hairer's starting-step heuristic (HINIT), bounded by the segment length ``span``."""
    n = N_STATES
    d0 = 0.0
    d1 = 0.0
    for i in range(n):
        sc = atol[i] + rtol * abs(y[i])
        d0 += (y[i] / sc) ** 2
        d1 += (f0[i] / sc) ** 2
    d0 = math.sqrt(d0 / n)
    d1 = math.sqrt(d1 / n)
    h0 = 1e-6 * span if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
    h0 = min(h0, span)
    for i in range(n):
        ys[i] = y[i] + h0 * f0[i]
    rhs(t + h0, ys, p, f1)
    d2 = 0.0
    for i in range(n):
        sc = atol[i] + rtol * abs(y[i])
        d2 += ((f1[i] - f0[i]) / sc) ** 2
    d2 = math.sqrt(d2 / n) / h0
    dmax = max(d1, d2)
    if not math.isfinite(d2):
        h1 = 1e-3 * h0
    elif dmax <= 1e-15:
        h1 = max(1e-6 * span, 1e-3 * h0)
    else:
        h1 = (0.01 / dmax) ** 0.25  # local error of the embedded method is O(h^4)
    return min(100.0 * h0, h1, span)


# ------------------------------------------------------------------------------ drivers
@nb.njit(cache=True, error_model="numpy")
def _apply_events(t, i_e, ev_t, ev_kind, ev_index, ev_value, y, p):
    """Apply events ``i_e, i_e+1, ...`` whose time is <= t, in order; return the next index.

    A parameter event is followed by ``_derive_one(p)``, the model's recomputation of its
    parameter-derived constants (a no-op for models without any).
    """
    n_e = ev_t.shape[0]
    changed_p = False
    while i_e < n_e and ev_t[i_e] <= t:
        kind = ev_kind[i_e]
        j = ev_index[i_e]
        v = ev_value[i_e]
        if kind == EVENT_STATE_SET:
            y[j] = v
        elif kind == EVENT_STATE_ADD:
            y[j] += v
        elif kind == EVENT_STATE_MULTIPLY:
            y[j] *= v
        elif kind == EVENT_STATE_TOWARD_ONE:
            y[j] += v * (1.0 - y[j])
        elif kind == EVENT_PARAMETER_SET:
            p[j] = v
            changed_p = True
        elif kind == EVENT_PARAMETER_ADD:
            p[j] += v
            changed_p = True
        elif kind == EVENT_PARAMETER_MULTIPLY:
            p[j] *= v
            changed_p = True
        i_e += 1
    if changed_p:
        _derive_one(p)
    return i_e


@nb.njit(cache=True, error_model="numpy")
def solve_patient(
    t0,
    y0,
    p,
    t_out,
    t_breaks,
    ev_t,
    ev_kind,
    ev_index,
    ev_value,
    rtol,
    atol,
    max_steps,
    y_out,
    vecs,
    mats,
    ipiv,
):
    """Integrate one system from (t0, y0) and write the states at ``t_out`` into ``y_out``.

    Args:
        t0: start time (float).
        y0: (N_STATES,) initial state.
        p: (n_params,) parameters passed to rhs/jac/dfdt.
        t_out: (n_out,) output times, ascending, all >= t0; integration stops at the last.
            An output at t0 is y0 exactly; one before t0 (contract violation) is NaN.
        t_breaks: (n_b,) ascending breakpoints: steps end exactly on each breakpoint in
            (t0, t_out[-1]) and the integration restarts there with a fresh step-size
            estimate. Others (and NaN) are ignored. May be empty.
        ev_t, ev_kind, ev_index, ev_value: (n_e,) events sorted by time (ties applied in
            the given order): at ``ev_t`` the target ``ev_index`` (a state, or a slot of
            ``p``, by ``ev_kind``: EVENT_STATE_SET/ADD/MULTIPLY/TOWARD_ONE,
            EVENT_PARAMETER_SET/ADD/MULTIPLY) is set to, increased by or multiplied by
            ``ev_value``. Event times are breakpoints. Semantics: an event at time t acts
            before the outputs at t are recorded (an output at t is the post-event state,
            as for a dose record preceding an observation record in NONMEM/mrgsolve);
            events at or before t0 act at t0; events after the last output are ignored.
            ``p`` is modified in place (pass a copy). Indices must be valid (the caller
            checks).
        rtol: relative tolerance (float).
        atol: absolute tolerance, (N_STATES,) per state or (1,) for all states.
        max_steps: limit on attempted (accepted + rejected) steps.
        y_out: (n_out, N_STATES) output, written in full (NaN where not reached).
        vecs, mats, ipiv: workspace from :func:`alloc_work`.

    Returns:
        (status, n_accepted, n_rejected).
    """
    n = N_STATES
    n_out = t_out.shape[0]
    y = vecs[_W_Y]
    ynew = vecs[_W_YNEW]
    f0 = vecs[_W_F0]
    ft = vecs[_W_FT]
    dy = vecs[_W_DY]
    ys = vecs[_W_YS]
    k6 = vecs[_W_K1 + 5]
    atv = vecs[_W_ATOL]
    J = mats[0]
    E = mats[1]
    for i in range(n):
        atv[i] = atol[i] if atol.shape[0] == n else atol[0]
        y[i] = y0[i]

    n_acc = 0
    n_rej = 0
    status = STATUS_OK
    k_out = 0
    n_e = ev_t.shape[0]
    i_e = _apply_events(t0, 0, ev_t, ev_kind, ev_index, ev_value, y, p)
    # outputs at (or, wrongly, before) the start
    while k_out < n_out and t_out[k_out] <= t0:
        for i in range(n):
            y_out[k_out, i] = y[i] if t_out[k_out] == t0 else np.nan
        k_out += 1
    if k_out == n_out:
        return status, n_acc, n_rej
    t_end = t_out[n_out - 1]
    if not math.isfinite(t_end) or not math.isfinite(t0):
        for k in range(k_out, n_out):
            for i in range(n):
                y_out[k, i] = np.nan
        return STATUS_NON_FINITE, n_acc, n_rej
    hmin = _R4_HMIN_REL * max(abs(t0), abs(t_end))
    n_b = t_breaks.shape[0]
    i_b = 0
    t = t0

    while t < t_end and status == STATUS_OK:
        # ---- segment [t, t_seg]: up to the next breakpoint after t, or the end
        while i_b < n_b and not (t_breaks[i_b] > t):
            i_b += 1
        t_seg = t_end
        if i_b < n_b and t_breaks[i_b] < t_end:
            t_seg = t_breaks[i_b]
        event_at_end = False
        if i_e < n_e and ev_t[i_e] <= t_seg:
            t_seg = ev_t[i_e]
            event_at_end = True
        rhs(t, y, p, f0)
        if not _r4_all_finite(f0) or not _r4_all_finite(y):
            status = STATUS_NON_FINITE
            break
        h = _r4_initial_step(t, y, f0, t_seg - t, rtol, atv, p, ys, dy)
        need_jac = True
        reject = False
        n_acc_seg = 0
        h_acc = h
        err_acc = 1.0
        n_bad = 0
        while True:
            if n_acc + n_rej >= max_steps:
                status = STATUS_STEP_LIMIT
                break
            if not (h >= hmin):
                status = STATUS_STEP_UNDERFLOW
                break
            if need_jac:
                jac(t, y, p, J)
                dfdt(t, y, p, ft)
                need_jac = False
            last = False
            hs = h
            if t + 1.0001 * h >= t_seg:
                hs = t_seg - t
                last = True
            if not _r4_factor(J, E, ipiv, 1.0 / (hs * _R4_GAMMA)):
                # exactly singular iteration matrix: retry with a smaller step
                n_rej += 1
                reject = True
                h = 0.5 * hs
                continue
            _r4_stages(t, hs, y, p, f0, ft, E, ipiv, vecs, ynew)
            err = _r4_error(y, ynew, k6, rtol, atv)
            if not math.isfinite(err):
                n_rej += 1
                n_bad += 1
                reject = True
                if n_bad > _R4_MAX_NONFINITE:
                    status = STATUS_NON_FINITE
                    break
                h = hs / _R4_FAC_MAX
                continue
            n_bad = 0
            fac = max(_R4_FAC_MIN, min(_R4_FAC_MAX, err**0.25 / _R4_SAFE))
            if err <= 1.0:
                # ---- accepted
                if n_acc_seg >= 1:
                    # Gustafsson's predictive controller (rodas.f, PRED)
                    facg = (h_acc / hs) * (err * err / err_acc) ** 0.25 / _R4_SAFE
                    facg = max(_R4_FAC_MIN, min(_R4_FAC_MAX, facg))
                    fac = max(fac, facg)
                h_acc = hs
                err_acc = max(1e-2, err)
                hnew = hs / fac
                if reject:
                    hnew = min(hnew, hs)
                reject = False
                t_new = t_seg if last else t + hs
                # outputs at an event time are written after the event (below)
                while k_out < n_out and (
                    t_out[k_out] < t_new or (t_out[k_out] == t_new and not (last and event_at_end))
                ):
                    if t_out[k_out] == t_new:
                        for i in range(n):
                            y_out[k_out, i] = ynew[i]
                    else:
                        _r4_dense(t, hs, t_out[k_out], y, ynew, vecs, y_out, k_out)
                    k_out += 1
                for i in range(n):
                    y[i] = ynew[i]
                t = t_new
                n_acc += 1
                n_acc_seg += 1
                h = hnew
                if last:
                    if event_at_end:
                        i_e = _apply_events(t, i_e, ev_t, ev_kind, ev_index, ev_value, y, p)
                        while k_out < n_out and t_out[k_out] <= t:
                            for i in range(n):
                                y_out[k_out, i] = y[i]
                            k_out += 1
                    break
                rhs(t, y, p, f0)
                if not _r4_all_finite(f0):
                    status = STATUS_NON_FINITE
                    break
                need_jac = True
            else:
                # ---- rejected: keep J, df/dt and f(t, y); refactorise with the new h
                n_rej += 1
                reject = True
                h = hs / fac

    if status != STATUS_OK or k_out < n_out:
        for k in range(k_out, n_out):
            for i in range(n):
                y_out[k, i] = np.nan
    return status, n_acc, n_rej


@nb.njit(cache=True, parallel=True)
def solve_population(
    t0,
    Y0,
    P,
    T_out,
    T_breaks,
    n_breaks,
    EV_t,
    EV_kind,
    EV_index,
    EV_value,
    n_events,
    rtol,
    atol,
    max_steps,
    Y_out,
    status,
    n_steps,
):
    """Integrate every patient independently (``nb.prange``, one workspace per patient).

    Args:
        t0: (n_patients,) start times.
        Y0: (n_patients, N_STATES) initial states.
        P: (n_patients, n_params) parameters.
        T_out: (n_patients, n_out) output times, ascending per patient.
        T_breaks: (n_patients, max_breaks) breakpoints, ascending, padded (e.g. with NaN).
        n_breaks: (n_patients,) int: how many leading entries of each T_breaks row are used.
        EV_t, EV_kind, EV_index, EV_value: (n_patients, max_events) padded event tables
            (see solve_patient); n_events: (n_patients,) int, entries used per row.
            ``P`` rows are modified by parameter events: pass a copy.
        rtol: relative tolerance (float).
        atol: (N_STATES,) or (1,) absolute tolerance.
        max_steps: limit on attempted steps per patient.
        Y_out: (n_patients, n_out, N_STATES) output.
        status: (n_patients,) int output: status code per patient.
        n_steps: (n_patients,) int output: accepted steps per patient.

    A patient's result does not depend on the batch it is in nor on the number of threads.
    """
    n_pat = Y0.shape[0]
    width = T_breaks.shape[1]
    for ip in nb.prange(n_pat):
        vecs, mats, ipiv = alloc_work()
        nbk = min(max(n_breaks[ip], 0), width)
        ne = min(max(n_events[ip], 0), EV_t.shape[1])
        st, na, _nr = solve_patient(
            t0[ip],
            Y0[ip],
            P[ip],
            T_out[ip],
            T_breaks[ip, :nbk],
            EV_t[ip, :ne],
            EV_kind[ip, :ne],
            EV_index[ip, :ne],
            EV_value[ip, :ne],
            rtol,
            atol,
            max_steps,
            Y_out[ip],
            vecs,
            mats,
            ipiv,
        )
        status[ip] = st
        n_steps[ip] = na


@nb.njit(cache=True, parallel=True)
def parameters_at_outputs(P, T_out, EV_t, EV_kind, EV_index, EV_value, n_events, P_out):
    """The parameters in force at each output time, as the integration sees them.

    Walks each patient's outputs in order and applies its events with
    :func:`_apply_events`, the function :func:`solve_patient` uses, so an event at time t
    acts before the output at t, events at or before the start act at the start and events
    after the last output never act, exactly as in the integration (state events change a
    scratch state only).

    Args:
        P: (n_patients, n_params_ext) parameters at the start (not modified).
        T_out: (n_patients, n_out) output times, ascending per patient.
        EV_t, EV_kind, EV_index, EV_value, n_events: the event tables of
            :func:`solve_population`.
        P_out: (n_patients, n_out, n_record) output: the first ``n_record`` parameters at
            each output.
    """
    n_pat = P.shape[0]
    n_out = T_out.shape[1]
    n_record = P_out.shape[2]
    for ip in nb.prange(n_pat):
        p = P[ip].copy()
        y = np.zeros(N_STATES)
        ne = min(max(n_events[ip], 0), EV_t.shape[1])
        i_e = 0
        for k in range(n_out):
            i_e = _apply_events(
                T_out[ip, k],
                i_e,
                EV_t[ip, :ne],
                EV_kind[ip, :ne],
                EV_index[ip, :ne],
                EV_value[ip, :ne],
                y,
                p,
            )
            for j in range(n_record):
                P_out[ip, k, j] = p[j]


@nb.njit(cache=True, error_model="numpy")
def solve_fixed_steps(t0, y0, p, t_end, n_steps, embedded, y_end, vecs, mats, ipiv):
    """Testing aid: ``n_steps`` equal Rodas4P steps from t0 to t_end, no error control.

    Propagates the order-4 solution, or the embedded order-3 one when ``embedded`` is True,
    and writes the final state into ``y_end``. Returns a status code.
    """
    n = N_STATES
    y = vecs[_W_Y]
    ynew = vecs[_W_YNEW]
    f0 = vecs[_W_F0]
    ft = vecs[_W_FT]
    ys = vecs[_W_YS]
    J = mats[0]
    E = mats[1]
    for i in range(n):
        y[i] = y0[i]
    h = (t_end - t0) / n_steps
    for s in range(n_steps):
        t = t0 + s * h
        rhs(t, y, p, f0)
        jac(t, y, p, J)
        dfdt(t, y, p, ft)
        if not _r4_factor(J, E, ipiv, 1.0 / (h * _R4_GAMMA)):
            return STATUS_NON_FINITE
        _r4_stages(t, h, y, p, f0, ft, E, ipiv, vecs, ynew)
        src = ys if embedded else ynew
        for i in range(n):
            y[i] = src[i]
    for i in range(n):
        y_end[i] = y[i]
    return STATUS_OK if _r4_all_finite(y) else STATUS_NON_FINITE
