"""The exact backend: the IR evaluated in rational arithmetic, the ground truth.

Every linear map, ReLU, hard and average-hard attention is computed exactly in
rationals. Three operations have irrational results in general and are
computed with mpmath at `precision_bits` bits, then carried on as the exact
binary rational they round to: the exponentials of softmax (normalised
exactly, so the weights sum to 1), softmax scales such as ``log n``, and the
square root of layer norm when the variance is not a perfect square.
Everything else is exact.

Representation (`compilers.backends.exact_rows`): the stream is a numpy object
array of Python integers with one positive denominator per position, and each
weight matrix is integers over one common denominator, so a block costs
integer multiply-adds and one gcd per position instead of a `Fraction`
normalisation per entry and operation. The rationals are the same: streams,
read-outs and recorded blocks are handed out as reduced `Fraction`s, equal to
what per-entry `Fraction` arithmetic gives. A softmax exponential is computed
once per distinct (scale, n, score difference) and remembered across rows,
heads and loops: each is ``exp(mpf(scale) * mpf(s_j - s_max))`` rounded at
`precision_bits` bits exactly as when it was computed afresh, so caching
changes no bit of any result.

`ExactModel.forward` runs a whole sequence; `ExactModel.generator` runs a
generating (decoder) model one position at a time with a cache of every earlier
position's keys and values; `ExactModel.step` applies a looped model's blocks
once more to a stream. All three go through one table, `RULES`, from block
type to its rule; a rule reads where it runs (every position, the read-out
row only, or one new position with cached keys) from a small `_Where`.
Decisions that are not arithmetic (uniform heads, read-out pruning, tie
rules, causality) come from `compilers.ir.plan`. `ExactBackend` is the
`compilers.backends.base.Backend` over it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import numpy as np
import sympy

from compilers.backends.base import Pass
from compilers.backends.common import (
    EvaluationError,
    exact_sqrt,
    positional_exact,
    require_length,
    token_ids,
)
from compilers.backends.exact_rows import (
    IntMap,
    Rows,
    add_into,
    combine,
    common,
    from_values,
    mean_rows,
    reduce,
    relu,
    to_values,
)
from compilers.backends.incremental import IncrementalLoop
from compilers.backends.incremental_exact import ExactOps
from compilers.backends.lookups_generate import ExactGenerationLookups
from compilers.backends.lookups_option import Lookups
from compilers.ir import (
    MLP,
    Attention,
    Head,
    LayerNorm,
    N,
    Softmax,
    TokenEmbedding,
    Transformer,
    to_fraction,
)
from compilers.ir.plan import Plan, argmax_positions, plan, visible


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


ALL = slice(None)
COMMON_KEY_BITS = 4096  # softmax keys over one denominator up to this size


def _triples(matrix, row_index, col_index):
    return [(row_index[r], col_index[c], v) for (r, c), v in matrix.entries.items()]


class _HeadPlan:
    """A head's sparse maps as integer maps."""

    def __init__(self, head: Head, stream_index: dict, source_index: dict):
        local = {d: k for k, d in enumerate(head.query.rows)}
        self.head = head
        self.dims = len(local)
        self.query = IntMap(_triples(head.query, local, stream_index), self.dims)
        self.key = IntMap(_triples(head.key, local, source_index), self.dims)
        written = list(head.value.rows)
        self.written = np.array([stream_index[d] for d in written], dtype=np.int64)
        self.value = IntMap(_triples(head.value, {d: k for k, d in enumerate(written)},
                                     source_index), len(written))

    def keys_values(self, y: Rows) -> tuple[Rows, Rows]:
        return reduce(self.key(y)), reduce(self.value(y))


