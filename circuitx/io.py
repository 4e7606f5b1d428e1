"""Save, load and export circuits: JSON (exact round trip), networkx, GraphML, DOT.

The JSON format (``"format": "circuitx.circuit"``, ``"version": 1``) stores the
arrays of the `Circuit` layout as they are::

    {"format": "circuitx.circuit", "version": 1,
     "inputs": ["x0", "x1"], "outputs": [["out", 4]],
     "fanin_ptr": [0, 2, 4], "fanin_wires": [2, 3, 2, 3], "weights": [1, 1, 1, 1],
     "thresholds": [1, 2], "labels": ["adder"], "gate_labels": [0, -1]}

Weights and thresholds are JSON integers of any size (Python reads them back
exactly; other readers may need arbitrary-precision integers). A malformed file
raises `FormatError` naming the key at fault; a well-formed file that breaks a
circuit rule raises the checker's error.

GraphML and the networkx graph (a MultiDiGraph) have one node per wire (``kind``: constant,
input or gate; ``name``; for gates ``threshold`` and ``label``) and one edge per
fan-in entry (``weight``, and ``position`` in the gate's fan-in). In GraphML
(`circuitx.graph_files`), every edge has a unique id ``e0, e1, ...`` and every
attribute a declared type: weights and thresholds are ``long`` (exact
decimal strings only past int64), so networkx and other tools read them back
as integers. DOT labels are escaped.
"""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np

from circuitx import graph_files
from circuitx.circuit import Circuit
from circuitx.errors import CircuitError, FormatError
from circuitx.jsonfile import Spec, check, loads, read_bytes, write

FORMAT = "circuitx.circuit"
VERSION = 1


def to_dict(circuit: Circuit) -> dict:
    """The JSON-ready dict of a circuit."""
    return {
        "format": FORMAT, "version": VERSION,
        "inputs": list(circuit.input_names),
        "outputs": [[name, int(w)] for name, w in zip(circuit.output_names,
                                                      circuit.output_wires, strict=True)],
        "fanin_ptr": circuit.fanin_ptr.tolist(),
        "fanin_wires": circuit.fanin_wires.tolist(),
        "weights": [int(w) for w in circuit.weights.tolist()],
        "thresholds": [int(t) for t in circuit.thresholds.tolist()],
        "labels": list(circuit.label_table),
        "gate_labels": circuit.gate_labels.tolist(),
    }


_INDEX = 1 << 62  # wire indices and fan-in offsets: int64 with room to add
_INTEGERS = Spec(kind=list, what="integers", items=Spec(kind=int, low=-_INDEX, high=_INDEX))
SCHEMA = Spec(kind=dict, what="a circuit", extra=True, keys={
    "inputs": Spec(kind=list, what="input names", items=Spec(kind=str, what="an input name")),
    "outputs": Spec(kind=list, what="[name, wire] pairs"),
    "fanin_ptr": _INTEGERS, "fanin_wires": _INTEGERS, "gate_labels": _INTEGERS,
    "weights": Spec(kind=list, what="one integer per fan-in entry"),
    "thresholds": Spec(kind=list, what="one integer per gate"),
    "labels": Spec(kind=list, what="label strings",
                   items=Spec(kind=str, what="a label")),
})
"""The circuit file's schema (`circuitx.jsonfile.Spec`): what `from_dict` checks before the
arrays reach `Circuit`, whose own checks then name a bad wire, weight or order."""
MAX_FILE_BYTES = 1 << 30  # the largest circuit file `load` reads by default


def from_dict(data) -> Circuit:
    """The circuit of a dict in the JSON format.

    Raises:
        FormatError: not a dict, wrong format or version, a missing or mistyped key
            (named, with what was expected: `SCHEMA`).
        CircuitError: the arrays break a circuit rule (named by the checker).
    """
    if not isinstance(data, dict):
        raise FormatError(f"circuit file: expected a JSON object, got {type(data).__name__}")
    if data.get("format") != FORMAT:
        raise FormatError(f"circuit file: 'format' must be {FORMAT!r}, "
                          f"got {_short(data.get('format'))}")
    if data.get("version") != VERSION:
        raise FormatError(f"circuit file: unsupported version {_short(data.get('version'))} "
                          f"(this reader knows version {VERSION})")
    check(data, SCHEMA, what="circuit file")
    outputs = data["outputs"]
    for pair in outputs:
        if (not isinstance(pair, list) or len(pair) != 2 or not isinstance(pair[0], str)
                or isinstance(pair[1], bool) or not isinstance(pair[1], int)
                or not 0 <= pair[1] < _INDEX):
            raise FormatError(f"circuit file: each output must be [name, wire], got "
                              f"{_short(pair)}")
    arrays = {key: np.array(data[key], dtype=np.int64)
              for key in ("fanin_ptr", "fanin_wires", "gate_labels")}
    labels = data["labels"]
    n_gates = max(len(arrays["fanin_ptr"]) - 1, 0)
    index = arrays["gate_labels"]
    if len(index) != n_gates or (len(index) and (index.min() < -1 or index.max() >= len(labels))):
        raise FormatError(f"circuit file: 'gate_labels' must hold one index in "
                          f"[-1, {len(labels) - 1}] per gate ({n_gates})")
    return Circuit(inputs=data["inputs"], fanin_ptr=arrays["fanin_ptr"],
                   fanin_wires=arrays["fanin_wires"], weights=data["weights"],
                   thresholds=data["thresholds"], outputs=[tuple(pair) for pair in outputs],
                   labels=(labels, index.astype(np.int32)))


