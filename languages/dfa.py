"""Deterministic finite automata: run, minimise, compare, combine, count, sample.

A `DFA` has states 0 .. n-1, a start state, a set of accepting states and a
complete transition table ``transitions[state][i]``: the state reached from
``state`` on symbol ``alphabet[i]``. It is immutable and validated when built.

Counting and sampling use the number of accepted completions: ``N_r(q)``, the
number of words of length r accepted from state q, satisfies
``N_0(q) = [q accepting]`` and ``N_r(q) = sum_s N_{r-1}(delta(q, s))``. A
uniform member of length n is drawn symbol by symbol, choosing s from state q
with probability ``N_{r-1}(delta(q, s)) / N_r(q)``. The sampler keeps
``log N_r`` (so nothing overflows at any length) and walks all words at once
with numpy, or a few words one by one (`languages.walk`); `count` keeps exact
Python integers. Neither ``log N_r`` nor the step probabilities depend on the
length asked, so each DFA keeps their tables up to the largest length asked
(while a table holds at most 2^22 numbers) and slices them.

Minimisation is Hopcroft's partition refinement (`languages.partition`).

Not checked: that the DFA is minimal or that every state is reachable (use
`minimize`).
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from languages.errors import DFAError
from languages.language import check_alphabet
from languages.partition import equivalence_classes
from languages.walk import (
    TableCache,
    build_tables,
    prefer_tables,
    step_tables,
    walk,
    walk_direct,
)

_MAX_CACHED = 1 << 22  # numbers in a cached table of log counts (32 MiB)


@dataclass(frozen=True, kw_only=True)
class DFA:
    """A complete DFA over `alphabet` (see the module docstring).

    Attributes:
        alphabet: the symbols, one character each; symbol i is ``alphabet[i]``.
        transitions: ``transitions[q][i]`` is the state after reading symbol i in q.
        start: the start state.
        accepting: the accepting states.
    """

    alphabet: str
    transitions: tuple[tuple[int, ...], ...]
    start: int = 0
    accepting: frozenset[int] = frozenset()

    def __post_init__(self):
        check_alphabet(self.alphabet, DFAError)
        object.__setattr__(self, "transitions", _validate_transitions(self))
        _validate_start(self)
        object.__setattr__(self, "accepting", _validate_accepting(self))

    @classmethod
    def from_dict(cls, alphabet: str, delta: dict, *, start=0, accepting: Iterable = ()) -> DFA:
        """A DFA from ``{(state, symbol): state}`` with states of any hashable names.

        States are numbered in order of first appearance (start state first).
        """
        names = [start]
        for (q, _), r in delta.items():
            for name in (q, r):
                if name not in names:
                    names.append(name)
        number = {name: i for i, name in enumerate(names)}
        rows = []
        for q in names:
            row = []
            for s in alphabet:
                if (q, s) not in delta:
                    raise DFAError(f"no transition from state {q!r} on symbol {s!r}")
                row.append(number[delta[q, s]])
            rows.append(tuple(row))
        unknown = [q for q in accepting if q not in number]
        if unknown:
            raise DFAError(f"accepting state {unknown[0]!r} is not a state of the DFA")
        return cls(alphabet=alphabet, transitions=tuple(rows), start=0,
                   accepting=frozenset(number[q] for q in accepting))

    @property
    def states(self) -> int:
        return len(self.transitions)

    @functools.cached_property
    def table(self) -> np.ndarray:
        """The transitions as a (states, symbols) int64 array."""
        return np.array(self.transitions, dtype=np.int64).reshape(self.states, len(self.alphabet))

    @functools.cached_property
    def accepting_mask(self) -> np.ndarray:
        mask = np.zeros(self.states, dtype=bool)
        mask[list(self.accepting)] = True
        return mask

    # ---- running -----------------------------------------------------------------

    def run(self, word: str) -> int:
        """The state reached after reading `word` from the start state."""
        index = {s: i for i, s in enumerate(self.alphabet)}
        state = self.start
        for symbol in word:
            if symbol not in index:
                raise DFAError(f"symbol {symbol!r} of word {word!r} is not in the "
                               f"alphabet {self.alphabet!r}")
            state = self.transitions[state][index[symbol]]
        return state

    def accepts(self, word: str) -> bool:
        """Whether the DFA accepts `word` (False if it has a symbol outside the alphabet)."""
        if not set(word) <= set(self.alphabet):
            return False
        return self.run(word) in self.accepting

    def accepts_indices(self, indices: np.ndarray) -> np.ndarray:
        """Acceptance of each row of a (batch, length) array of symbol indices."""
        states = np.full(len(indices), self.start, dtype=np.int64)
        table = self.table
        for column in np.asarray(indices).T:
            states = table[states, column]
        return self.accepting_mask[states]

    # ---- structure ---------------------------------------------------------------

    def reachable(self) -> list[int]:
        """The states reachable from the start, in breadth-first order (symbols in order)."""
        seen, order, queue = {self.start}, [self.start], deque([self.start])
        while queue:
            for r in self.transitions[queue.popleft()]:
                if r not in seen:
                    seen.add(r)
                    order.append(r)
                    queue.append(r)
        return order

    def minimize(self) -> DFA:
        """The minimal DFA of the same language, states numbered in BFS order from start.

        Unreachable states are dropped, then Hopcroft's partition refinement
        (`languages.partition`, O(n k log n) for n states and k symbols) merges
        states that no word tells apart, and the merged states are numbered in
        breadth-first order from the start (symbols in alphabet order). Two
        DFAs accept the same language iff their minimisations are equal (as
        values).
        """
        keep = self.reachable()
        number = {q: i for i, q in enumerate(keep)}
        rows = [[number[r] for r in self.transitions[q]] for q in keep]
        classes = equivalence_classes(rows, [q in self.accepting for q in keep])
        merged = [rows[0]] * (max(classes) + 1)
        for q, row in enumerate(rows):
            merged[classes[q]] = [classes[r] for r in row]
        # number the classes in breadth-first order from the start's class
        canonical = {classes[0]: 0}
        queue = deque([classes[0]])
        while queue:
            for c in merged[queue.popleft()]:
                if c not in canonical:
                    canonical[c] = len(canonical)
                    queue.append(c)
        table = [()] * len(canonical)
        for c, i in canonical.items():
            table[i] = tuple(canonical[r] for r in merged[c])
        accepting = frozenset(canonical[classes[number[q]]] for q in self.accepting
                              if q in number)
        return DFA(alphabet=self.alphabet, transitions=tuple(table), start=0,
                   accepting=accepting)

    def complement(self) -> DFA:
        """The DFA of the words over the same alphabet that this one rejects."""
        return DFA(alphabet=self.alphabet, transitions=self.transitions, start=self.start,
                   accepting=frozenset(range(self.states)) - self.accepting)

    def product(self, other: DFA, accept) -> DFA:
        """The product automaton accepting where ``accept(in_self, in_other)`` is true.

        Only pairs reachable from the start pair are built.
        """
        if other.alphabet != self.alphabet:
            raise DFAError(f"cannot combine DFAs over alphabets {self.alphabet!r} "
                           f"and {other.alphabet!r}")
        start = (self.start, other.start)
        number, rows, queue = {start: 0}, [], deque([start])
        while queue:
            p, q = queue.popleft()
            row = []
            for a, b in zip(self.transitions[p], other.transitions[q], strict=True):
                if (a, b) not in number:
                    number[a, b] = len(number)
                    queue.append((a, b))
                row.append(number[a, b])
            rows.append(tuple(row))
        accepting = frozenset(i for (p, q), i in number.items()
                              if accept(p in self.accepting, q in other.accepting))
        return DFA(alphabet=self.alphabet, transitions=tuple(rows), start=0,
                   accepting=accepting)

    def intersection(self, other: DFA) -> DFA:
        return self.product(other, lambda x, y: x and y)

    def union(self, other: DFA) -> DFA:
        return self.product(other, lambda x, y: x or y)

    def counterexample(self, other: DFA) -> str | None:
        """A shortest word (first in symbol order) accepted by exactly one DFA, or None."""
        difference = self.product(other, lambda x, y: x != y)
        parent = {difference.start: None}
        queue = deque([difference.start])
        while queue:
            q = queue.popleft()
            if q in difference.accepting:
                word = []
                while parent[q] is not None:
                    q, symbol = parent[q]
                    word.append(symbol)
                return "".join(reversed(word))
            for i, r in enumerate(difference.transitions[q]):
                if r not in parent:
                    parent[r] = (q, self.alphabet[i])
                    queue.append(r)
        return None

    def equivalent(self, other: DFA) -> bool:
        """Whether both DFAs accept the same language (same alphabet required)."""
        return self.counterexample(other) is None

    # ---- counting and sampling ---------------------------------------------------

    def count(self, length: int, accepting: bool = True) -> int:
        """The exact number of words of length `length` accepted (or rejected)."""
        mask = self.accepting_mask if accepting else ~self.accepting_mask
        level = [int(m) for m in mask]
        for _ in range(length):
            level = [sum(level[r] for r in row) for row in self.transitions]
        return level[self.start]

    def alive(self, length: int, accepting: bool = True) -> list[np.ndarray]:
        """``alive[r][q]``: whether some word of length r is accepted (rejected) from q."""
        mask = self.accepting_mask if accepting else ~self.accepting_mask
        levels = [mask]
        for _ in range(length):
            levels.append(levels[-1][self.table].any(axis=1))
        return levels

    def sample_indices(self, length: int, count: int, rng: np.random.Generator,
                       accepting: bool = True) -> np.ndarray:
        """`count` uniform accepted (rejected) words as a (count, length) uint8 array.

        The caller makes sure such words exist (`count(length, accepting) > 0`).
        Block tables (a least-recently-used cache of 16 lengths) when they pay
        off, else a direct walk (see `languages.walk`). One word of length
        10000 costs about 3 ms for `parity` and 4 ms for `tomita3` (2 and 5
        states) on a 2-core VM, once the kept tables reach that length
        (computed once, 20 to 40 ms).
        """
        if prefer_tables(len(self.alphabet), self.states, length, count):
            tables = self._walk_tables.get((length, accepting), lambda: build_tables(
                length, self._step_probabilities(length, accepting), self.table))
            return walk(tables, rng, count, self.start)
        return walk_direct(length, self._steps(length, accepting), self.table, rng, count,
                           self.start)

    def first_indices(self, length: int, accepting: bool = True) -> np.ndarray | None:
        """The first accepted (rejected) word of `length` in alphabet order, as indices.

        None if there is none. Greedy: from the start, each step takes the
        first symbol whose state still accepts (rejects) some word of the
        length left.
        """
        alive = np.isfinite(self.log_counts(length, accepting))
        if not alive[length, self.start]:
            return None
        if length == 0:
            return np.zeros(0, np.uint8)
        # first[k, q]: the first symbol leading from q to a state alive with length-k-1 to go
        first = np.argmax(alive[length - 1 :: -1][:, self.table], axis=2)  # (length, Q)
        following = self.table[np.arange(self.states), first].tolist()
        path, state = [0] * length, self.start
        for k, row in enumerate(following):
            path[k] = state
            state = row[state]
        return first[np.arange(length), path].astype(np.uint8)

    def _step_probabilities(self, length: int, accepting: bool):
        """r -> ``P_r[q, s] = N_{r-1}(delta(q, s)) / N_r(q)`` (NaN where N_r(q) = 0).

        Takes an int r, giving a (Q, S) array, or an array of rs, giving (len(rs), Q, S).
        """
        logs = self.log_counts(length, accepting)
        table = self.table

        def probabilities(r):
            with np.errstate(invalid="ignore"):
                r = np.asarray(r)
                return np.exp(logs[r - 1][..., table] - logs[r][..., :, None])

        return probabilities

    def _steps(self, length: int, accepting: bool):
        """rs -> the `step_tables` of ``P_r`` for rs (consecutive, descending), for `walk_direct`.

        Slices of tables kept for every r up to the length of the kept
        `log_counts` while they hold at most 2^22 numbers, else computed.
        """
        self.log_counts(length, accepting)  # keeps a table up to `length` or longer, if it can
        logs = self._log_tables.get(accepting)  # the kept table, maybe shorter or too big
        if logs is None or len(logs) <= length or logs.size * len(self.alphabet) > _MAX_CACHED:
            probabilities = self._step_probabilities(length, accepting)
            return lambda rs: step_tables(probabilities(rs))
        kept = self._step_tables.get(accepting)
        if kept is None or len(kept[1]) < len(logs):
            probabilities = self._step_probabilities(len(logs) - 1, accepting)
            cumulative, last = step_tables(probabilities(np.arange(1, len(logs))))
            cumulative = np.concatenate([np.zeros((1, *cumulative.shape[1:])), cumulative])
            last = np.concatenate([np.zeros((1, self.states), last.dtype), last])  # row 0: unused
            cumulative.flags.writeable = last.flags.writeable = False
            kept = self._step_tables[accepting] = (cumulative, last)
        cumulative, last = kept
        return lambda rs: (cumulative[rs[0] : rs[-1] - 1 : -1], last[rs[0] : rs[-1] - 1 : -1])

    def log_counts(self, length: int, accepting: bool = True) -> np.ndarray:
        """``log N_r(q)`` for r = 0 .. length as a (length + 1, states) array (-inf for 0).

        ``log N_r = logaddexp over s of log N_{r-1}(delta(., s))``. Rows do not
        depend on `length`, so they are computed once up to the largest length
        asked (the table at least doubles when it grows) and sliced, read-only,
        while the table holds at most 2^22 numbers; beyond that each call
        computes its own. About 1.5 µs per row for two symbols and few states.
        """
        cached = self._log_tables.get(accepting)
        if cached is not None and len(cached) > length:
            return cached[: length + 1]
        have = 0 if cached is None else len(cached) - 1
        target = max(length, 2 * have)
        if (target + 1) * self.states > _MAX_CACHED:
            target = length
        out = np.empty((target + 1, self.states))
        if cached is None:
            mask = self.accepting_mask if accepting else ~self.accepting_mask
            out[0] = np.where(mask, 0.0, -np.inf)
        else:
            out[: have + 1] = cached
        columns = [self.table[:, s] for s in range(len(self.alphabet))]
        with np.errstate(invalid="ignore"):  # logaddexp(-inf, -inf) is -inf
            for r in range(have + 1, target + 1):
                previous = out[r - 1]
                if len(columns) > 4:
                    np.logaddexp.reduce(previous[self.table], axis=1, out=out[r])
                    continue
                np.logaddexp(previous[columns[0]], previous[columns[-1]], out=out[r])
                for column in columns[1:-1]:
                    np.logaddexp(out[r], previous[column], out=out[r])
        out.flags.writeable = False
        if (target + 1) * self.states <= _MAX_CACHED:
            self._log_tables[accepting] = out
        return out[: length + 1]

    @functools.cached_property
    def _log_tables(self) -> dict[bool, np.ndarray]:
        return {}

    @functools.cached_property
    def _step_tables(self) -> dict[bool, tuple[np.ndarray, np.ndarray]]:
        return {}

    @functools.cached_property
    def _walk_tables(self) -> TableCache:
        return TableCache(16)

    def enumerate_indices(self, length: int) -> np.ndarray:
        """Every accepted word of length `length`, lexicographically, as index rows."""
        alive = self.alive(length)
        table = self.table
        prefixes = np.zeros((1, 0), np.uint8)
        states = np.array([self.start])
        if not alive[length][self.start]:
            return np.zeros((0, length), np.uint8)
        for position in range(length):
            following = table[states]  # (m, symbols)
            keep = alive[length - position - 1][following]
            rows, symbols = np.nonzero(keep)
            prefixes = np.concatenate([prefixes[rows], symbols[:, None].astype(np.uint8)],
                                      axis=1)
            states = following[rows, symbols]
        return prefixes


def _validate_transitions(dfa: DFA) -> tuple[tuple[int, ...], ...]:
    rows = dfa.transitions
    if not isinstance(rows, (tuple, list)) or not rows:
        raise DFAError(f"a DFA needs at least one state; transitions={rows!r}")
    states, symbols = len(rows), len(dfa.alphabet)
    out = []
    for q, row in enumerate(rows):
        row = tuple(row)
        if len(row) != symbols:
            raise DFAError(f"state {q} has {len(row)} transitions; the alphabet "
                           f"{dfa.alphabet!r} needs {symbols}")
        if all(type(r) is int and 0 <= r < states for r in row):  # the usual case
            out.append(row)
            continue
        for i, r in enumerate(row):
            if isinstance(r, bool) or not isinstance(r, (int, np.integer)) \
                    or not 0 <= r < states:
                raise DFAError(f"transition from state {q} on symbol {dfa.alphabet[i]!r} "
                               f"goes to {r!r}; states are 0 .. {states - 1}")
        out.append(tuple(int(r) for r in row))
    return tuple(out)


def _validate_start(dfa: DFA) -> None:
    if isinstance(dfa.start, bool) or not isinstance(dfa.start, int) \
            or not 0 <= dfa.start < dfa.states:
        raise DFAError(f"start state {dfa.start!r} is not a state; states are "
                       f"0 .. {dfa.states - 1}")


def _validate_accepting(dfa: DFA) -> frozenset[int]:
    accepting = frozenset(dfa.accepting)
    for q in accepting:
        if isinstance(q, bool) or not isinstance(q, int) or not 0 <= q < dfa.states:
            raise DFAError(f"accepting state {q!r} is not a state; states are "
                           f"0 .. {dfa.states - 1}")
    return accepting
