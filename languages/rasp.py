"""RASP as Tracr defines it: sequence operations, selectors and their reference evaluator.

Weiss, Goldberg & Yahav, "Thinking Like Transformers" (ICML 2021, arXiv
2106.06981) define RASP; Lindner et al., "Tracr: Compiled Transformers as a
Laboratory for Interpretability" (NeurIPS 2023, arXiv 2301.05062, section 3)
fix the subset that Tracr compiles and its Python API (``tracr.rasp.rasp``).
This module offers that API under the same names, so that a Tracr program runs
after changing ``from tracr.rasp import rasp`` into ``from languages import
rasp``. On an input ``xs = x_0 ... x_{n-1}`` (a sequence of tokens, 0-based):

* an S-op is a function from ``xs`` to a sequence of n values: `tokens`
  (``x_i``), `indices` (``i``), `length` (``n``), ``Map(f, s)`` (``f(s_i)``),
  ``SequenceMap(f, s, t)`` (``f(s_i, t_i)``), ``LinearSequenceMap(s, t, a,
  b)`` (``a s_i + b t_i``), ``Full(c)`` and ``ConstantSOp([c_0, ...])``;
  ``SelectorWidth(S)`` (``#{j : S[i][j]}``) and ``Aggregate(S, s, default)``
  (the mean of ``s_j`` over the j with ``S[i][j]``, ``default`` where there is
  none; a single selected value is returned as it is);
* a selector is a function from ``xs`` to an n x n Boolean matrix, indexed
  ``[query i][key j]``: ``Select(keys, queries, predicate)`` is
  ``predicate(keys_j, queries_i)``, and ``SelectorAnd``, ``SelectorOr``,
  ``SelectorNot`` and ``ConstantSelector`` combine or fix such matrices.

`Comparison` names the predicates Tracr compiles (``EQ``, ``LT``, ``LEQ``,
``GT``, ``GEQ``, ``NEQ``, ``TRUE``, ``FALSE``), each called as ``(key,
query)``: ``LT`` is ``key < query``. Every expression carries annotations: a
``name`` (``.named``, default by class) and, for an S-op, an ``encoding``
(`categorical` by default, or `numerical`); ``expr.label`` is
``name_<unique id>`` (``tokens``, ``indices``, ``length`` for the
primitives). A ``None`` value propagates through ``Map`` and ``SequenceMap``
without calling their function, as in Tracr.

`evaluate` is Tracr's ``rasp.evaluate``, value for value (the encoding does not
change a value; a categorical aggregate of several equal numbers is their mean,
as in Tracr), with two keyword-only additions: ``causal=True`` masks every
selector to ``j <= i`` (Tracr's ``causal_eval``), and ``exact=True`` takes
means as `fractions.Fraction` instead of floats. Each shared sub-expression is
evaluated once (Tracr re-evaluates it at every use).

Deviations from Tracr, all on malformed input or internals: construction errors
raise `RaspError` (a `ValueError`) naming the bad value, not ``AssertionError``;
``other | sop`` computes ``other or x`` (Tracr computes ``x or other``);
`annotate` gives the copy a fresh unique id even when the original's id was
already read. Unique ids come from one counter per process, as in Tracr, so
labels differ between runs that build expressions in a different order; only
their uniqueness is promised.

Not checked here: whether a program is well typed for compilation (a numerical
aggregate of a categorical S-op, a numerical selector key, ...); that is the
compiler's business, as in Tracr.
"""

from __future__ import annotations

import collections.abc
import copy
import enum
import itertools
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Any, TypeVar

from languages.brasp import RaspError

Value = Any
"""A value of an S-op at one position: None, a bool, an int, a float, a str, a tuple, ..."""
SelectorValue = list[list[bool]]
NumericValue = int | float
Predicate = Callable[[Value, Value], bool]
"""A `Select` predicate, called as ``(key, query)``."""
T = TypeVar("T", bound="RASPExpr")

_ids = itertools.count(1)

DEFAULT_ANNOTATORS: dict[str, Callable[[RASPExpr], Any]] = {}
"""Default annotation by key, computed the first time an expression is asked for it."""


