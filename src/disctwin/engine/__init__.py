"""Vectorised, compiled integration of virtual patients."""

from disctwin.engine.engine import (
    STATUS_NAMES,
    ChunkResult,
    CompiledModel,
    Engine,
    PopulationSpec,
    compiled_model,
    initial_state,
)

__all__ = [
    "STATUS_NAMES",
    "ChunkResult",
    "CompiledModel",
    "Engine",
    "PopulationSpec",
    "compiled_model",
    "initial_state",
]
