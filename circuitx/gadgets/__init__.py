"""Constant-depth threshold-circuit gadgets, each in two forms.

* A composable form, ``*_into(builder, wires, ...) -> wire or list of wires``,
  that adds the gadget to a `CircuitBuilder` over wires already there (this is
  what a compiler calls).
* A standalone form, ``name(n, ...) -> Circuit``, with inputs ``x0, x1, ...``
  (and ``y0, ...`` for a second number) and named outputs.

Numbers are little-endian lists of wires: bit i has weight 2**i (the top bit
weighs -2**(k-1) in two's complement). Each module's docstring states its
construction, depth and size; the tests hold the circuits to those formulas.

Modules: `weighted` (any function of a weighted sum, the bits of a weighted
sum), `counting` (parity, majority, exactly, mod, count), `compare`
(comparison, equality), `arithmetic` (addition, iterated addition, linear
combinations, multiplication).
"""

from __future__ import annotations

from circuitx.gadgets.arithmetic import (
    add_into,
    addition,
    iterated_add_into,
    iterated_addition,
    linear_combination_into,
    multiplication,
    multiply_into,
    subtract_into,
)
from circuitx.gadgets.compare import (
    compare_constant_into,
    compare_into,
    comparison,
    equal_into,
    equality,
    number_weights,
)
from circuitx.gadgets.counting import (
    count,
    count_into,
    exactly,
    exactly_into,
    majority,
    majority_into,
    mod,
    mod_into,
    parity,
    parity_into,
)
from circuitx.gadgets.weighted import (
    of_weighted_sum,
    of_weighted_sum_into,
    steps_into,
    sum_bits_into,
    sum_width,
)

GADGETS = {
    # name: (constructor, what --n means, extra parameters)
    "parity": (parity, "n", ()),
    "majority": (majority, "n", ()),
    "exactly": (exactly, "n", ("k",)),
    "mod": (mod, "n", ("m",)),
    "count": (count, "n", ()),
    "comparison": (comparison, "k", ()),
    "equality": (equality, "k", ()),
    "addition": (addition, "k", ()),
    "iterated-addition": (iterated_addition, "k", ("m",)),
    "multiplication": (multiplication, "k", ()),
}
"""The gadgets the command line builds: constructor, the parameter that ``--n`` sets
(n input bits, or k bits per number), and the extra parameters it needs."""

__all__ = [
    "GADGETS", "add_into", "addition", "compare_constant_into", "compare_into", "comparison",
    "count", "count_into", "equal_into", "equality", "exactly", "exactly_into",
    "iterated_add_into", "iterated_addition", "linear_combination_into", "majority",
    "majority_into", "mod", "mod_into", "multiplication", "multiply_into", "number_weights",
    "of_weighted_sum", "of_weighted_sum_into", "parity", "parity_into", "steps_into",
    "subtract_into", "sum_bits_into", "sum_width",
]