class _Annotations(collections.abc.Mapping):
    """An expression's annotations: read-only; a missing key with a default annotator is
    filled in when first read."""

    def __init__(self, expr: RASPExpr, values: Mapping[str, Any]):
        self._expr = expr
        self._values = dict(values)

    def __getitem__(self, key: str) -> Any:
        if key not in self._values:
            if key not in DEFAULT_ANNOTATORS:
                known = sorted(set(self._values) | set(DEFAULT_ANNOTATORS))
                raise KeyError(f"no annotation {key!r}; known: {known}")
            self._values[key] = DEFAULT_ANNOTATORS[key](self._expr)
        return self._values[key]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


class RASPExpr:
    """A RASP expression: an S-op or a selector (see the module docstring)."""

    def __init__(self):
        self._annotations = _Annotations(self, {})
        self.unique_id = next(_ids)

    @property
    def annotations(self) -> Mapping[str, Any]:
        return self._annotations

    @annotations.setter
    def annotations(self, values: Mapping[str, Any]) -> None:
        self._annotations = _Annotations(self, values)

    @property
    def name(self) -> str:
        return self.annotations["name"]

    @property
    def label(self) -> str:
        """``name_<unique id>``: unique among the expressions of this process."""
        return f"{self.name}_{self.unique_id}"

    @property
    def children(self) -> list[RASPExpr]:
        """The expressions this one reads, in Tracr's order."""
        return []

    def copy(self: T) -> T:
        """A shallow copy with a new unique id (and the same annotations)."""
        new = copy.copy(self)
        new.unique_id = next(_ids)
        new._annotations = _Annotations(new, dict(self._annotations._values))
        return new

    def named(self: T, name: str) -> T:
        """A copy named `name`."""
        return annotate(self, name=name)

    def annotated(self: T, **annotations) -> T:
        """A copy with `annotations` added (replacing those of the same keys)."""
        return annotate(self, **annotations)

    def __call__(self, xs: Sequence[Value]):
        return evaluate(self, xs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.label})"


def annotate(expr: T, **annotations) -> T:
    """A copy of `expr` with `annotations` added to its own (new ones win)."""
    if not isinstance(expr, RASPExpr):
        raise RaspError(f"annotate: {expr!r} is not a RASP expression")
    new = expr.copy()
    new.annotations = {**expr.annotations, **annotations}
    return new


def _need(value, kind: type, where: str, what: str) -> None:
    if not isinstance(value, kind):
        raise RaspError(f"{where}: {what} must be a {kind.__name__}, got {value!r}")


def _need_function(f, where: str) -> None:
    if not callable(f) or isinstance(f, RASPExpr):
        raise RaspError(f"{where}: the function must be a Python callable, got {f!r}")


# -- S-ops ---------------------------------------------------------------------------------


class SOp(RASPExpr):
    """A sequence operation: one value per position. Comparison and arithmetic operators
    with a constant build a `Map`, with another S-op a `SequenceMap` (as in Tracr, so
    ``sop == "a"`` is an S-op, not a bool; S-ops hash by identity)."""

    __hash__ = RASPExpr.__hash__

    def __lt__(self, other):
        return Map(lambda x: x < other, self)

    def __le__(self, other):
        return Map(lambda x: x <= other, self)

    def __eq__(self, other):  # type: ignore[override]
        return Map(lambda x: x == other, self)

    def __ne__(self, other):  # type: ignore[override]
        return Map(lambda x: x != other, self)

    def __gt__(self, other):
        return Map(lambda x: x > other, self)

    def __ge__(self, other):
        return Map(lambda x: x >= other, self)

    def __add__(self, other):
        return _binary(self, other, lambda x, y: x + y)

    def __radd__(self, other):
        return _binary(other, self, lambda x, y: x + y)

    def __sub__(self, other):
        return _binary(self, other, lambda x, y: x - y)

    def __rsub__(self, other):
        return _binary(other, self, lambda x, y: x - y)

    def __mul__(self, other):
        return _binary(self, other, lambda x, y: x * y)

    def __rmul__(self, other):
        return _binary(other, self, lambda x, y: x * y)

    def __truediv__(self, other):
        return _binary(self, other, lambda x, y: x / y)

    def __rtruediv__(self, other):
        return _binary(other, self, lambda x, y: x / y)

    def __invert__(self):
        return Map(lambda x: not x, self)

    def __and__(self, other):
        return _binary(self, other, lambda x, y: x and y)

    def __rand__(self, other):
        return _binary(other, self, lambda x, y: x and y)

    def __or__(self, other):
        return _binary(self, other, lambda x, y: x or y)

    def __ror__(self, other):
        return _binary(other, self, lambda x, y: x or y)


