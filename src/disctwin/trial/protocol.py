"""Trial protocols as validated, frozen data: arms, eligibility, randomisation, visits,
dropout, intercurrent events, endpoints, analysis and (optionally) group-sequential looks.

A protocol is a TOML file (see ``examples/protocols/``)::

    [study]
    id = "DT-CELL-201"
    design = "parallel"          # parallel | group_sequential | single_arm
    blinded = true
    n_patients = 60

    [[eligibility]]
    variable = "vas"
    min = 40
    max = 90

    [[arm]]
    name = "saline"
    regimen = "saline_intradiscal"
    allocation = 1
    role = "control"

    [[visit]]
    name = "week52"
    day = 364

    [[endpoint]]
    name = "vas30_w52"
    kind = "responder"
    measure = "vas"
    visit = "week52"
    threshold = 30
    primary = true

:func:`load_protocol` validates a file in two passes and raises one :class:`ConfigError`
naming *every* problem (field, value, what is allowed, nearest valid name for typos):
first the types and ranges of every field (pydantic), then the cross-references (visit and
endpoint names, arms in comparisons, allocation vs block sizes, design rules) and the
medical-need gate (:func:`check_protocol`). :func:`dump_protocol` writes TOML back;
``load(dump(p)) == p``.
"""

from __future__ import annotations

import math
import re
import tomllib
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from disctwin.errors import ConfigError, Problem, read_toml_file, suggest
from disctwin.model.records import records
from disctwin.model.states import LEVELS
from disctwin.trial.endpoints.base import AnyEndpoint, Endpoint, Name, check_endpoint

__all__ = [
    "DISC_VARIABLES",
    "ENHANCEMENT_TERMS",
    "MEASURES",
    "NEED_FLOORS",
    "PATIENT_VARIABLES",
    "Analysis",
    "Arm",
    "Comparison",
    "Criterion",
    "Dropout",
    "Enrolment",
    "FurtherIntervention",
    "MedicalNeed",
    "PopulationConfig",
    "Protocol",
    "Randomisation",
    "Rescue",
    "Sequential",
    "Stratum",
    "Study",
    "Treatment",
    "Visit",
    "check_protocol",
    "dump_protocol",
    "load_protocol",
    "protocol_from_dict",
]

#: Screening variables of a patient: name -> meaning (unit in brackets).
PATIENT_VARIABLES: dict[str, str] = {
    "age_years": "age at screening (years)",
    "female": "1 if female",
    "bmi": "body-mass index (kg/m^2)",
    "manual_labour": "1 if manual occupation",
    "smoker": "1 if smoker",
    "diabetes": "1 if diabetic",
    "depression": "1 if depressed",
    "fear_avoidance": "fear-avoidance beliefs (SD units)",
    "genetic_risk_score": "polygenic risk score (SD units)",
    # the record spec's screening measures: at screening, and (reported ones) at baseline
    **{r.name: f"{r.described}, at screening" for r in records("screening", "patient")},
    **{
        f"baseline_{r.name}": f"{r.described}, at the baseline visit (before dosing and "
        "randomisation): criteria on it confirm eligibility at baseline"
        for r in records("screening", "patient")
        if r.truth == "measured"
    },
    "clbp_duration_months": "months of continuous chronic low back pain before screening, "
    "read from the simulated pain history",
    "moderate_pain_months": "months of continuous low back pain of at least moderate "
    "intensity (NRS >= moderate_pain_nrs, trial/data/history.toml) before screening, read "
    "from the simulated pain history",
    "conservative_care_months": "months of failed conservative care (physiotherapy, exercise, "
    "analgesics) before screening",
    "prior_interventions": "number of prior interventional treatments (injections, ablation)",
    "prior_surgery": "1 if prior lumbar surgery",
    "opioid_use": "1 if on long-term opioids at screening",
    "failed_all_therapies": "1 if conservative care >= 6 months, >= 2 prior interventions and "
    "opioids have all failed (compassionate-use eligibility)",
}

#: Screening MRI variables of each lumbar level: name -> meaning (the record spec's
#: ``screening`` disc records, :mod:`disctwin.model.records`).
DISC_VARIABLES: dict[str, str] = {r.name: r.described for r in records("screening", "disc")}

#: Measures recorded at every visit, which endpoints read: name -> meaning (unit) (the record
#: spec's ``visit`` records).
MEASURES: dict[str, str] = {r.name: r.described for r in records("visit")}

