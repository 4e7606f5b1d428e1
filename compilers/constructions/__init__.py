"""Constructions from papers, one module each, and the registry of their families.

Every construction module defines a `Family` named ``FAMILY``
(`compilers.constructions.base`): its name, paper, mode, typed options and
builder. `families()` lists circuitx's own (`BUILTIN`) and those that
installed packages declare in the entry-point group ``circuitx.constructions``
(an entry point names a `Family`, or a function returning one); every command
of the command line offers each of them.

A package adds a construction with one line in its ``pyproject.toml``::

    [project.entry-points."circuitx.constructions"]
    majority = "my_package.majority:FAMILY"
"""

from __future__ import annotations

import importlib
from functools import cache
from importlib.metadata import entry_points

from compilers.constructions.base import Family
from compilers.errors import CompileError

BUILTIN = ("parity", "first", "tm", "subleq", "induction", "ngram", "modcount", "compare_counts",
           "dyck1", "dyck", "cot",
           "cot_parity", "cot_even_pairs", "program", "rasp")
"""The modules of `compilers.constructions` that define a family, in listing order."""

ENTRY_POINTS = "circuitx.constructions"


class RegistryError(CompileError):
    """An unknown construction, or a plugin that does not give a `Family`."""


@cache
def families() -> dict[str, Family]:
    """Every registered family by name: circuitx's own, then the installed plugins'."""
    found: dict[str, Family] = {}
    for module in BUILTIN:
        family = importlib.import_module(f"compilers.constructions.{module}").FAMILY
        found[family.name] = family
    for point in sorted(entry_points(group=ENTRY_POINTS), key=lambda p: p.name):
        where = f"entry point {point.name} = {point.value!r} of group {ENTRY_POINTS}"
        try:
            family = point.load()
        except Exception as error:  # a broken plugin: named, not a traceback
            raise RegistryError(f"{where} does not load: {error}") from None
        if not isinstance(family, Family) and callable(family):
            family = family()
        if not isinstance(family, Family):
            raise RegistryError(f"{where} gives a {type(family).__name__}, not a Family")
        if family.name in found:
            raise RegistryError(f"{where} registers {family.name!r}, which is taken")
        found[family.name] = family
    return found


def get(name: str) -> Family:
    """The family called `name`, or `RegistryError` listing the known ones."""
    known = families()
    if not isinstance(name, str) or name not in known:
        raise RegistryError(f"unknown construction {name!r}; known: {', '.join(known)}")
    return known[name]


def with_circuit(part: str | None = None) -> dict[str, Family]:
    """The families whose circuit backend lowers `part` (any part when None)."""
    return {name: f for name, f in families().items()
            if f.circuit is not None and (part is None or f.circuit == part)}
