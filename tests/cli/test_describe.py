"""The model reference is generated from the code, complete, and never stale."""

from __future__ import annotations

from pathlib import Path

from disctwin.model import DISC_STATES, PATIENT_STATES, build_model
from disctwin.params import load_parameter_set
from disctwin.report import describe_html, describe_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "model.md"


def test_docs_model_md_is_the_generated_reference():
    assert DOC.read_text(encoding="utf-8") == describe_markdown(), (
        "docs/model.md is stale: regenerate with `disctwin describe --out docs/model.md --force`"
    )


def test_reference_lists_every_state_assignment_observable_and_parameter():
    text = describe_markdown()
    m = build_model()
    for s in (*DISC_STATES, *PATIENT_STATES):
        assert f"| `{s.name}` |" in text
    for q in (*m.disc_assignments, *m.patient_assignments, *m.disc_observables):
        assert f"| `{q.name}` |" in text
    for spec in load_parameter_set():
        row = next(line for line in text.splitlines() if line.startswith(f"| `{spec.name}` |"))
        cells = [c.strip() for c in row.strip("|").split(" | ")]
        assert cells[3] == spec.unit and cells[7] == spec.source.replace("|", "\\\\|")


def test_html_has_the_same_content():
    page = describe_html()
    assert page.startswith("<!DOCTYPE html>") and "<table>" in page
    assert page.count("<tr>") > 100
