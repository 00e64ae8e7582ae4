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

from disctwin.errors import ConfigError, Problem, read_text_file, suggest
from disctwin.params.spec import CovariateSpec, ParameterSpec

__all__ = [
    "DEFAULT_SET",
    "PACKAGED_SETS",
    "CovariateSet",
    "ParameterSet",
    "load_covariate_set",
    "load_parameter_set",
    "load_posterior",
    "parameter_set_files",
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
        text = read_text_file(path, "parameter_file", what="TOML file")
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
    including those added to the base later, flows through unchanged. Unknown tables and
    keys (a misspelt ``[[overide]]`` or ``valeu``) are refused, with the nearest name, and
    so is an overlay whose chain of bases comes back to itself.

    Raises:
        ConfigError: naming every invalid entry (field, value, what is allowed).
    """
    return _load_set(path, ())


def _load_set(path: str | Path | None, chain: tuple[str, ...]) -> ParameterSet:
    file, packaged = _locate(path)
    data, where = _read_toml(file, packaged)
    problems = _layout_problems(data, where)
    if problems:
        raise ConfigError(problems)
    meta = data.get("set", {})
    if "base" in meta:
        return _load_overlay(data, where, file, chain)
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


#: The tables of a parameter-set file and the keys each may hold (``None``: any key).
_TABLES: dict[str, tuple[str, ...] | None] = {
    "set": ("name", "description", "base", "override_note", "posterior"),
    "provenance": None,
    "parameter": tuple(ParameterSpec.model_fields),
    "override": (
        "name",
        *_OVERRIDABLE,
        *(f"posterior_90_{k}" for k in _OVERRIDABLE),
    ),
}
_ARRAYS = ("parameter", "override")


def _layout_problems(data: dict, where: str) -> list[Problem]:
    """Unknown or misplaced tables and keys of a parameter-set file (typos included)."""
    problems = []
    for key, value in data.items():
        if key not in _TABLES:
            problems.append(
                Problem(f"{where}: [{key}]", key, ", ".join(_TABLES), suggest(key, _TABLES))
            )
            continue
        array = key in _ARRAYS
        if array and not (isinstance(value, list) and all(isinstance(x, dict) for x in value)):
            problems.append(Problem(f"{where}: {key}", value, f"[[{key}]] tables"))
            continue
        if not array and not isinstance(value, dict):
            problems.append(Problem(f"{where}: {key}", value, f"a [{key}] table"))
            continue
        allowed = _TABLES[key]
        if allowed is None:
            continue
        for i, table in enumerate(value if array else [value]):
            label = f"{where}: {key}[{i}]" if array else f"{where}: {key}"
            for name in table:
                if name not in allowed:
                    problems.append(
                        Problem(f"{label}.{name}", name, ", ".join(allowed), suggest(name, allowed))
                    )
    meta = data.get("set", {})
    if isinstance(meta, dict) and "base" in meta and "parameter" in data:
        problems.append(
            Problem(f"{where}: [[parameter]]", "<tables>", "[[override]] tables in an overlay")
        )
    return problems


def _load_overlay(
    data: dict, where: str, file: Path | None, chain: tuple[str, ...]
) -> ParameterSet:
    meta = data["set"]
    base_name = str(meta["base"])
    here = str(file.resolve()) if file is not None else where
    if here in chain:
        loop = " -> ".join((*chain[chain.index(here) :], here))
        raise ConfigError(
            Problem(
                f"{where}: set.base", base_name, f"a base that does not lead back here ({loop})"
            )
        )
    if base_name in PACKAGED_SETS:
        base = _load_set(base_name, (*chain, here))
    elif file is not None:
        base = _load_set(file.parent / base_name, (*chain, here))
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


def parameter_set_files(path: str | Path | None = None) -> tuple[Path, ...]:
    """The user's files a parameter set is read from: the file itself, then the file bases
    of its overlays in turn (packaged sets are part of DiscTwin, not listed). For the
    provenance of a run: a resumed run whose parameter files changed is refused."""
    files: list[Path] = []
    seen: set[Path] = set()
    file, _ = _locate(path)
    while file is not None and file.is_file() and file.resolve() not in seen:
        files.append(file)
        seen.add(file.resolve())
        try:
            data, _ = _read_toml(file, "")
        except ConfigError:
            break
        meta = data.get("set")
        base = meta.get("base") if isinstance(meta, dict) else None
        if base is None or str(base) in PACKAGED_SETS:
            break
        file = file.parent / str(base)
    return tuple(files)


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

    text = read_text_file(_posterior_path(path), "posterior", what="CSV file")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    rows = list(csv.DictReader(lines))
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
