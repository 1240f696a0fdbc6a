"""Sphinx configuration for the txnetserver documentation."""

import datetime
import os

import txnetserver

project = "txnetserver"
author = "The txnetserver developers"
copyright = f"2026-{datetime.date.today().year}, {author}".replace("2026-2026", "2026")
# One source for the version: txnetserver.__version__ (also the packaging metadata's).
release = txnetserver.__version__
version = ".".join(release.split(".")[:2])

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.intersphinx"]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
html_theme = "furo"
html_title = f"txnetserver {release}"
exclude_patterns = ["_build", "_inventories"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
# Full names in types: short ones ("~a.B | ~c.D") lose the first link of a union (Sphinx 9).
autodoc_typehints_format = "fully-qualified"
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]

# Every cross-reference must resolve (tests/test_docs.py builds with -n -W).
nitpicky = True

# Links to Python's and Twisted's documentation. The build runs offline (CI and
# the tests have no internet), so intersphinx reads inventories shipped in
# _inventories/ instead of downloading them: python.inv is CPython's own
# objects.inv (Debian's python3.11-doc), twisted.inv is generated from the
# installed Twisted by _inventories/make_twisted_inventory.py.
_inventories = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_inventories")
intersphinx_mapping = {
    "python": ("https://docs.python.org/3/", os.path.join(_inventories, "python.inv")),
    "twisted": (
        "https://docs.twisted.org/en/stable/api/",
        os.path.join(_inventories, "twisted.inv"),
    ),
}


_named = [0]  # how many modules the last pass of _nameInterfaces saw


def _nameInterfaces(*_: object) -> None:
    """
    Give zope interfaces the ``__qualname__`` classes have, so that Sphinx renders
    an annotation such as ``transport: ITransport`` as a link to
    ``twisted.internet.interfaces.ITransport`` instead of the interface's repr.
    Only the documentation build does this.
    """
    import sys

    from zope.interface.interface import InterfaceClass

    if len(sys.modules) == _named[0]:
        return  # no module imported since the last pass
    _named[0] = len(sys.modules)
    for module in list(sys.modules.values()):
        for value in list(getattr(module, "__dict__", {}).values()):
            if isinstance(value, InterfaceClass) and "__qualname__" not in vars(value):
                value.__qualname__ = value.__name__


_nameInterfaces()


def _publicPaths() -> dict[int, str]:
    """Where users import each public object from: ``id(obj)`` -> dotted path."""
    import importlib

    paths: dict[int, str] = {}
    for name in ("txnetserver", "txnetserver.types", "txnetserver.errors", "txnetserver.testing"):
        module = importlib.import_module(name)
        for attribute in getattr(module, "__all__", []):
            paths.setdefault(id(getattr(module, attribute)), f"{name}.{attribute}")
    return paths


def _qualifyImportedNames(app, env, node, contnode):  # type: ignore[no-untyped-def]
    """
    A bare name in a signature (``host: IPv4Address``, from a module with
    ``from __future__ import annotations``) is resolved as the documented
    module sees it: to where users import it from if it is ours
    (``txnetserver.types.ISocketOwner``), else through intersphinx
    (``twisted.internet.address.IPv4Address``).
    """
    import sys

    from sphinx.ext.intersphinx import missing_reference

    target = node.get("reftarget", "")
    if node.get("refdomain") != "py" or "." in target:
        return None
    value = getattr(sys.modules.get(node.get("py:module") or ""), target, None)
    if value is None or isinstance(value, (str, int, float)):
        return None
    public = _publicPaths().get(id(value))
    if public is not None:
        return env.get_domain("py").resolve_xref(
            env, node["refdoc"], app.builder, node["reftype"], public, node, contnode
        )
    if not hasattr(value, "__qualname__"):
        return None
    node["reftarget"] = f"{value.__module__}.{value.__qualname__}"
    return missing_reference(app, env, node, contnode)


def setup(app):  # type: ignore[no-untyped-def]
    app.connect("missing-reference", _qualifyImportedNames)
    # Modules autodoc imports later may bring interfaces of their own.
    app.connect("autodoc-before-process-signature", _nameInterfaces)
    # ``.. fixture:: name`` documents a pytest fixture of txnetserver's plugin
    # (``{fixture}`name``` links to it); they appear in objects.inv as std:fixture.
    app.add_object_type("fixture", "fixture", objname="pytest fixture")
