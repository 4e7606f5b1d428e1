"""The BDD check: it agrees with enumeration on small circuits and with SAT on medium ones,
with both dd packages (CUDD and the pure-Python autoref); its counterexamples really
separate the circuits; a gate's decision diagram is the gate's truth table; "auto"
takes the BDD for multiplication(8) and falls back when the diagrams grow too big."""

import time
from contextlib import contextmanager

import pytest
from dd import autoref
from hypothesis import given
from hypothesis import strategies as st

from circuitx import bdd, gadgets, verify
from circuitx.builder import CircuitBuilder
from circuitx.circuit import Circuit
from circuitx.errors import CircuitError, MissingDependencyError, NamingError
from circuitx.evaluate import evaluate
from circuitx.gadgets.textbook import array_multiplier, ripple_carry_adder
from circuitx.strategies import circuits
from circuitx.threshold_diagram import threshold_diagram
from tests.circuitx.oracle import value

PACKAGES = {"default": bdd.package(), "autoref": autoref}
"""The package `bdd` picks (`dd.cudd` where its wheel ships it) and the pure-Python one."""


@pytest.fixture(params=list(PACKAGES))
def package(request, monkeypatch):
    """Run the test once with each dd package."""
    module = PACKAGES[request.param]
    monkeypatch.setattr(bdd, "package", lambda: module)
    return module.__name__