def _binary(left, right, f) -> SOp:
    """``f(left, right)`` position-wise: a `SequenceMap` of two S-ops, else a `Map` with
    the constant side fixed."""
    if isinstance(left, SOp) and isinstance(right, SOp):
        return SequenceMap(f, left, right)
    if isinstance(left, SOp):
        return Map(lambda x: f(x, right), left)
    return Map(lambda y: f(left, y), right)


class TokensType(SOp):
    """The input tokens: ``tokens(xs)_i = x_i``."""

    @property
    def label(self) -> str:
        return "tokens"

    def __repr__(self) -> str:
        return "tokens"


class IndicesType(SOp):
    """The positions: ``indices(xs)_i = i``."""

    @property
    def label(self) -> str:
        return "indices"

    def __repr__(self) -> str:
        return "indices"


class LengthType(SOp):
    """The input length at every position: ``length(xs)_i = n`` (Tracr's compiler does
    not take this primitive; `languages.rasp_lib.make_length` builds it from a selector)."""

    @property
    def label(self) -> str:
        return "length"

    def __repr__(self) -> str:
        return "length"


tokens = TokensType()
indices = IndicesType()
length = LengthType()


class Map(SOp):
    """``f(inner_i)`` at every position (None stays None). With ``simplify`` (the
    default), a Map of a Map becomes one Map of the composed function, as in Tracr."""

    def __init__(self, f: Callable[[Value], Value], inner: SOp, simplify: bool = True):
        super().__init__()
        _need_function(f, "Map")
        _need(inner, SOp, "Map", "inner")
        self.f, self.inner = f, inner
        if simplify and isinstance(inner, Map):
            inner_f = inner.f
            self.f = lambda x: f(inner_f(x))
            self.inner = inner.inner

    @property
    def children(self) -> list[RASPExpr]:
        return [self.inner]


class SequenceMap(SOp):
    """``f(fst_i, snd_i)`` at every position (None where either is None)."""

    def __init__(self, f: Callable[[Value, Value], Value], fst: SOp, snd: SOp):
        super().__init__()
        _need_function(f, type(self).__name__)
        _need(fst, SOp, type(self).__name__, "fst")
        _need(snd, SOp, type(self).__name__, "snd")
        self.f, self.fst, self.snd = f, fst, snd

    @property
    def children(self) -> list[RASPExpr]:
        return [self.fst, self.snd]


class LinearSequenceMap(SequenceMap):
    """``fst_fac * fst_i + snd_fac * snd_i`` at every position."""

    def __init__(self, fst: SOp, snd: SOp, fst_fac: float, snd_fac: float):
        for factor in (fst_fac, snd_fac):
            if isinstance(factor, bool) or not isinstance(factor, int | float | Fraction):
                raise RaspError(f"LinearSequenceMap: a factor must be a number, got "
                                f"{factor!r}")
        super().__init__(lambda x, y: fst_fac * x + snd_fac * y, fst, snd)
        self.fst_fac, self.snd_fac = fst_fac, snd_fac


class Full(SOp):
    """``fill`` at every position."""

    def __init__(self, fill: Value):
        super().__init__()
        self.fill = fill


class ConstantSOp(SOp):
    """The fixed sequence ``value`` (whose length must be the input's if
    ``check_length``)."""

    def __init__(self, value: Sequence[Value], check_length: bool = True):
        super().__init__()
        self.value, self.check_length = value, check_length


def sop_not(sop: SOp) -> SOp:
    """``not sop_i`` at every position."""
    return Map(lambda x: not x, sop)


# -- selectors -----------------------------------------------------------------------------


class Comparison(enum.Enum):
    """A predicate of a `Select`, called as ``(key, query)``."""

    EQ = "=="
    LT = "<"
    LEQ = "<="
    GT = ">"
    GEQ = ">="
    NEQ = "!="
    TRUE = "True"
    FALSE = "False"

    def __call__(self, key: Value, query: Value) -> bool:
        if key is None or query is None:
            raise RaspError(f"Comparison.{self.name} of key {key!r} and query {query!r}: "
                            "neither may be None")
        return _COMPARE[self](key, query)


