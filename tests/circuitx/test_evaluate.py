"""The numpy reference and the torch evaluator agree bit for bit, big weights included;
inputs of the wrong width are refused with both widths named."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from circuitx import gadgets, torch_eval
from circuitx.circuit import Circuit
from circuitx.errors import CircuitError, WidthError
from circuitx.evaluate import evaluate
from circuitx.strategies import circuits
from tests.circuitx.oracle import all_rows


def _oracle(circuit, row):
    """Gate by gate with Python integers: the definition, nothing else."""
    values = [0, 1, *(int(b) for b in row)]
    for g in range(circuit.n_gates):
        wires, weights, threshold = circuit.gate(g)
        values.append(int(sum(w * values[x] for x, w in zip(wires, weights, strict=True))
                          >= threshold))
    return [bool(values[w]) for w in circuit.output_wires.tolist()]


@given(circuits(big_weights=True, gates=(0, 25)))
def test_numpy_and_torch_agree_with_the_definition_on_every_input(circuit):
    rows = all_rows(circuit.n_inputs)
    reference = evaluate(circuit, rows)
    assert reference.tolist() == [_oracle(circuit, row) for row in rows]
    assert np.array_equal(evaluate(circuit, rows, backend="torch"), reference)


@given(circuits(inputs=(8, 16), gates=(10, 60), max_fan_in=8, max_weight=2**30),
       st.integers(0, 2**32 - 1))
def test_numpy_and_torch_agree_on_random_batches_in_small_chunks(circuit, seed):
    rows = np.random.default_rng(seed).integers(0, 2, size=(50, circuit.n_inputs)).astype(bool)
    reference = evaluate(circuit, rows, max_bytes=circuit.n_nodes * 7)
    assert np.array_equal(evaluate(circuit, rows, backend="torch",
                                   max_bytes=circuit.n_nodes * 4 * 7), reference)


def test_float_rounding_would_be_wrong_here_and_is_avoided():
    # [2^60 x - 2^60 y + z >= 1]: in float64 the 1 would vanish against 2^60
    big = 2**60
    circuit = Circuit(inputs=["x", "y", "z"], fanin_ptr=[0, 3], fanin_wires=[2, 3, 4],
                      weights=[big, -big, 1], thresholds=[1], outputs={"o": 5})
    rows = all_rows(3)
    want = [(big * x - big * y + z) >= 1 for x, y, z in rows.astype(int).tolist()]
    assert evaluate(circuit, rows)[:, 0].tolist() == want
    assert evaluate(circuit, rows, backend="torch")[:, 0].tolist() == want


def test_inputs_by_name_and_single_rows():
    circuit = gadgets.addition(2)
    assert evaluate(circuit, {"x0": 1, "x1": 1, "y0": 1, "y1": 0}).tolist() == [False, False,
                                                                                 True]
    batch = evaluate(circuit, {"x0": [0, 1], "x1": 0, "y0": 1, "y1": 0})
    assert batch.shape == (2, 3)


def test_an_empty_batch_gives_an_empty_result_on_both_backends():
    for backend in ("numpy", "torch"):
        assert evaluate(gadgets.parity(3), np.zeros((0, 3), dtype=bool),
                        backend=backend).shape == (0, 1)


def test_wrong_width_names_expected_and_given():
    circuit = gadgets.parity(4)
    with pytest.raises(WidthError, match="the circuit has 4 inputs; got input rows of width 3"):
        evaluate(circuit, np.zeros((2, 3), dtype=bool))
    with pytest.raises(WidthError, match="the circuit has 4 inputs; got input rows of width 5"):
        evaluate(circuit, [0, 1, 0, 1, 1], backend="torch")
    with pytest.raises(WidthError, match=r"missing \['x3'\], unknown \['z'\]"):
        evaluate(circuit, {"x0": 0, "x1": 0, "x2": 0, "z": 1})
    with pytest.raises(CircuitError, match="inputs must be bits"):
        evaluate(circuit, [0, 1, 2, 0])
    with pytest.raises(CircuitError, match="unknown backend 'jax'"):
        evaluate(circuit, [0, 1, 1, 0], backend="jax")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_torch_on_cuda_agrees_with_the_reference():
    circuit = gadgets.multiplication(8)
    rows = np.random.default_rng(0).integers(0, 2, size=(4096, 16)).astype(bool)
    assert np.array_equal(evaluate(circuit, rows, backend="torch", device="cuda"),
                          evaluate(circuit, rows))


@pytest.mark.parametrize("kind", ["bitwise", "dense", "slots", "csr", "limbs"])
@given(circuit=circuits(big_weights=True, gates=(1, 25), max_fan_in=5, max_weight=200))
def test_every_torch_path_agrees_with_the_reference(kind, circuit):
    rows = all_rows(circuit.n_inputs)
    saved, torch_eval.FORCE_KIND = torch_eval.FORCE_KIND, kind
    try:
        got = evaluate(circuit, rows, backend="torch")
    finally:
        torch_eval.FORCE_KIND = saved
    assert np.array_equal(got, evaluate(circuit, rows))
