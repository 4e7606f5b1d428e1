"""Errors raised by the `compilers` package.

Every user mistake raises a subclass of `CompileError`, whose message names
the IR node (by its label) or the value at fault and what was allowed.
"""


class CompileError(ValueError):
    """Base class of every error this package raises on bad input."""