def _short(value) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def save(circuit: Circuit, path: str | Path) -> None:
    """Write the circuit as JSON (to a temporary name, then renamed over `path`)."""
    write(path, json.dumps(to_dict(circuit)), what="circuit file")


def load(path: str | Path, *, max_bytes: int = MAX_FILE_BYTES) -> Circuit:
    """Read a circuit saved by `save`.

    The file is read as bytes (at most `max_bytes`), decoded as UTF-8 and
    parsed within `circuitx.jsonfile`'s limits (nesting, integer digits).

    Raises:
        FormatError: the file cannot be read, is too big, not UTF-8, not JSON, or not
            in the format (the key at fault named).
    """
    data = read_bytes(path, what="circuit file", max_bytes=max_bytes)
    return from_dict(loads(data, what=f"circuit file {str(path)!r}", max_bytes=max_bytes))


def to_networkx(circuit: Circuit) -> nx.MultiDiGraph:
    """A directed graph with one node per wire and an edge from each read wire to its gate.

    A `networkx.MultiDiGraph` (a DiGraph subclass), since a gate may read a wire twice.
    """
    graph = nx.MultiDiGraph(inputs=json.dumps(list(circuit.input_names)),
                       outputs=json.dumps([[n, int(w)] for n, w in
                                           zip(circuit.output_names, circuit.output_wires,
                                               strict=True)]))
    graph.add_node(0, kind="constant", name="False")
    graph.add_node(1, kind="constant", name="True")
    for i, name in enumerate(circuit.input_names):
        graph.add_node(2 + i, kind="input", name=name)
    ptr = circuit.fanin_ptr.tolist()
    wires = circuit.fanin_wires.tolist()
    weights = circuit.weights.tolist()
    for g in range(circuit.n_gates):
        node = circuit.first_gate + g
        graph.add_node(node, kind="gate", name=f"g{g}", threshold=int(circuit.thresholds[g]),
                       label=circuit.label(g) or "")
        for position in range(ptr[g], ptr[g + 1]):
            graph.add_edge(wires[position], node, weight=int(weights[position]),
                           position=position - ptr[g])
    return graph


def to_graphml(circuit: Circuit, path: str | Path) -> None:
    """Write GraphML (`circuitx.graph_files.graphml`: unique edge ids ``e0...``, weights and
    thresholds typed ``long``, or exact decimal strings past int64)."""
    write(path, graph_files.graphml(circuit), what="GraphML file")


def from_graphml(path: str | Path) -> Circuit:
    """Read a circuit written by `to_graphml`."""
    try:
        graph = nx.read_graphml(str(path), node_type=int, force_multigraph=True)
        return from_networkx(graph)
    except (KeyError, ValueError, TypeError, json.JSONDecodeError) as error:
        if isinstance(error, CircuitError):
            raise
        raise FormatError(f"GraphML file {str(path)!r} is not a circuitx circuit: "
                          f"{error!r}") from None


def from_networkx(graph: nx.MultiDiGraph) -> Circuit:
    """The circuit of a graph made by `to_networkx` (or read back from GraphML)."""
    inputs = json.loads(graph.graph["inputs"])
    outputs = [tuple(pair) for pair in json.loads(graph.graph["outputs"])]
    first = 2 + len(inputs)
    gates = sorted(n for n, d in graph.nodes(data=True) if d["kind"] == "gate")
    if gates != list(range(first, first + len(gates))):
        raise FormatError("graph: gate nodes must be numbered consecutively after the inputs")
    ptr, wires, weights, thresholds, labels = [0], [], [], [], []
    for node in gates:
        entries = sorted((int(d["position"]), int(src), int(d["weight"]))
                         for src, _, d in graph.in_edges(node, data=True))
        wires.extend(src for _, src, _ in entries)
        weights.extend(w for _, _, w in entries)
        ptr.append(len(wires))
        thresholds.append(int(graph.nodes[node]["threshold"]))
        labels.append(graph.nodes[node].get("label") or None)
    return Circuit(inputs=inputs, fanin_ptr=ptr, fanin_wires=wires, weights=weights,
                   thresholds=thresholds, outputs=outputs, labels=labels)


def to_dot(circuit: Circuit) -> str:
    """Graphviz DOT text (`circuitx.graph_files.dot`): gates as circles labelled ``>= t``,
    edges labelled with weights, every label escaped."""
    return graph_files.dot(circuit)
