"""Imports point one way: languages <- circuitx <- compilers, and inside
`compilers` up a line of layers (`LAYERS`); no import circles anywhere.

Every import statement counts, those inside functions too: each file of the
three packages is parsed (nothing is imported), relative imports are resolved,
and each imported name maps to the longest module prefix that exists in the
tree (``from compilers.ir import nodes`` is an import of ``compilers.ir`` and
of ``compilers.ir.nodes``; ``from compilers.ir import Block`` of
``compilers.ir``). A module importing its own package does not count.

Run as a script, this file prints the graph: the imports between the three
packages, and the layers of `compilers` with the imports between their
top-level subpackages.
"""

from __future__ import annotations

import ast
from collections.abc import Container
from functools import cache
from pathlib import Path
from typing import NamedTuple

import pytest

LAYERS = (
    ("base", ("compilers.errors", "compilers.dtypes", "compilers.__init__")),
    ("ir", ("compilers.ir",)),
    ("backends", ("compilers.backends",)),
    ("library", ("compilers.library",)),
    ("programs", ("compilers.frontends", "compilers.programs", "compilers.constructions")),
    ("runs", ("compilers.runs",)),
    ("api", ("compilers.api",)),
    ("commands", ("compilers.cli", "compilers.tour")),
)
"""The layers of `compilers`, lowest first. A module belongs to the first entry
that names it or a package holding it (``compilers.__init__`` is the package's
own ``__init__.py``); it imports only from its own layer or lower ones."""

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("languages", "circuitx", "compilers")
FORBIDDEN = {"languages": ("circuitx", "compilers", "torch"), "circuitx": ("compilers",)}
"""What each package may not import (packages of the tree, or outside ones)."""


class Import(NamedTuple):
    module: str  # the importing module
    path: str  # its file, relative to the repository root
    line: int
    target: str  # a module of the tree, or the top-level name of an outside one


