"""What every process builder shares: symbols, the parameter recorder, the result type.

A *process builder* (``nutrition``, ``cells``, ...) is a pure function that writes one
biological process as SymPy expressions and returns a :class:`Process`: its quasi-steady
assignments, a ``{state name: d(state)/dt}`` mapping for the states it owns, its observables
and the intermediate terms other processes read. :func:`disctwin.model.build_model`
assembles the processes by name.

Processes refer to each other's assignments by symbol (an assignment's symbol is its name),
so a builder may use a quantity another builder defines; the assembly checks that every
name a builder uses exists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import sympy as sp

from disctwin.model.states import DISC_STATES, PATIENT_STATES

__all__ = [
    "ModelSymbols",
    "ParameterSymbols",
    "Process",
    "Quantity",
    "combine",
    "hill_down",
    "reference_value",
    "symbol",
]

_STATE_NAMES = frozenset(s.name for s in (*DISC_STATES, *PATIENT_STATES))


def symbol(name: str) -> sp.Symbol:
    """The model's symbol for a state, parameter, covariate, assignment or time (real)."""
    return sp.Symbol(name, real=True)


@dataclass(frozen=True)
class Quantity:
    """A named algebraic quantity: an assignment (quasi-steady process) or an observable."""

    name: str
    unit: str
    meaning: str
    expr: sp.Expr

    @property
    def symbol(self) -> sp.Symbol:
        return symbol(self.name)


class ParameterSymbols:
    """Attribute access to parameter symbols, recording which are used (in first-use order)."""

    def __init__(self) -> None:
        self.used: list[str] = []

    def __getattr__(self, name: str) -> sp.Symbol:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self.used:
            self.used.append(name)
        return symbol(name)


@dataclass(frozen=True)
class ModelSymbols:
    """What a builder writes its expressions in.

    Attributes:
        t: time (age, days).
        p: parameter symbols (``p.fissure_rate``), recording the ones used.
        covariates: covariate name -> symbol.
    """

    t: sp.Symbol
    p: ParameterSymbols
    covariates: Mapping[str, sp.Symbol]

    def state(self, name: str) -> sp.Symbol:
        """The symbol of a disc or patient state, by its name in :mod:`~disctwin.model.states`."""
        if name not in _STATE_NAMES:
            raise KeyError(f"no model state {name!r}")
        return symbol(name)

    def covariate(self, name: str) -> sp.Symbol:
        return self.covariates[name]


@dataclass(frozen=True)
class Process:
    """What a process builder returns.

    Attributes:
        name: the process (``"nutrition"``, ``"cells"``...).
        assignments: quasi-steady quantities, each using only states, parameters, covariates,
            ``t`` and assignments before it (the model's evaluation order is assembled by name).
        rates: state name -> d(state)/dt, for the states this process owns.
        observables: continuous, noise-free observables this process defines.
        terms: named intermediate expressions other processes use (not assignments).
    """

    name: str
    assignments: tuple[Quantity, ...] = ()
    rates: Mapping[str, sp.Expr] = field(default_factory=dict)
    observables: tuple[Quantity, ...] = ()
    terms: Mapping[str, sp.Expr] = field(default_factory=dict)

    def symbol(self, name: str) -> sp.Symbol:
        """The symbol of one of this process's assignments (KeyError if it has none so named)."""
        for q in self.assignments:
            if q.name == name:
                return q.symbol
        raise KeyError(f"process {self.name!r} has no assignment {name!r}")


def hill_down(x: sp.Expr, half: sp.Expr, n: int) -> sp.Expr:
    """Decreasing Hill function 1 / (1 + (x/half)^n); integer n keeps it finite for x < 0."""
    return 1 / (1 + (x / half) ** n)


def reference_value(
    expr: sp.Expr,
    assignments: Sequence[Quantity],
    glucose_reference: sp.Expr,
    extra: Mapping[sp.Symbol, sp.Expr] | None = None,
) -> sp.Expr:
    """Value of ``expr`` in the adolescent reference disc.

    Reference: intact endplate, full viable cells, no senescence, full proteoglycan, no
    herniation, unit load, genetic score 0, untreated (all therapy modifiers 1), patient
    multipliers at 1. Used to normalise rates so the reference disc is at equilibrium.

    ``assignments`` are those ``expr`` may use, in evaluation order (each using only earlier
    ones); they are substituted last to first.
    """
    ref = {
        symbol("endplate_permeability"): 1,
        symbol("viable_cells"): 1,
        symbol("senescent_cells"): 0,
        symbol("proteoglycan"): 1,
        symbol("herniated_volume"): 0,
        symbol("load"): 1,
        symbol("genetic_risk_score"): 0,
        symbol("glucose"): glucose_reference,
        symbol("il1_signalling"): 1,
        symbol("rptor_expression"): 1,
        symbol("anabolic_gene_expression"): 1,
        symbol("anabolic_capacity"): 1,
        symbol("enzyme_basal"): 1,
        symbol("transgene_expression"): 0,
        symbol("implanted_cells"): 0,
        symbol("tx_pulse_gain"): 0,
    }
    if extra:
        ref.update(extra)
    e = expr
    for q in reversed(tuple(assignments)):
        if q.symbol not in ref:
            e = e.subs(q.symbol, q.expr)
    return sp.simplify(e.subs(ref))


def combine(name: str, *parts: Process) -> Process:
    """One process from parts (assignments and observables in order; no name twice)."""
    rates: dict[str, sp.Expr] = {}
    terms: dict[str, sp.Expr] = {}
    for part in parts:
        for target, source, what in ((rates, part.rates, "rate"), (terms, part.terms, "term")):
            twice = set(target) & set(source)
            if twice:
                raise ValueError(f"process {name!r}: {what} {sorted(twice)} defined twice")
            target.update(source)
    return Process(
        name,
        assignments=tuple(q for part in parts for q in part.assignments),
        rates=rates,
        observables=tuple(q for part in parts for q in part.observables),
        terms=terms,
    )
