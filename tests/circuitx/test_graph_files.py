"""GraphML and DOT files that other tools accept: unique typed GraphML read back as integers
by networkx, DOT that a DOT parser (pydot) reads with every label as written."""

import io as text_io
import json
import re
from xml.etree import ElementTree

import networkx as nx
import pydot
import pytest
from hypothesis import given

from circuitx import gadgets, graph_files, io
from circuitx.builder import CircuitBuilder
from circuitx.circuit import Circuit
from circuitx.errors import NamingError
from circuitx.strategies import circuits

NS = "{http://graphml.graphdrawing.org/xmlns}"
TYPES = {"boolean", "int", "long", "float", "double", "string"}
NMTOKEN = re.compile(r"[\w.\-:]+\Z")


def _read(text: str) -> nx.MultiDiGraph:
    return nx.read_graphml(text_io.BytesIO(text.encode()), node_type=int,
                           force_multigraph=True)


def _schema_rules(text: str) -> ElementTree.Element:
    """The GraphML structure rules the schema states (ids unique NMTOKENs per kind, every
    data naming a declared key of its own domain, known types), checked on the parse."""
    root = ElementTree.fromstring(text)
    keys = {k.get("id"): k for k in root.iter(f"{NS}key")}
    assert len(keys) == len(list(root.iter(f"{NS}key")))
    assert all(k.get("attr.type") in TYPES for k in keys.values())
    for kind in ("node", "edge"):
        ids = [e.get("id") for e in root.iter(f"{NS}{kind}")]
        assert len(ids) == len(set(ids)), f"duplicate {kind} ids"
        assert all(NMTOKEN.match(i) for i in ids)
    nodes = {n.get("id") for n in root.iter(f"{NS}node")}
    for edge in root.iter(f"{NS}edge"):
        assert edge.get("source") in nodes and edge.get("target") in nodes
    for parent in root.iter():
        domain = parent.tag.removeprefix(NS)
        for data in parent.findall(f"{NS}data"):
            assert keys[data.get("key")].get("for") == domain
    return root


@given(circuits(inputs=(0, 6), gates=(0, 20), labels=True))
def test_graphml_is_unique_typed_and_reads_back_as_the_same_circuit(circuit):
    text = graph_files.graphml(circuit)
    root = _schema_rules(text)
    assert len(list(root.iter(f"{NS}edge"))) == len(circuit.fanin_wires)
    graph = _read(text)
    for g in range(circuit.n_gates):
        node = graph.nodes[circuit.first_gate + g]
        assert type(node["threshold"]) is int and node["threshold"] == circuit.thresholds[g]
    weights = sorted(d["weight"] for _, _, d in graph.edges(data=True))
    assert all(type(w) is int for w in weights)
    assert weights == sorted(int(w) for w in circuit.weights.tolist())
    assert io.from_networkx(graph) == circuit


def test_the_edges_of_a_gate_reading_one_wire_twice_keep_distinct_ids():
    circuit = Circuit(inputs=["x"], fanin_ptr=[0, 2], fanin_wires=[2, 2], weights=[1, 2],
                      thresholds=[3], outputs=[("out", 3)])
    graph = _read(graph_files.graphml(circuit))
    assert sorted(k for _, _, k in graph.edges(keys=True)) == ["e0", "e1"]
    assert sorted(d["weight"] for _, _, d in graph.edges(data=True)) == [1, 2]


def test_weights_beyond_int64_are_exact_decimal_strings():
    huge = 2**70 + 1
    circuit = Circuit(inputs=["x", "y"], fanin_ptr=[0, 2], fanin_wires=[2, 3],
                      weights=[huge, -huge], thresholds=[huge], outputs=[("out", 4)])
    text = graph_files.graphml(circuit)
    root = _schema_rules(text)
    types = {k.get("attr.name"): k.get("attr.type") for k in root.iter(f"{NS}key")}
    assert types["weight"] == "string" and types["position"] == "int"
    assert io.from_networkx(_read(text)) == circuit


def test_names_with_xml_specials_round_trip_and_control_characters_are_refused():
    b = CircuitBuilder()
    x, y = b.input('a<&>"\'b'), b.input("ü\tz")
    circuit = b.build({"o&<": b.gate([x, y], [1, 1], 2, label="<label & \"quote\">")})
    graph = _read(graph_files.graphml(circuit))
    assert json.loads(graph.graph["inputs"]) == ['a<&>"\'b', "ü\tz"]
    assert io.from_networkx(graph) == circuit
    b = CircuitBuilder()
    bad = b.build({"out": b.input("bell\x07")})
    with pytest.raises(NamingError, match=r"input name 'bell\\x07' holds the character "
                                          r"U\+0007, which XML 1.0 cannot hold"):
        graph_files.graphml(bad)


def _unquote(text: str) -> str:
    """A DOT double-quoted string's text, as Graphviz shows it (\\n a new line)."""
    assert text.startswith('"') and text.endswith('"')
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r"}.get(m.group(1), m.group(1)),
                  text[1:-1])


NASTY = ['a"b', "c\\N", "new\nline", "cr\rx", "tab\tx", "back\\", '"', "\\\"", "{x}",
         "a;b", "x -> y", "[label=1]", "// c", "/* c */", "#c", "ü€😀", "<b>"]
"""Names that break a DOT file unless escaped: quotes, backslashes (``\\N`` is Graphviz's
node-name escape), line breaks, and the language's punctuation and comments."""


def test_dot_parses_and_shows_every_name_as_written():
    inputs, output, label = NASTY[:-2], NASTY[-2], NASTY[-1]
    circuit = Circuit(inputs=inputs, fanin_ptr=[0, len(inputs)],
                      fanin_wires=list(range(2, 2 + len(inputs))), weights=[1] * len(inputs),
                      thresholds=[1], outputs=[(output, 2 + len(inputs))], labels=[label])
    (graph,) = pydot.graph_from_dot_data(graph_files.dot(circuit))
    labels = {node.get_name(): _unquote(node.get_label()) for node in graph.get_nodes()
              if node.get_label()}
    for i, name in enumerate(inputs):
        assert labels[f"w{2 + i}"] == name
    assert labels["out0"] == output
    assert labels[f"w{circuit.first_gate}"] == f">= 1\n{label}"
    assert len(graph.get_edges()) == len(inputs) + 1


def test_dot_of_a_gadget_has_every_wire_and_weight():
    adder = gadgets.addition(3)
    (graph,) = pydot.graph_from_dot_data(graph_files.dot(adder))
    edges = [e for e in graph.get_edges() if not e.get_destination().startswith("out")]
    assert len(edges) == len(adder.fanin_wires)
    assert sorted(int(_unquote(e.get_label())) for e in edges) == sorted(
        int(w) for w in adder.weights.tolist())
