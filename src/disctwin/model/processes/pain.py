"""The pain pathway (patient level): DRG transmission, central sensitisation, reported pain.

Transmission through DRG neurons scales with Nav1.7 expression and is divided by opioid
tone; central sensitisation builds with transmitted input and fades slowly, and amplifies
it; latent pain (NRS 0-10) is a Hill map of the amplified input, so that small inputs stay
painless: degeneration is common without pain. Depression, fear-avoidance and the
expectation of relief modify what is reported.
"""

from __future__ import annotations

import sympy as sp

from disctwin.model.processes.base import ModelSymbols, Process, Quantity

__all__ = ["NRS_MAX", "SENSITISATION_HILL", "pain"]

#: points. Top of the 0-10 numerical rating scale of pain intensity, on which latent and
#: reported pain are expressed (Hawker et al. 2011, Arthritis Care Res 63 Suppl 11:S240,
#: doi:10.1002/acr.20543).
NRS_MAX = 10

#: 1 (Hill exponent) of central sensitisation in transmitted input. Assumption: sensitisation
#: is activity-dependent and needs sustained, not occasional, nociceptive input (Woolf 2011,
#: Pain 152:S2, doi:10.1016/j.pain.2010.09.030); 2 is the lowest integer exponent giving that
#: threshold.
SENSITISATION_HILL = 2


def pain(m: ModelSymbols, therapy: Process, nociceptive_input: sp.Symbol) -> Process:
    """Pain pathway of one patient, fed by the summed disc input ``nociceptive_input``.

    Rates: ``central_sensitisation``.
    """
    p, cov = m.p, m.covariates
    sensitisation = m.state("central_sensitisation")
    transmission = Quantity(
        "transmission",
        "1",
        "DRG transmission gain: Nav1.7 expression^exponent / relative opioid tone "
        "(transgene repression of SCN9A and secreted opioid peptides included)",
        (p.nav17_expression * therapy.terms["nav17_remaining"]) ** p.nav17_exponent
        * (1 + p.endogenous_opioid_tone)
        / (
            1
            + p.endogenous_opioid_tone
            + p.exogenous_opioid_tone
            + therapy.terms["transgenic_opioid_tone"]
            + therapy.terms["drug_opioid_tone"]
        ),
    )
    transmitted = Quantity(
        "transmitted_input",
        "1",
        "Nociceptive input transmitted to the spinal cord",
        p.pain_sensitivity * transmission.symbol * nociceptive_input,
    )
    x = transmitted.symbol
    sensitisation_rate = (
        p.sensitisation_onset_rate
        * sp.exp(p.depression_sensitisation_effect * cov["depression"])
        * x**SENSITISATION_HILL
        / (x**SENSITISATION_HILL + p.sensitisation_input_half**SENSITISATION_HILL)
        * (1 - sensitisation)
        - p.sensitisation_decay_rate * sensitisation
    )
    return Process(
        "pain",
        assignments=(transmission, transmitted),
        rates={"central_sensitisation": sensitisation_rate},
        observables=_pain_observables(m, therapy, x * (1 + p.sensitisation_gain * sensitisation)),
    )


def _pain_observables(
    m: ModelSymbols, therapy: Process, pain_input: sp.Expr
) -> tuple[Quantity, ...]:
    p, cov = m.p, m.covariates
    # latent pain: a Hill map of the amplified input (exponent: Stevens' power law)
    input_n = pain_input**p.pain_exponent
    latent = NRS_MAX * input_n / (input_n + p.pain_scale**p.pain_exponent)
    fear_now = cov["fear_avoidance"] - m.state("rehabilitation")
    return (
        Quantity(
            "pain_latent",
            "points",
            "Noise-free pain intensity on the 0-10 NRS before psychosocial modifiers",
            latent,
        ),
        Quantity(
            "pain_reported_mean",
            "points",
            "Expected reported pain (0-10) with psychosocial modifiers, before noise",
            latent
            * (
                1
                + p.depression_pain_effect * cov["depression"]
                + p.fear_avoidance_pain_effect * fear_now
            )
            * (1 - therapy.terms["expectation"]),
        ),
        Quantity(
            "fear_avoidance_z",
            "1",
            "Fear-avoidance beliefs now (SD units): the covariate less the reduction built by "
            "conservative care",
            fear_now,
        ),
    )
