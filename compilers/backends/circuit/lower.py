"""`to_circuit`: a transformer at input length n, bit-blasted into a threshold circuit.

The pipeline (`to_circuit`):

1. inputs: one input wire ``x{p}_{a}`` per word position p and symbol a
   (one-hot); tokens before and after the word (a CLS symbol) are constants.
   With the one-hot promise the first symbol's indicator is written as
   ``1 - sum of the others`` (so a binary alphabet costs one free bit per
   position). On inputs that are not one-hot the output is unspecified.
2. embedding and positional features: at fixed n every positional feature is a
   constant (exact rational), folded into the forms (`fixed.Form`).
3. blocks, through the one dispatch table `LOWERINGS` (attention, MLP, layer
   norm); an unknown block raises `UnsupportedError`. From the last attention
   block on, only the read-out position is computed.
4. precision: under a stated ``Precision(I, F)`` every direction after every
   block is rounded down to a multiple of ``2^-F`` (a function of one form)
   and must lie in ``[-2^I, 2^I)`` (else `PrecisionError` naming the block,
   the direction and the position); averages, softmax weights and layer norms
   round at F bits. Under ``"auto"`` the stream stays exact (linear maps,
   ReLU, averages over a constant set are exact on forms); the rounding points
   that cannot be exact (averages over an input-dependent set, layer norm with
   epsilon > 0) pick their own F (see `lower_attention`, `lower_layernorm`),
   and the integer bits are derived from the exact intervals of every
   direction.
5. read-out: the accept bit is ``[logit > 0]``, one threshold gate on the
   logit's form; `simplify` keeps only what it reads.

This is Merrill, Sabharwal & Smith (2022, Thm. 4: saturated transformers
are in TC0) and Merrill & Sabharwal (2023, Thm. 2: log-precision
transformers are in uniform TC0) made executable at one n. Deviation: where
those proofs round every activation to p bits, "auto" keeps linear maps and
ReLU exact (rationals with a denominator fixed at compile time), which only
makes the circuit closer to the exact backend.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from circuitx.circuit import Circuit
from circuitx.evaluate import evaluate
from compilers.backends.circuit.fixed import (
    CircuitCompileError,
    Form,
    Precision,
    PrecisionError,
    UnsupportedError,
    combine,
    fits,
    int_bits_for,
    parse_precision,
)
from compilers.backends.circuit.gates import Gates
from compilers.backends.circuit.lower_attention import lower_attention
from compilers.backends.circuit.lower_layernorm import lower_layernorm
from compilers.backends.circuit.lower_linear import by_row, linear
from compilers.backends.circuit.lower_pieces import lower_mlp
from compilers.backends.circuit.simplify import simplify
from compilers.backends.common import positional_exact
from compilers.errors import EvaluationError
from compilers.ir import MLP, Attention, LayerNorm, TokenEmbedding, Transformer, check

LOWERINGS = {Attention: lower_attention, MLP: lower_mlp, LayerNorm: lower_layernorm}
"""The one dispatch table over block types, for recognisers, decoding steps and loops."""


class Context:
    """What every lowering reads: the gates, n, the precision, and the bits it used."""

    group_sums = False  # MLPs lowered unit by unit (`lower_pieces.lower_mlp`)
    exact_means = False  # averages over selected keys rounded (`lower_attention._divide`)

    def __init__(self, n: int, precision):
        self.gates = Gates()
        self.n = n
        self.precision = precision
        self.frac_bits_used = 0
        self.encoder_stream: dict | None = None  # position -> stream, for encoder heads
        self.undefined: list[tuple[str, int, Form]] = []  # (label, position, u): undefined at 0

    def average_bits(self, den: int, count: int) -> int:
        """Fraction bits of a rounded average of `count` values over denominator `den`."""
        if isinstance(self.precision, Precision):
            bits = self.precision.frac_bits
        else:
            bits = (den * count * count - 1).bit_length()  # least F with 2^F >= D c^2
        self.frac_bits_used = max(self.frac_bits_used, bits)
        return bits

    def weight_bits(self, count: int) -> int:
        """Fraction bits of softmax weights over `count` positions."""
        if isinstance(self.precision, Precision):
            return self.precision.frac_bits
        return count.bit_length()


@dataclass(frozen=True, eq=False)
class CircuitModel:
    """A transformer compiled into a threshold circuit at one input length.

    Attributes:
        circuit: inputs ``x{p}_{a}`` (one-hot word), output ``accept``.
        n: the word length.
        alphabet: the word's symbols, in input order.
        precision: the stated precision, or under "auto" the derived one (integer
            bits from the exact intervals; fraction bits: the most any rounding
            point used, 0 when everything was exact).
        auto: whether the precision was "auto".
        logit: the read-out's accept logit as an exact form over the builder's wires.
        undefined: (block label, position, u) for each layer norm with epsilon 0 that is
            undefined where the form u is 0 (the exact backend raises there, and so do
            `accepts` and `logits`).
    """

    circuit: Circuit
    n: int
    alphabet: tuple[str, ...]
    precision: Precision
    auto: bool
    logit: Form = field(repr=False)
    gates: Gates = field(repr=False)
    undefined: tuple = field(default=(), repr=False)

    def encode(self, words) -> np.ndarray:
        """One-hot input bits of each word, shape (len(words), n * |alphabet|)."""
        return encode_words(words, self.n, self.alphabet)

    def accepts(self, words, backend: str = "numpy") -> np.ndarray:
        """The accept bit of each word (a bool array)."""
        words = list(words)
        if not words:
            return np.zeros(0, dtype=bool)
        self._check_defined(words)
        return evaluate(self.circuit, self.encode(words), backend=backend)[:, 0]

    def logits(self, words) -> list[Fraction]:
        """The exact value the circuit holds for the accept logit, for each word."""
        words = list(words)
        self._check_defined(words)
        return self.values(self.logit, words)

    def values(self, form: Form, words) -> list[Fraction]:
        """The exact value of `form` (over the builder's wires) for each word."""
        wires = list(form.terms)
        helper = self.gates.builder.build({f"w{k}": x for k, x in enumerate(wires)} or {})
        words = list(words)
        bits = (evaluate(helper, self.encode(words)) if wires
                else np.zeros((len(words), 0), dtype=bool))
        weights = [form.terms[x] for x in wires]
        return [Fraction(form.const + sum(w for w, b in zip(weights, row, strict=True) if b),
                         form.den) for row in bits]

    def _check_defined(self, words: list) -> None:
        """`EvaluationError` where a layer norm with epsilon 0 has zero variance, as exact."""
        for label, position, u in self.undefined:
            for word, value in zip(words, self.values(u, words), strict=True):
                if value == 0:
                    raise EvaluationError(f"{label}: variance + epsilon is 0 at position "
                                          f"{position} (word {word!r}); layer norm is "
                                          "undefined there")


def encode_words(words, n: int, alphabet) -> np.ndarray:
    """``x{p}_{a} = [word[p] == a]`` for every word (all of length n)."""
    index = {a: k for k, a in enumerate(alphabet)}
    words = list(words)
    out = np.zeros((len(words), n * len(alphabet)), dtype=bool)
    for row, word in enumerate(words):
        if len(word) != n:
            raise CircuitCompileError(f"word {word!r} has length {len(word)}; this circuit reads "
                                 f"words of length {n}")
        for p, symbol in enumerate(word):
            if symbol not in index:
                raise CircuitCompileError(f"symbol {symbol!r} of word {word!r} is not in the "
                                       f"alphabet {list(alphabet)}")
            out[row, p * len(alphabet) + index[symbol]] = True
    return out


def to_circuit(transformer: Transformer, n: int, *, precision="auto", bos=(), eos=(),
               alphabet=None, accept: str | None = None,
               allow_empty: bool = False) -> CircuitModel:
    """Compile `transformer` at word length `n` (see the module docstring).

    Args:
        transformer: the construction (checked first).
        n: the word length (the formulas' n); the sequence is ``bos + word + eos``.
        precision: ``"auto"``, a `Precision`, or a string ``"I.F"``.
        bos, eos: constant tokens before and after the word.
        alphabet: the word's symbols (default: the embedding's tokens other than
            those of bos and eos).
        accept: the read-out output whose sign decides (default: the only one).
        allow_empty: accept n = 0, the empty word (a circuit with no inputs, whose
            output is a constant); without it n must be at least 1.

    Raises:
        UnsupportedError, SaturationError, PrecisionError (`CircuitCompileError`s).
    """
    model = check(transformer)
    refuse_features(model)
    precision, alphabet = prepared(model, n, 0 if allow_empty else 1, precision, bos, eos,
                                   alphabet)
    outputs = model.readout.outputs
    if accept is None and len(outputs) == 1:
        accept = outputs[0]
    if accept not in outputs:
        raise UnsupportedError(f"{model.readout.label}: accept output {accept!r}; "
                               f"allowed: {list(outputs)}")
    ctx = Context(n, precision)
    stream = _embed(ctx, model, n, tuple(bos), tuple(eos), alphabet)
    row = 0 if model.readout.position == "first" else len(stream) - 1
    stream, int_bits = lower_blocks(ctx, model, stream, row)
    readout = model.readout
    logit = linear(by_row(readout.matrix), stream[row], readout.bias)[accept]
    with ctx.gates.builder.scope(readout.label):
        wire = ctx.gates.step(logit, 1, "accept")  # numerator >= 1: logit > 0
    circuit = simplify(ctx.gates.builder, {"accept": wire})
    if isinstance(precision, Precision):
        stated, auto = precision, False
    else:
        stated, auto = Precision(int_bits=int_bits, frac_bits=ctx.frac_bits_used), True
    return CircuitModel(circuit=circuit, n=n, alphabet=alphabet, precision=stated, auto=auto,
                        logit=logit, gates=ctx.gates, undefined=tuple(ctx.undefined))


def prepared(model: Transformer, n, least: int, precision, bos, eos,
             alphabet) -> tuple[object, tuple]:
    """The parsed precision and the word's alphabet (default: the embedding's tokens other
    than bos's and eos's), once `n` is an integer >= `least` and every token is the
    embedding's; shared by `to_circuit` and `lower_positions.to_positions`."""
    if isinstance(n, bool) or not isinstance(n, int) or n < least:
        raise PrecisionError(f"input length n must be an integer >= {least}, got {n!r}")
    precision = parse_precision(precision)
    embedding = model.inputs
    fixed = set(bos) | set(eos)
    alphabet = tuple(alphabet) if alphabet is not None else tuple(
        t for t in embedding.tokens if t not in fixed)
    unknown = [a for a in (*alphabet, *bos, *eos) if a not in embedding.tokens]
    if unknown:
        raise UnsupportedError(f"{embedding.label}: tokens {unknown} are not among the "
                               f"embedding's tokens {list(embedding.tokens)}")
    return precision, alphabet


def lower_blocks(ctx, model: Transformer, stream: dict, row: int | None) -> tuple[dict, int]:
    """Every block through `LOWERINGS`, rounding and range-checking after each.

    From the last attention block on only position `row` is computed (all
    positions when `row` is None). Returns the stream and the integer bits it needed.
    """
    stream = _round(ctx, stream, model.inputs.label)
    int_bits = _check_range(ctx, stream, model.inputs.label, 0)
    attention = [k for k, b in enumerate(model.blocks) if isinstance(b, Attention)]
    last = attention[-1] if attention and row is not None else len(model.blocks)
    rows = list(range(len(stream)))
    for index, block in enumerate(model.blocks):
        lowering = LOWERINGS.get(type(block))
        if lowering is None:
            raise UnsupportedError(f"{getattr(block, 'label', block)}: block type "
                                   f"{type(block).__name__} has no circuit lowering; known: "
                                   f"{', '.join(t.__name__ for t in LOWERINGS)}")
        if index >= last:
            rows = [row]
        with ctx.gates.builder.scope(block.label):
            stream = lowering(ctx, block, stream, rows)
            stream = _round(ctx, stream, block.label)
        int_bits = max(int_bits, _check_range(ctx, stream, block.label, int_bits))
    return stream, int_bits


def refuse_undefined(ctx, what: str) -> None:
    """`UnsupportedError` for a layer norm that may be undefined in a circuit whose runs
    cannot report where (a decoding step, a loop): see `lower_layernorm`."""
    if ctx.undefined:
        label, position, _ = ctx.undefined[0]
        raise UnsupportedError(f"{label}: layer norm with epsilon 0 is undefined where its "
                               f"variance is 0 (position {position}), and a {what}'s circuit "
                               "cannot say where; give it an epsilon > 0")


def refuse_features(model: Transformer, *, every_position: bool = False) -> None:
    """What neither lowering takes (loops, generation, vector inputs), and a read-out at
    the wrong place: `to_circuit` reads one position, `lower_positions.to_positions`
    (`every_position`) every position."""
    where = " at every position" if every_position else ""
    if model.looped:
        raise UnsupportedError(f"{model.label}: looped transformers are not lowered{where} "
                               "(compile one loop step as a non-looped transformer)")
    if model.encoder is not None or model.feedback is not None:
        raise UnsupportedError(f"{model.label}: generating transformers (encoder, feedback) "
                               "are lowered step by step (`step_circuit`)")
    if not isinstance(model.inputs, TokenEmbedding):
        raise UnsupportedError(f"{model.label}: vector inputs ({model.inputs.label}) are not "
                               "lowered; the circuit reads one-hot tokens")
    if every_position and model.readout.position != "all":
        raise UnsupportedError(f"{model.readout.label}: read-out at "
                               f"{model.readout.position!r}; `to_positions` lowers a read-out "
                               "at 'all' positions (one position: `to_circuit`)")
    if not every_position and model.readout.position == "all":
        raise UnsupportedError(f"{model.readout.label}: read-out at 'all' positions; the "
                               "circuit backend reads one position ('first' or 'last'; every "
                               "position: `to_positions`)")


def _embed(ctx, model: Transformer, n: int, bos: tuple, eos: tuple, alphabet: tuple, *,
           prefix: str = "x", formula_n: int | None = None) -> dict:
    """The stream before the first block: forms over the input wires, constants elsewhere.

    Inputs are named ``{prefix}{p}_{a}``; the formulas see `formula_n` (default n).
    """
    builder = ctx.gates.builder
    table = by_row(model.inputs.table)
    columns = {token: {row: v for row, entries in table.items() for col, v in entries
                       if col == token} for token in model.inputs.tokens}
    length = len(bos) + n + len(eos)
    features = (positional_exact(model.positions, range(length),
                                  n if formula_n is None else formula_n)
                if model.positions is not None else {})
    stream = {}
    for p in range(length):
        x: dict[str, list] = {}
        if len(bos) <= p < len(bos) + n:
            word_position = p - len(bos)
            wires = [builder.input(f"{prefix}{word_position}_{a}") for a in alphabet]
            # one-hot: [symbol = alphabet[0]] = 1 - sum of the other indicators
            indicator = [Form.constant(1) if len(alphabet) == 1 else
                         combine([(-1, Form.wire(w)) for w in wires[1:]], 1)]
            indicator += [Form.wire(w) for w in wires[1:]]
            for a, form in zip(alphabet, indicator, strict=True):
                for row, v in columns[a].items():
                    x.setdefault(row, []).append((v, form))
        else:
            token = bos[p] if p < len(bos) else eos[p - len(bos) - n]
            for row, v in columns[token].items():
                x.setdefault(row, []).append((v, Form.constant(1)))
        for name, values in features.items():
            x.setdefault(name, []).append((values[p], Form.constant(1)))
        stream[p] = {name: combine(parts) for name, parts in x.items()}
    return stream


def _round(ctx, stream: dict, label: str) -> dict:
    """Under a stated precision: every direction rounded down to a multiple of 2^-F."""
    precision = ctx.precision
    if not isinstance(precision, Precision):
        return stream
    scale = 1 << precision.frac_bits
    out = {}
    for p, x in stream.items():
        y = {}
        for name, form in x.items():
            if scale % form.den == 0:
                y[name] = form
            else:
                den = form.den
                y[name] = ctx.gates.apply(form, lambda v, den=den: (v * scale) // den, scale,
                                          f"{label}.round.{name}")
        out[p] = y
    return out


def _check_range(ctx, stream: dict, label: str, bits: int) -> int:
    """The integer bits the stream needs; under a stated precision, an error if too many."""
    precision = ctx.precision
    for p, x in stream.items():
        for name, form in x.items():
            low, high = ctx.gates.bounds(form)
            if isinstance(precision, Precision):
                if not fits(precision, low, high):
                    raise PrecisionError(
                        f"{label}: direction {name!r} at position {p} ranges over [{low}, "
                        f"{high}], beyond the {precision.int_bits} integer bits of precision "
                        f"{precision} (values must lie in [-2^{precision.int_bits}, "
                        f"2^{precision.int_bits}))")
            else:
                bits = max(bits, int_bits_for(low, high))
    return bits
