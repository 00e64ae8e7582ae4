"""Innervation of the disc and the nociceptive input it sends.

NGF (driven by inflammation) grows nociceptive fibres in along fissures; aggrecan inhibits
their growth. The disc's nociceptive input is innervation x inflammatory sensitisation x
mechanical stress (discogenic), plus a radicular term from herniation, plus a vertebrogenic
term from marrow oedema at the endplate.
"""

from __future__ import annotations

from disctwin.model.processes.base import ModelSymbols, Process, Quantity, hill_down

__all__ = [
    "NERVE_FISSURE_HILL",
    "NERVE_PROTEOGLYCAN_HILL",
    "VERTEBROGENIC_HILL",
    "innervation",
]

#: 1 (Hill exponent) of nerve ingrowth in annular damage. Assumption: fibres grow in along
#: fissures and granulation tissue (Freemont et al. 1997, Lancet 350:178), so ingrowth needs
#: a fissure path first: 2 is the lowest integer exponent giving that threshold.
NERVE_FISSURE_HILL = 2

#: 1 (Hill exponent) of the inhibition of nerve growth by proteoglycan. Assumption: disc
#: aggrecan inhibits nerve growth in vitro (Johnson et al. 2002, Arthritis Rheum 46:2658);
#: the shape is not measured, 2 makes the block release only once much aggrecan is lost.
NERVE_PROTEOGLYCAN_HILL = 2

#: 1 (Hill exponent) of vertebrogenic pain in marrow oedema. Assumption: only florid
#: (Modic-1-grade) oedema is painful, so a steep switch at ``vertebrogenic_oedema_half``; 4
#: keeps the endplate nearly silent next to discs without Modic 1.
VERTEBROGENIC_HILL = 4


def innervation(m: ModelSymbols, therapy: Process, cells: Process, marrow: Process) -> Process:
    """Nerve ingrowth and nociceptive input of one disc.

    Rates: ``innervation``.
    """
    p = m.p
    fissure = m.state("annular_damage")
    nerves = m.state("innervation")
    inflammation = cells.symbol("inflammation")
    fissure_path = fissure**NERVE_FISSURE_HILL
    ngf_drive = Quantity(
        "ngf_drive",
        "1",
        "Nerve-growth drive: NGF (inflammation) x fissure path / aggrecan block",
        inflammation
        * fissure_path
        / (fissure_path + p.nerve_fissure_half**NERVE_FISSURE_HILL)
        * hill_down(
            m.state("proteoglycan"), p.nerve_proteoglycan_inhibition, NERVE_PROTEOGLYCAN_HILL
        ),
    )
    # NSAIDs block the prostaglandin part of nociceptor sensitisation (COX inhibition)
    sensitised = 1 + p.nociceptor_inflammation_gain * inflammation * therapy.terms["cox_remaining"]
    oedema = marrow.symbol("marrow_oedema") ** VERTEBROGENIC_HILL
    disc_input = Quantity(
        "disc_nociceptive_input",
        "1",
        "Nociceptive input from this disc: discogenic (innervation x sensitisation x "
        "mechanical stress) plus radicular (herniation)",
        nerves * sensitised * (1 + p.nociceptor_mechanical_gain * (1 - m.state("disc_height")))
        + p.radicular_gain * m.state("herniated_volume") * sensitised
        + p.vertebrogenic_gain
        * oedema
        / (oedema + p.vertebrogenic_oedema_half**VERTEBROGENIC_HILL),
    )
    return Process(
        "innervation",
        assignments=(ngf_drive, disc_input),
        rates={
            "innervation": p.nerve_growth_rate * ngf_drive.symbol * (1 - nerves)
            - p.nerve_retraction_rate * nerves,
        },
        observables=(
            Quantity(
                "disc_nociceptive_input",
                "1",
                "Nociceptive input from the disc",
                disc_input.symbol,
            ),
        ),
    )
