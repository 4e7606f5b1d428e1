"""A transformer under construction: the workbench the Cookbook's blocks write into.

A construction written with the library reads like its proof: a short
sequence of block calls, each adding its layer to a `Model` and returning
the named directions it wrote::

    model = Model("majority", tokens=("0", "1", "$"))
    sign = model.token_feature("sign", {"0": -1, "1": 1})
    votes = attention.uniform(model, sign)          # (#1 - #0) / (n + 1) everywhere
    transformer = model.build(readout={"logit": {votes: 10}})

`Model` keeps the residual stream's directions (every name declared once;
`fresh` makes unique ones), the token embedding (or vector inputs), the
positional features, and the blocks in order. A block function adds one IR
block (an `MLP`, an `Attention`, a `LayerNorm`) or a few. Inside ``with
model.parallel():`` the MLPs and attention heads that blocks add are merged
into one MLP and one attention block, so that independent computations share
a layer, as the Cookbook's recipes do (their hidden units and heads simply
sit side by side; each still reads the stream as it was before the layer).

Blocks read *forms*: a direction name, or a mapping from direction names to
exact coefficients, with the key ``1`` for a constant term (``{"x": 2, 1: -3}``
is ``2x - 3``). A block writes to ``out``: None makes a fresh direction named
after the block; a new name is declared; a name already in the stream
receives the block's value *added* to what it holds (the residual connection),
which is the value itself where the direction is still 0 (to overwrite a
direction, clear it in the same layer: `compilers.library.ffn.clear`).

`Units` collects the hidden units of one MLP by name (a unit is
``relu(w . x + b)``; an output direction receives a weighted sum of units)
and holds the ReLU gadgets every feed-forward block is made of (Yang et al.
2026, "The Transformer Cookbook", Sec. 4):

* `identity`: ``x = relu(x) - relu(-x)`` (Sec. 4.3), for any real x, exact;
* `replace` and `clear`: emitting ``new - x`` (or ``-x``) into x cancels the
  residual connection (Sec. 4.2): x holds ``new`` (or exactly 0) afterwards;
* `ge`: the robust step ``[f >= theta]`` of an integer-valued form f known to
  within 1/4 (a comparator of Sec. 4.7 with tolerance 1/2, centred so that an
  error of 1/4 either way is absorbed): ``relu(2(f - theta) + 3/2) -
  relu(2(f - theta) + 1/2)``, exactly 1 for ``f >= theta - 1/4`` and exactly 0
  for ``f <= theta - 3/4``;
* `snap`: ``clamp(2w, -1, 1) = relu(2w + 1) - relu(2w - 1) - 1``, exactly
  ``±1`` for w within 1/2 of ``±1``;
* gating: a *gate* direction (1 where the gadget acts, 0 elsewhere) adds
  ``-K (1 - gate)`` to every pre-activation of the gadget, with
  ``K = 2 (sum_d |w_d| B + |b| + 1) + 2`` above anything the pre-activation
  can reach when every direction read is at most B in absolute value, so that
  off the gate every unit is exactly 0 (Giannou et al. 2023, Sec. 4).

`size` reads off a transformer's layers, heads, width and hidden units.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy

from compilers.errors import CompileError
from compilers.ir import (
    MLP,
    Attention,
    Head,
    LayerNorm,
    PositionalEncoding,
    Readout,
    TokenEmbedding,
    Transformer,
    VectorInput,
    check,
    matrix,
    to_fraction,
)

Form = str | Mapping[Any, Any]
"""A direction, or ``{direction: coefficient, 1: constant}`` (see the module docstring)."""


class LibraryError(CompileError):
    """A block used outside what it supports; the message names the block and the value."""


def number(value, *, where: str) -> Fraction:
    """`value` as an exact `Fraction` (an int, a Fraction, a string such as "1/3", a sympy
    rational), or a `LibraryError` naming `where`."""
    if isinstance(value, bool | float):
        raise LibraryError(f"{where}: {value!r} is not an exact number; write an int, a "
                           "Fraction or a string such as '1/3'")
    try:
        return to_fraction(value, where=where)
    except CompileError as error:
        raise LibraryError(str(error)) from None


def form(value: Form, *, where: str) -> dict:
    """`value` as ``{direction: Fraction}``, with the constant (if any) under the key 1."""
    if isinstance(value, str):
        return {value: Fraction(1)}
    if not isinstance(value, Mapping):
        raise LibraryError(f"{where}: {value!r} is not a direction or a form "
                           "{direction: coefficient}")
    out = {}
    for key, coefficient in value.items():
        if key != 1 and not (isinstance(key, str) and key):
            raise LibraryError(f"{where}: form key {key!r} is neither a direction nor 1")
        number = to_fraction(coefficient, where=f"{where}[{key!r}]")
        if number:
            out[key] = number
    return out


def split(value: Form, *, where: str) -> tuple[dict, Fraction]:
    """A form's linear part ``{direction: Fraction}`` and its constant."""
    terms = form(value, where=where)
    constant = terms.pop(1, Fraction(0))
    return terms, constant


