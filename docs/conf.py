"""Sphinx configuration: MyST Markdown pages, API reference from numpydoc docstrings."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

project = "steppe_geo"
author = "steppe_geo developers"
copyright = "2026, steppe_geo developers"

try:
    from steppe_geo import __version__ as release
except ImportError:  # building without the package installed
    release = "0.1.0"
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "numpydoc",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
myst_enable_extensions = ["colon_fence", "deflist", "dollarmath", "amsmath"]
myst_heading_anchors = 3
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

autodoc_typehints = "none"  # numpydoc docstrings carry the types
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "imported-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()
suppress_warnings = ["myst.header", "ref.python"]
nitpicky = False

html_theme = "alabaster"
html_title = f"steppe_geo {release}"
html_static_path: list[str] = []
