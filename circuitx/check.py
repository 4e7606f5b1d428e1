"""The checker: the rules every `Circuit` obeys, checked when it is built.

Rules, each with its own error class naming the gate (by index, wire and
label) and the wire at fault:

* names: input and output names are non-empty strings, each used once
  (`NamingError`);
* weights and thresholds are integers: Python or numpy integers, never floats,
  fractions or booleans (`WeightError`);
* every wire a gate reads exists: ``0 <= wire < n_nodes`` (`WireError`);
* every wire is defined before it is read: gate ``g`` only reads wires with
  smaller ids, so the circuit is acyclic and its gates are listed in
  topological order; a forward read that closes a cycle is reported as a cycle
  with its path, any other one as an ordering error (`CycleError`);
* every output names an existing wire, so every output is reachable from the
  inputs (`WireError`).

What is not checked: that gates are useful (dead gates, that no output reads,
are allowed), nor that two gates differ.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

from circuitx.errors import CycleError, NamingError, WeightError, WireError

INT64_SAFE = 2**62
"""Magnitudes below this are stored as int64; larger ones as Python integers."""


def check_names(names: Sequence[str], kind: str) -> tuple[str, ...]:
    """Return `names` as a tuple after checking they are distinct non-empty strings."""
    names = tuple(names)
    seen: set[str] = set()
    for name in names:
        if not isinstance(name, str) or not name:
            raise NamingError(f"{kind} name {name!r} must be a non-empty string")
        if name in seen:
            raise NamingError(f"{kind} name {name!r} is used twice")
        seen.add(name)
    return names


def integer_array(values, kind: str, owner_of) -> np.ndarray:
    """Return `values` as an int64 array, or an object array of Python ints if too large.

    Args:
        values: a sequence or array of integers.
        kind: "weight" or "threshold", for messages.
        owner_of: maps a position in `values` to a phrase naming its gate.

    Raises:
        WeightError: an entry is not an integer (floats are refused even when
            integral: a circuit file with ``2.0`` is malformed, not rounded).
    """
    if isinstance(values, np.ndarray) and values.dtype.kind == "i":
        return np.ascontiguousarray(values, dtype=np.int64)
    if isinstance(values, np.ndarray) and values.dtype.kind in "fcb":
        position = 0 if values.size else None
        if position is not None:
            raise WeightError(f"{owner_of(position)} has {kind} {values.flat[0]!r} of dtype "
                              f"{values.dtype}; {kind}s must be integers")
    items = list(values.tolist() if isinstance(values, np.ndarray) else values)
    fits = True
    for position, value in enumerate(items):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise WeightError(f"{owner_of(position)} has {kind} {value!r}; "
                              f"{kind}s must be integers")
        value = int(value)
        items[position] = value
        if fits and not -INT64_SAFE < value < INT64_SAFE:
            fits = False
    if fits:
        return np.array(items, dtype=np.int64).reshape(len(items))
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def check_structure(ptr: np.ndarray, wires: np.ndarray, first_gate: int, n_nodes: int,
                    gate_name) -> None:
    """Check the fan-in arrays: offsets, dangling wires, topological order and cycles."""
    n_gates = n_nodes - first_gate
    if ptr.ndim != 1 or len(ptr) != n_gates + 1 or (len(ptr) and ptr[0] != 0):
        raise WireError(f"fan-in offsets must start at 0 and have one entry per gate plus one "
                        f"({n_gates + 1}), got {len(ptr)} starting at "
                        f"{ptr[0] if len(ptr) else None}")
    if np.any(np.diff(ptr) < 0) or ptr[-1] != len(wires):
        raise WireError(f"fan-in offsets must be non-decreasing and end at the number of "
                        f"fan-in entries ({len(wires)}), got last offset {ptr[-1]}")
    if not len(wires):
        return
    owner = np.repeat(np.arange(n_gates), np.diff(ptr))
    bad = np.flatnonzero((wires < 0) | (wires >= n_nodes))
    if bad.size:
        g, w = int(owner[bad[0]]), int(wires[bad[0]])
        raise WireError(f"{gate_name(g)} reads wire {w}, which does not exist "
                        f"(wires are 0..{n_nodes - 1})")
    late = np.flatnonzero(wires >= owner + first_gate)
    if late.size:
        g, w = int(owner[late[0]]), int(wires[late[0]])
        cycle = _cycle_through(g, w, ptr, wires, first_gate)
        if cycle is not None:
            path = " -> ".join(gate_name(x) for x in cycle)
            raise CycleError(f"cycle through {gate_name(g)}: {path}")
        raise CycleError(f"{gate_name(g)} reads wire {w} before it is defined "
                         f"(by {gate_name(w - first_gate)}); gates must come in "
                         f"topological order")


def _cycle_through(g: int, w: int, ptr, wires, first_gate: int) -> list[int] | None:
    """A cycle g -> gate of wire w -> ... -> g in reading order (x -> y: x reads y), if any."""
    start = w - first_gate
    if start == g:
        return [g, g]
    parent: dict[int, int | None] = {start: None}
    stack = [start]
    while stack:
        x = stack.pop()
        for read in wires[ptr[x]:ptr[x + 1]].tolist():
            y = read - first_gate
            if y < 0 or y in parent:
                continue
            parent[y] = x
            if y == g:
                chain = [g]
                while chain[-1] != start:
                    chain.append(parent[chain[-1]])
                return [g, *reversed(chain)]
            stack.append(y)
    return None


def check_outputs(outputs: np.ndarray, names: tuple[str, ...], n_nodes: int) -> None:
    """Every output names an existing wire."""
    for name, wire in zip(names, outputs.tolist(), strict=True):
        if not 0 <= wire < n_nodes:
            raise WireError(f"output {name!r} is wire {wire}, which does not exist "
                            f"(wires are 0..{n_nodes - 1})")
