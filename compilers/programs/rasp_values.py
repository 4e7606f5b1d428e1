"""The values each S-op of a RASP program can take, over a vocabulary and a maximum length.

Tracr's basis inference (Lindner et al. 2023, arXiv 2301.05062, Sec. 3.2,
``compiler/basis_inference.py``) gives every S-op the finite set of values
it can take on inputs over a vocabulary V of at most N tokens: `tokens` V,
`indices` ``{0 .. N-1}``, `length` ``{1 .. N}``, ``SelectorWidth``
``{0 .. N}``, ``Full(c)`` ``{c}``, ``Map(f, s)`` ``f(values(s))``,
``SequenceMap(f, s, t)`` ``f(values(s) x values(t))`` (a function that raises
an arithmetic error, or gives None, on a pair contributes nothing), a
categorical ``Aggregate`` the values of its S-op (and its default). The
compiler needs these sets to build exact lookup tables (categorical) and
exact piecewise-linear functions (numerical) on them.

Where this differs from Tracr, on purpose (its sets are wrong there):

1. A numerical ``Aggregate`` is the mean of the selected values: its set is
   every mean ``S/w`` of a multiset of w values of its S-op, w = 1 .. N, and
   the default (Tracr's ``{x/w}`` for x in the S-op's values is exact only for
   one selected 1, and it refuses anything but 0/1 values).
2. Means keep their width. Two numerical aggregates over the *same* selector
   (equal by structure: the same key and query S-ops, the same predicate)
   select the same positions, so at any position they divide by the same w.
   A value set is therefore kept, where it helps, as `Grouped`: for each width
   w (0 for "nothing selected": the default), the values possible at width
   w. A ``Map`` acts group by group; a ``SequenceMap`` of two S-ops grouped by
   the same selector pairs values of the same width only. This is what makes
   ``opens - closes`` of Tracr's ``make_pair_balance`` a set of about N^2 values
   ``d/w`` rather than the N^4 pairs of two independent fraction sets.

A set larger than `MAX_VALUES` is not built: the S-op's set is None
(unknown), and the compiler refuses, naming the S-op, only where a table
would need it.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction

from compilers.programs.booleans import ProgramCompileError
from languages import rasp

MAX_VALUES = 1 << 16
"""The largest value set built (a numerical table has at most this many breakpoints)."""


@dataclass(frozen=True)
class Grouped:
    """Values by the width of a selector: ``groups[w]`` is what is possible where that
    selector selects w positions (w = 0: nothing selected). `selector` is the
    selector's structural key (`selector_key`)."""

    selector: tuple
    groups: dict

    def flat(self) -> frozenset:
        return frozenset(v for values in self.groups.values() for v in values)


def selector_key(selector) -> tuple:
    """Equal for selectors that select the same positions on every input: the same
    key and query S-ops (by identity) and the same predicate, recursively."""
    if isinstance(selector, rasp.Select):
        return ("select", id(selector.keys), id(selector.queries), selector.predicate)
    if isinstance(selector, rasp.SelectorAnd | rasp.SelectorOr):
        return (type(selector).__name__, selector_key(selector.fst), selector_key(selector.snd))
    if isinstance(selector, rasp.SelectorNot):
        return ("not", selector_key(selector.inner))
    return ("other", id(selector))


def flat(values) -> frozenset | None:
    """A value set as a plain set (None stays None)."""
    return values.flat() if isinstance(values, Grouped) else values


