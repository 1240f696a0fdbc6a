"""
Tests for txnetserver._defaults, where every default is defined once: each
one it lists is defined there and used by some other module of the package
(none defined and forgotten), and no other module writes a distinctive
default (511, 65536, ...) out again as a module constant of its own.
"""

from __future__ import annotations

import ast
from pathlib import Path

from txnetserver import _defaults

PACKAGE = Path(_defaults.__file__).parent


def otherModules() -> dict[str, ast.Module]:
    """Every module of the package but _defaults, parsed."""
    return {
        path.name: ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(PACKAGE.glob("*.py"))
        if path.name != "_defaults.py"
    }


def isDistinctive(value: object) -> bool:
    """A default worth finding elsewhere: not a flag nor a small count (10 s, 1 worker, ...)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return abs(value) >= 100
    return True


def test_every_listed_default_is_defined_and_only_those_are() -> None:
    defined = [name for name in vars(_defaults) if name.isupper()]
    assert sorted(_defaults.__all__) == sorted(defined)


def test_every_default_is_used_by_another_module() -> None:
    used: set[str] = set()
    for tree in otherModules().values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("_defaults"):
                used.update(alias.name for alias in node.names)
            elif isinstance(node, ast.Attribute):
                used.add(node.attr)
    assert sorted(set(_defaults.__all__) - used) == []


def test_no_other_module_writes_a_default_out_again_as_a_constant() -> None:
    defaults = {
        name: getattr(_defaults, name)
        for name in _defaults.__all__
        if isDistinctive(getattr(_defaults, name))
    }
    assert defaults["DEFAULT_BACKLOG"] == 511 and "DEFAULT_HIGH_WATER_MARK" in defaults
    repeated = []
    for module, tree in otherModules().items():
        for node in tree.body:
            if not isinstance(node, ast.Assign | ast.AnnAssign) or node.value is None:
                continue
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                continue
            repeated.extend(
                (module, ast.unparse(node), name)
                for name, default in defaults.items()
                if type(value) is type(default) and value == default
            )
    assert repeated == []
