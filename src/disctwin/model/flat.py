"""The whole patient as one flat symbolic system (states and parameters as vectors).

Used by the SciPy reference solver and by exports that need every disc written out
(SBML). The compiled engine does not use it: it loops over discs instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sympy as sp

from disctwin.model.equations import SymbolicModel
from disctwin.model.layout import ParameterLayout
from disctwin.model.states import DISC_STATES, N_DISC_STATES, N_LEVELS, PATIENT_STATES

__all__ = ["FlatSystem", "flatten"]


@dataclass(frozen=True)
class FlatSystem:
    """``dy/dt = rates(t, y, p)`` with ``y`` and ``p`` as symbol vectors.

    Attributes:
        t: time symbol.
        y: state symbols in state-vector order.
        p: parameter-slot symbols in layout order.
        rates: one expression per state.
        disc_observables: per level, {name: expression} of the model's disc observables.
        patient_observables: {name: expression}.
    """

    t: sp.Symbol
    y: tuple[sp.Symbol, ...]
    p: tuple[sp.Symbol, ...]
    rates: tuple[sp.Expr, ...]
    disc_observables: tuple[dict[str, sp.Expr], ...]
    patient_observables: dict[str, sp.Expr]


def _disc_substitution(model: SymbolicModel, layout: ParameterLayout, y, p, level: int) -> dict:
    sub = {}
    for i, s in enumerate(model.disc_states):
        sub[s] = y[level * N_DISC_STATES + i]
    for name in layout.names:
        sub[sp.Symbol(name, real=True)] = p[layout.slot(name, level)]
    return sub


@cache
def _flatten_cached(
    model: SymbolicModel,
    layout_key: tuple[
        tuple[str, ...], tuple[tuple[str, int], ...], tuple[tuple[str, int], ...], int
    ],
) -> FlatSystem:
    layout = ParameterLayout(layout_key[0], dict(layout_key[1]), dict(layout_key[2]), layout_key[3])
    return _flatten(model, layout)


def flatten(model: SymbolicModel, layout: ParameterLayout) -> FlatSystem:
    """Write out all five discs and the patient states as one system (cached)."""
    key = (layout.names, tuple(layout.offsets.items()), tuple(layout.widths.items()), layout.size)
    return _flatten_cached(model, key)


def _flatten(model: SymbolicModel, layout: ParameterLayout) -> FlatSystem:
    n = N_LEVELS * N_DISC_STATES + len(PATIENT_STATES)
    y = tuple(sp.Symbol(f"y{i}", real=True) for i in range(n))
    p = tuple(sp.Symbol(f"p{i}", real=True) for i in range(layout.size))
    rates: list[sp.Expr] = []
    inputs = []
    disc_obs = []
    (agg_symbol, disc_input) = next(iter(model.aggregates.items()))
    disc_input = model.expand_disc(disc_input)
    for level in range(N_LEVELS):
        sub = _disc_substitution(model, layout, y, p, level)
        for r in model.disc_rates:
            rates.append(model.expand_disc(r).xreplace(sub))
        inputs.append(disc_input.xreplace(sub))
        disc_obs.append(
            {q.name: model.expand_disc(q.expr).xreplace(sub) for q in model.disc_observables}
        )
    psub = {s: y[N_LEVELS * N_DISC_STATES + i] for i, s in enumerate(model.patient_states)}
    for name in layout.names:
        psub[sp.Symbol(name, real=True)] = p[layout.slot(name, 0)]
    psub[agg_symbol] = sp.Add(*inputs)
    for r in model.patient_rates:
        rates.append(model.expand_patient(r).xreplace(psub))
    patient_obs = {}
    for q in model.patient_observables:
        e = q.expr
        for a in reversed(model.patient_assignments):
            e = e.subs(a.symbol, a.expr)
        patient_obs[q.name] = e.xreplace(psub)
    assert len(rates) == n and len(DISC_STATES) == N_DISC_STATES
    return FlatSystem(model.t, y, p, tuple(rates), tuple(disc_obs), patient_obs)
