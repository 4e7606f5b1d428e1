"""Dyck languages (well-nested brackets, optionally depth-bounded) and shuffle-Dyck.

The alphabet lists bracket pairs, opener then closer: ``"()"`` for Dyck-1,
``"()[]"`` for Dyck-2; symbol ``2t`` opens and ``2t + 1`` closes type t.

Dyck-k: every closer closes the most recent unclosed opener of its type, and
every opener is closed; with ``max_depth=D`` no prefix has more than D open
brackets. Members of length n = 2m: ``Cat(m) * k^m`` (unbounded), where
``Cat(m) = C(2m, m) / (m + 1)``.

Sampling a uniform member: the open/close pattern of a uniform Dyck-k word is
a uniform Dyck-1 path and the types of the openers are independent and
uniform (each closer's type is forced). With r symbols to go at height h,
let ``a = (r - h) / 2`` be the openers still to come; the number of paths
from h back to 0 in r steps, never below 0, is ``C(r, a) (h + 1) / (r - a + 1)``
(ballot numbers), so the walker opens with probability
``a (h + 2) / (a (h + 2) + (r - a + 1) h)``. With a depth bound the path
counts come from a dynamic programme over heights 0 .. D instead. Paths are
walked with block tables (`languages.walk`) up to lengths of about a thousand,
one step at a time beyond.

Shuffle-Dyck-k: each bracket type is balanced on its own (the projection of
the word onto each pair is a Dyck-1 word), with no constraint between types.
A uniform member is drawn by splitting the positions between the types (with
the exact probability of each split, from ``C(x, m) Cat(m / 2)`` terms in log
space), then walking one independent Dyck-1 path per type.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from languages.errors import LengthError, WordError
from languages.language import (
    Language,
    check_alphabet,
    check_length,
    choose,
    enumerate_by_prefix,
)
from languages.walk import WalkTables, build_tables, prefer_tables, walk

_MAX_BOUNDED = 1 << 26  # path probabilities of a depth-bounded sampler


def _check_pairs(pairs: str) -> str:
    check_alphabet(pairs, WordError)
    if len(pairs) % 2:
        raise WordError(f"bracket pairs {pairs!r} must have even length (opener, closer, ...)")
    return pairs


def _log_catalan(m: int) -> float:
    return math.lgamma(2 * m + 1) - math.lgamma(m + 1) - math.lgamma(m + 2)


def open_probability(r: np.ndarray, h: np.ndarray) -> np.ndarray:
    """P(open) of a uniform Dyck-1 path with r steps to go at height h (unbounded)."""
    a = (r - h) // 2
    up = a * (h + 2.0)
    down = (r - a + 1.0) * h
    return up / np.maximum(up + down, 1.0)


@functools.lru_cache(maxsize=8)
def _bounded_open(depth: int, length: int) -> np.ndarray:
    """[r][h]: P(open) with r symbols to go at height h = 0 .. depth, paths kept <= depth.

    From log path counts ``log N_r(h)`` (N_0(h) = [h = 0]); row 0 is unused.
    """
    out = np.zeros((length + 1, depth + 1))
    logs = np.where(np.arange(depth + 1) == 0, 0.0, -np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        for r in range(1, length + 1):
            up = np.append(logs[1:], -np.inf)
            down = np.insert(logs[:-1], 0, -np.inf)
            logs = np.logaddexp(up, down)
            out[r] = np.nan_to_num(np.exp(up - logs), nan=0.0)
    return out


@functools.lru_cache(maxsize=16)
def _path_tables(length: int, depth: int, unbounded: bool) -> WalkTables:
    """Walk tables of a uniform Dyck-1 path of `length` steps with heights 0 .. depth.

    States are heights; symbol 0 opens (up), 1 closes (down).
    """
    heights = np.arange(depth + 1)
    successors = np.stack([np.minimum(heights + 1, depth), np.maximum(heights - 1, 0)], axis=1)

    def probabilities(r: int) -> np.ndarray:
        if unbounded:
            up = open_probability(np.int64(r), heights)
        else:
            up = _bounded_open(depth, length)[r]
        up = np.clip(np.nan_to_num(up, nan=0.0), 0.0, 1.0)
        return np.stack([up, 1.0 - up], axis=1)

    return build_tables(length, probabilities, successors)


def _path_direct(length: int, depth: int, unbounded: bool, rng: np.random.Generator,
                 count: int) -> np.ndarray:
    """Uniform Dyck-1 paths one step at a time (long paths, where tables would not fit)."""
    if not unbounded and (length + 1) * (depth + 1) > _MAX_BOUNDED:
        raise LengthError(f"sampling Dyck words of length {length} with max_depth {depth} "
                          f"needs {(length + 1) * (depth + 1)} path probabilities; the limit "
                          f"is {_MAX_BOUNDED}")
    table = None if unbounded else _bounded_open(depth, length)
    out = np.empty((count, length), np.uint8)
    height = np.zeros(count, np.int64)
    for position in range(length):
        r = length - position
        up = open_probability(np.int64(r), height) if unbounded else table[r][height]
        opening = rng.random(count) < up
        out[:, position] = ~opening
        height += np.where(opening, 1, -1)
    return out


def _assign_types(pattern: np.ndarray, pairs: int, rng: np.random.Generator) -> np.ndarray:
    """Dyck-k symbols from a Dyck-1 pattern: uniform opener types, forced closers.

    The stack of open types lives in one uint64 per word, b = ceil(log2 k)
    bits per type, when the deepest stack fits (length / 2 * b <= 64): an
    opener shifts its type in, a closer reads the low bits and shifts them
    out. Deeper words keep an explicit stack per word.
    """
    count, length = pattern.shape
    bits = max(1, (pairs - 1).bit_length())
    if (length // 2) * bits <= 64:
        return _assign_types_packed(pattern, pairs, bits, rng)
    out = np.empty_like(pattern)
    width = length // 2 + 2
    for low in range(0, count, 4096):
        part = pattern[low : low + 4096]
        rows = len(part)
        opener = 2 * rng.integers(0, pairs, (rows, length), dtype=np.uint8)
        move = 1 - 2 * part.astype(np.intp)
        stack = np.zeros(rows * width, np.uint8)  # the opener symbols; scratch above the top
        slot = np.arange(rows, dtype=np.intp) * width
        target = out[low : low + 4096]
        for position in range(length):
            top = stack.take(slot - 1, mode="clip")
            target[:, position] = np.where(part[:, position], top + 1, opener[:, position])
            stack.put(slot, opener[:, position])
            slot += move[:, position]
    return out


def _assign_types_packed(pattern: np.ndarray, pairs: int, bits: int,
                         rng: np.random.Generator) -> np.ndarray:
    """`_assign_types` with each word's stack packed into one uint64 (see there)."""
    count, length = pattern.shape
    closes = np.ascontiguousarray(pattern.T).astype(bool)  # (length, count)
    types = rng.integers(0, pairs, (length, count), dtype=np.uint64)
    shift, mask, one = np.uint64(bits), np.uint64((1 << bits) - 1), np.uint64(1)
    stack = np.zeros(count, np.uint64)
    out = np.empty((length, count), np.uint8)
    for position in range(length):
        closing = closes[position]
        top = stack & mask
        out[position] = np.where(closing, 2 * top + one, 2 * types[position])
        stack = np.where(closing, stack >> shift, (stack << shift) | types[position])
    return np.ascontiguousarray(out.T)


