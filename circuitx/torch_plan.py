"""The torch evaluator's plan: which gates run as bit logic, which as integer products.

Every gate gets a group: its canonical form when it is a short bitwise program
(`circuitx.bitwise`), "constant", or an integer product of its magnitude's bit
class (see `circuitx.torch_eval`). Gates are sorted by (layer, group) and the
wires renumbered so that every (layer, group) is a contiguous block of rows of
the value table; each block becomes one part.
"""

from __future__ import annotations

import numpy as np
import torch

from circuitx import bitwise
from circuitx.circuit import Circuit

LIMB_BITS = 20
BIT_CLASSES = (7, 15, 24, 31, 53)
CONSTANT = -2
PRODUCT_BASE = -3  # product parts: PRODUCT_BASE - bit class
WORKING_WORDS = {"cpu": 1 << 18, "cuda": 1 << 24}
"""Words gathered at once by a bitwise part: cache-sized on CPU, large on a GPU."""


def budget(fan_in: np.ndarray) -> np.ndarray:
    """The longest bitwise program worth running rather than an integer product.

    An integer product costs a few passes over 64 unpacked bytes per literal
    and 64 batch rows, about the traffic of 16 word operations per literal.
    """
    return 16 * fan_in + 16


def make_plan(circuit: Circuit, device: torch.device, force: str | None) -> dict:
    first, n = circuit.first_gate, circuit.n_gates
    group = PRODUCT_BASE - np.searchsorted(np.array(BIT_CLASSES), circuit.magnitude_bits)
    forms = None
    if force in (None, "bitwise"):
        forms, small = _canonical(circuit)
        allowed = forms.key >= 0
        if force is None:
            allowed &= forms.cost <= budget(forms.fan_in)
        group[small] = np.where(forms.constant >= 0, CONSTANT,
                                np.where(allowed, forms.key, group[small]))
    layer = circuit.layers[first:]
    order = np.lexsort((np.arange(n), group, layer))
    offset, rows = _layer_offsets(circuit)
    row_of = np.empty(circuit.n_nodes, dtype=np.int64)
    row_of[:first] = np.arange(first)
    sorted_layers = layer[order]
    rank = np.arange(n) - np.searchsorted(sorted_layers, sorted_layers)  # place in its layer
    row_of[first + order] = offset[sorted_layers] + rank
    index_of = np.full(n, -1, dtype=np.int64)  # gate -> row of `forms`
    if forms is not None:
        index_of[small] = np.arange(len(small))
    bounds = np.flatnonzero((np.diff(layer[order]) != 0) | (np.diff(group[order]) != 0)) + 1
    parts = []
    for gates in np.split(order, bounds):
        if not len(gates):
            continue
        code = int(group[gates[0]])
        common = {"start": int(row_of[first + gates[0]]), "n": len(gates)}
        if code >= 0:
            parts.append(_bitwise_part(forms, index_of[gates], code, row_of, device) | common)
        elif code == CONSTANT:
            values = np.where(forms.constant[index_of[gates]] == 1, -1, 0)
            parts.append({"kind": "constant",
                          "values": torch.as_tensor(values[:, None], device=device)} | common)
        else:
            parts.append(_product_part(circuit, gates, row_of, device, force) | common)
    return {"parts": parts, "rows": rows,
            "outputs": torch.as_tensor(row_of[circuit.output_wires], device=device)}


def _layer_offsets(circuit: Circuit) -> tuple[np.ndarray, int]:
    """The first row of every layer's block in the value table, and the table's rows.

    A layer's rows are free again once the last layer reading them has run
    (outputs are never freed): layer d goes at the lowest offset that overlaps
    no layer still read at d or later. Layer 0 (constants and inputs) is at 0.
    The table is then a few layers tall rather than the whole circuit.
    """
    layers = circuit.layers
    depth = int(layers.max(initial=0))
    sizes = np.bincount(layers, minlength=depth + 1)
    last_use = np.zeros(depth + 1, dtype=np.int64)
    reader = np.repeat(layers[circuit.first_gate:], circuit.fan_in)
    np.maximum.at(last_use, layers[circuit.fanin_wires], reader)
    last_use[layers[circuit.output_wires]] = depth + 1
    offset = np.zeros(depth + 1, dtype=np.int64)
    live: list[tuple[int, int, int]] = [(0, int(sizes[0]), int(last_use[0]))]
    rows = int(sizes[0])
    for d in range(1, depth + 1):
        live = [block for block in live if block[2] >= d]
        at = 0
        for lo, hi, _ in sorted(live):
            if at + sizes[d] <= lo:
                break
            at = max(at, hi)
        offset[d] = at
        live.append((at, at + int(sizes[d]), int(last_use[d])))
        rows = max(rows, at + int(sizes[d]))
    return offset, rows


def _canonical(circuit: Circuit) -> tuple[bitwise.Canonical, np.ndarray]:
    """Canonical forms of the gates with few inputs and int64-sized sums, and which those are."""
    counts = circuit.fan_in
    small = np.flatnonzero((counts <= bitwise.MAX_FANIN) & (circuit.magnitude_bits <= 62))
    width = max(1, int(counts[small].max(initial=0)))
    src = np.zeros((len(small), width), dtype=np.int64)
    weights = np.zeros((len(small), width), dtype=np.int64)
    owner, slot = _owner_slot(counts[small])
    entries = _entries(circuit.fanin_ptr, small, counts[small])
    src[owner, slot] = circuit.fanin_wires[entries]
    weights[owner, slot] = circuit.weights[entries].astype(np.int64)
    thresholds = circuit.thresholds[small].astype(np.int64)
    return bitwise.canonical(src, weights, thresholds), small


