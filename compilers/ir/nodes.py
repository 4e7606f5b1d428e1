"""The nodes of the construction IR.

A `Transformer` is a residual stream of named directions, an input layer (a
token embedding or raw vectors), positional features given as exact formulas
in the position ``i`` and the input length ``n``, a sequence of blocks applied
in order, and a read-out. Blocks:

* `Attention`: heads run in parallel on the same stream; each head reads a
  query at position i and keys and values at positions j and *adds* its output
  to the stream (residual connection). Its kind is `Softmax` (with a scale that
  may depend on n), `Hard` (argmax with a stated tie rule) or `AverageHard`
  (uniform over the argmax set: the "hardmax" of Pérez et al. and the saturated
  attention of Merrill et al.).
* `MLP`: ``x += W_out relu(W_in x + b_in) + b_out``.
* `LayerNorm`: normalises the listed directions *in place*
  (``x_d <- g_d (x_d - mu) / sqrt(var + eps) + b_d``, biased variance, as torch).

A transformer may be *looped* (its blocks form a loop body, applied once per
step: Giannou et al.), and may *generate* (its read-out at the last position is
fed back as the next input, as a token by argmax or as a vector: Pérez et al.),
reading an `encoder`'s final stream through cross-attention heads.

Nodes are frozen, keyword-only dataclasses validated when built; every node has
a label (a Python identifier, unique in its transformer) that names its torch
parameters and appears in errors. Backend code never lives here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

import sympy

from compilers.ir.values import FrozenDict, IRError, Matrix, names, to_fraction, vector

I, N = sympy.symbols("i n", integer=True, nonnegative=True)  # noqa: E741
"""The position (0-based) and the input length, the two symbols of formulas."""

_LABEL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _label(label: str, kind: str) -> None:
    if not isinstance(label, str) or not _LABEL.match(label):
        raise IRError(f"{kind} label {label!r} must be a Python identifier")


def formula(value, *, where: str, symbols: tuple = (I, N)) -> sympy.Expr:
    """A sympy expression whose free symbols are among `symbols`."""
    try:
        expr = sympy.sympify(value, locals={"i": I, "n": N})
    except (sympy.SympifyError, TypeError) as error:
        raise IRError(f"{where}: {value!r} is not a formula: {error}") from None
    extra = expr.free_symbols - set(symbols)
    if extra:
        allowed = ", ".join(str(s) for s in symbols)
        raise IRError(f"{where}: formula {expr} uses {sorted(map(str, extra))}; allowed: {allowed}")
    return expr


def _matrix(value: Matrix, *, where: str) -> Matrix:
    if not isinstance(value, Matrix):
        raise IRError(f"{where}: expected a Matrix, got {type(value).__name__}")
    return value


# -- inputs -----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TokenEmbedding:
    """Token ``t`` at any position writes column ``t`` of `table` into the stream."""

    label: str
    tokens: tuple[str, ...]
    table: Matrix  # rows: stream directions; cols: tokens

    def __post_init__(self):
        _label(self.label, "embedding")
        object.__setattr__(self, "tokens", names(self.tokens, where=f"{self.label} tokens"))
        _matrix(self.table, where=self.label)
        if self.table.cols != self.tokens:
            raise IRError(f"{self.label}: table columns {self.table.cols} must be the tokens "
                          f"{self.tokens}")


@dataclass(frozen=True, kw_only=True)
class VectorInput:
    """The input at each position is a vector over `dims`, written into the same directions."""

    label: str
    dims: tuple[str, ...]

    def __post_init__(self):
        _label(self.label, "input")
        object.__setattr__(self, "dims", names(self.dims, where=f"{self.label} dims"))


@dataclass(frozen=True, kw_only=True)
class PositionalEncoding:
    """Direction ``d`` at position ``i`` of an input of length ``n`` holds ``features[d](i, n)``.

    Formulas are sympy expressions in `I` and `N` that must evaluate to
    rationals (``i/n``, ``cos(pi*i)``, ``1/(i+1)**2``, bits of i, ...).
    """

    label: str
    features: FrozenDict  # direction -> sympy.Expr

    def __post_init__(self):
        _label(self.label, "positional encoding")
        clean = {name: formula(expr, where=f"{self.label}[{name!r}]")
                 for name, expr in dict(self.features).items()}
        names(clean, where=f"{self.label} features")
        object.__setattr__(self, "features", FrozenDict(clean))


# -- attention --------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Softmax:
    """``a_ij = softmax_j(scale(n) * s_ij)``; the scale is a positive formula in n."""

    scale: sympy.Expr = sympy.Integer(1)  # noqa: RUF009 - immutable

    def __post_init__(self):
        object.__setattr__(self, "scale", formula(self.scale, where="softmax scale", symbols=(N,)))


@dataclass(frozen=True, kw_only=True)
class Hard:
    """All weight on one maximal score; ties go to the `first` or `last` such position.

    ``tie=None`` states no rule: the construction promises a unique maximum,
    and a tie is an `EvaluationError` in every backend.

    `gap`, if given, is the construction's promise that two scores of one query
    that differ at all differ by at least ``gap(i, n)``; float backends use it
    to tell ties from float error, and to flag a run they cannot trust.
    """

    tie: Literal["first", "last"] | None
    gap: sympy.Expr | None = None

    def __post_init__(self):
        if self.tie not in ("first", "last", None):
            raise IRError(f"hard attention tie rule {self.tie!r}; allowed: 'first', 'last', "
                          "None (a tie is an error)")
        if self.gap is not None:
            object.__setattr__(self, "gap", formula(self.gap, where="hard attention gap"))


@dataclass(frozen=True, kw_only=True)
class AverageHard:
    """Weight spread uniformly over every maximal score (hardmax / saturated attention).

    `gap` as for `Hard`.
    """

    gap: sympy.Expr | None = None

    def __post_init__(self):
        if self.gap is not None:
            object.__setattr__(self, "gap", formula(self.gap, where="average-hard gap"))


AttentionKind = Softmax | Hard | AverageHard

MASKS = ("none", "causal", "strict_causal", "anticausal", "strict_anticausal")
"""The attention masks: which keys j a query at position i sees (see `Head`)."""


@dataclass(frozen=True, kw_only=True)
class Head:
    """One attention head.

    Scores ``s_ij = <Q x_i, K y_j>`` (``score='dot'``) or ``-|<Q x_i, K y_j>|``
    (``score='neg_abs_dot'``, the scoring function of Pérez et al. 2021, Def. 3),
    where ``y`` is this stream (``source='self'``) or the encoder's final stream
    (``source='encoder'``). The mask says which keys query i sees (`MASKS`):
    every j (``'none'``), ``j <= i`` (``'causal'``), ``j < i``
    (``'strict_causal'``), ``j >= i`` (``'anticausal'``) or ``j > i``
    (``'strict_anticausal'``): the Cookbook's future-masked, strict
    future-masked, past-masked and strict past-masked attention (Yang et al.
    2026, Sec. 2.2.2). A query that sees no key (position 0 under a strict
    causal mask, the last position under a strict anticausal one) adds 0. The
    head adds ``sum_j a_ij V y_j`` to the stream (`value` is the combined
    value-output map).
    """

    label: str
    query: Matrix  # rows: head dims; cols: stream directions
    key: Matrix  # rows: head dims; cols: source directions
    value: Matrix  # rows: stream directions written; cols: source directions read
    kind: AttentionKind
    score: Literal["dot", "neg_abs_dot"] = "dot"
    mask: Literal["none", "causal", "strict_causal", "anticausal", "strict_anticausal"] = "none"
    source: Literal["self", "encoder"] = "self"

    def __post_init__(self):
        _label(self.label, "head")
        for part in ("query", "key", "value"):
            _matrix(getattr(self, part), where=f"{self.label}.{part}")
        if self.query.rows != self.key.rows:
            raise IRError(f"{self.label}: query rows {self.query.rows} and key rows "
                          f"{self.key.rows} must be the same head dimensions")
        if not isinstance(self.kind, Softmax | Hard | AverageHard):
            raise IRError(f"{self.label}: attention kind {self.kind!r}; allowed: "
                          "Softmax, Hard, AverageHard")
        for name, allowed in (("score", ("dot", "neg_abs_dot")), ("mask", MASKS),
                              ("source", ("self", "encoder"))):
            if getattr(self, name) not in allowed:
                raise IRError(f"{self.label}: {name} {getattr(self, name)!r}; allowed: {allowed}")
        if self.source == "encoder" and self.mask != "none":
            raise IRError(f"{self.label}: a {self.mask} mask applies to self-attention, not to "
                          "a head reading the encoder")


@dataclass(frozen=True, kw_only=True)
class Attention:
    """Heads applied in parallel to the same stream; their outputs are summed and added."""

    label: str
    heads: tuple[Head, ...]

    def __post_init__(self):
        _label(self.label, "attention")
        object.__setattr__(self, "heads", tuple(self.heads))
        if not self.heads:
            raise IRError(f"{self.label}: an attention block needs at least one head")


# -- feed-forward and normalisation -----------------------------------------


@dataclass(frozen=True, kw_only=True)
class MLP:
    """``x += W_out relu(W_in x + b_in) + b_out`` at every position."""

    label: str
    hidden: tuple[str, ...]
    w_in: Matrix  # rows: hidden; cols: stream directions
    w_out: Matrix  # rows: stream directions; cols: hidden
    b_in: FrozenDict = field(default_factory=FrozenDict)
    b_out: FrozenDict = field(default_factory=FrozenDict)

    def __post_init__(self):
        _label(self.label, "mlp")
        object.__setattr__(self, "hidden", names(self.hidden, where=f"{self.label} hidden"))
        _matrix(self.w_in, where=f"{self.label}.w_in")
        _matrix(self.w_out, where=f"{self.label}.w_out")
        if self.w_in.rows != self.hidden:
            raise IRError(f"{self.label}: w_in rows {self.w_in.rows} must be the hidden units")
        if self.w_out.cols != self.hidden:
            raise IRError(f"{self.label}: w_out columns {self.w_out.cols} must be the hidden units")
        object.__setattr__(self, "b_in", vector(self.b_in, where=f"{self.label}.b_in"))
        object.__setattr__(self, "b_out", vector(self.b_out, where=f"{self.label}.b_out"))
        if set(self.b_in) - set(self.hidden):
            raise IRError(f"{self.label}: b_in names unknown hidden units "
                          f"{sorted(set(self.b_in) - set(self.hidden))}")


@dataclass(frozen=True, kw_only=True)
class LayerNorm:
    """Normalise `dims` in place: ``x_d <- gain_d (x_d - mean) / sqrt(var + eps) + bias_d``.

    Mean and (biased) variance are over `dims` only; other directions are
    untouched. ``eps = 0`` is allowed (Chiang & Cholak 2022, Sec. 5); the run
    then fails loudly at a position where the variance is zero.
    """

    label: str
    dims: tuple[str, ...]
    epsilon: Fraction = Fraction(0)
    gain: FrozenDict = field(default_factory=FrozenDict)  # default 1 for every dim
    bias: FrozenDict = field(default_factory=FrozenDict)  # default 0

    def __post_init__(self):
        _label(self.label, "layer norm")
        object.__setattr__(self, "dims", names(self.dims, where=f"{self.label} dims"))
        if len(self.dims) < 2:
            raise IRError(f"{self.label}: layer norm needs at least 2 directions")
        eps = to_fraction(self.epsilon, where=f"{self.label}.epsilon")
        if eps < 0:
            raise IRError(f"{self.label}: epsilon {eps} must be >= 0")
        object.__setattr__(self, "epsilon", eps)
        gain = {d: 1 for d in self.dims} | dict(self.gain)
        for part, values in (("gain", gain), ("bias", dict(self.bias))):
            unknown = set(values) - set(self.dims)
            if unknown:
                raise IRError(f"{self.label}: {part} names {sorted(unknown)}, not among its dims")
        object.__setattr__(self, "gain", vector(gain, where=f"{self.label}.gain"))
        object.__setattr__(self, "bias", vector(self.bias, where=f"{self.label}.bias"))


Block = Attention | MLP | LayerNorm


# -- read-out and the whole transformer -------------------------------------


@dataclass(frozen=True, kw_only=True)
class Readout:
    """Named outputs ``W x + b`` read at the `first`, the `last` or `all` positions.

    `gap` (for token feedback) is the construction's promise that two token
    outputs that differ at all differ by at least ``gap(i, n)`` at position i:
    float backends use it to tell a tie between tokens from float error.
    """

    label: str
    matrix: Matrix  # rows: output names; cols: stream directions
    bias: FrozenDict = field(default_factory=FrozenDict)
    position: Literal["first", "last", "all"] = "last"
    gap: sympy.Expr | None = None

    def __post_init__(self):
        _label(self.label, "readout")
        if self.gap is not None:
            object.__setattr__(self, "gap", formula(self.gap, where=f"{self.label} gap"))
        _matrix(self.matrix, where=self.label)
        object.__setattr__(self, "bias", vector(self.bias, where=f"{self.label}.bias"))
        if set(self.bias) - set(self.matrix.rows):
            raise IRError(f"{self.label}: bias names unknown outputs "
                          f"{sorted(set(self.bias) - set(self.matrix.rows))}")
        if self.position not in ("first", "last", "all"):
            raise IRError(f"{self.label}: position {self.position!r}; "
                          "allowed: 'first', 'last', 'all'")

    @property
    def outputs(self) -> tuple[str, ...]:
        return self.matrix.rows


@dataclass(frozen=True, kw_only=True)
class Transformer:
    """A whole construction (see the module docstring).

    Args:
        label: the construction's name.
        stream: every direction of the residual stream, in order.
        inputs: a `TokenEmbedding` or a `VectorInput`.
        positions: positional features, or None.
        blocks: applied in order (once, or once per loop step if `looped`).
        readout: the outputs.
        looped: the blocks form a loop body (Giannou et al. 2023).
        encoder: a transformer whose final stream `source='encoder'` heads read.
        feedback: for generation, how the read-out at the last position becomes
            the next input: 'token' (argmax over outputs named as the embedding's
            tokens) or 'vector' (the outputs named as the input dims; further
            outputs are observations, read but not fed back).
    """

    label: str
    stream: tuple[str, ...]
    inputs: TokenEmbedding | VectorInput
    blocks: tuple[Block, ...]
    readout: Readout
    positions: PositionalEncoding | None = None
    looped: bool = False
    encoder: Transformer | None = None
    feedback: Literal["token", "vector"] | None = None

    def __post_init__(self):
        _label(self.label, "transformer")
        object.__setattr__(self, "stream", names(self.stream, where=f"{self.label} stream"))
        object.__setattr__(self, "blocks", tuple(self.blocks))
        for block in self.blocks:
            if not isinstance(block, Attention | MLP | LayerNorm):
                raise IRError(f"{self.label}: block {block!r} is not an Attention, MLP or "
                              "LayerNorm")
        if not isinstance(self.inputs, TokenEmbedding | VectorInput):
            raise IRError(f"{self.label}: inputs must be a TokenEmbedding or a VectorInput")
        if self.feedback not in (None, "token", "vector"):
            raise IRError(f"{self.label}: feedback {self.feedback!r}; "
                          "allowed: None, 'token', 'vector'")

    @property
    def width(self) -> int:
        return len(self.stream)

    def heads(self) -> list[Head]:
        return [head for block in self.blocks if isinstance(block, Attention)
                for head in block.heads]
