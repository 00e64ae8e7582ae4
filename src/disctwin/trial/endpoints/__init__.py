"""Endpoints: follow-up data, the endpoint kinds behind one interface, analysis methods.

* :mod:`~disctwin.trial.endpoints.followup`: the follow-up every endpoint reads, with
  rescue medication, further interventions and dropout;
* :mod:`~disctwin.trial.endpoints.base`: :class:`AbstractEndpoint` and
  :class:`AbstractMethod`, their registries and the functions that dispatch to them;
* one module per kind: :mod:`~disctwin.trial.endpoints.change` (change, percent change),
  :mod:`~disctwin.trial.endpoints.responder`, :mod:`~disctwin.trial.endpoints.composite`,
  :mod:`~disctwin.trial.endpoints.time_to_event`, :mod:`~disctwin.trial.endpoints.auc`
  (area under the pain curve);
* :mod:`~disctwin.trial.endpoints.methods`: ANCOVA, MMRM, risk difference, logistic, Cox,
  exact binomial, one-sample t.

Missing data: change endpoints use the patients with the visit (complete cases); responder
and composite endpoints count a missed visit as non-response (non-responder imputation).
Patients whose endpoint visit is not yet due (interim looks) are not counted.
"""

from disctwin.trial.endpoints.auc import AreaUnderCurve
from disctwin.trial.endpoints.base import (
    ENDPOINTS,
    METHODS,
    AbstractEndpoint,
    AbstractMethod,
    AnalysisData,
    AnyEndpoint,
    Endpoint,
    EndpointValues,
    analysis_day,
    check_endpoint,
    endpoint_direction,
    endpoint_kind,
    endpoint_truth,
    endpoint_values,
    favourable,
    parameter_codes,
    register,
    register_method,
    short_code,
)
from disctwin.trial.endpoints.change import Change, PercentChange
from disctwin.trial.endpoints.composite import Composite
from disctwin.trial.endpoints.followup import (
    BASELINE,
    FollowUp,
    apply_dropout,
    apply_intercurrent_events,
    visit_column,
)
from disctwin.trial.endpoints.methods import analyse_endpoint, exact_response_rate
from disctwin.trial.endpoints.responder import Responder
from disctwin.trial.endpoints.time_to_event import TimeToEvent

__all__ = [
    "BASELINE",
    "ENDPOINTS",
    "METHODS",
    "AbstractEndpoint",
    "AbstractMethod",
    "AnalysisData",
    "AnyEndpoint",
    "AreaUnderCurve",
    "Change",
    "Composite",
    "Endpoint",
    "EndpointValues",
    "FollowUp",
    "PercentChange",
    "Responder",
    "TimeToEvent",
    "analyse_endpoint",
    "analysis_day",
    "apply_dropout",
    "apply_intercurrent_events",
    "check_endpoint",
    "endpoint_direction",
    "endpoint_kind",
    "endpoint_truth",
    "endpoint_values",
    "exact_response_rate",
    "favourable",
    "parameter_codes",
    "register",
    "register_method",
    "short_code",
    "visit_column",
]
