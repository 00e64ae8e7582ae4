"""The input files a user writes, checked as a run would check them: ``disctwin validate``.

A file's kind is read from its tables: a parameter set (``[set]``, ``[[parameter]]``,
``[[override]]``), a regimen (``[regimen]``, ``[[dose]]``), a protocol (``[study]``,
``[[arm]]``), economics strategies (``[[strategies]]``) or a covariate set
(``[[covariate]]``). :func:`validate_file` runs every
check the command using it would run before its first patient (the schema, unknown keys
with the nearest name, ranges, the files it refers to: a protocol's regimens and parameter
sets, the strategies' regimens), reading the file the way the run does (UTF-8, TOML).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from disctwin.errors import ConfigError, Problem, read_toml_file

__all__ = ["KINDS", "file_kind", "validate_file"]

#: What a file may be, and the tables that say so.
KINDS: dict[str, tuple[str, ...]] = {
    "protocol": ("study", "arm"),
    "regimen": ("regimen", "dose"),
    "parameter set": ("set", "parameter", "override"),
    "strategies": ("strategies",),
    "covariate set": ("covariate",),
}


def file_kind(data: dict[str, Any]) -> str | None:
    """The kind of a parsed input file (:data:`KINDS`), or None if none fits."""
    for kind, tables in KINDS.items():
        if any(t in data for t in tables):
            return kind
    return None


def validate_file(path: str | Path) -> str:
    """Check ``path`` as the run reading it would (module docs); a one-line summary.

    Raises:
        ConfigError: listing every problem the run would meet before it starts.
    """
    path = Path(path)
    data = read_toml_file(path, str(path))
    kind = file_kind(data)
    if kind == "protocol":
        from disctwin.trial import check_protocol_inputs, load_protocol

        protocol = load_protocol(path)
        check_protocol_inputs(protocol)
        arms, endpoints = len(protocol.arm), len(protocol.endpoint)
        return f"protocol {protocol.study.id}: {arms} arms, {endpoints} endpoints"
    if kind == "regimen":
        from disctwin.therapies import load_regimen

        regimen = load_regimen(path)
        return f"regimen {regimen.name}: {len(regimen.doses)} dose(s)"
    if kind == "parameter set":
        from disctwin.params import load_parameter_set

        ps = load_parameter_set(path)
        return f"parameter set {ps.name}: {len(ps)} parameters"
    if kind == "strategies":
        from disctwin.io.economics import check_strategies_inputs, read_strategies

        spec, base = read_strategies(path)
        check_strategies_inputs(spec, base)
        return f"strategies {spec.name}: {len(spec.strategies)} strategies"
    if kind == "covariate set":
        from disctwin.params import load_covariate_set

        return f"covariate set: {len(load_covariate_set(path).specs)} covariates"
    allowed = "; ".join(f"{k} ({', '.join(ts)})" for k, ts in KINDS.items())
    raise ConfigError(Problem(str(path), sorted(data), f"the tables of {allowed}"))
