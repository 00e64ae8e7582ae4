"""The endpoint interface: every endpoint kind is its protocol fields and a few functions.

An endpoint kind (:class:`AbstractEndpoint`) declares

* ``kind``: its name in protocol files (``kind = "change"``);
* ``Settings``: the pydantic model of its protocol fields, a subclass of :class:`Endpoint`
  (validated, frozen, written back by :func:`~disctwin.trial.protocol.dump_protocol`);
* ``methods``: the registered analysis methods (:data:`METHODS`) it allows in a comparison
  of two arms, the first being its default; ``single_arm_method``: the method of a
  single-arm cohort (None: not analysed there);
* ``direction``: -1 when a lower value favours the treatment (pain change, log hazard
  ratio of failure), +1 when a higher one does (response);

and implements

* :meth:`AbstractEndpoint.values`: each patient's value from the follow-up
  (:class:`~disctwin.trial.endpoints.followup.FollowUp`), its baseline and whether the
  patient counts (visit due, and attended where the kind needs it);
* :meth:`AbstractEndpoint.analysis_day`: the day after baseline by which it is known
  (group-sequential looks count patients past it);
* :meth:`AbstractEndpoint.check`: its cross-field problems in a protocol;
* :meth:`AbstractEndpoint.adam_rows`: the ADaM records written for it, beyond the per-visit
  ADQS rows every measure has;
* :meth:`AbstractEndpoint.truth` (default: the analysis method's estimand of the two
  worlds, :meth:`AbstractMethod.truth`).

Analysis methods (:class:`AbstractMethod`: ANCOVA, MMRM, risk difference, logistic, Cox,
exact binomial...) are registered by name the same way; a protocol endpoint names one in
``analysis``. Kinds register with :func:`register`, methods with :func:`register_method`; a
meta-test fails if one is not, and every registered kind passes the same contract tests
(``tests/trial/test_endpoint_contract.py``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
)
from pydantic_core import PydanticCustomError

from disctwin.errors import Problem, suggest
from disctwin.model.records import record, records
from disctwin.trial.endpoints.followup import FollowUp

if TYPE_CHECKING:  # the protocol module reads this registry: no import cycle
    from disctwin.stats.analysis import Estimate
    from disctwin.trial.protocol import Protocol

__all__ = [
    "ENDPOINTS",
    "METHODS",
    "AbstractEndpoint",
    "AbstractMethod",
    "AnalysisData",
    "AnyEndpoint",
    "Endpoint",
    "EndpointValues",
    "adqs_subject_rows",
    "analysis_day",
    "check_endpoint",
    "check_visit",
    "endpoint_kind",
    "endpoint_truth",
    "endpoint_values",
    "favourable",
    "parameter_codes",
    "register",
    "register_method",
    "short_code",
]

#: A name in a protocol (arm, visit, endpoint).
Name = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$", max_length=40)]


class Endpoint(BaseModel):
    """The protocol fields every endpoint has; each kind's ``Settings`` adds its own.

    Attributes:
        name: endpoint name (its ADaM PARAMCD is :func:`parameter_codes`' abbreviation).
        kind: a registered endpoint kind (:data:`ENDPOINTS`).
        measure: the measure it reads (:data:`disctwin.trial.protocol.MEASURES`); its
            baseline is the ANCOVA and logistic covariate.
        analysis: a registered analysis method the kind allows (None: the kind's default).
        primary: the primary endpoint (exactly one per protocol).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Name
    kind: str
    measure: str = "vas"
    analysis: str | None = None
    primary: bool = False

    @field_validator("measure")
    @classmethod
    def _a_visit_measure(cls, measure: str) -> str:
        names = [r.name for r in records("visit")]
        if measure not in names:
            raise PydanticCustomError(
                "unknown_name", "one of the visit measures: {names}", {"names": ", ".join(names)}
            )
        return measure

    @field_validator("kind")
    @classmethod
    def _registered(cls, kind: str) -> str:
        if kind not in ENDPOINTS:
            names = ", ".join(ENDPOINTS)
            raise PydanticCustomError("unknown_name", "one of: {names}", {"names": names})
        return kind

    @property
    def method(self) -> str:
        """The analysis used (the kind's default when none is named)."""
        return self.analysis or ENDPOINTS[self.kind].methods[0]

    @classmethod
    def for_data(cls, data: Any) -> type[Endpoint]:
        """The ``Settings`` model of the kind ``data`` names (the base for an unknown one)."""
        kind = data.get("kind") if isinstance(data, dict) else None
        return ENDPOINTS[kind].Settings if isinstance(kind, str) and kind in ENDPOINTS else cls


def _as_kind(value: Any, handler: ValidatorFunctionWrapHandler) -> Endpoint:
    """Validate a protocol's endpoint table with its kind's ``Settings``. A table of an
    unknown kind is checked on its name and kind alone: its other fields mean nothing
    without the kind."""
    if isinstance(value, dict):
        settings = Endpoint.for_data(value)
        if settings is Endpoint:
            return handler({k: value[k] for k in ("name", "kind") if k in value})
        return settings.model_validate(value)
    return handler(value)


#: The type of a protocol's endpoint: any kind's settings, written with all its fields.
AnyEndpoint = SerializeAsAny[Annotated[Endpoint, WrapValidator(_as_kind)]]


@dataclass(frozen=True)
class EndpointValues:
    """One endpoint for n patients.

    Attributes:
        value: (n,) change, percent change, area or 0/1 response; time (days) for time to
            event.
        baseline: (n,) baseline of the endpoint's measure.
        event: (n,) 1 event, 0 censored (time to event only; else None).
        available: (n,) the patient counts in the analysis (visit due; for change endpoints
            also attended).
        imputed: (n,) the value is imputed, not observed (a responder's missed visit counted
            as non-response: ADaM ``DTYPE = "NRI"``); None: no value is imputed.
    """

    value: np.ndarray
    baseline: np.ndarray
    event: np.ndarray | None
    available: np.ndarray
    imputed: np.ndarray | None = None

    def subset(self, rows: np.ndarray) -> EndpointValues:
        """The same endpoint for the patients ``rows`` (indices or a mask)."""
        return EndpointValues(
            self.value[rows],
            self.baseline[rows],
            None if self.event is None else self.event[rows],
            self.available[rows],
            None if self.imputed is None else self.imputed[rows],
        )

    @property
    def events(self) -> np.ndarray:
        """:attr:`event` of a time-to-event endpoint."""
        if self.event is None:
            raise ValueError("not a time-to-event endpoint: no event indicators")
        return self.event


@dataclass(frozen=True)
class AnalysisData:
    """What an analysis method is given for one endpoint and one comparison (or cohort).

    Attributes:
        protocol, endpoint: the protocol and the endpoint analysed.
        values: the endpoint of the patients analysed.
        treated: (n,) 1 treated, 0 control (None in a single-arm cohort).
        follow_up: their follow-up (per-visit methods: MMRM).
        covariates: extra baseline covariates, name -> (n,) (ANCOVA).
        alpha: two-sided level of the confidence interval.
    """

    protocol: Protocol
    endpoint: Endpoint
    values: EndpointValues
    treated: np.ndarray | None
    follow_up: FollowUp | None
    covariates: dict[str, np.ndarray] | None
    alpha: float

    @property
    def keep(self) -> np.ndarray:
        """(n,) the patients counted (:attr:`EndpointValues.available`)."""
        return self.values.available

    @property
    def arms(self) -> np.ndarray:
        """(n,) 1 treated, 0 control: :attr:`treated` of a comparison of two arms."""
        if self.treated is None:
            raise ValueError("this analysis compares two arms; a single-arm cohort has one")
        return self.treated


class AbstractMethod(ABC):
    """An analysis method, named in a protocol endpoint's ``analysis``. Concrete methods
    are final."""

    name: ClassVar[str]

    @abstractmethod
    def analyse(self, data: AnalysisData) -> Estimate:
        """The estimate of the endpoint (treatment minus control, or the cohort's value)."""

    def truth(self, treated: EndpointValues, control: EndpointValues) -> float:
        """The estimand in the same patients' two worlds: the mean difference (patients
        with the endpoint in both worlds)."""
        t, c = treated.value, control.value
        ok = np.isfinite(t) & np.isfinite(c)
        return float(np.mean(t[ok] - c[ok]))

    def null(self, protocol: Protocol) -> float:
        """The estimate of no effect (0 for a difference; a single-arm rate's null rate)."""
        return 0.0


class AbstractEndpoint(ABC):
    """An endpoint kind (see module docs). Concrete kinds are final."""

    kind: ClassVar[str]
    Settings: ClassVar[type[Endpoint]]
    methods: ClassVar[tuple[str, ...]]
    single_arm_method: ClassVar[str | None] = None
    direction: ClassVar[int] = -1
    #: one line for protocol authors (``disctwin describe``-style listings, docs)
    summary: ClassVar[str] = ""

    @abstractmethod
    def values(
        self, endpoint: Endpoint, protocol: Protocol, fu: FollowUp, due_day: np.ndarray
    ) -> EndpointValues:
        """The endpoint of every patient of ``fu``; ``due_day`` (n,) is the last day after
        each patient's baseline whose data are known (inf: all)."""

    @abstractmethod
    def analysis_day(self, endpoint: Endpoint, protocol: Protocol) -> float:
        """Day after baseline by which the endpoint is known."""

    def check(self, endpoint: Endpoint, protocol: Protocol, field: str) -> list[Problem]:
        """Cross-field problems of ``endpoint`` in ``protocol`` (``field``: its name in
        messages, e.g. ``"endpoint[0] (vas_change)"``)."""
        return []

    def values_at_visit(self, endpoint: Endpoint, fu: FollowUp, column: int) -> np.ndarray:
        """(n,) the endpoint's value at one schedule column (per-visit methods: MMRM)."""
        raise TypeError(f"endpoint kind {self.kind!r} has no value at each visit")

    def truth(self, endpoint: Endpoint, treated: EndpointValues, control: EndpointValues) -> float:
        """The estimand in the same patients under the two arms' regimens."""
        return METHODS[endpoint.method]().truth(treated, control)

    #: the kind's value moves with its measure (change, area): a measure for which higher
    #: is better (MRI T2, disc height) turns its direction round
    follows_measure: ClassVar[bool] = False

    def sign(self, endpoint: Endpoint) -> int:
        """-1 when a lower value of this endpoint favours the treatment, +1 when higher."""
        if self.follows_measure and record(endpoint.measure).better == "higher":
            return -self.direction
        return self.direction

    def favourable(self, effect: float, endpoint: Endpoint | None = None) -> bool:
        """True when ``effect`` (estimate minus its null) favours the treatment."""
        sign = self.direction if endpoint is None else self.sign(endpoint)
        return bool(sign * effect > 0)

    def adam_rows(
        self, endpoint: Endpoint, values: EndpointValues, subjects: pd.DataFrame
    ) -> dict[str, pd.DataFrame]:
        """ADaM records of this endpoint by dataset (``"adqs"``, ``"adtte"``), one per
        subject of ``subjects`` (columns ``USUBJID``, ``ARM``; ``values`` restricted to
        them); none by default (the per-visit ADQS rows hold change endpoints)."""
        return {}


#: kind name -> endpoint kind class.
ENDPOINTS: dict[str, type[AbstractEndpoint]] = {}
#: method name -> analysis method class.
METHODS: dict[str, type[AbstractMethod]] = {}


def register(cls: type[AbstractEndpoint]) -> type[AbstractEndpoint]:
    """Class decorator: make an endpoint kind available to protocol files."""
    if cls.kind in ENDPOINTS:
        raise ValueError(f"endpoint kind {cls.kind!r} registered twice")
    ENDPOINTS[cls.kind] = cls
    return cls


def register_method(cls: type[AbstractMethod]) -> type[AbstractMethod]:
    """Class decorator: make an analysis method available to protocol endpoints."""
    if cls.name in METHODS:
        raise ValueError(f"analysis method {cls.name!r} registered twice")
    METHODS[cls.name] = cls
    return cls


# ------------------------------------------------------------------ one door to each kind


def endpoint_kind(endpoint: Endpoint) -> AbstractEndpoint:
    """The kind of a protocol endpoint."""
    return ENDPOINTS[endpoint.kind]()


def endpoint_values(
    protocol: Protocol, endpoint: Endpoint, fu: FollowUp, due_day: np.ndarray | None = None
) -> EndpointValues:
    """The endpoint for every patient.

    Args:
        due_day: (n,) the last day (after each patient's baseline) whose data are known;
            None for the final analysis (all data).
    """
    n = fu.n_patients
    due = np.full(n, np.inf) if due_day is None else np.asarray(due_day, dtype=float)
    return endpoint_kind(endpoint).values(endpoint, protocol, fu, due)


def endpoint_truth(
    endpoint: Endpoint, treated_world: EndpointValues, control_world: EndpointValues
) -> float:
    """The estimand in the enrolled patients: the same patients' endpoint under the two
    arms' regimens, without dropout (noise-matched: both worlds carry the same measurement
    noise), on the scale of the endpoint's analysis (:meth:`AbstractEndpoint.truth`)."""
    return endpoint_kind(endpoint).truth(endpoint, treated_world, control_world)


def favourable(endpoint: Endpoint, estimate: float) -> bool:
    """True when an effect estimate (treatment minus control) favours the treatment."""
    return endpoint_kind(endpoint).favourable(estimate, endpoint)


def endpoint_direction(endpoint: Endpoint) -> int:
    """-1 when a lower value of ``endpoint`` favours the treatment, +1 when higher."""
    return endpoint_kind(endpoint).sign(endpoint)


def analysis_day(protocol: Protocol, endpoint: Endpoint) -> float:
    """Day after baseline by which ``endpoint`` is known."""
    return endpoint_kind(endpoint).analysis_day(endpoint, protocol)


# -------------------------------------------------------------------------- validation


def check_visit(field: str, visit: str | None, protocol: Protocol) -> list[Problem]:
    """The problem of an endpoint ``visit`` that names no visit of the protocol."""
    names = [v.name for v in protocol.visit]
    if visit in names:
        return []
    allowed = "a visit name: " + ", ".join(names)
    return [Problem(f"{field}.visit", visit, allowed, suggest(visit or "", names))]


def check_endpoint(field: str, endpoint: Endpoint, protocol: Protocol) -> list[Problem]:
    """Every problem of one protocol endpoint: its kind's rules, its analysis method, the
    single-arm rules."""
    kind = endpoint_kind(endpoint)
    problems = kind.check(endpoint, protocol, field)
    measured = record(endpoint.measure)
    if measured.level == "disc" and not kind.follows_measure:
        kinds = [k for k, c in ENDPOINTS.items() if c.follows_measure]
        problems.append(
            Problem(
                f"{field}.measure",
                endpoint.measure,
                f"a patient-reported measure for kind {endpoint.kind!r}; MRI measures are read "
                "by kinds " + ", ".join(kinds),
            )
        )
    if measured.level == "disc" and not any(v.mri for v in protocol.visit):
        problems.append(
            Problem(
                f"{field}.measure",
                endpoint.measure,
                "an MRI measure needs visits with mri = true (none has an MRI)",
            )
        )
    single_arm = protocol.study.design == "single_arm"
    allowed = kind.methods
    if single_arm and kind.single_arm_method == "exact":
        allowed = ("exact",)
    if endpoint.analysis is not None and endpoint.analysis not in allowed:
        where = " in a single-arm design" if single_arm else ""
        problems.append(
            Problem(
                f"{field}.analysis",
                endpoint.analysis,
                f"for kind {endpoint.kind!r}{where}: " + ", ".join(allowed),
                suggest(endpoint.analysis, allowed),
            )
        )
    if single_arm and endpoint.primary and kind.single_arm_method != "exact":
        primaries = [k for k, c in ENDPOINTS.items() if c.single_arm_method == "exact"]
        problems.append(
            Problem(
                f"{field}.kind",
                endpoint.kind,
                " or ".join(primaries) + " for a single-arm primary",
            )
        )
    return problems


def adqs_subject_rows(
    endpoint: Endpoint,
    values: EndpointValues,
    subjects: pd.DataFrame,
    visit: str | None,
    *,
    flag: bool = False,
) -> pd.DataFrame:
    """One ADQS record per subject for a derived endpoint: ``AVAL`` its value (``AVALC``
    Y/N when ``flag``), ``BASE`` the baseline of its measure, ``ANL01FL`` whether it
    enters the analysis."""
    v = values.value
    columns = {
        "USUBJID": subjects["USUBJID"],
        "ARM": subjects["ARM"],
        "PARAMCD": short_code(endpoint.name),
        "PARAM": f"{endpoint.kind}: {endpoint.name}",
        "AVISIT": (visit or "").upper(),
        "AVISITN": np.nan,
        "ADY": np.nan,
        "AVAL": v,
    }
    if flag:
        columns["AVALC"] = np.where(v > 0.5, "Y", "N")
    columns["BASE"] = values.baseline  # of the endpoint's measure
    columns["ANL01FL"] = np.where(values.available, "Y", "N")
    imputed = np.zeros(len(v), dtype=bool) if values.imputed is None else values.imputed
    columns["DTYPE"] = np.where(imputed, "NRI", "")
    return pd.DataFrame(columns)


# ----------------------------------------------------------------- ADaM parameter codes

_CODE_WIDTH = 8
_VOWELS = frozenset("AEIOU")


def short_code(name: str, width: int = _CODE_WIDTH) -> str:
    """A deterministic abbreviation of ``name`` to at most ``width`` characters that is a
    SAS name (letters, digits, underscores; a letter first), for ADaM ``PARAMCD``
    (ADaMIG 1.3 section 3.3.4: at most 8 characters, starting with a letter).

    Tried in order, the first that fits: the name upper-cased; without underscores; then
    without the vowels after each word's first letter, the longest word first, one word at
    a time; then truncated, keeping the trailing digits (usually the visit): ``vas30_m12``
    -> ``VAS30M12``, ``responder_m6`` -> ``RSPNDRM6``, ``vas_auc_m12`` -> ``VSAUCM12``,
    ``time_to_surgery_m24`` -> ``TMTSRG24``. Different names may share a code:
    :func:`parameter_codes` makes a protocol's codes unique.

    >>> short_code("vas30_m12"), short_code("responder_m6"), short_code("odi")
    ('VAS30M12', 'RSPNDRM6', 'ODI')
    >>> short_code("vas_auc_m12"), short_code("time_to_surgery_m24")
    ('VSAUCM12', 'TMTSRG24')
    """
    upper = "".join(c if c.isalnum() and c.isascii() else "_" for c in name.upper())
    if not upper or not upper[0].isalpha():
        upper = "P" + upper
    if len(upper) <= width:
        return upper
    parts = [p for p in upper.split("_") if p]
    joined = "".join(parts)
    if len(joined) <= width:
        return joined
    # drop the vowels after a word's first letter, the longest word first, until it fits
    for k in sorted(range(len(parts)), key=lambda j: -len(parts[j])):
        parts[k] = parts[k][0] + "".join(c for c in parts[k][1:] if c not in _VOWELS)
        if len("".join(parts)) <= width:
            return "".join(parts)
    squeezed = "".join(parts)
    digits = len(squeezed) - len(squeezed.rstrip("0123456789"))
    digits = min(digits, width - 1)
    return squeezed[: width - digits] + (squeezed[-digits:] if digits else "")


def parameter_codes(
    names: Sequence[str], reserved: Iterable[str] = (), width: int = _CODE_WIDTH
) -> dict[str, str]:
    """Unique ``PARAMCD`` of each of ``names`` (in order): its :func:`short_code`, or, where
    that is taken (by an earlier name or by ``reserved``, e.g. the per-visit measures'
    codes), the code with ``A``, ``B``, ... (then ``AA``, ``AB``, ...) put before its
    trailing digits (usually the visit), replacing the characters before them where the code
    would pass ``width``, until free. Deterministic: the same names in the same order give
    the same codes.

    >>> parameter_codes(["vas_resp_m6", "vas_rsp_m6", "vas"], reserved=["VAS"])
    {'vas_resp_m6': 'VASRSPM6', 'vas_rsp_m6': 'VASRSPA6', 'vas': 'VASA'}
    """
    used = {str(r) for r in reserved}
    out: dict[str, str] = {}
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for name in names:
        if name in out:
            continue
        code = short_code(name, width)
        k = 0
        candidate = code
        while candidate in used:
            suffix, n = "", k
            while True:  # bijective base-26: A..Z, AA..ZZ, ...
                suffix = letters[n % 26] + suffix
                n = n // 26 - 1
                if n < 0:
                    break
            # the suffix goes before the trailing digits (usually the visit), kept
            digits = code[len(code.rstrip("0123456789")) :][: width - len(suffix) - 1]
            head = code[: len(code) - len(digits)]
            candidate = head[: width - len(suffix) - len(digits)] + suffix + digits
            k += 1
        used.add(candidate)
        out[name] = candidate
    return out
