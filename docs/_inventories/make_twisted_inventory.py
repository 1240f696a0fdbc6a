"""
Write ``twisted.inv``: a Sphinx inventory of Twisted's public API, for intersphinx.

The documentation builds offline (intersphinx cannot download Twisted's own
``objects.inv``), so this inventory is generated from the installed Twisted's
source, without importing it: every public module, class, function and method
outside the test packages, pointing at Twisted's API pages (pydoctor's layout:
one page per module and per class, functions and methods as anchors).

Run it again after a Twisted upgrade: ``python docs/_inventories/make_twisted_inventory.py``.
"""

from __future__ import annotations

import ast
import os
import zlib

import twisted

HERE = os.path.dirname(os.path.abspath(__file__))


def public(name: str) -> bool:
    return not name.startswith("_")


def entries() -> list[tuple[str, str, str]]:
    """``(name, role, uri)`` for each public object of the installed Twisted."""
    root = os.path.dirname(os.path.dirname(twisted.__file__))
    found: list[tuple[str, str, str]] = []
    for directory, folders, files in os.walk(os.path.dirname(twisted.__file__)):
        folders[:] = sorted(f for f in folders if public(f) and f != "test")
        for file in sorted(files):
            if not file.endswith(".py") or not (public(file) or file == "__init__.py"):
                continue
            path = os.path.join(directory, file)
            parts = os.path.relpath(path, root)[: -len(".py")].split(os.sep)
            if parts[-1] == "__init__":
                parts.pop()
            if parts[-1] == "test" or "test" in parts:
                continue
            module = ".".join(parts)
            found.append((module, "py:module", f"{module}.html"))
            with open(path, "rb") as source:
                try:
                    tree = ast.parse(source.read())
                except SyntaxError:
                    continue
            found.extend(reexports(module, tree))
            for node in tree.body:
                if isinstance(node, ast.ClassDef) and public(node.name):
                    name = f"{module}.{node.name}"
                    found.append((name, "py:class", f"{name}.html"))
                    for member in node.body:
                        if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)) and public(
                            member.name
                        ):
                            found.append(
                                (f"{name}.{member.name}", "py:method", f"{name}.html#{member.name}")
                            )
                elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and public(
                    node.name
                ):
                    found.append(
                        (f"{module}.{node.name}", "py:function", f"{module}.html#{node.name}")
                    )
    return found


def reexports(module: str, tree: ast.Module) -> list[tuple[str, str, str]]:
    """
    Names a module imports from a private one and lists in ``__all__``
    (``twisted.trial.unittest.SynchronousTestCase``): Twisted documents them
    where they are re-exported.
    """
    exported: set[str] = set()
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
            and isinstance(node.value, (ast.List, ast.Tuple))
        ):
            exported = {e.value for e in node.value.elts if isinstance(e, ast.Constant)}
    found = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and "._" in f".{node.module}":
            for alias in node.names:
                name = alias.asname or alias.name
                if name in exported:
                    role = "py:class" if name[:1].isupper() else "py:function"
                    found.append((f"{module}.{name}", role, f"{module}.{name}.html"))
    return found


def main() -> None:
    lines = [f"{name} {role} 1 {uri} -" for name, role, uri in sorted(set(entries()))]
    header = (
        "# Sphinx inventory version 2\n"
        "# Project: Twisted\n"
        f"# Version: {twisted.__version__}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    with open(os.path.join(HERE, "twisted.inv"), "wb") as out:
        out.write(header.encode())
        out.write(zlib.compress("\n".join(lines).encode() + b"\n", 9))


if __name__ == "__main__":
    main()
