"""One decoding step of a generating transformer (an encoder and fed-back vectors), as a circuit.

A generating model (Pérez et al. 2021) computes, at decoder position t, its
read-out from the encoder's input word and the decoder inputs at positions
0..t (each the previous position's read-out, fed back). `step_circuit`
compiles that one step at fixed n and t: Merrill & Sabharwal (2023) bound
each step, not the whole run, by a constant-depth circuit (the run itself
composes t of them).

Circuit inputs:

* ``e{p}_{a}``: the encoder word, one-hot over `encoder_alphabet` (the
  encoder's `bos` tokens are constants);
* ``d{p}_{group}_{choice}`` for decoder positions ``1 <= p <= t``: each input
  vector is a choice of one alternative per *group* (``groups``: group ->
  {choice -> {input dim: value}}), one-hot; position 0 holds the constant
  `start` vector. A decoder that reads tokens (token feedback) has one group
  whose choices are its tokens, each setting the stream directions its
  embedding column writes (and `start` is the first token's column).

Outputs: for every read-out output o at position t, ``{o}>0`` (the bit
``[o > 0]``) and, where o can be negative, ``{o}<0``. For one-hot outputs
(states, symbols) ``{o}>0`` is the output itself; a move ``±1`` is the pair.

Everything else (attention, MLPs, precision) is as in `lower`; causal masks
are what make the circuit depend on positions 0..t only, so a decoder with a
self-attention head that is neither causal nor strictly causal is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from circuitx.circuit import Circuit
from circuitx.evaluate import evaluate
from compilers.backends.circuit.fixed import (
    Form,
    Precision,
    PrecisionError,
    UnsupportedError,
    combine,
    parse_precision,
)
from compilers.backends.circuit.lower import Context, _embed, lower_blocks, refuse_undefined
from compilers.backends.circuit.lower_linear import by_row, linear
from compilers.backends.common import positional_exact
from compilers.ir import TokenEmbedding, Transformer, VectorInput, check
from compilers.ir.plan import CAUSAL


@dataclass(frozen=True, eq=False)
class StepModel:
    """A compiled decoding step (see the module docstring)."""

    circuit: Circuit
    n: int
    t: int
    encoder_alphabet: tuple[str, ...]
    groups: Mapping = field(repr=False)
    precision: Precision

    def encode(self, word: str, vectors) -> np.ndarray:
        """Input bits for the encoder `word` and the decoder inputs at positions 1..t.

        `vectors[p - 1]` is ``{group: choice}`` for position p.
        """
        bits = {name: False for name in self.circuit.input_names}
        if len(word) != self.n:
            raise PrecisionError(f"word {word!r} has length {len(word)}; this step reads "
                                 f"words of length {self.n}")
        for p, a in enumerate(word):
            bits[f"e{p}_{a}"] = True
        if len(vectors) != self.t:
            raise PrecisionError(f"{len(vectors)} decoder vectors given; step t = {self.t} "
                                 f"reads positions 1..{self.t}")
        for p, chosen in enumerate(vectors, start=1):
            for group, choice in chosen.items():
                bits[f"d{p}_{group}_{choice}"] = True
        return np.array([bits[name] for name in self.circuit.input_names], dtype=bool)

    def outputs(self, word: str, vectors) -> dict[str, bool]:
        """The output bits for one input."""
        values = evaluate(self.circuit, self.encode(word, vectors))
        return dict(zip(self.circuit.output_names, values.tolist(), strict=True))


def step_circuit(transformer: Transformer, *, n: int, t: int, encoder_alphabet,
                 groups: Mapping, start: Mapping, encoder_bos=(), precision="auto"
                 ) -> StepModel:
    """Compile decoding step t of `transformer` for encoder words of length n.

    Args:
        transformer: a decoder (`VectorInput`) with an encoder (`TokenEmbedding`).
        n: the encoder word's length; the formulas see ``len(encoder_bos) + n``.
        t: the decoder position computed (0-based; inputs at 0..t).
        encoder_alphabet: the word's symbols.
        groups: group -> {choice -> {input dim: value}} (one choice per group).
        start: the constant input vector at position 0, {input dim: value}.
        encoder_bos: constant tokens before the word.
        precision: as for `to_circuit`.
    """
    model = check(transformer)
    precision = parse_precision(precision)
    encoder = model.encoder
    if encoder is None or not isinstance(model.inputs, VectorInput | TokenEmbedding):
        raise UnsupportedError(f"{model.label}: step_circuit compiles a decoder with vector "
                               "inputs and an encoder (or token inputs and an encoder); use "
                               "to_circuit for an encoder alone")
    if not isinstance(encoder.inputs, TokenEmbedding):
        raise UnsupportedError(f"{encoder.label}: the encoder must read tokens")
    open_heads = [f"{h.label} ({h.mask})" for h in model.heads()
                  if h.source == "self" and h.mask not in CAUSAL]
    if open_heads:
        raise UnsupportedError(f"{model.label}: a decoding step reads positions 0..t only; "
                               f"heads {open_heads} are not causal; allowed masks: {CAUSAL}")
    for what, value, least in (("n", n, 0), ("t", t, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise PrecisionError(f"{what} must be an integer >= {least}, got {value!r}")
    dims = set(model.inputs.dims if isinstance(model.inputs, VectorInput)
               else model.inputs.table.rows)
    for group, choices in groups.items():
        for choice, assignment in choices.items():
            unknown = set(assignment) - dims
            if unknown:
                raise UnsupportedError(f"group {group!r} choice {choice!r} sets {sorted(unknown)}"
                                       f", not among the inputs {sorted(dims)}")
    length = len(encoder_bos) + n
    ctx = Context(length, precision)
    ctx.encoder_stream, _ = lower_blocks(
        ctx, encoder, _embed(ctx, encoder, n, tuple(encoder_bos), (), tuple(encoder_alphabet),
                             prefix="e", formula_n=length), None)
    stream = _decoder_inputs(ctx, model, t, groups, start, length)
    stream, int_bits = lower_blocks(ctx, model, stream, t)
    refuse_undefined(ctx, "decoding step")
    readout = model.readout
    if readout.position != "last":
        raise UnsupportedError(f"{readout.label}: a decoding step reads its last position")
    values = linear(by_row(readout.matrix), stream[t], readout.bias)
    outputs = {}
    with ctx.gates.builder.scope(readout.label):
        for name in readout.outputs:
            form = values.get(name, Form({}, 0, 1))
            outputs[f"{name}>0"] = ctx.gates.step(form, 1, name)
            if ctx.gates.bounds(form)[0] < 0:
                outputs[f"{name}<0"] = ctx.gates.step(combine([(-1, form)]), 1, name)
    circuit = ctx.gates.builder.build(outputs)
    stated = precision if isinstance(precision, Precision) else Precision(
        int_bits=int_bits, frac_bits=ctx.frac_bits_used)
    return StepModel(circuit=circuit, n=n, t=t, encoder_alphabet=tuple(encoder_alphabet),
                     groups=groups, precision=stated)


def _decoder_inputs(ctx, model: Transformer, t: int, groups: Mapping, start: Mapping,
                    formula_n: int) -> dict:
    builder = ctx.gates.builder
    features = (positional_exact(model.positions, range(t + 1), formula_n)
                if model.positions is not None else {})
    stream = {}
    for p in range(t + 1):
        parts: dict[str, list] = {}
        if p == 0:
            for dim, value in start.items():
                parts.setdefault(dim, []).append((value, Form.constant(1)))
        else:
            for group, choices in groups.items():
                names = list(choices)
                wires = [builder.input(f"d{p}_{group}_{c}") for c in names]
                # one-hot: the first choice is 1 - the sum of the others
                first = combine([(-1, Form.wire(w)) for w in wires[1:]], 1)
                forms = [first, *(Form.wire(w) for w in wires[1:])]
                for choice, form in zip(names, forms, strict=True):
                    for dim, value in choices[choice].items():
                        parts.setdefault(dim, []).append((value, form))
        for name, values in features.items():
            parts.setdefault(name, []).append((values[p], Form.constant(1)))
        stream[p] = {name: combine(items) for name, items in parts.items()}
    return stream