class ExactModel:
    """Exact evaluation of a `Transformer` (checked first)."""

    def __init__(self, transformer: Transformer | Plan, *, precision_bits: int = 256):
        if precision_bits < 53:
            raise EvaluationError(f"precision_bits {precision_bits} is below 53; "
                                  "the exact backend is meant to beat float64")
        self.plan = transformer if isinstance(transformer, Plan) else plan(transformer)
        self.model = self.plan.transformer
        self.bits = precision_bits
        self.index = {d: k for k, d in enumerate(self.model.stream)}
        self.encoder = (ExactModel(self.plan.encoder, precision_bits=precision_bits)
                        if self.plan.encoder is not None else None)
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
                    IntMap(_triples(block.w_in, hidden, self.index), len(hidden),
                           {hidden[h]: v for h, v in block.b_in.items()}),
                    IntMap(_triples(block.w_out, self.index, hidden), len(self.index),
                           {self.index[d]: v for d, v in block.b_out.items()}),
                )
        readout = self.model.readout
        outputs = {o: k for k, o in enumerate(readout.outputs)}
        self.read_map = IntMap(_triples(readout.matrix, outputs, self.index), len(outputs),
                               {outputs[o]: v for o, v in readout.bias.items()})
        self._factors: dict = {}  # (scale, n) -> mpmath scale
        self._powers: dict = {}  # (scale, n, s_j - s_max) -> (mantissa, exponent) of exp

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
            n: the input length the formulas see; required where they read it
                (`compilers.backends.common.require_length`), except that a model
                with an encoder takes ``len(encoder_inputs)``.
            encoder_inputs: the encoder's input sequence, if the model has one.
            record: keep the stream after every block.
            only_readout: compute the last attention block's queries, and what
                follows, at the read-out position only (read-out at the first
                or last position, not looped); the stream then has that row.
        """
        inputs = list(inputs)
        require_length(self.model, n)
        encoder_rows, n = self._encoder(encoder_inputs, n, default=len(inputs))
        x = from_values(self.embed(inputs, range(len(inputs)), n))
        trace: list = []
        row = self.plan.readout_row(len(inputs)) if only_readout and self.plan.prunable else None
        x = self._blocks(x, _Where(n, encoder_rows, row), record=trace if record else None)
        return ExactPass(stream=to_values(x), outputs=self._read(x), record=tuple(trace))

    def _forward_rows(self, inputs, n: int) -> Rows:
        x = from_values(self.embed(inputs, range(len(inputs)), n))
        return self._blocks(x, _Where(n, None, None))

    def _encoder(self, encoder_inputs, n, *, default):
        if self.encoder is None:
            if encoder_inputs is not None:
                raise EvaluationError(f"{self.model.label} has no encoder; "
                                      "encoder_inputs must be None")
            return None, default if n is None else n
        if encoder_inputs is None:
            raise EvaluationError(f"{self.model.label} reads an encoder: pass encoder_inputs")
        encoder_inputs = list(encoder_inputs)
        n = self.plan.encoder_length(n, len(encoder_inputs), default)
        return self.encoder._forward_rows(encoder_inputs, n), n

    def apply_blocks(self, x: np.ndarray, *, n: int, encoder_stream=None,
                     record: list | None = None, readout_row: int | None = None) -> np.ndarray:
        """Every block once on the stream `x` (Fractions): one loop step of a looped model.

        `readout_row`: from the last attention block on, compute that position
        only (as `forward`'s `only_readout`; the result then has that row).
        """
        encoder_rows = None if encoder_stream is None else from_values(encoder_stream)
        return to_values(self._blocks(from_values(x), _Where(n, encoder_rows, readout_row),
                                      record=record))

    step = apply_blocks

    def _blocks(self, x: Rows, where: _Where, record: list | None = None) -> Rows:
        """The blocks in order, each through its rule in `RULES`."""
        for index, block in enumerate(self.model.blocks):
            where.block = index
            x = RULES[type(block)](self, block, x, where)
            if record is not None:
                record.append((block.label, to_values(x)))
        return x

    # -- the rules, one per block type (`RULES`) ---------------------------------

    def _attention(self, block: Attention, x: Rows, where: _Where) -> Rows:
        """Every head at the query rows `where` gives, added to the stream there."""
        offset, rows = where.queries(self.plan, len(x))
        target = x.take(rows)
        parts = []
        lookups = getattr(where, "lookups", None)  # a generator with lookups='index'
        for head in block.heads:
            plan = self.heads[head.label]
            out = None if lookups is None else lookups.attend(plan, target, x, offset)
            if out is None:
                keys, values = where.keys_values(plan, x)
                out = self._attend(plan, reduce(plan.query(target)), keys, values, n=where.n,
                                   offset=offset)
            parts.append((plan.written, out))
        return add_into(target, parts)

    def _mlp_block(self, block: MLP, x: Rows, where: _Where) -> Rows:
        w_in, w_out = self.mlps[block.label]
        return add_into(x, [(ALL, w_out(relu(w_in(x))))])

    def read(self, x: np.ndarray) -> dict:
        """The read-out at the positions the model names."""
        return self._read(from_values(x))

    def _read(self, x: Rows) -> dict:
        readout = self.model.readout
        rows = {"first": slice(0, 1), "last": slice(len(x) - 1, len(x)),
                "all": ALL}[readout.position]
        values = to_values(self.read_map(x.take(rows)))
        if readout.position == "all":
            return {o: list(values[:, k]) for k, o in enumerate(readout.outputs)}
        return {o: values[0, k] for k, o in enumerate(readout.outputs)}

    # -- blocks -------------------------------------------------------------

    def _layer_norm(self, block: LayerNorm, rows: Rows, where: _Where | None = None) -> Rows:
        columns = [self.index[d] for d in block.dims]
        gain = [block.gain.get(d, 0) for d in block.dims]
        bias = [block.bias.get(d, 0) for d in block.dims]
        k = len(columns)
        x = to_values(rows)
        first = 0 if where is None else where.first_row(self.plan)
        for p in range(x.shape[0]):
            values = [x[p, c] for c in columns]
            mean = sum(values) / k
            var = sum((v - mean) ** 2 for v in values) / k + block.epsilon
            if var == 0:
                raise EvaluationError(f"{block.label}: variance + epsilon is 0 at position "
                                      f"{first + p}; layer norm is undefined there")
            root = exact_sqrt(var, self.bits)
            for c, v, g, b in zip(columns, values, gain, bias, strict=True):
                x[p, c] = g * (v - mean) / root + b
        return from_values(x)

    def _attend(self, plan: _HeadPlan, queries: Rows, keys: Rows, values: Rows, *, n: int,
                offset: int) -> Rows:
        """Attention output for query rows at positions offset, offset+1, ... over all keys.

        Scores ``s_ij = q_i . k_j / (den(q_i) den(k_j))`` are compared exactly:
        as integers when every key row has one denominator (softmax keys are
        put over their lcm when it has at most `COMMON_KEY_BITS` bits), else
        as Fractions (hard heads: only the keys whose float ties the largest).
        """
        head = plan.head
        kind = head.kind
        if head.label in self.plan.uniform:
            return mean_rows(values, len(queries), offset, mask=head.mask)
        uniform = bool((keys.den == keys.den[0]).all()) if len(keys) else True
        if not uniform and isinstance(kind, Softmax):
            num, lcm = common(keys)  # one denominator, if it is short, spares Fractions
            if lcm.bit_length() <= COMMON_KEY_BITS:
                keys, uniform = Rows(num, np.full(len(keys), lcm, dtype=object)), True
        key_dens = keys.den
        nums = [np.zeros((0, values.num.shape[1]), dtype=object)]
        dens = [np.zeros(0, dtype=object)]
        for row in range(len(queries)):
            seen = visible(head.mask, offset + row, len(keys))
            lo, hi = seen.start, seen.stop
            if hi <= lo:  # a strict mask at the first or last position: nothing seen, adds 0
                nums.append(np.zeros((1, values.num.shape[1]), dtype=object))
                dens.append(np.ones(1, dtype=object))
                continue
            raw = (keys.num[lo:hi].dot(queries.num[row]) if plan.dims
                   else np.zeros(hi - lo, dtype=object))
            if head.score == "neg_abs_dot":
                raw = -np.abs(raw)
            if isinstance(kind, Softmax):
                if uniform:
                    scores, scale = raw.tolist(), queries.den[row] * key_dens[0]
                else:
                    scores = [Fraction(r, d) for r, d in zip(raw.tolist(),
                                                             key_dens[lo:hi].tolist(),
                                                             strict=True)]
                    scale = queries.den[row]
                weights, total = self._softmax(scores, max(scores), scale, kind.scale, n)
                out = combine(values, weights, total, slice(lo, hi))
            else:
                found = _maxima(raw, None if uniform else key_dens[lo:hi])
                chosen = argmax_positions(head, [lo + j for j in found])
                if len(chosen) == 1:
                    out = values.take(slice(chosen[0], chosen[0] + 1))
                else:
                    out = combine(values, [1] * len(chosen), len(chosen), np.array(chosen))
            nums.append(out.num)
            dens.append(out.den)
        return Rows(np.vstack(nums), np.concatenate(dens))

    def _softmax(self, scores: list, best, scale: int, expr: sympy.Expr,
                 n: int) -> tuple[list[int], int]:
        """Integer weights ``w_j`` and their sum: softmax ``a_j = w_j / sum(w)``.

        ``exp(c (s_j - s_max))`` is mpmath's value at `precision_bits`, a binary
        rational ``m 2^e``; over the smallest exponent they are integers.
        """
        key = (expr, n)
        factor = self._factors.get(key)
        if factor is None:
            with mpmath.workprec(self.bits):
                factor = _mp_value(expr.xreplace({N: sympy.Integer(n)}), self.bits)
            self._factors[key] = factor
        if len(self._powers) > 1 << 18:
            self._powers.clear()
        local: dict = {}
        powers = []
        for s in scores:
            power = local.get(s)
            if power is None:
                if s == best:
                    power = (1, 0)
                else:
                    gap = _reduced(s - best, scale)  # s_j - s_max, in lowest terms
                    power = self._powers.get((key, gap))
                    if power is None:
                        with mpmath.workprec(self.bits):
                            mpf_gap = mpmath.mpf(gap[0]) / gap[1]  # num rounded, then / den
                            mantissa, exponent = mpmath.exp(factor * mpf_gap).man_exp
                        power = (int(mantissa), int(exponent))
                        self._powers[(key, gap)] = power
                local[s] = power
            powers.append(power)
        low = min(e for _, e in powers)
        weights = [m << (e - low) for m, e in powers]
        return weights, sum(weights)

    # -- generation ---------------------------------------------------------

    def generator(self, encoder_inputs=None, *, n: int | None = None,
                  lookups: bool = False) -> ExactGenerator:
        """A cached, one-position-at-a-time run of a generating model (see `ExactGenerator`;
        `lookups`: `lookups_generate.ExactGenerationLookups`)."""
        self.plan.require_causal()
        generator = ExactGenerator(self, encoder_inputs, n)
        if lookups:
            generator.lookups = ExactGenerationLookups(self, generator.encoder_rows)
        return generator


class _Cache:
    """Rows appended one at a time (capacity doubled as it fills)."""

    def __init__(self, rows: Rows | None, width: int):
        self.num = np.zeros((16, width), dtype=object)
        self.den = np.ones(16, dtype=object)
        self.size = 0
        if rows is not None:
            self.num, self.den, self.size = rows.num.copy(), rows.den.copy(), len(rows)

    def append(self, rows: Rows) -> None:
        end = self.size + len(rows)
        if end > self.num.shape[0]:
            grow = max(end, 2 * self.num.shape[0])
            self.num = np.vstack([self.num, np.zeros((grow - self.num.shape[0],
                                                      self.num.shape[1]), dtype=object)])
            self.den = np.concatenate([self.den, np.ones(grow - self.den.shape[0],
                                                         dtype=object)])
        self.num[self.size:end] = rows.num
        self.den[self.size:end] = rows.den
        self.size = end

    def rows(self) -> Rows:
        return Rows(self.num[:self.size], self.den[:self.size])


class ExactGenerator:
    """Feeds a decoder one input at a time, caching each head's keys and values.

    Step t costs O(t) (one query against t cached keys per head) instead of
    recomputing the prefix. `push(input)` returns the read-out at the new
    position; `next_input(outputs)` turns it into the next input according to
    the model's feedback rule.
    """

    def __init__(self, exact: ExactModel, encoder_inputs, n):
        self.exact = exact
        self.encoder_rows, self.n = exact._encoder(encoder_inputs, n, default=n)
        self.block = 0
        if self.n is None:
            raise EvaluationError(f"{exact.model.label}: generation needs the input length n")
        self.position = 0
        self.lookups = None  # `lookups_generate.ExactGenerationLookups`, with lookups='index'
        self.cache: dict[str, tuple[_Cache, _Cache]] = {}
        for label, head in exact.heads.items():
            if head.head.source == "encoder":
                keys, values = head.keys_values(self.encoder_rows)
                self.cache[label] = (_Cache(keys, head.dims), _Cache(values, len(head.written)))
            else:
                self.cache[label] = (_Cache(None, head.dims), _Cache(None, len(head.written)))

    def push(self, token_or_vector) -> dict:
        """Append one input; return the read-out at its position."""
        exact = self.exact
        x = from_values(exact.embed([token_or_vector], range(self.position, self.position + 1),
                                    self.n))
        x = exact._blocks(x, self)
        self.position += 1
        values = to_values(exact.read_map(x))[0]  # the new position, whatever the read-out
        return {o: values[k] for k, o in enumerate(exact.model.readout.outputs)}

    # -- where a generator step runs (the `_Where` of `ExactModel._blocks`) ----------

    def queries(self, plan: Plan, length: int) -> tuple[int, slice]:
        return self.position, ALL

    def keys_values(self, plan: _HeadPlan, x: Rows) -> tuple[Rows, Rows]:
        """The head's cached keys and values, with the new position's appended (self)."""
        keys, values = self.cache[plan.head.label]
        if plan.head.source == "self":
            k, v = plan.keys_values(x)
            keys.append(k)
            values.append(v)
        return keys.rows(), values.rows()

    @property
    def offset(self) -> int:
        return self.position

    def first_row(self, plan: Plan) -> int:
        """The position of the stream's one row: the new position."""
        return self.position

    def next_input(self, outputs: dict):
        """The next input: the argmax token (ties are an error) or the output vector."""
        model = self.exact.model
        self.exact.plan.require_generating()
        if model.feedback == "vector":
            return [outputs[d] for d in model.inputs.dims]
        best = max(outputs.values())
        return self.exact.plan.choose_token([t for t, v in outputs.items() if v == best],
                                            self.position - 1)


class _Where:
    """Where `ExactModel._blocks` runs: the length n, the encoder's rows, and the
    read-out row from which on only that position is computed (None: every position)."""

    def __init__(self, n: int, encoder_rows: Rows | None, readout_row: int | None):
        self.n, self.encoder_rows, self.readout_row = n, encoder_rows, readout_row
        self.block = 0

    def queries(self, plan: Plan, length: int) -> tuple[int, slice]:
        """(offset, rows) of the query positions of the attention block being run."""
        if self.readout_row is not None and self.block == plan.last_attention:
            return self.readout_row, slice(self.readout_row, self.readout_row + 1)
        return 0, ALL

    def keys_values(self, plan: _HeadPlan, x: Rows) -> tuple[Rows, Rows]:
        return plan.keys_values(self.encoder_rows if plan.head.source == "encoder" else x)

    def first_row(self, plan: Plan) -> int:
        """The position of the stream's first row at the block being run: the read-out
        row from the last attention block on (pruned), else 0."""
        if (self.readout_row is not None and plan.last_attention is not None
                and self.block >= plan.last_attention):
            return self.readout_row
        return 0


RULES = {Attention: ExactModel._attention, MLP: ExactModel._mlp_block,
         LayerNorm: ExactModel._layer_norm}
"""The one table from block type to its exact rule, for the full pass, loops and generation."""


def _vector_values(vec, dims, *, where: str) -> list[Fraction]:
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


def _maxima(raw: np.ndarray, dens: np.ndarray | None) -> list[int]:
    """The indices j that maximise ``raw[j] / dens[j]`` (dens positive; None: all 1), exactly.

    `raw` and `dens` are object arrays of ints. ``int / int`` in Python is
    correctly rounded and rounding is monotone, so every exact maximum rounds
    to the largest float: only the keys whose float is that largest one are
    compared exactly, as Fractions.
    """
    if dens is None:
        return np.flatnonzero(raw == raw.max()).tolist()
    try:
        approx = (raw / dens).astype(np.float64)
        candidates = np.flatnonzero(approx == approx.max()).tolist()
    except OverflowError:
        candidates = list(range(len(raw)))
    exact = [Fraction(int(raw[j]), int(dens[j])) for j in candidates]
    best = max(exact)
    return [j for j, v in zip(candidates, exact, strict=True) if v == best]


def _reduced(difference, scale: int) -> tuple[int, int]:
    """``difference / scale`` (an int or a Fraction over a positive int) in lowest terms."""
    if type(difference) is int:
        g = math.gcd(difference, scale)
        return difference // g, scale // g
    value = Fraction(difference) / scale
    return value.numerator, value.denominator


def _mp_value(expr: sympy.Expr, bits: int):
    value = sympy.N(expr, int(bits * 0.302) + 10)
    if not value.is_real or not value.is_finite:
        raise EvaluationError(f"softmax scale {expr} is not a finite real number")
    return mpmath.mpf(str(value))


class ExactBackend:
    """The exact backend behind the `compilers.backends.base.Backend` seam.

    Values are numpy object arrays of Fractions; examples of a batch run one
    after another (an exact run is per sequence anyway), loops in lock step.
    """

    name = "exact"
    dtype = None

    def __init__(self, transformer: Transformer | Plan, *, precision_bits: int = 256,
                 lookups: str = "dense", dense_every: int | None = None,
                 on_broken: str = "dense"):
        self.model = ExactModel(transformer, precision_bits=precision_bits)
        self.plan = self.model.plan
        self.lookups = Lookups(self.plan.transformer, lookups, dense_every, on_broken)
        self._loops: list[IncrementalLoop] = []

    def forward(self, inputs, *, n: int, encoder_inputs=None) -> Pass:
        outputs: dict[str, list] = {o: [] for o in self.plan.transformer.readout.outputs}
        encoders = [None] * len(inputs) if encoder_inputs is None else list(encoder_inputs)
        for sequence, encoder in zip(inputs, encoders, strict=True):
            done = self.model.forward(sequence, n=n, encoder_inputs=encoder, only_readout=True)
            for name, value in done.outputs.items():
                outputs[name].append(value)
        return Pass(outputs={k: _objects(v) for k, v in outputs.items()},
                    suspect=np.zeros(len(inputs), dtype=bool))

    def generator(self, *, n: int, batch: int, encoder_inputs=None) -> _Generators:
        encoders = [None] * batch if encoder_inputs is None else list(encoder_inputs)
        return _Generators([self.model.generator(e, n=n, lookups=self.lookups.index)
                            for e in encoders], self.plan)

    def inputs(self, rows) -> list:
        return list(rows)

    def start(self, matrices, *, n: int) -> list[Rows]:
        state = [from_values(self.model.embed(np.asarray(matrix).tolist(), range(len(matrix)),
                                              n))
                 for matrix in matrices]
        if self.lookups.index:
            ops = ExactOps(self.model, lambda n: _Where(n, None, None), RULES)
            self._loops = [IncrementalLoop(ops, self.plan.transformer.blocks, x, n=n,
                                           on_broken=self.lookups.on_broken) for x in state]
            return [run.stream for run in self._loops]
        return state

    def loop(self, state: list[Rows], *, n: int, active=None) -> list[Rows]:
        if self.lookups.index:
            return self.lookups.loop(self._loops, active)
        return [self.model._blocks(x, _Where(n, None, None))
                if active is None or active[k] else x for k, x in enumerate(state)]

    def changed_columns(self) -> set[int] | None:
        """With ``lookups='index'``: the columns a loop changed since the last call (the
        drift check reads only their entries); None: any may have."""
        return self.lookups.changed(self._loops)

    def finish(self, state) -> None:
        """With ``lookups='index'``: the dense check of each run's last loop (`Lookups`)."""
        self.lookups.finish(self._loops)

    def read(self, state: list[Rows], entries) -> np.ndarray:
        index = self.model.index
        out = np.empty((len(state), len(entries)), dtype=object)
        for b, x in enumerate(state):
            for k, (position, direction) in enumerate(entries):
                out[b, k] = Fraction(x.num[position, index[direction]], x.den[position])
        return out

    def streams(self, state: list[Rows]) -> np.ndarray:
        return np.stack([to_values(x) for x in state]) if state else np.zeros((0, 0, 0))

    def index(self) -> dict[str, int]:
        return dict(self.model.index)

    def array(self, values) -> np.ndarray:
        return np.asarray(values)

    def host(self, values) -> np.ndarray:
        return np.asarray(values)

    def check(self) -> None:
        """Nothing is deferred: an exact run raises where it fails."""

    def flags(self) -> tuple[np.ndarray, dict]:
        return np.zeros(0, dtype=bool), {}


class _Generators:
    """One `ExactGenerator` per example, pushed in step (the `Generator` protocol)."""

    def __init__(self, generators: list[ExactGenerator], plan: Plan):
        self.generators, self.plan = generators, plan
        self.outputs = plan.transformer.readout.outputs
        self.position = 0

    def push(self, inputs) -> np.ndarray:
        rows = [g.push(x) for g, x in zip(self.generators, inputs, strict=True)]
        self.position += 1
        return _objects([[row[o] for o in self.outputs] for row in rows])

    def next_input(self, outputs) -> list:
        return [g.next_input(dict(zip(self.outputs, row, strict=True)))
                for g, row in zip(self.generators, outputs, strict=True)]

    def suspect(self) -> np.ndarray:
        return np.zeros(len(self.generators), dtype=bool)


def _objects(values) -> np.ndarray:
    """A numpy object array that keeps Fractions (and lists of them) as they are."""
    values = list(values)
    if values and isinstance(values[0], list | tuple):
        out = np.empty((len(values), len(values[0])), dtype=object)
        for k, row in enumerate(values):
            out[k, :] = list(row)
        return out
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out
