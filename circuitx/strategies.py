"""Hypothesis strategies for circuits, valid by construction.

`circuits()` draws a number of inputs, then gates one after the other: each
gate reads wires already drawn (constants and inputs included, repeats
allowed), with integer weights and a threshold near the range of its sum, so
every gate is defined before use and the circuit is acyclic without any
filtering. Outputs are any wires. The gates go straight into a `Circuit`, not
through the builder, so evaluators and exporters also meet unnormalised gates
(constant inputs, repeated inputs, constant gates).

Shrinking: hypothesis shrinks towards fewer inputs, fewer gates, smaller
fan-in, wires closer to the constants and inputs, weights and thresholds
towards 0, fewer outputs, and (with ``big_weights=True``) towards small weights.
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from circuitx.circuit import Circuit


def _bounds(name: str, bounds: tuple[int, int], least: int) -> tuple[int, int]:
    lo, hi = bounds
    if not (isinstance(lo, int) and isinstance(hi, int)) or lo < least or hi < lo:
        raise InvalidArgument(f"{name} must be a pair lo <= hi of integers >= {least}, "
                              f"got {bounds!r}")
    return lo, hi


def circuits(*, inputs: tuple[int, int] = (1, 6), gates: tuple[int, int] = (0, 20),
             outputs: tuple[int, int] = (1, 4), max_fan_in: int = 4, max_weight: int = 3,
             big_weights: bool = False, labels: bool = False) -> st.SearchStrategy[Circuit]:
    """Random threshold circuits.

    Args:
        inputs: (least, most) input bits.
        gates: (least, most) gates.
        outputs: (least, most) outputs.
        max_fan_in: the largest fan-in of a gate.
        max_weight: weights are drawn from [-max_weight, max_weight].
        big_weights: sometimes draw weights and thresholds around 2**62 .. 2**100
            (to exercise exact arithmetic).
        labels: give some gates labels.
    """
    in_lo, in_hi = _bounds("inputs", inputs, 0)
    gate_lo, gate_hi = _bounds("gates", gates, 0)
    out_lo, out_hi = _bounds("outputs", outputs, 0)
    if not isinstance(max_fan_in, int) or max_fan_in < 0:
        raise InvalidArgument(f"max_fan_in must be an integer >= 0, got {max_fan_in!r}")
    if not isinstance(max_weight, int) or max_weight < 0:
        raise InvalidArgument(f"max_weight must be an integer >= 0, got {max_weight!r}")

    weight = st.integers(-max_weight, max_weight)
    if big_weights:
        huge = st.integers(62, 100).flatmap(
            lambda b: st.integers(-(1 << b), 1 << b))
        weight = st.one_of(weight, huge)

    @st.composite
    def draw(data) -> Circuit:
        n_inputs = data(st.integers(in_lo, in_hi))
        n_gates = data(st.integers(gate_lo, gate_hi))
        ptr, wires, weights, thresholds, names = [0], [], [], [], []
        for g in range(n_gates):
            n_wires = 2 + n_inputs + g
            fan_in = data(st.integers(0, max_fan_in))
            reads = [data(st.integers(0, n_wires - 1)) for _ in range(fan_in)]
            ws = [data(weight) for _ in range(fan_in)]
            lo = sum(w for w in ws if w < 0)
            hi = sum(w for w in ws if w > 0)
            offset = data(st.integers(-1, hi - lo + 1)) if hi - lo < 1 << 20 else data(
                st.integers(-1, 1 << 20).map(lambda d, span=hi - lo: d * (span >> 20)))
            wires.extend(reads)
            weights.extend(ws)
            ptr.append(len(wires))
            thresholds.append(lo + offset)
            names.append(data(st.sampled_from(["a", "b.c", None])) if labels else None)
        n_nodes = 2 + n_inputs + n_gates
        n_outputs = data(st.integers(out_lo, out_hi))
        outs = [(f"y{i}", data(st.integers(0, n_nodes - 1))) for i in range(n_outputs)]
        return Circuit(inputs=[f"x{i}" for i in range(n_inputs)], fanin_ptr=ptr,
                       fanin_wires=wires, weights=weights, thresholds=thresholds,
                       outputs=outs, labels=names)

    return draw()
