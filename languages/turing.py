"""Single-tape Turing machines: the machine, a plain interpreter, a step trace.

A `TuringMachine` has states named by single upper-case letters ('A', 'B', ...;
the first is the start state; ``HALT = "Z"`` is the halt state and never a row
of the table), symbols of one character each (``symbols[0]`` is the blank) and
a complete transition table ``delta[(state, symbol)]``: a `Transition`
(write, move, next) or None for an undefined transition (``---``).

Semantics (the ones the bbchallenge project uses):

* a two-way infinite tape, all blank; the input word is written at cells
  0 .. len-1; the head is at cell 0; the state is the start state;
* one step: read s under the head in state q. If ``delta[q, s]`` is None the
  machine halts *without* taking a step (``undefined=True``). Otherwise it
  writes ``write``, moves the head by -1 (L) or +1 (R), enters ``next`` and the
  step counter grows by one; if ``next == HALT`` the machine has halted (the
  transition into the halt state counts as a step and performs its write);
* `run` stops after at most `max_steps` steps: a machine that has not halted
  by then is reported with ``halted=False`` (an undefined transition met after
  exactly `max_steps` steps still counts as halting, since it takes no step).

Formats (in `languages.turing_formats`, which also holds `HALT`, `MOVES`,
`STATE_NAMES` and `Transition`, all importable from here): the bbchallenge code
(``1RB1LB_1LA1RZ``: one ``_``-separated row per state, one ``write move next``
triple per symbol '0', '1', ...) and a readable table (see `from_table`).

Known values: BB(2) ``1RB1LB_1LA1RZ`` halts after 6 steps with 4 ones; BB(4)
``1RB1LB_1LA0LC_1RZ1LD_1RD0RA`` after 107 steps with 13 ones (Brady 1983).

Details beyond the definition above: `TMResult.undefined` (also
in `as_dict`); symbols may not be white space or '#' (the table format's
comment sign); `MAX_STEPS` = 10^9 bounds `max_steps` (`LengthError` above it).

Not checked: that every state is reachable or that the halt state is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from languages.errors import MachineError
from languages.language import check_int
from languages.turing_formats import (
    HALT,
    MOVES,
    STATE_NAMES,
    Transition,
    format_bbchallenge,
    format_table,
    parse_bbchallenge,
    parse_table,
    parse_text,
)

MAX_STEPS = 10**9  # larger step limits are absurd for a plain interpreter


@dataclass(frozen=True, kw_only=True)
class TuringMachine:
    """A single-tape Turing machine (see the module docstring).

    Attributes:
        states: the state names, single upper-case letters other than 'Z'; the
            first one is the start state.
        symbols: the tape symbols, single non-blank characters other than '#';
            ``symbols[0]`` is the blank.
        delta: ``{(state, symbol): Transition or None}`` for every pair of a
            state and a symbol (None: undefined, the machine halts there).
    """

    states: tuple[str, ...]
    symbols: tuple[str, ...]
    delta: Mapping[tuple[str, str], Transition | None]

    def __post_init__(self):
        object.__setattr__(self, "states", _validate_states(self.states))
        object.__setattr__(self, "symbols", _validate_symbols(self.symbols))
        object.__setattr__(self, "delta", _validate_delta(self))

    def __hash__(self) -> int:
        return hash((self.states, self.symbols, tuple(self.delta.items())))

    @property
    def start(self) -> str:
        return self.states[0]

    @property
    def blank(self) -> str:
        return self.symbols[0]

    @classmethod
    def from_bbchallenge(cls, code: str) -> TuringMachine:
        """The machine of a bbchallenge code such as ``1RB1LB_1LA1RZ``."""
        return cls(**parse_bbchallenge(code))

    def to_bbchallenge(self) -> str:
        """The bbchallenge code (needs states 'A', 'B', ... and symbols '0', '1', ...)."""
        return format_bbchallenge(self)

    @classmethod
    def from_table(cls, text: str) -> TuringMachine:
        """The machine of a readable table (format in `languages.turing_formats`)."""
        return cls(**parse_table(text))

    def to_table(self) -> str:
        """The readable table: a header of symbols, then one row per state."""
        return format_table(self)


MAX_MACHINE_BYTES = 16 << 20  # the largest machine file `parse_machine` reads


def _is_file(text: str) -> bool:
    """Whether `text` names a file (False for a text no path can be: too long, a NUL byte)."""
    try:
        return Path(text).is_file()
    except (OSError, ValueError):
        return False


def parse_machine(text_or_path: str | Path) -> TuringMachine:
    """A machine from a bbchallenge code, or from a file holding a code or a table.

    Raises:
        MachineError: a malformed code or table, or a string that is neither a
            machine code nor an existing file.
    """
    if isinstance(text_or_path, Path) or (isinstance(text_or_path, str)
                                          and "\n" not in text_or_path
                                          and _is_file(text_or_path)):
        shown = str(text_or_path)
        shown = repr(shown) if len(shown) <= 80 else repr(shown[:77] + "...")
        try:
            size = Path(text_or_path).stat().st_size
            data = Path(text_or_path).read_bytes() if size <= MAX_MACHINE_BYTES else b""
        except (OSError, ValueError) as error:
            why = getattr(error, "strerror", None) or error
            raise MachineError(f"cannot read machine file {shown}: {why}") from None
        if size > MAX_MACHINE_BYTES:
            raise MachineError(f"machine file {shown} is {size} bytes; at most "
                               f"{MAX_MACHINE_BYTES}")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise MachineError(f"machine file {shown} is not UTF-8 text (byte "
                               f"{error.start})") from None
        return TuringMachine(**parse_text(text, source=f"file {shown}"))
    if not isinstance(text_or_path, str):
        raise MachineError(f"a machine is a bbchallenge code, a table or a file path, "
                           f"got {text_or_path!r}")
    return TuringMachine(**parse_text(text_or_path, source=None))


# ---- running ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TMResult:
    """Where a run stopped.

    Attributes:
        halted: whether the machine halted (entered HALT or met an undefined transition).
        steps: the number of steps taken.
        state: the state at the end (HALT after a transition into it).
        head: the head's cell at the end.
        tape: the cells from the leftmost to the rightmost cell ever visited or
            written, as symbols.
        tape_start: the cell index of ``tape[0]``.
        ones: the number of non-blank cells at the end.
        undefined: whether it halted at an undefined transition (then `state`
            is the state it was in).
    """

    halted: bool
    steps: int
    state: str
    head: int
    tape: str
    tape_start: int
    ones: int
    undefined: bool = False

    def as_dict(self) -> dict:
        """The CLI's JSON object."""
        return {"halted": self.halted, "steps": self.steps, "ones": self.ones,
                "state": self.state, "tape": self.tape, "head": self.head,
                "tape_start": self.tape_start, "undefined": self.undefined}


