"""Reference solutions with SciPy's ``solve_ivp``, one patient at a time.

Independent of the compiled engine's code generation and solver: the right-hand side and
Jacobian are SymPy ``lambdify`` translations of the flat symbolic system
(:mod:`disctwin.model.flat`), integrated by SciPy (Radau or LSODA). Slow; used by tests and
by ``bench/engine.py`` as the peer the engine is timed against.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Literal

import numpy as np
import sympy as sp
from scipy.integrate import solve_ivp

from disctwin.model import build_model
from disctwin.model.flat import FlatSystem, flatten
from disctwin.model.layout import ParameterLayout

__all__ = ["ReferenceModel", "reference_model"]


@dataclass(frozen=True)
class ReferenceModel:
    """NumPy callables of the flat system: ``f(t, y, p)``, ``jac(t, y, p)``."""

    system: FlatSystem
    f: Callable[[float, np.ndarray, np.ndarray], np.ndarray]
    jac: Callable[[float, np.ndarray, np.ndarray], np.ndarray]

    def solve(
        self,
        t0: float,
        y0: np.ndarray,
        p: np.ndarray,
        t_out: np.ndarray,
        *,
        method: Literal["RK45", "RK23", "DOP853", "Radau", "BDF", "LSODA"] = "Radau",
        rtol: float = 1e-9,
        atol: float = 1e-12,
    ) -> np.ndarray:
        """States at ``t_out`` (n_out, n_states) for one patient."""
        p = np.asarray(p, dtype=float)
        sol = solve_ivp(
            lambda t, y: self.f(t, y, p),
            (t0, float(t_out[-1])),
            np.asarray(y0, dtype=float),
            method=method,
            t_eval=t_out,
            jac=lambda t, y: self.jac(t, y, p),
            rtol=rtol,
            atol=atol,
        )
        if not sol.success:
            raise RuntimeError(f"reference solver failed: {sol.message}")
        return sol.y.T


@cache
def reference_model(layout: ParameterLayout) -> ReferenceModel:
    """The SciPy reference model for a parameter layout (built once per layout)."""
    system = flatten(build_model(), layout)
    yv = sp.Matrix(system.y)
    rates = sp.Matrix(system.rates)
    f_l = sp.lambdify(
        (system.t, list(system.y), list(system.p)), list(system.rates), modules="numpy", cse=True
    )
    jac_l = sp.lambdify(
        (system.t, list(system.y), list(system.p)), rates.jacobian(yv), modules="numpy", cse=True
    )

    def f(t, y, p):
        return np.asarray(f_l(t, y, p), dtype=float)

    def jac(t, y, p):
        return np.asarray(jac_l(t, y, p), dtype=float)

    return ReferenceModel(system, f, jac)
