"""The exact backend: the IR evaluated in rational arithmetic, the ground truth.

Every linear map, ReLU, hard and average-hard attention is computed exactly
with `fractions.Fraction` (numpy object arrays, sparse weights). Three
operations have irrational results in general and are computed with mpmath at
`precision_bits` bits, then carried on as the exact binary rational they
round to: the exponentials of softmax (normalised exactly, so the weights sum
to 1), softmax scales such as ``log n``, and the square root of layer norm when
the variance is not a perfect square. Everything else is exact.

`ExactModel.forward` runs a whole sequence; `ExactModel.generator` runs a
generating (decoder) model one position at a time with a cache of every earlier
position's keys and values; `ExactModel.step` applies a looped model's blocks
once more to a stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import mpmath
import numpy as np
import sympy

from compilers.backends.common import (
    EvaluationError,
    exact_sqrt,
    positional_exact,
    to_fraction_exact,
    token_ids,
)
from compilers.ir import (
    MLP,
    Attention,
    AverageHard,
    Hard,
    Head,
    LayerNorm,
    N,
    Softmax,
    TokenEmbedding,
    Transformer,
    check,
)


@dataclass(frozen=True)
class ExactPass:
    """One exact run over a sequence.

    Attributes:
        stream: the final residual stream, shape (positions, width), Fractions.
        outputs: read-out name -> value (or list of values if read at all positions).
        record: (label, stream after that block) for every block, if recorded.
    """

    stream: np.ndarray
    outputs: dict
    record: tuple = ()


def _triples(matrix, row_index, col_index):
    return [(row_index[r], col_index[c], v) for (r, c), v in matrix.entries.items()]


def _apply(triples, x: np.ndarray, rows: int) -> np.ndarray:
    """``x @ M.T`` for a sparse matrix given as (row, col, value) triples."""
    out = np.zeros((x.shape[0], rows), dtype=object)
    for r, c, v in triples:
        out[:, r] += v * x[:, c]
    return out


class _HeadPlan:
    """A head's sparse maps in index form."""

    def __init__(self, head: Head, stream_index: dict, source_index: dict):
        local = {d: k for k, d in enumerate(head.query.rows)}
        self.head = head
        self.dims = len(local)
        self.query = _triples(head.query, local, stream_index)
        self.key = _triples(head.key, local, source_index)
        written = list(head.value.rows)
        self.written = np.array([stream_index[d] for d in written], dtype=np.int64)
        self.value = _triples(head.value, {d: k for k, d in enumerate(written)}, source_index)

    def keys_values(self, y: np.ndarray):
        return _apply(self.key, y, self.dims), _apply(self.value, y, len(self.written))


