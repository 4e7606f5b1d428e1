"""The batched torch evaluator: layer by layer, on CPU or GPU, exact.

Wires are renumbered so that the gates of each layer (all gates at depth d)
are contiguous rows of a value table ``V`` (uint8, shape (n_nodes, chunk), one
column per input row of the batch); layer d is ``V[layer d] = [W_d V >= t_d]``.
Each layer is cut into parts by the gates' ``b = magnitude_bits`` (every
partial sum of the gate and its threshold lie below ``2**b``), and each part
runs as one product in a number type that is exact for it:

* ``dense``: a dense float matrix over the rows the part reads, when that
  matrix is small and at least 10% full: float32 for ``b <= 24`` (integers are
  exact below 2**24), float64 for ``b <= 53``;
* ``slots``: for ``b <= 31`` and even fan-ins, blocks of gates gather one
  source row per fan-in slot and multiply-add it in int8 (``b <= 7``), int16
  (``b <= 15``) or int32: the fastest path on CPU, bound by memory traffic;
* ``csr``: a sparse CSR float product (float32 / float64 as for dense);
* ``limbs``: for ``b > 53`` the weights are split into signed 20-bit limbs,
  ``w = sum_j w_j 2**(20 j)``; each limb product ``S_j`` is exact in float64
  (fan-in below 2**33), and ``sum_j S_j 2**(20 j) >= t`` is decided in int64
  by carrying ``floor(D_j / 2**20)`` upwards from ``D_j = S_j - t_j``: after
  the carries every limb but the top one lies in [0, 2**20), so the sign of
  the sum is the sign of the top limb.

No weighted sum is ever rounded; the tests check every path against the
reference (`FORCE_KIND` makes every part take one path, for those tests).
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

from circuitx.circuit import Circuit
from circuitx.evaluate import DEFAULT_MAX_BYTES

LIMB_BITS = 20
FORCE_KIND: str | None = None
"""Tests set this to "dense", "slots", "csr" or "limbs" to force a path where it is exact."""


def evaluate_torch(circuit: Circuit, bits: np.ndarray, device=None,
                   max_bytes: int = DEFAULT_MAX_BYTES) -> np.ndarray:
    """Outputs (batch, n_outputs) as numpy bools for `bits` (batch, n_inputs) bool."""
    tensor = torch.from_numpy(np.array(bits, dtype=bool, order="C", copy=True))
    return evaluate_tensor(circuit, tensor, device=device, max_bytes=max_bytes).cpu().numpy()


def evaluate_tensor(circuit: Circuit, bits: torch.Tensor, device=None,
                    max_bytes: int = DEFAULT_MAX_BYTES) -> torch.Tensor:
    """Outputs (batch, n_outputs) as a bool tensor on `device`, for a bool tensor of inputs."""
    device = torch.device(device or "cpu")
    plan = _plan(circuit, device)
    batch = bits.shape[0]
    out = torch.empty((batch, len(circuit.output_names)), dtype=torch.bool, device=device)
    chunk = int(min(batch, max(1, max_bytes // circuit.n_nodes)))
    bits = bits.to(device=device, dtype=torch.uint8)
    for start in range(0, batch, chunk):
        stop = min(batch, start + chunk)
        values = torch.empty((circuit.n_nodes, stop - start), dtype=torch.uint8, device=device)
        values[0], values[1] = 0, 1
        values[2:circuit.first_gate] = bits[start:stop].T
        for part in plan["parts"]:
            RUN[part["kind"]](part, values, values[part["rows"]])
        out[start:stop] = values[plan["outputs"]].T.bool()
    return out


def _run_slots(part: dict, values: torch.Tensor, out: torch.Tensor) -> None:
    """Small integer weights: per block of gates, one gather and multiply-add per fan-in slot."""
    src, weights, threshold, dtype = part["src"], part["weights"], part["threshold"], part["dtype"]
    block = max(1, (1 << 20) // max(1, values.shape[1]))
    for lo in range(0, src.shape[0], block):
        hi = min(src.shape[0], lo + block)
        acc = values.index_select(0, src[lo:hi, 0]).to(dtype) * weights[lo:hi, 0:1]
        for k in range(1, src.shape[1]):
            acc.addcmul_(values.index_select(0, src[lo:hi, k]).to(dtype), weights[lo:hi, k:k + 1])
        torch.ge(acc, threshold[lo:hi], out=out[lo:hi])


def _run_matrix(part: dict, values: torch.Tensor, out: torch.Tensor) -> None:
    """Dense or sparse (CSR) float product over the rows the part reads (exact by its bits)."""
    sources = values.index_select(0, part["sources"]).to(part["matrix"].dtype)
    out.copy_(part["matrix"] @ sources >= part["threshold"])


def _run_limbs(part: dict, values: torch.Tensor, out: torch.Tensor) -> None:
    sources = values.index_select(0, part["sources"]).to(torch.float64)
    carry = None
    for matrix, limb in zip(part["matrices"], part["threshold"], strict=True):
        d = (matrix @ sources).to(torch.int64) - limb
        if carry is not None:
            d = d + carry
        carry = torch.div(d, 1 << LIMB_BITS, rounding_mode="floor")
    out.copy_(d >= 0)  # the top limb, with every carry below it added


RUN = {"slots": _run_slots, "dense": _run_matrix, "csr": _run_matrix, "limbs": _run_limbs}

BIT_CLASSES = (7, 15, 24, 31, 53)
"""Exact number types by magnitude bits: int8, int16, float32, int32, float64; above: limbs."""


def _plan(circuit: Circuit, device: torch.device) -> dict:
    key = ("torch", str(device), FORCE_KIND)
    if key not in circuit.cache:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "sparse CSR support is in beta"
            circuit.cache[key] = _make_plan(circuit, device)
    return circuit.cache[key]


def _make_plan(circuit: Circuit, device: torch.device) -> dict:
    """Group the gates by (layer, bit class), renumber wires so that groups are contiguous."""
    first = circuit.first_gate
    kind = np.searchsorted(np.array(BIT_CLASSES), circuit.magnitude_bits)
    layer = circuit.layers[first:]
    order = np.lexsort((np.arange(circuit.n_gates), kind, layer))
    row_of = np.empty(circuit.n_nodes, dtype=np.int64)
    row_of[:first] = np.arange(first)
    row_of[first + order] = np.arange(first, circuit.n_nodes)
    keys = layer[order] * (len(BIT_CLASSES) + 1) + kind[order]
    bounds = np.flatnonzero(np.diff(keys)) + 1
    parts = []
    start = first
    for group in np.split(order, bounds):
        if not len(group):
            continue
        rows = slice(start, start + len(group))
        start += len(group)
        parts.append(_make_part(circuit, group, rows, row_of, device))
    return {"parts": parts,
            "outputs": torch.as_tensor(row_of[circuit.output_wires], device=device)}


def _make_part(circuit, gates, rows, row_of, device) -> dict:
    ptr = circuit.fanin_ptr
    counts = ptr[gates + 1] - ptr[gates]
    entries = (np.repeat(ptr[gates] - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
               + np.arange(int(counts.sum())))
    cols = row_of[circuit.fanin_wires[entries]]
    weights = circuit.weights[entries]
    thresholds = circuit.thresholds[gates]
    bits = int(circuit.magnitude_bits[gates].max())
    n, nnz = len(gates), len(entries)
    sources, local = np.unique(cols, return_inverse=True)
    as_tensor = lambda array, dtype: torch.as_tensor(array, dtype=dtype, device=device)  # noqa: E731
    small = n * len(sources) <= 1 << 25 and nnz >= 0.1 * n * len(sources)
    if bits <= 53 and (FORCE_KIND == "dense" or (FORCE_KIND is None and small)):
        dtype = torch.float32 if bits <= 24 else torch.float64
        matrix = torch.zeros((n, len(sources)), dtype=dtype)
        matrix.index_put_((torch.as_tensor(np.repeat(np.arange(n), counts)),
                           torch.as_tensor(local)),
                          torch.as_tensor(weights.astype(np.float64)).to(dtype), accumulate=True)
        return {"kind": "dense", "rows": rows, "sources": as_tensor(sources, torch.int64),
                "matrix": matrix.to(device),
                "threshold": as_tensor(thresholds.astype(np.float64), dtype)[:, None]}
    width = int(counts.max(initial=0))
    even = width <= 2 * nnz / max(n, 1) + 4
    if bits <= 31 and (FORCE_KIND == "slots" or (FORCE_KIND is None and even)):
        dtype = torch.int8 if bits <= 7 else torch.int16 if bits <= 15 else torch.int32
        src = np.zeros((n, max(width, 1)), dtype=np.int64)  # padding reads False, weight 0
        slot_w = np.zeros((n, max(width, 1)), dtype=np.int64)
        slot = np.arange(nnz) - np.repeat(np.cumsum(counts) - counts, counts)
        owner = np.repeat(np.arange(n), counts)
        src[owner, slot] = cols
        slot_w[owner, slot] = weights.astype(np.int64)
        return {"kind": "slots", "rows": rows, "src": as_tensor(src, torch.int64),
                "weights": as_tensor(slot_w, dtype), "dtype": dtype,
                "threshold": as_tensor(thresholds.astype(np.int64), dtype)[:, None]}
    crow = torch.as_tensor(np.concatenate(([0], np.cumsum(counts))), dtype=torch.int64)
    shape = (n, len(sources))
    part = {"rows": rows, "sources": as_tensor(sources, torch.int64)}
    if bits <= 53 and FORCE_KIND != "limbs":
        dtype = np.float32 if bits <= 24 else np.float64
        part.update(kind="csr", matrix=_csr(crow, local, weights.astype(dtype), shape, device),
                    threshold=as_tensor(thresholds.astype(dtype), None)[:, None])
        return part
    n_limbs = (bits + LIMB_BITS - 1) // LIMB_BITS + 1
    weights = [int(w) for w in weights]
    thresholds = [int(t) for t in thresholds]
    mask = (1 << LIMB_BITS) - 1
    matrices, limbs = [], []
    for j in range(n_limbs):
        shift = LIMB_BITS * j
        limb_w = [(abs(w) >> shift & mask) * (1 if w >= 0 else -1) for w in weights]
        matrices.append(_csr(crow, local, np.array(limb_w, dtype=np.float64), shape, device))
        if j < n_limbs - 1:
            limb_t = [t >> shift & mask for t in thresholds]
        else:
            limb_t = [t >> shift for t in thresholds]  # the signed rest
        limbs.append(torch.as_tensor(limb_t, dtype=torch.int64, device=device)[:, None])
    part.update(kind="limbs", matrices=matrices, threshold=limbs)
    return part


def _csr(crow, cols, values, shape, device) -> torch.Tensor:
    return torch.sparse_csr_tensor(crow, torch.as_tensor(cols, dtype=torch.int64),
                                   torch.as_tensor(values), size=shape).to(device)
