"""Decoding the Turing-machine transformer's read-outs into machine steps.

Position p >= 1 of a run computes step p (counted from 1); its read-out gives
the next state (``st``), the symbol under the head afterwards (``sy``), the
move (``mv_in``), and the observations ``wrote`` (the symbol written),
``head`` (``h_p/(p+1)``, so the head is ``head * (p+1)``) and ``undef``.
`fields` reads them from a batch of read-outs, by the kind of values the
backend gives:

* ``exact`` (Fractions): one-hot outputs must be exactly 0/1 and the head an
  integer, else `TMDecodeError` (a construction bug, never expected);
* ``float``: one-hot outputs by argmax, the head rounded;
* ``sign`` (the circuit backend's +1/0/-1 per output): one-hot outputs by
  argmax of the bits; the head is not a sign, so it is the previous head
  plus the move (None here; `TMDecoder.feed` adds it).

Halting is read from the emitted state: HALT ends the run after that step;
``undef`` means the machine met an undefined transition and halted *before*
that step. As in `languages.turing.run`, a run stops after `max_steps` steps,
but one more position is computed to see whether the next transition is
undefined (the reference counts that as halting).
"""

from __future__ import annotations

import functools
import itertools

import numpy as np

from compilers.errors import CompileError
from languages.turing import HALT, TMResult, TMStep


class TMDecodeError(CompileError):
    """The decoder's read-out is not a configuration (a construction bug, never expected)."""


def fields(layout, outputs: tuple[str, ...], values, position: int, kind: str) -> list[tuple]:
    """``(state, symbol, wrote, move, head, undefined)`` of each example (indices into the
    layout's states and symbols; the head None for ``sign`` values)."""
    if kind == "exact":
        return [_exact_fields(layout, dict(zip(outputs, row, strict=True)), position)
                for row in np.asarray(values).tolist()]
    columns, groups = _columns(layout, outputs)
    rows = np.asarray(values)[:, columns].astype(np.float64)
    state, symbol, wrote = (rows[:, a:b].argmax(axis=1).tolist() for a, b in groups)
    move, head, undef = rows[:, groups[-1][1]:].T
    heads = ([None] * len(rows) if kind == "sign"
             else np.rint(head * (position + 1)).astype(np.int64).tolist())
    return list(zip(state, symbol, wrote, move.tolist(), heads, (undef > 0.5).tolist(),
                    strict=True))


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
    """Turns one run's read-outs, position by position, into `TMStep`s and a `TMResult`."""

    def __init__(self, construction, word: str, max_steps: int):
        self.machine, self.word, self.max_steps = construction.machine, word, max_steps
        layout = construction.layout
        self.states, self.symbols = layout.states, layout.symbols
        self.steps: list[TMStep] = []
        self.state = self.symbol = None
        self.head = 0
        self.done = self.halted = self.undefined = False

    def feed(self, position: int, fields: tuple) -> None:
        """One position's decoded fields (see `fields`)."""
        state, symbol, wrote, move, head, undefined = fields
        if self.done:
            return
        next_state, next_symbol = self.states[state], self.symbols[symbol]
        if position == 0:  # the start position: the initial state and the symbol at cell 0
            self.state, self.symbol = next_state, next_symbol
            return
        if undefined:
            self.done = self.halted = self.undefined = True
            return
        if position > self.max_steps:  # only looked to see if the next step was undefined
            self.done = True
            return
        if head is None:  # sign values: the head follows the move
            head = self.head + (1 if move > 0 else -1)
        self.steps.append(TMStep(step=position, state=self.state, head=self.head,
                                 read=self.symbol, write=self.symbols[wrote],
                                 move="R" if move > 0 else "L", next_state=next_state,
                                 head_after=head))
        self.state, self.symbol, self.head = next_state, next_symbol, head
        if next_state == HALT:
            self.done = self.halted = True

    def answer(self) -> TMResult:
        """Where the decoded run stopped, as the interpreter reports it."""
        blank = self.machine.blank
        cells = dict(enumerate(self.word))
        cells.update((step.head, step.write) for step in self.steps)  # the last write wins
        heads = [step.head_after for step in self.steps]
        low = min(min(heads, default=0), 0)
        high = max(max(heads, default=0), len(self.word) - 1, 0)
        tape = "".join(cells.get(k, blank) for k in range(low, high + 1))
        return TMResult(halted=self.halted, steps=len(self.steps),
                        state=self.state if self.state is not None else self.machine.start,
                        head=self.head, tape=tape, tape_start=low,
                        ones=sum(s != blank for s in cells.values()),
                        undefined=self.undefined)

    def trace(self) -> tuple[TMStep, ...]:
        return tuple(self.steps)
