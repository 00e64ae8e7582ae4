"""Vectorised, compiled integration of virtual patients, behind one door.

:func:`simulate` (and :func:`simulate_chunks`, its streaming form) is the only caller of the
compiled solver: natural history, treated and untreated twins, trial screening, calibration
cohorts and sensitivity runs all go through it. :class:`Engine` says how to integrate,
:class:`Record` what to return, :class:`Dosing` how a regimen meets the patients.
"""

from disctwin.engine.dosing import dose_events
from disctwin.engine.engine import STATUS_NAMES, CompiledModel, Engine, compiled_model
from disctwin.engine.events import EVENT_KINDS, STATE_EVENT_KINDS, EventTable
from disctwin.engine.simulate import Dosing, Record, Trajectories, simulate, simulate_chunks
from disctwin.engine.twins import TwinResult, simulate_twins

__all__ = [
    "EVENT_KINDS",
    "STATE_EVENT_KINDS",
    "STATUS_NAMES",
    "CompiledModel",
    "Dosing",
    "Engine",
    "EventTable",
    "Record",
    "Trajectories",
    "TwinResult",
    "compiled_model",
    "dose_events",
    "simulate",
    "simulate_chunks",
    "simulate_twins",
]
