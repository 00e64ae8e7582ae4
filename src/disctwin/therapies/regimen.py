"""Regimens: lists of doses declared in TOML, validated all at once.

A regimen file::

    [regimen]
    name = "scAAV8 beta-endorphin, one intrathecal injection"
    basis = "Storek 2008, PNAS 105:1055 (rats): relief > 3 months"

    [[dose]]
    day = 0                       # days after the treatment start (day 0)
    modality = "gene_therapy"     # gene_therapy | rnai | crispr | procedure
    vector = "aav8"
    genome = "self_complementary"
    payload = ["pomc"]
    route = "intrathecal"
    dose = 1e13                   # vg per patient (per disc if intradiscal)

Every problem (unknown modality, vector, payload, level, wrong route or unit...) is reported
together, each naming its field, the value and what is allowed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from disctwin.errors import ConfigError, Problem, read_toml_file, suggest
from disctwin.therapies.base import THERAPIES, DoseSettings

__all__ = ["BUILTIN_REGIMENS", "Regimen", "dump_regimen", "load_regimen", "parse_regimen"]


class Regimen(BaseModel):
    """A named list of doses (each a modality's validated settings), sorted by day."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    description: str = ""
    basis: str = ""
    doses: tuple[DoseSettings, ...] = ()

    @classmethod
    def untreated(cls) -> Regimen:
        return cls(name="none", description="no treatment")

    @property
    def treated(self) -> bool:
        return bool(self.doses)

    def to_dict(self) -> dict:
        """Plain data (the TOML structure) that :func:`parse_regimen` reads back."""
        head = {"name": self.name, "description": self.description, "basis": self.basis}
        doses = []
        for d in self.doses:
            raw = d.model_dump(exclude_defaults=False)
            doses.append({k: list(v) if isinstance(v, tuple) else v for k, v in raw.items()})
        return {"regimen": head, "dose": doses}


#: Built-in regimens, usable by name wherever a regimen file is.
BUILTIN_REGIMENS: dict[str, dict] = {
    "none": {"regimen": {"name": "none", "description": "no treatment"}},
    "sham_intradiscal": {
        "regimen": {
            "name": "sham_intradiscal",
            "description": "needle placed in the index disc(s), nothing injected",
        },
        "dose": [{"modality": "procedure", "kind": "sham"}],
    },
    "saline_intradiscal": {
        "regimen": {
            "name": "saline_intradiscal",
            "description": "intradiscal saline in the index disc(s) (VAST control arm)",
        },
        "dose": [{"modality": "procedure", "kind": "saline"}],
    },
    "vehicle_ha_intradiscal": {
        "regimen": {
            "name": "vehicle_ha_intradiscal",
            "description": "hyaluronic-acid vehicle in the index disc(s)",
        },
        "dose": [{"modality": "procedure", "kind": "vehicle_ha"}],
    },
}


#: The keys of a regimen's ``[regimen]`` table.
_HEAD_KEYS = ("name", "description", "basis")
#: Keys that belong to a ``[[dose]]`` table (any modality's), to point a misplaced one there.
_DOSE_KEYS = frozenset({"modality", "dose", "day", "route", "vector", "payload", "levels"})


def parse_regimen(data: dict, where: str = "regimen") -> Regimen:
    """Validate regimen data (the parsed TOML); raise ConfigError listing every problem."""
    problems: list[Problem] = []
    unknown = set(data) - {"regimen", "dose"}
    for key in sorted(unknown):
        problems.append(Problem(f"{where}.{key}", key, "[regimen] and [[dose]] tables"))
    head = data.get("regimen", {})
    if not isinstance(head, dict) or "name" not in head:
        problems.append(Problem(f"{where}.regimen.name", None, "a [regimen] table with a name"))
        head = {"name": "?"}
    for key in sorted(set(head) - set(_HEAD_KEYS)):
        hint = suggest(key, _HEAD_KEYS)
        if key in _DOSE_KEYS:
            hint = None
            allowed = f"{', '.join(_HEAD_KEYS)} ({key!r} belongs in a [[dose]] table)"
        else:
            allowed = ", ".join(_HEAD_KEYS)
        problems.append(Problem(f"{where}.regimen.{key}", head[key], allowed, hint))
    doses = []
    raw_doses = data.get("dose", [])
    if not isinstance(raw_doses, list):
        problems.append(Problem(f"{where}.dose", raw_doses, "a list of [[dose]] tables"))
        raw_doses = []
    for i, raw in enumerate(raw_doses):
        field = f"{where}.dose[{i}]"
        modality = raw.get("modality") if isinstance(raw, dict) else None
        if not isinstance(modality, str) or modality not in THERAPIES:
            problems.append(
                Problem(
                    f"{field}.modality",
                    modality,
                    ", ".join(sorted(THERAPIES)),
                    suggest(str(modality), THERAPIES),
                )
            )
            continue
        therapy = THERAPIES[modality]()
        clean: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
        try:
            settings = therapy.Settings(**clean)
        except ValidationError as err:
            for e in err.errors():
                loc = ".".join(str(x) for x in e["loc"])
                allowed = e["msg"].removeprefix("Value error, ")
                bad = e.get("input")
                names = therapy.Settings.model_fields
                hint = suggest(loc, names) if e["type"] == "extra_forbidden" else None
                problems.append(Problem(f"{field}.{loc}", bad, allowed, hint))
            continue
        for p in therapy.check(settings):
            problems.append(
                Problem(f"{field}.{p.field.split('.', 1)[-1]}", p.value, p.allowed, p.suggestion)
            )
        doses.append(settings)
    try:
        regimen = Regimen(
            name=str(head.get("name")),
            description=str(head.get("description", "")),
            basis=str(head.get("basis", "")),
            doses=tuple(sorted(doses, key=lambda d: d.day)),
        )
    except ValidationError as err:
        problems += [Problem(f"{where}.regimen", e.get("input"), e["msg"]) for e in err.errors()]
        regimen = None
    if problems or regimen is None:
        raise ConfigError(problems)
    return regimen


def load_regimen(source: str | Path) -> Regimen:
    """A regimen from a TOML file, or a built-in one by name (:data:`BUILTIN_REGIMENS`)."""
    if str(source) in BUILTIN_REGIMENS:
        return parse_regimen(BUILTIN_REGIMENS[str(source)], str(source))
    path = Path(source)
    if not path.is_file():
        raise ConfigError(
            Problem(
                "regimen",
                str(source),
                "a regimen TOML file or a built-in name: " + ", ".join(BUILTIN_REGIMENS),
                suggest(str(source), BUILTIN_REGIMENS),
            )
        )
    return parse_regimen(read_toml_file(path, "regimen"), path.name)


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def dump_regimen(regimen: Regimen) -> str:
    """TOML text of a regimen (``load_regimen`` of it gives the same regimen)."""
    data = regimen.to_dict()
    lines = ["[regimen]"] + [f"{k} = {_toml_value(v)}" for k, v in data["regimen"].items()]
    for dose in data["dose"]:
        lines += ["", "[[dose]]"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in dose.items() if v is not None]
    return "\n".join(lines) + "\n"
