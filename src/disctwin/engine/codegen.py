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


def generate_model_source(model: SymbolicModel, layout: ParameterLayout) -> str:
    """Python/Numba source of the model for the given parameter layout."""
    code_printer = _Printer()
    t = model.t
    disc_states = model.disc_states
    nb_ = N_DISC_STATES
    n_disc_total = N_LEVELS * nb_
    n_states = n_disc_total + N_PATIENT_STATES
    for cov in COVARIATES:
        if cov not in layout.offsets:
            raise KeyError(f"covariate {cov!r} missing from the layout")

    # ------------------------------------------------------------ symbolic expressions
    disc_rates = [model.expand_disc(r) for r in model.disc_rates]
    (agg_symbol, disc_input) = next(iter(model.aggregates.items()))
    disc_input = model.expand_disc(disc_input)
    tail_rates = [model.expand_patient(r) for r in model.patient_rates]

    jac_disc = [sp.diff(r, s) for r in disc_rates for s in disc_states]
    input_grad = [sp.diff(disc_input, s) for s in disc_states]
    dfdt_disc = [sp.diff(r, t) for r in disc_rates]
    tail_jac: list[sp.Expr] = []
    for r in tail_rates:
        tail_jac.append(sp.diff(r, agg_symbol))
        tail_jac.extend(sp.diff(r, s) for s in model.patient_states)
    tail_t = [sp.diff(r, t) for r in tail_rates]
    # the summed disc input may itself depend on t (a drug's time course): the tail's
    # explicit time derivative then has the chain term d f_tail / d input * d input / d t
    input_t_symbol = sp.Symbol(agg_symbol.name + "_dt", real=True)
    input_t = sp.diff(disc_input, t)
    with_input_t = input_t != 0
    if with_input_t:
        tail_t = [
            e + sp.diff(r, agg_symbol) * input_t_symbol
            for e, r in zip(tail_t, tail_rates, strict=True)
        ]

    # ------------------------------------------------------------ untreated fast path
    # Therapy compartments and inert therapy parameters are zero in untreated patients and
    # discs (and before the first dose). Each block then also gets code with those symbols
    # set to zero (after differentiation, so the Jacobian is exact there), chosen at run time
    # when they are all exactly zero: the untreated model costs what the natural history does.
    gate = {
        sp.Symbol(spec.name, real=True): sp.Integer(0)
        for spec in (*DISC_STATES, *PATIENT_STATES)
        if spec.therapy
    }
    gate.update({sp.Symbol(n, real=True): sp.Integer(0) for n in layout.inert})

    def fast(exprs):
        return [sp.sympify(e).subs(gate) for e in exprs]

    f_disc_rates, f_disc_input = fast(disc_rates), fast([disc_input])[0]
    f_jac_disc, f_input_grad, f_dfdt_disc = fast(jac_disc), fast(input_grad), fast(dfdt_disc)
    f_tail_rates, f_tail_jac, f_tail_t = fast(tail_rates), fast(tail_jac), fast(tail_t)
    f_input_t = fast([input_t])[0]

    # --------------------------------------------------------------------- hoisting
    param_syms = {sp.Symbol(n, real=True) for n in layout.names}
    hoist = _Hoister(param_syms)
    disc_rates, disc_input_h = [hoist(e) for e in disc_rates], hoist(disc_input)
    jac_disc, input_grad = [hoist(e) for e in jac_disc], [hoist(e) for e in input_grad]
    dfdt_disc = [hoist(e) for e in dfdt_disc]
    tail_rates, tail_jac = [hoist(e) for e in tail_rates], [hoist(e) for e in tail_jac]
    tail_t = [hoist(e) for e in tail_t]
    input_t_h = hoist(input_t)
    f_disc_rates, f_disc_input = [hoist(e) for e in f_disc_rates], hoist(f_disc_input)
    f_jac_disc, f_input_grad = [hoist(e) for e in f_jac_disc], [hoist(e) for e in f_input_grad]
    f_dfdt_disc = [hoist(e) for e in f_dfdt_disc]
    f_tail_rates, f_tail_jac = [hoist(e) for e in f_tail_rates], [hoist(e) for e in f_tail_jac]
    f_tail_t, f_input_t = [hoist(e) for e in f_tail_t], hoist(f_input_t)

    per_disc = {n for n, w in layout.widths.items() if w > 1}
    offsets = dict(layout.offsets)
    widths = dict(layout.widths)
    derived = list(hoist.table.items())  # (expr, symbol), in creation order
    pos = layout.size
    for expr, sym in derived:
        width = N_LEVELS if {s.name for s in expr.free_symbols} & per_disc else 1
        offsets[sym.name], widths[sym.name] = pos, width
        pos += width
        if width > 1:
            per_disc.add(sym.name)
    n_extended = pos

    # ------------------------------------------------------------------- code helpers
    def local(sym: sp.Symbol) -> sp.Symbol:
        name = sym.name
        if sym in disc_states or sym in model.patient_states:
            return sp.Symbol("s_" + name, real=True)
        if name == "t":
            return sym
        if name in offsets:
            return sp.Symbol("q_" + name, real=True)
        if sym in (agg_symbol, input_t_symbol):
            return sp.Symbol("a_" + name, real=True)
        raise KeyError(f"symbol {name!r} has no slot in the parameter layout")

    def localise(expr: sp.Expr) -> sp.Expr:
        return expr.xreplace({s: local(s) for s in expr.free_symbols})

    def used(exprs) -> tuple[list[str], list[str]]:
        names = {s.name for e in exprs for s in e.free_symbols if s.name in offsets}
        return sorted(names & per_disc), sorted(names - per_disc)

    def loads(indent: int, names, disc: bool) -> list[str]:
        pad = " " * indent
        return [f"{pad}q_{n} = p[{offsets[n]}{' + k' if disc else ''}]" for n in names]

    def disc_state_loads(indent: int) -> list[str]:
        return [f"{' ' * indent}s_{s.name} = y[o + {i}]" for i, s in enumerate(disc_states)]

    def tail_state_loads(indent: int) -> list[str]:
        return [
            f"{' ' * indent}s_{s.name} = y[{n_disc_total + i}]"
            for i, s in enumerate(model.patient_states)
        ]

    def cse_block(exprs, prefix, lines, indent):
        repl, reduced = sp.cse(
            [localise(e) for e in exprs], symbols=sp.numbered_symbols(prefix), optimizations="basic"
        )
        _emit(code_printer, repl, lines, indent)
        return reduced

    inverse = {sym: e for e, sym in hoist.table.items()}

    def gated(exprs) -> list[sp.Symbol]:
        """Gated symbols the expressions use, also inside hoisted parameter expressions."""
        found = set()
        for e in exprs:
            for x in e.free_symbols:
                found |= {
                    y for y in (inverse[x].free_symbols if x in inverse else {x}) if y in gate
                }
        return sorted(found, key=str)

    def gate_check(exprs) -> str | None:
        """Run-time test that every gated symbol these expressions use is exactly zero."""
        syms = gated(exprs)
        if not syms:
            return None
        return " and ".join(f"{code_printer.doprint(local(x))} == 0.0" for x in syms)

    def branches(full, fast_, targets, prefix, indent, lines):
        """Emit ``targets = exprs`` with the untreated fast path when it applies."""
        pad = " " * indent
        check = gate_check(full)
        if check is None:
            reduced = cse_block(full, prefix, lines, indent)
            lines += [
                f"{pad}{t} = {code_printer.doprint(e)}"
                for t, e in zip(targets, reduced, strict=True)
            ]
            return
        lines.append(f"{pad}if {check}:")
        reduced = cse_block(fast_, prefix + "f", lines, indent + 4)
        lines += [
            f"{pad}    {t} = {code_printer.doprint(e)}"
            for t, e in zip(targets, reduced, strict=True)
        ]
        lines.append(f"{pad}else:")
        reduced = cse_block(full, prefix, lines, indent + 4)
        lines += [
            f"{pad}    {t} = {code_printer.doprint(e)}"
            for t, e in zip(targets, reduced, strict=True)
        ]

    def function(
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
        lines = ["@nb.njit(cache=True)", f"def {name}(t, y, p, {out}):"]
        all_disc = list(disc_exprs) + ([disc_input_h] if with_input else [])
        all_disc += [input_t_h] if with_input_t else []
        all_fast = list(fast_disc) + ([f_disc_input] if with_input else [])
        all_fast += [f_input_t] if with_input_t else []
        d_names, p_names = used(all_disc + all_fast + gated(all_disc))
        td_names, tp_names = used(list(tail_exprs) + list(fast_tail) + gated(tail_exprs))
        if td_names:
            raise ValueError(f"patient states depend on per-disc parameters {td_names}")
        lines += loads(4, sorted(set(p_names) | set(tp_names)), disc=False)
        if with_input:
            lines.append("    acc_input = 0.0")
        if with_input_t:
            lines.append("    acc_input_t = 0.0")
        lines.append(f"    for k in range({N_LEVELS}):")
        lines.append(f"        o = k * {nb_}")
        lines += disc_state_loads(8)
        lines += loads(8, d_names, disc=True)
        targets = list(disc_targets[: len(disc_exprs)])
        if with_input:
            targets.append("a_input_k")
        if with_input_t:
            targets.append("a_input_t_k")
        branches(all_disc, all_fast, targets, "_x", 8, lines)
        if with_input:
            lines.append("        acc_input += a_input_k")
        if with_input_t:
            lines.append("        acc_input_t += a_input_t_k")
        lines += tail_state_loads(4)
        if with_input:
            lines.append(f"    a_{agg_symbol.name} = acc_input")
        if with_input_t:
            lines.append(f"    a_{input_t_symbol.name} = acc_input_t")
        branches(list(tail_exprs), list(fast_tail), list(tail_targets), "_y", 4, lines)
        lines += ["    return 0", ""]
        return lines

    header = [
        "# Generated by disctwin.engine.codegen from disctwin.model.equations: do not edit.",
        "import math",
        "import numpy as np",
        "import numba as nb",
        "",
        f"N_STATES = {n_states}",
        f"N_BLOCKS = {N_LEVELS}",
        f"BLOCK_SIZE = {nb_}",
        f"N_TAIL = {N_PATIENT_STATES}",
        f"N_PARAMETERS = {layout.size}",
        f"N_DERIVED = {n_extended - layout.size}",
        "",
    ]

    # ------------------------------------------------------------------------- derive
    derive = ["@nb.njit(cache=True)", "def _derive_one(p):"]
    disc_derived = [(e, s) for e, s in derived if widths[s.name] > 1]
    patient_derived = [(e, s) for e, s in derived if widths[s.name] == 1]
    # derived expressions may use earlier derived symbols? no: they use parameters only
    d_names, p_names = used([e for e, _ in derived])
    derive += loads(4, p_names, disc=False)
    for e, s in patient_derived:
        derive.append(f"    p[{offsets[s.name]}] = {code_printer.doprint(localise(e))}")
    if disc_derived:
        derive.append(f"    for k in range({N_LEVELS}):")
        derive += loads(8, d_names, disc=True)
        for e, s in disc_derived:
            derive.append(f"        p[{offsets[s.name]} + k] = {code_printer.doprint(localise(e))}")
    derive += ["    return 0", ""]
    derive += [
        "@nb.njit(cache=True, parallel=True)",
        "def derive(P, P_ext):",
        '    """Copy P (n, N_PARAMETERS) into P_ext and fill its N_DERIVED extra slots."""',
        "    for i in nb.prange(P.shape[0]):",
        "        P_ext[i, : P.shape[1]] = P[i]",
        "        _derive_one(P_ext[i])",
        "    return 0",
        "",
    ]

    # ------------------------------------------------------------------ rhs, jac, dfdt
    rhs_lines = function(
        "rhs",
        "dydt",
        disc_rates,
        [f"dydt[o + {i}]" for i in range(nb_)],
        tail_rates,
        [f"dydt[{n_disc_total + i}]" for i in range(N_PATIENT_STATES)],
        with_input=True,
        fast_disc=f_disc_rates,
        fast_tail=f_tail_rates,
    )
    jac_targets = [f"J[o + {i}, o + {j}]" for i in range(nb_) for j in range(nb_)]
    grad_targets = [
        f"J[{n_disc_total + i}, o + {j}]" for j in range(nb_) for i in range(N_PATIENT_STATES)
    ]
    grad_exprs = [input_grad[j] for j in range(nb_) for _ in range(N_PATIENT_STATES)]
    f_grad_exprs = [f_input_grad[j] for j in range(nb_) for _ in range(N_PATIENT_STATES)]
    tail_targets = []
    for i in range(N_PATIENT_STATES):
        tail_targets.append(f"g_{i}")
        tail_targets += [
            f"J[{n_disc_total + i}, {n_disc_total + j}]" for j in range(N_PATIENT_STATES)
        ]
    jac_lines = function(
        "jac",
        "J",
        jac_disc + grad_exprs,
        jac_targets + grad_targets,
        tail_jac,
        tail_targets,
        with_input=True,
        fast_disc=f_jac_disc + f_grad_exprs,
        fast_tail=f_tail_jac,
    )
    # chain rule: the tail rows so far hold d input_k / d y_k; scale by d f_tail / d input
    scale = [f"    for c in range({n_disc_total}):"]
    scale += [f"        J[{n_disc_total + i}, c] *= g_{i}" for i in range(N_PATIENT_STATES)]
    jac_lines = jac_lines[:-2] + scale + jac_lines[-2:]
    dfdt_lines = function(
        "dfdt",
        "ft",
        dfdt_disc,
        [f"ft[o + {i}]" for i in range(nb_)],
        tail_t,
        [f"ft[{n_disc_total + i}]" for i in range(N_PATIENT_STATES)],
        with_input=with_input_t or any(agg_symbol in e.free_symbols for e in tail_t),
        with_input_t=with_input_t,
        fast_disc=f_dfdt_disc,
        fast_tail=f_tail_t,
    )
    return "\n".join(header + derive + rhs_lines + jac_lines + dfdt_lines)
