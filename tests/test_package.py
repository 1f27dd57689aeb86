"""Packaging: the installed distribution, import cost, generated code and docstrings."""

import dataclasses
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
    """import geolasso pulls in neither numba, sympy, clifford, matplotlib nor scikit-learn."""
    code = (
        "import sys, geolasso;"
        "print(sorted(m for m in ('numba', 'sympy', 'clifford', 'matplotlib', 'sklearn')"
        " if m in sys.modules))"
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


DOCUMENTED_MODULES = [
    "geolasso",
    "geolasso.symbolic",
    "geolasso.dictionary",
    "geolasso.datasets",
    "geolasso.lasso",
    "geolasso.estimators",
    "geolasso.network",
    "geolasso.arrangements",
    "geolasso.certificate",
    "geolasso.convex",
    "geolasso.crelu",
    "geolasso.readers",
    "geolasso.explanation",
    "geolasso.snapping",
    "geolasso.batchnorm",
    "geolasso.bn_network",
    "geolasso.gan",
    "geolasso.attention",
    "geolasso.diffusion",
]


def _public_callables():
    """Public functions, public classes (their constructor) and their public methods."""
    seen = set()
    for module_name in DOCUMENTED_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if inspect.isfunction(obj):
                yield f"{module_name}.{name}", obj
            elif inspect.isclass(obj) and obj.__module__.startswith("geolasso"):
                yield f"{module_name}.{name}", obj
                for attr, member in vars(obj).items():
                    if attr.startswith("_"):
                        continue
                    if isinstance(member, classmethod):
                        member = member.__func__
                    if inspect.isfunction(member):
                        yield f"{module_name}.{name}.{attr}", getattr(obj, attr)


@pytest.mark.parametrize(("name", "func"), list(_public_callables()), ids=lambda v: str(v))
def test_numpydoc_documents_every_parameter(name, func):
    doc = inspect.getdoc(func) or ""
    assert doc.splitlines()[0].strip(), f"{name} has no summary line"
    target = func.__init__ if inspect.isclass(func) else func
    params = [p for p in inspect.signature(target).parameters if p not in ("self", "cls")]
    params = [p for p in params if p not in ("args", "kwargs")]
    if dataclasses.is_dataclass(func):  # result records: their fields are the attributes
        assert "Attributes\n----------" in doc, f"{name} lacks an Attributes section"
    elif params:
        assert "Parameters\n----------" in doc, f"{name} lacks a Parameters section"
        for p in params:
            assert re.search(rf"^{re.escape(p)}( :|$)", doc, re.M), f"{name}: {p} undocumented"
    if not inspect.isclass(func):
        assert "Returns\n-------" in doc, f"{name} lacks a Returns section"


def test_submodules_are_attributes_of_the_package():
    """``import geolasso; geolasso.datasets.spiral()`` works (submodules load on first use)."""
    code = (
        "import geolasso; X, y = geolasso.datasets.spiral(20); "
        "print(X.shape, geolasso.cnn.ConvexCNN.__name__, hasattr(geolasso, 'no_such_module'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["(20,", "2)", "ConvexCNN", "False"]


def test_every_public_module_is_an_attribute():
    import pathlib

    public = {
        p.stem
        for p in pathlib.Path(geolasso.__file__).parent.glob("*.py")
        if not p.stem.startswith("_")
    }
    assert public == set(geolasso._SUBMODULES)