@functools.lru_cache(maxsize=64)
def _shuffle_log_counts(pairs: int, length: int) -> np.ndarray:
    """[j][x]: log of the number of shuffle-Dyck words of length x over j types (j < pairs)."""
    x = np.arange(length + 1)
    log_fact = np.array([math.lgamma(v + 1) for v in range(length + 1)])
    log_dyck = np.array([_log_catalan(v // 2) if v % 2 == 0 else -np.inf for v in x])
    logs = np.full((pairs + 1, length + 1), -np.inf)
    logs[1] = log_dyck
    for j in range(2, pairs):
        for total in range(length + 1):
            m = x[: total + 1]
            terms = (log_fact[total] - log_fact[m] - log_fact[total - m]
                     + log_dyck[m] + logs[j - 1][total - m])
            top = terms.max()
            if top > -np.inf:
                logs[j][total] = top + np.log(np.exp(terms - top).sum())
    return logs


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
        depth = length // 2 if self.max_depth is None else min(self.max_depth, length // 2)
        unbounded = depth == length // 2  # a bound of length / 2 or more binds nothing
        if prefer_tables(2, depth + 1, length, count):
            pattern = walk(_path_tables(length, depth, unbounded), rng, count, 0)
        else:
            pattern = _path_direct(length, depth, unbounded, rng, count)
        if self.pairs == 1:
            return pattern  # 0 opens, 1 closes: already the symbols of "()"
        return _assign_types(pattern, self.pairs, rng)

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
        logs = _shuffle_log_counts(self.pairs, length)
        # split the positions: how many go to each type
        sizes = np.zeros((count, self.pairs), np.int64)
        left = np.full(count, length, np.int64)
        for t in range(self.pairs - 1):
            j = self.pairs - t  # types still to place, this one included
            for total in np.unique(left):
                rows = np.flatnonzero(left == total)
                m = np.arange(total + 1)
                weights = [math.lgamma(total + 1) - math.lgamma(v + 1) - math.lgamma(total - v + 1)
                           + (_log_catalan(v // 2) if v % 2 == 0 else -math.inf)
                           + logs[j - 1][total - v] for v in m]
                sizes[rows, t] = choose(rng, weights, len(rows))
            left -= sizes[:, t]
        sizes[:, -1] = left
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
