"""The model's biological processes, one builder each (assembled by ``build_model``)."""

from disctwin.model.processes.annulus import annulus
from disctwin.model.processes.base import ModelSymbols, ParameterSymbols, Process, Quantity
from disctwin.model.processes.cells import cells
from disctwin.model.processes.innervation import innervation
from disctwin.model.processes.marrow import marrow
from disctwin.model.processes.matrix import matrix
from disctwin.model.processes.nutrition import nutrition
from disctwin.model.processes.pain import pain
from disctwin.model.processes.therapy import therapy

__all__ = [
    "ModelSymbols",
    "ParameterSymbols",
    "Process",
    "Quantity",
    "annulus",
    "cells",
    "innervation",
    "marrow",
    "matrix",
    "nutrition",
    "pain",
    "therapy",
]
