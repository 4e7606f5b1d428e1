"""Simplification: what is left to do after `circuitx.builder` has done its part.

`CircuitBuilder` already applies, to every gate as it is made: constant
folding (constant inputs folded into the threshold, gates with a fixed value
become the constant wires), merging of repeated inputs, gcd normalisation of
weights, absorption of NOT gates over inputs, and structural hashing (an
identical gate is built once: duplicate gates are merged). The lowerings add
their own folding on forms (constants never reach a gate; a function of a
thermometer form reuses the step gates of its base).

This pass removes *dead gates*: the lowerings make gates for every position and
every direction, and the read-out reads few of them. `simplify` builds the
circuit with only the gates the outputs read (`CircuitBuilder.build` with
pruning) and checks it (`Circuit` validates its structure when built).
"""

from __future__ import annotations

from collections.abc import Mapping

from circuitx.builder import CircuitBuilder
from circuitx.circuit import Circuit


def simplify(builder: CircuitBuilder, outputs: Mapping[str, int]) -> Circuit:
    """The circuit of `outputs`, without the gates no output reads."""
    return builder.build(dict(outputs), prune=True)
