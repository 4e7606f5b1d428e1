"""Errors raised by the `compilers` package.

Every user mistake raises a subclass of `CompileError`, whose message names
the IR node (by its label) or the value at fault and what was allowed.
`EvaluationError` is the one every backend raises when a run cannot go on
(an unknown token, a zero variance, a tie that has no rule, a non-finite
value): the same class from every backend, so that callers catch one thing.
"""


class CompileError(ValueError):
    """Base class of every error this package raises on bad input."""


class EvaluationError(CompileError):
    """A run cannot go on (an unknown token, a zero variance, an undecidable argmax)."""
