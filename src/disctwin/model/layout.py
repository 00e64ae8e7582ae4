"""Where each parameter and covariate sits in a patient's flat parameter vector.

The engine receives one float64 vector per patient. Parameters with one value per disc
(``scope="level"`` or between-disc variability) take five consecutive slots (L1/2..L5/S1);
the others, and covariates, take one.
"""

from __future__ import annotations

from dataclasses import dataclass

from disctwin.model.equations import COVARIATES
from disctwin.model.states import N_LEVELS
from disctwin.params import ParameterSet

__all__ = ["ParameterLayout"]


@dataclass(frozen=True, eq=False)
class ParameterLayout:
    """Offsets of model parameters and covariates in the per-patient vector.

    Attributes:
        names: every entry's name, in vector order.
        offsets: name -> first slot.
        widths: name -> 1 (patient value) or 5 (one per disc).
        size: total length of the vector.
        inert: therapy parameters that are 0 when untreated (the engine's fast path).
    """

    names: tuple[str, ...]
    offsets: dict[str, int]
    widths: dict[str, int]
    size: int
    inert: frozenset[str] = frozenset()

    @classmethod
    def build(
        cls, parameter_set: ParameterSet, model_parameters: tuple[str, ...]
    ) -> ParameterLayout:
        """Lay out the parameters the model uses (in parameter-set order), then covariates."""
        used = set(model_parameters)
        names, offsets, widths = [], {}, {}
        pos = 0
        for spec in parameter_set:
            if spec.name not in used:
                continue
            width = N_LEVELS if spec.per_disc else 1
            names.append(spec.name)
            offsets[spec.name] = pos
            widths[spec.name] = width
            pos += width
        for cov in COVARIATES:
            names.append(cov)
            offsets[cov] = pos
            widths[cov] = 1
            pos += 1
        # therapy parameters whose untreated value is 0: zero in every untreated patient
        inert = frozenset(
            spec.name
            for spec in parameter_set
            if spec.name in used
            and spec.group in ("therapy_slot", "therapy_modifier")
            and all(v == 0.0 for v in spec.values)
        )
        return cls(tuple(names), offsets, widths, pos, inert)

    def _key(self) -> tuple:
        return (self.names, tuple(self.widths[n] for n in self.names), self.size, self.inert)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ParameterLayout) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def slot(self, name: str, level: int = 0) -> int:
        """The slot of ``name`` for disc ``level`` (patient values ignore the level)."""
        return self.offsets[name] + (level if self.widths[name] > 1 else 0)
