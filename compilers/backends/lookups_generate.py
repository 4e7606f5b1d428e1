"""Generation with ``lookups='index'``: a decoder step that costs its width, not t.

A cached generator (`exact.ExactGenerator`) scores the new position's query
against every cached key: O(t) per step. With lookups, two kinds of head are
answered without the scan, the others as before:

* a uniform causal head (no query or key map: the mean of the values at
  positions 0..t; Pérez et al.'s layers 1 and 2, which average the moves): a
  running sum of the values, divided by t + 1, exactly;
* a hard ``-|<q, k>|`` head (Pérez et al.'s "last write to this cell" and the
  encoder's input cell): `lookups_ratio.RatioIndex`, with the head's tie rule.

Each step then costs the blocks' products at one position (the width squared)
and O(log t) for the lookups. The results are the rationals the dense step
gives: the same value row is chosen (the index returns the argmax under the
same tie rule, checked, `lookups_ratio`), and the mean is the same sum.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from compilers.backends.exact_rows import Rows, from_values, reduce, to_values
from compilers.backends.lookups import PromiseError
from compilers.backends.lookups_ratio import RatioIndex
from compilers.errors import EvaluationError
from compilers.ir import Hard


class ExactGenerationLookups:
    """The lookups of one `ExactGenerator` (see the module docstring)."""

    def __init__(self, exact, encoder_rows: Rows | None):
        self.exact = exact
        self.indexes: dict[str, RatioIndex] = {}
        self.values: dict[str, list] = {}
        self.keys: dict[str, list] = {}  # every key, for a query the index cannot decide
        self.sums: dict[str, list] = {}
        for label, plan in exact.heads.items():
            head = plan.head
            if label in exact.plan.uniform and head.mask == "causal" and head.source == "self":
                self.sums[label] = None
            elif (head.score == "neg_abs_dot" and isinstance(head.kind, Hard)
                  and (head.mask, head.source) in (("causal", "self"), ("none", "encoder"))):
                self.indexes[label] = RatioIndex(tie=head.kind.tie, label=label)
                self.values[label] = []
                self.keys[label] = []
                if head.source == "encoder":
                    self._add(label, plan, encoder_rows)

    def _add(self, label: str, plan, rows: Rows) -> None:
        keys, values = plan.keys_values(rows)
        for key in to_values(keys).tolist():
            self.indexes[label].add(key)
            self.keys[label].append(key)
        self.values[label].extend((values.num[k], values.den[k]) for k in range(len(values)))

    def attend(self, plan, query: Rows, x: Rows, position: int) -> Rows | None:
        """The head's output at the new position, or None (then the dense step runs it)."""
        label = plan.head.label
        if label in self.sums:
            value = to_values(reduce(plan.value(x)))[0]
            total = self.sums[label]
            total = list(value) if total is None else [a + b for a, b in zip(
                total, value, strict=True)]
            self.sums[label] = total
            out = np.empty((1, len(total)), dtype=object)
            out[0, :] = [v / (position + 1) for v in total]
            return from_values(out)
        index = self.indexes.get(label)
        if index is None:
            return None
        if plan.head.source == "self":
            self._add(label, plan, x)
        q = [Fraction(v) for v in to_values(reduce(plan.query(query)))[0]]
        try:
            found = index.lookup(q, 0)
            if found is None:
                found = index.scan(q, 0, self.keys[label])
        except PromiseError as broken:
            raise EvaluationError(f"lookups='index', position {position}: {broken}") from None
        num, den = self.values[label][found]
        return Rows(num[None, :].copy(), np.array([den], dtype=object))
