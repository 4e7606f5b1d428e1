"""The lookup of Pérez et al.'s "last write to this cell" score, ``-|<q, k>|``.

Pérez, Barceló & Marinković (2021), Def. 3 and Appendix B.4: a head scores
``s_j = -|<q, k_j>|``, largest (0) where ``<q, k_j> = 0``. Where the keys
have the form ``k_j = (a_j, b_j, 0, ...)`` with ``a_j != 0`` (*plain* keys:
the first two key rows carry them, every other row is 0), with
``r_j = b_j / a_j`` and the query ``q = (x, y, ...)``, ``y != 0``:

    <q, k_j> = a_j (x + y r_j) = a_j y (r_j - r*),     r* = -x / y,

so the score is 0 exactly at the keys with ``r_j = r*`` (in the Turing-machine
decoder r_j is minus the cell that step j - 1 wrote and r* minus the cell
under the head: the last write to this cell), found by a sorted list of the
distinct ratios (bisection, O(log t)), and every other plain key scores at most
``-min_j |a_j| |y| d``, d the distance from r* to the nearest other ratio.
The other keys (*special*: the start position's sentinel) are few and scored
directly. Nothing is assumed: a query with y = 0, or whose bound on the
unmatched keys is not below the best score found by `margin`, is scanned key
by key (`scan`), and a tie is broken by the head's rule (``last``, ``first``)
or, without one, raises `PromiseError`.
"""

from __future__ import annotations

import bisect
import math
import operator
from fractions import Fraction

from compilers.backends.lookups import PromiseError

MAX_SPECIALS = 64  # beyond this many special keys, every query is scanned
SLACK = 2.0 ** -20  # relative rounding allowed a float bound (16 float32 ulps)


def _plain(ratio):
    """An integral Fraction as an int (the same number, hash and order; the
    Turing-machine decoder's ratios are cells), so that bisection compares ints."""
    if isinstance(ratio, Fraction) and ratio.denominator == 1:
        return ratio.numerator
    return ratio


