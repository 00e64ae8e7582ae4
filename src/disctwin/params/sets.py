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
    "PACKAGED_SETS",
    "CovariateSet",
    "ParameterSet",
    "load_covariate_set",
    "load_parameter_set",
    "load_posterior",
    "posterior_draw",
]

#: Parameter sets shipped with DiscTwin, by name -> file in ``disctwin/params/data``.
#: ``uncalibrated`` holds the sourced priors; ``calibrated`` is an overlay on it (fitted
#: values + posterior sample, see ``disctwin calibrate natural-history``).
PACKAGED_SETS: dict[str, str] = {
    "calibrated": "calibrated-2026.11.toml",
    "uncalibrated": "default.toml",
}

#: The set :func:`load_parameter_set` returns when no path is given.
DEFAULT_SET = "calibrated"

#: Spec fields an overlay (``[[override]]``) may change; other keys are informational.
_OVERRIDABLE = ("value", "between_patient_cv", "between_disc_cv")


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

    def replace(
        self, name: str | None = None, /, **values: float | tuple[float, ...]
    ) -> ParameterSet:
        """Return a copy with some default values replaced (each re-validated against its range).

        ``name`` (positional only) renames the copy; every keyword is a parameter's new value.

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


def _locate(path: str | Path | None) -> tuple[Path | None, str]:
    """(file path or None for a packaged file, packaged file name)."""
    if path is None:
        return None, PACKAGED_SETS[DEFAULT_SET]
    if str(path) in PACKAGED_SETS:
        return None, PACKAGED_SETS[str(path)]
    return Path(path), ""


def load_parameter_set(path: str | Path | None = None) -> ParameterSet:
    """Load and validate a parameter set.

    Args:
        path: a TOML file, a packaged set name (:data:`PACKAGED_SETS`: ``"calibrated"``,
            ``"uncalibrated"``), or None for :data:`DEFAULT_SET`.

    A file is either a full set (``[[parameter]]`` tables) or an overlay: ``[set] base =``
    names a packaged set or a file (relative to the overlay) and ``[[override]]`` tables
    replace the ``value`` and variability of named parameters; every other parameter,
    including those added to the base later, flows through unchanged.

    Raises:
        ConfigError: naming every invalid entry (field, value, what is allowed).
    """
    file, packaged = _locate(path)
    data, where = _read_toml(file, packaged)
    meta = data.get("set", {})
    if "base" in meta:
        return _load_overlay(data, where, file)
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


def _load_overlay(data: dict, where: str, file: Path | None) -> ParameterSet:
    meta = data["set"]
    base_name = str(meta["base"])
    if base_name in PACKAGED_SETS:
        base = load_parameter_set(base_name)
    elif file is not None:
        base = load_parameter_set(file.parent / base_name)
    else:
        raise ConfigError(Problem(f"{where}: set.base", base_name, ", ".join(PACKAGED_SETS)))
    problems: list[Problem] = []
    changes: dict[str, dict] = {}
    for i, raw in enumerate(data.get("override", [])):
        name = raw.get("name")
        label = f"{where}: override[{i}]" + (f" ({name})" if name else "")
        if name not in base:
            problems.append(
                Problem(label, name, "a parameter of the base set", suggest(str(name), base.names))
            )
            continue
        changes[name] = {k: raw[k] for k in _OVERRIDABLE if k in raw}
    if problems:
        raise ConfigError(problems)
    note = meta.get("override_note", f"calibrated in {meta.get('name', where)}")
    specs = []
    for spec in base:
        if spec.name in changes:
            fields = {**spec.model_dump(), **changes[spec.name]}
            fields["value"] = (
                tuple(fields["value"]) if isinstance(fields["value"], list) else fields["value"]
            )
            fields["source"] = f"{spec.source}; {note}"
            try:
                spec = ParameterSpec(**fields)
            except ValidationError as err:
                problems.extend(_problems_from_validation(f"{where}: {spec.name}", err, fields))
                continue
        specs.append(spec)
    if problems:
        raise ConfigError(problems)
    return ParameterSet(meta.get("name", where), meta.get("description", ""), tuple(specs))


def _posterior_path(path: str | Path | None) -> Path:
    file, packaged = _locate(path)
    data, where = _read_toml(file, packaged)
    posterior = data.get("set", {}).get("posterior")
    if posterior is None:
        raise ConfigError(Problem("parameter set", where, "a set with a posterior sample"))
    if file is None:
        return Path(str(resources.files("disctwin.params").joinpath("data", posterior)))
    return file.parent / posterior


def load_posterior(path: str | Path | None = None) -> list[dict[str, float]]:
    """The posterior sample of a calibrated set: one dict per draw.

    Keys are parameter names (the value) or ``name.between_patient_cv`` /
    ``name.between_disc_cv`` (variability), as written by ``disctwin calibrate``.
    """
    import csv

    with _posterior_path(path).open(newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(line for line in fh if not line.startswith("#"))]
    return [{k: float(v) for k, v in r.items() if k != "draw"} for r in rows]


def posterior_draw(draw: int, path: str | Path | None = None) -> ParameterSet:
    """The calibrated set with the fitted parameters of posterior draw ``draw``.

    Simulating the same population with different draws shows parameter uncertainty,
    kept apart from between-patient variability (the population) and measurement noise.

    Raises:
        ConfigError: when ``draw`` is not an index of the posterior sample.
    """
    sample = load_posterior(path)
    if not 0 <= draw < len(sample):
        raise ConfigError(Problem("draw", draw, f"a draw index 0..{len(sample) - 1}"))
    ps = load_parameter_set(path)
    by_name: dict[str, dict] = {}
    for key, v in sample[draw].items():
        name, _, attr = key.partition(".")
        by_name.setdefault(name, {})[attr or "value"] = v
    specs = []
    for spec in ps:
        if spec.name in by_name:
            spec = ParameterSpec(**{**spec.model_dump(), **by_name[spec.name]})
        specs.append(spec)
    return ParameterSet(f"{ps.name}#draw{draw}", ps.description, tuple(specs))


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
