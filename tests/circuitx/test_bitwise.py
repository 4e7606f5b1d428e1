"""The bit-packed evaluator's parts, each against plain integer arithmetic: the
straight-line programs, the canonical forms (constants folded, negative weights
flipped, complement taken), the merging of equal functions, packing, and the
row layout that reuses dead layers."""

import itertools

import numpy as np
import torch
from hypothesis import given
from hypothesis import strategies as st

from circuitx import bitwise, gadgets, torch_eval, torch_plan
from circuitx.circuit import Circuit
from circuitx.evaluate import evaluate
from tests.circuitx.oracle import all_rows


def _run_program(weights, threshold, literals):
    """The program on single bits, the way the evaluator runs it on words."""
    state = {}
    for j, s, i in bitwise.program(weights, threshold):
        term = literals[i] if s == 0 else state[s] & literals[i]
        state[j] = state.get(j, 0) | term
    return state.get(threshold, 0)


@given(st.lists(st.integers(1, 9), min_size=1, max_size=6).map(lambda w: sorted(w)[::-1]),
       st.data())
def test_the_program_decides_the_weighted_sum_on_every_assignment(weights, data):
    threshold = data.draw(st.integers(1, sum(weights)))
    for literals in itertools.product((0, 1), repeat=len(weights)):
        want = sum(w * x for w, x in zip(weights, literals, strict=True)) >= threshold
        assert _run_program(tuple(weights), threshold, literals) == want


gate = st.integers(1, bitwise.MAX_FANIN).flatmap(lambda k: st.tuples(
    st.lists(st.integers(0, 5), min_size=k, max_size=k),      # wires: 0, 1 constants; 2.. inputs
    st.lists(st.integers(-6, 6), min_size=k, max_size=k),
    st.integers(-20, 20)))


@given(st.lists(gate, min_size=1, max_size=20))
def test_canonical_forms_compute_the_gate_on_every_input(gates):
    width = max(len(g[0]) for g in gates)
    src = np.array([g[0] + [0] * (width - len(g[0])) for g in gates], dtype=np.int64)
    weights = np.array([g[1] + [0] * (width - len(g[1])) for g in gates], dtype=np.int64)
    thresholds = np.array([g[2] for g in gates], dtype=np.int64)
    forms = bitwise.canonical(src, weights, thresholds)
    for row, (wires, ws, t) in enumerate(gates):
        for inputs in itertools.product((0, 1), repeat=4):
            values = (0, 1, *inputs)
            want = sum(w * values[x] for x, w in zip(wires, ws, strict=True)) >= t
            if forms.constant[row] >= 0:
                assert forms.constant[row] == want
                continue
            key_weights, threshold = bitwise.decode(int(forms.key[row]))
            k = len(key_weights)
            assert forms.fan_in[row] == k
            literals = [values[x] ^ int(n) for x, n in
                        zip(forms.sources[row, :k], forms.negate[row, :k], strict=True)]
            got = _run_program(key_weights, threshold, literals) ^ int(forms.complement[row])
            assert got == want, (wires, ws, t, inputs)


def test_gates_of_one_function_share_one_program():
    # 3a + 2b + c >= 3 and 2a + b + c >= 2 are both a or (b and c)
    src = np.array([[2, 3, 4], [2, 3, 4]])
    forms = bitwise.canonical(src, np.array([[3, 2, 1], [2, 1, 1]]), np.array([3, 2]))
    assert forms.key[0] == forms.key[1]


def test_pack_and_unpack_are_inverse_with_the_batch_along_the_bits():
    bits = torch.from_numpy(np.random.default_rng(0).integers(0, 2, size=(5, 130)).astype(bool))
    words = torch_eval.pack(bits)
    assert words.shape == (5, 3) and words.dtype == torch.int64
    assert int(words[2, 0]) & 1 == int(bits[2, 0]) and (int(words[2, 1]) >> 3) & 1 == int(
        bits[2, 67])
    assert torch.equal(torch_eval.unpack(words)[:, :130].bool(), bits)
    assert not torch_eval.unpack(words)[:, 130:].any()


def _chain(layers: int, width: int) -> Circuit:
    """`layers` layers of `width` majority-of-3 gates, each reading the layer below."""
    rng = np.random.default_rng(0)
    wires, lo, hi = [], 2, 2 + width
    for d in range(layers):
        wires.append(rng.integers(lo, hi, size=(width, 3)))
        lo, hi = 2 + width * (d + 1), 2 + width * (d + 2)
    n = layers * width
    return Circuit(inputs=[f"x{i}" for i in range(width)], fanin_ptr=np.arange(0, 3 * n + 1, 3),
                   fanin_wires=np.concatenate(wires).reshape(-1), weights=np.ones(3 * n, int),
                   thresholds=np.full(n, 2), outputs=[("y", 1 + width * (layers + 1))])


def test_the_value_table_reuses_the_rows_of_layers_no_longer_read():
    circuit = _chain(layers=12, width=40)
    plan = torch_plan.make_plan(circuit, torch.device("cpu"), None)
    assert plan["rows"] <= 2 + 3 * 40 < circuit.n_nodes
    rows = np.random.default_rng(1).integers(0, 2, size=(300, 40)).astype(bool)
    assert np.array_equal(evaluate(circuit, rows, backend="torch"), evaluate(circuit, rows))


def test_words_chunked_one_at_a_time_agree_with_the_reference():
    circuit = gadgets.multiplication(4)
    rows = np.random.default_rng(2).integers(0, 2, size=(333, 8)).astype(bool)
    got = evaluate(circuit, rows, backend="torch", max_bytes=8)  # one word (64 rows) per chunk
    assert np.array_equal(got, evaluate(circuit, rows))


def test_small_gates_run_as_bit_logic_and_wide_ones_as_products():
    circuit = gadgets.parity(40)  # 40 gates [sum x >= k] of fan-in 40, then one wide sum
    kinds = {part["kind"] for part in torch_plan.make_plan(circuit, torch.device("cpu"),
                                                           None)["parts"]}
    assert "bitwise" not in kinds
    assert {p["kind"] for p in torch_plan.make_plan(_chain(2, 8), torch.device("cpu"),
                                                    None)["parts"]} == {"bitwise"}
    assert np.array_equal(evaluate(gadgets.parity(10), all_rows(10), backend="torch")[:, 0],
                          all_rows(10).sum(axis=1) % 2 == 1)
