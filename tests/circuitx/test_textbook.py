"""The textbook circuits compute what they are named for, on every input (brute force)."""

import pytest

from circuitx.evaluate import evaluate
from circuitx.gadgets.textbook import array_multiplier, ripple_carry_adder, xor_chain
from tests.circuitx.oracle import all_rows, value


@pytest.mark.parametrize("n", [1, 2, 5])
def test_xor_chain_is_parity(n):
    rows = all_rows(n)
    assert evaluate(xor_chain(n), rows)[:, 0].tolist() == [sum(r) % 2 == 1 for r in rows]


@pytest.mark.parametrize(("k", "circuit", "op"), [
    (1, ripple_carry_adder, int.__add__), (3, ripple_carry_adder, int.__add__),
    (1, array_multiplier, int.__mul__), (3, array_multiplier, int.__mul__)])
def test_arithmetic_on_every_pair(k, circuit, op):
    rows = all_rows(2 * k)
    out = evaluate(circuit(k), rows)
    for row, bits in zip(rows, out, strict=True):
        assert value(bits) == op(value(row[:k]), value(row[k:]))
