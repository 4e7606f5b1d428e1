"""The verifier: equal circuits are equal; a planted single-gate fault is found with an
input that really distinguishes the circuits, exhaustively and by SAT."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from circuitx import gadgets, verify
from circuitx.builder import CircuitBuilder
from circuitx.circuit import Circuit
from circuitx.errors import CircuitError, MissingDependencyError, NamingError
from circuitx.evaluate import evaluate
from circuitx.gadgets.textbook import ripple_carry_adder
from circuitx.strategies import circuits

needs_sat = pytest.mark.skipif(not verify.sat_available(), reason="needs python-sat")


def _with_fault(circuit: Circuit, g: int, delta: int) -> Circuit:
    thresholds = [int(t) for t in circuit.thresholds.tolist()]
    thresholds[g] += delta
    return Circuit(inputs=circuit.input_names, fanin_ptr=circuit.fanin_ptr,
                   fanin_wires=circuit.fanin_wires, weights=circuit.weights,
                   thresholds=thresholds,
                   outputs=list(zip(circuit.output_names, circuit.output_wires.tolist(),
                                    strict=True)))


def _differ(a, b, inputs) -> bool:
    return evaluate(a, inputs).tolist() != evaluate(b, inputs).tolist()


@pytest.mark.parametrize("method", ["exhaustive", pytest.param("sat", marks=needs_sat)])
@given(circuits(inputs=(1, 8), gates=(1, 15)), st.data())
def test_planted_fault_is_found_with_a_real_counterexample(method, circuit, data):
    g = data.draw(st.integers(0, circuit.n_gates - 1))
    faulty = _with_fault(circuit, g, data.draw(st.sampled_from([-1, 1])))
    verdict = verify.equivalent(circuit, faulty, method=method)
    truth = verify.equivalent(circuit, faulty, method="exhaustive")
    assert bool(verdict) == bool(truth)
    if not verdict:
        assert _differ(circuit, faulty, verdict.counterexample)
    assert verify.equivalent(circuit, circuit, method=method)


@needs_sat
def test_sat_proves_the_depth_two_adder_equals_aripple_carry_adder():
    verdict = verify.equivalent(gadgets.addition(16), ripple_carry_adder(16), method="sat")
    assert verdict and verdict.method == "sat"


@needs_sat
def test_sat_proves_equality_equals_a_tree_of_xors():
    b = CircuitBuilder()
    xs, ys = b.inputs("x", 12), b.inputs("y", 12)
    differ = [b.xor(x, y) for x, y in zip(xs, ys, strict=True)]
    tree = b.build({"out": b.not_(b.or_(*differ))})
    assert verify.equivalent(gadgets.equality(12), tree, method="sat").method == "sat"


@needs_sat
@pytest.mark.slow
def test_sat_proves_parity_against_mod_two_beyond_the_exhaustive_limit():
    verdict = verify.equivalent(gadgets.parity(24), gadgets.mod(24, 2, 1), method="sat")
    assert verdict and verdict.method == "sat"


@needs_sat
def test_sat_finds_a_wrong_carry_in_a_24_bit_adder():
    good = gadgets.addition(12)
    g = good.n_gates // 2
    bad = _with_fault(good, g, 1)
    verdict = verify.equivalent(good, bad, method="sat")
    assert not verdict and verdict.method == "sat"
    assert _differ(good, bad, verdict.counterexample)


def test_equivalence_matches_inputs_by_name_in_any_order():
    b = CircuitBuilder()
    y, x = b.input("y"), b.input("x")
    swapped = b.build({"out": b.gate([x, y], [2, 1], 2)})
    b = CircuitBuilder()
    x, y = b.input("x"), b.input("y")
    plain = b.build({"out": b.gate([x, y], [2, 1], 2)})
    assert verify.equivalent(plain, swapped)


def test_different_names_are_refused_clearly():
    with pytest.raises(NamingError, match=r"inputs differ: only in the first \['x3'\]"):
        verify.equivalent(gadgets.parity(4), gadgets.parity(3))
    with pytest.raises(NamingError, match=r"outputs differ"):
        verify.equivalent(gadgets.parity(3), gadgets.count(3))


def test_computes_checks_against_python_and_returns_a_counterexample():
    adder = gadgets.addition(3)

    def add(bits):
        x = sum(int(b) << i for i, b in enumerate(bits[:3]))
        y = sum(int(b) << i for i, b in enumerate(bits[3:]))
        return [(x + y) >> j & 1 for j in range(4)]

    assert verify.computes(adder, add)
    wrong = verify.computes(adder, lambda bits: [*add(bits)[:3], 0])
    assert not wrong and wrong.outputs == ("s3",)
    assert sum(wrong.counterexample.values()) >= 2
    with pytest.raises(CircuitError, match="more than max_inputs=4"):
        verify.computes(adder, add, max_inputs=4)


def test_missing_sat_solver_says_what_to_install(monkeypatch):
    monkeypatch.setattr(verify, "sat_available", lambda: False)
    with pytest.raises(MissingDependencyError, match=r"pip install 'circuitx\[verify\]'"):
        verify.equivalent(gadgets.parity(3), gadgets.parity(3), method="sat")
