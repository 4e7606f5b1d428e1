"""A plain-text format of DFAs with named states: parse and format.

Table: ``#`` starts a comment to the end of the line; ``;`` ends a line as a
newline does (so a table fits in one command-line argument). The first
non-empty line lists the symbols, one character each, separated by white
space; each further line is a state name, ``*`` right after it if the state
accepts, then one next-state name per symbol. The first row's state is the
start state. Names are letters, digits and ``_``. Parity of 1s::

    # odd number of 1s
          0     1
    even  even  odd
    odd*  odd   even

or, in one line, ``0 1; even even odd; odd* odd even``.

`parse_table` returns a `languages.dfa.DFA` (states numbered in row order,
the start state 0) and the state names; every error is a `DFAError` naming
the line, the bad part, and what was allowed. `format_table` writes the same
format back. Not checked: that every state is reachable.
"""

from __future__ import annotations

import re

from languages.dfa import DFA
from languages.errors import DFAError

NAME = re.compile(r"[A-Za-z0-9_]+\Z")
MAX_STATES = 1000
MAX_SYMBOLS = 256


def _lines(text: str) -> list[tuple[int, list[str]]]:
    """(line number, fields) of the non-empty lines, comments removed."""
    out = []
    for number, line in enumerate(re.split(r"[\n;]", text), start=1):
        fields = line.split("#", 1)[0].split()
        if fields:
            out.append((number, fields))
    return out


def parse_table(text: str) -> tuple[DFA, tuple[str, ...]]:
    """The DFA of a table (see the module docstring) and its state names, in row order.

    Raises:
        DFAError: naming the line and the part at fault.
    """
    if not isinstance(text, str):
        raise DFAError(f"a DFA table is text, got {text!r:.60}")
    lines = _lines(text)
    if not lines:
        raise DFAError("the DFA table is empty; its first line lists the symbols")
    number, symbols = lines[0]
    bad = [s for s in symbols if len(s) != 1]
    if bad:
        raise DFAError(f"line {number}: symbol {bad[0]!r} is not one character; the first "
                       "line lists the symbols, one character each")
    if len(set(symbols)) != len(symbols) or len(symbols) > MAX_SYMBOLS:
        raise DFAError(f"line {number}: the symbols {symbols[:20]} must be distinct, at most "
                       f"{MAX_SYMBOLS}")
    rows = lines[1:]
    if not rows:
        raise DFAError("the DFA table has no state rows after its symbols")
    if len(rows) > MAX_STATES:
        raise DFAError(f"the DFA table has {len(rows)} states; at most {MAX_STATES}")
    names, accepting = [], set()
    for number, fields in rows:
        name = fields[0].removesuffix("*")
        if not NAME.match(name):
            raise DFAError(f"line {number}: state name {fields[0]!r}; allowed: letters, digits "
                           "and _, then * if it accepts")
        if name in names:
            raise DFAError(f"line {number}: state {name!r} has a second row")
        if fields[0].endswith("*"):
            accepting.add(len(names))
        names.append(name)
    index = {name: k for k, name in enumerate(names)}
    transitions = []
    for number, fields in rows:
        cells = fields[1:]
        if len(cells) != len(symbols):
            raise DFAError(f"line {number}: {len(cells)} next states for {len(symbols)} symbols "
                           f"{' '.join(symbols)}")
        unknown = [c for c in cells if c not in index]
        if unknown:
            raise DFAError(f"line {number}: next state {unknown[0]!r} has no row; the states "
                           f"are {', '.join(names)}")
        transitions.append(tuple(index[c] for c in cells))
    dfa = DFA(alphabet="".join(symbols), transitions=tuple(transitions), start=0,
              accepting=frozenset(accepting))
    return dfa, tuple(names)


def format_table(dfa: DFA, names: tuple[str, ...] | None = None, *,
                 separator: str = "\n") -> str:
    """`dfa` as a table (start state first; default names ``q0``, ``q1``, ...); with
    ``separator="; "`` on one line."""
    names = tuple(names) if names is not None else tuple(f"q{k}" for k in range(dfa.states))
    if len(names) != dfa.states or any(not NAME.match(n) for n in names):
        raise DFAError(f"{len(names)} state names {names[:10]} for {dfa.states} states; names "
                       "are letters, digits and _")
    order = [dfa.start] + [q for q in range(dfa.states) if q != dfa.start]
    rows = [" ".join(dfa.alphabet)]
    for q in order:
        mark = "*" if q in dfa.accepting else ""
        rows.append(" ".join([names[q] + mark, *(names[r] for r in dfa.transitions[q])]))
    return separator.join(rows)


__all__ = ["format_table", "parse_table"]
