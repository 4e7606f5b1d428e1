"""Errors raised by the `languages` package.

Every user mistake (an unknown symbol, a malformed machine, a length out of
range) raises a subclass of `LanguageError`, whose message names the bad value
and what was allowed.
"""


class LanguageError(ValueError):
    """Base class of every error this package raises on bad input."""


class StepLimitReached(LanguageError):
    """A machine did not halt within the step limit it was given."""


class UnknownLanguageError(LanguageError):
    """A language name that the zoo does not know."""


class WordError(LanguageError):
    """A word with a symbol outside the alphabet, or words of unequal lengths."""


class LengthError(LanguageError):
    """A length, count, seed or label out of range (negative, absurd, unknown)."""


class NoWordsError(LanguageError):
    """Words of a label were asked for at a length where there are none."""


class DFAError(LanguageError):
    """A malformed DFA, or DFAs combined over different alphabets."""


class RegexError(LanguageError):
    """A malformed regular expression."""


class MachineError(LanguageError):
    """A malformed Turing machine, machine code or table, or a bad input word."""


class ProgramError(LanguageError):
    """A malformed SUBLEQ program: bad text, values out of range, bad addresses."""


class AddressError(LanguageError):
    """A SUBLEQ program touched a memory address outside its memory while running."""