_COMPARE = {
    Comparison.EQ: lambda key, query: key == query,
    Comparison.LT: lambda key, query: key < query,
    Comparison.LEQ: lambda key, query: key <= query,
    Comparison.GT: lambda key, query: key > query,
    Comparison.GEQ: lambda key, query: key >= query,
    Comparison.NEQ: lambda key, query: key != query,
    Comparison.TRUE: lambda key, query: True,
    Comparison.FALSE: lambda key, query: False,
}


class Selector(RASPExpr):
    """An n x n Boolean matrix, ``[query i][key j]``; ``&``, ``|`` and ``~`` combine
    selectors (merging two Selects over the same S-ops into one, as in Tracr)."""

    def __and__(self, other):
        return selector_and(self, other)

    def __rand__(self, other):
        return selector_and(other, self)

    def __or__(self, other):
        return selector_or(self, other)

    def __ror__(self, other):
        return selector_or(other, self)

    def __invert__(self):
        return selector_not(self)


class Select(Selector):
    """``predicate(keys_j, queries_i)`` at row i, column j."""

    def __init__(self, keys: SOp, queries: SOp, predicate: Callable[[Value, Value], bool]):
        super().__init__()
        _need(keys, SOp, "Select", "keys")
        _need(queries, SOp, "Select", "queries")
        _need_function(predicate, "Select")
        self.keys, self.queries, self.predicate = keys, queries, predicate

    @property
    def children(self) -> list[RASPExpr]:
        return [self.keys, self.queries]


class ConstantSelector(Selector):
    """The fixed matrix ``value`` (n x n for the input's n if ``check_length``)."""

    def __init__(self, value: SelectorValue, check_length: bool = True):
        super().__init__()
        self.value, self.check_length = value, check_length


class SelectorAnd(Selector):
    """``fst[i][j] and snd[i][j]``."""

    def __init__(self, fst: Selector, snd: Selector):
        super().__init__()
        _need(fst, Selector, "SelectorAnd", "fst")
        _need(snd, Selector, "SelectorAnd", "snd")
        self.fst, self.snd = fst, snd

    @property
    def children(self) -> list[RASPExpr]:
        return [self.fst, self.snd]


class SelectorOr(Selector):
    """``fst[i][j] or snd[i][j]``."""

    def __init__(self, fst: Selector, snd: Selector):
        super().__init__()
        _need(fst, Selector, "SelectorOr", "fst")
        _need(snd, Selector, "SelectorOr", "snd")
        self.fst, self.snd = fst, snd

    @property
    def children(self) -> list[RASPExpr]:
        return [self.fst, self.snd]


class SelectorNot(Selector):
    """``not inner[i][j]``."""

    def __init__(self, inner: Selector):
        super().__init__()
        _need(inner, Selector, "SelectorNot", "inner")
        self.inner = inner

    @property
    def children(self) -> list[RASPExpr]:
        return [self.inner]


def selector_not(inner: Selector, simplify: bool = True) -> Selector:
    """``~inner``: a `Select` with the negated predicate if `inner` is a Select and
    ``simplify``, else a `SelectorNot`."""
    if simplify and isinstance(inner, Select):
        p = inner.predicate
        return Select(inner.keys, inner.queries, lambda k, q: not p(k, q))
    return SelectorNot(inner)


def selector_and(fst: Selector, snd: Selector, simplify: bool = True) -> Selector:
    """``fst & snd``: one `Select` where `_merge` can, else a `SelectorAnd`."""
    merged = _merge(fst, snd, lambda a, b: a and b) if simplify else None
    return merged if merged is not None else SelectorAnd(fst, snd)


def selector_or(fst: Selector, snd: Selector, simplify: bool = True) -> Selector:
    """``fst | snd``: one `Select` where `_merge` can, else a `SelectorOr`."""
    merged = _merge(fst, snd, lambda a, b: a or b) if simplify else None
    return merged if merged is not None else SelectorOr(fst, snd)


