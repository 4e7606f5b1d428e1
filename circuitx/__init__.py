"""Threshold circuits: build, evaluate, measure, export and verify.

Imports nothing from `compilers`; torch only inside the batched evaluator
(`circuitx.torch_eval`, loaded when ``evaluate(..., backend="torch")`` runs).

* `circuitx.circuit`: `Circuit` (immutable, checked) and its `Stats`;
* `circuitx.builder`: `CircuitBuilder` (folding, structural hashing, labels);
* `circuitx.gadgets`: constant-depth counting, comparison and arithmetic;
* `circuitx.evaluate`: `evaluate` (numpy reference, torch backend);
* `circuitx.io`: JSON, networkx, GraphML, DOT;
* `circuitx.verify`: `equivalent` (exhaustive, BDD or SAT), `computes`;
* `circuitx.strategies`: the hypothesis strategy `circuits()`.

Numbers are little-endian: bit i of a list of wires has weight 2**i.

`__version__` is the installed distribution's version (the distribution, also
named circuitx, holds `languages`, `circuitx` and `compilers`). The calls that
build, run, check and lower the papers' constructions are in `compilers.api`:
this package imports nothing of `compilers` (imports run one way,
``languages <- circuitx <- compilers``).
"""

from importlib.metadata import PackageNotFoundError, version

from circuitx.builder import CircuitBuilder
from circuitx.circuit import Circuit, Stats
from circuitx.evaluate import evaluate

try:
    __version__: str = version("circuitx")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["Circuit", "CircuitBuilder", "Stats", "__version__", "evaluate"]