@cache
def modules() -> dict[str, Path]:
    """Every module of the three packages, by dotted name (a package by its own name)."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


@cache
def imports() -> tuple[Import, ...]:
    """Every import of every module, resolved as the module docstring says."""
    tree = modules()
    found = set()
    for module, path in tree.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            for name in _imported_names(node, package):
                target = _longest_module(name, tree)
                if target != module and not module.startswith(target + "."):
                    found.add(Import(module, str(path.relative_to(ROOT)), node.lineno, target))
    return tuple(sorted(found))


def _imported_names(node: ast.AST, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:
        parts = package.split(".")
        base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
    return [base] + [f"{base}.{alias.name}" for alias in node.names if alias.name != "*"]


def _longest_module(name: str, tree: Container[str]) -> str:
    """The longest prefix of `name` that is a module of the tree, else its top-level name."""
    prefix = name
    while prefix and prefix not in tree:
        prefix = prefix.rpartition(".")[0]
    return prefix or name.partition(".")[0]


def test_relative_imports_resolve_against_the_importing_package():
    tree = ast.parse("from ..ir import nodes\nfrom . import lower\nfrom .exact import run")
    names = [_imported_names(node, "compilers.backends") for node in tree.body]
    assert names == [["compilers.ir", "compilers.ir.nodes"],
                     ["compilers.backends", "compilers.backends.lower"],
                     ["compilers.backends.exact", "compilers.backends.exact.run"]]
    tree = {"compilers", "compilers.backends", "compilers.backends.exact"}
    assert _longest_module("compilers.backends.exact.run", tree) == "compilers.backends.exact"
    assert _longest_module("compilers.backends.lower", tree) == "compilers.backends"
    assert _longest_module("torch.nn.functional", tree) == "torch"


def layer_of(module: str) -> int | None:
    """The index in `LAYERS` of a module of `compilers`, or None when no entry matches."""
    key = module + ".__init__" if modules()[module].name == "__init__.py" else module
    for index, (_, entries) in enumerate(LAYERS):
        if any(key == entry or key.startswith(entry + ".") for entry in entries):
            return index
    return None


def _layer_name(index: int) -> str:
    return f"layer {index} '{LAYERS[index][0]}'"


def _most_specific(found: list[Import]) -> list[Import]:
    """`found` without an import of a package when the same line imports a module in it."""
    return [i for i in found
            if not any(j[:3] == i[:3] and j.target.startswith(i.target + ".") for j in found)]


def _report(problems: list[str], rule: str) -> str:
    return f"Broken rule: {rule}\n" + "\n".join(problems)


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_nothing_above_it(package):
    forbidden = FORBIDDEN[package]
    problems = [f"{i.path}:{i.line}: {i.module} imports {i.target}"
                for i in _most_specific([i for i in imports()
                                         if i.module.partition(".")[0] == package
                                         and i.target.partition(".")[0] in forbidden])]
    assert not problems, _report(problems, f"{package} imports nothing of "
                                           f"{', '.join(forbidden)}")


def test_every_compilers_module_imports_only_its_own_layer_or_lower():
    problems = [f"{path.relative_to(ROOT)}: module {module} is in no layer: add it, or a "
                f"package holding it, to LAYERS in tests/test_layering.py"
                for module, path in modules().items()
                if module.partition(".")[0] == "compilers" and layer_of(module) is None]
    upward = [i for i in imports()
              if i.module.partition(".")[0] == i.target.partition(".")[0] == "compilers"
              and None not in (layer_of(i.module), layer_of(i.target))
              and layer_of(i.target) > layer_of(i.module)]
    problems += [f"{i.path}:{i.line}: {i.module} ({_layer_name(layer_of(i.module))}) imports "
                 f"{i.target} ({_layer_name(layer_of(i.target))}), a higher layer"
                 for i in _most_specific(upward)]
    assert not problems, _report(problems, "every module of compilers is in a layer of "
                                           "LAYERS and imports only its own layer or lower ones")


def circles() -> list[list[str]]:
    """The import circles: strongly connected components of more than one module (Tarjan)."""
    edges: dict[str, set[str]] = {module: set() for module in modules()}
    for i in imports():
        if i.target in edges:
            edges[i.module].add(i.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in edges:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(sorted(edges[root])))]
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(edges[successor]))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while not component or component[-1] != node:
                        component.append(stack.pop())
                        on_stack.discard(component[-1])
                    if len(component) > 1:
                        found.append(sorted(component))
    return sorted(found)


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_circles(package):
    problems = []
    for circle in circles():
        if any(module.partition(".")[0] == package for module in circle):
            problems.append(f"circle of {len(circle)} modules: {', '.join(circle)}")
            problems += [f"  {i.path}:{i.line}: {i.module} imports {i.target}"
                         for i in imports() if i.module in circle and i.target in circle]
    assert not problems, _report(problems, "no import circles (each circle is listed with "
                                           "the imports inside it)")


def main() -> None:
    """Print the import graph: between the packages, then between the layers of compilers."""
    top = {package: set() for package in PACKAGES}
    for i in imports():
        source, target = i.module.partition(".")[0], i.target.partition(".")[0]
        if target in top and target != source:
            top[source].add(target)
    print("Imports between the packages (every import statement, those in functions too):")
    for package in reversed(PACKAGES):
        print(f"  {package} -> {', '.join(sorted(top[package])) or '(nothing)'}")

    def group(module: str) -> str:  # the top-level subpackage (or module) of compilers
        return ".".join(module.split(".")[:2])

    layer: dict[str, int] = {}  # a group's layer: the lowest of its modules' (-1: in no layer)
    edges: dict[str, set[str]] = {}
    for module in modules():
        if module.partition(".")[0] == "compilers":
            index = layer_of(module)
            index = -1 if index is None else index
            layer[group(module)] = min(layer.get(group(module), index), index)
            edges[group(module)] = set()
    for i in imports():
        source, target = group(i.module), group(i.target)
        if source in edges and target in edges and source != target:
            edges[source].add(target)
    print("\nLayers of compilers, lowest first, and the imports between their subpackages:")
    for index, name in [*enumerate(name for name, _ in LAYERS), (-1, "in no layer")]:
        members = sorted(g for g in layer if layer[g] == index)
        label = f"{index} {name}" if index >= 0 else name
        if index >= 0 or members:
            print(f"  {label}: {', '.join(members) or '(empty)'}")
        for source in members:
            targets = sorted(edges[source], key=lambda g: (-layer[g], g))
            if targets:
                print(f"      {source} -> " + ", ".join(
                    t + (" (higher layer)" if layer[t] > index >= 0 else "") for t in targets))
    print("\nImport circles:")
    for circle in circles() or [["(none)"]]:
        print(f"  {', '.join(circle)}")


if __name__ == "__main__":
    main()