class Units:
    """The hidden units of one MLP, built by name; `mlp()` returns the IR block."""

    def __init__(self, label: str):
        self.label = label
        self.w_in: dict[tuple[str, str], Fraction] = {}
        self.b_in: dict[str, Fraction] = {}
        self.w_out: dict[tuple[str, str], Fraction] = {}
        self.b_out: dict[str, Fraction] = {}
        self.hidden: list[str] = []
        self._gates: dict[str, str] = {}

    def unit(self, weights: Form, bias=0) -> str:
        """A new hidden unit ``relu(sum_d w_d x_d + bias)`` (a form's constant adds to the
        bias); returns its name."""
        name = f"u{len(self.hidden)}"
        self.hidden.append(name)
        terms, constant = split(weights, where=f"{self.label} unit {name}")
        for direction, w in terms.items():
            key = (name, direction)
            self.w_in[key] = self.w_in.get(key, Fraction(0)) + w
        self.b_in[name] = to_fraction(bias, where=f"{self.label} bias") + constant
        return name

    def emit(self, direction: str, terms: Sequence[tuple[str, Any]], scale=1) -> None:
        """Add ``scale * sum coef * unit`` to `direction`."""
        scale = to_fraction(scale, where=f"{self.label} scale")
        for unit, coef in terms:
            key = (direction, unit)
            self.w_out[key] = (self.w_out.get(key, Fraction(0))
                               + to_fraction(coef, where=f"{self.label} output") * scale)

    def constant(self, direction: str, value) -> None:
        """Add the constant `value` to `direction` (the MLP's output bias)."""
        value = to_fraction(value, where=f"{self.label} constant")
        self.b_out[direction] = self.b_out.get(direction, Fraction(0)) + value

    # -- gadgets (see the module docstring) -----------------------------------------

    def identity(self, value: Form) -> list[tuple[str, int]]:
        """Terms that equal the linear part of `value` for any input: ``relu(f) - relu(-f)``."""
        terms, _ = split(value, where=f"{self.label} identity")
        return [(self.unit(terms), 1), (self.unit({d: -w for d, w in terms.items()}), -1)]

    def replace(self, direction: str, terms: Sequence[tuple[str, Any]]) -> None:
        """Emit ``new - x`` into x: after the residual add, x holds the value of `terms`."""
        self.emit(direction, terms)
        self.emit(direction, self.identity(direction), -1)

    def clear(self, direction: str) -> None:
        """Emit ``-x`` into x: exactly 0 afterwards, in floats too (``x - x``)."""
        self.emit(direction, self.identity(direction), -1)

    def gate_term(self, gate: str) -> list[tuple[str, int]]:
        """The gate itself as a unit (``relu(gate) = gate`` for a 0/1 gate), made once."""
        if gate not in self._gates:
            self._gates[gate] = self.unit({gate: 1})
        return [(self._gates[gate], 1)]

    def gated(self, weights: Mapping[str, Any], bias, gate: str | None,
              bound) -> tuple[dict, Fraction]:
        """The pre-activation ``w . x + bias`` pushed below 0 where `gate` is 0, for inputs
        at most `bound` in absolute value (see the module docstring)."""
        bias = to_fraction(bias, where=f"{self.label} bias")
        if gate is None:
            return dict(weights), bias
        if bound is None:
            raise LibraryError(f"{self.label}: a gated unit needs the bound of its inputs")
        bound = to_fraction(bound, where=f"{self.label} bound")
        total = sum((abs(Fraction(w)) for w in weights.values()), Fraction(0))
        big = 2 * (total * bound + abs(bias) + 1) + 2
        return dict(weights) | {gate: Fraction(weights.get(gate, 0)) + big}, bias - big

    def ge(self, value: Form, theta, *, const=0, gate: str | None = None,
           bound=None) -> list[tuple[str, int]]:
        """``[f + const >= theta]`` (0/1) for a form f that is an integer up to 1/4 (0 off
        the gate, for inputs at most `bound` in absolute value)."""
        terms, constant = split(value, where=f"{self.label} ge")
        shift = to_fraction(const, where=f"{self.label} ge") + constant - to_fraction(
            theta, where=f"{self.label} ge")
        weights = {d: 2 * c for d, c in terms.items()}
        out = []
        for offset, sign in ((Fraction(3, 2), 1), (Fraction(1, 2), -1)):
            w, b = self.gated(weights, 2 * shift + offset, gate, bound)
            out.append((self.unit(w, b), sign))
        return out

    def snap(self, direction: str, *, gate: str | None = None,
             bound=None) -> list[tuple[str, int]]:
        """``clamp(2 x, -1, 1)``: exactly ±1 for x within 1/2 of ±1 (0 off the gate)."""
        out = []
        for offset, sign in ((1, 1), (-1, -1)):
            w, b = self.gated({direction: 2}, offset, gate, bound)
            out.append((self.unit(w, b), sign))
        one = self.gate_term(gate) if gate else [(self.unit({}, 1), 1)]
        return out + [(u, -c) for u, c in one]

    def mlp(self) -> MLP:
        hidden = tuple(self.hidden)
        if not hidden:
            raise LibraryError(f"{self.label}: an MLP needs at least one hidden unit")
        rows = tuple(dict.fromkeys([r for (r, _) in self.w_out] + list(self.b_out)))
        return MLP(label=self.label, hidden=hidden,
                   w_in=matrix(self.w_in, rows=hidden,
                               cols=dict.fromkeys(c for (_, c) in self.w_in)),
                   w_out=matrix(self.w_out, rows=rows, cols=hidden),
                   b_in={h: b for h, b in self.b_in.items() if b},
                   b_out={d: b for d, b in self.b_out.items() if b})


