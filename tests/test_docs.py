"""Every docstring example in the package and every example in docs/*.md runs and is right."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import gazelearn

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
DOCS = Path(__file__).resolve().parents[1] / "docs"
MODULES = sorted(
    info.name for info in pkgutil.walk_packages(gazelearn.__path__, prefix="gazelearn.")
    if not info.name.endswith("__main__")
)


@pytest.mark.parametrize("name", ["gazelearn", *MODULES])
def test_module_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=FLAGS)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


@pytest.mark.parametrize("page", sorted(DOCS.glob("*.md")), ids=lambda p: p.name)
def test_docs_page_examples(page):
    result = doctest.testfile(str(page), module_relative=False, optionflags=FLAGS)
    assert result.failed == 0, f"{result.failed} example(s) failed in {page.name}"
