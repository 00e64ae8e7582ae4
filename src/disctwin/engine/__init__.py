"""Vectorised, compiled integration of virtual patients."""

from disctwin.engine.engine import (
    EVENT_KINDS,
    STATUS_NAMES,
    ChunkResult,
    CompiledModel,
    Engine,
    EventTable,
    PopulationSpec,
    compiled_model,
    initial_state,
)

__all__ = [
    "EVENT_KINDS",
    "STATUS_NAMES",
    "ChunkResult",
    "CompiledModel",
    "Engine",
    "EventTable",
    "PopulationSpec",
    "compiled_model",
    "initial_state",
]
