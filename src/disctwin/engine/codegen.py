"""Generate compiled model code from the symbolic model.

The generated module defines the globals the solver kernel (:mod:`disctwin.engine._kernel`)
expects: ``N_STATES``, ``N_BLOCKS``, ``BLOCK_SIZE``, ``N_TAIL`` and the Numba functions
``rhs(t, y, p, dydt)``, ``jac(t, y, p, J)`` and ``dfdt(t, y, p, ft)``. The Jacobian and the
time derivative are exact symbolic derivatives (no finite differences); common
subexpressions are shared. The code of one disc is written once and run in a loop over the
five levels, reading each level's parameter slots.

Parameter-only subexpressions (reference normalisations, covariate effects such as
``exp(beta_smoking * smoker + ...)``) do not change during a patient's integration. They are
hoisted out of the right-hand side into ``derive(P, P_ext)``, run once per patient before
integration, which appends them to the parameter vector (``N_DERIVED`` extra slots after
the layout's ``N_PARAMETERS``); ``rhs``/``jac``/``dfdt`` read them from there.

The Jacobian is "block arrow": each disc block depends only on itself; the patient (tail)
states depend on the discs only through the summed nociceptive input, so their rows are
``d f_tail / d input * d input_k / d y_k`` (chain rule), written after the disc loop.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from disctwin.model import ParameterLayout
from disctwin.model.equations import COVARIATES, SymbolicModel
from disctwin.model.states import (
    DISC_STATES,
    N_DISC_STATES,
    N_LEVELS,
    N_PATIENT_STATES,
    PATIENT_STATES,
)

__all__ = ["generate_model_source"]


class _Printer(PythonCodePrinter):
    """Python code_printer using ``math.`` functions (Numba compiles them to LLVM intrinsics)."""

    def __init__(self) -> None:
        super().__init__({"fully_qualified_modules": True, "standard": "python3"})

    def _print_Pow(self, expr, rational=False):  # sympy code_printer hook
        base, exp = expr.as_base_exp()
        # small integer powers as products: exact, cheaper than pow()
        if exp.is_Integer and 2 <= int(exp) <= 4:
            b = self.parenthesize(base, 1000)
            return "(" + "*".join([b] * int(exp)) + ")"
        if exp.is_Integer and -4 <= int(exp) <= -1:
            b = self.parenthesize(base, 1000)
            return "1.0/(" + "*".join([b] * -int(exp)) + ")"
        return super()._print_Pow(expr, rational=rational)


class _Hoister:
    """Replace parameter-only subexpressions by symbols ``derived_<i>`` (deduplicated)."""

    def __init__(self, parameters: set[sp.Symbol]):
        self.parameters = parameters
        self.table: dict[sp.Expr, sp.Symbol] = {}

    def _param_only(self, e: sp.Expr) -> bool:
        free = e.free_symbols
        return bool(free) and free <= self.parameters

    def _name(self, e: sp.Expr) -> sp.Symbol:
        if e not in self.table:
            self.table[e] = sp.Symbol(f"derived_{len(self.table)}", real=True)
        return self.table[e]

    def __call__(self, e: sp.Expr) -> sp.Expr:
        if e.is_Atom:
            return e
        if self._param_only(e):
            return self._name(e)
        if isinstance(e, (sp.Add, sp.Mul)):
            const = [a for a in e.args if self._param_only(a) or not a.free_symbols]
            rest = [self(a) for a in e.args if not (self._param_only(a) or not a.free_symbols)]
            if len(const) > 1 or (const and not const[0].is_Atom):
                hoisted = self._name(e.func(*const))
                return e.func(hoisted, *rest)
            return e.func(*const, *rest)
        return e.func(*[self(a) for a in e.args])


def _emit(code_printer, assignments, lines, indent):
    pad = " " * indent
    for sym, expr in assignments:
        lines.append(f"{pad}{sym} = {code_printer.doprint(expr)}")


#: The symbolic expression lists, in the order they are hoisted (the order fixes the numbering
#: of the ``derived_<i>`` slots, so it is part of the generated code's identity).
_EXPRESSION_KINDS = (
    "disc_rates",
    "disc_input",
    "jac_disc",
    "input_grad",
    "dfdt_disc",
    "tail_rates",
    "tail_jac",
    "tail_t",
    "input_t",
)


def _derivatives(
    model: SymbolicModel, agg_symbol: sp.Symbol, input_t_symbol: sp.Symbol
) -> tuple[dict[str, list[sp.Expr]], bool]:
    """Rates, exact Jacobian entries and time derivatives, by kind (:data:`_EXPRESSION_KINDS`).

    Returns the expressions and whether the summed disc input depends on ``t``.
    """
    t, disc_states = model.t, model.disc_states
    disc_rates = [model.expand_disc(r) for r in model.disc_rates]
    disc_input = model.expand_disc(model.aggregates[agg_symbol])
    tail_rates = [model.expand_patient(r) for r in model.patient_rates]
    tail_jac: list[sp.Expr] = []
    for r in tail_rates:
        tail_jac.append(sp.diff(r, agg_symbol))
        tail_jac.extend(sp.diff(r, s) for s in model.patient_states)
    tail_t = [sp.diff(r, t) for r in tail_rates]
    # the summed disc input may itself depend on t (a drug's time course): the tail's
    # explicit time derivative then has the chain term d f_tail / d input * d input / d t
    input_t = sp.diff(disc_input, t)
    with_input_t = input_t != 0
    if with_input_t:
        tail_t = [
            e + sp.diff(r, agg_symbol) * input_t_symbol
            for e, r in zip(tail_t, tail_rates, strict=True)
        ]
    exprs = {
        "disc_rates": disc_rates,
        "disc_input": [disc_input],
        "jac_disc": [sp.diff(r, s) for r in disc_rates for s in disc_states],
        "input_grad": [sp.diff(disc_input, s) for s in disc_states],
        "dfdt_disc": [sp.diff(r, t) for r in disc_rates],
        "tail_rates": tail_rates,
        "tail_jac": tail_jac,
        "tail_t": tail_t,
        "input_t": [input_t],
    }
    return exprs, with_input_t


def _untreated_gate(layout: ParameterLayout) -> dict[sp.Symbol, sp.Expr]:
    """Therapy compartments and inert therapy parameters, each set to zero.

    They are zero in untreated patients and discs (and before the first dose). Each block
    then also gets code with those symbols set to zero (after differentiation, so the
    Jacobian is exact there), chosen at run time when they are all exactly zero: the
    untreated model costs what the natural history does.
    """
    gate = {
        sp.Symbol(spec.name, real=True): sp.Integer(0)
        for spec in (*DISC_STATES, *PATIENT_STATES)
        if spec.therapy
    }
    gate.update({sp.Symbol(n, real=True): sp.Integer(0) for n in layout.inert})
    return gate


def _extended_slots(
    layout: ParameterLayout, hoist: _Hoister
) -> tuple[dict[str, int], dict[str, int], set[str], int]:
    """Slots of the layout plus the derived constants appended after it.

    Returns offsets, widths, the names with one value per disc, and the extended size.
    """
    per_disc = {n for n, w in layout.widths.items() if w > 1}
    offsets = dict(layout.offsets)
    widths = dict(layout.widths)
    pos = layout.size
    for expr, sym in hoist.table.items():  # in creation order
        width = N_LEVELS if {s.name for s in expr.free_symbols} & per_disc else 1
        offsets[sym.name], widths[sym.name] = pos, width
        pos += width
        if width > 1:
            per_disc.add(sym.name)
    return offsets, widths, per_disc, pos


class _SourceWriter:
    """Writes the generated module's functions from hoisted expressions.

    Attributes:
        full / fast: hoisted expressions by kind (:data:`_EXPRESSION_KINDS`); ``fast`` with
            the untreated gate applied.
        offsets / widths / per_disc: slots of parameters and derived constants.
    """

    def __init__(
        self,
        model: SymbolicModel,
        full: dict[str, list[sp.Expr]],
        fast: dict[str, list[sp.Expr]],
        gate: dict[sp.Symbol, sp.Expr],
        hoist: _Hoister,
        layout: ParameterLayout,
        symbols: tuple[sp.Symbol, sp.Symbol],
    ) -> None:
        self.printer = _Printer()
        self.model = model
        self.full, self.fast, self.gate = full, fast, gate
        self.hoist, self.layout = hoist, layout
        self.agg_symbol, self.input_t_symbol = symbols
        self.offsets, self.widths, self.per_disc, self.n_extended = _extended_slots(layout, hoist)
        self.inverse = {sym: e for e, sym in hoist.table.items()}
        self.n_disc_total = N_LEVELS * N_DISC_STATES

    # ------------------------------------------------------------------- symbols, loads
    def local(self, sym: sp.Symbol) -> sp.Symbol:
        name = sym.name
        if sym in self.model.disc_states or sym in self.model.patient_states:
            return sp.Symbol("s_" + name, real=True)
        if name == "t":
            return sym
        if name in self.offsets:
            return sp.Symbol("q_" + name, real=True)
        if sym in (self.agg_symbol, self.input_t_symbol):
            return sp.Symbol("a_" + name, real=True)
        raise KeyError(f"symbol {name!r} has no slot in the parameter layout")

    def localise(self, expr: sp.Expr) -> sp.Expr:
        return expr.xreplace({s: self.local(s) for s in expr.free_symbols})

    def used(self, exprs) -> tuple[list[str], list[str]]:
        """Per-disc and patient slot names the expressions read (sorted)."""
        names = {s.name for e in exprs for s in e.free_symbols if s.name in self.offsets}
        return sorted(names & self.per_disc), sorted(names - self.per_disc)

    def loads(self, indent: int, names, disc: bool) -> list[str]:
        pad = " " * indent
        return [f"{pad}q_{n} = p[{self.offsets[n]}{' + k' if disc else ''}]" for n in names]

    def disc_state_loads(self, indent: int) -> list[str]:
        return [
            f"{' ' * indent}s_{s.name} = y[o + {i}]" for i, s in enumerate(self.model.disc_states)
        ]

    def tail_state_loads(self, indent: int) -> list[str]:
        return [
            f"{' ' * indent}s_{s.name} = y[{self.n_disc_total + i}]"
            for i, s in enumerate(self.model.patient_states)
        ]

    # ---------------------------------------------------------------- expression blocks
    def cse_block(self, exprs, prefix, lines, indent):
        repl, reduced = sp.cse(
            [self.localise(e) for e in exprs],
            symbols=sp.numbered_symbols(prefix),
            optimizations="basic",
        )
        _emit(self.printer, repl, lines, indent)
        return reduced

    def gated(self, exprs) -> list[sp.Symbol]:
        """Gated symbols the expressions use, also inside hoisted parameter expressions."""
        found = set()
        for e in exprs:
            for x in e.free_symbols:
                inner = self.inverse[x].free_symbols if x in self.inverse else {x}
                found |= {y for y in inner if y in self.gate}
        return sorted(found, key=str)

    def gate_check(self, exprs) -> str | None:
        """Run-time test that every gated symbol these expressions use is exactly zero."""
        syms = self.gated(exprs)
        if not syms:
            return None
        return " and ".join(f"{self.printer.doprint(self.local(x))} == 0.0" for x in syms)

    def assign_block(self, exprs, targets, prefix, indent, lines) -> None:
        """``targets = exprs`` with common subexpressions shared."""
        reduced = self.cse_block(exprs, prefix, lines, indent)
        lines += [
            f"{' ' * indent}{t} = {self.printer.doprint(e)}"
            for t, e in zip(targets, reduced, strict=True)
        ]

    def branches(self, full, fast_, targets, prefix, indent, lines) -> None:
        """Emit ``targets = exprs`` with the untreated fast path when it applies."""
        pad = " " * indent
        check = self.gate_check(full)
        if check is None:
            self.assign_block(full, targets, prefix, indent, lines)
            return
        lines.append(f"{pad}if {check}:")
        self.assign_block(fast_, targets, prefix + "f", indent + 4, lines)
        lines.append(f"{pad}else:")
        self.assign_block(full, targets, prefix, indent + 4, lines)

    # ------------------------------------------------------------------------ functions
    def function(
        self,
        name,
        out,
        disc_exprs,
        disc_targets,
        tail_exprs,
        tail_targets,
        with_input: bool,
        with_input_t: bool = False,
        fast_disc=(),
        fast_tail=(),
    ) -> list[str]:
        """One kernel function: a loop over the discs, then the patient (tail) states."""
        lines = ["@nb.njit(cache=True)", f"def {name}(t, y, p, {out}):"]
        disc_input, input_t = self.full["disc_input"][0], self.full["input_t"][0]
        f_disc_input, f_input_t = self.fast["disc_input"][0], self.fast["input_t"][0]
        all_disc = list(disc_exprs) + ([disc_input] if with_input else [])
        all_disc += [input_t] if with_input_t else []
        all_fast = list(fast_disc) + ([f_disc_input] if with_input else [])
        all_fast += [f_input_t] if with_input_t else []
        d_names, p_names = self.used(all_disc + all_fast + self.gated(all_disc))
        td_names, tp_names = self.used(list(tail_exprs) + list(fast_tail) + self.gated(tail_exprs))
        if td_names:
            raise ValueError(f"patient states depend on per-disc parameters {td_names}")
        lines += self.loads(4, sorted(set(p_names) | set(tp_names)), disc=False)
        if with_input:
            lines.append("    acc_input = 0.0")
        if with_input_t:
            lines.append("    acc_input_t = 0.0")
        lines.append(f"    for k in range({N_LEVELS}):")
        lines.append(f"        o = k * {N_DISC_STATES}")
        lines += self.disc_state_loads(8)
        lines += self.loads(8, d_names, disc=True)
        targets = list(disc_targets[: len(disc_exprs)])
        if with_input:
            targets.append("a_input_k")
        if with_input_t:
            targets.append("a_input_t_k")
        self.branches(all_disc, all_fast, targets, "_x", 8, lines)
        if with_input:
            lines.append("        acc_input += a_input_k")
        if with_input_t:
            lines.append("        acc_input_t += a_input_t_k")
        lines += self.tail_state_loads(4)
        if with_input:
            lines.append(f"    a_{self.agg_symbol.name} = acc_input")
        if with_input_t:
            lines.append(f"    a_{self.input_t_symbol.name} = acc_input_t")
        self.branches(list(tail_exprs), list(fast_tail), list(tail_targets), "_y", 4, lines)
        lines += ["    return 0", ""]
        return lines

    def header(self) -> list[str]:
        return [
            "# Generated by disctwin.engine.codegen from disctwin.model.equations: do not edit.",
            "import math",
            "import numpy as np",
            "import numba as nb",
            "",
            f"N_STATES = {self.n_disc_total + N_PATIENT_STATES}",
            f"N_BLOCKS = {N_LEVELS}",
            f"BLOCK_SIZE = {N_DISC_STATES}",
            f"N_TAIL = {N_PATIENT_STATES}",
            f"N_PARAMETERS = {self.layout.size}",
            f"N_DERIVED = {self.n_extended - self.layout.size}",
            "",
        ]

    def derive(self) -> list[str]:
        """``_derive_one`` and ``derive``: the hoisted parameter-only constants."""
        derived = list(self.hoist.table.items())  # (expr, symbol), in creation order
        lines = ["@nb.njit(cache=True)", "def _derive_one(p):"]
        disc_derived = [(e, s) for e, s in derived if self.widths[s.name] > 1]
        patient_derived = [(e, s) for e, s in derived if self.widths[s.name] == 1]
        # derived expressions use parameters only, never other derived symbols
        d_names, p_names = self.used([e for e, _ in derived])
        lines += self.loads(4, p_names, disc=False)
        for e, s in patient_derived:
            code = self.printer.doprint(self.localise(e))
            lines.append(f"    p[{self.offsets[s.name]}] = {code}")
        if disc_derived:
            lines.append(f"    for k in range({N_LEVELS}):")
            lines += self.loads(8, d_names, disc=True)
            for e, s in disc_derived:
                code = self.printer.doprint(self.localise(e))
                lines.append(f"        p[{self.offsets[s.name]} + k] = {code}")
        lines += ["    return 0", ""]
        lines += [
            "@nb.njit(cache=True, parallel=True)",
            "def derive(P, P_ext):",
            '    """Copy P (n, N_PARAMETERS) into P_ext and fill its N_DERIVED extra slots."""',
            "    for i in nb.prange(P.shape[0]):",
            "        P_ext[i, : P.shape[1]] = P[i]",
            "        _derive_one(P_ext[i])",
            "    return 0",
            "",
        ]
        return lines

    def rhs(self) -> list[str]:
        return self.function(
            "rhs",
            "dydt",
            self.full["disc_rates"],
            [f"dydt[o + {i}]" for i in range(N_DISC_STATES)],
            self.full["tail_rates"],
            [f"dydt[{self.n_disc_total + i}]" for i in range(N_PATIENT_STATES)],
            with_input=True,
            fast_disc=self.fast["disc_rates"],
            fast_tail=self.fast["tail_rates"],
        )

    def jac(self) -> list[str]:
        nb_, n_disc, n_tail = N_DISC_STATES, self.n_disc_total, N_PATIENT_STATES
        jac_targets = [f"J[o + {i}, o + {j}]" for i in range(nb_) for j in range(nb_)]
        grad_targets = [f"J[{n_disc + i}, o + {j}]" for j in range(nb_) for i in range(n_tail)]
        grad = [self.full["input_grad"][j] for j in range(nb_) for _ in range(n_tail)]
        f_grad = [self.fast["input_grad"][j] for j in range(nb_) for _ in range(n_tail)]
        tail_targets = []
        for i in range(n_tail):
            tail_targets.append(f"g_{i}")
            tail_targets += [f"J[{n_disc + i}, {n_disc + j}]" for j in range(n_tail)]
        lines = self.function(
            "jac",
            "J",
            self.full["jac_disc"] + grad,
            jac_targets + grad_targets,
            self.full["tail_jac"],
            tail_targets,
            with_input=True,
            fast_disc=self.fast["jac_disc"] + f_grad,
            fast_tail=self.fast["tail_jac"],
        )
        # chain rule: the tail rows so far hold d input_k / d y_k; scale by d f_tail / d input
        scale = [f"    for c in range({n_disc}):"]
        scale += [f"        J[{n_disc + i}, c] *= g_{i}" for i in range(n_tail)]
        return lines[:-2] + scale + lines[-2:]

    def dfdt(self, with_input_t: bool) -> list[str]:
        tail_t = self.full["tail_t"]
        return self.function(
            "dfdt",
            "ft",
            self.full["dfdt_disc"],
            [f"ft[o + {i}]" for i in range(N_DISC_STATES)],
            tail_t,
            [f"ft[{self.n_disc_total + i}]" for i in range(N_PATIENT_STATES)],
            with_input=with_input_t or any(self.agg_symbol in e.free_symbols for e in tail_t),
            with_input_t=with_input_t,
            fast_disc=self.fast["dfdt_disc"],
            fast_tail=self.fast["tail_t"],
        )


def generate_model_source(model: SymbolicModel, layout: ParameterLayout) -> str:
    """Python/Numba source of the model for the given parameter layout."""
    for cov in COVARIATES:
        if cov not in layout.offsets:
            raise KeyError(f"covariate {cov!r} missing from the layout")
    agg_symbol = next(iter(model.aggregates))
    input_t_symbol = sp.Symbol(agg_symbol.name + "_dt", real=True)
    exprs, with_input_t = _derivatives(model, agg_symbol, input_t_symbol)
    gate = _untreated_gate(layout)
    fast = {k: [sp.sympify(e).subs(gate) for e in exprs[k]] for k in _EXPRESSION_KINDS}
    # parameter-only subexpressions become derived slots (full first, then the fast path)
    hoist = _Hoister({sp.Symbol(n, real=True) for n in layout.names})
    hoisted_full = {k: [hoist(e) for e in exprs[k]] for k in _EXPRESSION_KINDS}
    hoisted_fast = {k: [hoist(e) for e in fast[k]] for k in _EXPRESSION_KINDS}
    writer = _SourceWriter(
        model, hoisted_full, hoisted_fast, gate, hoist, layout, (agg_symbol, input_t_symbol)
    )
    lines = writer.header() + writer.derive() + writer.rhs() + writer.jac()
    return "\n".join(lines + writer.dfdt(with_input_t))
