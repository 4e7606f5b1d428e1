"""Counting gadgets against plain Python on every input, and their depth and size formulas."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from circuitx import gadgets
from circuitx.builder import CircuitBuilder
from circuitx.errors import GadgetError
from circuitx.evaluate import evaluate
from tests.circuitx.oracle import all_rows, value


@pytest.mark.parametrize("n", range(0, 11))
def test_parity_is_the_sum_mod_two_on_every_input(n):
    rows = all_rows(n)
    assert (evaluate(gadgets.parity(n), rows)[:, 0] == (rows.sum(axis=1) % 2 == 1)).all()


@pytest.mark.parametrize("n", [*range(2, 41), 100, 257])
def test_parity_circuit_has_depth_two_and_n_plus_one_gates_for_every_n(n):
    circuit = gadgets.parity(n)
    assert (circuit.depth, circuit.size) == (2, n + 1)


@given(st.lists(st.booleans(), min_size=11, max_size=80))
def test_parity_of_longer_words(word):
    assert evaluate(gadgets.parity(len(word)), word)[0] == (sum(word) % 2 == 1)


@pytest.mark.parametrize("n", range(0, 10))
def test_majority_is_strict_majority(n):
    rows = all_rows(n)
    assert (evaluate(gadgets.majority(n), rows)[:, 0] == (2 * rows.sum(axis=1) > n)).all()
    if n >= 2:
        assert (gadgets.majority(n).depth, gadgets.majority(n).size) == (1, 1)


@pytest.mark.parametrize("n", range(2, 8))
def test_exactly_k_on_every_input_with_its_size(n):
    rows = all_rows(n)
    for k in range(-1, n + 2):
        circuit = gadgets.exactly(n, k) if k >= 0 else None
        if circuit is None:
            continue
        assert (evaluate(circuit, rows)[:, 0] == (rows.sum(axis=1) == k)).all()
        expected = (2, 3) if 0 < k < n else (1, 1) if k in (0, n) else (0, 0)
        assert (circuit.depth, circuit.size) == expected


@pytest.mark.parametrize("n", range(0, 9))
def test_mod_m_residue_r_on_every_input_with_its_size(n):
    rows = all_rows(n)
    for m in range(1, 6):
        for r in range(m):
            circuit = gadgets.mod(n, m, r)
            want = rows.sum(axis=1) % m == r
            assert (evaluate(circuit, rows)[:, 0] == want).all(), (n, m, r)
            p = sum(1 for s in range(1, n + 1) if s % m == r)
            if m > 1 and n >= 2 and p >= 1:
                assert (circuit.depth, circuit.size) == (2, p + 1), (n, m, r)


@pytest.mark.parametrize("n", range(0, 9))
def test_count_gives_the_binary_number_of_ones(n):
    rows = all_rows(n)
    got = [value(row) for row in evaluate(gadgets.count(n), rows)]
    assert got == rows.sum(axis=1).tolist()


def test_gadgets_refuse_negative_sizes_and_bad_residues():
    with pytest.raises(GadgetError, match="n must be >= 0, got -1"):
        gadgets.parity(-1)
    with pytest.raises(GadgetError, match="m must be >= 1, got 0"):
        gadgets.mod(3, 0)
    with pytest.raises(GadgetError, match=r"residue r must be in \[0, 3\), got 3"):
        gadgets.mod(3, 3, 3)


def test_counting_gadgets_compose_on_a_builder_over_gate_wires():
    builder = CircuitBuilder()
    xs = builder.inputs("x", 6)
    ands = [builder.and_(xs[i], xs[i + 1]) for i in range(5)]  # gates as inputs
    out = {"parity": gadgets.parity_into(builder, ands),
           "two": gadgets.exactly_into(builder, ands, 2)}
    circuit = builder.build(out)
    rows = all_rows(6)
    pairs = (rows[:, :-1] & rows[:, 1:]).sum(axis=1)
    got = evaluate(circuit, rows)
    assert (got[:, 0] == (pairs % 2 == 1)).all() and (got[:, 1] == (pairs == 2)).all()
    assert circuit.depth == 3


@pytest.mark.slow
def test_parity_4096_has_4097_gates():
    circuit = gadgets.parity(4096)
    assert (circuit.depth, circuit.size) == (2, 4097)
    word = np.random.default_rng(1).integers(0, 2, size=(64, 4096)).astype(bool)
    assert (evaluate(circuit, word, backend="torch")[:, 0] == (word.sum(axis=1) % 2 == 1)).all()
