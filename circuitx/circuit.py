"""The `Circuit`: an immutable threshold circuit with named inputs and outputs.

A circuit has ``n_nodes`` wires, numbered in a fixed layout:

* wire 0 is the constant ``False`` and wire 1 the constant ``True``;
* wires ``2 .. 2 + n_inputs - 1`` are the inputs, in the order of `input_names`;
* every later wire is a threshold gate, listed in topological order: gate ``g``
  (wire ``first_gate + g``) computes

  .. math:: y_g = [\\sum_i w_{g,i} \\, x_{s_{g,i}} \\ge t_g]

  with integer weights ``w`` and an integer threshold ``t`` over wires ``s``
  with smaller ids. AND of k wires is ``[x_1 + ... + x_k >= k]``, OR is
  ``[x_1 + ... + x_k >= 1]``, NOT is ``[-x >= 0]``, MAJORITY is
  ``[x_1 + ... + x_k >= floor(k/2) + 1]``.

Gates are stored like a CSR matrix: gate g reads ``fanin_wires[fanin_ptr[g]:
fanin_ptr[g + 1]]`` with the weights at the same positions. Weights and
thresholds are int64 arrays when every magnitude is below 2**62, else object
arrays of Python integers: weights may be arbitrarily large and evaluation
stays exact. Outputs are named and ordered; several may name the same wire.

Numbers are little-endian throughout the package: bit i of a list of wires has
weight 2**i.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import cached_property

import numpy as np

from circuitx import check
from circuitx.errors import CircuitError

FALSE = 0
TRUE = 1
DEFAULT_MAX_BYTES = 1 << 30  # the evaluators' default memory for the table of wire values


@dataclass(frozen=True, kw_only=True)
class Stats:
    """The measures of a circuit.

    Attributes:
        depth: the longest path, in gates, from an input or constant to an output.
        size: the number of gates (inputs and constants not counted).
        wires: the number of connections into gates (the sum of all fan-ins).
        inputs: the number of input bits.
        outputs: the number of outputs.
        max_fan_in: the largest fan-in of a gate.
        max_weight: the largest |weight|.
        max_weight_bits: the bit length of `max_weight`.
        total_weight_bits: the sum over all weights of the bit length of |w|.
        gates_per_layer: the number of gates at depth 1, 2, ... (all gates,
            those no output reads included).
    """

    depth: int
    size: int
    wires: int
    inputs: int
    outputs: int
    max_fan_in: int
    max_weight: int
    max_weight_bits: int
    total_weight_bits: int
    gates_per_layer: tuple[int, ...]

    def to_dict(self) -> dict:
        """The stats as a JSON-ready dict."""
        out = asdict(self)
        out["gates_per_layer"] = list(self.gates_per_layer)
        return out


class Circuit:
    """An immutable, checked threshold circuit (see the module docstring for the layout).

    Args:
        inputs: the input names, in order.
        fanin_ptr: ``n_gates + 1`` offsets into `fanin_wires`.
        fanin_wires: the wires each gate reads.
        weights: one integer per entry of `fanin_wires`.
        thresholds: one integer per gate.
        outputs: ``(name, wire)`` pairs in order, or a mapping name -> wire.
        labels: optional gate labels (an IR node, a gadget), one per gate or
            None; stored as a table of distinct labels and an index per gate.
        layers: optional precomputed depth of every wire (trusted: the builder
            passes it); computed when omitted.

    Raises:
        CircuitError: a subclass naming the rule broken (see `circuitx.check`).
    """

    def __init__(self, *, inputs: Sequence[str], fanin_ptr, fanin_wires, weights, thresholds,
                 outputs: Sequence[tuple[str, int]] | Mapping[str, int],
                 labels: Sequence[str | None] | None = None, layers=None):
        self.input_names = check.check_names(inputs, "input")
        pairs = list(outputs.items()) if isinstance(outputs, Mapping) else list(outputs)
        self.output_names = check.check_names([name for name, _ in pairs], "output")
        self.fanin_ptr = _int64(fanin_ptr, "fan-in offsets")
        self.fanin_wires = _int64(fanin_wires, "fan-in wires")
        self.output_wires = _int64([wire for _, wire in pairs], "output wires")
        self.n_inputs = len(self.input_names)
        self.first_gate = 2 + self.n_inputs
        self.n_gates = max(len(self.fanin_ptr) - 1, 0)
        self.n_nodes = self.first_gate + self.n_gates
        check.check_structure(self.fanin_ptr, self.fanin_wires, self.first_gate, self.n_nodes,
                              self.gate_name_placeholder)
        owner = self._owner_of_entry
        self.weights = check.integer_array(weights, "weight", owner)
        if len(self.weights) != len(self.fanin_wires):
            raise CircuitError(f"{len(self.weights)} weights given for "
                               f"{len(self.fanin_wires)} fan-in entries")
        self.thresholds = check.integer_array(thresholds, "threshold", self.gate_name)
        if len(self.thresholds) != self.n_gates:
            raise CircuitError(f"{len(self.thresholds)} thresholds given for "
                               f"{self.n_gates} gates")
        check.check_outputs(self.output_wires, self.output_names, self.n_nodes)
        self.label_table, self.gate_labels = _label_index(labels, self.n_gates)
        for array in (self.fanin_ptr, self.fanin_wires, self.output_wires, self.weights,
                      self.thresholds, self.gate_labels):
            array.flags.writeable = False
        if layers is not None:
            layers = np.asarray(layers, dtype=np.int64)
            layers.flags.writeable = False
            self.__dict__["layers"] = layers
        self.cache: dict = {}  # evaluators' plans; not part of the value

    # --- naming -----------------------------------------------------------------------------

    def gate_name_placeholder(self, g: int) -> str:
        """A gate's name before labels are known (used while checking)."""
        return f"gate {g} (wire {self.first_gate + g})"

    def gate_name(self, g: int) -> str:
        """The name of gate g in messages: index, wire and label."""
        label = self.label(g) if hasattr(self, "gate_labels") else None
        suffix = f" {label!r}" if label else ""
        return f"gate {g} (wire {self.first_gate + g}{suffix})"

    def label(self, g: int) -> str | None:
        """The label of gate g, or None."""
        index = int(self.gate_labels[g])
        return self.label_table[index] if index >= 0 else None

    def wire_name(self, wire: int) -> str:
        """A readable name for a wire: a constant, an input name or a gate."""
        if wire == FALSE:
            return "False"
        if wire == TRUE:
            return "True"
        if wire < self.first_gate:
            return self.input_names[wire - 2]
        return self.gate_name(wire - self.first_gate)

    def _owner_of_entry(self, position: int) -> str:
        g = int(np.searchsorted(self.fanin_ptr, position, side="right")) - 1
        return self.gate_name_placeholder(g)

    # --- structure --------------------------------------------------------------------------

    def gate(self, g: int) -> tuple[list[int], list[int], int]:
        """Gate g as ``(wires, weights, threshold)`` with Python ints."""
        lo, hi = self.fanin_ptr[g], self.fanin_ptr[g + 1]
        return (self.fanin_wires[lo:hi].tolist(), [int(w) for w in self.weights[lo:hi]],
                int(self.thresholds[g]))

    @property
    def fan_in(self) -> np.ndarray:
        """The fan-in of every gate."""
        return np.diff(self.fanin_ptr)

    @cached_property
    def layers(self) -> np.ndarray:
        """The depth of every wire: 0 for constants and inputs, 1 + max over reads for a gate."""
        layers = _layers(self.fanin_ptr, self.fanin_wires, self.first_gate, self.n_gates)
        layers.flags.writeable = False
        return layers

    @property
    def depth(self) -> int:
        """The longest path, in gates, from an input or constant to an output."""
        if not len(self.output_wires):
            return 0
        return int(self.layers[self.output_wires].max())

    @property
    def size(self) -> int:
        """The number of gates."""
        return self.n_gates

    @cached_property
    def magnitude_bits(self) -> np.ndarray:
        """Per gate, an upper bound on the bit length of ``sum |w| + |t|``.

        Every partial weighted sum of the gate, and its threshold, lie below
        ``2 ** magnitude_bits``: the evaluators choose an exact number type from it.
        """
        if self.weights.dtype == object or self.thresholds.dtype == object:
            out = np.empty(self.n_gates, dtype=np.int64)
            ptr = self.fanin_ptr.tolist()
            for g in range(self.n_gates):
                total = sum(abs(int(w)) for w in self.weights[ptr[g]:ptr[g + 1]])
                out[g] = (total + abs(int(self.thresholds[g]))).bit_length()
            return out
        sums = np.zeros(self.n_gates, dtype=np.float64)
        owner = np.repeat(np.arange(self.n_gates), self.fan_in)
        np.add.at(sums, owner, np.abs(self.weights.astype(np.float64)))
        sums += np.abs(self.thresholds.astype(np.float64))
        # float sums carry a relative error below 2**-50: one extra bit covers it
        return np.ceil(np.log2(sums + 1.0)).astype(np.int64) + 1

    @property
    def fits_int64(self) -> bool:
        """Whether every weighted sum provably fits in int64 (magnitudes below 2**62)."""
        return bool(self.n_gates == 0 or self.magnitude_bits.max() <= 62)

    def stats(self) -> Stats:
        """Depth, size, wires, fan-in and weight measures (see `Stats`)."""
        abs_w = np.abs(self.weights)
        max_weight = int(abs_w.max()) if len(abs_w) else 0
        if self.weights.dtype == object:
            total_bits = sum(int(w).bit_length() for w in abs_w)
        else:
            total_bits = int(np.sum(_bit_length(abs_w)))
        gate_layers = self.layers[self.first_gate:]
        per_layer = np.bincount(gate_layers, minlength=int(gate_layers.max(initial=0)) + 1)[1:]
        return Stats(depth=self.depth, size=self.n_gates, wires=len(self.fanin_wires),
                     inputs=self.n_inputs, outputs=len(self.output_names),
                     max_fan_in=int(self.fan_in.max(initial=0)), max_weight=max_weight,
                     max_weight_bits=max_weight.bit_length(), total_weight_bits=total_bits,
                     gates_per_layer=tuple(int(c) for c in per_layer))

    # --- value semantics --------------------------------------------------------------------

    @cached_property
    def digest(self) -> str:
        """A SHA-256 of everything that makes up the circuit (labels included)."""
        h = hashlib.sha256()
        h.update(repr((self.input_names, self.output_names, self.label_table)).encode())
        for array in (self.fanin_ptr, self.fanin_wires, self.output_wires, self.gate_labels):
            h.update(np.ascontiguousarray(array).tobytes())
        for array in (self.weights, self.thresholds):
            h.update(repr(array.tolist()).encode() if array.dtype == object
                     else array.tobytes())
        return h.hexdigest()

    def __eq__(self, other) -> bool:
        return isinstance(other, Circuit) and self.digest == other.digest

    def __hash__(self) -> int:
        return hash(self.digest)

    def __repr__(self) -> str:
        more = "..." if len(self.output_names) > 4 else ""
        return (f"Circuit(inputs={self.n_inputs}, gates={self.n_gates}, depth={self.depth}, "
                f"outputs={list(self.output_names)[:4]}{more})")


