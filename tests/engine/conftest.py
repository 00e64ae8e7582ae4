"""Hand-written tiny model modules for the solver-kernel tests, built once per session.

Each model is the source text a generated model module would contain (``N_STATES``,
``N_BLOCKS``, ``BLOCK_SIZE``, ``N_TAIL``, ``rhs``, ``jac``, ``dfdt``); the kernel is appended by
:func:`disctwin.engine.compile.build_module`. Compilation dominates the test time, so every
module is built (and its functions compiled) once, in a per-session cache directory.
"""

from __future__ import annotations

import os

import pytest

from disctwin.engine.compile import build_module

HEADER = """\
import math
import numpy as np
import numba as nb
"""

# y1' = -w(t) y2 + y1 (1 - r^2), y2' = w(t) y1 + y2 (1 - r^2), w = 1 + a cos t:
# r' = r (1 - r^2), theta' = w  ->  exact solution known (non-stiff, nonlinear, non-autonomous)
LIMIT_CYCLE = (
    HEADER
    + """
N_STATES = 2
N_BLOCKS = 1
BLOCK_SIZE = 2
N_TAIL = 0


@nb.njit(cache=True)
def rhs(t, y, p, dydt):
    w = 1.0 + p[0] * math.cos(t)
    g = 1.0 - y[0] * y[0] - y[1] * y[1]
    dydt[0] = -w * y[1] + y[0] * g
    dydt[1] = w * y[0] + y[1] * g
    return 0


@nb.njit(cache=True)
def jac(t, y, p, J):
    w = 1.0 + p[0] * math.cos(t)
    g = 1.0 - y[0] * y[0] - y[1] * y[1]
    J[0, 0] = g - 2.0 * y[0] * y[0]
    J[0, 1] = -w - 2.0 * y[0] * y[1]
    J[1, 0] = w - 2.0 * y[0] * y[1]
    J[1, 1] = g - 2.0 * y[1] * y[1]
    return 0


@nb.njit(cache=True)
def dfdt(t, y, p, ft):
    dw = -p[0] * math.sin(t)
    ft[0] = -dw * y[1]
    ft[1] = dw * y[0]
    return 0
"""
)

# y' = A y, A = [[p0, p1], [p2, p3]]
LINEAR2 = (
    HEADER
    + """
N_STATES = 2
N_BLOCKS = 1
BLOCK_SIZE = 2
N_TAIL = 0


@nb.njit(cache=True)
def rhs(t, y, p, dydt):
    dydt[0] = p[0] * y[0] + p[1] * y[1]
    dydt[1] = p[2] * y[0] + p[3] * y[1]
    return 0


@nb.njit(cache=True)
def jac(t, y, p, J):
    J[0, 0] = p[0]
    J[0, 1] = p[1]
    J[1, 0] = p[2]
    J[1, 1] = p[3]
    return 0


@nb.njit(cache=True)
def dfdt(t, y, p, ft):
    ft[0] = 0.0
    ft[1] = 0.0
    return 0
"""
)

# Robertson's chemical kinetics (Hairer & Wanner II, sec. IV.1)
ROBERTSON = (
    HEADER
    + """
N_STATES = 3
N_BLOCKS = 1
BLOCK_SIZE = 3
N_TAIL = 0


@nb.njit(cache=True)
def rhs(t, y, p, dydt):
    dydt[0] = -0.04 * y[0] + 1.0e4 * y[1] * y[2]
    dydt[2] = 3.0e7 * y[1] * y[1]
    dydt[1] = -dydt[0] - dydt[2]
    return 0


@nb.njit(cache=True)
def jac(t, y, p, J):
    J[0, 0] = -0.04
    J[0, 1] = 1.0e4 * y[2]
    J[0, 2] = 1.0e4 * y[1]
    J[2, 0] = 0.0
    J[2, 1] = 6.0e7 * y[1]
    J[2, 2] = 0.0
    J[1, 0] = 0.04
    J[1, 1] = -1.0e4 * y[2] - 6.0e7 * y[1]
    J[1, 2] = -1.0e4 * y[1]
    return 0


@nb.njit(cache=True)
def dfdt(t, y, p, ft):
    ft[0] = 0.0
    ft[1] = 0.0
    ft[2] = 0.0
    return 0
"""
)

