"""GraphML and DOT text of a circuit, valid for other tools and typed for networkx.

**GraphML** (`graphml`; the GraphML 1.0 schema, graphdrawing.org): one node per wire,
its id the wire number (``0`` False, ``1`` True, then the inputs, then the gates in
order), one edge per fan-in entry, with the ids ``e0, e1, ...`` in fan-in order
(unique in the document, as the schema's ``edge`` identity constraint asks). Every
attribute is declared once as a ``key`` with a type and a ``desc``:

=========  =====  ======  ===============================================================
name       for    type    meaning
=========  =====  ======  ===============================================================
inputs     graph  string  the input names in order, as a JSON list
outputs    graph  string  the outputs in order, as a JSON list of [name, wire]
kind       node   string  constant, input or gate
name       node   string  False / True, the input's name, or g<index> for a gate
threshold  node   long    the gate fires iff sum of weight * source >= threshold
label      node   string  the gate's label (absent for an unlabelled gate)
weight     edge   long    the weight of the source wire in the target gate's sum
position   edge   int     the entry's place in the target gate's fan-in
=========  =====  ======  ===============================================================

``long`` is GraphML's 64-bit integer: `networkx.read_graphml` reads weights and
thresholds back as Python ints, and other tools as numbers. A circuit with a weight
or a threshold outside the int64 range declares that key ``string`` instead (decimal
text, exact; the ``desc`` says so), since no GraphML number type holds it.
Names and labels must be characters XML 1.0 can hold (not U+0000..U+001F except tab,
newline and carriage return, nor U+FFFE, U+FFFF or surrogates); other names raise
`NamingError`. The input and output lists are JSON with ASCII escapes, so they keep
every name exactly.

**DOT** (`dot`; the Graphviz language): every identifier is a wire number
(``w<wire>``) or an output's index (``out<i>``), and every label a double-quoted
string in which ``\\``, ``"``, new lines and carriage returns are escaped
(``\\\\``, ``\\"``, ``\\n``, ``\\r``), so any name is valid DOT and is shown as
written. Gates are circles labelled ``>= t`` (and their label), edges are
labelled with weights, outputs are double circles.
"""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree

import numpy as np

from circuitx.circuit import Circuit
from circuitx.errors import NamingError

NAMESPACE = "http://graphml.graphdrawing.org/xmlns"
SCHEMA = "http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
INT64 = 1 << 63

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# (key id, for, attr.name, attr.type, desc); a "long" key becomes "string" for big values
KEYS = (
    ("d0", "graph", "inputs", "string", "the input names in order, a JSON list"),
    ("d1", "graph", "outputs", "string", "the outputs in order, a JSON list of [name, wire]"),
    ("d2", "node", "kind", "string", "constant, input or gate"),
    ("d3", "node", "name", "string", "False, True, the input's name, or g<index> for gate "
                                     "<index>"),
    ("d4", "node", "threshold", "long", "the gate is 1 iff the sum over its in-edges of "
                                        "weight * source >= threshold"),
    ("d5", "node", "label", "string", "the gate's label"),
    ("d6", "edge", "weight", "long", "the weight of the source wire in the target gate's "
                                     "sum"),
    ("d7", "edge", "position", "int", "the entry's place in the target gate's fan-in"),
)
KEY_OF = {name: key for key, _, name, _, _ in KEYS}


def _fits_int64(values: np.ndarray) -> bool:
    if values.dtype != object:
        return True
    return all(-INT64 <= int(v) < INT64 for v in values.tolist())


def _xml_text(text: str, what: str) -> str:
    bad = _NOT_XML.search(text)
    if bad:
        raise NamingError(f"{what} {text!r} holds the character U+{ord(bad.group()):04X}, "
                          f"which XML 1.0 cannot hold; rename it to write GraphML")
    return text


