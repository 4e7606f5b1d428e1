"""`CircuitBuilder`: build a `Circuit` gate by gate, with folding and structural hashing.

A wire is a plain ``int``; ``False``/``True`` (or `builder.const`) stand for the
constant wires. Every gate request ``[sum_i w_i x_i >= t]`` is put in a normal
form before it is built:

1. constants are folded: a ``True`` input adds its weight to the left side
   (``t -= w``), a ``False`` input is dropped;
2. a NOT gate over an input, ``n = [-x >= 0]``, is absorbed: ``w*n = w - w*x``,
   so the gate reads ``x`` with weight ``-w`` and ``t -= w`` (no extra layer);
3. repeated inputs are merged (weights added) and zero weights dropped;
4. a gate whose value is fixed is a constant: ``sum_{w<0} w >= t`` gives
   ``True``, ``sum_{w>0} w < t`` gives ``False``;
5. weights are divided by their gcd ``g`` and ``t`` becomes ``ceil(t / g)``
   (exact: the left side is a multiple of g);
6. a single input is the input itself (``[x >= 1]``) or its complement
   (``[-x >= 0]``);
7. inputs are sorted by wire; an identical gate already built is returned
   (structural hashing: the first label given wins).

`not_` of a gate builds the complementary gate ``[-sum w x >= 1 - t]`` (one gate,
no extra layer); `not_` of a NOT is the original wire.

Labels name where gates come from: ``with builder.scope("layer1.mlp"):`` prefixes
every label given inside (and labels unlabelled gates with the prefix).
`build(outputs)` keeps only the gates some output reads (unless ``prune=False``),
renumbers wires into the `Circuit` layout, and returns it; the builder stays usable.

``with limited(elements, what):`` bounds every builder made inside the block:
one whose gates plus wires pass `elements` raises `LimitError` naming `what`
(the command line's ``--max-gates``), a backstop behind the estimates made
before a circuit is compiled.
"""

from __future__ import annotations

import math
import operator
from array import array
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np

from circuitx.check import INT64_SAFE
from circuitx.circuit import FALSE, TRUE, Circuit
from circuitx.errors import LimitError, NamingError, WeightError, WireError

Wire = int
"""A wire of a builder: an int (``False``/``True`` are the constant wires)."""

_NUMPY_FAN_IN = 48  # fan-ins above this are normalised with numpy
_LIMIT: ContextVar[tuple[int, str] | None] = ContextVar("circuitx_builder_limit", default=None)


@contextmanager
def limited(elements: int, what: str = "the limit") -> Iterator[None]:
    """Builders made inside the block raise `LimitError` past `elements` gates plus wires."""
    token = _LIMIT.set((int(elements), what))
    try:
        yield
    finally:
        _LIMIT.reset(token)


def _integer(value, what: str) -> int:
    if isinstance(value, bool):
        raise WeightError(f"{what} {value!r} is a bool; weights and thresholds must be integers")
    try:
        return operator.index(value)
    except TypeError:
        raise WeightError(f"{what} {value!r} must be an integer") from None