# A scalar family: y' = -p0 (y - p1 cos t) + p2 y^2 + p3 max(0, t - p4)
SCALAR = (
    HEADER
    + """
N_STATES = 1
N_BLOCKS = 1
BLOCK_SIZE = 1
N_TAIL = 0


@nb.njit(cache=True)
def rhs(t, y, p, dydt):
    dydt[0] = -p[0] * (y[0] - p[1] * math.cos(t)) + p[2] * y[0] * y[0] + p[3] * max(0.0, t - p[4])
    return 0


@nb.njit(cache=True)
def jac(t, y, p, J):
    J[0, 0] = -p[0] + 2.0 * p[2] * y[0]
    return 0


@nb.njit(cache=True)
def dfdt(t, y, p, ft):
    ft[0] = -p[0] * p[1] * math.sin(t) + (p[3] if t >= p[4] else 0.0)
    return 0
"""
)

# Block-arrow system: 3 blocks of 2 states, 1 tail state depending on every block.
#   a_k' = s_k (1 + 0.5 sin t) - k1_k a_k b_k - 0.1 a_k
#   b_k' = k1_k a_k b_k - k2_k b_k + 0.01
#   c'   = sum_k (k + 1) a_k b_k / (1 + a_k) - kc c
# p = [k1_0, k2_0, s_0, k1_1, k2_1, s_1, k1_2, k2_2, s_2, kc]
_ARROW_BODY = """

@nb.njit(cache=True)
def rhs(t, y, p, dydt):
    forcing = 1.0 + 0.5 * math.sin(t)
    acc = 0.0
    for k in range(3):
        a = y[2 * k]
        b = y[2 * k + 1]
        k1 = p[3 * k]
        k2 = p[3 * k + 1]
        s = p[3 * k + 2]
        dydt[2 * k] = s * forcing - k1 * a * b - 0.1 * a
        dydt[2 * k + 1] = k1 * a * b - k2 * b + 0.01
        acc += (k + 1.0) * a * b / (1.0 + a)
    dydt[6] = acc - p[9] * y[6]
    return 0


@nb.njit(cache=True)
def jac(t, y, p, J):
    for k in range(3):
        a = y[2 * k]
        b = y[2 * k + 1]
        k1 = p[3 * k]
        k2 = p[3 * k + 1]
        o = 2 * k
        J[o, o] = -k1 * b - 0.1
        J[o, o + 1] = -k1 * a
        J[o + 1, o] = k1 * b
        J[o + 1, o + 1] = k1 * a - k2
        J[6, o] = (k + 1.0) * b / ((1.0 + a) * (1.0 + a))
        J[6, o + 1] = (k + 1.0) * a / (1.0 + a)
        # outside the block-arrow structure: the kernel must never read these
        for c in range(7):
            if c != o and c != o + 1:
                J[o, c] = OFF
                J[o + 1, c] = OFF
    J[6, 6] = -p[9]
    return 0


@nb.njit(cache=True)
def dfdt(t, y, p, ft):
    dforcing = 0.5 * math.cos(t)
    for k in range(3):
        ft[2 * k] = p[3 * k + 2] * dforcing
        ft[2 * k + 1] = 0.0
    ft[6] = 0.0
    return 0
"""

# structured: unwritten entries are poisoned with NaN
ARROW = (
    HEADER
    + """
N_STATES = 7
N_BLOCKS = 3
BLOCK_SIZE = 2
N_TAIL = 1
OFF = np.nan
"""
    + _ARROW_BODY
)

# the same system declared dense (off-structure entries are true zeros)
ARROW_DENSE = (
    HEADER
    + """
N_STATES = 7
N_BLOCKS = 1
BLOCK_SIZE = 7
N_TAIL = 0
OFF = 0.0
"""
    + _ARROW_BODY
)

