"""Uniform Dyck-1 paths (optionally depth-bounded) and the bracket types of Dyck-k.

A path of length r = 2m steps up (symbol 0, open) or down (symbol 1, close)
from height 0 back to 0, never below 0 (nor above D with a depth bound). With
r steps to go at height h, let ``a = (r - h) / 2`` be the up-steps still to
come; the number of ways back to 0 is ``C(r, a) (h + 1) / (r - a + 1)``
(ballot numbers), so a uniform path goes up with probability
``a (h + 2) / (a (h + 2) + (r - a + 1) h)`` (`open_probability`). With a depth
bound the path counts come from a dynamic programme over heights 0 .. D
instead, computed once per D up to the largest length asked.

`sample_paths` walks paths with block tables (`languages.walk`) for calls of
thousands of words up to lengths of about a thousand, one step at a time
otherwise: all words at once with numpy, or a few words one by one in plain
Python (about 0.4 µs per symbol).

`assign_types` turns a Dyck-1 pattern into a uniform Dyck-k word: each
opener's type is uniform and independent, each closer takes its opener's
type. A few words are matched by sorting the positions by level (an opener
that reaches height h + 1 and the closer back to h share level h; along a
level, openers and closers alternate and pair up); many short words keep a
stack packed in one integer each, many long ones an explicit stack.
"""

from __future__ import annotations

import functools

import numpy as np

from languages.errors import LengthError
from languages.walk import TableCache, WalkTables, build_tables, prefer_tables, walk

_MAX_BOUNDED = 1 << 26  # path probabilities of a depth-bounded sampler
_FEW_WORDS = 16  # words walked one by one in plain Python
_STEPS = 4096  # positions per chunk of random numbers
_MATCH_WORDS = 128  # types by sorting for at most this many words at once
_PATH_TABLES = TableCache(16)  # walk tables by (length, depth, unbounded)


def open_probability(r: np.ndarray, h: np.ndarray) -> np.ndarray:
    """P(open) of a uniform Dyck-1 path with r steps to go at height h (unbounded)."""
    a = (r - h) // 2
    up = a * (h + 2.0)
    down = (r - a + 1.0) * h
    return up / np.maximum(up + down, 1.0)


