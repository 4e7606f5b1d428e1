"""`to_positions`: a predictor at input length n, its read-out at every position, as one circuit.

A predictor (`compilers.constructions.predictor`, Tracr's RASP programs in
`compilers.constructions.rasp`) is read out at ``position="all"``: each
position t = 0 .. P-1 of ``bos + word + eos`` has one value per read-out
output. The pipeline is `lower.to_circuit`'s, with every position kept:

1. inputs: ``x{p}_{a}`` per word position p and symbol a (one-hot), the
   tokens around the word constants (`lower._embed`);
2. blocks through `lower.LOWERINGS` at every position (no read-out pruning);
3. the read-out ``W x_t + b`` at each position t: one exact form per output
   ``(c + sum_k w_k b_k) / D`` over the circuit's wires (`fixed.Form`);
4. outputs: the wires those forms read, named ``{output}@{t}.{k}`` (the k-th
   wire of that form), so that each value is a fixed linear form of output
   bits; `PositionsModel.values` evaluates the circuit once per batch and
   returns every value as an exact Fraction. A value that is constant at this n
   (the RASP ``length`` program's) reads no wire.

Precision. Under ``"auto"`` the values are exact: linear maps, ReLU and hard
attention are exact on forms, and an average over an input-dependent set of
keys (an average-hard head, RASP's numerical ``Aggregate`` and
``SelectorWidth``, a saturated softmax head) is computed exactly
(`Context.exact_means`: `lower_attention._exact_mean`, one comparison per value
the mean can take) rather than rounded at F bits, since a predictor's answer
is the values themselves, not one sign; a mean with more than `MAX_RANGE`
possible values is refused naming its head. A layer norm with epsilon > 0
still rounds (`lower_layernorm`), and a softmax head that does not saturate is
refused (`SaturationError`). Under a stated ``Precision(I, F)`` every
direction rounds at F bits after each block, as for a recogniser, and the
values may differ from the exact ones (the run layer marks such runs
untrusted). The reported precision is the integer bits the stream needed and
the fraction bits of any rounding point (0 where everything was exact).

This realises, at one n, the per-position version of Merrill, Sabharwal &
Smith (2022, Thm. 4): every output of a saturated transformer is computed
by a constant-depth threshold circuit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from circuitx.circuit import Circuit
from circuitx.evaluate import evaluate
from compilers.backends.circuit.fixed import (
    Form,
    Precision,
)
from compilers.backends.circuit.gates import Gates
from compilers.backends.circuit.lower import (
    Context,
    _embed,
    encode_words,
    lower_blocks,
    prepared,
    refuse_features,
)
from compilers.backends.circuit.lower_linear import by_row, linear
from compilers.backends.circuit.simplify import simplify
from compilers.errors import EvaluationError
from compilers.ir import Transformer, check


@dataclass(frozen=True, eq=False)
class PositionsModel:
    """A predictor compiled into a threshold circuit at one word length (module docstring).

    Attributes:
        circuit: inputs ``x{p}_{a}`` (one-hot word), outputs ``{output}@{t}.{k}``.
        n: the word length.
        alphabet: the word's symbols, in input order.
        precision: the stated precision, or under "auto" the derived one.
        auto: whether the precision was "auto".
        outputs: the read-out's output names, in order.
        forms: ``forms[t][o]``: the exact form of output o at position t, over the wires
            of the builder.
        undefined: as `lower.CircuitModel`'s (layer norms with epsilon 0).
    """

    circuit: Circuit
    n: int
    alphabet: tuple[str, ...]
    precision: Precision
    auto: bool
    outputs: tuple[str, ...]
    forms: tuple = field(repr=False)
    gates: Gates = field(repr=False)
    undefined: tuple = field(default=(), repr=False)

    @property
    def positions(self) -> int:
        return len(self.forms)

    def encode(self, words) -> np.ndarray:
        """One-hot input bits of each word, shape (len(words), n * |alphabet|)."""
        return encode_words(words, self.n, self.alphabet)

    def values(self, words) -> np.ndarray:
        """The exact value of every output at every position, for each word: an object
        array of Fractions, shape (len(words), positions, outputs)."""
        words = list(words)
        bits = self._bits(words, self.circuit)
        column = {name: c for c, name in enumerate(self.circuit.output_names)}
        out = np.empty((len(words), self.positions, len(self.outputs)), dtype=object)
        for t, row in enumerate(self.forms):
            for j, o in enumerate(self.outputs):
                form = row[o]
                numerators = np.full(len(words), form.const, dtype=object)
                for k, w in enumerate(form.terms.values()):
                    numerators = numerators + w * bits[:, column[f"{o}@{t}.{k}"]].astype(int)
                out[:, t, j] = [Fraction(int(v), form.den) for v in numerators]
        self._check_defined(words)
        return out

    def _bits(self, words: list, circuit: Circuit) -> np.ndarray:
        if not words or not circuit.output_names:
            return np.zeros((len(words), len(circuit.output_names)), dtype=bool)
        return evaluate(circuit, self.encode(words))

    def _check_defined(self, words: list) -> None:
        """`EvaluationError` where a layer norm with epsilon 0 has zero variance, as exact."""
        for label, position, u in self.undefined:
            wires = list(u.terms)
            helper = self.gates.builder.build({f"w{k}": x for k, x in enumerate(wires)})
            bits = self._bits(words, helper)
            for word, row in zip(words, bits, strict=True):
                if u.const + sum(w for w, b in zip(u.terms.values(), row, strict=True) if b) == 0:
                    raise EvaluationError(f"{label}: variance + epsilon is 0 at position "
                                          f"{position} (word {word!r}); layer norm is "
                                          "undefined there")


def to_positions(transformer: Transformer, n: int, *, precision="auto", bos=(), eos=(),
                 alphabet=None) -> PositionsModel:
    """Compile a predictor at word length `n`, every position (see the module docstring).

    Args:
        transformer: read out at ``position="all"`` (checked first).
        n: the word length (the formulas' n, 0 for the empty word); the sequence is
            ``bos + word + eos``.
        precision: ``"auto"``, a `Precision`, or a string ``"I.F"``.
        bos, eos: constant tokens before and after the word.
        alphabet: the word's symbols (default: the embedding's tokens other than those of
            bos and eos).

    Raises:
        UnsupportedError, SaturationError, PrecisionError (`CircuitCompileError`s).
    """
    model = check(transformer)
    refuse_features(model, every_position=True)
    precision, alphabet = prepared(model, n, 0, precision, bos, eos, alphabet)
    ctx = Context(n, precision)
    ctx.exact_means = not isinstance(precision, Precision)
    stream = _embed(ctx, model, n, tuple(bos), tuple(eos), alphabet)
    stream, int_bits = lower_blocks(ctx, model, stream, None)
    readout = model.readout
    rows = by_row(readout.matrix)
    zero = Form({}, 0, 1)
    forms = []
    wires: dict[str, int] = {}
    for t in range(len(stream)):
        values = linear(rows, stream[t], readout.bias)
        row = {o: values.get(o, zero) for o in readout.outputs}
        for o, form in row.items():
            for k, wire in enumerate(form.terms):
                wires[f"{o}@{t}.{k}"] = wire
        forms.append(row)
    circuit = simplify(ctx.gates.builder, wires)
    if isinstance(precision, Precision):
        stated, auto = precision, False
    else:
        stated, auto = Precision(int_bits=int_bits, frac_bits=ctx.frac_bits_used), True
    return PositionsModel(circuit=circuit, n=n, alphabet=alphabet, precision=stated, auto=auto,
                          outputs=tuple(readout.outputs), forms=tuple(forms), gates=ctx.gates,
                          undefined=tuple(ctx.undefined))


__all__ = ["PositionsModel", "to_positions"]