class Model:
    """A transformer under construction (see the module docstring).

    Args:
        label: the transformer's label (a Python identifier).
        tokens: the token vocabulary (a token embedding), or None with `dims`.
        dims: the input dims of a model that reads vectors (a `VectorInput`).
    """

    def __init__(self, label: str, *, tokens: Sequence[str] | None = None,
                 dims: Sequence[str] | None = None):
        if (tokens is None) == (dims is None):
            raise LibraryError(f"{label}: give the tokens or the input dims, not both")
        self.label = label
        self.tokens = None if tokens is None else tuple(tokens)
        self.dims = None if dims is None else tuple(dims)
        self.stream: list[str] = list(self.dims or ())
        self.embedding: dict[tuple[str, str], Fraction] = {}
        self.features: dict[str, sympy.Expr] = {}
        self.blocks: list = []
        self.positional = True  # False once `positions.none` declared none
        self._labels: set[str] = {label}  # every node label is unique, the model's too
        self._parallel: list | None = None  # [Units | None, [Head]] while merging

    # -- directions -------------------------------------------------------------

    def new(self, name: str) -> str:
        """Declare the direction `name` (each name once)."""
        if not isinstance(name, str) or not name:
            raise LibraryError(f"{self.label}: direction name {name!r} must be a non-empty "
                               "string")
        if name in self.stream:
            raise LibraryError(f"{self.label}: direction {name!r} is declared twice")
        self.stream.append(name)
        return name

    def fresh(self, prefix: str) -> str:
        """A new direction named `prefix`, or ``prefix_2``, ``prefix_3``, ... if taken."""
        name, k = prefix, 1
        while name in self.stream:
            k += 1
            name = f"{prefix}_{k}"
        return self.new(name)

    def output(self, out: str | None, default: str) -> str:
        """Where a block writes: a fresh direction named `default` (out None), `out` declared
        if new, or `out` as it is (the block's value is added to it)."""
        if out is None:
            return self.fresh(default)
        return out if out in self.stream else self.new(out)

    def require(self, *directions: str, where: str) -> None:
        """Raise unless every direction is declared."""
        missing = [d for d in directions if d not in self.stream]
        if missing:
            raise LibraryError(f"{where}: directions {missing} are not in the stream of "
                               f"{self.label}")

    def block_label(self, prefix: str) -> str:
        """A block or head label not used before (`prefix`, ``prefix_2``, ...)."""
        name, k = prefix, 1
        while name in self._labels:
            k += 1
            name = f"{prefix}_{k}"
        self._labels.add(name)
        return name

    # -- inputs -------------------------------------------------------------------

    def token_feature(self, name: str, values: Mapping[str, Any]) -> str:
        """A direction holding ``values[token]`` at each position (0 for other tokens)."""
        if self.tokens is None:
            raise LibraryError(f"{self.label}: token features need a token vocabulary")
        unknown = sorted(set(values) - set(self.tokens))
        if unknown:
            raise LibraryError(f"{self.label}: token feature {name!r} names tokens {unknown}; "
                               f"the tokens are {list(self.tokens)}")
        direction = self.new(name)
        for token, value in values.items():
            self.embedding[(direction, token)] = to_fraction(value, where=f"{name}[{token!r}]")
        return direction

    def one_hot(self, prefix: str = "is") -> dict[str, str]:
        """One direction per token, 1 where that token is: ``{token: direction}``."""
        return {t: self.token_feature(f"{prefix}_{_safe(t)}", {t: 1}) for t in self.tokens}

    def position(self, name: str, formula) -> str:
        """A direction holding ``formula(i, n)`` at position i of an input of length n."""
        if not self.positional:
            raise LibraryError(f"{self.label}: positional feature {name!r}, but the model "
                               "declared no positional encoding (positions.none)")
        direction = self.new(name)
        self.features[direction] = formula
        return direction

    def one(self) -> str:
        """The direction ``one``, 1 at every position (declared once, as a positional feature
        or, without positional encoding, by every token): the constant that queries and
        keys, which have no bias, read."""
        if "one" in self.stream:
            return "one"
        if self.positional:
            return self.position("one", 1)
        if self.tokens is None:
            raise LibraryError(f"{self.label}: a model without positional encoding that reads "
                               "vectors has no constant direction; give it an input dim 'one'")
        return self.token_feature("one", dict.fromkeys(self.tokens, 1))  # every token writes it

    # -- blocks ---------------------------------------------------------------------

    def units(self, prefix: str) -> Units:
        """A `Units` for one MLP; inside `parallel`, the shared one."""
        if self._parallel is not None:
            if self._parallel[0] is None:
                self._parallel[0] = Units(self.block_label(prefix))
            return self._parallel[0]
        return Units(self.block_label(prefix))

    def add_mlp(self, units: Units) -> None:
        """Append the MLP of `units` (inside `parallel`: added when the layer closes)."""
        if self._parallel is None or self._parallel[0] is not units:
            self.blocks.append(units.mlp())

    @contextmanager
    def mlp(self, prefix: str) -> Iterator[Units]:
        """``with model.mlp("and") as units:`` builds one MLP, appended at the end (inside
        `parallel`, the shared one)."""
        units = self.units(prefix)
        yield units
        self.add_mlp(units)

    def add_heads(self, prefix: str, heads: Sequence[Head]) -> None:
        """Append an attention block of `heads` (inside `parallel`: one shared block)."""
        if self._parallel is not None:
            self._parallel[1].extend(heads)
        else:
            self.blocks.append(Attention(label=self.block_label(prefix), heads=tuple(heads)))

    def add(self, block) -> None:
        """Append an IR block (`MLP`, `Attention`, `LayerNorm`) as it is."""
        if self._parallel is not None:
            raise LibraryError(f"{self.label}: block {block.label} cannot join a parallel "
                               "layer (only MLPs and heads merge)")
        self.blocks.append(block)

    @property
    def in_parallel(self) -> bool:
        """Whether blocks are being merged into one layer (inside `parallel`)."""
        return self._parallel is not None

    @contextmanager
    def parallel(self, prefix: str = "layer") -> Iterator[Model]:
        """Merge the MLPs and the heads that blocks add inside into one MLP and one
        attention block (attention first, as a transformer layer has it)."""
        if self._parallel is not None:
            raise LibraryError(f"{self.label}: parallel layers do not nest")
        self._parallel = [None, []]
        try:
            yield self
        finally:
            units, heads = self._parallel
            self._parallel = None
        if heads:
            self.blocks.append(Attention(label=self.block_label(f"{prefix}_attn"),
                                         heads=tuple(heads)))
        if units is not None:
            self.blocks.append(units.mlp())

    # -- the whole ------------------------------------------------------------------

    def build(self, readout: Mapping[str, Mapping[str, Any]], *, position: str = "last",
              bias: Mapping[str, Any] | None = None, **transformer: Any) -> Transformer:
        """The checked `Transformer`, read out as ``output = sum_d w_d x_d + bias``."""
        cols = tuple(dict.fromkeys(d for weights in readout.values() for d in weights))
        entries = {(o, d): w for o, weights in readout.items() for d, w in weights.items()}
        read = Readout(label=self.block_label("out"), position=position,
                       matrix=matrix(entries, rows=tuple(readout), cols=cols),
                       bias=dict(bias or {}))
        if self.tokens is not None:
            rows = tuple(dict.fromkeys(r for (r, _) in self.embedding)) or tuple(self.stream[:1])
            inputs = TokenEmbedding(label=self.block_label("embed"), tokens=self.tokens,
                                    table=matrix(self.embedding, rows=rows, cols=self.tokens))
        else:
            inputs = VectorInput(label=self.block_label("inputs"), dims=self.dims)
        positions = (PositionalEncoding(label=self.block_label("positions"),
                                        features=self.features) if self.features else None)
        return check(Transformer(label=self.label, stream=tuple(self.stream), inputs=inputs,
                                 positions=positions, blocks=tuple(self.blocks),
                                 readout=read, **transformer))


