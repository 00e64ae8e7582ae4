"""Named parameter sets: loaded from TOML data files, validated, immutable.

>>> from disctwin.params import load_parameter_set
>>> ps = load_parameter_set()
>>> ps["endplate_decline_rate"].unit
'1/day'
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from disctwin.errors import ConfigError, Problem, suggest
from disctwin.params.spec import CovariateSpec, ParameterSpec

__all__ = [
    "DEFAULT_SET",
    "CovariateSet",
    "ParameterSet",
    "load_covariate_set",
    "load_parameter_set",
]

DEFAULT_SET = "default"


def _problems_from_validation(prefix: str, err: ValidationError, raw: Mapping) -> list[Problem]:
    problems = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"])
        field = f"{prefix}.{loc}" if loc else prefix
        value = raw.get(e["loc"][0], e.get("input")) if e["loc"] else e.get("input")
        problems.append(
            Problem(
                field,
                value,
                e["msg"].removeprefix("Value error, ").removeprefix("Input should be "),
            )
        )
    return problems


@dataclass(frozen=True)
class ParameterSet:
    """An ordered, validated collection of :class:`ParameterSpec`.

    Attributes:
        name: the set's name (e.g. ``"disctwin-default-2026.1"``).
        description: what the set represents.
        specs: the parameters, in file order.
    """

    name: str
    description: str
    specs: tuple[ParameterSpec, ...]

    def __post_init__(self) -> None:
        names = [s.name for s in self.specs]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ConfigError([Problem(f"parameter.{d}", d, "unique names") for d in dupes])

    def __getitem__(self, name: str) -> ParameterSpec:
        for spec in self.specs:
            if spec.name == name:
                return spec
        raise ConfigError(
            Problem("parameter", name, "a parameter of set " + self.name, suggest(name, self.names))
        )

    def __contains__(self, name: object) -> bool:
        return any(s.name == name for s in self.specs)

    def __iter__(self) -> Iterator[ParameterSpec]:
        return iter(self.specs)

    def __len__(self) -> int:
        return len(self.specs)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.specs)

    def replace(self, name: str | None = None, **values: float | tuple[float, ...]) -> ParameterSet:
        """Return a copy with some default values replaced (each re-validated against its range).

        Raises:
            ConfigError: listing every unknown name and every value outside its range.
        """
        problems: list[Problem] = []
        known = set(self.names)
        for key in values:
            if key not in known:
                problems.append(
                    Problem(f"parameter.{key}", key, "a parameter name", suggest(key, known))
                )
        new_specs = []
        for spec in self.specs:
            if spec.name in values:
                v = values[spec.name]
                if isinstance(v, list):
                    v = tuple(v)
                try:
                    spec = ParameterSpec(**{**spec.model_dump(), "value": v})
                except ValidationError as err:
                    problems.append(
                        Problem(
                            f"parameter.{spec.name}",
                            v,
                            f"{err.errors()[0]['msg'].removeprefix('Value error, ')}; "
                            f"range [{spec.range[0]:g}, {spec.range[1]:g}] {spec.unit}",
                        )
                    )
            new_specs.append(spec)
        if problems:
            raise ConfigError(problems)
        return ParameterSet(name or self.name, self.description, tuple(new_specs))

    def digest(self) -> str:
        """SHA-256 of the set's content: part of every result's provenance."""
        payload = json.dumps([s.model_dump(mode="json") for s in self.specs], sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class CovariateSet:
    """The covariate distributions of a population."""

    specs: tuple[CovariateSpec, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.specs)

    def __getitem__(self, name: str) -> CovariateSpec:
        for spec in self.specs:
            if spec.name == name:
                return spec
        raise ConfigError(Problem("covariate", name, "a covariate name", suggest(name, self.names)))

    def __iter__(self) -> Iterator[CovariateSpec]:
        return iter(self.specs)


def _read_toml(path: Path | None, packaged: str) -> tuple[dict, str]:
    if path is None:
        text = resources.files("disctwin.params").joinpath("data", packaged).read_text("utf-8")
        where = f"disctwin/params/data/{packaged}"
    else:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(Problem("parameter_file", str(path), "an existing TOML file"))
        text = path.read_text("utf-8")
        where = str(path)
    try:
        return tomllib.loads(text), where
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(Problem(where, "<file>", f"valid TOML ({err})")) from None


def load_parameter_set(path: str | Path | None = None) -> ParameterSet:
    """Load and validate a parameter set (the packaged default if ``path`` is None).

    Raises:
        ConfigError: naming every invalid entry (field, value, what is allowed).
    """
    data, where = _read_toml(Path(path) if path else None, "default.toml")
    meta = data.get("set", {})
    problems: list[Problem] = []
    specs = []
    for i, raw in enumerate(data.get("parameter", [])):
        label = f"{where}: parameter[{i}]" + (f" ({raw['name']})" if "name" in raw else "")
        raw = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
        try:
            specs.append(ParameterSpec(**raw))
        except ValidationError as err:
            problems.extend(_problems_from_validation(label, err, raw))
    if not specs and not problems:
        problems.append(Problem(where, "<file>", "at least one [[parameter]] table"))
    if problems:
        raise ConfigError(problems)
    return ParameterSet(meta.get("name", where), meta.get("description", ""), tuple(specs))


def load_covariate_set(path: str | Path | None = None) -> CovariateSet:
    """Load and validate covariate distributions (the packaged default if ``path`` is None)."""
    data, where = _read_toml(Path(path) if path else None, "covariates.toml")
    problems: list[Problem] = []
    specs = []
    for i, raw in enumerate(data.get("covariate", [])):
        label = f"{where}: covariate[{i}]" + (f" ({raw['name']})" if "name" in raw else "")
        try:
            specs.append(CovariateSpec(**raw))
        except ValidationError as err:
            problems.extend(_problems_from_validation(label, err, raw))
    names = [s.name for s in specs]
    for s in specs:
        if s.depends_on is not None and s.depends_on not in names[: names.index(s.name)]:
            problems.append(
                Problem(
                    f"{where}: covariate {s.name}.depends_on",
                    s.depends_on,
                    "a covariate defined earlier in the file",
                    suggest(s.depends_on, names),
                )
            )
    if problems:
        raise ConfigError(problems)
    return CovariateSet(tuple(specs))
