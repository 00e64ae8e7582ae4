"""The economic layer's docstring examples run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest

MODULES = ["__init__", "budget", "cea", "cohort", "discounting", "utilities"]


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples(module):
    name = "disctwin.economics" if module == "__init__" else f"disctwin.economics.{module}"
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0, result


def test_docs_economics_md_is_the_generated_reference():
    from pathlib import Path

    from disctwin.report.economics_docs import economics_markdown

    doc = Path(__file__).resolve().parents[2] / "docs" / "economics.md"
    assert doc.read_text(encoding="utf-8") == economics_markdown(), (
        "docs/economics.md is stale: regenerate with "
        "`disctwin economics-docs --out docs/economics.md --force`"
    )


def test_economics_reference_shows_the_access_table_with_and_without_patent_sharing():
    from disctwin.economics import load_countries
    from disctwin.report.economics_docs import economics_markdown

    text = economics_markdown()
    for iso3 in load_countries().index:
        assert f"\n| {iso3} | " in text
    assert "affordable (tiered)" in text and "affordable (patent sharing)" in text
    assert "## Budget impact example" in text and "(discouraged)" in text


@pytest.mark.slow
def test_worked_example_is_what_the_example_run_gives():
    """access_example.toml holds numbers of a run: the run, redone, gives them again."""
    from pathlib import Path

    from disctwin.economics import annual_costs, load_access_example, load_cost_items
    from disctwin.io.economics import _evaluate, _follow_ups, read_strategies

    root = Path(__file__).resolve().parents[2]
    spec, base = read_strategies(root / "examples" / "economics" / "clbp_gene_therapies_us.toml")
    summary, outcomes = _evaluate(spec, _follow_ups(spec, base), load_cost_items(spec.country))
    example = load_access_example()
    profile = example.profile
    gain = summary.loc[profile.therapy, "qaly"] - summary.loc[profile.comparator, "qaly"]
    extra = summary.loc[profile.therapy, "cost"] - summary.loc[profile.comparator, "cost"]
    assert gain == pytest.approx(profile.incremental_qaly, rel=1e-9)
    assert extra == pytest.approx(profile.incremental_cost_usd, rel=1e-9)
    yearly = annual_costs(outcomes, 5).loc[[profile.therapy, profile.comparator]]
    np.testing.assert_allclose(yearly.to_numpy(), example.annual_costs.to_numpy(), atol=0.006)
