"""The therapy catalogue: every number sourced, and docs/therapies.md never stale."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from disctwin.report.catalogue import catalogue_markdown
from disctwin.therapies import catalogue
from disctwin.therapies.catalogue import Quantity

DOC = Path(__file__).resolve().parents[2] / "docs" / "therapies.md"


def _quantities(obj, path=""):
    if isinstance(obj, Quantity):
        yield path, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _quantities(v, f"{path}.{k}")
    elif isinstance(obj, BaseModel):
        for k in type(obj).model_fields:
            yield from _quantities(getattr(obj, k), f"{path}.{k}")


def test_every_catalogue_number_has_a_unit_range_and_a_reasoned_source():
    found = list(_quantities(catalogue()))
    assert len(found) > 80
    for path, q in found:
        assert q.range[0] <= q.value <= q.range[1], path
        source = q.source.strip()
        assert len(source) > 10, path
        if source.lower().startswith("assumption"):
            assert len(source.split(":", 1)[-1].strip()) > 3, path


def test_docs_therapies_md_is_the_generated_catalogue():
    assert DOC.read_text(encoding="utf-8") == catalogue_markdown(), (
        "docs/therapies.md is stale: regenerate with "
        "`disctwin catalogue --out docs/therapies.md --force`"
    )
