"""Packaging: the installed distribution, import cost, generated code and docstrings."""

import importlib
import inspect
import os
import pathlib
import re
import subprocess
import sys

import pytest

import geolasso
from geolasso import _codegen, algebra

REPO = pathlib.Path(__file__).resolve().parents[1]


def test_installed_distribution_has_both_packages(tmp_path):
    """From a directory outside the checkout, both top-level packages import."""
    code = (
        "import geolasso, viz, importlib.metadata as m;"
        "print(m.version('geolasso'), geolasso.__version__, viz.__version__)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": ""},
    )
    version, *rest = out.stdout.split()
    assert rest == [geolasso.__version__, geolasso.__version__]
    assert version.split("+")[0] == geolasso.__version__


def test_import_stays_light():
    """import geolasso pulls in neither numba, sympy, clifford nor matplotlib."""
    code = (
        "import sys, geolasso;"
        "print(sorted(m for m in ('numba', 'sympy', 'clifford', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_core_never_imports_viz():
    for path in (REPO / "geolasso").glob("*.py"):
        text = path.read_text()
        assert not re.search(r"^\s*(from|import)\s+(viz|matplotlib)", text, re.M), path.name


def test_generated_kernels_are_current():
    committed = (REPO / "geolasso" / "_wedge_kernels.py").read_text()
    assert committed == _codegen.render(), "run: python -m geolasso._codegen"
    assert _codegen.MAX_DIM == algebra.MINORS_MAX_DIM


def _public_callables():
    for name in geolasso.__all__:
        obj = getattr(geolasso, name)
        if inspect.isfunction(obj):
            yield f"geolasso.{name}", obj
    symbolic = importlib.import_module("geolasso.symbolic")
    for name in symbolic.__all__:
        yield f"geolasso.symbolic.{name}", getattr(symbolic, name)


@pytest.mark.parametrize(("name", "func"), list(_public_callables()), ids=lambda v: str(v))
def test_numpydoc_documents_every_parameter(name, func):
    doc = inspect.getdoc(func) or ""
    assert doc.splitlines()[0].strip(), f"{name} has no summary line"
    params = [p for p in inspect.signature(func).parameters if p not in ("self",)]
    if params:
        assert "Parameters\n----------" in doc, f"{name} lacks a Parameters section"
        for p in params:
            assert re.search(rf"^{re.escape(p)}( :|$)", doc, re.M), f"{name}: {p} undocumented"
    assert "Returns\n-------" in doc, f"{name} lacks a Returns section"