def sample_paths(length: int, depth: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` uniform Dyck-1 paths of `length` with heights 0 .. depth, (count, length) uint8.

    The caller makes sure such paths exist (`length` even, depth >= 1 unless
    length is 0); a depth of length / 2 or more binds nothing.
    """
    depth = min(depth, length // 2)
    unbounded = depth == length // 2
    if prefer_tables(2, depth + 1, length, count):
        tables = _PATH_TABLES.get((length, depth, unbounded),
                                  lambda: _path_tables(length, depth, unbounded))
        return walk(tables, rng, count, 0)
    return _path_direct(length, depth, unbounded, rng, count)


class _BoundedPaths:
    """P(open) of uniform Dyck-1 paths kept at heights 0 .. depth, grown on demand.

    ``rows(length)[r][h]``: P(open) with r symbols to go at height h, from log
    path counts ``log N_r(h)`` (N_0(h) = [h = 0]); row 0 is unused. Rows do not
    depend on the length asked: they are computed once up to the largest
    (at least doubling) and sliced, read-only.
    """

    def __init__(self, depth: int):
        self.depth = depth
        self.table = np.zeros((1, depth + 1))
        self.logs = np.where(np.arange(depth + 1) == 0, 0.0, -np.inf)  # log N_r, r = top

    def rows(self, length: int) -> np.ndarray:
        have = len(self.table) - 1
        if length > have:
            target = max(length, min(2 * have, _MAX_BOUNDED // (self.depth + 1) - 1))
            table = np.zeros((target + 1, self.depth + 1))
            table[: have + 1] = self.table
            logs = self.logs
            with np.errstate(divide="ignore", invalid="ignore"):
                for r in range(have + 1, target + 1):
                    up = np.append(logs[1:], -np.inf)
                    down = np.insert(logs[:-1], 0, -np.inf)
                    logs = np.logaddexp(up, down)
                    table[r] = np.nan_to_num(np.exp(up - logs), nan=0.0)
            table.flags.writeable = False
            self.table, self.logs = table, logs
        return self.table[: length + 1]


@functools.lru_cache(maxsize=8)
def _bounded_paths(depth: int) -> _BoundedPaths:
    return _BoundedPaths(depth)


def _path_tables(length: int, depth: int, unbounded: bool) -> WalkTables:
    """Walk tables of a uniform Dyck-1 path of `length` steps with heights 0 .. depth.

    States are heights; symbol 0 opens (up), 1 closes (down).
    """
    heights = np.arange(depth + 1)
    successors = np.stack([np.minimum(heights + 1, depth), np.maximum(heights - 1, 0)], axis=1)
    bounded = None if unbounded else _bounded_paths(depth).rows(length)

    def probabilities(r: int) -> np.ndarray:
        up = open_probability(np.int64(r), heights) if bounded is None else bounded[r]
        up = np.clip(np.nan_to_num(up, nan=0.0), 0.0, 1.0)
        return np.stack([up, 1.0 - up], axis=1)

    return build_tables(length, probabilities, successors)


def _path_direct(length: int, depth: int, unbounded: bool, rng: np.random.Generator,
                 count: int) -> np.ndarray:
    """Uniform Dyck-1 paths one step at a time (where tables do not pay off).

    Numbers come a chunk of positions at a time, as a (positions, words)
    array; a few words are walked one by one in plain Python (`_path_steps`),
    more all at once with numpy. The same numbers give the same paths.
    """
    if not unbounded and (length + 1) * (depth + 1) > _MAX_BOUNDED:
        raise LengthError(f"sampling Dyck words of length {length} with max_depth {depth} "
                          f"needs {(length + 1) * (depth + 1)} path probabilities; the limit "
                          f"is {_MAX_BOUNDED}")
    table = None if unbounded else _bounded_paths(depth).rows(length)
    out = np.empty((count, length), np.uint8)
    height = np.zeros(count, np.int64)
    for low in range(0, length, _STEPS):
        numbers = rng.random((min(_STEPS, length - low), count))
        if count <= _FEW_WORDS:
            for word in range(count):
                out[word, low : low + len(numbers)], height[word] = _path_steps(
                    length - low, numbers[:, word].tolist(), int(height[word]), table)
            continue
        for k, row in enumerate(numbers):
            r = length - low - k
            up = open_probability(np.int64(r), height) if table is None else table[r][height]
            opening = row < up
            out[:, low + k] = ~opening
            height += np.where(opening, 1, -1)
    return out


def _path_steps(r: int, numbers: list[float], height: int,
                table: np.ndarray | None) -> tuple[np.ndarray, int]:
    """One path's symbols for ``len(numbers)`` steps from r to go at `height`, and its height.

    The arithmetic of `open_probability` (or the bounded table) in Python floats.
    """
    symbols = bytearray(len(numbers))
    item = None if table is None else table.item
    for k, number in enumerate(numbers):
        if item is None:
            a = (r - height) // 2
            up = a * (height + 2.0)
            down = (r - a + 1.0) * height
            p = up / max(up + down, 1.0)
        else:
            p = item(r, height)
        if number < p:
            height += 1
        else:
            symbols[k] = 1
            height -= 1
        r -= 1
    return np.frombuffer(bytes(symbols), np.uint8), height


def assign_types(pattern: np.ndarray, pairs: int, rng: np.random.Generator) -> np.ndarray:
    """Dyck-k symbols from a Dyck-1 pattern: uniform opener types, forced closers.

    A few words (at most 128) are matched by sorting (`_assign_types_matched`).
    For more, the stack of open types lives in one uint64 per word, b =
    ceil(log2 k) bits per type, when the deepest stack fits (length / 2 * b <=
    64): an opener shifts its type in, a closer reads the low bits and shifts
    them out. Deeper words keep an explicit stack per word.
    """
    count, length = pattern.shape
    bits = max(1, (pairs - 1).bit_length())
    if count <= _MATCH_WORDS:
        return _assign_types_matched(pattern, pairs, rng)
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


def _assign_types_matched(pattern: np.ndarray, pairs: int,
                          rng: np.random.Generator) -> np.ndarray:
    """`assign_types` by matching each closer to its opener, all words at once.

    The level of a bracket is the height below it: h - 1 after an opener that
    reaches h, h after a closer that reaches h. Sorting the positions by
    (word, level), stably, lists each level's brackets in order, where openers
    and closers alternate and each closer follows its opener.
    """
    count, length = pattern.shape
    closes = pattern.astype(np.int64)
    level = np.cumsum(1 - 2 * closes, axis=1) + closes - 1  # (count, length)
    level += (np.arange(count, dtype=np.int64) * (length // 2 + 1))[:, None]
    order = np.argsort(level.ravel(), kind="stable")
    types = 2 * rng.integers(0, pairs, count * length // 2, dtype=np.uint8)
    out = np.empty(count * length, np.uint8)
    out[order[0::2]] = types
    out[order[1::2]] = types + 1
    return out.reshape(count, length)


def _assign_types_packed(pattern: np.ndarray, pairs: int, bits: int,
                         rng: np.random.Generator) -> np.ndarray:
    """`assign_types` with each word's stack packed into one uint64 (see there)."""
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
