"""Exact values of the IR: rationals, frozen maps, sparse matrices on named bases.

Every weight in the IR is a `fractions.Fraction`. Floats are refused (0.1 is
not the rational a paper means); integers, `Fraction`, decimal strings such as
"0.1" or "1/3", and sympy rationals are accepted and converted.

A `Matrix` is a sparse matrix whose rows and columns are *named* basis
directions (as a paper's proof names its coordinates): entry ``(r, c)`` is the
coefficient with which direction ``c`` of the input contributes to direction
``r`` of the output. Only non-zero entries are stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from compilers.errors import CompileError


class IRError(CompileError):
    """An IR node is malformed; the message names the node by its label."""


def to_fraction(value: Any, *, where: str) -> Fraction:
    """Convert an exact number to a `Fraction`, or raise `IRError` naming `where`."""
    if isinstance(value, bool):
        raise IRError(f"{where}: expected an exact number, got the boolean {value!r}")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, str):
        try:
            return Fraction(value)
        except ValueError:
            raise IRError(f"{where}: {value!r} is not a rational number") from None
    if isinstance(value, sympy.Basic):
        if value.is_Rational:
            return Fraction(int(value.p), int(value.q))
        raise IRError(f"{where}: {value} is not a rational number")
    if isinstance(value, float | np.floating):
        raise IRError(
            f"{where}: float {value!r} is not an exact weight; "
            "write it as an int, a Fraction or a string such as '1/3'"
        )
    raise IRError(f"{where}: expected an exact number, got {type(value).__name__} {value!r}")


class FrozenDict(Mapping):
    """An immutable, hashable mapping (keys in insertion order)."""

    __slots__ = ("_items", "_hash")

    def __init__(self, items: Mapping | Iterable = ()):
        self._items = dict(items)
        self._hash = None

    def __getitem__(self, key):
        return self._items[key]

    def __iter__(self) -> Iterator:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._items.items()))
        return self._hash

    def __eq__(self, other) -> bool:
        if isinstance(other, FrozenDict):
            return self._items == other._items
        return isinstance(other, Mapping) and self._items == dict(other)

    def __repr__(self) -> str:
        return f"FrozenDict({self._items!r})"


def names(values: Iterable[str], *, where: str) -> tuple[str, ...]:
    """Validate a sequence of distinct, non-empty direction names."""
    result = tuple(values)
    for name in result:
        if not isinstance(name, str) or not name:
            raise IRError(f"{where}: direction names must be non-empty strings, got {name!r}")
    seen: set[str] = set()
    for name in result:
        if name in seen:
            raise IRError(f"{where}: direction {name!r} is listed twice")
        seen.add(name)
    return result


def vector(entries: Mapping[str, Any], *, where: str) -> FrozenDict:
    """A sparse exact vector over named directions (zeros dropped)."""
    out = {}
    for name, value in entries.items():
        number = to_fraction(value, where=f"{where}[{name!r}]")
        if number:
            out[name] = number
    return FrozenDict(out)


class Matrix:
    """A sparse exact matrix between named bases; immutable.

    Args:
        rows: names of the output directions.
        cols: names of the input directions.
        entries: ``{(row, col): value}``; every key must name a listed row and
            column; zero values are dropped.
        where: the label used in error messages.
    """

    __slots__ = ("rows", "cols", "entries", "_hash")

    def __init__(self, *, rows: Iterable[str], cols: Iterable[str],
                 entries: Mapping[tuple[str, str], Any] = FrozenDict(), where: str = "matrix"):
        rows = names(rows, where=f"{where} rows")
        cols = names(cols, where=f"{where} cols")
        row_set, col_set = set(rows), set(cols)
        clean = {}
        for key, value in entries.items():
            if not (isinstance(key, tuple) and len(key) == 2):
                raise IRError(f"{where}: entry key {key!r} is not a (row, col) pair")
            row, col = key
            if row not in row_set:
                raise IRError(f"{where}: entry ({row!r}, {col!r}) names unknown row {row!r}")
            if col not in col_set:
                raise IRError(f"{where}: entry ({row!r}, {col!r}) names unknown column {col!r}")
            number = to_fraction(value, where=f"{where}[{row!r}, {col!r}]")
            if number:
                clean[(row, col)] = number
        object.__setattr__(self, "rows", rows)
        object.__setattr__(self, "cols", cols)
        object.__setattr__(self, "entries", FrozenDict(clean))
        object.__setattr__(self, "_hash", None)

    def __setattr__(self, name, value):
        raise AttributeError("Matrix is immutable")

    def __eq__(self, other) -> bool:
        return (isinstance(other, Matrix) and self.rows == other.rows
                and self.cols == other.cols and self.entries == other.entries)

    def __hash__(self) -> int:
        return hash((self.rows, self.cols, self.entries))

    def __repr__(self) -> str:
        return f"Matrix({len(self.rows)}x{len(self.cols)}, {len(self.entries)} non-zeros)"

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.rows), len(self.cols))

    def dense(self) -> np.ndarray:
        """The matrix as a (rows, cols) numpy array of Fractions."""
        out = np.full(self.shape, Fraction(0), dtype=object)
        row_index = {r: k for k, r in enumerate(self.rows)}
        col_index = {c: k for k, c in enumerate(self.cols)}
        for (r, c), v in self.entries.items():
            out[row_index[r], col_index[c]] = v
        return out

    def read(self) -> set[str]:
        """Input directions with a non-zero coefficient."""
        return {c for (_, c) in self.entries}

    def written(self) -> set[str]:
        """Output directions with a non-zero coefficient."""
        return {r for (r, _) in self.entries}


def matrix(entries: Mapping[tuple[str, str], Any], *, rows: Iterable[str] | None = None,
           cols: Iterable[str] | None = None, where: str = "matrix") -> Matrix:
    """A `Matrix` from ``{(row, col): value}``; rows and columns default to the
    names met in `entries`, in order of first appearance."""
    if rows is None:
        rows = dict.fromkeys(r for (r, _) in entries)
    if cols is None:
        cols = dict.fromkeys(c for (_, c) in entries)
    return Matrix(rows=rows, cols=cols, entries=entries, where=where)
