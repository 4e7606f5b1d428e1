"""Errors raised by the `languages` package.

Every user mistake (an unknown symbol, a malformed machine, a length out of
range) raises a subclass of `LanguageError`, whose message names the bad value
and what was allowed.
"""


class LanguageError(ValueError):
    """Base class of every error this package raises on bad input."""


class StepLimitReached(LanguageError):
    """A machine did not halt within the step limit it was given."""
