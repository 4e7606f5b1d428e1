"""Comparison, addition, iterated addition, multiplication and weighted sums against
plain Python integers, with the depth and size formulas of the docstrings."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from circuitx import gadgets
from circuitx.builder import CircuitBuilder
from circuitx.errors import GadgetError
from circuitx.evaluate import evaluate
from tests.circuitx.oracle import all_rows, bits_of, value

OPS = {">=": lambda a, b: a >= b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b,
       "<": lambda a, b: a < b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b}


@pytest.mark.parametrize("k", range(1, 5))
@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize("op", list(OPS))
def test_comparison_on_every_pair(k, signed, op):
    circuit = gadgets.comparison(k, op, signed)
    rows = all_rows(2 * k)
    want = [OPS[op](value(r[:k], signed), value(r[k:], signed)) for r in rows]
    assert evaluate(circuit, rows)[:, 0].tolist() == want
    expected = (2, 3) if op in ("==", "!=") else (1, 1)
    assert (circuit.depth, circuit.size) == expected


@pytest.mark.parametrize("k", range(1, 5))
@pytest.mark.parametrize("signed", [False, True])
def test_comparison_with_a_constant(k, signed):
    rows = all_rows(k)
    for constant in range(-(1 << k) - 1, (1 << k) + 2):
        for op, fn in OPS.items():
            builder = CircuitBuilder()
            xs = builder.inputs("x", k)
            circuit = builder.build([gadgets.compare_constant_into(builder, xs, constant, op,
                                                                   signed)])
            want = [fn(value(r, signed), constant) for r in rows]
            assert evaluate(circuit, rows)[:, 0].tolist() == want


def test_unknown_comparison_is_refused():
    with pytest.raises(GadgetError, match=r"unknown comparison '=>'; choose one of >="):
        gadgets.comparison(3, "=>")


@pytest.mark.parametrize("k", range(1, 5))
@pytest.mark.parametrize("signed", [False, True])
def test_addition_on_every_pair(k, signed):
    circuit = gadgets.addition(k, signed)
    rows = all_rows(2 * k)
    out = evaluate(circuit, rows)
    got = [value(o, signed) for o in out]
    assert got == [value(r[:k], signed) + value(r[k:], signed) for r in rows]


@pytest.mark.parametrize("k", range(1, 25))
def test_addition_has_depth_two_and_two_k_gates(k):
    circuit = gadgets.addition(k)
    assert (circuit.depth, circuit.size) == (2, 2 * k)


@given(st.integers(1, 40).flatmap(lambda k: st.tuples(
    st.just(k), st.integers(0, 2**k - 1), st.integers(0, 2**k - 1))))
def test_addition_of_wider_numbers(case):
    k, x, y = case
    out = evaluate(gadgets.addition(k), bits_of(x, k) + bits_of(y, k))
    assert value(out) == x + y


def iterated_addition_size(m: int, k: int) -> int:
    """The docstring's formula, written out independently."""
    width = (m * (2**k - 1)).bit_length()
    return sum(m + 1 - math.ceil(m / 2 ** (j + 1)) for j in range(k)) + max(0, width - 1 - k)


@pytest.mark.parametrize(("m", "k"), [(m, k) for m in range(1, 6) for k in range(1, 5)
                                      if m * k <= 10])
def test_iterated_addition_on_every_input(m, k):
    circuit = gadgets.iterated_addition(m, k)
    rows = all_rows(m * k)
    got = [value(o) for o in evaluate(circuit, rows)]
    assert got == [sum(value(r[i * k:(i + 1) * k]) for i in range(m)) for r in rows]


@pytest.mark.parametrize("m", range(2, 12))
@pytest.mark.parametrize("k", range(1, 9))
def test_iterated_addition_depth_and_size_formula(m, k):
    circuit = gadgets.iterated_addition(m, k)
    assert (circuit.depth, circuit.size) == (2, iterated_addition_size(m, k))


@given(st.integers(2, 12).flatmap(lambda m: st.integers(1, 12).flatmap(
    lambda k: st.lists(st.integers(0, 2**k - 1), min_size=m, max_size=m).map(
        lambda xs: (k, xs)))), st.booleans())
def test_iterated_addition_of_random_numbers(case, signed):
    k, numbers = case
    circuit = gadgets.iterated_addition(len(numbers), k, signed)
    bits = [b for x in numbers for b in bits_of(x, k)]
    want = sum(value(bits_of(x, k), signed) for x in numbers)
    assert value(evaluate(circuit, bits), signed) == want


def multiplication_size(k: int) -> int:
    """The docstring's formula, written out independently."""
    def column(s):
        return min(s + 1, 2 * k - 1 - s)

    def q(j):
        return sum(column(s) * 2**s for s in range(j + 1)) // 2 ** (j + 1)

    return k * k + sum(q(j) + 1 for j in range(1, 2 * k - 1))


@pytest.mark.parametrize("k", range(1, 5))
@pytest.mark.parametrize("signed", [False, True])
def test_multiplication_on_every_pair(k, signed):
    circuit = gadgets.multiplication(k, signed)
    rows = all_rows(2 * k)
    got = [value(o, signed) for o in evaluate(circuit, rows)]
    assert got == [value(r[:k], signed) * value(r[k:], signed) for r in rows]