def _int64(values, what: str) -> np.ndarray:
    array = np.asarray(values)
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    if array.dtype.kind not in "iu":
        raise CircuitError(f"{what} must be integers, got dtype {array.dtype}")
    return np.ascontiguousarray(array, dtype=np.int64).reshape(-1)


def _label_index(labels, n_gates: int) -> tuple[tuple[str, ...], np.ndarray]:
    if labels is None:
        return (), np.full(n_gates, -1, dtype=np.int32)
    if isinstance(labels, tuple) and len(labels) == 2 and isinstance(labels[1], np.ndarray):
        # (table, index per gate): keep the labels in use, in order of first use
        table, index = labels
        index = np.asarray(index, dtype=np.int64)
        if len(index) != n_gates:
            raise CircuitError(f"{len(index)} label indices given for {n_gates} gates")
        used, first = np.unique(index[index >= 0], return_index=True)
        used = used[np.argsort(first)]
        remap = np.full(len(table) + 1, -1, dtype=np.int32)
        remap[used] = np.arange(len(used), dtype=np.int32)
        return tuple(str(table[i]) for i in used.tolist()), remap[index]
    labels = list(labels)
    if len(labels) != n_gates:
        raise CircuitError(f"{len(labels)} labels given for {n_gates} gates")
    table: dict[str, int] = {}
    index = np.full(n_gates, -1, dtype=np.int32)
    for g, label in enumerate(labels):
        if label is not None:
            index[g] = table.setdefault(str(label), len(table))
    return tuple(table), index


