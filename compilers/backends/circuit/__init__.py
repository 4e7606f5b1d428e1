"""The circuit backend: a construction at input length n, as a threshold circuit.

`to_circuit(transformer, n, precision=...)` returns a `CircuitModel` whose
circuit reads the one-hot word (inputs ``x{p}_{a}``) and outputs the accept
bit. `compile_recognizer` does the same for a registered `Recognizer` (its
CLS tokens, alphabet and accept output). Modules, one pass each:

* `fixed`: exact forms (fixed-point numbers on wires), precisions, errors;
* `gates`: functions of a form, products, comparisons (the gadgets);
* `lower_linear`, `lower_attention`, `lower_layernorm`: one lowering per block
  type; `lower`: the dispatch table and the pipeline; `simplify`: dead gates;
* `lower_step`: one decoding step of a generating model (encoder + fed-back
  vectors), e.g. Pérez et al.'s Turing machine at step t; `tm_step`: that
  for a Turing machine, its real run's inputs and the decoded outputs;
* `lower_loop`: one loop of a looped model over a matrix input, softmax under
  the unique-argmax promise (checked by the circuit's `promise` output);
  `lower_pieces`: its MLP lowering, one piecewise-linear function per sum;
  `subleq_loop`: that for Giannou et al.'s SUBLEQ computer (both semantics);
* `scaling`: depth and size against n, the fitted exponent, the plot.
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


def compile_recognizer(recognizer, n: int, *, precision="auto") -> CircuitModel:
    """`to_circuit` for a `Recognizer`: its bos/eos tokens, its language's alphabet."""
    from languages import zoo

    alphabet = tuple(zoo.get(recognizer.language).alphabet)
    return to_circuit(recognizer.transformer, n, precision=precision, bos=recognizer.bos,
                      eos=recognizer.eos, alphabet=alphabet, accept=recognizer.accept)


__all__ = [
    "LOWERINGS", "CircuitCompileError", "CircuitModel", "Precision", "PrecisionError",
    "SaturationError", "UnsupportedError", "compile_recognizer", "encode_words",
    "parse_precision", "to_circuit",
]
