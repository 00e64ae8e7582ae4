"""Export a virtual patient (or the structural model) as SBML Level 3 Version 2.

The SBML is written from the same symbolic equations the engine compiles
(:mod:`disctwin.model.equations`), so any SBML tool (libRoadRunner, COPASI, AMICI, tellurium)
reproduces DiscTwin's trajectories. Mapping:

* each state is a global ``parameter`` (``constant="false"``) with a ``rateRule``; disc
  states carry the level as a suffix (``proteoglycan_L4_5``);
* each quasi-steady quantity is an ``assignmentRule`` (per disc, suffixed; the summed
  ``nociceptive_input`` at patient level);
* model parameters and covariates are constant parameters with their unit; each carries an
  XHTML note with its meaning, plausible range and source;
* model time is age in days (``timeUnits="day"``); a simulation starts at age 10
  (``time = 3652.5``), the initial values are the adolescent reference state.
* dose events (later therapies) will be SBML ``event`` elements; :func:`build_document`
  takes an ``events`` hook for that.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import sympy as sp
from sympy.printing.str import StrPrinter

from disctwin.errors import ConfigError, Problem, check_range
from disctwin.io.provenance import model_digest, package_version
from disctwin.io.rundir import atomic_path
from disctwin.model import (
    DISC_STATES,
    LEVELS,
    N_LEVELS,
    PATIENT_STATES,
    ParameterLayout,
    build_model,
)
from disctwin.params import ParameterSet
from disctwin.units import DAYS_PER_YEAR

__all__ = ["MAX_PATIENT_INDEX", "build_document", "export_sbml", "level_suffix", "sbml_id"]

#: The largest patient index (a population holds at most 100,000,000 patients).
MAX_PATIENT_INDEX = 99_999_999

#: DiscTwin unit -> (SBML unit id, [(libsbml kind name, exponent, multiplier)]); an empty
#: list means an SBML base unit or "dimensionless" (no definition needed). Every entry of
#: disctwin.units.KNOWN_UNITS must be here (a test checks).
_UNITS: dict[str, tuple[str, list[tuple[str, int, float]]]] = {
    "1": ("dimensionless", []),
    "pH": ("dimensionless", []),
    "points": ("dimensionless", []),
    "log10": ("dimensionless", []),
    "1/day": ("per_day", [("SECOND", -1, 86400.0)]),
    "1/year": ("per_year", [("SECOND", -1, 86400.0 * DAYS_PER_YEAR)]),
    "day": ("day", [("SECOND", 1, 86400.0)]),
    "year": ("year", [("SECOND", 1, 86400.0 * DAYS_PER_YEAR)]),
    "kg/m^2": ("kg_per_m2", [("KILOGRAM", 1, 1.0), ("METRE", -2, 1.0)]),
    "ms": ("millisecond", [("SECOND", 1, 1e-3)]),
    "cells/mm^3": ("cells_per_mm3", [("ITEM", 1, 1.0), ("METRE", -3, 1e-3)]),
    "cells": ("cells", [("ITEM", 1, 1.0)]),
    "vg": ("vector_genomes", [("ITEM", 1, 1.0)]),
    "pfu": ("plaque_forming_units", [("ITEM", 1, 1.0)]),
    "TU": ("transducing_units", [("ITEM", 1, 1.0)]),
    "ug": ("microgram", [("GRAM", 1, 1e-6)]),
    "mg": ("milligram", [("GRAM", 1, 1e-3)]),
    "mg/day": ("mg_per_day", [("GRAM", 1, 1e-3), ("SECOND", -1, 86400.0)]),
    "mm": ("millimetre", [("METRE", 1, 1e-3)]),
}
_UNIT_IDS = {unit: uid for unit, (uid, _) in _UNITS.items()}


def level_suffix(level: int) -> str:
    """``"L4_5"`` for level 3 (L4/5): SBML ids cannot contain '/'."""
    return LEVELS[level].replace("/", "_")


def sbml_id(name: str, level: int | None = None) -> str:
    return name if level is None else f"{name}_{level_suffix(level)}"


class _L3Printer(StrPrinter):
    """SymPy -> SBML L3 infix formula (``^`` for powers, ``time`` for t)."""

    def _print_Pow(self, expr, rational=False):
        base, exp = expr.as_base_exp()
        if exp == -1:
            return f"1/({self._print(base)})"
        return f"({self._print(base)})^({self._print(exp)})"

    def _print_Symbol(self, expr):
        return "time" if expr.name == "t" else expr.name

    def _print_Rational(self, expr):
        return f"({expr.p}/{expr.q})"

    def _print_Float(self, expr):
        return repr(float(expr))

    def _print_exp(self, expr):
        return f"exp({self._print(expr.args[0])})"


def _formula(expr: sp.Expr) -> str:
    return _L3Printer().doprint(expr)


def _note(text: str) -> str:
    from xml.sax.saxutils import escape

    return '<body xmlns="http://www.w3.org/1999/xhtml"><p>' + escape(text) + "</p></body>"


def _add_units(model) -> None:
    import libsbml

    defined = set()
    for uid, parts in _UNITS.values():
        if not parts or uid in defined:
            continue
        defined.add(uid)
        ud = model.createUnitDefinition()
        ud.setId(uid)
        for kind, exponent, multiplier in parts:
            u = ud.createUnit()
            u.setKind(getattr(libsbml, f"UNIT_KIND_{kind}"))
            u.setExponent(exponent)
            u.setScale(0)
            u.setMultiplier(multiplier)


def _check(code: int, what: str) -> None:
    import libsbml

    if code != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise RuntimeError(
            f"libsbml failed to set {what}: {libsbml.OperationReturnValue_toString(code)}"
        )


def build_document(
    parameter_set: ParameterSet,
    layout: ParameterLayout,
    values: np.ndarray,
    *,
    model_id: str = "disctwin_patient",
    name: str = "DiscTwin virtual patient",
    events=None,
):
    """An ``SBMLDocument`` of one patient whose parameter vector is ``values``."""
    import libsbml

    model_sym = build_model()
    doc = libsbml.SBMLDocument(3, 2)
    model = doc.createModel()
    model.setId(model_id)
    model.setName(name)
    model.setNotes(
        _note(
            f"Generated by DiscTwin {package_version()} (model digest {model_digest()}) from "
            "disctwin.model.equations. Time is age in days; simulate from time 3652.5 (age 10)."
        )
    )
    _add_units(model)
    model.setTimeUnits("day")
    model.setExtentUnits("dimensionless")
    model.setSubstanceUnits("dimensionless")

    def add_parameter(pid, value, unit, constant, note=None):
        p = model.createParameter()
        _check(p.setId(pid), pid)
        p.setValue(float(value))
        p.setUnits(_UNIT_IDS[unit])
        p.setConstant(constant)
        if note:
            p.setNotes(_note(note))
        return p

    specs = {s.name: s for s in parameter_set}
    for pname in layout.names:
        off, width = layout.offsets[pname], layout.widths[pname]
        spec = specs.get(pname)
        unit = spec.unit if spec else ("kg/m^2" if pname == "bmi" else "1")
        note = (
            (
                f"{spec.meaning}. Unit {spec.unit}; plausible range [{spec.range[0]:g}, "
                f"{spec.range[1]:g}]. Source: {spec.source}"
            )
            if spec
            else f"covariate {pname}"
        )
        if width == 1:
            add_parameter(pname, values[off], unit, True, note)
        else:
            for k in range(width):
                add_parameter(
                    sbml_id(pname, k), values[off + k], unit, True, f"{LEVELS[k]}: {note}"
                )

    def disc_map(level):
        sub = {s: sp.Symbol(sbml_id(s.name, level)) for s in model_sym.disc_states}
        for q in model_sym.disc_assignments:
            sub[q.symbol] = sp.Symbol(sbml_id(q.name, level))
        for pname, width in layout.widths.items():
            if width > 1:
                sub[sp.Symbol(pname, real=True)] = sp.Symbol(sbml_id(pname, level))
        return sub

    for level in range(N_LEVELS):
        sub = disc_map(level)
        for spec_state, sym, rate in zip(
            DISC_STATES, model_sym.disc_states, model_sym.disc_rates, strict=True
        ):
            add_parameter(
                sbml_id(sym.name, level),
                spec_state.initial,
                spec_state.unit,
                False,
                f"{LEVELS[level]}: {spec_state.meaning}",
            )
            rule = model.createRateRule()
            rule.setVariable(sbml_id(sym.name, level))
            _check(rule.setMath(_parse(_formula(rate.xreplace(sub)))), f"rate of {sym}")
        for q in model_sym.disc_assignments:
            add_parameter(
                sbml_id(q.name, level),
                0.0,
                q.unit,
                False,
                f"{LEVELS[level]}: {q.meaning} (quasi-steady)",
            )
            rule = model.createAssignmentRule()
            rule.setVariable(sbml_id(q.name, level))
            _check(rule.setMath(_parse(_formula(q.expr.xreplace(sub)))), q.name)

    agg = next(iter(model_sym.aggregates))
    add_parameter(agg.name, 0.0, "1", False, "Summed nociceptive input of the five discs")
    rule = model.createAssignmentRule()
    rule.setVariable(agg.name)
    rule.setMath(_parse(" + ".join(sbml_id("disc_nociceptive_input", k) for k in range(N_LEVELS))))
    for q in model_sym.patient_assignments:
        add_parameter(q.name, 0.0, q.unit, False, f"{q.meaning} (quasi-steady)")
        rule = model.createAssignmentRule()
        rule.setVariable(q.name)
        _check(rule.setMath(_parse(_formula(q.expr))), q.name)
    for spec_state, sym, rate in zip(
        PATIENT_STATES, model_sym.patient_states, model_sym.patient_rates, strict=True
    ):
        add_parameter(sym.name, spec_state.initial, spec_state.unit, False, spec_state.meaning)
        rule = model.createRateRule()
        rule.setVariable(sym.name)
        _check(rule.setMath(_parse(_formula(rate))), f"rate of {sym}")
    if events is not None:
        events(model)
    return doc


def dose_event_hook(rows: list[tuple], layout: ParameterLayout):
    """An ``events`` hook for :func:`build_document`: one patient's dose events (rows of
    (time_days, kind name, index, value), as in :class:`~disctwin.engine.EventTable`) as SBML
    events triggered at ``time >= t``; targeted parameters become non-constant.

    Rows at the same time act in order; two rows on the same variable at one time go to
    successive events with decreasing priority, as the engine applies them in sequence.
    """
    from disctwin.model.states import N_DISC_STATES

    def state_id(index: int) -> str:
        n_disc = N_LEVELS * N_DISC_STATES
        if index < n_disc:
            return sbml_id(DISC_STATES[index % N_DISC_STATES].name, index // N_DISC_STATES)
        return PATIENT_STATES[index - n_disc].name

    def parameter_id(index: int) -> str:
        for name in layout.names:
            off, width = layout.offsets[name], layout.widths[name]
            if off <= index < off + width:
                return name if width == 1 else sbml_id(name, index - off)
        raise ValueError(f"no parameter at slot {index}")

    formulas = {
        "state_set": "{v}",
        "state_add": "{x} + {v}",
        "state_multiply": "{x} * {v}",
        "state_toward_one": "{x} + {v} * (1 - {x})",
        "parameter_set": "{v}",
        "parameter_add": "{x} + {v}",
        "parameter_multiply": "{x} * {v}",
    }

    def hook(model) -> None:
        groups: list[tuple[float, list[tuple[str, str]]]] = []
        for time, kind, index, value in rows:
            target = state_id(index) if kind.startswith("state") else parameter_id(index)
            if kind.startswith("parameter"):
                model.getParameter(target).setConstant(False)
            math = formulas[kind].format(x=target, v=repr(float(value)))
            if groups and groups[-1][0] == time and target not in dict(groups[-1][1]):
                groups[-1][1].append((target, math))
            else:
                groups.append((time, [(target, math)]))
        for k, (time, assignments) in enumerate(groups):
            event = model.createEvent()
            event.setId(f"dose_event_{k}")
            event.setUseValuesFromTriggerTime(True)
            trigger = event.createTrigger()
            trigger.setInitialValue(False)
            trigger.setPersistent(True)
            _check(trigger.setMath(_parse(f"time >= {float(time)!r}")), "event trigger")
            priority = event.createPriority()
            _check(priority.setMath(_parse(str(len(groups) - k))), "event priority")
            for target, math in assignments:
                ea = event.createEventAssignment()
                ea.setVariable(target)
                _check(ea.setMath(_parse(math)), f"event assignment of {target}")

    return hook


def _parse(formula: str):
    import libsbml

    ast = libsbml.parseL3Formula(formula)
    if ast is None:
        raise RuntimeError(f"cannot parse formula: {libsbml.getLastParseL3Error()}")
    return ast


def consistency_errors(doc) -> list[str]:
    """Errors (not warnings) from libsbml's consistency checks, as strings."""
    import libsbml

    doc.checkConsistency()
    errors = []
    for i in range(doc.getNumErrors()):
        err = doc.getError(i)
        if err.getSeverity() >= libsbml.LIBSBML_SEV_ERROR:
            errors.append(f"{err.getErrorId()}: {err.getMessage().strip()}")
    return errors