def number(value) -> Fraction:
    """A numerical value as an exact Fraction (a bool as 0 or 1, a float as its exact
    binary value); `ProgramCompileError` for a value that is not a number."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool | int | float):
        return Fraction(value)
    raise ProgramCompileError(f"RASP compiler: value {value!r} is not a number; a numerical "
                              "S-op holds numbers only")


def _capped(values) -> frozenset | None:
    values = frozenset(v for v in values if v is not None)
    return values if len(values) <= MAX_VALUES else None


class ValueSets:
    """The value set of every S-op a program reads (see the module docstring), computed
    once per S-op on demand; `of(sop)` is a `frozenset`, a `Grouped` or None."""

    def __init__(self, vocab, max_seq_len: int):
        self.vocab = frozenset(vocab)
        self.max_seq_len = max_seq_len
        self.known: dict[int, object] = {}

    def of(self, sop):
        if id(sop) not in self.known:
            self.known[id(sop)] = self._infer(sop)
        return self.known[id(sop)]

    def flat(self, sop) -> frozenset | None:
        return flat(self.of(sop))

    def _infer(self, sop):
        n = self.max_seq_len
        if isinstance(sop, rasp.TokensType):
            return self.vocab
        if isinstance(sop, rasp.IndicesType):
            return frozenset(range(n))
        if isinstance(sop, rasp.LengthType):
            return frozenset(range(1, n + 1))
        if isinstance(sop, rasp.SelectorWidth):
            return frozenset(range(n + 1))
        if isinstance(sop, rasp.Full):
            return frozenset([sop.fill])
        if isinstance(sop, rasp.Map):
            inner = self.of(sop.inner)
            return _map(inner, lambda x: call(sop.f, x))
        if isinstance(sop, rasp.SequenceMap):
            return self._pairs(sop)
        if isinstance(sop, rasp.Aggregate):
            return self._aggregate(sop)
        raise ProgramCompileError(f"RASP compiler: {type(sop).__name__} {sop.label} is not "
                                  "compiled (allowed: tokens, indices, length, Map, "
                                  "SequenceMap, LinearSequenceMap, Full, Aggregate, "
                                  "SelectorWidth)")

    def _pairs(self, sop):
        fst, snd = self.of(sop.fst), self.of(sop.snd)
        if fst is None or snd is None:
            return None

        def f(x, y):
            return call(sop.f, x, y)
        product = _product
        if isinstance(sop, rasp.LinearSequenceMap) and all(
                _exact(factor) for factor in (sop.fst_fac, sop.snd_fac)):
            def product(xs, ys, f):
                return _linear_product(xs, ys, f, sop.fst_fac, sop.snd_fac)
        if (isinstance(fst, Grouped) and isinstance(snd, Grouped)
                and fst.selector == snd.selector):
            groups = {}
            for w in fst.groups.keys() & snd.groups.keys():
                out = product(fst.groups[w], snd.groups[w], f)
                if out is None:
                    return None
                groups[w] = out
            return _grouped(fst.selector, groups)
        if isinstance(fst, Grouped) and not isinstance(snd, Grouped):
            return _each(fst, lambda g: product(g, snd, f))
        if isinstance(snd, Grouped) and not isinstance(fst, Grouped):
            return _each(snd, lambda g: product(fst, g, f))
        return product(flat(fst), flat(snd), f)

    def _aggregate(self, sop):
        inner = self.flat(sop.sop)
        default = sop.default
        if rasp.is_categorical(sop):
            if inner is None:
                return None
            return _capped(inner | ({default} if default is not None else set()))
        if inner is None:
            return None
        values = sorted({number(v) for v in inner})
        groups = {0: frozenset([number(default if default is not None else 0)])}
        sums = {Fraction(0)}
        total = 0
        for w in range(1, self.max_seq_len + 1):
            sums = {s + v for s in sums for v in values}
            total += len(sums)
            if total > MAX_VALUES:
                return None
            groups[w] = frozenset(s / w for s in sums)
        return _grouped(selector_key(sop.selector), groups)


def _grouped(selector: tuple, groups: dict):
    out = Grouped(selector, {w: frozenset(v) for w, v in groups.items()})
    return out if sum(len(v) for v in out.groups.values()) <= MAX_VALUES else None


def _map(values, f):
    if values is None:
        return None
    if isinstance(values, Grouped):
        return _each(values, lambda g: _capped(f(x) for x in g))
    return _capped(f(x) for x in values)


def _each(values: Grouped, f):
    groups = {}
    for w, g in values.groups.items():
        out = f(g)
        if out is None:
            return None
        groups[w] = out
    return _grouped(values.selector, groups)


def _product(fst, snd, f) -> frozenset | None:
    if fst is None or snd is None or len(fst) * len(snd) > MAX_VALUES * 16:
        return None
    return _capped(f(x, y) for x, y in itertools.product(fst, snd))


def _exact(value) -> bool:
    """An int (not a bool) or a Fraction: arithmetic on it is exact and stays so."""
    return isinstance(value, Fraction) or (isinstance(value, int) and not isinstance(value, bool))


def _linear_product(fst, snd, f, a, b) -> frozenset | None:
    """`_product` for ``f(x, y) = a x + b y`` with exact factors (`LinearSequenceMap`):
    every value over one common denominator D, so that the pairs' sums are sums of
    integers (``a x D + b y D``), each distinct sum made a Fraction once: the same set
    as `_product` (which costs two Fraction products and a sum per pair: pair_balance's
    ``opens - closes`` at N = 128 has some 700,000 pairs). Values that are not exact
    numbers (floats, None, strings) go to `_product` itself."""
    if fst is None or snd is None or len(fst) * len(snd) > MAX_VALUES * 16:
        return None
    if not all(_exact(v) for v in itertools.chain(fst, snd)):
        return _product(fst, snd, f)
    ints = all(isinstance(v, int) for v in (a, b, *fst, *snd))  # then f gives ints
    a, b = Fraction(a), Fraction(b)
    den = math.lcm(a.denominator * math.lcm(*(Fraction(v).denominator for v in fst)),
                   b.denominator * math.lcm(*(Fraction(v).denominator for v in snd)))
    xs = {int(a * v * den) for v in fst}
    ys = {int(b * v * den) for v in snd}
    sums = {x + y for x in xs for y in ys}
    return _capped(s if ints else Fraction(s, den) for s in sums)


def call(f, *args):
    """``f(*args)``, or None where it raises an arithmetic error (as Tracr ignores them)."""
    try:
        return f(*args)
    except (ArithmeticError, TypeError, ValueError):
        return None


def numeric(values) -> bool:
    """Whether every value is a number (a bool counts as 0 or 1)."""
    return all(isinstance(v, bool | int | float | Fraction) for v in values)


def affine_1d(points: list) -> tuple[Fraction, Fraction] | None:
    """(a, b) with ``y = a x + b`` at every point, or None."""
    if len(points) == 1:
        return Fraction(0), points[0][1]
    (x0, y0), (x1, y1) = points[0], points[1]
    a = (y1 - y0) / (x1 - x0)
    b = y0 - a * x0
    return (a, b) if all(y == a * x + b for x, y in points) else None


def affine_2d(f, xs: list, ys: list):
    """(a, b, c) with ``f(x, y) = a x + b y + c`` on every pair of numbers, or None."""
    try:
        nx = [number(x) for x in xs]
        ny = [number(y) for y in ys]
        values = {}
        for x, fx in zip(xs, nx, strict=True):
            for y, fy in zip(ys, ny, strict=True):
                v = call(f, x, y)
                if v is None or not numeric([v]):
                    return None
                values[(fx, fy)] = number(v)
    except ProgramCompileError:
        return None
    x0, y0 = nx[0], ny[0]
    c0 = values[(x0, y0)]
    a = (values[(nx[1], y0)] - c0) / (nx[1] - x0) if len(nx) > 1 else Fraction(0)
    b = (values[(x0, ny[1])] - c0) / (ny[1] - y0) if len(ny) > 1 else Fraction(0)
    c = c0 - a * x0 - b * y0
    if all(v == a * x + b * y + c for (x, y), v in values.items()):
        return a, b, c
    return None