class ExactModel:
    """Exact evaluation of a `Transformer` (checked first)."""

    def __init__(self, transformer: Transformer, *, precision_bits: int = 256,
                 _checked: bool = False):
        if precision_bits < 53:
            raise EvaluationError(f"precision_bits {precision_bits} is below 53; "
                                  "the exact backend is meant to beat float64")
        self.model = transformer if _checked else check(transformer)
        self.bits = precision_bits
        self.index = {d: k for k, d in enumerate(self.model.stream)}
        self.encoder = (ExactModel(self.model.encoder, precision_bits=precision_bits,
                                   _checked=True)
                        if self.model.encoder is not None else None)
        source_index = self.encoder.index if self.encoder is not None else {}
        self.heads = {}
        for head in self.model.heads():
            src = source_index if head.source == "encoder" else self.index
            self.heads[head.label] = _HeadPlan(head, self.index, src)
        self.mlps = {}
        for block in self.model.blocks:
            if isinstance(block, MLP):
                hidden = {h: k for k, h in enumerate(block.hidden)}
                self.mlps[block.label] = (
                    _triples(block.w_in, hidden, self.index),
                    np.array([block.b_in.get(h, 0) for h in block.hidden], dtype=object),
                    _triples(block.w_out, self.index, hidden),
                    [(self.index[d], v) for d, v in block.b_out.items()],
                )
        readout = self.model.readout
        self.read_map = _triples(readout.matrix, {o: k for k, o in enumerate(readout.outputs)},
                                 self.index)
        self.read_bias = np.array([readout.bias.get(o, 0) for o in readout.outputs],
                                  dtype=object)

    # -- inputs -------------------------------------------------------------

    def embed(self, inputs, positions: range, n: int) -> np.ndarray:
        """The stream before the first block: input embedding plus positional features."""
        length = len(positions)
        x = np.zeros((length, len(self.index)), dtype=object)
        model = self.model
        if isinstance(model.inputs, TokenEmbedding):
            ids = token_ids(model, inputs)
            table = model.inputs.table
            for (row, token), v in table.entries.items():
                column = model.inputs.tokens.index(token)
                for p, t in enumerate(ids):
                    if t == column:
                        x[p, self.index[row]] += v
        else:
            dims = model.inputs.dims
            for p, vec in enumerate(inputs):
                values = _vector_values(vec, dims, where=f"{model.inputs.label} position {p}")
                for d, v in zip(dims, values, strict=True):
                    x[p, self.index[d]] += v
        if model.positions is not None:
            for name, values in positional_exact(model.positions, positions, n).items():
                column = self.index[name]
                for p, v in enumerate(values):
                    x[p, column] += v
        return x

    # -- whole sequences ----------------------------------------------------

    def forward(self, inputs, *, n: int | None = None, encoder_inputs=None,
                record: bool = False, only_readout: bool = False) -> ExactPass:
        """Run the model on one input sequence (tokens, or vectors over the input dims).

        Args:
            inputs: the sequence.
            n: the input length the formulas see; defaults to ``len(inputs)``
                (for a model with an encoder, to ``len(encoder_inputs)``).
            encoder_inputs: the encoder's input sequence, if the model has one.
            record: keep the stream after every block.
            only_readout: compute the last attention block's queries, and what
                follows, at the read-out position only (read-out at the first
                or last position, not looped); the stream then has that row.
        """
        inputs = list(inputs)
        encoder_stream, n = self._encoder(encoder_inputs, n, default=len(inputs))
        x = self.embed(inputs, range(len(inputs)), n)
        trace: list = []
        prune = (only_readout and not self.model.looped
                 and self.model.readout.position in ("first", "last"))
        row = (0 if self.model.readout.position == "first" else len(inputs) - 1) if prune else None
        x = self.apply_blocks(x, n=n, encoder_stream=encoder_stream,
                              record=trace if record else None, readout_row=row)
        return ExactPass(stream=x, outputs=self.read(x), record=tuple(trace))

    def _encoder(self, encoder_inputs, n, *, default):
        if self.encoder is None:
            if encoder_inputs is not None:
                raise EvaluationError(f"{self.model.label} has no encoder; "
                                      "encoder_inputs must be None")
            return None, default if n is None else n
        if encoder_inputs is None:
            raise EvaluationError(f"{self.model.label} reads an encoder: pass encoder_inputs")
        encoder_inputs = list(encoder_inputs)
        n = len(encoder_inputs) if n is None else n
        return self.encoder.forward(encoder_inputs, n=n).stream, n

    def apply_blocks(self, x: np.ndarray, *, n: int, encoder_stream=None,
                     record: list | None = None, readout_row: int | None = None) -> np.ndarray:
        """Apply every block once (one loop step for a looped model); returns a new stream.

        `readout_row`: from the last attention block on, compute only that
        position (see `forward`'s `only_readout`).
        """
        x = x.copy()
        attention = [k for k, b in enumerate(self.model.blocks) if isinstance(b, Attention)]
        for index, block in enumerate(self.model.blocks):
            if isinstance(block, Attention):
                offset, rows = 0, slice(None)
                if readout_row is not None and index == attention[-1]:
                    offset, rows = readout_row, slice(readout_row, readout_row + 1)
                delta = np.zeros_like(x[rows])
                for head in block.heads:
                    plan = self.heads[head.label]
                    source = encoder_stream if head.source == "encoder" else x
                    keys, values = plan.keys_values(source)
                    out = self._attend(plan, _apply(plan.query, x[rows], plan.dims), keys,
                                       values, n=n, offset=offset)
                    delta[:, plan.written] += out
                x = x[rows] + delta
            elif isinstance(block, MLP):
                x = x + self._mlp(block.label, x)
            elif isinstance(block, LayerNorm):
                x = self._layer_norm(block, x)
            else:  # pragma: no cover - the checker admits no other block
                raise EvaluationError(f"exact backend: unknown block {type(block).__name__}")
            if record is not None:
                record.append((block.label, x.copy()))
        return x

    step = apply_blocks

    def read(self, x: np.ndarray) -> dict:
        """The read-out at the positions the model names."""
        readout = self.model.readout
        rows = {"first": x[:1], "last": x[-1:], "all": x}[readout.position]
        values = _apply(self.read_map, rows, len(readout.outputs)) + self.read_bias
        if readout.position == "all":
            return {o: list(values[:, k]) for k, o in enumerate(readout.outputs)}
        return {o: values[0, k] for k, o in enumerate(readout.outputs)}

    # -- blocks -------------------------------------------------------------

    def _mlp(self, label: str, x: np.ndarray) -> np.ndarray:
        w_in, b_in, w_out, b_out = self.mlps[label]
        hidden = _apply(w_in, x, len(b_in)) + b_in
        hidden = np.where(hidden > 0, hidden, 0)
        out = _apply(w_out, hidden, x.shape[1])
        for column, v in b_out:
            out[:, column] += v
        return out

    def _layer_norm(self, block: LayerNorm, x: np.ndarray) -> np.ndarray:
        columns = [self.index[d] for d in block.dims]
        gain = [block.gain.get(d, 0) for d in block.dims]
        bias = [block.bias.get(d, 0) for d in block.dims]
        k = len(columns)
        x = x.copy()
        for p in range(x.shape[0]):
            values = [Fraction(x[p, c]) for c in columns]
            mean = sum(values) / k
            var = sum((v - mean) ** 2 for v in values) / k + block.epsilon
            if var == 0:
                raise EvaluationError(f"{block.label}: variance + epsilon is 0 at position {p}; "
                                      "layer norm is undefined there")
            root = exact_sqrt(var, self.bits)
            for c, v, g, b in zip(columns, values, gain, bias, strict=True):
                x[p, c] = g * (v - mean) / root + b
        return x

    def _attend(self, plan: _HeadPlan, queries: np.ndarray, keys: np.ndarray,
                values: np.ndarray, *, n: int, offset: int) -> np.ndarray:
        """Attention output for query rows at positions offset, offset+1, ... over all keys."""
        head = plan.head
        if not isinstance(head.kind, Hard) and not (head.query.entries and head.key.entries):
            return _uniform(values, queries.shape[0], offset, causal=head.mask == "causal")
        scores = queries.dot(keys.T) if plan.dims else np.zeros(
            (queries.shape[0], keys.shape[0]), dtype=object)
        if head.score == "neg_abs_dot":
            scores = -np.abs(scores)
        out = np.zeros((queries.shape[0], values.shape[1]), dtype=object)
        for row in range(queries.shape[0]):
            position = offset + row
            visible = position + 1 if head.mask == "causal" else keys.shape[0]
            out[row] = self._weights_times_values(head, scores[row, :visible],
                                                  values[:visible], n)
        return out

    def _weights_times_values(self, head: Head, scores: np.ndarray, values: np.ndarray,
                              n: int) -> np.ndarray:
        kind = head.kind
        if isinstance(kind, Softmax):
            weights = self._softmax(scores, kind.scale, n)
            return weights.dot(values)
        best = max(scores)
        winners = [j for j, s in enumerate(scores) if s == best]
        if isinstance(kind, Hard):
            j = winners[0] if kind.tie == "first" else winners[-1]
            return values[j].copy()
        assert isinstance(kind, AverageHard)
        return values[winners].sum(axis=0) / len(winners)

    def _softmax(self, scores: np.ndarray, scale: sympy.Expr, n: int) -> np.ndarray:
        with mpmath.workprec(self.bits):
            factor = _mp_value(scale.xreplace({N: sympy.Integer(n)}), self.bits)
            best = max(scores)
            powers = [to_fraction_exact(mpmath.exp(factor * _mpf(s - best)))
                      if s != best else Fraction(1) for s in scores]
        total = sum(powers)
        return np.array([p / total for p in powers], dtype=object)

    # -- generation ---------------------------------------------------------

    def generator(self, encoder_inputs=None, *, n: int | None = None) -> ExactGenerator:
        """A cached, one-position-at-a-time run of a generating model (see `ExactGenerator`)."""
        if any(h.mask != "causal" for h in self.model.heads() if h.source == "self"):
            raise EvaluationError(f"{self.model.label}: cached generation needs every "
                                  "self-attention head to be causal")
        return ExactGenerator(self, encoder_inputs, n)