def _owner_slot(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For gates of the given fan-ins, entry after entry: its gate and its place in the gate."""
    owner = np.repeat(np.arange(len(counts)), counts)
    return owner, np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)


def _entries(ptr: np.ndarray, gates: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Indices into the fan-in arrays of the given gates' entries, gate after gate."""
    starts = np.concatenate(([0], np.cumsum(counts)[:-1])) if len(counts) else counts
    return np.repeat(ptr[gates] - starts, counts) + np.arange(int(counts.sum()))


def _bitwise_part(forms: bitwise.Canonical, rows: np.ndarray, key: int, row_of, device) -> dict:
    weights, threshold = bitwise.decode(key)
    k = len(weights)
    negate = forms.negate[rows, :k]
    complement = forms.complement[rows]
    as_mask = lambda a: torch.as_tensor(np.where(a, -1, 0), device=device)  # noqa: E731
    return {"kind": "bitwise", "fan_in": k, "threshold": threshold,
            "steps": bitwise.program(weights, threshold),
            "sources": torch.as_tensor(row_of[forms.sources[rows, :k]].reshape(-1),
                                       device=device),
            "negate": as_mask(negate[:, :, None]) if negate.any() else None,
            "complement": as_mask(complement[:, None]) if complement.any() else None,
            "working_words": WORKING_WORDS.get(device.type, WORKING_WORDS["cuda"])}


def _product_part(circuit: Circuit, gates: np.ndarray, row_of, device, force) -> dict:
    """An integer product over the part's sources, indexed locally (0 .. n_sources - 1)."""
    counts = circuit.fan_in[gates]
    entries = _entries(circuit.fanin_ptr, gates, counts)
    sources, local = np.unique(row_of[circuit.fanin_wires[entries]], return_inverse=True)
    local = local.reshape(-1)
    if not len(sources):
        sources = np.zeros(1, dtype=np.int64)  # wire 0 (False), read by padding only
    weights = circuit.weights[entries]
    thresholds = circuit.thresholds[gates]
    bits = int(circuit.magnitude_bits[gates].max())
    n, nnz = len(gates), len(entries)
    as_tensor = lambda array, dtype: torch.as_tensor(array, dtype=dtype, device=device)  # noqa: E731
    part = {"sources": as_tensor(sources, torch.int64)}
    small = n * len(sources) <= 1 << 25 and nnz >= 0.1 * n * len(sources)
    if bits <= 53 and (force == "dense" or (force is None and small)):
        dtype = torch.float32 if bits <= 24 else torch.float64
        matrix = torch.zeros((n, len(sources)), dtype=dtype)
        matrix.index_put_((torch.as_tensor(_owner_slot(counts)[0]),
                           torch.as_tensor(local)),
                          torch.as_tensor(weights.astype(np.float64)).to(dtype), accumulate=True)
        return part | {"kind": "dense", "matrix": matrix.to(device),
                       "threshold": as_tensor(thresholds.astype(np.float64), dtype)[:, None]}
    width = int(counts.max(initial=0))
    even = width <= 2 * nnz / max(n, 1) + 4
    if bits <= 31 and (force == "slots" or (force is None and even)):
        dtype = torch.int8 if bits <= 7 else torch.int16 if bits <= 15 else torch.int32
        src = np.zeros((n, max(width, 1)), dtype=np.int64)  # padding: weight 0
        slot_w = np.zeros((n, max(width, 1)), dtype=np.int64)
        owner, slot = _owner_slot(counts)
        src[owner, slot] = local
        slot_w[owner, slot] = weights.astype(np.int64)
        return part | {"kind": "slots", "src": as_tensor(src, torch.int64),
                       "weights": as_tensor(slot_w, dtype), "dtype": dtype,
                       "threshold": as_tensor(thresholds.astype(np.int64), dtype)[:, None]}
    crow = torch.as_tensor(np.concatenate(([0], np.cumsum(counts))), dtype=torch.int64)
    shape = (n, len(sources))
    if bits <= 53 and force != "limbs":
        dtype = np.float32 if bits <= 24 else np.float64
        return part | {"kind": "csr",
                       "matrix": _csr(crow, local, weights.astype(dtype), shape, device),
                       "threshold": as_tensor(thresholds.astype(dtype), None)[:, None]}
    return part | _limb_matrices(crow, local, weights, thresholds, bits, shape, device)


def _limb_matrices(crow, local, weights, thresholds, bits, shape, device) -> dict:
    """Signed 20-bit limbs of the weights, one CSR matrix per limb, and the threshold limbs."""
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
    return {"kind": "limbs", "matrices": matrices, "threshold": limbs}


def _csr(crow, cols, values, shape, device) -> torch.Tensor:
    return torch.sparse_csr_tensor(crow, torch.as_tensor(cols, dtype=torch.int64),
                                   torch.as_tensor(values), size=shape).to(device)
