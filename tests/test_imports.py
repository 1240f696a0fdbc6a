"""
The package's modules import each other without a cycle: each layer leans
only on the ones below it.  Every import counts, at module level or inside a
function, except those under ``if TYPE_CHECKING:`` (annotations only).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import txnetserver

PACKAGE = Path(txnetserver.__file__).parent


def isTypeCheckingBlock(node: ast.AST) -> bool:
    test = getattr(node, "test", None) if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def importedNames(node: ast.AST, module: str) -> set[str]:
    """Every txnetserver module ``node`` imports, outside TYPE_CHECKING blocks."""
    found: set[str] = set()
    if isTypeCheckingBlock(node):
        assert isinstance(node, ast.If)
        for child in node.orelse:
            found |= importedNames(child, module)
        return found
    if isinstance(node, ast.Import):
        found |= {alias.name for alias in node.names}
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            base = module.rsplit(".", node.level)[0]
            target = f"{base}.{node.module}" if node.module else base
        else:
            target = node.module or ""
        found.add(target)
        # `from txnetserver import _x` imports the module _x.
        found |= {f"{target}.{alias.name}" for alias in node.names}
    for child in ast.iter_child_nodes(node):
        found |= importedNames(child, module)
    return found


def importGraph() -> dict[str, set[str]]:
    modules = {
        "txnetserver" + ("" if path.stem == "__init__" else f".{path.stem}"): path
        for path in PACKAGE.glob("*.py")
    }
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        graph[name] = {
            target for target in importedNames(tree, name) if target in modules and target != name
        }
    return graph


def findCycle(graph: dict[str, set[str]]) -> list[str] | None:
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        for target in sorted(graph[node]):
            cycle = visit(target, [*path, node])
            if cycle is not None:
                return cycle
        done.add(node)
        return None

    for start in sorted(graph):
        cycle = visit(start, [])
        if cycle is not None:
            return cycle
    return None


def test_no_module_of_the_package_imports_itself_through_others() -> None:
    cycle = findCycle(importGraph())
    assert cycle is None, " -> ".join(cycle or [])


def test_the_cycle_finder_sees_function_level_imports_and_skips_type_checking() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from txnetserver._b import B\n"
        "def f():\n"
        "    from txnetserver import _c\n"
    )
    found = importedNames(ast.parse(source), "txnetserver._a")
    assert "txnetserver._c" in found
    assert "txnetserver._b" not in found
    assert findCycle({"a": {"b"}, "b": {"a"}}) == ["a", "b", "a"]
    assert findCycle({"a": {"b"}, "b": set()}) is None


def packageMap() -> dict[str, int]:
    """Each module the package docstring's map names, with its layer (1 to 4)."""
    doc = txnetserver.__doc__ or ""
    layers: dict[str, int] = {}
    for number, text in re.findall(r"^(\d)\. (.*?)(?=^\d\. |\Z)", doc, re.MULTILINE | re.DOTALL):
        for name in re.findall(r"``(\w+)``", text):
            if (PACKAGE / f"{name}.py").exists():
                layers.setdefault(f"txnetserver.{name}", int(number))
    return layers


def test_the_package_map_names_every_module() -> None:
    layers = packageMap()
    unnamed = sorted(set(importGraph()) - set(layers) - {"txnetserver"})
    assert unnamed == [], f"add these to the map in txnetserver/__init__.py: {unnamed}"


def test_each_module_imports_only_from_its_layer_and_the_ones_before() -> None:
    layers = packageMap()
    upward = sorted(
        f"{module} (layer {layers[module]}) imports {target} (layer {layers[target]})"
        for module, targets in importGraph().items()
        if module in layers
        for target in targets
        if target in layers
        and layers[target] > layers[module]
        # Any layer may ask for the default reactor when it is given none.
        and target != "txnetserver._reactorchoice"
    )
    assert upward == [], upward
