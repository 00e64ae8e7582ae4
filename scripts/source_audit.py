"""Count how the packaged data files cite their numbers (issue 26, "Sources").

For every TOML file under ``src/disctwin/*/data/`` it prints the number of sourced entries
and how many of their sources

- are assumptions (the source starts with "assumption"),
- are marked "re-check" (recalled, not re-read),
- mention "SCIENCE.md" (a project-internal document that must not be cited),

plus the lines of the file (comments included) that mention SCIENCE.md.

A sourced entry is any table with a string ``source`` (a parameter, a catalogue quantity,
a cost item, ...), and any other string key ending in ``_source`` (e.g.
``seroprevalence_source``), counted as one entry of its own.

Run from the repository root::

    python scripts/source_audit.py            # table per file and totals
    python scripts/source_audit.py --list re-check   # the entries behind one column
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "disctwin"
KINDS = ("assumption", "re-check", "SCIENCE.md")


def _sources(obj, path=""):
    """(path, source) for every sourced entry in a parsed TOML document."""
    if isinstance(obj, dict):
        if isinstance(obj.get("source"), str):
            yield path or ".", obj["source"]
        for key, val in obj.items():
            here = f"{path}.{key}" if path else key
            if key != "source" and key.endswith("_source") and isinstance(val, str):
                yield here, val
            elif isinstance(val, (dict, list)):
                yield from _sources(val, here)
    elif isinstance(obj, list):
        for i, val in enumerate(obj):
            name = val.get("name") if isinstance(val, dict) else None
            yield from _sources(val, f"{path}[{name if name else i}]")


def classify(source: str) -> dict[str, bool]:
    """Which of KINDS a source string is."""
    text = source.strip()
    return {
        "assumption": text.lower().startswith("assumption"),
        "re-check": "re-check" in text.lower(),
        "SCIENCE.md": "SCIENCE.md" in text,
    }


def audit(files: list[Path]) -> list[dict]:
    rows = []
    for f in files:
        entries = list(_sources(tomllib.loads(f.read_text(encoding="utf-8"))))
        row = {"file": f.relative_to(ROOT).as_posix(), "entries": len(entries)}
        for kind in KINDS:
            row[kind] = [p for p, s in entries if classify(s)[kind]]
        row["lines citing SCIENCE.md"] = sum(
            "SCIENCE.md" in line for line in f.read_text(encoding="utf-8").splitlines()
        )
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--list", choices=KINDS, help="list the entries of one kind per file")
    args = ap.parse_args(argv)
    files = sorted(DATA.glob("*/data/*.toml"))
    rows = audit(files)
    head = ("file", "entries", *KINDS, "lines citing SCIENCE.md")
    width = max(len(r["file"]) for r in rows)
    print(f"{head[0]:<{width}}  " + "  ".join(f"{h:>10}" for h in head[1:]))
    total = dict.fromkeys(head[1:], 0)
    for r in rows:
        cells = [r["entries"], *(len(r[k]) for k in KINDS), r["lines citing SCIENCE.md"]]
        for h, c in zip(head[1:], cells, strict=True):
            total[h] += c
        print(f"{r['file']:<{width}}  " + "  ".join(f"{c:>10}" for c in cells))
    print(f"{'total':<{width}}  " + "  ".join(f"{total[h]:>10}" for h in head[1:]))
    if args.list:
        for r in rows:
            for p in r[args.list]:
                print(f"{r['file']}: {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
