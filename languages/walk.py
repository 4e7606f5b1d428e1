"""Vectorised sampling of a Markov chain that emits one symbol per step, in blocks.

The counting samplers (a DFA walking towards acceptance, a Dyck path walking
back to height 0) are chains over states 0 .. Q-1: with r symbols to go, state
q emits symbol s with probability ``P_r[q, s]`` and moves to ``next[q, s]``.
Walking one symbol at a time costs several numpy passes per symbol, so
`build_tables` groups the steps into blocks of b symbols (b = 8 for two
symbols, 4 for three or four, 2 up to sixteen, 1 beyond; smaller when the
tables would grow past about 2^18 entries): for each block and each state it
tabulates the probability of every one of the M = S^b outcomes (the product of
the step probabilities), the state after it, and its b symbols packed into one
little-endian integer, and turns each state's outcome distribution into an
alias table (Walker 1977, Vose 1991). `walk` then draws one outcome per word
and block from one 64-bit random number: its low half picks an entry j of the
row uniformly (multiply-shift), its high half keeps j with the entry's keep
probability, else takes j's alias.

Probabilities are resolved to 2^-32. Outcomes of probability zero are never
drawn: they keep with probability 0 and their alias has positive probability.

Tables cost Python time per block (0.5 to 8 ms for 256 outcomes and 2 to 5
states) and memory per (state, outcome, block), so they are built only for
calls of many words (`prefer_tables`) and kept in a small least-recently-used
cache (`TableCache`). Everything else goes through `walk_direct`: one symbol per
step, each word choosing by the cumulative step probabilities of its state. For
many words that is a few numpy passes per symbol; for a few words it is a plain
loop per word (under a microsecond per symbol). Both give the same words for
the same numbers.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import numpy as np

_MAX_ENTRIES = 1 << 18  # rows x outcomes over all blocks, before shrinking the block
_MAX_TABLES = 1 << 20  # entries beyond which `prefer_tables` says no
_TABLE_WORDS = 4096  # words in one call from which building new tables pays off
_FEW_WORDS = 16  # walk_direct follows at most this many words one by one
_FEW_STATES = 8  # _follow tabulates every state's choice for at most this many states
_PACKED = {8: np.dtype("<u8"), 4: np.dtype("<u4"), 2: np.dtype("<u2"), 1: np.dtype("u1")}
_LOW = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)


@dataclass(frozen=True)
class WalkTables:
    """Per-block alias tables of a chain (see the module docstring).

    Entries are indexed by ``q * M + j`` (state q, outcome j of the block).
    """

    length: int
    width: int  # symbols per block (the last block may be shorter)
    outcomes: tuple[int, ...]  # M per block
    keep: tuple[np.ndarray, ...]  # per block: keep thresholds, scaled to 2^32 (uint64)
    alias: tuple[np.ndarray, ...]  # per block: the alias entry (flat index, uint64)
    packed: tuple[np.ndarray, ...]  # per block: the entry's symbols packed little-endian
    following: tuple[np.ndarray, ...]  # per block: next state times the next block's M


def block_width(symbols: int, states: int, length: int) -> int:
    width = 8 if symbols <= 2 else 4 if symbols <= 4 else 2 if symbols <= 16 else 1
    while width > 1 and -(-length // width) * states * symbols**width > _MAX_ENTRIES:
        width //= 2
    return width


def prefer_tables(symbols: int, states: int, length: int, count: int) -> bool:
    """Whether block tables pay off for `count` words (else use `walk_direct`).

    Tables hold states * S^b entries per block (at most 2^20 in all here) and
    cost milliseconds per block to build, hundreds of times a direct step;
    walking them costs a few numpy passes per block instead of per symbol. So
    they are used for calls of at least 4096 words (and kept for the next
    such call). The answer depends on the arguments alone, so the same
    arguments and seed always give the same words.
    """
    width = block_width(symbols, states, length)
    blocks = -(-length // width)
    return (blocks * states * symbols**width <= _MAX_TABLES and blocks <= 1024 + count // 8
            and count >= _TABLE_WORDS)


class TableCache:
    """At most `size` values (walk tables), the least recently used dropped first."""

    def __init__(self, size: int = 16):
        self.size = size
        self._items: OrderedDict = OrderedDict()

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    def get(self, key: Hashable, build: Callable[[], object]):
        """The value for `key`, built by `build()` on a miss."""
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        value = self._items[key] = build()
        if len(self._items) > self.size:
            self._items.popitem(last=False)
        return value


def step_tables(probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What `walk_direct` reads from step probabilities P (..., Q, S): (cumulative, last).

    ``cumulative[..., q, s] = sum_{t <= s} P[..., q, t]`` and ``last[..., q]``,
    the last symbol of positive probability from q (NaN rows count as zeros).
    """
    steps = np.nan_to_num(probabilities, nan=0.0)
    last = steps.shape[-1] - 1 - np.argmax(steps[..., ::-1] > 0, axis=-1)
    return np.cumsum(steps, axis=-1), last


