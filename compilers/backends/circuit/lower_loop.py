"""One loop of a looped transformer over a matrix input, and the unique-argmax promise.

`loop_circuit(transformer, card, outputs=...)` compiles one application of a
looped transformer's blocks (Giannou et al. 2023: the same layers applied to
the punchcard again and again) into a threshold circuit:

* **inputs**: `card` gives every entry of the input matrix (column -> input
  dim -> entry) as a rational constant or as an `Entry`: ``low + (high -
  low) b`` for one input wire b (a ±1 entry is ``Entry(name, -1, 1)``, a 0/1
  entry ``Entry(name, 0, 1)``). Entries that are the same in every input the
  circuit is meant for (the layout's indicators and position codes, the
  temporaries that are 0 before a loop) are constants and cost nothing.
* **blocks**: every block through `lower.LOWERINGS`, at every column (a loop's
  output is the whole matrix), with two changes: softmax heads (below), and
  MLPs grouped by weighted sum (`lower_pieces`: the same exact function, so
  that wide sums of gadgets cost few gates).
* **outputs**: for each requested ``(column, dim)`` the bit ``[x > 0]`` of the
  entry after the loop, named ``{dim}@{column}``, and the bit ``promise``
  (with `promise_detail`, also each head's bit ``promise:{head}@{column}``).

**The unique-argmax promise** (`PROMISE`). Where a softmax head's scores at a
query are constant, the circuit computes the saturated average over the
(constant) argmax set exactly, as `lower_attention` does. Where they depend on
the input, `lower_attention` would form a rounded average over an
input-dependent set (a division, rounded at F bits), and every score that
later reads that average has denominator 2^F, so saturation can no longer be
proved (Merrill et al. 2022's argument needs the gap ``scale * gap > (F+1) ln
2``). Under the promise instead:

1. the selection bits ``a_j = AND_k [s_j >= s_k]`` are formed as before;
2. the head's output is ``sum_j a_j v_j`` (one AND per wire: no division), which
   is the saturated softmax output exactly when one ``a_j`` is set (a unique
   maximum: the average over a one-element set is that element);
3. the circuit itself checks this: ``[sum_j a_j = 1]`` (two gates) for every such
   head and query, ANDed into the output bit ``promise``;
4. every output coordinate whose candidates ``v_j`` take finitely few values U
   (at most `SNAP_VALUES`: exact for constants, for forms of at most 12
   wires by enumeration, and for functions of one weighted sum piece by piece)
   is re-expressed as ``min U + sum_{u in U} (u - u^-) [y >= u]`` (u^- the
   value below u): one gate per value, so that the next layers read a few
   wires instead of a sum over every column. On a one-hot selection y is one of
   the ``v_j``, hence in U, and this is exact.

Soundness: on every input where the output bit ``promise`` is 1, every
input-dependent argmax set was a single position, so (2) and (4) equal the
saturated head's output exactly and every other output bit is that of the
saturated transformer (the same argument as `lower`'s for the rest); where
``promise`` is 0 the other outputs are unspecified. Nothing is trusted: which
inputs keep the promise is the construction's claim (for SUBLEQ,
`compilers.backends.circuit.subleq_loop` derives it for every valid punchcard)
and the tests check the bit. Saturation is still checked per head, with the
gap bound of `lower_attention` (scores that read ``sum_j a_j v_j`` of integer
values keep integer denominators, so the gap is at least 1).

Deviation from the constructions: a softmax head is taken at its saturated
limit (as everywhere in this backend); a construction at finite temperature
(Giannou et al.'s, whose MLPs snap the small leak back to exact ±1) agrees
with it on the entries it keeps between loops, which is what the tests compare.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from circuitx.circuit import TRUE, Circuit
from circuitx.evaluate import evaluate
from compilers.backends.circuit.fixed import (
    Form,
    Precision,
    UnsupportedError,
    combine,
    parse_precision,
)
from compilers.backends.circuit.lower import Context, lower_blocks, refuse_undefined
from compilers.backends.circuit.lower_promise import PROMISE, select_unique, value_set
from compilers.backends.circuit.simplify import simplify
from compilers.backends.common import positional_exact
from compilers.ir import Transformer, VectorInput, check


@dataclass(frozen=True)
class Entry:
    """An input-matrix entry ``low + (high - low) * b`` for the input wire b named `name`."""

    name: str
    low: Fraction | int = -1
    high: Fraction | int = 1

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise UnsupportedError(f"input entry name {self.name!r} must be a non-empty string")
        if Fraction(self.low) == Fraction(self.high):
            raise UnsupportedError(f"input entry {self.name!r}: low and high are both "
                                   f"{self.low}; a constant entry is a number, not an Entry")


class LoopContext(Context):
    """`Context` with the unique-argmax promise on and MLPs grouped by sum (module docstring)."""

    group_sums = True

    def __init__(self, n: int, precision):
        super().__init__(n, precision)
        self.unique_argmax = True
        self.promise_bits: list[tuple[str, int]] = []  # ("{head}@{query}", wire)


@dataclass(frozen=True, eq=False)
class LoopModel:
    """One compiled loop: `circuit` maps the input wires to ``{dim}@{column}`` bits and `PROMISE`.

    Attributes:
        circuit: the threshold circuit.
        entries: ``(column, dim) -> Entry`` of every input wire.
        precision: the stated or derived precision.
    """

    circuit: Circuit
    entries: Mapping = field(repr=False)
    precision: Precision

    def encode(self, matrix) -> np.ndarray:
        """The input bits of an input matrix (``matrix[column][dim]``, mapping or sequence).

        Raises `UnsupportedError` if an entry is neither ``low`` nor ``high`` of its `Entry`.
        """
        bits = {}
        for (column, dim), entry in self.entries.items():
            value = Fraction(matrix[column][dim])
            if value not in (entry.low, entry.high):
                raise UnsupportedError(f"input entry {dim!r} at column {column} is {value}; "
                                       f"this circuit reads {entry.low} or {entry.high} there")
            bits[entry.name] = value == entry.high
        return np.array([bits[name] for name in self.circuit.input_names], dtype=bool)

    def outputs(self, matrix) -> dict[str, bool]:
        """Every output bit for one input matrix."""
        values = evaluate(self.circuit, self.encode(matrix)[None, :])[0]
        return dict(zip(self.circuit.output_names, values.tolist(), strict=True))


def loop_circuit(transformer: Transformer, card: Sequence[Mapping], *,
                 outputs: Sequence[tuple[int, str]], precision="auto",
                 promise_detail: bool = False) -> LoopModel:
    """Compile one loop of `transformer` over the input matrix `card` (module docstring).

    Args:
        transformer: a model with `VectorInput` inputs (looped or not).
        card: for every column, input dim -> constant or `Entry` (missing dims are 0).
        outputs: the ``(column, dim)`` entries whose sign after the loop is output.
        precision: as for `lower.to_circuit`.
        promise_detail: also output each head's promise bit, named
            ``promise:{head}@{query column}``, beside their AND `PROMISE`.
    """
    model = check(transformer)
    precision = parse_precision(precision)
    if not isinstance(model.inputs, VectorInput):
        raise UnsupportedError(f"{model.label}: loop_circuit reads a matrix of vectors; "
                               f"{model.inputs.label} is not a VectorInput")
    if model.encoder is not None or model.feedback is not None:
        raise UnsupportedError(f"{model.label}: generating transformers are compiled step by "
                               "step (lower_step.step_circuit), not as a loop")
    n = len(card)
    ctx = LoopContext(n, precision)
    stream, entries = _inputs(ctx, model, card)
    stream, int_bits = lower_blocks(ctx, model, stream, None)
    refuse_undefined(ctx, "loop")
    wires = {}
    with ctx.gates.builder.scope("loop_out"):
        for column, dim in outputs:
            if not 0 <= column < n or dim not in model.stream:
                raise UnsupportedError(f"output ({column}, {dim!r}): columns are 0..{n - 1} "
                                       f"and dims those of the stream {list(model.stream)}")
            form = stream[column].get(dim, Form({}, 0, 1))
            wires[f"{dim}@{column}"] = ctx.gates.step(form, 1, dim)
        bits = [wire for _, wire in ctx.promise_bits]
        wires[PROMISE] = ctx.gates.builder.and_(*bits, label=PROMISE) if bits else TRUE
        if promise_detail:
            for name, wire in ctx.promise_bits:
                wires[f"{PROMISE}:{name}"] = wire
    circuit = simplify(ctx.gates.builder, wires)
    stated = precision if isinstance(precision, Precision) else Precision(
        int_bits=int_bits, frac_bits=ctx.frac_bits_used)
    return LoopModel(circuit=circuit, entries=entries, precision=stated)


def _inputs(ctx, model: Transformer, card: Sequence[Mapping]) -> tuple[dict, dict]:
    builder = ctx.gates.builder
    dims = set(model.inputs.dims)
    features = (positional_exact(model.positions, range(len(card)), len(card))
                if model.positions is not None else {})
    stream, entries = {}, {}
    for column, row in enumerate(card):
        unknown = set(row) - dims
        if unknown:
            raise UnsupportedError(f"column {column} sets {sorted(unknown)}, not among the "
                                   f"inputs {list(model.inputs.dims)}")
        x = {}
        for dim, value in row.items():
            if isinstance(value, Entry):
                wire = builder.input(value.name)
                entries[(column, dim)] = value
                x[dim] = combine([(Fraction(value.high) - Fraction(value.low), Form.wire(wire))],
                                 value.low)
            elif value:
                x[dim] = Form.constant(value)
        for name, values in features.items():
            x[name] = combine([(1, x.get(name, Form({}, 0, 1)))], values[column])
        stream[column] = x
    return stream, entries


__all__ = ["PROMISE", "Entry", "LoopModel", "loop_circuit", "select_unique", "value_set"]
