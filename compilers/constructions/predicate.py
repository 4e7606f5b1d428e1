"""A recogniser of a language given by a plain predicate rather than a zoo name.

`languages.zoo` names one member of a family (``mod3``, ``majority``); a
recipe with options (MOD-m for any m, any comparison of two counts) decides
languages the zoo does not list. `PredicateRecognizer` is a `Recognizer` whose
reference is a plain Python predicate on the word, written beside the
construction but sharing no code with it (a ``word.count(...)`` test), and
whose alphabet is given. Its `language` is None, so `compilers.runs.check`
draws uniform words over the alphabet (all of them at small lengths).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from compilers.constructions.recognizer import Recognizer


@dataclass(frozen=True, kw_only=True)
class PredicateRecognizer(Recognizer):
    """A `Recognizer` of ``{w over symbols : predicate(w)}``.

    Attributes:
        symbols: the alphabet.
        predicate: the membership test (the oracle).
        description: the language in words, for listings.
    """

    language: str | None = None
    symbols: str = "01"
    predicate: Callable[[str], bool] = bool
    description: str = ""

    @property
    def alphabet(self) -> str:
        return self.symbols

    def reference(self, word: str) -> bool:
        """Whether `word` is in the language (the predicate)."""
        return bool(self.predicate(word))