@contextmanager
def using(name: str):
    """Within the block, `bdd` uses the dd package `PACKAGES[name]` (for @given tests)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bdd, "package", lambda: PACKAGES[name])
        yield


def _with_fault(circuit: Circuit, g: int, delta: int) -> Circuit:
    thresholds = [int(t) for t in circuit.thresholds.tolist()]
    thresholds[g] += delta
    return Circuit(inputs=circuit.input_names, fanin_ptr=circuit.fanin_ptr,
                   fanin_wires=circuit.fanin_wires, weights=circuit.weights,
                   thresholds=thresholds,
                   outputs=list(zip(circuit.output_names, circuit.output_wires.tolist(),
                                    strict=True)))


def _differ(a: Circuit, b: Circuit, inputs: dict[str, bool]) -> bool:
    ya = dict(zip(a.output_names, evaluate(a, inputs).tolist(), strict=True))
    yb = dict(zip(b.output_names, evaluate(b, inputs).tolist(), strict=True))
    return ya != yb


# --- the gate's diagram --------------------------------------------------------------------

@given(st.integers(1, 7).flatmap(lambda n: st.tuples(
    st.lists(st.integers(-9, 9), min_size=n, max_size=n), st.integers(-30, 30))))
def test_a_gates_diagram_is_its_truth_table(gate):
    """Literals as truth tables (bit r of an int: the value on row r): the diagram built
    with if-then-else on them is the table of [sum w_i x_i >= t], summed directly."""
    weights, threshold = gate
    n = len(weights)
    rows = range(1 << n)
    full = (1 << (1 << n)) - 1
    columns = [sum(1 << r for r in rows if r >> i & 1) for i in range(n)]
    got = threshold_diagram(columns, weights, threshold, negate=lambda x: x ^ full,
                            node=lambda x, hi, lo: (x & hi) | (~x & lo & full), true=full,
                            false=0, max_nodes=10_000, name="g", what="test")
    want = sum(1 << r for r in rows
               if sum(w for i, w in enumerate(weights) if r >> i & 1) >= threshold)
    assert got == want


def test_a_gate_past_its_diagram_limit_is_named():
    with pytest.raises(CircuitError, match=r"BDD: the decision diagram of gate 0 .* more "
                                           r"than 3 nodes"):
        verify.equivalent(gadgets.parity(24), gadgets.parity(24), method="bdd", max_nodes=3)


# --- agreement with enumeration and SAT ----------------------------------------------------

@pytest.mark.parametrize("package", list(PACKAGES))
@given(circuits(inputs=(1, 8), gates=(1, 15)), st.data())
def test_bdd_agrees_with_enumeration_on_small_circuits(package, circuit, data):
    g = data.draw(st.integers(0, circuit.n_gates - 1))
    faulty = _with_fault(circuit, g, data.draw(st.sampled_from([-1, 1])))
    with using(package):
        verdict = verify.equivalent(circuit, faulty, method="bdd")
        assert verify.equivalent(circuit, circuit, method="bdd")
    truth = verify.equivalent(circuit, faulty, method="exhaustive")
    assert verdict.method == "bdd"
    assert bool(verdict) == bool(truth)
    if not verdict:
        assert _differ(circuit, faulty, verdict.counterexample)
        assert set(verdict.outputs) <= set(circuit.output_names)


@given(circuits(inputs=(21, 28), gates=(1, 12)), st.data())
def test_bdd_agrees_with_sat_beyond_the_exhaustive_limit(circuit, data):
    g = data.draw(st.integers(0, circuit.n_gates - 1))
    faulty = _with_fault(circuit, g, data.draw(st.sampled_from([-1, 1])))
    by_bdd = verify.equivalent(circuit, faulty, method="bdd")
    by_sat = verify.equivalent(circuit, faulty, method="sat")
    assert bool(by_bdd) == bool(by_sat)
    if not by_bdd:
        assert _differ(circuit, faulty, by_bdd.counterexample)


@pytest.mark.parametrize(("make", "reference"), [
    (gadgets.addition, ripple_carry_adder),
    (gadgets.equality, None),
])
def test_bdd_and_sat_agree_on_medium_gadgets_and_their_faults(package, make, reference):
    good = make(12)
    other = reference(12) if reference else good
    assert verify.equivalent(good, other, method="bdd")
    assert verify.equivalent(good, other, method="sat")
    for g in (0, good.n_gates // 2, good.n_gates - 1):
        bad = _with_fault(good, g, 1)
        by_bdd = verify.equivalent(good, bad, method="bdd")
        assert bool(by_bdd) == bool(verify.equivalent(good, bad, method="sat"))
        if not by_bdd:
            assert _differ(good, bad, by_bdd.counterexample)


def test_bdd_proves_parity_against_a_chain_of_xors_at_64_inputs(package):
    b = CircuitBuilder()
    xs = b.inputs("x", 64)
    chain = xs[0]
    for x in xs[1:]:
        chain = b.xor(chain, x)
    verdict = verify.equivalent(gadgets.parity(64), b.build({"out": chain}))
    assert verdict and verdict.method == "bdd"


# --- multiplication ------------------------------------------------------------------------

def test_auto_decides_multiplication_8_against_itself_by_bdd_in_seconds():
    start = time.perf_counter()
    verdict = verify.equivalent(gadgets.multiplication(8), gadgets.multiplication(8))
    assert verdict and verdict.method == "bdd"
    assert time.perf_counter() - start < 20  # about 1 s with CUDD; SAT: minutes


def test_bdd_proves_the_depth_three_multiplier_equals_anarray_multiplier():
    assert verify.equivalent(gadgets.multiplication(8), array_multiplier(8), method="bdd")


def test_a_wrong_multiplier_bit_has_a_counterexample_that_arithmetic_confirms():
    good = gadgets.multiplication(8)
    middle = int(good.output_wires[good.output_names.index("p8")]) - good.first_gate
    bad = _with_fault(good, middle, 1)
    verdict = verify.equivalent(array_multiplier(8), bad, method="bdd")
    assert not verdict and verdict.method == "bdd"
    x = value([verdict.counterexample[f"x{i}"] for i in range(8)])
    y = value([verdict.counterexample[f"y{i}"] for i in range(8)])
    out = dict(zip(bad.output_names, evaluate(bad, verdict.counterexample).tolist(),
                   strict=True))
    assert value([out[f"p{j}"] for j in range(16)]) != x * y
    assert verdict.outputs and all(
        out[name] != bool((x * y) >> int(name[1:]) & 1) for name in verdict.outputs)


# --- order, limits, fallback, errors -------------------------------------------------------

def test_the_order_interleaves_operands_by_bit_and_keeps_other_names():
    assert bdd.variable_order(["x0", "x1", "x2", "y0", "y1", "y2"]) == [
        "x0", "y0", "x1", "y1", "x2", "y2"]
    assert bdd.variable_order(gadgets.iterated_addition(3, 2).input_names) == [
        "x0_0", "x1_0", "x2_0", "x0_1", "x1_1", "x2_1"]
    assert bdd.variable_order(["x2", "x0", "x1"]) == ["x2", "x0", "x1"]  # one stem
    assert bdd.variable_order(["b", "a0", "a1"]) == ["b", "a0", "a1"]  # not all indexed


def test_a_bad_order_passes_the_node_limit_and_auto_falls_back_to_sat():
    adder = gadgets.addition(12)
    operands_apart = list(adder.input_names)  # x0..x11 then y0..y11: exponential
    with pytest.raises(bdd.TooManyNodes, match=r"more than max_nodes=1000 nodes"):
        verify.equivalent(adder, adder, method="bdd", order=operands_apart,
                          bdd_max_nodes=1000)
    verdict = verify.equivalent(adder, ripple_carry_adder(12), order=operands_apart,
                                bdd_max_nodes=1000)
    assert verdict and verdict.method == "sat"


def test_auto_falls_back_to_enumeration_within_the_exhaustive_limit():
    adder = gadgets.addition(9)  # 18 inputs, too much work to enumerate first
    assert verify.choose_method(adder, adder) == "bdd"
    verdict = verify.equivalent(adder, adder, order=list(adder.input_names),
                                bdd_max_nodes=100)
    assert verdict and verdict.method == "exhaustive"


def test_auto_enumerates_small_circuits_and_uses_sat_without_dd(monkeypatch):
    assert verify.choose_method(gadgets.addition(4), gadgets.addition(4)) == "exhaustive"
    monkeypatch.setattr(verify, "bdd_available", lambda: False)
    assert verify.choose_method(gadgets.addition(10), gadgets.addition(10)) == "exhaustive"
    verdict = verify.equivalent(gadgets.addition(11), ripple_carry_adder(11))
    assert verdict and verdict.method == "sat"
    with pytest.raises(MissingDependencyError, match=r"pip install 'circuitx\[bdd\]'"):
        verify.equivalent(gadgets.parity(3), gadgets.parity(3), method="bdd")


def test_an_order_that_misses_an_input_is_refused():
    with pytest.raises(NamingError, match=r"BDD order must name every input once: missing "
                                          r"\['x2'\], unknown \['z'\]"):
        verify.equivalent(gadgets.parity(3), gadgets.parity(3), method="bdd",
                          order=["x0", "x1", "z"])


def test_an_unknown_method_names_the_choices():
    with pytest.raises(CircuitError, match=r"unknown method 'zdd'; choose one of auto, "
                                           r"exhaustive, sat, bdd"):
        verify.equivalent(gadgets.parity(3), gadgets.parity(3), method="zdd")
