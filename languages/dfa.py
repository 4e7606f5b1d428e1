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
with numpy; `count` keeps exact Python integers.

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
from languages.walk import WalkTables, build_tables, prefer_tables, walk, walk_direct


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
        if any(s not in self.alphabet for s in word):
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

        Unreachable states are dropped, then Moore's partition refinement merges
        states that no word tells apart. Two DFAs accept the same language iff
        their minimisations are equal (as values).
        """
        keep = self.reachable()
        table = self.table[keep]
        renumber = np.full(self.states, -1, dtype=np.int64)
        renumber[keep] = np.arange(len(keep))
        table = renumber[table]
        classes = self.accepting_mask[keep].astype(np.int64)
        while True:
            signature = np.concatenate([classes[:, None], classes[table]], axis=1)
            _, refined = np.unique(signature, axis=0, return_inverse=True)
            refined = refined.reshape(-1)
            if refined.max() == classes.max():
                break
            classes = refined
        blocks = int(classes.max()) + 1
        rows = [None] * blocks
        accepting = set()
        for q in range(len(keep)):
            rows[classes[q]] = tuple(int(classes[r]) for r in table[q])
            if self.accepting_mask[keep[q]]:
                accepting.add(int(classes[q]))
        merged = DFA(alphabet=self.alphabet, transitions=tuple(rows),
                     start=int(classes[0]), accepting=frozenset(accepting))
        return merged._renumbered()

    def _renumbered(self) -> DFA:
        order = self.reachable()
        new = {q: i for i, q in enumerate(order)}
        rows = tuple(tuple(new[r] for r in self.transitions[q]) for q in order)
        return DFA(alphabet=self.alphabet, transitions=rows, start=0,
                   accepting=frozenset(new[q] for q in self.accepting if q in new))

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
        Block tables (cached per length) when they pay off, else a direct walk.
        """
        if prefer_tables(len(self.alphabet), self.states, length, count):
            return walk(self._walk_tables(length, accepting), rng, count, self.start)
        return walk_direct(length, self._step_probabilities(length, accepting), self.table,
                           rng, count, self.start)

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

    def log_counts(self, length: int, accepting: bool = True) -> np.ndarray:
        """``log N_r(q)`` for r = 0 .. length as a (length + 1, states) array (-inf for 0)."""
        mask = self.accepting_mask if accepting else ~self.accepting_mask
        out = np.empty((length + 1, self.states))
        out[0] = np.where(mask, 0.0, -np.inf)
        with np.errstate(divide="ignore", invalid="ignore"):
            for r in range(1, length + 1):
                successors = out[r - 1][self.table]
                top = successors.max(axis=1)
                top = np.where(np.isfinite(top), top, 0.0)
                out[r] = top + np.log(np.exp(successors - top[:, None]).sum(axis=1))
        return out

    @functools.cached_property
    def _sampler_tables(self) -> dict:
        return {}

    def _walk_tables(self, length: int, accepting: bool) -> WalkTables:
        key = (length, accepting)
        if key not in self._sampler_tables:
            if len(self._sampler_tables) >= 16:
                self._sampler_tables.clear()
            self._sampler_tables[key] = build_tables(
                length, self._step_probabilities(length, accepting), self.table)
        return self._sampler_tables[key]

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
    out = []
    for q, row in enumerate(rows):
        row = tuple(row)
        if len(row) != len(dfa.alphabet):
            raise DFAError(f"state {q} has {len(row)} transitions; the alphabet "
                           f"{dfa.alphabet!r} needs {len(dfa.alphabet)}")
        for i, r in enumerate(row):
            if isinstance(r, bool) or not isinstance(r, (int, np.integer)) \
                    or not 0 <= r < len(rows):
                raise DFAError(f"transition from state {q} on symbol {dfa.alphabet[i]!r} "
                               f"goes to {r!r}; states are 0 .. {len(rows) - 1}")
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