def export_sbml(
    path: str | Path,
    *,
    seed: int = 0,
    patient_index: int | None = None,
    parameter_file: str | None = None,
    regimen=None,
    treatment_age_years: float = 45.0,
) -> Path:
    """Write one virtual patient (``patient_index`` of study ``seed``) or, with
    ``patient_index=None``, the structural model with default parameters, as SBML.

    With a ``regimen`` (:class:`~disctwin.therapies.Regimen`) given at ``treatment_age_years``,
    its doses become SBML events (the patient's own antibodies included).

    Raises:
        ConfigError: invalid index or output path.
    """
    import libsbml

    from disctwin.population import PopulationSpec

    if patient_index is not None:
        check_range("patient_index", patient_index, 0, MAX_PATIENT_INDEX, integer=True)
    check_range("seed", seed, 0, 2**63 - 1, integer=True)
    spec = PopulationSpec(
        n_patients=(patient_index or 0) + 1, seed=seed, parameter_file=parameter_file
    )
    ps = spec.parameter_set()
    pop = spec.sample(patient_index or 0, (patient_index or 0) + 1)
    if patient_index is None:
        from disctwin.population.sampling import default_parameter_vector

        values = default_parameter_vector(ps, pop.layout)
        model_id, name = "disctwin_structural", "DiscTwin structural model (default parameters)"
    else:
        values = pop.parameters[0]
        model_id = f"disctwin_patient_{patient_index}"
        name = f"DiscTwin virtual patient {patient_index} of study seed {seed}"
    events = None
    if regimen is not None and regimen.doses:
        from disctwin.engine import dose_events

        rows, _ = dose_events(pop, regimen, np.array([treatment_age_years * 365.25]))
        events = dose_event_hook([r[1:] for r in rows], pop.layout)
        name += f", treated with {regimen.name} at age {treatment_age_years:g}"
    doc = build_document(ps, pop.layout, values, model_id=model_id, name=name, events=events)
    errors = consistency_errors(doc)
    if errors:
        raise RuntimeError("exported SBML is inconsistent:\n" + "\n".join(errors[:10]))
    path = Path(path)
    if path.is_dir():
        raise ConfigError(Problem("out", str(path), "a file path, not a directory"))
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        if not libsbml.writeSBMLToFile(doc, str(tmp)):
            raise ConfigError(Problem("out", str(path), "a writable file path"))
    return path
