"""Text formats of Turing machines: the bbchallenge code and a readable table.

bbchallenge code (https://bbchallenge.org, "standard text format"): one row per
state, in order A, B, C, ..., separated by ``_``; a row holds one three-character
triple per symbol '0', '1', '2', ... (the blank is '0'): the symbol written, the
move ``L`` or ``R``, the next state (``Z`` halts); ``---`` is an undefined
transition. BB(2) is ``1RB1LB_1LA1RZ``.

Table: ``#`` starts a comment to the end of the line (so '#' is never a
symbol); the first non-empty line lists the symbols (blank first), separated by
white space; each further line is a state name followed by one cell per symbol,
a ``write move next`` triple or ``---``; the first row's state is the start
state. BB(2)::

    # BB(2): 6 steps, 4 ones
         0    1
    A  1RB  1LB
    B  1LA  1RZ

Every parse error is a `MachineError` naming the code or line, the bad part,
and what was allowed.

This module holds what the formats share with `languages.turing`: the halt
state `HALT`, the `MOVES`, the `STATE_NAMES` and the `Transition`. A parser
returns the keyword arguments of a `languages.turing.TuringMachine` (``states``,
``symbols``, ``delta``), which that class builds and validates; a formatter
reads the same three attributes of a machine. So `languages.turing` imports
this module and this module imports nothing of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from languages.errors import MachineError

HALT = "Z"
MOVES = {"L": -1, "R": +1}
STATE_NAMES = "ABCDEFGHIJKLMNOPQRSTUVWXY"  # every upper-case letter but the halt state
UNDEFINED = "---"
_CODE = re.compile(r"[0-9A-Z_-]+")


@dataclass(frozen=True)
class Transition:
    """Write `write`, move the head `move` ('L' or 'R'), enter `next` (maybe HALT)."""

    write: str
    move: Literal["L", "R"]
    next: str

    def __str__(self) -> str:
        return f"{self.write}{self.move}{self.next}"


def parse_bbchallenge(code: str) -> dict:
    """The states, symbols and delta of a bbchallenge code (see the module docstring)."""
    if not isinstance(code, str):
        raise MachineError(f"a machine code is a string such as '1RB1LB_1LA1RZ', got {code!r}")
    code = code.strip()
    rows = code.split("_")
    if not code or not rows[0] or len(rows[0]) % 3:
        raise MachineError(f"machine code {code!r}: the first row {rows[0]!r} is not a "
                           f"sequence of three-character transitions such as '1RB' or '---'")
    width = len(rows[0])
    if len(rows) > len(STATE_NAMES):
        raise MachineError(f"machine code {code!r} has {len(rows)} states; at most "
                           f"{len(STATE_NAMES)} (A..Y) are allowed")
    if width // 3 > 10:
        raise MachineError(f"machine code {code!r} has {width // 3} symbols; at most 10 "
                           f"(0..9) are allowed")
    states = tuple(STATE_NAMES[: len(rows)])
    symbols = tuple(str(i) for i in range(width // 3))
    delta = {}
    for q, row in zip(states, rows, strict=True):
        if len(row) != width:
            raise MachineError(f"machine code {code!r}: row {q} {row!r} has {len(row)} "
                               f"characters, the first row has {width}")
        for i, s in enumerate(symbols):
            cell = row[3 * i : 3 * i + 3]
            delta[q, s] = _cell(cell, states, symbols,
                                f"machine code {code!r}, state {q}, symbol {s}")
    return {"states": states, "symbols": symbols, "delta": delta}


def format_bbchallenge(machine) -> str:
    """The bbchallenge code of `machine` (a `TuringMachine`)."""
    states = tuple(STATE_NAMES[: len(machine.states)])
    symbols = tuple(str(i) for i in range(len(machine.symbols)))
    if machine.states != states or machine.symbols != symbols:
        raise MachineError(f"only machines with states {', '.join(states)} and symbols "
                           f"{', '.join(symbols)} have a bbchallenge code; this one has states "
                           f"{', '.join(machine.states)} and symbols {', '.join(machine.symbols)}")
    return "_".join("".join(_format_cell(machine.delta[q, s]) for s in symbols)
                    for q in states)


def parse_table(text: str) -> dict:
    """The states, symbols and delta of a table (see the module docstring)."""
    if not isinstance(text, str):
        raise MachineError(f"a machine table is a string, got {text!r}")
    lines = [(n, line.split("#", 1)[0].split()) for n, line in enumerate(text.splitlines(), 1)]
    lines = [(n, tokens) for n, tokens in lines if tokens]
    if not lines:
        raise MachineError("the machine table is empty: expected a line of symbols, then "
                           "one row per state")
    (header_line, symbols), rows = lines[0], lines[1:]
    for s in symbols:
        if len(s) != 1:
            raise MachineError(f"machine table line {header_line}: symbol {s!r} is not a "
                               f"single character (the first line lists the symbols)")
    if not rows:
        raise MachineError(f"machine table: no state rows after the symbols on line "
                           f"{header_line}")
    states = []
    for n, tokens in rows:
        q = tokens[0]
        if len(q) != 1 or q not in STATE_NAMES:
            raise MachineError(f"machine table line {n}: {q!r} is not a state name; states "
                               f"are single upper-case letters A..Y (Z halts)")
        if q in states:
            raise MachineError(f"machine table line {n}: state {q!r} has a second row")
        if len(tokens) != len(symbols) + 1:
            raise MachineError(f"machine table line {n}: state {q} has {len(tokens) - 1} "
                               f"cells; expected one per symbol ({len(symbols)}: "
                               f"{' '.join(symbols)})")
        states.append(q)
    symbols, states = tuple(symbols), tuple(states)
    delta = {}
    for n, tokens in rows:
        for s, cell in zip(symbols, tokens[1:], strict=True):
            delta[tokens[0], s] = _cell(cell, states, symbols,
                                        f"machine table line {n}, state {tokens[0]}, symbol {s}")
    return {"states": states, "symbols": symbols, "delta": delta}


def format_table(machine) -> str:
    """The table of `machine` (a `TuringMachine`), aligned, one row per state."""
    header = "   " + "".join(f"{s:>5}" for s in machine.symbols)
    rows = [machine.states[i] + "  " + "".join(f"{_format_cell(machine.delta[q, s]):>5}"
                                               for s in machine.symbols)
            for i, q in enumerate(machine.states)]
    return "\n".join([header, *rows]) + "\n"


def parse_text(text: str, *, source: str | None) -> dict:
    """A code or a table, told apart by shape: one token is a code, more a table."""
    body = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    tokens = body.split()
    where = f" in {source}" if source else ""
    if not tokens:
        raise MachineError(f"no machine{where}: expected a bbchallenge code or a table")
    if len(tokens) == 1:
        if source is None and not _CODE.fullmatch(tokens[0]):
            raise MachineError(f"{tokens[0]!r} is neither a bbchallenge machine code (such as "
                               f"1RB1LB_1LA1RZ) nor an existing file")
        return parse_bbchallenge(tokens[0])
    return parse_table(text)


def _cell(cell: str, states, symbols, where: str) -> Transition | None:
    if cell == UNDEFINED:
        return None
    if len(cell) != 3:
        raise MachineError(f"{where}: transition {cell!r} is not three characters "
                           f"(write, move, next state) or '---'")
    write, move, following = cell
    if write not in symbols:
        raise MachineError(f"{where}: transition {cell!r} writes {write!r}, which is not a "
                           f"symbol; symbols are {', '.join(symbols)}")
    if move not in MOVES:
        raise MachineError(f"{where}: transition {cell!r} moves {move!r}; moves are L and R")
    if following != HALT and following not in states:
        raise MachineError(f"{where}: transition {cell!r}: state {following!r} unknown; states "
                           f"are {', '.join(states)} (and {HALT} halts)")
    return Transition(write, move, following)


def _format_cell(t: Transition | None) -> str:
    return UNDEFINED if t is None else f"{t.write}{t.move}{t.next}"
