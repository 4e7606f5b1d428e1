"""Errors raised by the `circuitx` package.

Every user mistake raises a subclass of `CircuitError`, whose message names
the gate, wire or value at fault and what was allowed.
"""


class CircuitError(ValueError):
    """Base class of every error this package raises on bad input."""


class WireError(CircuitError):
    """A gate or an output reads a wire that does not exist (a dangling wire)."""


class CycleError(CircuitError):
    """A gate reads a wire defined after it: a cycle, or gates out of topological order."""


class WeightError(CircuitError):
    """A weight or a threshold is not an integer."""


class NamingError(CircuitError):
    """Input or output names are missing, duplicated or not strings."""


class WidthError(CircuitError):
    """An input batch has the wrong number of bits, or names the wrong inputs."""


class FormatError(CircuitError):
    """A saved circuit file is malformed."""


class GadgetError(CircuitError):
    """An unknown gadget, or a gadget asked for with a bad size."""


class MissingDependencyError(CircuitError):
    """An optional dependency (python-sat, dd) is needed and not installed."""


class LimitError(CircuitError):
    """A circuit being built grew past the limit set with `circuitx.builder.limited`."""
