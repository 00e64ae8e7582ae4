"""Disc and pain biology: states, symbolic rate laws, observables, what is recorded.

- :mod:`disctwin.model.states`: the state variables (five discs, then the patient);
- :mod:`disctwin.model.processes`: named process builders (nutrition, cells, matrix,
  annulus, marrow, innervation, therapy compartments, pain) assembled by
  :func:`build_model` (:mod:`disctwin.model.equations`) into one symbolic model;
- :mod:`disctwin.model.observables`: noise-free observables and their measurement (MRI
  readings, patient-reported pain and disability);
- :mod:`disctwin.model.records`: the record spec, every recorded quantity declared once;
- :mod:`disctwin.model.conventions`: start age, maximum age, the initial state.

Nothing here integrates: the engine compiles this model (:mod:`disctwin.engine`).
"""

from disctwin.model.conventions import (
    MAX_AGE_YEARS,
    START_AGE_YEARS,
    initial_state,
    validate_ages,
)
from disctwin.model.equations import COVARIATES, Quantity, SymbolicModel, build_model
from disctwin.model.layout import ParameterLayout
from disctwin.model.observables import FINDINGS, FINDINGS_DESCRIPTION
from disctwin.model.states import (
    DISC_STATES,
    LEVELS,
    N_DISC_STATES,
    N_LEVELS,
    N_PATIENT_STATES,
    N_STATES,
    PATIENT_STATES,
    StateSpec,
    state_index,
)

__all__ = [
    "COVARIATES",
    "DISC_STATES",
    "FINDINGS",
    "FINDINGS_DESCRIPTION",
    "LEVELS",
    "MAX_AGE_YEARS",
    "N_DISC_STATES",
    "N_LEVELS",
    "N_PATIENT_STATES",
    "N_STATES",
    "PATIENT_STATES",
    "START_AGE_YEARS",
    "ParameterLayout",
    "Quantity",
    "StateSpec",
    "SymbolicModel",
    "build_model",
    "initial_state",
    "state_index",
    "validate_ages",
]
