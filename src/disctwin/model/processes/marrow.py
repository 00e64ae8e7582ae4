"""The vertebral marrow next to a disc: inflammatory oedema (Modic type 1 activity).

The disc's cytokines reach the marrow through endplates disrupted as the disc collapses:

    M = I L (1-H)^2 / ((1-H)^2 + h_half^2)

(inflammation ``I``, load ``L``, disc height ``H``). An anti-inflammatory drug in the disc
lowers it with the inflammation. The oedematous, innervated endplate is a pain source of its
own (see :mod:`~disctwin.model.processes.innervation`).
"""

from __future__ import annotations

from disctwin.model.processes.base import ModelSymbols, Process, Quantity

__all__ = ["MODIC_HEIGHT_LOSS_HILL", "marrow"]

#: 1 (Hill exponent) of marrow oedema in disc height loss. Assumption: Modic changes lie next
#: to degenerated, narrowed discs (Jensen et al. 2008, Eur Spine J 17:1407, review) and the
#: endplate must be disrupted before cytokines reach the marrow, so a threshold in height
#: loss: 2 is the lowest integer exponent that gives one.
MODIC_HEIGHT_LOSS_HILL = 2


def marrow(m: ModelSymbols, nutrition: Process, cells: Process) -> Process:
    """Marrow oedema beside one disc (an assignment and observable; no state of its own)."""
    p = m.p
    height_loss = (1 - m.state("disc_height")) ** MODIC_HEIGHT_LOSS_HILL
    oedema = Quantity(
        "marrow_oedema",
        "1",
        "Inflammatory oedema of the vertebral bone marrow next to the disc's endplates "
        "(Modic 1 activity): the disc's inflammation reaching the marrow through endplates "
        "disrupted as the disc collapses (Hill n=2 in height loss), times the load",
        cells.symbol("inflammation")
        * nutrition.symbol("load")
        * height_loss
        / (height_loss + p.modic_height_loss_half**MODIC_HEIGHT_LOSS_HILL),
    )
    return Process(
        "marrow",
        assignments=(oedema,),
        observables=(
            Quantity(
                "marrow_oedema",
                "1",
                "Vertebral marrow oedema next to the disc (Modic 1 activity)",
                oedema.symbol,
            ),
        ),
    )
