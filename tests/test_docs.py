"""Every example in the docstrings and in README.md runs and prints what it shows."""

import doctest
import importlib
from pathlib import Path

import pytest

import geolasso

# every public module of geolasso (the package's own list, which a test keeps complete)
MODULES = sorted(f"geolasso.{name}" for name in geolasso._SUBMODULES)
README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_readme_examples():
    result = doctest.testfile(str(README), module_relative=False)
    assert result.attempted > 0
    assert result.failed == 0
