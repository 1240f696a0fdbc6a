"""Sphinx configuration for the txnetserver documentation."""

project = "txnetserver"
author = "txnetserver developers"
extensions = ["myst_parser", "sphinx.ext.autodoc"]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
html_theme = "furo"
exclude_patterns = ["_build"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
nitpicky = False
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]
