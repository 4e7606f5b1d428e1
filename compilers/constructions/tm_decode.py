"""Decoding the Turing-machine transformer's read-outs into machine steps.

Position p >= 1 of a run computes step p (counted from 1); its read-out gives
the next state (``st``), the symbol under the head afterwards (``sy``), the
move (``mv_in``), and the observations ``wrote`` (the symbol written),
``head`` (``h_p/(p+1)``, so the head is ``head * (p+1)``) and ``undef``.
`fields` reads them from a batch of read-outs, by the kind of values the
backend gives:

* ``exact`` (Fractions): one-hot outputs must be exactly 0/1 and the head an
  integer, else `TMDecodeError` (a construction bug, never expected);
* ``float``: one-hot outputs by argmax, the head rounded (`row_fields`: one
  example's row in plain Python, taken for a batch of up to `SMALL_BATCH`,
  where numpy's calls would cost more than the work);
* ``sign`` (the circuit backend's +1/0/-1 per output): one-hot outputs by
  argmax of the bits; the head is not a sign, so it is the previous head
  plus the move (None here; `TMDecoder.feed` adds it).

`TMDecoder` keeps the tape as the steps write it; with ``keep_trace=False``
it keeps no step (a run of millions of steps), and with ``verify=True`` it
checks each step against the machine's rule as it comes (see the class).

Halting is read from the emitted state: HALT ends the run after that step;
``undef`` means the machine met an undefined transition and halted *before*
that step. As in `languages.turing.run`, a run stops after `max_steps` steps,
but one more position is computed to see whether the next transition is
undefined (the reference counts that as halting).
"""

from __future__ import annotations

import functools
import itertools
import operator

import numpy as np

from compilers.errors import CompileError
from languages.turing import HALT, TMResult, TMStep

SMALL_BATCH = 8  # up to this many examples, float read-outs are decoded row by row in Python


class TMDecodeError(CompileError):
    """The decoder's read-out is not a configuration (a construction bug, never expected)."""


def fields(layout, outputs: tuple[str, ...], values, position: int, kind: str) -> list[tuple]:
    """``(state, symbol, wrote, move, head, undefined)`` of each example (indices into the
    layout's states and symbols; the head None for ``sign`` values)."""
    if kind == "exact":
        return [_exact_fields(layout, dict(zip(outputs, row, strict=True)), position)
                for row in np.asarray(values).tolist()]
    columns, groups = _columns(layout, outputs)
    if kind == "float" and len(values) <= SMALL_BATCH:
        return [row_fields(layout, outputs, row, position) for row in np.asarray(values).tolist()]
    rows = np.asarray(values)[:, columns].astype(np.float64)
    state, symbol, wrote = (rows[:, a:b].argmax(axis=1).tolist() for a, b in groups)
    move, head, undef = rows[:, groups[-1][1]:].T
    heads = ([None] * len(rows) if kind == "sign"
             else np.rint(head * (position + 1)).astype(np.int64).tolist())
    return list(zip(state, symbol, wrote, move.tolist(), heads, (undef > 0.5).tolist(),
                    strict=True))


def row_fields(layout, outputs: tuple[str, ...], row, position: int) -> tuple:
    """`fields` of one example's float read-out `row` (a sequence of floats in `outputs`
    order), in plain Python: the one-hot groups by their first largest entry (numpy's
    argmax), the head ``h_p/(p+1)`` times ``p + 1`` rounded half to even (``np.rint``)."""
    return row_reader(layout, outputs)(row, position)


@functools.lru_cache(maxsize=64)
def row_reader(layout, outputs: tuple[str, ...]):
    """`row_fields` for one layout and read-out: ``read(row, position)``, its columns
    found once (a run of millions of steps calls it once per step)."""
    (s0, s1), (y0, y1), (w0, w1), at = _plain_columns(layout, outputs)
    states, symbols, wrote = (_first_largest(at[a:b]) for a, b in ((s0, s1), (y0, y1),
                                                                     (w0, w1)))
    move, head, undef = at[w1:]

    def read(row, position):
        return (states(row), symbols(row), wrote(row), float(row[move]),
                round(row[head] * (position + 1)), row[undef] > 0.5)

    return read


def _first_largest(columns: list[int]):
    """``row -> k``: the first largest of ``row[columns[k]]`` (a group of one: 0)."""
    if len(columns) == 1:
        return lambda row: 0
    group = operator.itemgetter(*columns)  # a tuple of the entries, made in C

    def first_largest(row):
        values = group(row)
        return values.index(max(values))

    return first_largest


@functools.lru_cache(maxsize=64)
def _plain_columns(layout, outputs: tuple[str, ...]) -> tuple:
    """`_columns` as Python ints: the three groups' bounds, then the columns read."""
    columns, groups = _columns(layout, outputs)
    return (*groups, columns.tolist())


@functools.lru_cache(maxsize=64)
def _columns(layout, outputs: tuple[str, ...]) -> tuple[np.ndarray, tuple]:
    """The columns among `outputs` that `fields` reads from float values (states,
    symbols, wrote, move, head, undef), and the (start, end) of the state, symbol and
    wrote groups among them (computed once per layout)."""
    names = (*layout.state_dims, *layout.symbol_dims, *layout.wrote_dims, layout.move,
             layout.head, layout.undef)
    columns = np.asarray([outputs.index(d) for d in names])
    bounds = itertools.accumulate((0, len(layout.state_dims), len(layout.symbol_dims),
                                   len(layout.wrote_dims)))
    return columns, tuple(itertools.pairwise(bounds))