def walk_direct(length: int, steps: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
                successors: np.ndarray, rng: np.random.Generator, count: int,
                start: int) -> np.ndarray:
    """Like `walk` without tables: one uniform number per word and symbol.

    `steps` maps an array rs of steps-to-go (consecutive, descending) to the
    `step_tables` of their ``P_r``, (len(rs), Q, S) and (len(rs), Q); it is
    asked for a few thousand steps at a time. Each word in state q picks the
    first symbol s whose cumulative probability ``sum_{t <= s} P_r[q, t]``
    exceeds its number; rounding that leaves the number above the last
    cumulative value falls back to q's last symbol of positive probability, so
    a symbol of probability zero is never drawn. A few words are followed one
    at a time (`_follow`), more all at once; the words are the same either way.
    """
    states, symbols = successors.shape
    out = np.empty((count, length), np.uint8)
    state = np.full(count, start, dtype=np.int64)
    chunk = max(1, min(length, (1 << 22) // max(1, states * symbols + count)))
    for low in range(0, length, chunk):
        rs = np.arange(length - low, max(length - low - chunk, 0), -1)
        cumulative, last = steps(rs)
        numbers = rng.random((len(rs), count))
        if count <= _FEW_WORDS:
            for word in range(count):
                out[word, low : low + len(rs)], state[word] = _follow(
                    cumulative, last, successors, numbers[:, word], int(state[word]))
            continue
        for k in range(len(rs)):
            symbol = (numbers[k][:, None] >= cumulative[k][state]).sum(axis=1)
            symbol = np.minimum(symbol, last[k][state])
            out[:, low + k] = symbol
            state = successors[state, symbol]
    return out


def _follow(cumulative: np.ndarray, last: np.ndarray, successors: np.ndarray,
            numbers: np.ndarray, state: int) -> tuple[np.ndarray, int]:
    """One word's symbols for the k steps of `cumulative` (k, Q, S), and its state after.

    The rule of `walk_direct`. With few states, one vectorised pass tabulates
    the symbol that the word's number picks at every step in every state, and
    a plain loop follows the states (about 0.3 µs a symbol); with more, a
    plain loop reads only the current state's row (about 0.8 µs a symbol).
    """
    steps, states = last.shape
    if states <= _FEW_STATES:
        choice = np.minimum((numbers[:, None, None] >= cumulative).sum(axis=2), last)
        following = successors[np.arange(states), choice].tolist()  # (k, Q)
        path = [0] * steps
        for k, row in enumerate(following):
            path[k] = state
            state = row[state]
        return choice[np.arange(steps), path].astype(np.uint8), state
    read, top, after = cumulative.item, last.item, successors.item
    out = bytearray(steps)
    for k, number in enumerate(numbers.tolist()):
        symbol, end = 0, top(k, state)
        while symbol < end and number >= read(k, state, symbol):
            symbol += 1
        out[k] = symbol
        state = after(state, symbol)
    return np.frombuffer(bytes(out), np.uint8), state


def alias_tables(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vose's alias method on every row of `weight` at once: (keep, alias) per entry.

    Drawing entry j uniformly, then keeping it with probability keep[j] and else
    taking alias[j], draws j with probability weight[j] / sum(weight).
    """
    rows, m = weight.shape
    total = weight.sum(axis=1, keepdims=True)
    scaled = weight * (m / np.where(total > 0, total, 1.0))
    keep = np.ones((rows, m))
    alias = np.tile(np.arange(m), (rows, 1))
    unpaired = np.ones((rows, m), bool)
    every = np.arange(rows)
    for _ in range(m):
        small = unpaired & (scaled < 1.0)
        large = unpaired & (scaled >= 1.0)
        both = small.any(axis=1) & large.any(axis=1)
        if not both.any():
            break
        row = every[both]
        s = np.argmax(small, axis=1)[both]
        g = np.argmax(large, axis=1)[both]
        keep[row, s] = scaled[row, s]
        alias[row, s] = g
        scaled[row, g] -= 1.0 - scaled[row, s]
        unpaired[row, s] = False
    # entries left unpaired keep themselves; an entry of weight 0 keeps with
    # probability 0 and gets an alias of positive weight
    zero = weight <= 0
    keep[zero] = 0.0
    bad = zero & (np.take_along_axis(weight, alias, axis=1) <= 0)
    alias[bad] = np.broadcast_to(np.argmax(weight, axis=1)[:, None], (rows, m))[bad]
    return keep, alias


def build_tables(length: int, probabilities: Callable[[int], np.ndarray],
                 successors: np.ndarray) -> WalkTables:
    """Tables for a walk of `length` symbols.

    Args:
        length: symbols per word.
        probabilities: r -> (Q, S) array, ``P_r[q, s]`` with r symbols to go; rows of
            states that cannot finish may be anything (they are never entered).
        successors: (Q, S) array of next states.
    """
    states, symbols = successors.shape
    width = block_width(symbols, states, length)
    starts = list(range(0, length, width))
    sizes = [min(width, length - start) for start in starts]
    outcomes = [symbols**b for b in sizes]
    keeps, aliases, packed, following = [], [], [], []
    for k, (start, b) in enumerate(zip(starts, sizes, strict=True)):
        weight = np.ones((states, 1))
        where = np.arange(states)[:, None]
        code = np.zeros((states, 1), np.uint64)
        for j in range(b):
            step = np.nan_to_num(probabilities(length - start - j), nan=0.0)  # (Q, S)
            weight = (weight[:, :, None] * step[where]).reshape(states, -1)
            where = successors[where].reshape(states, -1)
            code = (code[:, :, None] + (np.arange(symbols, dtype=np.uint64)
                                        << np.uint64(8 * j))).reshape(states, -1)
        keep, alias = alias_tables(weight)
        m = outcomes[k]
        keeps.append(np.round(keep.ravel() * 2.0**32).astype(np.uint64))
        aliases.append((alias + np.arange(states)[:, None] * m).ravel().astype(np.uint64))
        packed.append(code.ravel().astype(_PACKED[width]))
        after = outcomes[k + 1] if k + 1 < len(outcomes) else 1
        following.append((where.ravel() * after).astype(np.uint64))
    return WalkTables(length, width, tuple(outcomes), tuple(keeps), tuple(aliases),
                      tuple(packed), tuple(following))


def walk(tables: WalkTables, rng: np.random.Generator, count: int, start: int) -> np.ndarray:
    """`count` words of the chain from state `start`, as a (count, length) uint8 array."""
    width, length = tables.width, tables.length
    blocks = len(tables.outcomes)
    out = np.zeros((count, blocks * width), np.uint8)
    view = out.view(_PACKED[width])  # (count, blocks)
    base = np.full(count, start * (tables.outcomes[0] if blocks else 1), dtype=np.uint64)
    for k in range(blocks):
        raw = rng.bit_generator.random_raw(count)
        entry = base + (((raw & _LOW) * np.uint64(tables.outcomes[k])) >> _SHIFT)
        kept = (raw >> _SHIFT) < tables.keep[k].take(entry)
        entry = np.where(kept, entry, tables.alias[k].take(entry))
        view[:, k] = tables.packed[k].take(entry)
        base = tables.following[k].take(entry)
    return out if blocks * width == length else np.ascontiguousarray(out[:, :length])
