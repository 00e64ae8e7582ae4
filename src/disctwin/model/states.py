"""The model's state variables: five discs of ``DISC_STATES`` each, then ``PATIENT_STATES``.

All disc quantities are normalised to the adolescent (age-10) reference disc, so each starts
at 1 (or 0 for damage). Time is age in days.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DISC_STATES",
    "LEVELS",
    "N_DISC_STATES",
    "N_LEVELS",
    "N_PATIENT_STATES",
    "N_STATES",
    "PATIENT_STATES",
    "StateSpec",
    "state_index",
]

#: Lumbar levels, cranial to caudal.
LEVELS: tuple[str, ...] = ("L1/2", "L2/3", "L3/4", "L4/5", "L5/S1")
N_LEVELS = len(LEVELS)


@dataclass(frozen=True)
class StateSpec:
    """A state variable: name, unit, meaning and initial value at the start age."""

    name: str
    unit: str
    meaning: str
    initial: float
    #: a therapy compartment: zero and inert until a dose (the engine has a fast path for it)
    therapy: bool = False


DISC_STATES: tuple[StateSpec, ...] = (
    StateSpec(
        "endplate_permeability",
        "1",
        "Endplate permeability to glucose relative to the adolescent endplate",
        1.0,
    ),
    StateSpec(
        "viable_cells",
        "1",
        "Viable, non-senescent NP cell density relative to the adolescent NP "
        "(adult reference ~4,000 cells/mm^3)",
        1.0,
    ),
    StateSpec(
        "senescent_cells", "1", "Senescent NP cell density, same reference as viable_cells", 0.0
    ),
    StateSpec("proteoglycan", "1", "NP aggrecan content relative to the adolescent NP", 1.0),
    StateSpec("collagen_ii", "1", "NP type II collagen content relative to the adolescent NP", 1.0),
    StateSpec("disc_height", "1", "Disc height relative to the adolescent disc of that level", 1.0),
    StateSpec(
        "annular_damage",
        "1",
        "Extent of annular fissuring, 0 (intact) to 1 (through-and-through)",
        0.0,
    ),
    StateSpec(
        "herniated_volume",
        "1",
        "NP material displaced beyond the annulus, fraction of NP volume (0-1)",
        0.0,
    ),
    StateSpec(
        "innervation",
        "1",
        "Depth of nociceptive fibre ingrowth into the disc, 0 (outer annulus only) to 1",
        0.0,
    ),
    # therapy compartments: zero in an untreated disc (see disctwin.therapies)
    StateSpec(
        "vector_load",
        "1",
        "Intradiscal gene-transfer payload (viral vector, siRNA) not yet taken up, in "
        "transduction units (dose / dose transducing 63% of the cells it reaches)",
        0.0,
        therapy=True,
    ),
    StateSpec(
        "transduced_cells",
        "1",
        "Viable NP cells carrying the payload (transgene, shRNA, edit), same reference as "
        "viable_cells",
        0.0,
        therapy=True,
    ),
    StateSpec(
        "transgene_expression",
        "1",
        "Payload activity in the disc: follows transduced_cells with the payload's onset "
        "time (1 = every cell of the reference disc expressing)",
        0.0,
        therapy=True,
    ),
    StateSpec(
        "implanted_cells",
        "1",
        "Surviving implanted cells (MSC, progenitor or discogenic cells) not yet "
        "differentiated, same reference as viable_cells; zero in an untreated disc",
        0.0,
        therapy=True,
    ),
)

PATIENT_STATES: tuple[StateSpec, ...] = (
    StateSpec(
        "central_sensitisation",
        "1",
        "Central sensitisation of spinal pain transmission, 0 (none) to 1 (maximal)",
        0.0,
    ),
    # therapy compartments of the pain pathway: zero when untreated
    StateSpec(
        "csf_vector",
        "1",
        "Intrathecal (or nerve-transported intradermal) payload not yet taken up by DRG "
        "neurons, in transduction units",
        0.0,
        therapy=True,
    ),
    StateSpec(
        "drg_transduced",
        "1",
        "Fraction of lumbar dorsal-root-ganglion neurons (and meningeal cells) carrying "
        "the payload",
        0.0,
        therapy=True,
    ),
    StateSpec(
        "drg_expression",
        "1",
        "Payload activity in the lumbar DRG: follows drg_transduced with the onset time",
        0.0,
        therapy=True,
    ),
    StateSpec(
        "rehabilitation",
        "1",
        "Reduction of fear-avoidance beliefs (SD units) built up by conservative care / "
        "physical therapy; zero without it",
        0.0,
        therapy=True,
    ),
)

N_DISC_STATES = len(DISC_STATES)
N_PATIENT_STATES = len(PATIENT_STATES)
N_STATES = N_LEVELS * N_DISC_STATES + N_PATIENT_STATES


def state_index(name: str, level: int | None = None) -> int:
    """Position of a state in the flat state vector.

    Disc states need ``level`` (0 = L1/2 ... 4 = L5/S1); patient states do not.
    """
    disc_names = [s.name for s in DISC_STATES]
    if name in disc_names:
        if level is None or not 0 <= level < N_LEVELS:
            raise ValueError(f"disc state {name!r} needs a level in 0..{N_LEVELS - 1}")
        return level * N_DISC_STATES + disc_names.index(name)
    patient_names = [s.name for s in PATIENT_STATES]
    if name in patient_names:
        return N_LEVELS * N_DISC_STATES + patient_names.index(name)
    raise ValueError(f"unknown state {name!r}")
