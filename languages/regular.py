"""Regular languages: a `Language` backed by a DFA (from a table or a regex).

Counting, sampling and enumeration all go through the DFA (see `languages.dfa`).
Membership (`contains`) uses a hand-written predicate when one is given (the
zoo gives one for every named language, so that tests can compare the
predicate, the DFA and the regular expression as independent oracles), else
the DFA.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from languages.dfa import DFA
from languages.errors import DFAError
from languages.language import Language, check_length
from languages.regex import compile_regex


@dataclass(frozen=True, kw_only=True, eq=False)
class RegularLanguage(Language):
    """The language of `dfa`.

    Attributes:
        name: the language's name.
        dfa: its automaton (any DFA; `minimal` gives the minimised one).
        description: one line, for listings.
        regex: a regular expression of the same language, if one is known.
        predicate: a hand-written membership test, if one is known.
    """

    name: str
    dfa: DFA
    description: str = ""
    regex: str | None = None
    predicate: Callable[[str], bool] | None = None

    def __post_init__(self):
        if not isinstance(self.dfa, DFA):
            raise DFAError(f"a regular language needs a DFA, got {self.dfa!r}")

    @property
    def alphabet(self) -> str:
        return self.dfa.alphabet

    def contains(self, word: str) -> bool:
        if not set(word) <= set(self.alphabet):
            return False
        if self.predicate is not None:
            return bool(self.predicate(word))
        return self.dfa.accepts(word)

    def count(self, length: int) -> int:
        length = check_length(length)
        return self.dfa.count(length)

    def count_nonmembers(self, length: int) -> int:
        length = check_length(length)
        return self.dfa.count(length, accepting=False)

    def has_members(self, length: int) -> bool:
        length = check_length(length)
        return bool(np.isfinite(self.dfa.log_counts(length)[length, self.dfa.start]))

    def has_nonmembers(self, length: int) -> bool:
        length = check_length(length)
        return bool(np.isfinite(self.dfa.log_counts(length, False)[length, self.dfa.start]))

    def _contains_indices(self, indices: np.ndarray) -> np.ndarray:
        return self.dfa.accepts_indices(indices)

    def _sample_members(self, length, count, rng):
        return self.dfa.sample_indices(length, count, rng)

    def _sample_nonmembers(self, length, count, rng):
        return self.dfa.sample_indices(length, count, rng, accepting=False)

    def _enumerate_members(self, length):
        return self.dfa.enumerate_indices(length)

    def _first_indices(self, length, label):
        return self.dfa.first_indices(length, accepting=label == "member")


def from_regex(pattern: str, alphabet: str, name: str | None = None,
               description: str = "") -> RegularLanguage:
    """The regular language of `pattern` over `alphabet` (see `languages.regex`)."""
    return RegularLanguage(name=name or f"/{pattern}/", dfa=compile_regex(pattern, alphabet),
                           regex=pattern, description=description or f"regex {pattern}")


def from_dfa(dfa: DFA, name: str = "dfa", description: str = "") -> RegularLanguage:
    """The regular language of `dfa`."""
    return RegularLanguage(name=name, dfa=dfa, description=description)
