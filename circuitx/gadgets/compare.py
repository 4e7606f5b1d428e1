"""Comparison and equality of two binary numbers, unsigned or two's complement.

A number is a little-endian list of wires: ``x = sum_i 2^i x_i`` (unsigned), or
``x = -2^(k-1) x_{k-1} + sum_{i<k-1} 2^i x_i`` (signed, two's complement).
The numbers may have different lengths.

With ``D = x - y`` a weighted sum of the bits with weights ``±2^i``:

* ``x >= y`` is the single gate ``[D >= 0]``; ``x > y`` is ``[D >= 1]``;
  ``x <= y`` is ``[-D >= 0]``; ``x < y`` is ``[-D >= 1]``: depth 1, one gate,
  weights up to ``2^(k-1)`` (the exponential-weight comparator of Siu,
  Roychowdhury & Kailath, *Discrete Neural Computation*, 1995);
* ``x == y`` is ``[D >= 0] AND [-D >= 0]`` and ``x != y`` is
  ``[D >= 1] OR [-D >= 1]``: depth 2, 3 gates.

`compare_constant_into` compares a number with a fixed integer: one gate.
"""

from __future__ import annotations

from collections.abc import Sequence

from circuitx.builder import CircuitBuilder, Wire
from circuitx.circuit import Circuit
from circuitx.errors import GadgetError
from circuitx.gadgets.counting import check_size

OPERATORS = (">=", ">", "<=", "<", "==", "!=")


def number_weights(k: int, signed: bool = False) -> list[int]:
    """The weights of the bits of a k-bit number: ``2^i``, the top one negated if signed."""
    weights = [1 << i for i in range(k)]
    if signed and k:
        weights[-1] = -weights[-1]
    return weights


def compare_into(builder: CircuitBuilder, xs: Sequence[Wire], ys: Sequence[Wire],
                 op: str = ">=", signed: bool = False, label: str | None = None) -> Wire:
    """The wire ``x op y`` for two numbers (op one of >=, >, <=, <, ==, !=)."""
    if op not in OPERATORS:
        raise GadgetError(f"unknown comparison {op!r}; choose one of {', '.join(OPERATORS)}")
    wires = [*xs, *ys]
    diff = number_weights(len(xs), signed) + [-w for w in number_weights(len(ys), signed)]
    minus = [-w for w in diff]
    if op == ">=":
        return builder.gate(wires, diff, 0, label)
    if op == ">":
        return builder.gate(wires, diff, 1, label)
    if op == "<=":
        return builder.gate(wires, minus, 0, label)
    if op == "<":
        return builder.gate(wires, minus, 1, label)
    if op == "==":
        return builder.and_(builder.gate(wires, diff, 0, label),
                            builder.gate(wires, minus, 0, label), label=label)
    return builder.or_(builder.gate(wires, diff, 1, label),
                       builder.gate(wires, minus, 1, label), label=label)


def equal_into(builder: CircuitBuilder, xs: Sequence[Wire], ys: Sequence[Wire],
               signed: bool = False, label: str | None = None) -> Wire:
    """The wire ``x == y``: depth 2, 3 gates."""
    return compare_into(builder, xs, ys, "==", signed, label)


def compare_constant_into(builder: CircuitBuilder, xs: Sequence[Wire], constant: int,
                          op: str = ">=", signed: bool = False, label: str | None = None
                          ) -> Wire:
    """The wire ``x op constant`` for a number x and an integer constant: one gate
    (``==``, ``!=``: three)."""
    if op not in OPERATORS:
        raise GadgetError(f"unknown comparison {op!r}; choose one of {', '.join(OPERATORS)}")
    weights = number_weights(len(xs), signed)
    minus = [-w for w in weights]
    ge = {">=": (weights, constant), ">": (weights, constant + 1),
          "<=": (minus, -constant), "<": (minus, 1 - constant)}
    if op in ge:
        w, t = ge[op]
        return builder.gate(xs, w, t, label)
    at_least = builder.gate(xs, weights, constant, label)
    at_most = builder.gate(xs, minus, -constant, label)
    both = builder.and_(at_least, at_most, label=label)
    return both if op == "==" else builder.not_(both, label)


def comparison(k: int, op: str = ">=", signed: bool = False) -> Circuit:
    """``x op y`` for two k-bit numbers (inputs x0.., y0..; output "out")."""
    builder = CircuitBuilder()
    xs = builder.inputs("x", check_size(k, "k"))
    ys = builder.inputs("y", k)
    return builder.build({"out": compare_into(builder, xs, ys, op, signed)})


def equality(k: int, signed: bool = False) -> Circuit:
    """``x == y`` for two k-bit numbers: depth 2, 3 gates (k >= 1)."""
    return comparison(k, "==", signed)