#: Built-in regimens that give no therapeutic agent (controls); anything else is therapeutic.
CONTROL_REGIMENS = ("none", "sham_intradiscal", "saline_intradiscal", "vehicle_ha_intradiscal")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Study(_Frozen):
    """What the study is.

    Attributes:
        id: study identifier (STUDYID in the CDISC output).
        title: free text.
        design: ``parallel`` (fixed-size randomised), ``group_sequential`` (interim looks, see
            :class:`Sequential`) or ``single_arm`` (e.g. compassionate use; no control).
        phase: free label ("1/2", "3", "compassionate use").
        blinded: patients and assessors blind to arm; every arm then receives a procedure
            (sham, vehicle or active), and blinded arms share the expectation effect.
        n_patients: total number of patients to enrol (all arms).
    """

    id: Name = "DISCTWIN-TRIAL"
    title: str = ""
    design: Literal["parallel", "group_sequential", "single_arm"] = "parallel"
    phase: str = ""
    blinded: bool = False
    n_patients: int = Field(default=100, ge=2, le=100_000)


class PopulationConfig(_Frozen):
    """Who is screened: the virtual population and its age at screening.

    Attributes:
        age_years: (low, high) screening ages, drawn uniformly per patient (years).
        parameter_file / covariate_file: model parameter and covariate sets (default packaged).
        max_screened: screening stops after this many candidates; a trial that has not
            reached ``n_patients`` by then is reported as under-enrolled.
    """

    age_years: tuple[float, float] = (18.0, 70.0)
    parameter_file: str | None = None
    covariate_file: str | None = None
    max_screened: int = Field(default=20_000, ge=1, le=10_000_000)


class Criterion(_Frozen):
    """One eligibility criterion on a screening variable.

    The condition holds when ``min <= x <= max`` and ``x == equals`` (each bound optional).
    For a disc variable it is counted over ``levels``: it holds when the number of listed
    levels meeting it lies in ``n_levels`` (default: at least one). An inclusion criterion
    fails a patient when its condition does not hold, an exclusion criterion when it does.
    """

    name: str | None = None
    kind: Literal["inclusion", "exclusion"] = "inclusion"
    variable: str
    min: float | None = None
    max: float | None = None
    equals: float | None = None
    levels: tuple[str, ...] | None = None
    n_levels: tuple[int, int] | None = None

    @property
    def label(self) -> str:
        """The name used in screen-failure counts."""
        if self.name:
            return self.name
        parts = []
        if self.min is not None:
            parts.append(f">= {self.min:g}")
        if self.max is not None:
            parts.append(f"<= {self.max:g}")
        if self.equals is not None:
            parts.append(f"== {self.equals:g}")
        return f"{self.kind} {self.variable} {' '.join(parts)}".strip()


class Arm(_Frozen):
    """A treatment arm.

    Attributes:
        name: arm code (ARMCD), e.g. ``"saline"``, ``"high_dose"``.
        regimen: a built-in regimen name or a regimen TOML path (relative to the protocol).
        allocation: allocation ratio weight (integers; 1:1:2 ...).
        role: ``control`` or ``active`` (comparisons default to each active vs the first
            control).
        non_therapeutic: the arm enrols without the medical indication on purpose; allowed
            only for a control arm giving no therapeutic agent (sham, saline, vehicle, none),
            with ``non_therapeutic_reason``. Therapeutic regimens are for patients with the
            indication (:class:`MedicalNeed`); enhancement purposes are refused.
    """

    name: Name
    regimen: str = Field(min_length=1)
    allocation: int = Field(default=1, ge=1, le=100)
    role: Literal["active", "control"] = "active"
    non_therapeutic: bool = False
    non_therapeutic_reason: str | None = None


class Treatment(_Frozen):
    """Which discs the regimens treat.

    Attributes:
        index_level_criterion: the ``name`` of an inclusion criterion on a disc variable;
            the levels meeting its condition are each patient's index levels, which regimens
            dosing ``levels = "index"`` treat (e.g. "Pfirrmann III-IV at L3/4 to L5/S1").
            None: the regimen's default level.
    """

    index_level_criterion: str | None = None


class Enrolment(_Frozen):
    """Accrual: patients start at a Poisson rate; baseline follows screening.

    Attributes:
        rate_per_month: mean enrolments per month (calendar timing of interim looks).
        screening_to_baseline_days: days from the screening visit to baseline (day 0).
    """

    rate_per_month: float = Field(default=10.0, gt=0.0, le=10_000.0)
    screening_to_baseline_days: float = Field(default=14.0, ge=1.0, le=365.0)


class Stratum(_Frozen):
    """A stratification factor: a patient variable, cut at ``cuts`` if continuous."""

    variable: str
    cuts: tuple[float, ...] = ()