@dataclass(frozen=True, kw_only=True)
class TMStep:
    """One step taken: in `state` with the head at `head`, read `read`, wrote
    `write`, moved `move`, entered `next_state`; the head is then at `head_after`.
    `step` counts from 1."""

    step: int
    state: str
    head: int
    read: str
    write: str
    move: str
    next_state: str
    head_after: int


def run(machine: TuringMachine, word: str = "", *, max_steps: int) -> TMResult:
    """Run `machine` on `word` for at most `max_steps` steps (see the module docstring).

    Raises:
        MachineError: `word` has a symbol that is not a symbol of the machine.
        LengthError: `max_steps` is negative or above `MAX_STEPS`.
    """
    return _execute(machine, word, max_steps, None)


def trace(machine: TuringMachine, word: str = "", *, max_steps: int) -> list[TMStep]:
    """Every step `run` takes, in order (as many as `run(...).steps`)."""
    steps: list[TMStep] = []
    _execute(machine, word, max_steps, steps)
    return steps


def _execute(machine: TuringMachine, word: str, max_steps: int,
             record: list[TMStep] | None) -> TMResult:
    if not isinstance(machine, TuringMachine):
        raise MachineError(f"run needs a TuringMachine, got {machine!r}")
    max_steps = check_int("max_steps", max_steps, 0, MAX_STEPS)
    word = _validate_word(machine, word)
    blank = machine.blank
    table = {key: None if t is None else (t.write, MOVES[t.move], t.next, t.move)
             for key, t in machine.delta.items()}
    tape = {i: s for i, s in enumerate(word)}
    state, head, steps = machine.start, 0, 0
    low, high = 0, max(len(word) - 1, 0)
    halted = undefined = False
    while True:
        if state == HALT:
            halted = True
            break
        read = tape.get(head, blank)
        action = table[state, read]
        if action is None:
            halted = undefined = True
            break
        if steps == max_steps:
            break
        write, offset, following, move = action
        tape[head] = write
        steps += 1
        if record is not None:
            record.append(TMStep(step=steps, state=state, head=head, read=read, write=write,
                                 move=move, next_state=following, head_after=head + offset))
        head += offset
        state = following
        if head < low:
            low = head
        elif head > high:
            high = head
    cells = "".join(tape.get(i, blank) for i in range(low, high + 1))
    ones = sum(1 for s in tape.values() if s != blank)
    return TMResult(halted=halted, steps=steps, state=state, head=head, tape=cells,
                    tape_start=low, ones=ones, undefined=undefined)