class ExactGenerator:
    """Feeds a decoder one input at a time, caching each head's keys and values.

    Step t costs O(t) (one query against t cached keys per head) instead of
    recomputing the prefix. `push(input)` returns the read-out at the new
    position; `next_input(outputs)` turns it into the next input according to
    the model's feedback rule.
    """

    def __init__(self, exact: ExactModel, encoder_inputs, n):
        self.exact = exact
        self.encoder_stream, self.n = exact._encoder(encoder_inputs, n, default=n)
        if self.n is None:
            raise EvaluationError(f"{exact.model.label}: generation needs the input length n")
        self.position = 0
        self.cache: dict[str, tuple[list, list]] = {}
        for label, plan in exact.heads.items():
            if plan.head.source == "encoder":
                keys, values = plan.keys_values(self.encoder_stream)
                self.cache[label] = (keys, values)
            else:
                self.cache[label] = (np.zeros((0, plan.dims), dtype=object),
                                     np.zeros((0, len(plan.written)), dtype=object))

    def push(self, token_or_vector) -> dict:
        """Append one input; return the read-out at its position."""
        exact = self.exact
        x = exact.embed([token_or_vector], range(self.position, self.position + 1), self.n)
        for block in exact.model.blocks:
            if isinstance(block, Attention):
                delta = np.zeros_like(x)
                for head in block.heads:
                    plan = exact.heads[head.label]
                    keys, values = self.cache[head.label]
                    if head.source == "self":
                        k, v = plan.keys_values(x)
                        keys, values = np.vstack([keys, k]), np.vstack([values, v])
                        self.cache[head.label] = (keys, values)
                    query = _apply(plan.query, x, plan.dims)
                    offset = self.position if head.source == "self" else 0
                    delta[:, plan.written] += exact._attend(plan, query, keys, values,
                                                            n=self.n, offset=offset)
                x = x + delta
            elif isinstance(block, MLP):
                x = x + exact._mlp(block.label, x)
            else:
                x = exact._layer_norm(block, x)
        self.position += 1
        readout = exact.model.readout
        values = _apply(exact.read_map, x, len(readout.outputs))[0] + exact.read_bias
        return {o: values[k] for k, o in enumerate(readout.outputs)}

    def next_input(self, outputs: dict):
        """The next input: the argmax token (ties are an error) or the output vector."""
        model = self.exact.model
        if model.feedback == "vector":
            return [outputs[d] for d in model.inputs.dims]
        if model.feedback == "token":
            best = max(outputs.values())
            winners = [t for t, v in outputs.items() if v == best]
            if len(winners) > 1:
                raise EvaluationError(f"{model.readout.label}: tie between tokens {winners} "
                                      f"at position {self.position - 1}")
            return winners[0]
        raise EvaluationError(f"{model.label} does not generate (feedback is None)")