class Randomisation(_Frozen):
    """Stratified permuted-block randomisation.

    Attributes:
        method: ``permuted_blocks`` or ``simple`` (independent draws by allocation ratio).
        block_sizes: block lengths drawn at random per block (each a multiple of the sum of
            allocation ratios); default: twice the sum.
        strata: stratification factors; each combination of levels is one stratum with its
            own block sequence.
    """

    method: Literal["permuted_blocks", "simple"] = "permuted_blocks"
    block_sizes: tuple[int, ...] = ()
    strata: tuple[Stratum, ...] = ()


class Visit(_Frozen):
    """A post-baseline visit: name and day after treatment (baseline is day 0)."""

    name: Name
    day: float = Field(gt=0.0, le=36_525.0)
    mri: bool = False


class Dropout(_Frozen):
    """Loss to follow-up between visits.

    The hazard between visits is ``-ln(1 - annual_rate)/365.25 * exp(pain_log_hazard_per_10_vas
    * (VAS_last - vas_reference) / 10)`` per day, where ``VAS_last`` is the VAS at the last
    attended visit: completely at random when ``pain_log_hazard_per_10_vas = 0``, more
    dropout in patients still in pain when it is positive (missing not at random given
    the treatment, at random given the observed history).
    """

    annual_rate: float = Field(default=0.10, ge=0.0, lt=1.0)
    pain_log_hazard_per_10_vas: float = Field(default=0.0, ge=-5.0, le=5.0)
    vas_reference: float = Field(default=50.0, ge=0.0, le=100.0)


class Rescue(_Frozen):
    """Rescue medication: started at the first visit with VAS >= ``vas_threshold``; it lowers
    later reported pain by ``vas_effect`` VAS points (NRS and ODI proportionally). No rescue
    when ``vas_threshold`` is not given."""

    vas_threshold: float | None = Field(default=None, ge=0.0, le=100.0)
    vas_effect: float = Field(default=0.0, ge=0.0, le=50.0)


class FurtherIntervention(_Frozen):
    """Further intervention (surgery or another procedure): at each visit with VAS >=
    ``vas_threshold`` it happens with ``probability_per_visit``. It is an intercurrent event
    (composite endpoints count it as failure) and a time-to-event endpoint. None when
    ``vas_threshold`` is not given."""

    vas_threshold: float | None = Field(default=None, ge=0.0, le=100.0)
    probability_per_visit: float = Field(default=0.05, ge=0.0, le=1.0)


class Comparison(_Frozen):
    """A treatment-vs-control comparison between two arms."""

    treatment: str
    control: str


class Analysis(_Frozen):
    """How endpoints are analysed.

    Attributes:
        alpha: two-sided significance level of each test (fixed designs).
        null_response_rate: single-arm designs: the response rate without the therapy that
            the exact binomial test compares against.
        multiplicity: adjustment across comparisons of the primary endpoint.
        covariates: extra baseline covariates of ANCOVA (patient variables).
    """

    alpha: float = Field(default=0.05, gt=0.0, lt=0.5)
    null_response_rate: float = Field(default=0.2, gt=0.0, lt=1.0)
    multiplicity: Literal["none", "bonferroni", "holm", "hochberg"] = "none"
    covariates: tuple[str, ...] = ()


class Sequential(_Frozen):
    """Group-sequential looks at the primary endpoint (one comparison).

    Attributes:
        information_fractions: fraction of patients with the primary visit at each look,
            ascending, the last 1.
        spending: Lan-DeMets alpha spending (``obrien_fleming`` or ``pocock``).
        futility: non-binding beta spending for futility stops (or none).
        alpha: one-sided level.
        beta: type II error for the futility boundary.
    """

    information_fractions: tuple[float, ...] = (0.5, 1.0)
    spending: Literal["obrien_fleming", "pocock"] = "obrien_fleming"
    futility: Literal["obrien_fleming", "pocock"] | None = None
    alpha: float = Field(default=0.025, gt=0.0, lt=0.5)
    beta: float = Field(default=0.1, gt=0.0, lt=0.5)


def _need_floors() -> dict[str, float]:
    """The package's medical-need floors (``trial/data/medical_need.toml``)."""
    from importlib import resources

    text = resources.files("disctwin.trial").joinpath("data", "medical_need.toml").read_text()
    return {k: float(v["value"]) for k, v in tomllib.loads(text)["floor"].items()}


#: The package's floors of the indication (sourced in ``trial/data/medical_need.toml``).
NEED_FLOORS: dict[str, float] = _need_floors()


