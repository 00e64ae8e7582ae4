"""The economic layer's docstring examples run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["__init__", "budget", "cea", "cohort", "discounting", "utilities"]


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples(module):
    name = "disctwin.economics" if module == "__init__" else f"disctwin.economics.{module}"
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0, result
