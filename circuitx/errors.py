"""Errors raised by the `circuitx` package.

Every user mistake raises a subclass of `CircuitError`, whose message names
the gate, wire or value at fault and what was allowed.
"""


class CircuitError(ValueError):
    """Base class of every error this package raises on bad input."""