class MedicalNeed(_Frozen):
    """The indication every therapeutic arm must require at screening (the medical-need gate).

    The floors are the package's (:data:`NEED_FLOORS`, sourced); a protocol may raise them
    (a stricter indication) but never lower them.

    Attributes:
        min_vas / min_nrs: the weakest pain-intensity inclusion accepted (VAS or NRS, at
            screening or at baseline).
        min_clbp_duration_months: the shortest chronic-pain duration inclusion accepted.
    """

    min_vas: float = Field(default=NEED_FLOORS["min_vas"], ge=NEED_FLOORS["min_vas"], le=100.0)
    min_nrs: float = Field(default=NEED_FLOORS["min_nrs"], ge=NEED_FLOORS["min_nrs"], le=10.0)
    min_clbp_duration_months: float = Field(
        default=NEED_FLOORS["min_clbp_duration_months"],
        ge=NEED_FLOORS["min_clbp_duration_months"],
        le=600.0,
    )


class Protocol(_Frozen):
    """A whole trial protocol (see module docs). Build with :func:`load_protocol` or
    :func:`protocol_from_dict`, which also run :func:`check_protocol`."""

    study: Study = Study()
    population: PopulationConfig = PopulationConfig()
    eligibility: tuple[Criterion, ...] = ()
    arm: tuple[Arm, ...] = Field(min_length=1)
    treatment: Treatment = Treatment()
    enrolment: Enrolment = Enrolment()
    randomisation: Randomisation = Randomisation()
    visit: tuple[Visit, ...] = Field(min_length=1)
    dropout: Dropout = Dropout()
    rescue: Rescue = Rescue()
    further_intervention: FurtherIntervention = FurtherIntervention()
    endpoint: tuple[AnyEndpoint, ...] = Field(min_length=1)
    comparison: tuple[Comparison, ...] = ()
    analysis: Analysis = Analysis()
    sequential: Sequential | None = None
    medical_need: MedicalNeed = MedicalNeed()
    base_dir: str | None = Field(default=None, exclude=True)

    # ------------------------------------------------------------------ derived views
    @property
    def primary(self) -> Endpoint:
        return next(e for e in self.endpoint if e.primary)

    def endpoint_named(self, name: str) -> Endpoint:
        return next(e for e in self.endpoint if e.name == name)

    def visit_named(self, name: str) -> Visit:
        return next(v for v in self.visit if v.name == name)

    @property
    def comparisons(self) -> tuple[Comparison, ...]:
        """The comparisons analysed: as given, else each active arm vs the first control."""
        if self.comparison or self.study.design == "single_arm":
            return self.comparison
        controls = [a.name for a in self.arm if a.role == "control"]
        if not controls:
            return ()
        return tuple(
            Comparison(treatment=a.name, control=controls[0])
            for a in self.arm
            if a.role == "active"
        )

    def regimen_path(self, arm: Arm) -> str:
        """The arm's regimen as :func:`disctwin.therapies.load_regimen` takes it: a built-in
        name, or a file path resolved against the protocol's directory."""
        reg = arm.regimen
        if reg.endswith(".toml") and self.base_dir and not Path(reg).is_absolute():
            return str(Path(self.base_dir) / reg)
        return reg


# ---------------------------------------------------------------------------- validation


def _model_at(model: type[BaseModel], loc: tuple, raw: Any) -> type[BaseModel] | None:
    """The pydantic model class that owns the last key of ``loc`` (for name suggestions);
    ``raw`` is the data, whose endpoint tables name their kind's model."""
    current: Any = model
    node: Any = raw
    for key in loc[:-1]:
        if isinstance(key, int):
            node = node[key] if isinstance(node, list) and key < len(node) else None
            if hasattr(current, "for_data"):
                current = current.for_data(node)
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(str(key))
        if field is None:
            return None
        current = _inner_model(field.annotation)
        node = node.get(key) if isinstance(node, dict) else None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        inner = _inner_model(arg)
        if inner is not None:
            return inner
    return None


