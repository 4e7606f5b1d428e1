"""A plain interpreter of Tracr's RASP, one position at a time, for checking `rasp.evaluate`.

Written from the definitions (Weiss et al. 2021; Tracr's ``rasp.py`` semantics,
restated in `languages.rasp`'s docstring): the value of an S-op at position i
and of a selector at (query i, key j), recursively, with exact means
(`Fraction`). It shares no code with the evaluator under test beyond the
expression classes (it reads their attributes only).
"""

from __future__ import annotations

from fractions import Fraction

from languages import rasp


class Plain:
    """Values of the sub-expressions of one program on one input, memoised per position."""

    def __init__(self, xs, *, causal: bool = False):
        self.xs, self.n, self.causal = list(xs), len(xs), causal
        self.memo: dict = {}

    def sop(self, e, i: int):
        key = (id(e), i)
        if key not in self.memo:
            self.memo[key] = self._sop(e, i)
        return self.memo[key]

    def _sop(self, e, i: int):
        kind = type(e).__name__
        if kind == "TokensType":
            return self.xs[i]
        if kind == "IndicesType":
            return i
        if kind == "LengthType":
            return self.n
        if kind == "Full":
            return e.fill
        if kind == "ConstantSOp":
            return e.value[i]
        if kind == "Map":
            x = self.sop(e.inner, i)
            return None if x is None else e.f(x)
        if kind in ("SequenceMap", "LinearSequenceMap"):
            x, y = self.sop(e.fst, i), self.sop(e.snd, i)
            if x is None or y is None:
                return None
            if kind == "LinearSequenceMap":
                return e.fst_fac * x + e.snd_fac * y
            return e.f(x, y)
        if kind == "SelectorWidth":
            return sum(1 for j in range(self.n) if self.sel(e.selector, i, j))
        if kind == "Aggregate":
            chosen = [self.sop(e.sop, j) for j in range(self.n) if self.sel(e.selector, i, j)]
            if not chosen:
                return e.default
            if len(chosen) == 1:
                return chosen[0]
            return Fraction(sum(Fraction(v) for v in chosen), len(chosen))
        raise TypeError(f"plain: no rule for {kind}")

    def sel(self, e, i: int, j: int) -> bool:
        key = (id(e), i, j)
        if key not in self.memo:
            value = self._sel(e, i, j)
            self.memo[key] = value and (j <= i or not self.causal)
        return self.memo[key]

    def _sel(self, e, i: int, j: int) -> bool:
        kind = type(e).__name__
        if kind == "Select":
            return bool(e.predicate(self.sop(e.keys, j), self.sop(e.queries, i)))
        if kind == "ConstantSelector":
            return bool(e.value[i][j])
        if kind == "SelectorAnd":
            return self.sel(e.fst, i, j) and self.sel(e.snd, i, j)
        if kind == "SelectorOr":
            return self.sel(e.fst, i, j) or self.sel(e.snd, i, j)
        if kind == "SelectorNot":
            return not self.sel(e.inner, i, j)
        raise TypeError(f"plain: no rule for {kind}")


def plain(expr, xs, *, causal: bool = False):
    """`expr` on `xs`: a list (S-op) or a [query][key] matrix (selector)."""
    p = Plain(xs, causal=causal)
    if isinstance(expr, rasp.Selector):
        return [[p.sel(expr, i, j) for j in range(p.n)] for i in range(p.n)]
    return [p.sop(expr, i) for i in range(p.n)]