# Robertson declared as all tail (no blocks): the tail-only path of the linear algebra
ROBERTSON_TAIL = ROBERTSON.replace(
    "N_BLOCKS = 1\nBLOCK_SIZE = 3\nN_TAIL = 0", "N_BLOCKS = 0\nBLOCK_SIZE = 0\nN_TAIL = 3"
)

# 2 blocks of 2 states + 2 stiff, non-normal tail states (the tail LU must pivot once
# 5 p2 > 1/(h gamma) + p2, i.e. h p2 > 1):
#   a_k' = -p0 a_k + b_k^2,  b_k' = -p1 (k + 1) b_k + 0.1 sin(t)
#   u' = -p2 u + a_0 + a_1 b_1,  v' = 5 p2 u - 0.1 v + b_0^2
TWO_TAIL = (
    HEADER
    + """
N_STATES = 6
N_BLOCKS = 2
BLOCK_SIZE = 2
N_TAIL = 2


@nb.njit(cache=True)
def rhs(t, y, p, dydt):
    for k in range(2):
        a = y[2 * k]
        b = y[2 * k + 1]
        dydt[2 * k] = -p[0] * a + b * b
        dydt[2 * k + 1] = -p[1] * (k + 1.0) * b + 0.1 * math.sin(t)
    u = y[4]
    v = y[5]
    dydt[4] = -p[2] * u + y[0] + y[2] * y[3]
    dydt[5] = 5.0 * p[2] * u - 0.1 * v + y[1] * y[1]
    return 0


@nb.njit(cache=True)
def jac(t, y, p, J):
    for k in range(2):
        o = 2 * k
        J[o, o] = -p[0]
        J[o, o + 1] = 2.0 * y[o + 1]
        J[o + 1, o] = 0.0
        J[o + 1, o + 1] = -p[1] * (k + 1.0)
    J[4, 0] = 1.0
    J[4, 1] = 0.0
    J[4, 2] = y[3]
    J[4, 3] = y[2]
    J[4, 4] = -p[2]
    J[4, 5] = 0.0
    J[5, 0] = 0.0
    J[5, 1] = 2.0 * y[1]
    J[5, 2] = 0.0
    J[5, 3] = 0.0
    J[5, 4] = 5.0 * p[2]
    J[5, 5] = -0.1
    return 0


@nb.njit(cache=True)
def dfdt(t, y, p, ft):
    for k in range(2):
        ft[2 * k] = 0.0
        ft[2 * k + 1] = 0.1 * math.cos(t)
    ft[4] = 0.0
    ft[5] = 0.0
    return 0
"""
)

SOURCES = {
    "limit_cycle": LIMIT_CYCLE,
    "linear2": LINEAR2,
    "robertson": ROBERTSON,
    "robertson_tail": ROBERTSON_TAIL,
    "two_tail": TWO_TAIL,
    "scalar": SCALAR,
    "arrow": ARROW,
    "arrow_dense": ARROW_DENSE,
}


@pytest.fixture(scope="session")
def model_sources():
    """{name: model-module source} of the test models."""
    return dict(SOURCES)


@pytest.fixture(scope="session")
def kernel_cache_dir(tmp_path_factory):
    """Per-session directory the test modules are compiled into."""
    return tmp_path_factory.mktemp("disctwin_compiled")


@pytest.fixture(scope="session")
def build(kernel_cache_dir):
    """``build(name)``: the compiled test module ``name`` (built once per session).

    DISCTWIN_CACHE_DIR points at the session directory only while building, so other tests
    keep their normal cache.
    """
    built = {}

    def _build(name: str):
        if name not in built:
            old = os.environ.get("DISCTWIN_CACHE_DIR")
            os.environ["DISCTWIN_CACHE_DIR"] = str(kernel_cache_dir)
            try:
                built[name] = build_module(SOURCES[name], f"test_{name}")
            finally:
                if old is None:
                    os.environ.pop("DISCTWIN_CACHE_DIR", None)
                else:
                    os.environ["DISCTWIN_CACHE_DIR"] = old
        return built[name]

    return _build
