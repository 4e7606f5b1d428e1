"""JSON and GraphML round trips, DOT and networkx export, and malformed files."""

import json

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings

from circuitx import gadgets, io
from circuitx.errors import FormatError, WeightError, WireError
from circuitx.strategies import circuits


@given(circuits(big_weights=True, labels=True))
def test_json_round_trip_is_exact(circuit):
    again = io.from_dict(json.loads(json.dumps(io.to_dict(circuit))))
    assert again == circuit and io.to_dict(again) == io.to_dict(circuit)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(circuits(big_weights=True, labels=True))
def test_graphml_round_trip_is_exact(tmp_path, circuit):
    path = tmp_path / "c.graphml"
    io.to_graphml(circuit, path)
    assert io.from_graphml(path) == circuit


def test_save_and_load_a_gadget(tmp_path):
    circuit = gadgets.iterated_addition(3, 4)
    io.save(circuit, tmp_path / "c.json")
    assert io.load(tmp_path / "c.json") == circuit


def test_networkx_graph_and_dot_carry_weights_and_thresholds():
    circuit = gadgets.comparison(2)
    graph = io.to_networkx(circuit)
    assert isinstance(graph, nx.DiGraph) and nx.is_directed_acyclic_graph(graph)
    gate = circuit.first_gate
    assert graph.nodes[gate]["threshold"] == 0
    assert sorted(d["weight"] for _, _, d in graph.in_edges(gate, data=True)) == [-2, -1, 1, 2]
    dot = io.to_dot(circuit)
    assert dot.startswith("digraph circuit {") and 'label=">= 0"' in dot and 'label="-2"' in dot


def _good():
    return io.to_dict(gadgets.parity(3))


@pytest.mark.parametrize(("change", "error", "message"), [
    (lambda d: d.pop("weights"), FormatError, "missing key 'weights'"),
    (lambda d: d.update(format="other"), FormatError, "'format' must be 'circuitx.circuit'"),
    (lambda d: d.update(version=9), FormatError, "unsupported version 9"),
    (lambda d: d.update(inputs="x0"), FormatError, "'inputs' must be a list"),
    (lambda d: d.update(outputs=[["out"]]), FormatError, r"each output must be \[name, wire\]"),
    (lambda d: d["fanin_wires"].__setitem__(0, 1.5), FormatError,
     "'fanin_wires' must hold integers, found 1.5"),
    (lambda d: d["weights"].__setitem__(0, "1"), WeightError, "has weight '1'"),
    (lambda d: d["fanin_wires"].__setitem__(0, 40), WireError, "reads wire 40"),
    (lambda d: d.update(gate_labels=[0]), FormatError, "'gate_labels' must hold one index"),
])
def test_malformed_files_name_what_is_wrong(tmp_path, change, error, message):
    data = _good()
    change(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(error, match=message):
        io.load(path)


def test_not_json_and_missing_files(tmp_path):
    (tmp_path / "x.json").write_text("{nope")
    with pytest.raises(FormatError, match="is not JSON"):
        io.load(tmp_path / "x.json")
    with pytest.raises(FormatError, match="cannot read circuit file"):
        io.load(tmp_path / "absent.json")