def _merge(fst, snd, combine) -> Select | None:
    """Two Selects over the same keys and the same queries (a `Full` on one side matches
    any S-op on the other, its fill baked into the predicate) as one Select of the
    combined predicate; None if they do not match (Tracr's rule)."""
    if not (isinstance(fst, Select) and isinstance(snd, Select)):
        return None
    p, q = fst.predicate, snd.predicate
    keys = queries = None
    if isinstance(fst.keys, Full):
        keys, p = snd.keys, (lambda k, qu, p=p, c=fst.keys.fill: p(c, qu))
    if isinstance(snd.keys, Full):
        keys, q = fst.keys, (lambda k, qu, q=q, c=snd.keys.fill: q(c, qu))
    if isinstance(fst.queries, Full):
        queries, p = snd.queries, (lambda k, qu, p=p, c=fst.queries.fill: p(k, c))
    if isinstance(snd.queries, Full):
        queries, q = fst.queries, (lambda k, qu, q=q, c=snd.queries.fill: q(k, c))
    if fst.keys is snd.keys:
        keys = fst.keys
    if fst.queries is snd.queries:
        queries = fst.queries
    if keys is None or queries is None:
        return None
    return Select(keys, queries, lambda k, qu: combine(p(k, qu), q(k, qu)))


class SelectorWidth(SOp):
    """``#{j : selector[i][j]}`` at every position i."""

    def __init__(self, selector: Selector):
        super().__init__()
        _need(selector, Selector, "SelectorWidth", "selector")
        self.selector = selector

    @property
    def children(self) -> list[RASPExpr]:
        return [self.selector]


class Aggregate(SOp):
    """The mean of ``sop_j`` over the j with ``selector[i][j]``, or ``default`` where
    there is none (a single selected value as it is; see the module docstring)."""

    def __init__(self, selector: Selector, sop: SOp, default: Value = None):
        super().__init__()
        _need(selector, Selector, "Aggregate", "selector")
        _need(sop, SOp, "Aggregate", "sop")
        if default is not None and not isinstance(default, str | float | bool | int):
            raise RaspError(f"Aggregate: default must be None, a str, a bool, an int or a "
                            f"float, got {default!r}")
        self.selector, self.sop, self.default = selector, sop, default

    @property
    def children(self) -> list[RASPExpr]:
        return [self.selector, self.sop]


# -- encodings and names -------------------------------------------------------------------


class Encoding(enum.Enum):
    """How an S-op is held in the residual stream: one direction per value (categorical)
    or its value along one direction (numerical; numbers only)."""

    CATEGORICAL = "categorical"
    NUMERICAL = "numerical"


def numerical(sop: SOp) -> SOp:
    """A copy of `sop` with the numerical encoding."""
    _need(sop, SOp, "numerical", "the argument")
    return annotate(sop, encoding=Encoding.NUMERICAL)


def categorical(sop: SOp) -> SOp:
    """A copy of `sop` with the categorical encoding."""
    _need(sop, SOp, "categorical", "the argument")
    return annotate(sop, encoding=Encoding.CATEGORICAL)


def get_encoding(sop: SOp) -> Encoding:
    return sop.annotations["encoding"]


def is_numerical(sop: SOp) -> bool:
    return get_encoding(sop) == Encoding.NUMERICAL


def is_categorical(sop: SOp) -> bool:
    return get_encoding(sop) == Encoding.CATEGORICAL


def _default_encoding(expr: RASPExpr) -> Encoding:
    if not isinstance(expr, SOp):
        raise RaspError(f"{expr!r} is a selector; only an S-op has an encoding")
    return Encoding.CATEGORICAL


_DEFAULT_NAMES = (  # subclasses before their bases
    (TokensType, "tokens"), (IndicesType, "indices"), (LengthType, "length"),
    (LinearSequenceMap, "linear_sequence_map"), (SequenceMap, "sequence_map"),
    (Map, "map"), (Full, "full"), (ConstantSOp, "constant_sop"),
    (SelectorWidth, "selector_width"), (Aggregate, "aggregate"), (SOp, "sop"),
    (Select, "select"), (SelectorAnd, "selector_and"), (SelectorOr, "selector_or"),
    (SelectorNot, "selector_not"), (ConstantSelector, "constant_selector"),
    (Selector, "selector"),
)


def _default_name(expr: RASPExpr) -> str:
    for cls, name in _DEFAULT_NAMES:
        if isinstance(expr, cls):
            return name
    raise RaspError(f"{expr!r} is neither an S-op nor a selector")


DEFAULT_ANNOTATORS["encoding"] = _default_encoding
DEFAULT_ANNOTATORS["name"] = _default_name


# -- traversal -----------------------------------------------------------------------------


def topological_order(expr: RASPExpr) -> list[RASPExpr]:
    """Every expression that `expr` reads (itself included), each once (by identity),
    every expression after the ones it reads; `expr` is last."""
    if not isinstance(expr, RASPExpr):
        raise RaspError(f"{expr!r} is not a RASP expression")
    order, seen, stack = [], set(), [(expr, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node.children)
                     if id(child) not in seen)
    return order