def graphml(circuit: Circuit) -> str:
    """The GraphML document of `circuit` (see the module docstring), as text.

    Raises:
        NamingError: an input name or a label holds a character XML cannot hold.
    """
    root = ElementTree.Element("graphml", {"xmlns": NAMESPACE, "xmlns:xsi": XSI,
                                           "xsi:schemaLocation": f"{NAMESPACE} {SCHEMA}"})
    exact = {"threshold": _fits_int64(circuit.thresholds),
             "weight": _fits_int64(circuit.weights)}
    for key, domain, name, kind, desc in KEYS:
        if kind == "long" and not exact[name]:
            kind, desc = "string", desc + " (decimal text: some value is outside int64)"
        element = ElementTree.SubElement(root, "key", {
            "id": key, "for": domain, "attr.name": name, "attr.type": kind})
        ElementTree.SubElement(element, "desc").text = desc
    graph = ElementTree.SubElement(root, "graph",
                                   {"id": "circuit", "edgedefault": "directed"})
    _data(graph, "inputs", json.dumps(list(circuit.input_names)))
    _data(graph, "outputs", json.dumps([[name, int(w)] for name, w in zip(
        circuit.output_names, circuit.output_wires.tolist(), strict=True)]))
    _node(graph, 0, kind="constant", name="False")
    _node(graph, 1, kind="constant", name="True")
    for i, name in enumerate(circuit.input_names):
        _node(graph, 2 + i, kind="input", name=_xml_text(name, "input name"))
    thresholds = circuit.thresholds.tolist()
    for g in range(circuit.n_gates):
        label = circuit.label(g)
        _node(graph, circuit.first_gate + g, kind="gate", name=f"g{g}",
              threshold=str(int(thresholds[g])),
              **({"label": _xml_text(label, "gate label")} if label else {}))
    ptr, wires = circuit.fanin_ptr.tolist(), circuit.fanin_wires.tolist()
    weights = circuit.weights.tolist()
    for g in range(circuit.n_gates):
        target = str(circuit.first_gate + g)
        for entry in range(ptr[g], ptr[g + 1]):
            edge = ElementTree.SubElement(graph, "edge", {
                "id": f"e{entry}", "source": str(wires[entry]), "target": target})
            _data(edge, "weight", str(int(weights[entry])))
            _data(edge, "position", str(entry - ptr[g]))
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _data(parent: ElementTree.Element, name: str, text: str) -> None:
    ElementTree.SubElement(parent, "data", {"key": KEY_OF[name]}).text = text


def _node(graph: ElementTree.Element, wire: int, **data: str) -> None:
    node = ElementTree.SubElement(graph, "node", {"id": str(wire)})
    for name, text in data.items():
        _data(node, name, text)


def quoted(text: str) -> str:
    """`text` as a DOT double-quoted string that Graphviz shows as `text`."""
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\r", "\\r"))
    return f'"{escaped}"'


def dot(circuit: Circuit) -> str:
    """Graphviz DOT text of `circuit` (see the module docstring)."""
    lines = ["digraph circuit {", "  rankdir=LR;"]
    for i, name in enumerate(circuit.input_names):
        lines.append(f"  w{2 + i} [shape=box, label={quoted(name)}];")
    used = {w for w in circuit.fanin_wires.tolist() if w < 2}
    used |= {w for w in circuit.output_wires.tolist() if w < 2}
    for w in sorted(used):
        lines.append(f"  w{w} [shape=box, label={quoted(str(bool(w)))}];")
    ptr, wires = circuit.fanin_ptr.tolist(), circuit.fanin_wires.tolist()
    weights, thresholds = circuit.weights.tolist(), circuit.thresholds.tolist()
    for g in range(circuit.n_gates):
        node = circuit.first_gate + g
        label = circuit.label(g)
        text = quoted(f">= {int(thresholds[g])}" + (f"\n{label}" if label else ""))
        lines.append(f"  w{node} [shape=circle, label={text}];")
        for entry in range(ptr[g], ptr[g + 1]):
            lines.append(f'  w{wires[entry]} -> w{node} [label="{int(weights[entry])}"];')
    for i, (name, w) in enumerate(zip(circuit.output_names, circuit.output_wires.tolist(),
                                      strict=True)):
        lines.append(f"  out{i} [shape=doublecircle, label={quoted(name)}];")
        lines.append(f"  w{w} -> out{i};")
    lines.append("}")
    return "\n".join(lines) + "\n"