def _bit_length(values: np.ndarray) -> np.ndarray:
    """Bit lengths of non-negative int64 values (exact: one shift per bit)."""
    out = np.zeros(values.shape, dtype=np.int64)
    rest = values.astype(np.int64, copy=True)
    while rest.any():
        out += rest > 0
        rest >>= 1
    return out


def _layers(ptr: np.ndarray, wires: np.ndarray, first_gate: int, n_gates: int) -> np.ndarray:
    """Depth of every wire, by relaxation (one numpy pass per layer), else a plain loop."""
    layers = np.zeros(first_gate + n_gates, dtype=np.int64)
    if n_gates == 0:
        return layers
    counts = np.diff(ptr)
    has_input = counts > 0
    starts = ptr[:-1][has_input]
    for _ in range(64):
        read = layers[wires]
        gate_layer = np.ones(n_gates, dtype=np.int64)
        if len(wires):
            gate_layer[has_input] = np.maximum.reduceat(read, starts) + 1
        if np.array_equal(gate_layer, layers[first_gate:]):
            return layers
        layers[first_gate:] = gate_layer
    plain = [0] * (first_gate + n_gates)
    p, w = ptr.tolist(), wires.tolist()
    for g in range(n_gates):
        plain[first_gate + g] = 1 + max((plain[x] for x in w[p[g]:p[g + 1]]), default=0)
    return np.array(plain, dtype=np.int64)