@dataclass(frozen=True)
class Size:
    """A transformer's size, as the Cookbook counts it.

    Attributes:
        layers: transformer layers, an attention sublayer and an MLP sublayer each
            (Yang et al. 2026, Def. 2.2; a lone sublayer is a layer).
        heads: attention heads, all layers together.
        width: directions of the residual stream.
        hidden: hidden units, all MLPs together.
        norms: layer norms.
    """

    layers: int
    heads: int
    width: int
    hidden: int
    norms: int


def size(transformer: Transformer) -> Size:
    """The `Size` of `transformer` (its encoder not counted)."""
    layers, open_attention, open_mlp = 0, False, False
    for block in transformer.blocks:
        if isinstance(block, Attention):
            if open_attention or open_mlp or not layers:
                layers, open_mlp = layers + 1, False
            open_attention = True
        elif isinstance(block, MLP):
            if open_mlp or not layers:
                layers, open_attention = layers + 1, False
            open_mlp = True
    return Size(layers=layers, heads=len(transformer.heads()), width=transformer.width,
                hidden=sum(len(b.hidden) for b in transformer.blocks if isinstance(b, MLP)),
                norms=sum(isinstance(b, LayerNorm) for b in transformer.blocks))


def _safe(token: str) -> str:
    """A direction-name fragment for a token (letters and digits kept, others by code)."""
    return token if token.isidentifier() or token.isalnum() else f"t{ord(token[0])}"