def _vector_values(vec, dims, *, where: str) -> list[Fraction]:
    from compilers.ir import to_fraction

    if isinstance(vec, dict):
        unknown = set(vec) - set(dims)
        if unknown:
            raise EvaluationError(f"{where}: unknown input directions {sorted(unknown)}; "
                                  f"allowed: {list(dims)}")
        return [to_fraction(vec.get(d, 0), where=f"{where}[{d!r}]") for d in dims]
    values = list(vec)
    if len(values) != len(dims):
        raise EvaluationError(f"{where}: got {len(values)} values for {len(dims)} input dims")
    return [to_fraction(v, where=f"{where}[{d!r}]") for d, v in zip(dims, values, strict=True)]


def _uniform(values: np.ndarray, rows: int, offset: int, *, causal: bool) -> np.ndarray:
    """Every score equal: the mean of the visible values (prefix means if causal)."""
    if not causal:
        mean = values.sum(axis=0) / values.shape[0]
        return np.tile(mean, (rows, 1))
    sums = np.cumsum(values, axis=0)
    return np.array([sums[offset + r] / (offset + r + 1) for r in range(rows)], dtype=object)


def _mpf(value) -> mpmath.mpf:
    value = Fraction(value)
    return mpmath.mpf(value.numerator) / value.denominator


def _mp_value(expr: sympy.Expr, bits: int):
    value = sympy.N(expr, int(bits * 0.302) + 10)
    if not value.is_real or not value.is_finite:
        raise EvaluationError(f"softmax scale {expr} is not a finite real number")
    return mpmath.mpf(str(value))