class CircuitBuilder:
    """Builds threshold circuits; see the module docstring for the normal form."""

    def __init__(self) -> None:
        self._input_names: list[str] = []
        self._input_wires: list[int] = []
        self._names: dict[str, int] = {}
        # per wire
        self._gate_of = array("q", [-1, -1])  # gate index, or -1 (constant, input)
        self._layer = array("q", [0, 0])
        self._absorb = array("q", [-1, -1])  # x if the wire is the NOT gate [-x >= 0] of input x
        self._complement: dict[int, int] = {}
        # per gate
        self._wire_of = array("q")
        self._ptr = array("q", [0])
        self._src = array("q")
        self._w = array("q")
        self._big: dict[int, tuple[int, ...]] = {}  # weights of gates with |w| >= 2**62
        self._t: list[int] = []
        self._label = array("i")
        self._labels: dict[str, int] = {}
        self._table: dict[int, int | list[int]] = {}
        self._prefix: list[str] = []
        self._limit = _LIMIT.get()

    # --- wires ------------------------------------------------------------------------------

    @property
    def n_wires(self) -> int:
        """Wires made so far (constants, inputs and gates)."""
        return len(self._gate_of)

    @property
    def n_gates(self) -> int:
        """Gates made so far (before pruning)."""
        return len(self._t)

    def input(self, name: str) -> Wire:
        """A new input wire named `name` (inputs keep the order they are made in)."""
        if not isinstance(name, str) or not name:
            raise NamingError(f"input name {name!r} must be a non-empty string")
        if name in self._names:
            raise NamingError(f"input name {name!r} is used twice")
        wire = self._new_wire(gate=-1, layer=0)
        self._names[name] = wire
        self._input_names.append(name)
        self._input_wires.append(wire)
        return wire

    def inputs(self, prefix: str, n: int) -> list[Wire]:
        """`n` new inputs ``prefix0 .. prefix{n-1}`` (bit i of a number: weight 2**i)."""
        return [self.input(f"{prefix}{i}") for i in range(n)]

    def const(self, value: bool) -> Wire:
        """The constant wire for `value`."""
        return TRUE if value else FALSE

    def layer(self, wire: Wire) -> int:
        """The depth of a wire (0 for inputs and constants)."""
        return self._layer[self.wire(wire)]

    def wire(self, wire) -> int:
        """`wire` checked and as an int (``False``/``True`` become the constant wires)."""
        if isinstance(wire, bool | np.bool_):
            return TRUE if wire else FALSE
        try:
            wire = operator.index(wire)
        except TypeError:
            raise WireError(f"{wire!r} is not a wire (wires are ints)") from None
        if not 0 <= wire < len(self._gate_of):
            raise WireError(f"wire {wire} does not exist in this builder "
                            f"(wires are 0..{len(self._gate_of) - 1})")
        return wire

    def _new_wire(self, *, gate: int, layer: int) -> int:
        self._gate_of.append(gate)
        self._layer.append(layer)
        self._absorb.append(-1)
        return len(self._gate_of) - 1

    # --- labels -----------------------------------------------------------------------------

    @contextmanager
    def scope(self, prefix: str) -> Iterator[None]:
        """Prefix the labels of the gates made inside the block with ``prefix.``."""
        self._prefix.append(prefix)
        try:
            yield
        finally:
            self._prefix.pop()

    def _label_index(self, label: str | None) -> int:
        parts = [*self._prefix, label] if label else list(self._prefix)
        if not parts:
            return -1
        return self._labels.setdefault(".".join(parts), len(self._labels))

    # --- gates ------------------------------------------------------------------------------

    def gate(self, inputs: Sequence[Wire], weights: Sequence[int], threshold: int,
             label: str | None = None) -> Wire:
        """The wire ``[sum_i weights[i] * inputs[i] >= threshold]``, normalised and hashed."""
        if len(inputs) != len(weights):
            raise WeightError(f"gate {label or ''} has {len(inputs)} inputs but "
                              f"{len(weights)} weights")
        t = _integer(threshold, "threshold")
        normal = None
        if len(inputs) > _NUMPY_FAN_IN:
            normal = self._normal_numpy(inputs, weights, t)
        if normal is None:
            normal = self._normal_python(inputs, weights, t)
        src, w, t = normal
        if isinstance(w, np.ndarray):
            lo, hi = int(w[w < 0].sum()), int(w[w > 0].sum())
        else:
            lo, hi = sum(x for x in w if x < 0), sum(x for x in w if x > 0)
        if lo >= t:
            return TRUE
        if hi < t:
            return FALSE
        g = _gcd(w)
        if g > 1:
            w = w // g if isinstance(w, np.ndarray) else [x // g for x in w]
            t = -(-t // g)
        if len(src) == 1:
            return int(src[0]) if w[0] > 0 else self.not_(int(src[0]))
        return self._make(src, w, t, label)

    def _normal_python(self, inputs, weights, t):
        acc: dict[int, int] = {}
        absorb = self._absorb
        for x, w in zip(inputs, weights, strict=True):
            x = self.wire(x)
            w = _integer(w, "weight")
            if x <= TRUE:
                if x == TRUE:
                    t -= w
                continue
            if absorb[x] >= 0:
                t -= w
                x, w = absorb[x], -w
            acc[x] = acc.get(x, 0) + w
        src = sorted(x for x, w in acc.items() if w)
        return src, [acc[x] for x in src], t

    def _normal_numpy(self, inputs, weights, t):
        """The same normal form with numpy; None where weights may overflow int64."""
        w = np.asarray(weights)
        if w.dtype.kind not in "iu" or (w.dtype.kind == "u" and len(w)
                                        and int(w.max()) >= INT64_SAFE):
            return None  # floats, objects, huge: the exact Python path decides
        w = w.astype(np.int64)
        if len(w) and int(np.abs(w).max()) * len(w) >= INT64_SAFE:
            return None
        src = np.asarray(inputs)
        if src.dtype == bool:
            src = src.astype(np.int64)
        if src.dtype.kind not in "iu":
            return None
        src = src.astype(np.int64)
        if len(src) and (src.min() < 0 or src.max() >= len(self._gate_of)):
            bad = int(src[(src < 0) | (src >= len(self._gate_of))][0])
            self.wire(bad)
        const = src == TRUE
        t -= int(w[const].sum())
        keep = src > TRUE
        src, w = src[keep], w[keep]
        absorb = np.frombuffer(self._absorb, dtype=np.int64)[src]
        flip = absorb >= 0
        if flip.any():
            t -= int(w[flip].sum())
            src = np.where(flip, absorb, src)
            w = np.where(flip, -w, w)
        order = np.argsort(src, kind="stable")
        src, w = src[order], w[order]
        if len(src):
            first = np.concatenate(([True], src[1:] != src[:-1]))
            starts = np.flatnonzero(first)
            src, w = src[starts], np.add.reduceat(w, starts)
            nonzero = w != 0
            src, w = src[nonzero], w[nonzero]
        return src, w, t

    def _make(self, src, w, t: int, label: str | None) -> Wire:
        if isinstance(w, np.ndarray):
            src_key, w_key, fits = src.tobytes(), w.tobytes(), True
            layer = int(np.frombuffer(self._layer, dtype=np.int64)[src].max())
        else:
            src_key = array("q", src).tobytes()
            fits = all(-INT64_SAFE < x < INT64_SAFE for x in w)
            w_key = array("q", w).tobytes() if fits else tuple(w)
            layer = max(self._layer[x] for x in src)
        key = hash((src_key, w_key, t))
        found = self._table.get(key)
        candidates = [] if found is None else (found if isinstance(found, list) else [found])
        for g in candidates:
            if self._same(g, src_key, w_key, t):
                return self._wire_of[g]
        g = len(self._t)
        wire = self._new_wire(gate=g, layer=1 + layer)
        self._wire_of.append(wire)
        self._src.frombytes(src_key)
        if fits:
            self._w.frombytes(w_key)
        else:
            self._w.frombytes(bytes(8 * len(w)))
            self._big[g] = w_key
        self._ptr.append(len(self._src))
        self._t.append(t)
        if self._limit is not None and len(self._src) + len(self._t) > self._limit[0]:
            limit, what = self._limit
            raise LimitError(f"a circuit being compiled passed {limit} gates and wires, the "
                             f"limit of {what} (its estimate was lower); ask for less, or "
                             "raise the limit if you mean it")
        self._label.append(self._label_index(label))
        if found is None:
            self._table[key] = g
        else:
            self._table[key] = [*candidates, g]
        return wire

    def _same(self, g: int, src_key: bytes, w_key, t: int) -> bool:
        lo, hi = self._ptr[g], self._ptr[g + 1]
        if self._t[g] != t or self._src[lo:hi].tobytes() != src_key:
            return False
        if g in self._big:
            return self._big[g] == w_key
        return not isinstance(w_key, tuple) and self._w[lo:hi].tobytes() == w_key

    # --- common gates -----------------------------------------------------------------------

    def not_(self, x: Wire, label: str | None = None) -> Wire:
        """``NOT x``: the complementary gate of a gate, a NOT gate ``[-x >= 0]`` of an input."""
        x = self.wire(x)
        if x <= TRUE:
            return TRUE - x
        if x in self._complement:
            return self._complement[x]
        g = self._gate_of[x]
        if g < 0:
            out = self._make([x], [-1], 0, label)
            self._absorb[out] = x
        else:
            lo, hi = self._ptr[g], self._ptr[g + 1]
            w = self._big.get(g) or self._w[lo:hi].tolist()
            out = self.gate(self._src[lo:hi].tolist(), [-v for v in w], 1 - self._t[g], label)
        self._complement[x], self._complement[out] = out, x
        return out

    def and_(self, *xs: Wire, label: str | None = None) -> Wire:
        """``x_1 AND ... AND x_k`` = ``[sum x >= k]`` (True for k = 0)."""
        return self.gate(xs, [1] * len(xs), len(xs), label)

    def or_(self, *xs: Wire, label: str | None = None) -> Wire:
        """``x_1 OR ... OR x_k`` = ``[sum x >= 1]`` (False for k = 0)."""
        return self.gate(xs, [1] * len(xs), 1, label)

    def at_least(self, xs: Sequence[Wire], k: int, label: str | None = None) -> Wire:
        """``[sum x >= k]``."""
        return self.gate(xs, [1] * len(xs), k, label)

    def at_most(self, xs: Sequence[Wire], k: int, label: str | None = None) -> Wire:
        """``[sum x <= k]`` = ``[-sum x >= -k]``."""
        return self.gate(xs, [-1] * len(xs), -k, label)

    def majority(self, *xs: Wire, label: str | None = None) -> Wire:
        """Strict majority: ``[sum x >= floor(k/2) + 1]``."""
        return self.gate(xs, [1] * len(xs), len(xs) // 2 + 1, label)

    def xor(self, a: Wire, b: Wire, label: str | None = None) -> Wire:
        """``a XOR b`` = ``[a + b - 2 (a AND b) >= 1]``: two gates, depth 2."""
        both = self.and_(a, b, label=label)
        return self.gate([a, b, both], [1, 1, -2], 1, label)

    def mux(self, select: Wire, if_true: Wire, if_false: Wire, label: str | None = None) -> Wire:
        """``if_true if select else if_false``: ``[s + a >= 2] OR [b - s >= 1]``, depth 2."""
        return self.or_(self.gate([select, if_true], [1, 1], 2, label),
                        self.gate([if_false, select], [1, -1], 1, label), label=label)

    # --- composing --------------------------------------------------------------------------

    def embed(self, circuit: Circuit, inputs: Sequence[Wire] | Mapping[str, Wire]) -> list[Wire]:
        """Copy `circuit` in, reading `inputs` (in its input order, or by name); its outputs.

        Gates pass through `gate`, so they are folded and shared with those already built.
        """
        if isinstance(inputs, Mapping):
            missing = [name for name in circuit.input_names if name not in inputs]
            if missing:
                raise WireError(f"embed: no wire given for inputs {missing}")
            inputs = [inputs[name] for name in circuit.input_names]
        if len(inputs) != circuit.n_inputs:
            raise WireError(f"embed: the circuit has {circuit.n_inputs} inputs, "
                            f"{len(inputs)} wires given")
        wires = [FALSE, TRUE, *(self.wire(x) for x in inputs)]
        for g in range(circuit.n_gates):
            src, w, t = circuit.gate(g)
            wires.append(self.gate([wires[x] for x in src], w, t, circuit.label(g)))
        return [wires[x] for x in circuit.output_wires.tolist()]

    # --- building ---------------------------------------------------------------------------

    def build(self, outputs: Mapping[str, Wire] | Sequence[Wire], *, prune: bool = True
              ) -> Circuit:
        """The circuit with these outputs (a mapping name -> wire, or wires named y0, y1, ...).

        Args:
            outputs: the outputs, in order.
            prune: drop the gates no output reads.
        """
        pairs = (list(outputs.items()) if isinstance(outputs, Mapping)
                 else [(f"y{i}", x) for i, x in enumerate(outputs)])
        pairs = [(name, self.wire(x)) for name, x in pairs]
        ptr = np.frombuffer(self._ptr, dtype=np.int64)
        src = np.frombuffer(self._src, dtype=np.int64)
        wire_of = np.frombuffer(self._wire_of, dtype=np.int64)
        layer = np.frombuffer(self._layer, dtype=np.int64)
        n_gates = len(self._t)
        if prune:
            live = _live_gates(ptr, src, wire_of, layer, [x for _, x in pairs], self.n_wires)
        else:
            live = np.arange(n_gates)
        new_id = np.full(self.n_wires, -1, dtype=np.int64)
        new_id[[FALSE, TRUE]] = [FALSE, TRUE]
        first_gate = 2 + len(self._input_wires)
        new_id[self._input_wires] = np.arange(2, first_gate)
        new_id[wire_of[live]] = np.arange(first_gate, first_gate + len(live))
        entries, counts = _entries(ptr, live)
        new_ptr = np.concatenate(([0], np.cumsum(counts)))
        weights = np.frombuffer(self._w, dtype=np.int64)[entries]
        big = [g for g in live.tolist() if g in self._big] if self._big else []
        if big:
            weights = weights.astype(object)
            position = {g: i for i, g in enumerate(live.tolist())}
            for g in big:
                i = position[g]
                weights[new_ptr[i]:new_ptr[i + 1]] = self._big[g]
        thresholds = [self._t[g] for g in live.tolist()]
        label_index = np.frombuffer(self._label, dtype=np.int32)[live]
        table = list(self._labels)
        layers = np.concatenate((np.zeros(first_gate, dtype=np.int64), layer[wire_of[live]]))
        return Circuit(inputs=self._input_names, fanin_ptr=new_ptr,
                       fanin_wires=new_id[src[entries]], weights=weights,
                       thresholds=thresholds,
                       outputs=[(name, int(new_id[x])) for name, x in pairs],
                       labels=(table, label_index), layers=layers)


def _entries(ptr: np.ndarray, gates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positions of the fan-in entries of `gates`, concatenated, and their counts."""
    starts, counts = ptr[gates], ptr[gates + 1] - ptr[gates]
    total = int(counts.sum())
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
    return offsets + np.arange(total, dtype=np.int64), counts


def _gcd(w) -> int:
    if isinstance(w, np.ndarray):
        return int(np.gcd.reduce(np.abs(w))) if len(w) else 0
    g = 0
    for x in w:
        g = math.gcd(g, x)
        if g == 1:
            break
    return g


def _live_gates(ptr, src, wire_of, layer, outputs: list[int], n_wires: int) -> np.ndarray:
    """Indices, in order, of the gates some output reads, one numpy sweep per layer."""
    live = np.zeros(n_wires, dtype=bool)
    live[outputs] = True
    gate_layer = layer[wire_of]
    order = np.argsort(-gate_layer, kind="stable")
    bounds = np.flatnonzero(np.diff(gate_layer[order])) + 1
    for group in np.split(order, bounds):
        if not len(group):
            continue
        used = group[live[wire_of[group]]]
        if len(used):
            live[src[_entries(ptr, used)[0]]] = True
    return np.flatnonzero(live[wire_of])
