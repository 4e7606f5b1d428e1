"""Textbook circuits of linear depth: what the constant-depth gadgets are checked against.

Each is built from XOR, AND and MAJORITY gates the way a digital-design textbook
draws it, so it shares neither shape nor code with the threshold gadgets of
`circuitx.gadgets.arithmetic` and `counting`: equivalence checks between the two
(`circuitx.verify.equivalent`, SAT or BDD) cannot match gates one for one.

* `xor_chain(n)`: ``x0 ⊕ x1 ⊕ ... ⊕ x(n-1)``, n - 1 XORs in a row (depth n - 1).
* `ripple_carry_adder(k)`: k full adders; sum bit ``x_j ⊕ y_j ⊕ c_j``, carry
  ``c_(j+1) = MAJ(x_j, y_j, c_j)``; outputs ``s0..sk`` (depth about 2k).
* `array_multiplier(k)`: shift-and-add; row a is ``x_a ∧ y_b`` added at position
  a + b by a ripple of full adders; outputs ``p0..p(2k-1)``.

Inputs are ``x0, x1, ...`` and ``y0, ...``, little-endian, as the gadgets name them.
"""

from __future__ import annotations

from circuitx.builder import CircuitBuilder
from circuitx.circuit import Circuit


def xor_chain(n: int) -> Circuit:
    """x0 XOR x1 XOR ... XOR x(n-1), one XOR after another."""
    b = CircuitBuilder()
    xs = b.inputs("x", n)
    out = xs[0]
    for x in xs[1:]:
        out = b.xor(out, x)
    return b.build({"out": out})


def ripple_carry_adder(k: int) -> Circuit:
    """x + y by k full adders (XOR for the sum bit, MAJORITY for the carry)."""
    b = CircuitBuilder()
    xs, ys = b.inputs("x", k), b.inputs("y", k)
    carry, out = False, {}
    for j in range(k):
        out[f"s{j}"] = b.xor(b.xor(xs[j], ys[j]), carry)
        carry = b.majority(xs[j], ys[j], carry)
    out[f"s{k}"] = carry
    return b.build(out)


def array_multiplier(k: int) -> Circuit:
    """x * y: row a (the AND of x_a with each y_b) added at position a by ripple carry."""
    b = CircuitBuilder()
    xs, ys = b.inputs("x", k), b.inputs("y", k)
    total = [False] * (2 * k)
    for a in range(k):
        carry = False
        for j, y in enumerate(ys):
            p, q = total[a + j], b.and_(xs[a], y)
            total[a + j] = b.xor(b.xor(p, q), carry)
            carry = b.majority(p, q, carry)
        total[a + k] = carry  # no earlier row reached position a + k
    return b.build({f"p{j}": bit for j, bit in enumerate(total)})
