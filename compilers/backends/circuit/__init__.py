"""The circuit backend: a construction at input length n, as a threshold circuit.

`to_circuit(transformer, n, precision=...)` returns a `CircuitModel` whose
circuit reads the one-hot word (inputs ``x{p}_{a}``) and outputs the accept
bit; `CircuitBackend` (`backend`) is the same behind the Backend seam, for
recognisers, decoding steps and loops. Modules, one pass each:

* `fixed`: exact forms (fixed-point numbers on wires), precisions, errors;
* `gates`: functions of a form, products, comparisons (the gadgets);
* `lower_linear`, `lower_attention`, `lower_layernorm`: one lowering per block
  type; `lower`: the dispatch table and the pipeline; `simplify`: dead gates;
* `lower_step`: one decoding step of a generating model (encoder + fed-back
  vectors), e.g. Pérez et al.'s Turing machine at step t;
* `lower_loop`: one loop of a looped model over a matrix input, softmax under
  the unique-argmax promise (`lower_promise`, checked by the circuit's
  `promise` output); `lower_pieces`: its MLP lowering, one piecewise-linear
  function per weighted sum;
* `backend`: `CircuitBackend`, which compiles on demand and runs them.
"""

from __future__ import annotations

from compilers.backends.circuit.fixed import (
    CircuitCompileError,
    Precision,
    PrecisionError,
    SaturationError,
    UnsupportedError,
    parse_precision,
)
from compilers.backends.circuit.lower import LOWERINGS, CircuitModel, encode_words, to_circuit

__all__ = [
    "LOWERINGS", "CircuitCompileError", "CircuitModel", "Precision", "PrecisionError",
    "SaturationError", "UnsupportedError", "encode_words", "parse_precision", "to_circuit",
]
