"""Integer arithmetic for the exact backend: rows of rationals over one denominator each.

A `Rows` value holds the rational matrix ``num[p, c] / den[p]``: Python
integers in numpy object arrays, one positive denominator per row (per
position). Every operation here is exact, so a result is the same rational as
the `fractions.Fraction` computation it replaces; what changes is the cost:
a linear map is integer multiply-adds (its weights scaled to integers by the
least common denominator of the matrix and bias, `IntMap`), a ReLU is a sign
test of numerators, and the gcd of numerators and denominator is taken once
per row (`reduce`) instead of once per entry and operation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from compilers.backends.common import EvaluationError
from compilers.ir.plan import visible


@dataclass(frozen=True)
class Rows:
    """``num[p, c] / den[p]``: num (rows, width) and den (rows,), object arrays of ints."""

    num: np.ndarray
    den: np.ndarray

    def __len__(self) -> int:
        return self.num.shape[0]

    def take(self, rows) -> Rows:
        """The rows at `rows` (a slice or an index array)."""
        return Rows(self.num[rows], self.den[rows])


def _int(value) -> int:
    return value if type(value) is int else int(value)


def from_values(x: np.ndarray) -> Rows:
    """Rows from an array of Fractions or ints, each row over the lcm of its denominators."""
    x = np.asarray(x, dtype=object)
    rows, width = x.shape
    num = np.empty((rows, width), dtype=object)
    den = np.empty(rows, dtype=object)
    for p in range(rows):
        values = x[p].tolist()
        try:
            dens = [_int(v.denominator) for v in values]
        except AttributeError:
            bad = next(v for v in values if not hasattr(v, "denominator"))
            raise EvaluationError(f"exact backend: stream entry {bad!r} at position {p} is "
                                  "not a rational (allowed: int, Fraction)") from None
        d = math.lcm(*dens) if dens else 1
        if d == 1:
            num[p] = [_int(v.numerator) for v in values]
        else:
            num[p] = [_int(v.numerator) * (d // e) for v, e in zip(values, dens, strict=True)]
        den[p] = d
    return Rows(num, den)


def to_values(x: Rows) -> np.ndarray:
    """The array of (reduced) Fractions that `x` holds."""
    out = np.empty(x.num.shape, dtype=object)
    for p in range(len(x)):
        d = x.den[p]
        if d == 1:
            out[p] = [Fraction(v) for v in x.num[p].tolist()]
        else:
            out[p] = [Fraction(v, d) for v in x.num[p].tolist()]
    return out


def reduce(x: Rows) -> Rows:
    """Divide each row's numerators and denominator by their gcd (the same rationals)."""
    num, den = x.num.copy(), x.den.copy()
    for p in range(len(x)):
        if den[p] == 1:
            continue
        g = math.gcd(den[p], *num[p].tolist())
        if g > 1:
            num[p] = num[p] // g
            den[p] = den[p] // g
    return Rows(num, den)