@pytest.mark.parametrize("k", range(2, 11))
def test_multiplication_depth_and_size_formula(k):
    circuit = gadgets.multiplication(k)
    assert (circuit.depth, circuit.size) == (3, multiplication_size(k))


@given(st.integers(2, 16).flatmap(lambda k: st.tuples(
    st.just(k), st.integers(0, 2**k - 1), st.integers(0, 2**k - 1))))
def test_multiplication_of_wider_numbers(case):
    k, x, y = case
    assert value(evaluate(gadgets.multiplication(k), bits_of(x, k) + bits_of(y, k))) == x * y


@given(st.lists(st.tuples(st.integers(1, 3), st.integers(-9, 9), st.booleans()), min_size=1,
                max_size=3), st.integers(-20, 20), st.data())
def test_linear_combination_of_numbers(terms, constant, data):
    builder = CircuitBuilder()
    numbers = [builder.inputs(f"n{i}_", k) for i, (k, _, _) in enumerate(terms)]
    out = gadgets.linear_combination_into(builder, numbers, [c for _, c, _ in terms], constant,
                                          signed=[s for _, _, s in terms])
    circuit = builder.build(out)
    bits = data.draw(st.lists(st.booleans(), min_size=circuit.n_inputs,
                              max_size=circuit.n_inputs))
    pieces, at = [], 0
    for k, c, signed in terms:
        pieces.append(c * value(bits[at:at + k], signed))
        at += k
    least = constant
    for k, c, signed in terms:
        low, high = (-(2 ** (k - 1)), 2 ** (k - 1) - 1) if signed else (0, 2**k - 1)
        least += min(c * low, c * high)
    twos_complement = any(s for _, _, s in terms) or least < 0
    assert value(evaluate(circuit, bits), twos_complement) == sum(pieces) + constant
    assert circuit.depth <= 2


@pytest.mark.parametrize("k", range(1, 4))
def test_subtraction_gives_twos_complement(k):
    builder = CircuitBuilder()
    xs, ys = builder.inputs("x", k), builder.inputs("y", k)
    circuit = builder.build(gadgets.subtract_into(builder, xs, ys))
    rows = all_rows(2 * k)
    got = [value(o, signed=True) for o in evaluate(circuit, rows)]
    assert got == [value(r[:k]) - value(r[k:]) for r in rows]


@given(st.lists(st.integers(-6, 6).filter(bool), min_size=2, max_size=6),
       st.lists(st.booleans(), min_size=1, max_size=80))
def test_any_function_of_a_weighted_sum_with_one_gate_per_breakpoint(weights, table):
    lo = sum(w for w in weights if w < 0)

    def f(s):
        return table[(s - lo) % len(table)]

    circuit = gadgets.of_weighted_sum(weights, f)
    rows = all_rows(len(weights))
    sums = rows.astype(int) @ np.array(weights)
    assert evaluate(circuit, rows)[:, 0].tolist() == [f(int(s)) for s in sums]
    step = math.gcd(*weights)
    hi = sum(w for w in weights if w > 0)
    b = sum(1 for s in range(lo + step, hi + 1, step) if f(s) != f(s - step))
    assert (circuit.depth, circuit.size) == ((2, b + 1) if b >= 2 else (b, b))


@given(st.lists(st.one_of(st.integers(-9, 9), st.integers(-(2**70), 2**70)), min_size=1,
                max_size=6), st.integers(-(2**66), 2**66), st.one_of(st.none(), st.integers(0, 9)))
def test_bits_of_a_weighted_sum_are_exact_even_with_huge_weights(weights, constant, width):
    builder = CircuitBuilder()
    xs = builder.inputs("x", len(weights))
    out = gadgets.sum_bits_into(builder, xs, weights, constant, width)
    circuit = builder.build(out)
    width = len(out)
    rows = all_rows(len(weights))
    for row, got in zip(rows, evaluate(circuit, rows), strict=True):
        total = sum(w for w, b in zip(weights, row, strict=True) if b) + constant
        assert value(got) == total % (1 << width)
    assert circuit.depth <= 2


def test_of_weighted_sum_refuses_a_huge_range():
    with pytest.raises(GadgetError, match=r"ranges over .* values, more than"):
        gadgets.of_weighted_sum([1, 2**40], lambda s: s % 3 == 0)


@pytest.mark.slow
def test_iterated_addition_of_256_numbers_of_16_bits():
    circuit = gadgets.iterated_addition(256, 16)
    assert (circuit.depth, circuit.size) == (2, iterated_addition_size(256, 16))
    rng = np.random.default_rng(0)
    numbers = rng.integers(0, 2**16, size=(8, 256))
    bits = ((numbers[:, :, None] >> np.arange(16)) & 1).astype(bool).reshape(8, -1)
    got = [value(o) for o in evaluate(circuit, bits, backend="torch")]
    assert got == numbers.sum(axis=1).tolist()