def _exact_fields(layout, outputs: dict, position: int) -> tuple:
    """(state, symbol, wrote, move, head, undefined) from exact outputs, checked."""
    def one_hot(dims, what):
        values = [outputs[d] for d in dims]
        if sorted(values) != [0] * (len(values) - 1) + [1]:
            raise TMDecodeError(f"position {position}: the {what} outputs "
                                f"{[str(v) for v in values]} are not one-hot")
        return values.index(1)

    head = outputs[layout.head] * (position + 1)
    if head.denominator != 1:
        raise TMDecodeError(f"position {position}: head {head} is not a cell")
    wrote = one_hot(layout.wrote_dims, "wrote") if position else 0  # nothing written yet
    return (one_hot(layout.state_dims, "state"), one_hot(layout.symbol_dims, "symbol"),
            wrote, int(outputs[layout.move]), int(head), outputs[layout.undef] == 1)


class TMDecoder:
    """Turns one run's read-outs, position by position, into `TMStep`s and a `TMResult`.

    The tape the steps wrote is kept as they come (cell -> symbol, and the
    lowest and highest cell the head reached), so `answer` costs nothing per
    step and, with ``keep_trace=False``, no step is kept: a run of millions of
    steps holds its tape, not its trace (`trace` is then empty).

    With ``verify=True`` each decoded step is checked as it is fed against the
    machine's own rule (`languages.turing`) on the decoded tape: the symbol
    read is the one last written to that cell (or the word's, or blank), the
    write, move and next state are ``delta[state, read]``, the head moves by
    one, and an undefined transition is one. From the machine's start, step by
    step, that makes the decoded trace the interpreter's (by induction on the
    steps), without keeping either; a step that breaks it raises
    `TMDecodeError` naming it.
    """

    def __init__(self, construction, word: str, max_steps: int, *, keep_trace: bool = True,
                 verify: bool = False):
        self.machine, self.word, self.max_steps = construction.machine, word, max_steps
        layout = construction.layout
        self.states, self.symbols = layout.states, layout.symbols
        self.keep_trace, self.verify = keep_trace, verify
        self.steps: list[TMStep] = []
        self.count = 0  # steps decoded
        self.cells = dict(enumerate(word))  # the tape: the word, then the last write wins
        self.low, self.high = 0, max(len(word) - 1, 0)
        self.state = self.symbol = None
        self.head = 0
        self.done = self.halted = self.undefined = False
        if verify:
            self._table = {key: None if t is None else (t.write, t.move, t.next)
                           for key, t in self.machine.delta.items()}

    def feed(self, position: int, fields: tuple) -> None:
        """One position's decoded fields (see `fields`)."""
        state, symbol, wrote, move, head, undefined = fields
        if self.done:
            return
        next_state, next_symbol = self.states[state], self.symbols[symbol]
        if position == 0:  # the start position: the initial state and the symbol at cell 0
            self.state, self.symbol = next_state, next_symbol
            if self.verify:
                self._check_start()
            return
        if undefined:
            if self.verify and self._table[self.state, self.symbol] is not None:
                raise TMDecodeError(f"step {position}: decoded an undefined transition, but "
                                    f"the machine defines ({self.state}, {self.symbol})")
            self.done = self.halted = self.undefined = True
            return
        if position > self.max_steps:  # only looked to see if the next step was undefined
            self.done = True
            return
        if head is None:  # sign values: the head follows the move
            head = self.head + (1 if move > 0 else -1)
        write, direction = self.symbols[wrote], "R" if move > 0 else "L"
        if self.verify:
            self._check_step(position, write, direction, next_state, head)
        if self.keep_trace:
            self.steps.append(TMStep(step=position, state=self.state, head=self.head,
                                     read=self.symbol, write=write, move=direction,
                                     next_state=next_state, head_after=head))
        self.count = position
        self.cells[self.head] = write
        if head < self.low:
            self.low = head
        elif head > self.high:
            self.high = head
        self.state, self.symbol, self.head = next_state, next_symbol, head
        if next_state == HALT:
            self.done = self.halted = True

    def _check_start(self) -> None:
        expected = self.cells.get(0, self.machine.blank)
        if (self.state, self.symbol) != (self.machine.start, expected):
            raise TMDecodeError(f"position 0: decoded state {self.state} reading "
                                f"{self.symbol}, but the machine starts in "
                                f"{self.machine.start} reading {expected}")

    def _check_step(self, position: int, write: str, move: str, next_state: str,
                    head: int) -> None:
        """The decoded step against the machine's rule (see the class docstring)."""
        read = self.cells.get(self.head, self.machine.blank)
        rule = self._table[self.state, self.symbol] if self.symbol == read else None
        if (rule != (write, move, next_state)
                or head != self.head + (1 if move == "R" else -1)):
            raise TMDecodeError(
                f"step {position}: decoded ({self.state}, {self.symbol}) -> ({write}, {move}, "
                f"{next_state}), head {self.head} -> {head}; the machine: the cell holds "
                f"{read}, ({self.state}, {read}) -> {self._table[self.state, read]}")

    def answer(self) -> TMResult:
        """Where the decoded run stopped, as the interpreter reports it."""
        blank = self.machine.blank
        cells = self.cells
        tape = "".join(cells.get(k, blank) for k in range(self.low, self.high + 1))
        return TMResult(halted=self.halted, steps=self.count,
                        state=self.state if self.state is not None else self.machine.start,
                        head=self.head, tape=tape, tape_start=self.low,
                        ones=sum(s != blank for s in cells.values()),
                        undefined=self.undefined)

    def trace(self) -> tuple[TMStep, ...]:
        """The decoded steps (empty with ``keep_trace=False``)."""
        return tuple(self.steps)