def common(x: Rows) -> tuple[np.ndarray, int]:
    """``(num, d)`` with ``x = num / d``: every row over one denominator (their lcm)."""
    dens = x.den.tolist()
    if not dens:
        return x.num, 1
    first = dens[0]
    if all(d == first for d in dens):
        return x.num, first
    lcm = math.lcm(*dens)
    scale = np.array([lcm // d for d in dens], dtype=object)
    return x.num * scale[:, None], lcm


def add_into(x: Rows, parts: list[tuple[np.ndarray, Rows]]) -> Rows:
    """``x`` plus each part's rows added into the columns it names, reduced per row."""
    dens = [x.den.tolist()] + [part.den.tolist() for _, part in parts]
    lcms = [math.lcm(*ds) for ds in zip(*dens, strict=True)]
    den = np.array(lcms, dtype=object)
    num = _scaled(x.num, x.den, lcms)
    for columns, part in parts:
        num[:, columns] += _scaled(part.num, part.den, lcms)
    return reduce(Rows(num, den))


def _scaled(num: np.ndarray, den: np.ndarray, lcms: list) -> np.ndarray:
    factors = [m // d for m, d in zip(lcms, den.tolist(), strict=True)]
    if all(f == 1 for f in factors):
        return num.copy()
    return num * np.array(factors, dtype=object)[:, None]


def relu(x: Rows) -> Rows:
    """``max(x, 0)`` entrywise (the denominators are positive)."""
    return Rows(np.where(x.num > 0, x.num, 0), x.den)


def mean_rows(x: Rows, rows: int, offset: int, *, mask: str = "none") -> Rows:
    """For output row r (query position offset + r), the mean of the rows of `x` that the
    `mask` lets it see (`compilers.ir.plan.visible`); 0 where it sees none."""
    num, d = common(x)
    length = num.shape[0]
    if mask == "none":
        total = num.sum(axis=0)
        return Rows(np.tile(total, (rows, 1)), np.array([length * d] * rows, dtype=object))
    if mask == "causal":
        if rows == 1:  # one query (a generator step): one prefix sum
            sums = num[:offset + 1].sum(axis=0)[None, :]
        else:
            sums = np.cumsum(num, axis=0)[offset:offset + rows]
        return Rows(sums.copy(),
                    np.array([(offset + r + 1) * d for r in range(rows)], dtype=object))
    prefix = np.vstack([np.zeros((1, num.shape[1]), dtype=object), np.cumsum(num, axis=0)])
    out_num, out_den = [], []
    for r in range(rows):
        seen = visible(mask, offset + r, length)
        count = len(seen)
        out_num.append(prefix[seen.stop] - prefix[seen.start] if count
                       else np.zeros(num.shape[1], dtype=object))
        out_den.append(count * d if count else 1)
    return Rows(np.array(out_num, dtype=object).reshape(rows, num.shape[1]),
                np.array(out_den, dtype=object))


def combine(x: Rows, weights: list[int], total: int, rows: np.ndarray | None = None) -> Rows:
    """One row: ``sum_j weights[j] x[j] / total`` over the rows `rows` of x (default all)."""
    part = x if rows is None else x.take(rows)
    num, d = common(part)
    weights = np.array(weights, dtype=object)
    return Rows(weights.dot(num)[None, :], np.array([total * d], dtype=object))


class IntMap:
    """An affine map ``y = M x + b`` (sparse, rational) as integer weights over one denominator.

    ``M`` and ``b`` are multiplied by `scale`, the lcm of their denominators;
    applying the map to ``num / den`` gives ``(M' num + den b') / (den scale)``.
    """

    def __init__(self, triples: list, rows: int, bias: dict | None = None):
        bias = bias or {}
        values = [v for _, _, v in triples] + list(bias.values())
        self.scale = math.lcm(*[Fraction(v).denominator for v in values]) if values else 1
        order = sorted(triples, key=lambda t: (t[0], t[1]))
        self.columns = np.array([c for _, c, _ in order], dtype=np.intp)
        self.weights = np.array([_int(Fraction(v) * self.scale) for *_, v in order],
                                dtype=object)
        written = [r for r, _, _ in order]
        starts = [k for k in range(len(order)) if k == 0 or written[k] != written[k - 1]]
        self.starts = np.array(starts, dtype=np.intp)  # each output row's first entry
        self.written = np.array([written[k] for k in starts], dtype=np.intp)
        self.rows = rows
        self.bias = None
        if any(bias.values()):
            self.bias = np.zeros(rows, dtype=object)
            for r, v in bias.items():
                self.bias[r] = _int(Fraction(v) * self.scale)

    def __call__(self, x: Rows) -> Rows:
        num = np.zeros((len(x), self.rows), dtype=object)
        if len(self.weights) and len(x):
            products = x.num[:, self.columns] * self.weights  # every entry's term, per row
            num[:, self.written] = np.add.reduceat(products, self.starts, axis=1)
        if self.bias is not None:
            num += np.multiply.outer(x.den, self.bias)
        return Rows(num, x.den * self.scale)