class RatioIndex:
    """The keys of one ``-|<q, k>|`` head, added one position at a time.

    Only what a lookup reads is kept: the special keys, and for each distinct
    ratio its first and last column with their keys (every key of one ratio
    scores alike where it matches, so these two decide any tie rule); `scan`
    takes every key from the caller, who caches them anyway.

    Args:
        tie: the head's tie rule (``"first"``, ``"last"`` or None).
        tol: how far a float may be from 0 and count as 0 (0: exact).
        window: how far, relative to the target, a float ratio may be from it and count
            as equal (0: exact).
        label: the head, for messages.
    """

    def __init__(self, *, tie: str | None, tol=0, window=0, label: str = "head"):
        self.tie, self.tol, self.window, self.label = tie, tol, window, label
        self.size = 0  # keys added
        self.ratios: list = []  # sorted, distinct
        self.at: dict = {}  # ratio -> [(first column, its key)] + [(last, its key)] if later
        self.specials: list[tuple[int, list]] = []  # (column, key)
        self.least = None  # the least |a_j| over plain keys
        self.scanned = 0  # queries answered by `scan` (a measure of what the index missed)

    def add(self, key) -> None:
        """Append the key of the next position (a sequence of Fractions or floats)."""
        j = self.size
        self.size += 1
        a = key[0] if len(key) else 0
        tol = self.tol
        plain = len(key) >= 2 and abs(a) > tol and (
            len(key) == 2 or max(map(abs, key[2:])) <= tol)
        if not plain:
            self.specials.append((j, key))
            return
        ratio = key[1] / a
        if type(ratio) is not float:
            ratio = _plain(ratio)
        seen = self.at.get(ratio)
        if seen is None:
            bisect.insort(self.ratios, ratio)
            self.at[ratio] = [(j, key)]
        elif len(seen) == 1:
            seen.append((j, key))
        else:
            seen[1] = (j, key)
        a = abs(a)
        if self.least is None or a < self.least:
            self.least = a

    @staticmethod
    def _score(q, key):
        return -abs(sum(map(operator.mul, q, key)))  # the products added left to right

    def lookup(self, q, margin) -> int | None:
        """The argmax column of query `q` (None: undecided, `scan` it)."""
        found = self.candidates(q, margin)
        if found is None:
            return None
        scored, best = found
        return self._choose([j for s, j in scored if s >= best - self.tol], best, scored,
                            margin)

    def candidates(self, q, margin) -> tuple[list, object] | None:
        """``([(score, column)], best)``: every key that may score within `margin` of the
        best (the specials and the matches), in column order, or None where undecided
        (`scan` it)."""
        found = self._found(q, margin)
        if found is not None:
            found[0].sort(key=lambda pair: pair[1])
        return found

    def pick(self, q, half, quarter, three_quarters) -> tuple[list, bool] | None:
        """The hard rule of a float head (`torch_generate.TorchGenerator._attend`) on the
        candidates: ``(winners, fired)``, the columns whose ``|<q, k>|`` is within `half`
        of the least (exactly the least where `half` is None, the head stating no gap) and
        whether any lies `quarter` .. `three_quarters` from it; None where undecided. Every
        other key is certified at least the gap (``2 half``) from the least, so it is
        neither.

        The candidates and the certificate of `_found`, written out for the decoder's
        step (one call per hard head per position): the same keys, the same products
        summed in the same order, the same comparisons (``bound > best - c`` as ``-bound
        < least + c``, negation being exact), without the intermediate lists."""
        span = self._span(q)
        if span is None:
            return None
        target, lo, hi = span
        y, tol, ratios = q[1], self.tol, self.ratios
        keys = self.specials[:]  # (column, key) of every candidate
        at = self.at
        for r in ratios[lo:hi]:
            keys += at[r]
        if not keys:
            return None
        if len(q) == 3:  # Pérez's keys: the same products, added left to right
            q0, q1, q2 = q
            found = [(abs(q0 * k[0] + q1 * k[1] + q2 * k[2]), j) for j, k in keys]
        else:
            mul = operator.mul
            found = [(abs(sum(map(mul, q, k))), j) for j, k in keys]
        least = min(found)[0]
        if lo > 0 or hi < len(ratios):  # as in `_found`
            d = min(abs(ratios[lo - 1] - target) if lo > 0 else math.inf,
                    abs(ratios[hi] - target) if hi < len(ratios) else math.inf)
            margin = 0.0 if half is None else 2 * half
            certified = margin - margin * SLACK if tol else margin
            if self.least * abs(y) * d < least + (certified or tol):
                return None
        if half is None:
            return [j for s, j in found if s - least == 0], False
        winners, fired = [], False
        for s, j in found:
            d = s - least
            if d < half:
                winners.append(j)
            if quarter <= d < three_quarters:  # a winner too, where d < half
                fired = True
        return winners, fired

    def _span(self, q) -> tuple | None:
        """``(target, lo, hi)``: the ratio ``-q_0 / q_1`` the best keys have and the slice
        of `ratios` that may hold them (within `window` of it, or equal to it), or None
        where the index decides nothing (too many specials, a query too short or with
        ``|q_1| <= tol``)."""
        if len(self.specials) > MAX_SPECIALS or len(q) < 2 or abs(q[1]) <= self.tol:
            return None
        target = -q[0] / q[1]
        if type(target) is not float:
            target = _plain(target)
        ratios = self.ratios
        if self.window:
            window = self.window * max(1, abs(target))
            lo = bisect.bisect_left(ratios, target - window)
            hi = bisect.bisect_right(ratios, target + window, lo)
        else:
            lo = bisect.bisect_left(ratios, target)
            hi = lo + 1 if lo < len(ratios) and ratios[lo] == target else lo
        return target, lo, hi

    def _found(self, q, margin) -> tuple[list, object] | None:
        """`candidates`, in no particular order."""
        span = self._span(q)
        if span is None:
            return None
        target, lo, hi = span
        specials, tol, y, ratios = self.specials, self.tol, q[1], self.ratios
        mul = operator.mul  # each score as `_score` forms it
        scored = [(-abs(sum(map(mul, q, key))), j) for j, key in specials]
        at = self.at
        for r in ratios[lo:hi]:
            scored += [(-abs(sum(map(mul, q, key))), j) for j, key in at[r]]
        if not scored:
            return None
        best = max(scored)[0]
        if lo > 0 or hi < len(ratios):  # every unmatched plain key scores at most `bound`
            d = min(abs(ratios[lo - 1] - target) if lo > 0 else math.inf,
                    abs(ratios[hi] - target) if hi < len(ratios) else math.inf)
            bound = -self.least * abs(y) * d
            # certified `margin` below the best: the head's gap where it states one (the
            # dense rule's own scale), short by the rounding of the two scores compared
            # (`SLACK`: where the construction's gap is tight, as at Pérez's never-written
            # cells, the bound then still certifies); the fixed `tol` only where the head
            # states no gap (Pérez's gap shrinks as 1/(i+1)^2 below float64's tol)
            certified = margin - margin * SLACK if tol else margin
            if bound > best - (certified or tol):
                return None
        return scored, best

    def scan(self, q, margin, keys) -> int:
        """The argmax column of query `q` over every key (`keys`, in column order)."""
        self.scanned += 1
        scored = [(self._score(q, key), j) for j, key in enumerate(keys)]
        best = max(s for s, _ in scored)
        return self._choose([j for s, j in scored if s >= best - self.tol], best, scored,
                            margin)

    def _choose(self, top: list[int], best, scored, margin) -> int:
        if self.tol:  # floats: a score between tol and the margin below the best is a near tie
            near = [j for s, j in scored if best - margin < s < best - self.tol]
            if near:
                raise PromiseError(f"head {self.label}: position {near[0]} scores within "
                                   f"{margin:.3g} of the maximum (a near tie)")
        if len(top) == 1 or self.tie == "last":
            return max(top)
        if self.tie == "first":
            return min(top)
        raise PromiseError(f"head {self.label}: positions {sorted(top)[:6]} tie and the head "
                           "has no tie rule")