def _field_path(loc: tuple, raw: dict) -> str:
    parts: list[str] = []
    node: Any = raw
    for key in loc:
        if isinstance(key, int):
            label = f"[{key}]"
            if isinstance(node, list) and key < len(node) and isinstance(node[key], dict):
                name = node[key].get("name")
                if isinstance(name, str):
                    label = f"[{key}] ({name})"
            parts.append(label)
            node = node[key] if isinstance(node, list) and key < len(node) else None
        else:
            parts.append(("." if parts else "") + str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return "".join(parts) or "protocol"


def _allowed_literal(model: type[BaseModel] | None, key: str) -> list[str]:
    if model is None or key not in model.model_fields:
        return []
    values: list[str] = []

    def walk(ann: Any) -> None:
        if get_origin(ann) is Literal:
            values.extend(str(a) for a in get_args(ann))
        else:
            for a in get_args(ann):
                walk(a)

    walk(model.model_fields[key].annotation)
    return values


def _pydantic_problems(err: ValidationError, raw: dict) -> list[Problem]:
    problems = []
    for e in err.errors():
        loc = tuple(e["loc"])
        # union members report once per member; keep the message, drop the member tag
        loc = tuple(k for k in loc if not (isinstance(k, str) and ("[" in k or k in _TAGS)))
        field = _field_path(loc, raw)
        owner = _model_at(Protocol, loc, raw) if loc else Protocol
        key = str(loc[-1]) if loc and not isinstance(loc[-1], int) else ""
        msg = e["msg"].removeprefix("Value error, ").removeprefix("Input should be ")
        suggestion = None
        if e["type"] == "extra_forbidden" and owner is not None:
            names = list(owner.model_fields)
            if owner is Protocol:
                names.remove("base_dir")
            msg = "one of: " + ", ".join(names)
            suggestion = suggest(key, names)
        elif e["type"] == "literal_error":
            allowed = _allowed_literal(owner, key)
            if allowed and isinstance(e.get("input"), str):
                suggestion = suggest(e["input"], allowed)
        elif e["type"] == "unknown_name":  # a name missing from a registry
            suggestion = suggest(str(e.get("input")), e["ctx"]["names"].split(", "))
        elif e["type"] == "too_short" and any(
            tuple(x["loc"][: len(loc)]) == loc and len(x["loc"]) > len(loc) for x in err.errors()
        ):
            continue  # the items that failed are named; that none is left follows from them
        problems.append(Problem(field, e.get("input"), msg, suggestion))
    # a union failing reports each member: keep one problem per field and value
    unique: dict[tuple[str, str], Problem] = {}
    for p in problems:
        unique.setdefault((p.field, repr(p.value)), p)
    return list(unique.values())


_TAGS = ("float", "int", "str", "bool", "none", "tuple", "Sequential")


def check_protocol(protocol: Protocol) -> list[Problem]:
    """Cross-field rules and the medical-need gate; every problem found, none raised."""
    problems: list[Problem] = []
    for check in (
        _check_names,
        _check_eligibility,
        _check_arms,
        _check_randomisation,
        _check_endpoints,
        _check_comparisons,
        _check_sequential,
    ):
        problems.extend(check(protocol))
    return problems


def _check_names(p: Protocol) -> list[Problem]:
    """Unique names, ascending visit days, the screening age range."""
    problems: list[Problem] = []
    arm_names = [a.name for a in p.arm]
    visit_names = [v.name for v in p.visit]
    endpoint_names = [e.name for e in p.endpoint]
    for kind, names in (("arm", arm_names), ("visit", visit_names), ("endpoint", endpoint_names)):
        for dup in sorted({n for n in names if names.count(n) > 1}):
            problems.append(Problem(f"{kind} ({dup})", dup, f"unique {kind} names"))
    days = [v.day for v in p.visit]
    if any(b <= a for a, b in pairwise(days)):
        problems.append(Problem("visit.day", days, "strictly increasing days after baseline"))

    lo, hi = p.population.age_years
    if not 18.0 <= lo <= hi <= 90.0:
        problems.append(
            Problem("population.age_years", [lo, hi], "low <= high, within 18-90 years")
        )
    return problems


def _check_eligibility(p: Protocol) -> list[Problem]:
    """Each criterion, and the criterion that picks the index levels."""
    problems: list[Problem] = []
    for i, c in enumerate(p.eligibility):
        problems.extend(_check_criterion(f"eligibility[{i}]", c))
    index = p.treatment.index_level_criterion
    if index is not None:
        disc_named = [
            c.name
            for c in p.eligibility
            if c.name and c.variable in DISC_VARIABLES and c.kind == "inclusion"
        ]
        if index not in disc_named:
            problems.append(
                Problem(
                    "treatment.index_level_criterion",
                    index,
                    "the name of an inclusion criterion on a disc variable: "
                    + (", ".join(disc_named) or "(none named in this protocol)"),
                    suggest(index, disc_named),
                )
            )
    return problems


def _check_arms(p: Protocol) -> list[Problem]:
    """Arms against the design and blinding, and the medical-need gate."""
    problems: list[Problem] = []
    arm_names = [a.name for a in p.arm]
    design = p.study.design
    controls = [a for a in p.arm if a.role == "control"]
    if design == "single_arm":
        if len(p.arm) != 1:
            problems.append(Problem("arm", arm_names, "exactly one arm for design 'single_arm'"))
        if p.study.blinded:
            problems.append(Problem("study.blinded", True, "false for an open single-arm cohort"))
    else:
        if len(p.arm) < 2:
            problems.append(
                Problem("arm", arm_names, f"at least two arms for design {design!r}", None)
            )
        if not controls and not p.comparison:
            problems.append(
                Problem("arm.role", [a.role for a in p.arm], "at least one arm with role 'control'")
            )
    if p.study.blinded:
        for i, a in enumerate(p.arm):
            if a.regimen == "none":
                problems.append(
                    Problem(
                        f"arm[{i}] ({a.name}).regimen",
                        a.regimen,
                        "a procedure (sham, vehicle, saline or active) in a blinded trial; "
                        "no-treatment arms cannot be blinded",
                        "sham_intradiscal",
                    )
                )
    problems.extend(_non_therapeutic_arms(p))
    problems.extend(_medical_need(p))
    return problems


def _check_randomisation(p: Protocol) -> list[Problem]:
    """Block sizes, strata and the ANCOVA covariates."""
    problems: list[Problem] = []
    total = sum(a.allocation for a in p.arm)
    for b in p.randomisation.block_sizes:
        if b < total or b % total:
            problems.append(
                Problem(
                    "randomisation.block_sizes",
                    list(p.randomisation.block_sizes),
                    f"multiples of the allocation total {total}",
                )
            )
            break
    for i, s in enumerate(p.randomisation.strata):
        if s.variable not in PATIENT_VARIABLES:
            problems.append(
                Problem(
                    f"randomisation.strata[{i}].variable",
                    s.variable,
                    "a patient variable: " + ", ".join(PATIENT_VARIABLES),
                    suggest(s.variable, PATIENT_VARIABLES),
                )
            )
        if list(s.cuts) != sorted(set(s.cuts)):
            problems.append(
                Problem(f"randomisation.strata[{i}].cuts", list(s.cuts), "strictly ascending")
            )
    for i, name in enumerate(p.analysis.covariates):
        if name not in PATIENT_VARIABLES:
            problems.append(
                Problem(
                    f"analysis.covariates[{i}]",
                    name,
                    "a patient variable",
                    suggest(name, PATIENT_VARIABLES),
                )
            )
    return problems


def _check_endpoints(p: Protocol) -> list[Problem]:
    """One primary endpoint; each endpoint by its kind (:func:`check_endpoint`)."""
    problems: list[Problem] = []
    primaries = [e.name for e in p.endpoint if e.primary]
    if len(primaries) != 1:
        problems.append(Problem("endpoint.primary", primaries, "exactly one primary endpoint"))
    for i, e in enumerate(p.endpoint):
        problems.extend(check_endpoint(f"endpoint[{i}] ({e.name})", e, p))
    return problems


def _check_comparisons(p: Protocol) -> list[Problem]:
    """Comparisons name two different arms (none in a single-arm design)."""
    problems: list[Problem] = []
    arm_names = [a.name for a in p.arm]
    design = p.study.design
    for i, c in enumerate(p.comparison):
        for role in ("treatment", "control"):
            name = getattr(c, role)
            if name not in arm_names:
                problems.append(
                    Problem(
                        f"comparison[{i}].{role}", name, "an arm name", suggest(name, arm_names)
                    )
                )
        if c.treatment == c.control:
            problems.append(Problem(f"comparison[{i}]", c.treatment, "two different arms"))
    if design == "single_arm" and p.comparison:
        problems.append(Problem("comparison", len(p.comparison), "none for a single-arm design"))
    return problems


def _check_sequential(p: Protocol) -> list[Problem]:
    """The [sequential] table exactly when the design is group-sequential."""
    problems: list[Problem] = []
    design = p.study.design
    if design == "group_sequential":
        if p.sequential is None:
            problems.append(
                Problem("sequential", None, "a [sequential] table for a group-sequential design")
            )
        else:
            f = list(p.sequential.information_fractions)
            ok = all(0 < x <= 1 for x in f) and all(b > a for a, b in pairwise(f))
            if not ok or not f or not math.isclose(f[-1], 1.0):
                problems.append(
                    Problem(
                        "sequential.information_fractions",
                        f,
                        "strictly increasing fractions in (0, 1], the last 1",
                    )
                )
        if len(p.comparisons) != 1:
            problems.append(
                Problem(
                    "comparison",
                    [(c.treatment, c.control) for c in p.comparisons],
                    "exactly one comparison in a group-sequential design",
                )
            )
    elif p.sequential is not None:
        problems.append(
            Problem("sequential", "table", "only with study.design = 'group_sequential'")
        )
    return problems


def _check_criterion(field: str, c: Criterion) -> list[Problem]:
    problems = []
    known = {**PATIENT_VARIABLES, **DISC_VARIABLES}
    if c.variable not in known:
        problems.append(
            Problem(
                f"{field}.variable",
                c.variable,
                "a screening variable: " + ", ".join(known),
                suggest(c.variable, known),
            )
        )
    if c.min is None and c.max is None and c.equals is None:
        problems.append(Problem(field, c.variable, "at least one of min, max, equals"))
    if c.min is not None and c.max is not None and c.min > c.max:
        problems.append(Problem(f"{field}.min", c.min, f"<= max ({c.max:g})"))
    is_disc = c.variable in DISC_VARIABLES
    if not is_disc and (c.levels is not None or c.n_levels is not None):
        problems.append(
            Problem(f"{field}.levels", c.levels, "levels/n_levels only for disc variables")
        )
    if c.levels is not None:
        for lvl in c.levels:
            if lvl not in LEVELS:
                problems.append(
                    Problem(f"{field}.levels", lvl, ", ".join(LEVELS), suggest(lvl, LEVELS))
                )
    if c.n_levels is not None:
        n_listed = len(c.levels) if c.levels is not None else len(LEVELS)
        a, b = c.n_levels
        if not 0 <= a <= b <= n_listed:
            problems.append(
                Problem(f"{field}.n_levels", list(c.n_levels), f"0 <= low <= high <= {n_listed}")
            )
    return problems


#: Each pain report an eligibility criterion can read (screening or baseline visit), and the
#: medical-need floor (a field of :class:`MedicalNeed`) on its scale.
_PAIN_FLOOR = {
    "vas": "min_vas",
    "baseline_vas": "min_vas",
    "nrs": "min_nrs",
    "baseline_nrs": "min_nrs",
}


#: Eligibility variables that establish chronic duration (months of pain up to screening;
#: pain of at least moderate intensity is also pain).
_CHRONICITY = ("clbp_duration_months", "moderate_pain_months")


#: Words that name an enhancement purpose (lower case, matched as word starts).
ENHANCEMENT_TERMS = (
    "enhanc",
    "performance",
    "athlet",
    "sport",
    "doping",
    "cosmetic",
    "lifestyle",
    "augment",
    "optimi",
    "stronger",
    "endurance",
    "military",
    "soldier",
    "competitive",
    "recreational",
    "anti-ageing",
    "anti-aging",
    "longevity",
    "healthy people",
    "non-medical",
)


def _enhancement(text: str | None) -> str | None:
    """The enhancement term a text names, if any."""
    low = (text or "").lower()
    words = re.findall(r"[a-z][a-z-]*", low)
    for term in ENHANCEMENT_TERMS:
        if " " in term and term in low:
            return term
        if any(w.startswith(term) for w in words):
            return term
    return None


def _non_therapeutic_arms(p: Protocol) -> list[Problem]:
    """Therapy for medical necessity only: an arm may enrol without the indication only as a
    control (no therapeutic agent), with a reason; no arm, reason or study text may state an
    enhancement purpose."""
    problems: list[Problem] = []
    refusal = (
        "therapy for medical necessity only: DiscTwin does not simulate enhancement "
        "(performance, sport, cosmetic or other non-medical) uses"
    )
    for field, text in (("study.title", p.study.title),):
        term = _enhancement(text)
        if term:
            problems.append(Problem(field, text, f"{refusal} (names {term!r})"))
    for i, a in enumerate(p.arm):
        where = f"arm[{i}] ({a.name})"
        term = _enhancement(a.non_therapeutic_reason) or _enhancement(a.name)
        if term:
            problems.append(
                Problem(
                    f"{where}.non_therapeutic_reason" if a.non_therapeutic_reason else where,
                    a.non_therapeutic_reason or a.name,
                    f"{refusal} (names {term!r})",
                )
            )
        if not a.non_therapeutic:
            continue
        if not (a.non_therapeutic_reason or "").strip():
            problems.append(
                Problem(
                    f"{where}.non_therapeutic_reason",
                    a.non_therapeutic_reason,
                    "the reason a non-therapeutic control arm enrols patients without the "
                    "indication",
                )
            )
        if a.regimen not in CONTROL_REGIMENS or a.role != "control":
            problems.append(
                Problem(
                    f"{where}.non_therapeutic",
                    True,
                    "only a control arm giving no therapeutic agent ("
                    + ", ".join(CONTROL_REGIMENS)
                    + ") may enrol without the indication: a therapeutic regimen is for "
                    "patients with the medical need",
                )
            )
    return problems


def _medical_need(p: Protocol) -> list[Problem]:
    """Therapy only for medical need: every arm giving a therapeutic regimen must require
    the indication (pain of at least moderate intensity and chronic duration), unless it is
    explicitly marked non-therapeutic with a reason."""
    need = p.medical_need
    pain_ok = clbp_ok = False
    for c in p.eligibility:
        if c.kind != "inclusion" or c.min is None:
            continue
        floor = _PAIN_FLOOR.get(c.variable)
        if floor is not None and c.min >= getattr(need, floor):
            pain_ok = True
        if c.variable in _CHRONICITY and c.min >= need.min_clbp_duration_months:
            clbp_ok = True
        if c.variable == "failed_all_therapies" and c.min >= 1:
            clbp_ok = True
    if pain_ok and clbp_ok:
        return []
    missing = []
    if not pain_ok:
        missing.append(
            " or ".join(f"{v} min >= {getattr(need, f):g}" for v, f in _PAIN_FLOOR.items())
        )
    if not clbp_ok:
        missing.append(
            " or ".join(f"{v} min >= {need.min_clbp_duration_months:g}" for v in _CHRONICITY)
        )
    problems = []
    for i, a in enumerate(p.arm):
        if a.regimen in CONTROL_REGIMENS:
            continue
        problems.append(
            Problem(
                f"arm[{i}] ({a.name})",
                a.regimen,
                "a therapeutic arm enrols only patients with the indication: add inclusion "
                "criteria " + " and ".join(missing) + " (the package's floors, "
                "trial/data/medical_need.toml; non_therapeutic arms may only be controls)",
            )
        )
    return problems


def protocol_from_dict(data: dict, base_dir: str | Path | None = None) -> Protocol:
    """Validate a protocol given as a dict (parsed TOML).

    Raises:
        ConfigError: naming every problem (types and ranges, references, design rules).
    """
    raw = dict(data)
    raw.pop("base_dir", None)
    try:
        protocol = Protocol.model_validate(
            {**raw, "base_dir": str(base_dir) if base_dir is not None else None}
        )
    except ValidationError as err:
        raise ConfigError(_pydantic_problems(err, raw)) from None
    problems = check_protocol(protocol)
    if problems:
        raise ConfigError(problems)
    return protocol


def load_protocol(path: str | Path) -> Protocol:
    """Load and validate a protocol TOML (regimen paths are relative to its directory)."""
    path = Path(path)
    data = read_toml_file(path, "protocol")
    return protocol_from_dict(data, base_dir=path.parent.resolve())


# ------------------------------------------------------------------------------- writing


def _toml_value(v: Any) -> str:
    if isinstance(v, _InlineTables):
        items = []
        for d in v:
            body = ", ".join(f"{k} = {_toml_value(x)}" for k, x in d.items() if x is not None)
            items.append("{ " + body + " }")
        return "[" + ", ".join(items) + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return {True: "inf", False: "-inf"}[v > 0] if math.isinf(v) else "nan"
        return repr(v)
    if isinstance(v, str):
        escaped = v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        escaped = "".join(
            c
            if c.isprintable()
            else (f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}")
            for c in escaped
        )
        return f'"{escaped}"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _toml_table(d: dict) -> list[str]:
    return [f"{k} = {_toml_value(v)}" for k, v in d.items() if v is not None]


def dump_protocol(protocol: Protocol) -> str:
    """The protocol as TOML text (defaults written out; ``load(dump(p)) == p``)."""
    data = protocol.model_dump(mode="python", exclude={"base_dir"})
    lines: list[str] = []
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, dict):
            lines += [f"[{key}]", *_toml_table(_nested_inline(value)), ""]
        else:  # arrays of tables
            for item in value:
                lines += [f"[[{key}]]", *_toml_table(_nested_inline(item)), ""]
    return "\n".join(lines)


def _nested_inline(d: dict) -> dict:
    """Tables inside tables (randomisation.strata) become inline tables."""
    out = {}
    for k, v in d.items():
        if isinstance(v, (list, tuple)) and v and isinstance(v[0], dict):
            out[k] = _InlineTables(v)
        else:
            out[k] = v
    return out


class _InlineTables(list):
    """A list of tables written inline (``[{ a = 1 }, { a = 2 }]``)."""
