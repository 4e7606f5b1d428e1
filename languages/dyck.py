"""Dyck languages (well-nested brackets, optionally depth-bounded) and shuffle-Dyck.

The alphabet lists bracket pairs, opener then closer: ``"()"`` for Dyck-1,
``"()[]"`` for Dyck-2; symbol ``2t`` opens and ``2t + 1`` closes type t.

Dyck-k: every closer closes the most recent unclosed opener of its type, and
every opener is closed; with ``max_depth=D`` no prefix has more than D open
brackets. Members of length n = 2m: ``Cat(m) * k^m`` (unbounded), where
``Cat(m) = C(2m, m) / (m + 1)``.

Sampling a uniform member: the open/close pattern of a uniform Dyck-k word is
a uniform Dyck-1 path and the types of the openers are independent and
uniform (each closer's type is forced); see `languages.dyck_paths`.

Shuffle-Dyck-k: each bracket type is balanced on its own (the projection of
the word onto each pair is a Dyck-1 word), with no constraint between types.
A uniform member is drawn by splitting the positions between the types (with
the exact probability of each split, from ``C(x, m) Cat(m / 2)`` terms in log
space), then walking one independent Dyck-1 path per type.

One member of length 10000 costs about 5 ms (Dyck-1, Dyck-2) and 6 ms
(shuffle-Dyck-2) on a 2-core VM.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from languages.dyck_paths import assign_types, open_probability, sample_paths
from languages.errors import WordError
from languages.language import (
    Language,
    check_alphabet,
    check_length,
    choose,
    enumerate_by_prefix,
    log_factorials,
)

_FEW_WORDS = 16  # shuffle-Dyck words drawn one by one, one path per type each


def _check_pairs(pairs: str) -> str:
    check_alphabet(pairs, WordError)
    if len(pairs) % 2:
        raise WordError(f"bracket pairs {pairs!r} must have even length (opener, closer, ...)")
    return pairs


def _log_dyck(length: int) -> np.ndarray:
    """[x]: log of the number of Dyck-1 words of length x = 0 .. length (-inf for odd x)."""
    logs = log_factorials(length + 1)
    half = np.arange(length + 1) // 2
    return np.where(np.arange(length + 1) % 2 == 0,
                    logs[: length + 1] - logs[half] - logs[half + 1], -np.inf)


class _ShuffleCounts:
    """[j][x]: log of the number of shuffle-Dyck words of length x over j types (j < pairs).

    ``rows(length)`` gives x = 0 .. length; computed once up to the largest
    length asked (at least doubling) and sliced, read-only.
    """

    def __init__(self, pairs: int):
        self.pairs = pairs
        self.logs = self._compute(0)

    def rows(self, length: int) -> np.ndarray:
        have = self.logs.shape[1] - 1
        if length > have:
            self.logs = self._compute(max(length, 2 * have))
        return self.logs[:, : length + 1]

    def _compute(self, length: int) -> np.ndarray:
        log_fact, log_dyck = log_factorials(length), _log_dyck(length)
        logs = np.full((self.pairs + 1, length + 1), -np.inf)
        logs[1] = log_dyck
        for j in range(2, self.pairs):
            for total in range(length + 1):
                m = np.arange(total + 1)
                terms = (log_fact[total] - log_fact[m] - log_fact[total - m]
                         + log_dyck[m] + logs[j - 1][total - m])
                top = terms.max()
                if top > -np.inf:
                    logs[j][total] = top + np.log(np.exp(terms - top).sum())
        logs.flags.writeable = False
        return logs


@functools.lru_cache(maxsize=8)
def _shuffle_counts(pairs: int) -> _ShuffleCounts:
    return _ShuffleCounts(pairs)


@dataclass(frozen=True, kw_only=True, eq=False)
class Dyck(Language):
    """Dyck-k over `alphabet` (bracket pairs), optionally with a depth bound."""

    name: str
    alphabet: str = "()[]"
    max_depth: int | None = None
    description: str = ""

    def __post_init__(self):
        _check_pairs(self.alphabet)
        if self.max_depth is not None and (not isinstance(self.max_depth, int)
                                           or self.max_depth < 0):
            raise WordError(f"max_depth must be None or an integer >= 0, got {self.max_depth!r}")

    @property
    def pairs(self) -> int:
        return len(self.alphabet) // 2

    def contains(self, word: str) -> bool:
        stack: list[str] = []
        for symbol in word:
            where = self.alphabet.find(symbol)
            if where < 0:
                return False
            if where % 2 == 0:
                stack.append(symbol)
                if self.max_depth is not None and len(stack) > self.max_depth:
                    return False
            elif not stack or stack.pop() != self.alphabet[where - 1]:
                return False
        return not stack

    def count(self, length: int) -> int:
        length = check_length(length)
        if length % 2:
            return 0
        m = length // 2
        if self.max_depth is None:
            return math.comb(2 * m, m) // (m + 1) * self.pairs**m
        paths = [1] + [0] * self.max_depth
        for _ in range(length):
            paths = [(paths[h - 1] if h else 0) + (paths[h + 1] if h < self.max_depth else 0)
                     for h in range(self.max_depth + 1)]
        return paths[0] * self.pairs**m

    def has_members(self, length: int) -> bool:
        length = check_length(length)
        return length % 2 == 0 and (length == 0 or self.max_depth != 0)

    def has_nonmembers(self, length: int) -> bool:
        length = check_length(length)
        return length > 0

    def _sample_members(self, length, count, rng):
        depth = length // 2 if self.max_depth is None else self.max_depth
        pattern = sample_paths(length, depth, count, rng)
        if self.pairs == 1:
            return pattern  # 0 opens, 1 closes: already the symbols of "()"
        return assign_types(pattern, self.pairs, rng)

    def _first_indices(self, length, label):
        if label == "nonmember" or not self.has_members(length):
            return super()._first_indices(length, label)
        # open (type 0) whenever the bound and the length left allow, else close
        m = length // 2
        depth = m if self.max_depth is None else min(self.max_depth, m)
        pattern = [0] * depth + [1, 0] * (m - depth) + [1] * depth
        return np.array(pattern, np.uint8)

    def _contains_indices(self, indices):
        indices = np.asarray(indices)
        count, length = indices.shape
        if length % 2:
            return np.zeros(count, bool)
        closes = indices & 1  # odd indices close
        ok = closes.sum(axis=1, dtype=np.int64) == length // 2  # cheap first filter
        rows = np.flatnonzero(ok)
        heights = np.cumsum(1 - 2 * closes[rows].astype(np.int32), axis=1)
        if length:
            good = heights.min(axis=1) >= 0
            if self.max_depth is not None:
                good &= heights.max(axis=1) <= self.max_depth
            ok[rows] = good
        if self.pairs == 1 or not ok.any():
            return ok
        rows = np.flatnonzero(ok)
        words = indices[rows].astype(np.int64)
        width = length // 2 + 2
        slot = np.arange(len(rows), dtype=np.intp) * width
        stack = np.zeros(len(rows) * width, np.int64)  # openers; scratch above the top
        good = np.ones(len(rows), bool)
        for column in words.T:
            closing = (column & 1).astype(bool)
            good &= ~closing | (stack.take(slot - 1, mode="clip") == column - 1)
            stack.put(slot, column)
            slot += 1 - 2 * closing
        ok[rows] = good
        return ok

    def _enumerate_members(self, length):
        depth = self.max_depth if self.max_depth is not None else length

        def step(stack, symbol):
            if symbol % 2 == 0:
                return (*stack, symbol) if len(stack) < depth else None
            return stack[:-1] if stack and stack[-1] == symbol - 1 else None

        def completable(stack, r):
            return len(stack) <= r and (r - len(stack)) % 2 == 0

        return enumerate_by_prefix(length, len(self.alphabet), (), step, completable)


@dataclass(frozen=True, kw_only=True, eq=False)
class ShuffleDyck(Language):
    """Shuffle-Dyck-k: each bracket pair of `alphabet` balanced on its own."""

    name: str
    alphabet: str = "()[]"
    description: str = ""

    def __post_init__(self):
        _check_pairs(self.alphabet)

    @property
    def pairs(self) -> int:
        return len(self.alphabet) // 2

    def contains(self, word: str) -> bool:
        heights = [0] * self.pairs
        for symbol in word:
            where = self.alphabet.find(symbol)
            if where < 0:
                return False
            heights[where // 2] += 1 if where % 2 == 0 else -1
            if heights[where // 2] < 0:
                return False
        return not any(heights)

    def count(self, length: int) -> int:
        length = check_length(length)
        # words[x]: shuffle-Dyck words of length x over the types so far
        words = [math.comb(x, x // 2) // (x // 2 + 1) if x % 2 == 0 else 0
                 for x in range(length + 1)]
        dyck1 = list(words)
        for _ in range(self.pairs - 1):
            words = [sum(math.comb(x, m) * dyck1[m] * words[x - m] for m in range(0, x + 1, 2))
                     for x in range(length + 1)]
        return words[length]

    def has_members(self, length: int) -> bool:
        length = check_length(length)
        return length % 2 == 0

    def has_nonmembers(self, length: int) -> bool:
        length = check_length(length)
        return length > 0

    def _sample_members(self, length, count, rng):
        sizes = self._split(length, count, rng)
        if count <= _FEW_WORDS:
            return np.stack([self._arrange(row, rng) for row in sizes]).reshape(count, length)
        # walk: pick each position's type (uniform arrangement), then step its path
        remaining = sizes.copy()
        height = np.zeros_like(sizes)
        rows = np.arange(count)
        out = np.empty((count, length), np.uint8)
        for position in range(length):
            to_go = length - position
            pick = rng.integers(0, to_go, count)
            kind = (pick[:, None] >= np.cumsum(remaining, axis=1)).sum(axis=1)
            r, h = remaining[rows, kind], height[rows, kind]
            opening = rng.random(count) < open_probability(r, h)
            out[:, position] = 2 * kind + np.where(opening, 0, 1)
            height[rows, kind] += np.where(opening, 1, -1)
            remaining[rows, kind] -= 1
        return out

    def _split(self, length: int, count: int, rng) -> np.ndarray:
        """(count, pairs): how many positions each type gets, with the exact probabilities."""
        logs = _shuffle_counts(self.pairs).rows(length)
        log_fact, log_dyck = log_factorials(length), _log_dyck(length)
        sizes = np.zeros((count, self.pairs), np.int64)
        left = np.full(count, length, np.int64)
        for t in range(self.pairs - 1):
            j = self.pairs - t  # types still to place, this one included
            for total in np.unique(left):
                rows = np.flatnonzero(left == total)
                m = np.arange(total + 1)
                weights = (log_fact[total] - log_fact[m] - log_fact[total - m] + log_dyck[m]
                           + logs[j - 1][total - m])
                sizes[rows, t] = choose(rng, weights, len(rows))
            left -= sizes[:, t]
        sizes[:, -1] = left
        return sizes

    def _arrange(self, sizes: np.ndarray, rng) -> np.ndarray:
        """One member with `sizes[t]` symbols of type t: a uniform interleaving of the
        types, then one uniform Dyck-1 path per type on its positions."""
        kinds = rng.permutation(np.repeat(np.arange(self.pairs), sizes))
        out = np.empty(len(kinds), np.uint8)
        for t, size in enumerate(sizes):
            path = sample_paths(int(size), int(size) // 2, 1, rng)[0]
            out[kinds == t] = 2 * t + path
        return out

    def _first_indices(self, length, label):
        if label == "nonmember" or length % 2:
            return super()._first_indices(length, label)
        return np.repeat(np.array([0, 1], np.uint8), length // 2)  # ((( ... ))) of type 0

    def _contains_indices(self, indices):
        indices = np.asarray(indices)
        ok = np.ones(len(indices), bool)
        for t in range(self.pairs):
            steps = np.where(indices == 2 * t, 1, np.where(indices == 2 * t + 1, -1, 0))
            heights = np.cumsum(steps, axis=1)
            if indices.shape[1]:
                ok &= (heights.min(axis=1) >= 0) & (heights[:, -1] == 0)
        return ok

    def _enumerate_members(self, length):
        def step(heights, symbol):
            t = symbol // 2
            if symbol % 2 == 1 and heights[t] == 0:
                return None
            return (*heights[:t], heights[t] + (1 if symbol % 2 == 0 else -1), *heights[t + 1:])

        def completable(heights, r):
            return sum(heights) <= r and (r - sum(heights)) % 2 == 0

        return enumerate_by_prefix(length, len(self.alphabet), (0,) * self.pairs, step,
                                   completable)
