"""The builder's normal form: folding, absorption, merging, hashing, labels, pruning."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from circuitx import gadgets
from circuitx.builder import CircuitBuilder
from circuitx.circuit import FALSE, TRUE
from circuitx.errors import NamingError, WeightError, WireError
from circuitx.evaluate import evaluate
from tests.circuitx.oracle import all_rows


def test_constant_gates_fold_to_constant_wires():
    b = CircuitBuilder()
    x, y = b.inputs("x", 2)
    assert b.gate([x, y], [1, 1], 0) == TRUE
    assert b.gate([x, y], [1, 1], 3) == FALSE
    assert b.and_(x, False) == FALSE and b.or_(x, True) == TRUE
    assert b.and_(x, True) == x and b.or_() == FALSE and b.and_() == TRUE
    assert b.n_gates == 0


def test_same_gate_is_built_once_whatever_the_order_duplicates_or_scale():
    b = CircuitBuilder()
    x, y, z = b.inputs("x", 3)
    g = b.gate([x, y, z], [1, 2, 1], 2)
    assert b.gate([z, y, x], [1, 2, 1], 2) == g
    assert b.gate([x, y, z, x], [2, 4, 2, 0], 3) == g  # gcd 2: ceil(3 / 2) = 2
    assert b.gate([x, z, y, y], [1, 1, 1, 1], 2) == g  # repeated y merged
    assert b.n_gates == 1


def test_not_of_an_input_is_absorbed_and_not_of_a_gate_is_its_complement():
    b = CircuitBuilder()
    x, y = b.inputs("x", 2)
    g = b.and_(x, b.not_(y))
    assert b.layer(g) == 1  # [x - y >= 1], no NOT layer
    h = b.and_(x, y)
    assert b.layer(b.not_(h)) == 1 and b.not_(b.not_(h)) == h
    assert b.not_(TRUE) == FALSE
    circuit = b.build({"g": g, "nh": b.not_(h)})
    assert circuit.size == 2
    rows = all_rows(2)
    got = evaluate(circuit, rows)
    assert (got[:, 0] == (rows[:, 0] & ~rows[:, 1])).all()
    assert (got[:, 1] == ~(rows[:, 0] & rows[:, 1])).all()


def test_single_input_gates_are_the_wire_or_its_complement():
    b = CircuitBuilder()
    (x,) = b.inputs("x", 1)
    assert b.gate([x], [5], 3) == x
    n = b.gate([x], [-4], -1)
    assert n == b.not_(x)


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(-4, 4)), max_size=7),
       st.integers(-6, 6))
def test_normal_form_keeps_the_function(terms, threshold):
    b = CircuitBuilder()
    xs = b.inputs("x", 3)
    pool = [FALSE, TRUE, *xs, b.not_(xs[0]), b.and_(xs[1], xs[2])]
    wires = [pool[i] for i, _ in terms]
    out = b.gate(wires, [w for _, w in terms], threshold)
    circuit = b.build([out, *pool[2:]])
    for row, got in zip(all_rows(3), evaluate(circuit, all_rows(3)), strict=True):
        values = [0, 1, *row.astype(int), 1 - row[0], int(row[1] and row[2])]
        total = sum(w * values[i] for i, w in terms)
        assert got[0] == (total >= threshold)


def test_numpy_path_for_large_fan_in_agrees_with_the_python_path():
    b = CircuitBuilder()
    xs = b.inputs("x", 60)
    weights = [(-1) ** i * (i % 7) for i in range(60)]
    big = b.gate(xs, weights, 3)
    small = b.gate(xs[:30], weights[:30], 3)
    again = b.gate(list(reversed(xs)), list(reversed(weights)), 3)
    assert again == big and small != big


def test_scopes_prefix_labels_and_build_prunes_dead_gates():
    b = CircuitBuilder()
    x, y = b.inputs("x", 2)
    with b.scope("layer1"), b.scope("mlp"):
        g = b.and_(x, y, label="relu")
        b.or_(x, y)  # dead
    circuit = b.build({"g": g})
    assert circuit.size == 1 and circuit.label(0) == "layer1.mlp.relu"
    assert b.build({"g": g}, prune=False).size == 2


def test_embed_copies_a_circuit_over_given_wires():
    b = CircuitBuilder()
    xs = b.inputs("x", 4)
    (out,) = b.embed(gadgets.parity(3), xs[:3])
    circuit = b.build({"p": b.and_(out, xs[3])})
    rows = all_rows(4)
    want = (rows[:, :3].sum(axis=1) % 2 == 1) & rows[:, 3]
    assert (evaluate(circuit, rows)[:, 0] == want).all()


def test_bad_requests_name_what_is_wrong():
    b = CircuitBuilder()
    x = b.input("x")
    with pytest.raises(NamingError, match="input name 'x' is used twice"):
        b.input("x")
    with pytest.raises(WireError, match=r"wire 99 does not exist in this builder \(wires are "):
        b.gate([x, 99], [1, 1], 1)
    with pytest.raises(WeightError, match=r"weight 0\.5 must be an integer"):
        b.gate([x], [0.5], 1)
    with pytest.raises(WeightError, match=r"threshold 1\.0 must be an integer"):
        b.gate([x], [1], 1.0)
    with pytest.raises(WeightError, match="has 1 inputs but 2 weights"):
        b.gate([x], [1, 2], 1)
