"""The automaton a chain-of-thought construction simulates, from what a user writes.

`automaton(spec, alphabet)` reads one of:

* a regular language of the zoo by name (``parity``, ``tomita3``, ``mod3``,
  ``first``, ``even_pairs``, ...): its DFA, states ``q0``, ``q1``, ...;
* a regular expression between slashes, ``/(ab)*a/`` (`languages.regex`),
  over `alphabet`, by default the pattern's own symbols in order of appearance:
  its minimal DFA;
* a DFA table (`languages.dfa_text`): a text with a newline or a ``;``, or a
  file holding one: the DFA as written, with its state names.

The result, an `Automaton`, is the DFA with its state names and the text it
came from; its `run` is the DFA's own run, step by step (the reference the
constructions are checked against: a plain loop over the transition table,
sharing no code with any transformer). A spec that is none of these is a
`DFAError` naming it and what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from languages import zoo
from languages.dfa import DFA
from languages.dfa_text import format_table, parse_table
from languages.errors import DFAError, UnknownLanguageError
from languages.regex import META, compile_regex
from languages.regular import RegularLanguage

MAX_FILE_BYTES = 1 << 20


@dataclass(frozen=True, kw_only=True)
class Automaton:
    """A DFA with named states (see the module docstring).

    Attributes:
        dfa: the automaton.
        names: the state names, by state number.
        spec: the text it was read from (a zoo name, ``/regex/``, or a table).
        title: one line for listings.
    """

    dfa: DFA
    names: tuple[str, ...]
    spec: str
    title: str = ""

    @property
    def symbols(self) -> tuple[str, ...]:
        """The input symbols, in the DFA's order (what `compilers.runs.check` draws words
        over)."""
        return tuple(self.dfa.alphabet)

    @property
    def start(self) -> str:
        return self.names[self.dfa.start]

    def accepts_state(self, name: str) -> bool:
        return self.names.index(name) in self.dfa.accepting

    def check_word(self, word: str) -> str:
        """`word`, or a `DFAError` naming its first symbol outside the alphabet."""
        if not isinstance(word, str):
            raise DFAError(f"the input word must be a string, got {word!r:.60}")
        for k, symbol in enumerate(word):
            if symbol not in self.dfa.alphabet:
                raise DFAError(f"input word {word[:60]!r} has the symbol {symbol!r} at position "
                               f"{k}; the alphabet is {self.dfa.alphabet!r}")
        return word

    def run(self, word: str) -> tuple[str, ...]:
        """The states q_1 .. q_n the DFA enters reading `word` (q_0, the start, not
        included): the reference run."""
        table, index = self.dfa.transitions, {s: k for k, s in enumerate(self.dfa.alphabet)}
        state, out = self.dfa.start, []
        for symbol in self.check_word(word):
            state = table[state][index[symbol]]
            out.append(self.names[state])
        return tuple(out)

    def table(self) -> str:
        """The DFA as a one-line table (`languages.dfa_text.format_table`)."""
        return format_table(self.dfa, self.names, separator="; ")


def regular_names() -> list[str]:
    """The zoo's regular languages."""
    return [n for n in zoo.names() if isinstance(zoo.get(n), RegularLanguage)]


def regex_alphabet(pattern: str) -> str:
    """The symbols a pattern names, in order of first appearance (``\\c`` is c)."""
    out, escaped = [], False
    for c in pattern:
        if escaped or c not in META:
            if c not in out:
                out.append(c)
            escaped = False
        elif c == "\\":
            escaped = True
    return "".join(out)


def automaton(spec: str, alphabet: str | None = None) -> Automaton:
    """The `Automaton` of `spec` (see the module docstring)."""
    if not isinstance(spec, str) or not spec:
        raise DFAError(f"a language is a zoo name, a /regex/ or a DFA table, got {spec!r:.60}")
    shown = spec if len(spec) <= 60 else spec[:57] + "..."
    if alphabet is not None and not (spec.startswith("/") and spec.endswith("/")
                                     and len(spec) >= 2):
        raise DFAError(f"an alphabet ({alphabet!r}) goes with a /regex/ only; {shown!r} "
                       "states its own")
    if spec in zoo.names():
        language = zoo.get(spec)
        if not isinstance(language, RegularLanguage):
            raise DFAError(f"{spec!r} is not a regular language; the zoo's regular ones: "
                           f"{', '.join(regular_names())}")
        dfa = language.dfa
        return Automaton(dfa=dfa, names=tuple(f"q{k}" for k in range(dfa.states)), spec=spec,
                         title=f"{spec}: {language.description}")
    if len(spec) >= 2 and spec.startswith("/") and spec.endswith("/"):
        pattern = spec[1:-1]
        symbols = alphabet if alphabet is not None else regex_alphabet(pattern)
        if not symbols:
            raise DFAError(f"regex {shown!r} names no symbol; give its alphabet")
        dfa = compile_regex(pattern, symbols)
        return Automaton(dfa=dfa, names=tuple(f"q{k}" for k in range(dfa.states)), spec=spec,
                         title=f"regex {shown} over {symbols!r}")
    if "\n" in spec or ";" in spec:
        dfa, names = parse_table(spec)
        return Automaton(dfa=dfa, names=names, spec=spec, title="DFA table")
    path = Path(spec)
    try:
        is_file = path.is_file()
    except (OSError, ValueError):
        is_file = False
    if is_file:
        try:
            size = path.stat().st_size
            data = path.read_bytes() if size <= MAX_FILE_BYTES else b""
        except OSError as error:
            raise DFAError(f"cannot read DFA file {shown!r}: {error.strerror}") from None
        if size > MAX_FILE_BYTES:
            raise DFAError(f"DFA file {shown!r} is {size} bytes; at most {MAX_FILE_BYTES}")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise DFAError(f"DFA file {shown!r} is not UTF-8 text (byte {error.start})") from None
        dfa, names = parse_table(text)
        return Automaton(dfa=dfa, names=names, spec=spec, title=f"DFA file {shown}")
    raise UnknownLanguageError(
        f"{shown!r} is not a regular language of the zoo ({', '.join(regular_names())}), a "
        "/regex/, a DFA table (symbols; then one row per state) or a file holding one")


__all__ = ["Automaton", "automaton", "regex_alphabet", "regular_names"]
