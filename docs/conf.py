"""Sphinx configuration of geolasso's documentation (``make -C docs html``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the checkout's geolasso and viz, installed or not
os.environ.setdefault("MPLBACKEND", "Agg")

import geolasso  # noqa: E402

project = "geolasso"
author = "the geolasso developers"
copyright = "2026, the geolasso developers"
version = release = geolasso.__version__.split("+")[0]

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "auto_gallery/*.ipynb", "auto_gallery/*.py", "**.zip"]
templates_path: list[str] = []

# autodoc: each module page documents what the module defines (not what it re-exports)
# (a flag option is on when present, whatever its value: only the wanted ones are listed)
autodoc_default_options = {"members": True, "ignore-module-all": True}
autodoc_member_order = "bysource"
autodoc_typehints = "none"
autosummary_generate = False

# numpydoc renders the Parameters/Returns sections; members are listed by autodoc
numpydoc_show_class_members = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()

myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3

intersphinx_mapping: dict[str, tuple[str, None]] = {}  # built offline: no inventories fetched

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "gallery"),
    "gallery_dirs": "auto_gallery",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "show_signature": False,
    "capture_repr": ("_repr_html_", "__repr__"),
    "matplotlib_animations": True,
    "reset_modules": ("matplotlib",),
    "min_reported_time": 1e9,
}

html_theme = "pydata_sphinx_theme"
html_title = f"geolasso {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path: list[str] = []
html_last_updated_fmt = None

# warnings that are not about the documentation itself: sphinx-gallery's configuration
# is not picklable, and the module docstrings' reference lists are read, not cited inline
suppress_warnings = ["config.cache", "ref.citation"]
nitpicky = False


def _skip_foreign(app, what, name, obj, skip, options):
    """Leave out what scikit-learn adds to the estimators (metadata-routing request
    methods, inherited mixin methods): its docstrings point into scikit-learn's docs."""
    owner = getattr(obj, "__module__", None) or ""
    qualname = getattr(obj, "__qualname__", "")
    if owner.startswith("sklearn") or qualname.startswith("RequestMethod"):
        return True
    return skip


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign)