# -- the reference evaluator ---------------------------------------------------------------


def _mean(values: list, default: Value, exact: bool) -> Value:
    """Tracr's ``_mean``: the default for none, the value itself for one, the mean for
    several numbers (a `Fraction` if `exact`)."""
    if not values:
        return default
    if len(values) == 1:
        return values[0]
    if not all(isinstance(v, int | float | Fraction) for v in values):
        raise RaspError(f"Aggregate of several values {values!r}: only numbers (int, bool, "
                        "float) have a mean")
    if exact:
        return sum(Fraction(v) for v in values) / len(values)
    return sum(values) / len(values)


def _constant(value, n: int, check: bool, what: str):
    if check and len(value) != n:
        raise RaspError(f"{what} has length {len(value)}; the input has length {n}")
    return value


def _pairs(rows, other_rows, combine):
    return [[combine(a, b) for a, b in zip(r, s, strict=False)]
            for r, s in zip(rows, other_rows, strict=False)]


# One rule per class: (expression, input, children's values, exact) -> its value.
RULES: dict[type, Callable[[Any, list, list, bool], Any]] = {
    TokensType: lambda e, xs, val, exact: list(xs),
    IndicesType: lambda e, xs, val, exact: list(range(len(xs))),
    LengthType: lambda e, xs, val, exact: [len(xs)] * len(xs),
    Map: lambda e, xs, val, exact: [None if x is None else e.f(x) for x in val[0]],
    SequenceMap: lambda e, xs, val, exact: [
        None if x is None or y is None else e.f(x, y)
        for x, y in zip(val[0], val[1], strict=False)],
    Full: lambda e, xs, val, exact: [e.fill] * len(xs),
    ConstantSOp: lambda e, xs, val, exact: list(
        _constant(e.value, len(xs), e.check_length, "ConstantSOp")),
    SelectorWidth: lambda e, xs, val, exact: [sum(row) for row in val[0]],
    Aggregate: lambda e, xs, val, exact: [
        _mean([v for s, v in zip(row, val[1], strict=False) if s], e.default, exact)
        for row in val[0]],
    Select: lambda e, xs, val, exact: [[bool(e.predicate(k, q)) for k in val[0]]
                                       for q in val[1]],
    ConstantSelector: lambda e, xs, val, exact: [
        list(row) for row in _constant(e.value, len(xs), e.check_length,
                                       "ConstantSelector")],
    SelectorAnd: lambda e, xs, val, exact: _pairs(val[0], val[1], lambda a, b: a and b),
    SelectorOr: lambda e, xs, val, exact: _pairs(val[0], val[1], lambda a, b: a or b),
    SelectorNot: lambda e, xs, val, exact: [[not a for a in row] for row in val[0]],
}
"""Each class's rule (a subclass without its own rule takes its nearest base's, so
`LinearSequenceMap` is evaluated as the `SequenceMap` it is)."""


def _rule(expr: RASPExpr):
    for cls in type(expr).__mro__:
        if cls in RULES:
            return RULES[cls]
    raise RaspError(f"no evaluation rule for {type(expr).__name__} ({expr!r}); rules exist "
                    f"for {sorted(c.__name__ for c in RULES)}")


def evaluate(expr: RASPExpr, xs: Sequence[Value], *, causal: bool = False,
             exact: bool = False):
    """`expr` on the input `xs`: a list of n values (an S-op) or an n x n list of bools
    indexed ``[query][key]`` (a selector), by Tracr's semantics (module docstring).

    Args:
        expr: the S-op or selector.
        xs: the input tokens (a string is read as its characters).
        causal: mask every selector to ``key <= query`` (Tracr's causal evaluator).
        exact: means of an `Aggregate` as `fractions.Fraction`.

    Raises:
        RaspError: `expr` is not a RASP expression, an aggregate of several values that
            are not numbers, a constant of the wrong length, a None compared.
    """
    xs = list(xs)
    got: dict[int, Any] = {}
    for node in topological_order(expr):
        value = _rule(node)(node, xs, [got[id(c)] for c in node.children], exact)
        if causal and isinstance(node, Selector):
            value = [[bool(s) and j <= i for j, s in enumerate(row)]
                     for i, row in enumerate(value)]
        got[id(node)] = value
    return got[id(expr)]