# ---- validation ------------------------------------------------------------------------


def _validate_states(states) -> tuple[str, ...]:
    states = tuple(states) if isinstance(states, (list, tuple)) else states
    if not isinstance(states, tuple) or not states:
        raise MachineError(f"states must be a non-empty tuple of letters, got {states!r}")
    for q in states:
        if not isinstance(q, str) or len(q) != 1 or q not in STATE_NAMES:
            raise MachineError(f"state {q!r} is not a state name; states are single "
                               f"upper-case letters A..Y (Z is the halt state)")
    repeated = sorted({q for q in states if states.count(q) > 1})
    if repeated:
        raise MachineError(f"states {', '.join(states)} repeat the state {repeated[0]!r}")
    return states


def _validate_symbols(symbols) -> tuple[str, ...]:
    symbols = tuple(symbols) if isinstance(symbols, (list, tuple)) else symbols
    if not isinstance(symbols, tuple) or not symbols:
        raise MachineError(f"symbols must be a non-empty tuple of characters, got {symbols!r}")
    for s in symbols:
        if not isinstance(s, str) or len(s) != 1 or s.isspace() or s == "#":
            raise MachineError(f"symbol {s!r} is not a tape symbol; symbols are single "
                               f"characters, not white space and not '#'")
    repeated = sorted({s for s in symbols if symbols.count(s) > 1})
    if repeated:
        raise MachineError(f"symbols {', '.join(symbols)} repeat the symbol {repeated[0]!r}")
    return symbols


def _validate_delta(machine: TuringMachine) -> Mapping:
    delta = machine.delta
    if not isinstance(delta, Mapping):
        raise MachineError(f"delta must be a mapping from (state, symbol) to a Transition "
                           f"or None, got {delta!r}")
    states, symbols = machine.states, machine.symbols
    pairs = [(q, s) for q in states for s in symbols]
    for key in delta:
        if key not in pairs:
            raise MachineError(f"delta has the key {key!r}, which is not a (state, symbol) "
                               f"pair; states are {', '.join(states)}, symbols are "
                               f"{', '.join(symbols)}")
    out = {}
    for q, s in pairs:
        if (q, s) not in delta:
            raise MachineError(f"delta has no entry for state {q!r} and symbol {s!r} "
                               f"(None means an undefined transition)")
        t = delta[q, s]
        if t is not None:
            _validate_transition(t, q, s, states, symbols)
        out[q, s] = t
    return MappingProxyType(out)


def _validate_transition(t, q, s, states, symbols) -> None:
    where = f"transition from state {q!r} on symbol {s!r}"
    if not isinstance(t, Transition):
        raise MachineError(f"{where} is {t!r}, not a Transition or None")
    if t.write not in symbols:
        raise MachineError(f"{where} writes {t.write!r}, which is not a symbol; symbols are "
                           f"{', '.join(symbols)}")
    if t.move not in MOVES:
        raise MachineError(f"{where} moves {t.move!r}; moves are L and R")
    if t.next != HALT and t.next not in states:
        raise MachineError(f"{where} enters {t.next!r}, which is unknown; states are "
                           f"{', '.join(states)} (and {HALT} halts)")


def _validate_word(machine: TuringMachine, word) -> str:
    if not isinstance(word, str):
        raise MachineError(f"an input word is a string of tape symbols, got {word!r}")
    for i, s in enumerate(word):
        if s not in machine.symbols:
            raise MachineError(f"input word {word!r} has the symbol {s!r} at position {i}, "
                               f"which is not a symbol of the machine "
                               f"({', '.join(machine.symbols)})")
    return word
