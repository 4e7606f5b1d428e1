"""Evaluate a circuit on a batch of inputs: a plain numpy reference, and a torch backend.

`evaluate(circuit, inputs)` takes a boolean array of shape (batch, n_inputs) (or
one row of shape (n_inputs,), or a mapping input name -> bits) and returns a
boolean array of shape (batch, n_outputs) (or (n_outputs,) for one row).

The reference (``backend="numpy"``) goes gate by gate: gate g's row of values is
``w_g @ values[s_g] >= t_g`` over the batch, in int64 where every partial sum
provably fits (``sum |w| + |t| < 2**62``) and in Python integers otherwise, so
no weighted sum is ever rounded. The batch is cut into chunks so that the table
of all wire values stays under `max_bytes`.

``backend="torch"`` (`circuitx.torch_eval`) goes layer by layer on CPU or GPU,
64 batch rows per int64 word: small gates run as shared programs of ANDs and
ORs (`circuitx.bitwise`), the others as exact integer products; it agrees
with the reference bit for bit.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from circuitx.circuit import DEFAULT_MAX_BYTES, Circuit
from circuitx.errors import CircuitError, WidthError


def input_bits(circuit: Circuit, inputs) -> tuple[np.ndarray, bool]:
    """The inputs as a (batch, n_inputs) bool array, and whether one row was given.

    Raises:
        WidthError: wrong width, or a mapping with missing or unknown names.
        CircuitError: values other than 0/1.
    """
    n = circuit.n_inputs
    if isinstance(inputs, Mapping):
        unknown = sorted(set(inputs) - set(circuit.input_names))
        missing = [name for name in circuit.input_names if name not in inputs]
        if unknown or missing:
            raise WidthError(f"inputs by name: missing {missing}, unknown {unknown}")
        columns = [np.atleast_1d(np.asarray(inputs[name])) for name in circuit.input_names]
        batch = max((len(c) for c in columns), default=1)
        array = (np.stack([np.broadcast_to(c, (batch,)) for c in columns], axis=1)
                 if columns else np.zeros((batch, 0), dtype=bool))
        single = all(np.ndim(inputs[name]) == 0 for name in circuit.input_names)
    else:
        array = np.asarray(inputs)
        single = array.ndim == 1
        if single:
            array = array[None, :]
    if array.ndim != 2 or array.shape[1] != n:
        width = array.shape[-1] if array.ndim else "a scalar"
        raise WidthError(f"the circuit has {n} inputs; got input rows of width {width}")
    if array.dtype != bool:
        if array.size and not np.isin(array, (0, 1)).all():
            raise CircuitError("inputs must be bits: booleans or the integers 0 and 1")
        array = array.astype(bool)
    return np.ascontiguousarray(array), single


def evaluate(circuit: Circuit, inputs, backend: str = "numpy", device=None,
             max_bytes: int = DEFAULT_MAX_BYTES) -> np.ndarray:
    """The outputs of `circuit` on every row of `inputs`.

    Args:
        circuit: the circuit.
        inputs: bits of shape (batch, n_inputs) or (n_inputs,), or a mapping
            input name -> a bit or a (batch,) array of bits.
        backend: "numpy" (the reference) or "torch".
        device: the torch device ("cpu", "cuda", ...); torch backend only.
        max_bytes: memory for the table of wire values; larger batches are chunked.

    Returns:
        bool array (batch, n_outputs), or (n_outputs,) for a single row.
    """
    bits, single = input_bits(circuit, inputs)
    if backend == "numpy":
        if device is not None:
            raise CircuitError(f"device {device!r} is for the torch backend; numpy runs on CPU")
        out = evaluate_reference(circuit, bits, max_bytes=max_bytes)
    elif backend == "torch":
        from circuitx.torch_eval import evaluate_torch

        out = evaluate_torch(circuit, bits, device=device, max_bytes=max_bytes)
    else:
        raise CircuitError(f"unknown backend {backend!r}; choose 'numpy' or 'torch'")
    return out[0] if single else out


def evaluate_reference(circuit: Circuit, bits: np.ndarray,
                       max_bytes: int = DEFAULT_MAX_BYTES) -> np.ndarray:
    """The plain evaluator: gate by gate, exact integers. `bits` is (batch, n_inputs) bool."""
    batch = bits.shape[0]
    out = np.empty((batch, len(circuit.output_names)), dtype=bool)
    if batch == 0:
        return out
    chunk = int(min(batch, max(1, max_bytes // circuit.n_nodes)))
    ptr = circuit.fanin_ptr.tolist()
    src = circuit.fanin_wires
    big = (circuit.magnitude_bits > 62).tolist()
    weights = [np.asarray(circuit.weights[ptr[g]:ptr[g + 1]],
                          dtype=object if big[g] else np.int64) for g in range(circuit.n_gates)]
    thresholds = circuit.thresholds.tolist()
    first = circuit.first_gate
    for start in range(0, batch, chunk):
        stop = min(batch, start + chunk)
        values = np.empty((circuit.n_nodes, stop - start), dtype=bool)
        values[0], values[1] = False, True
        values[2:first] = bits[start:stop].T
        for g in range(circuit.n_gates):
            rows = values[src[ptr[g]:ptr[g + 1]]]
            total = weights[g] @ (rows.astype(object) if big[g] else rows)
            values[first + g] = total >= thresholds[g]
        out[start:stop] = values[circuit.output_wires].T
    return out
