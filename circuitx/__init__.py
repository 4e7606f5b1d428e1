"""Threshold circuits: build, evaluate, measure, export and verify.

Imports nothing from `compilers`; torch only inside the batched evaluator
(`circuitx.torch_eval`, loaded when ``evaluate(..., backend="torch")`` runs).

* `circuitx.circuit`: `Circuit` (immutable, checked) and its `Stats`;
* `circuitx.builder`: `CircuitBuilder` (folding, structural hashing, labels);
* `circuitx.gadgets`: constant-depth counting, comparison and arithmetic;
* `circuitx.evaluate`: `evaluate` (numpy reference, torch backend);
* `circuitx.io`: JSON, networkx, GraphML, DOT;
* `circuitx.verify`: `equivalent` (exhaustive or SAT), `computes`;
* `circuitx.strategies`: the hypothesis strategy `circuits()`.

Numbers are little-endian: bit i of a list of wires has weight 2**i.
"""

from circuitx.builder import CircuitBuilder
from circuitx.circuit import Circuit, Stats
from circuitx.evaluate import evaluate

__all__ = ["Circuit", "CircuitBuilder", "Stats", "evaluate"]
