"""Sublinear lookups for heads whose argmax is a lookup of a code.

A head scores query i against key j by ``s_ij = <q_i, k_j>``. Giannou et
al.'s SUBLEQ computer (2023, Sec. 3) addresses columns by ±1 codes: with the
key rows C on which the keys are ±1 codes and the other rows E,
``s_ij = <q_C, c_j> + <q_E, e_j>``. Among the keys with one extra part e (a
*group*) and a ±1 code, the score is largest exactly at the code
``sign(q_C)`` (if no entry of q_C is 0), with ``|q_C|_1 + <q_E, e>``, and every
other code of the group scores at most ``2 min_t |q_{C,t}|`` less (one sign
flipped), whether or not such a column exists. So a hash from code to column
per group finds the group's best key in O(1), and the groups, few, are
compared by their scores; a query with q_C = 0 asks no question and scores a
whole group alike.

The form is recognised from the keys, not declared: `code_rows` are the key
rows whose values are all in {-1, 0, 1}, with both -1 and 1 present (every
position code of the punchcard). Each key is then *placed*: its code part ±1
(hashed in its group), all 0 (a zero member of its group: the scratchpad),
or anything else (a *special* key, scored directly at every query). Any key
may be placed anywhere: the rule is exact for every placement, only its cost
depends on it.

The promise (the unique-argmax promise of `compilers.backends.circuit.lower_loop`)
is checked as the lookup is made, never assumed:

* a query with a partly zero code part, or whose best unlooked-at code could
  reach the best found score, is undecided: `lookup` returns None and the
  caller scans every key (`scan`);
* the maximum must be one column, at least `margin` above every other score
  and every bound; two columns of one code (a crafted punchcard) are a tie,
  a score within the margin a near tie: `PromiseError` names the columns;
* a query that asks nothing (q_C = 0) may tie a whole group: that is the
  saturated head's mean over the group, returned as such (`Found.uniform`).

What is returned is the saturated (hard) head: all weight on the argmax. For a
softmax head this is its limit at infinite scale; `margin` is chosen by the
caller so that the finite-scale head is within a stated amount of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np


class PromiseError(Exception):
    """A lookup found a tie or a near tie (the message names the columns and scores)."""


@dataclass(frozen=True)
class Found:
    """The argmax of one query.

    Attributes:
        columns: the argmax columns (one, unless `uniform`).
        parts: for a uniform read, ("group" | "zeros", group key) parts and columns.
        uniform: the query asked no question (q_C = 0) and reads the mean of `columns`.
        target: the code the query asked for (None if none).
    """

    columns: tuple
    uniform: bool = False
    target: tuple | None = None
    best: object = 0


def _is_zero(x, tol) -> bool:
    return abs(x) <= tol


def _sign_code(values, tol) -> tuple | None:
    """The ±1 code of `values` if every entry is within `tol` of ±1, else None."""
    out = []
    for x in values:
        if abs(x - 1) <= tol:
            out.append(1)
        elif abs(x + 1) <= tol:
            out.append(-1)
        else:
            return None
    return tuple(out)


def code_rows(keys: list, tol) -> list[int]:
    """Key rows whose values are all in {-1, 0, 1} with both -1 and 1 present (within
    `tol`). Keys of floats are tested as one numpy array, with the same comparisons on
    the same doubles; others (Fractions) entry by entry."""
    if not keys:
        return []
    table = np.array(keys)
    if table.dtype == np.float64 and table.ndim == 2:
        size = np.abs(table)
        ok = ((size <= tol) | (np.abs(size - 1) <= tol)).all(axis=0)
        ok &= (table > 0.5).any(axis=0) & (table < -0.5).any(axis=0)
        return np.flatnonzero(ok).tolist()
    rows = []
    for r in range(len(keys[0])):
        column = [k[r] for k in keys]
        if all(_is_zero(x, tol) or abs(abs(x) - 1) <= tol for x in column) and \
                any(x > 0.5 for x in column) and any(x < -0.5 for x in column):
            rows.append(r)
    return rows


class _Columns(tuple):
    """A tuple of columns whose hash is computed once: a group's members (thousands of
    columns) key the means a head keeps (`incremental._Head.mean`), looked up at every
    read and every changed value. Equal to, and hashed as, the plain tuple."""

    def __hash__(self):
        cached = self.__dict__.get("hash")
        if cached is None:
            cached = self.__dict__["hash"] = tuple.__hash__(self)
        return cached


class _Group:
    __slots__ = ("_sorted", "codes", "extra", "members", "zeros")

    def __init__(self, extra):
        self.extra = extra
        self.codes: dict[tuple, list[int]] = {}
        self.zeros: set[int] = set()
        self.members: set[int] = set()
        self._sorted: tuple | None = None

    def everyone(self) -> tuple:
        """The members, sorted (one tuple until the membership changes)."""
        if self._sorted is None:
            self._sorted = _Columns(sorted(self.members))
        return self._sorted


class CodeIndex:
    """Every key of one head, placed by code and group (module docstring).

    Args:
        keys: one key vector per column (lists of Fractions, or floats).
        tol: how far a float may be from an exact value and count as it (0: exact).
        label: the head, for messages.
    """

    def __init__(self, keys: list, *, tol=0, label: str = "head"):
        self.tol, self.label = tol, label
        self.code = code_rows(keys, tol)
        code = set(self.code)
        self.extra = [r for r in range(len(keys[0]) if keys else 0) if r not in code]
        self.keys: list = [None] * len(keys)
        self.place: list = [None] * len(keys)
        self.groups: dict = {}
        self.specials: set[int] = set()
        self.version = 0  # keys placed so far (`update`): a lookup may differ after one
        self._parts: tuple = (None, None)  # (the last query, its `_split`)
        self._unions: dict = {}  # ids of tied groups' member tuples -> (tuples, union)
        self._keys: dict = {}  # `_group_key`'s, by the values it rounds
        for j, key in enumerate(keys):
            self.update(j, key)

    def _group_key(self, extra) -> tuple:
        """The key of the group of keys with other rows `extra`: the values rounded to 9
        digits for floats (kept per `extra`: a few groups hold every key), as they are
        when exact."""
        if not self.tol:
            return tuple(extra)
        extra = tuple(extra)
        kept = self._keys.get(extra)
        if kept is None:
            if len(self._keys) >= 4096:
                self._keys.clear()
            kept = self._keys[extra] = tuple(round(float(x), 9) for x in extra)
        return kept

    def update(self, j: int, key) -> tuple:
        """Place column j's (new) key; returns (old place, new place)."""
        self.version += 1
        old = self.place[j]
        if old is not None:
            kind = old[0]
            if kind == "special":
                self.specials.discard(j)
            else:
                group = self.groups[old[1]]
                group.members.discard(j)
                group._sorted = None
                if kind == "zeros":
                    group.zeros.discard(j)
                else:
                    columns = group.codes[old[2]]
                    columns.remove(j)
                    if not columns:
                        del group.codes[old[2]]
                if not group.members:
                    del self.groups[old[1]]
        key = list(key)
        self.keys[j] = key
        part = [key[r] for r in self.code]
        extra = [key[r] for r in self.extra]
        sign = _sign_code(part, self.tol)
        zero = sign is None and all(_is_zero(x, self.tol) for x in part)
        if sign is None and not zero:
            new = ("special",)
            self.specials.add(j)
        else:
            gkey = self._group_key(extra)
            group = self.groups.get(gkey)
            if group is None:
                group = self.groups[gkey] = _Group(extra)
            group.members.add(j)
            group._sorted = None
            if zero:
                new = ("zeros", gkey)
                group.zeros.add(j)
            else:
                new = ("code", gkey, sign)
                group.codes.setdefault(sign, []).append(j)
        self.place[j] = new
        return old, new

    def target(self, q) -> tuple | None:
        """The code a query asks for: ``sign(q_C)`` (None if q_C has a zero entry)."""
        part = [q[r] for r in self.code]
        if any(_is_zero(x, self.tol) for x in part):
            return None
        return tuple(1 if x > 0 else -1 for x in part)

    def _score(self, q, j):
        return sum(a * b for a, b in zip(q, self.keys[j], strict=True))

    def _split(self, q) -> tuple:
        """``(part, qe, asks, l1, least)`` of query `q`: its code part, its other rows, how
        many code entries are not 0, ``|q_C|_1`` and ``min |q_C|``; kept for the last
        query (`lookup` and `profile` of one query share it)."""
        last, split = self._parts
        if last is q:
            return split
        tol = self.tol
        part = [q[r] for r in self.code]
        magnitudes = [abs(x) for x in part]
        split = (part, [q[r] for r in self.extra], sum(1 for x in magnitudes if x > tol),
                 sum(magnitudes), min(magnitudes, default=0))
        self._parts = (q, split)
        return split

    def lookup(self, q, margin) -> Found | None:
        """The argmax of query `q` by the index, or None where undecided (then `scan`)."""
        part, qe, asking, l1, least = self._split(q)
        if 0 < asking < len(part):
            return None
        target = tuple(1 if x > 0 else -1 for x in part) if asking and part else None
        exact: list[tuple] = []  # (score, columns)
        bounds: list = []
        for group in self.groups.values():
            base = sum(a * b for a, b in zip(qe, group.extra, strict=True))
            if target is None:
                exact.append((base, group.everyone()))
                continue
            hit = group.codes.get(target)
            if hit:
                exact.append((l1 + base, tuple(hit)))
            if len(group.codes) > (1 if hit else 0):
                bounds.append(l1 + base - 2 * least)
            if group.zeros:
                exact.append((base, tuple(sorted(group.zeros))))
        for j in self.specials:
            exact.append((self._score(q, j), (j,)))
        if not exact:
            return None
        best = max(score for score, _ in exact)
        if bounds and max(bounds) >= best - margin:
            return None  # a code not looked at might come close: scan
        return self._decide(exact, bounds, best, margin, uniform=target is None,
                            target=target)

    def scan(self, q, margin) -> Found:
        """The argmax of query `q` over every key (the dense head, for undecided queries)."""
        exact = [(self._score(q, j), (j,)) for j in range(len(self.keys))]
        best = max(score for score, _ in exact)
        part = [q[r] for r in self.code]
        asks = not all(_is_zero(x, self.tol) for x in part) or (not part and any(
            not _is_zero(x, self.tol) for x in q))
        return self._decide(exact, [], best, margin, uniform=not asks,
                            target=self.target(q) if asks else None)

    def _decide(self, exact, bounds, best, margin, *, uniform: bool, target) -> Found:
        tol = self.tol
        top = [cols for score, cols in exact if score >= best - tol]
        columns = top[0] if len(top) == 1 else self._union(top)
        rest = [score for score, _ in exact if score < best - tol] + list(bounds)
        if len(columns) > 1 and not uniform:
            raise PromiseError(f"head {self.label}: columns {_few(columns)} tie at score "
                               f"{_show(best)}; the unique-argmax "
                               "promise is broken")
        if rest and max(rest) > best - margin:
            raise PromiseError(f"head {self.label}: a score {_show(max(rest))} is within "
                               f"{_show(margin)} of the maximum {_show(best)} at column(s) "
                               f"{_few(columns)} (a near tie); the unique-argmax promise is "
                               "broken")
        return Found(columns=columns, uniform=len(columns) > 1, target=target, best=best)

    def _union(self, top: list) -> tuple:
        """The sorted union of the tied column tuples `top`; kept while the same tuples
        (`_Group.everyone`, one object until a membership changes) tie again."""
        key = tuple(id(cols) for cols in top)
        kept = self._unions.get(key)
        if kept is not None and all(a is b for a, b in zip(kept[0], top, strict=True)):
            return kept[1]
        union = _Columns(sorted({j for cols in top for j in cols}))
        if len(self._unions) >= 16:
            self._unions.clear()
        self._unions[key] = (tuple(top), union)
        return union

    def profile(self, q) -> tuple:
        """What bounds a query's score against a key it did not ask for:
        ``(key, q_E, |q_C|_1, min |q_C|, asks)``; queries of one key share the bound."""
        part, qe, asking, l1, least = self._split(q)  # a code scores at most l1 + <q_E, e>
        qe = tuple(qe)
        asks = bool(part) and asking == len(part)
        least = least if asks else 0
        key = (self._group_key(qe), self._group_key([l1, least]), asks)
        return key, qe, l1, least, asks

    def bound(self, profile: tuple, place: tuple):
        """The most a key at `place` (not the code asked for) can score for a query of
        `profile` (None: a special key, no bound)."""
        if place[0] == "special":
            return None
        _, qe, l1, least, _ = profile
        base = sum(a * b for a, b in zip(qe, self.groups[place[1]].extra, strict=True))
        if place[0] == "code":  # not the code asked for: one sign off, at least
            return l1 + base - 2 * least
        return base


def _few(columns) -> str:
    shown = ", ".join(str(j) for j in list(columns)[:6])
    return shown + (", ..." if len(columns) > 6 else "")


def _show(x) -> str:
    return str(x) if isinstance(x, int | Fraction) else f"{float(x):.6g}"
