"""Composite responders: every component responder holds (higher is better).

With ``no_further_intervention`` a further intervention by the last component's visit is
failure. A missed visit counts as non-response (non-responder imputation).
"""

from __future__ import annotations

import numpy as np

from disctwin.errors import Problem, suggest
from disctwin.trial.endpoints.base import (
    AbstractEndpoint,
    Endpoint,
    EndpointValues,
    adqs_subject_rows,
    register,
)
from disctwin.trial.endpoints.followup import BASELINE, visit_column
from disctwin.trial.endpoints.responder import Responder, responds

__all__ = ["Composite", "CompositeSettings"]


class CompositeSettings(Endpoint):
    """A composite endpoint: ``components`` names responder endpoints of the protocol."""

    components: tuple[str, ...] = ()
    no_further_intervention: bool = False


@register
class Composite(AbstractEndpoint):
    """Every component responds (module docs)."""

    kind = "composite"
    Settings = CompositeSettings
    methods = ("risk_difference", "logistic", "exact")
    single_arm_method = "exact"
    direction = +1
    summary = "every component responder holds"

    def values(self, endpoint, protocol, fu, due_day) -> EndpointValues:
        comps = [protocol.endpoint_named(c) for c in endpoint.components]
        cols = [visit_column(protocol, c.visit) for c in comps]
        due = fu.visit_days[max(cols)] <= due_day
        ok = np.ones(fu.n_patients, dtype=bool)
        for c, col in zip(comps, cols, strict=True):
            ok &= responds(c, fu, col, due) > 0
        if endpoint.no_further_intervention:
            ok &= fu.intervention_at > max(cols)
        base = fu.measure(endpoint.measure)[:, BASELINE]
        # non-responder imputation: a missed component visit made the patient fail
        missed = ~np.all(fu.attended[:, cols], axis=1)
        imputed = due & ~ok & missed
        return EndpointValues((ok & due).astype(float), base, None, due, imputed)

    def analysis_day(self, endpoint, protocol) -> float:
        return max(
            protocol.visit_named(protocol.endpoint_named(c).visit).day for c in endpoint.components
        )

    def check(self, endpoint, protocol, field) -> list[Problem]:
        problems = []
        names = [x.name for x in protocol.endpoint]
        responders = [x.name for x in protocol.endpoint if x.kind == Responder.kind]
        if not endpoint.components:
            problems.append(Problem(f"{field}.components", [], "one or more responder endpoints"))
        for c in endpoint.components:
            if c not in responders:
                problems.append(
                    Problem(
                        f"{field}.components",
                        c,
                        "names of responder endpoints: " + ", ".join(responders),
                        suggest(c, names),
                    )
                )
        return problems

    def adam_rows(self, endpoint, values, subjects):
        return {"adqs": adqs_subject_rows(endpoint, values, subjects, None, flag=True)}
