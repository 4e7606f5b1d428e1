"""The Circuit layout, its measures, and the checker: every rule-breaking mutation of a
valid random circuit is rejected with a message naming the gate."""

import json
from fractions import Fraction

import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from circuitx import io
from circuitx.circuit import Circuit
from circuitx.errors import CycleError, NamingError, WeightError, WireError
from circuitx.strategies import circuits

with_gates = circuits(gates=(1, 12), max_fan_in=3).filter(lambda c: len(c.fanin_wires) > 0)


def _raw(circuit):
    return json.loads(json.dumps(io.to_dict(circuit)))


def _make(raw):
    return Circuit(inputs=raw["inputs"], fanin_ptr=raw["fanin_ptr"],
                   fanin_wires=raw["fanin_wires"], weights=raw["weights"],
                   thresholds=raw["thresholds"], outputs=[tuple(p) for p in raw["outputs"]])


def _owner(raw, position):
    ptr = raw["fanin_ptr"]
    return max(g for g in range(len(ptr) - 1) if ptr[g] <= position)


@given(with_gates, st.data())
def test_checker_rejects_a_dangling_wire_naming_the_gate(circuit, data):
    raw = _raw(circuit)
    position = data.draw(st.integers(0, len(raw["fanin_wires"]) - 1))
    bad = data.draw(st.one_of(st.integers(circuit.n_nodes, circuit.n_nodes + 5),
                              st.integers(-5, -1)))
    raw["fanin_wires"][position] = bad
    g = _owner(raw, position)
    with pytest.raises(WireError, match=rf"gate {g} \(wire {circuit.first_gate + g}\) reads "
                                        rf"wire {bad}, which does not exist"):
        _make(raw)


@given(with_gates, st.data())
def test_checker_rejects_forward_reads_and_names_the_cycle(circuit, data):
    raw = _raw(circuit)
    position = data.draw(st.integers(0, len(raw["fanin_wires"]) - 1))
    g = _owner(raw, position)
    h = data.draw(st.integers(g, circuit.n_gates - 1))
    raw["fanin_wires"][position] = circuit.first_gate + h
    graph = nx.DiGraph()  # oracle: edges gate -> gate it reads
    ptr, wires = raw["fanin_ptr"], raw["fanin_wires"]
    for x in range(circuit.n_gates):
        for w in wires[ptr[x]:ptr[x + 1]]:
            if w >= circuit.first_gate:
                graph.add_edge(x, w - circuit.first_gate)
    name = rf"gate {g} \(wire {circuit.first_gate + g}\)"
    if nx.has_path(graph, h, g):
        with pytest.raises(CycleError, match=rf"cycle through {name}: {name} -> "):
            _make(raw)
    else:
        with pytest.raises(CycleError, match=rf"{name} reads wire .* before it is defined"):
            _make(raw)


@given(with_gates, st.data())
def test_checker_rejects_a_non_integer_weight_naming_the_gate(circuit, data):
    raw = _raw(circuit)
    position = data.draw(st.integers(0, len(raw["fanin_wires"]) - 1))
    bad = data.draw(st.sampled_from([1.5, 2.0, Fraction(1, 2), "3", True, None]))
    raw["weights"][position] = bad
    g = _owner(raw, position)
    with pytest.raises(WeightError, match=rf"gate {g} \(wire {circuit.first_gate + g}\) has "
                                          rf"weight .*; weights must be integers"):
        _make(raw)


@given(with_gates, st.data())
def test_checker_rejects_a_non_integer_threshold_naming_the_gate(circuit, data):
    raw = _raw(circuit)
    g = data.draw(st.integers(0, circuit.n_gates - 1))
    raw["thresholds"][g] = 0.5
    with pytest.raises(WeightError, match=rf"gate {g} \(wire {circuit.first_gate + g}\) has "
                                          rf"threshold 0.5"):
        _make(raw)


@given(circuits(outputs=(1, 3)))
def test_checker_rejects_an_output_that_names_no_wire(circuit):
    raw = _raw(circuit)
    raw["outputs"][0][1] = circuit.n_nodes
    with pytest.raises(WireError, match=rf"output 'y0' is wire {circuit.n_nodes}, which "
                                        rf"does not exist"):
        _make(raw)


def test_names_must_be_distinct_strings():
    with pytest.raises(NamingError, match="input name 'a' is used twice"):
        Circuit(inputs=["a", "a"], fanin_ptr=[0], fanin_wires=[], weights=[], thresholds=[],
                outputs=[])
    with pytest.raises(NamingError, match="output name '' must be a non-empty string"):
        Circuit(inputs=[], fanin_ptr=[0], fanin_wires=[], weights=[], thresholds=[],
                outputs=[("", 0)])


def test_layout_measures_and_labels():
    # g0 = x0 AND x1, g1 = [g0 - 3 x2 >= 0], outputs both
    circuit = Circuit(inputs=["x0", "x1", "x2"], fanin_ptr=[0, 2, 4], fanin_wires=[2, 3, 5, 4],
                      weights=[1, 1, 1, -3], thresholds=[2, 0], outputs={"a": 5, "b": 6},
                      labels=["mlp", None])
    stats = circuit.stats()
    assert (stats.depth, stats.size, stats.wires, stats.max_fan_in) == (2, 2, 4, 2)
    assert (stats.max_weight, stats.max_weight_bits, stats.total_weight_bits) == (3, 2, 5)
    assert stats.gates_per_layer == (1, 1)
    assert circuit.gate(1) == ([5, 4], [1, -3], 0)
    assert circuit.gate_name(0) == "gate 0 (wire 5 'mlp')"
    assert circuit.wire_name(4) == "x2" and circuit.wire_name(1) == "True"


def test_huge_weights_are_kept_exactly():
    big = 2**100 + 1
    circuit = Circuit(inputs=["x"], fanin_ptr=[0, 1], fanin_wires=[2], weights=[big],
                      thresholds=[big], outputs={"y": 3})
    assert circuit.weights.dtype == object and circuit.gate(0) == ([2], [big], big)
    assert not circuit.fits_int64 and circuit.stats().max_weight_bits == 101
