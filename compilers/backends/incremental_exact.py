"""The exact backend's arithmetic for `incremental.IncrementalLoop`.

Streams are `exact_rows.Rows` (integers over one denominator per column);
keys, queries and head values cross to the index as lists of `Fraction`s;
blocks run through the exact backend's own rules (`exact.RULES`) on the rows
asked for, so every value is the rational the dense backend's saturated
head would give. Nothing is rounded: `tol` is 0.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from compilers.backends.exact_rows import Rows, add_into, from_values, reduce, to_values


class ExactOps:
    """See the module docstring; `model` is an `exact.ExactModel`."""

    tol = 0

    def __init__(self, model, where, rules: dict):
        # where: n -> an `exact._Where`; rules: `exact.RULES`
        self.model, self.where, self.rules = model, where, rules

    def length(self, x: Rows) -> int:
        return len(x)

    def copy(self, x: Rows) -> Rows:
        return Rows(x.num.copy(), x.den.copy())

    def take(self, x: Rows, order: list[int]) -> Rows:
        return x.take(np.asarray(order, dtype=np.intp))

    def put(self, x: Rows, order: list[int], rows: Rows) -> None:
        index = np.asarray(order, dtype=np.intp)
        x.num[index] = rows.num
        x.den[index] = rows.den

    def row(self, x: Rows, i: int) -> tuple:
        return x.num[i].copy(), x.den[i]

    def put_row(self, x: Rows, i: int, row: tuple) -> None:
        x.num[i], x.den[i] = row

    def changed(self, a: Rows, b: Rows, order: list[int]) -> list[int]:
        return [i for i in order
                if a.den[i] != b.den[i] or any(a.num[i] * b.den[i] != b.num[i] * a.den[i])]

    def block(self, block, rows: Rows) -> Rows:
        return self.rules[type(block)](self.model, block, rows, self.where(None))

    def _host(self, rows: Rows) -> list[list[Fraction]]:
        return to_values(reduce(rows)).tolist()

    def keys(self, head, rows: Rows) -> list:
        return self._host(self.model.heads[head.label].key(rows))

    def queries(self, head, rows: Rows) -> list:
        return self._host(self.model.heads[head.label].query(rows))

    def values(self, head, rows: Rows) -> list:
        return self._host(self.model.heads[head.label].value(rows))

    def project(self, heads, rows: Rows, parts: str) -> list:
        """Per head, its keys ("k"), values ("v") and queries ("q") at `rows`, in the
        order of `parts` (each the head's own product)."""
        which = {"k": self.keys, "v": self.values, "q": self.queries}
        return [tuple(which[p](head, rows) for p in parts) for head in heads]

    def same(self, a: list, b: list) -> bool:
        return a == b

    def mean(self, values: list) -> list:
        if len(values) == 1:
            return values[0]
        count = len(values)
        return [sum(column, Fraction(0)) / count for column in zip(*values, strict=True)]

    def total(self, values: list) -> list:
        """The values' column sums (exact: kept whatever the changes)."""
        return [sum(column, Fraction(0)) for column in zip(*values, strict=True)]

    def adjust(self, total: list, old: list, new: list) -> list:
        return [t - a + b for t, a, b in zip(total, old, new, strict=True)]

    def divide(self, total: list, count: int) -> list:
        return [t / count for t in total]

    def attend(self, before: Rows, order: list[int], heads: list) -> Rows:
        target = self.take(before, order)
        parts = []
        for head, outs in heads:
            plan = self.model.heads[head.label]
            values = np.empty((len(order), len(plan.written)), dtype=object)
            for k, out in enumerate(outs):
                values[k, :] = out
            parts.append((plan.written, from_values(values)))
        return add_into(target, parts)

    def dense(self, x: Rows, n: int) -> Rows:
        return self.model._blocks(self.copy(x), self.where(n))

    def mismatch(self, a: Rows, b: Rows):
        """The first (column, direction, value in a, value in b) where a and b differ."""
        for i in self.changed(a, b, list(range(len(a)))):
            names = self.model.model.stream
            for c in range(a.num.shape[1]):
                x, y = Fraction(a.num[i, c], a.den[i]), Fraction(b.num[i, c], b.den[i])
                if x != y:
                    return i, names[c], y, x
        return None
