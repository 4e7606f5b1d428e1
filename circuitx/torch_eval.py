"""The batched torch evaluator: bit-packed, layer by layer, on CPU or GPU, exact.

The value table ``V`` is int64 of shape (n_nodes, words): bit b of word w of
row r is the value of wire r on batch row ``64 w + b``. Wires are renumbered
so that each part of a layer (all gates at depth d) is a contiguous block of
rows, and the parts run in layer order. A part is one of:

* ``bitwise``: the gates of one canonical form (`circuitx.bitwise`: the
  constants folded, negative weights turned into negated literals, weights
  clamped to the threshold and sorted). They share one straight-line program
  of ANDs and ORs, run on the gathered input words of all of them at once,
  with per-gate XOR masks for negated literals and outputs: 64 batch rows per
  word operation, and nothing but bit logic, so nothing to round. This is the
  path for small fan-in and small weights (at most `bitwise.MAX_FANIN`
  literals, a threshold up to `bitwise.MAX_THRESHOLD`, and a program not much
  longer than the integer products below would be);
* ``constant``: gates whose canonical form is constant;
* the integer products, on the unpacked bits of the rows the part reads (one
  uint8 per bit), cut into parts by the gates' ``b = magnitude_bits`` (every
  partial sum of the gate and its threshold lie below ``2**b``), each in a
  number type that is exact for it:

  - ``dense``: a dense float matrix when small and at least 10% full:
    float32 for ``b <= 24`` (integers are exact below 2**24), float64 for
    ``b <= 53``;
  - ``slots``: for ``b <= 31`` and even fan-ins, blocks of gates gather one
    source row per fan-in slot and multiply-add it in int8 (``b <= 7``),
    int16 (``b <= 15``) or int32;
  - ``csr``: a sparse CSR float product (float32 / float64 as for dense);
  - ``limbs``: for ``b > 53`` the weights are split into signed 20-bit limbs,
    ``w = sum_j w_j 2**(20 j)``; each limb product ``S_j`` is exact in
    float64 (fan-in below 2**33), and ``sum_j S_j 2**(20 j) >= t`` is decided
    in int64 by carrying ``floor(D_j / 2**20)`` upwards from
    ``D_j = S_j - t_j``: after the carries every limb but the top one lies in
    [0, 2**20), so the sign of the sum is the sign of the top limb.

  Their results are packed back into words.

No weighted sum is ever rounded; the tests check every path against the
reference (`FORCE_KIND` makes every part take one path, for those tests).
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

from circuitx import torch_plan
from circuitx.circuit import DEFAULT_MAX_BYTES, Circuit

FORCE_KIND: str | None = None
"""Tests set this to "bitwise", "dense", "slots", "csr" or "limbs" to force a path."""

UNPACKED_BYTES = 1 << 26
"""Unpacked source bits held at once by an integer-product part."""


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
    total = -(-batch // 64)
    words = int(max(1, min(total, max_bytes // (8 * plan["rows"]))))
    bits = bits.to(device=device, dtype=torch.bool)
    buffer = torch.empty((plan["rows"], words), dtype=torch.int64, device=device)
    for w0 in range(0, total, words):
        rows = bits[64 * w0:64 * (w0 + words)]
        table = buffer[:, :-(-rows.shape[0] // 64)]
        table[0], table[1] = 0, -1
        table[2:circuit.first_gate] = pack(rows.T)
        for part in plan["parts"]:
            RUN[part["kind"]](part, table)
        out[64 * w0:64 * w0 + rows.shape[0]] = unpack(table[plan["outputs"]])[:, :len(rows)].T
    return out


def pack(bits: torch.Tensor) -> torch.Tensor:
    """(R, m) bits -> (R, ceil(m / 64)) int64 words; bit b of word w is column 64 w + b."""
    rows, m = bits.shape
    padded = torch.zeros((rows, -(-m // 64) * 64), dtype=torch.uint8, device=bits.device)
    padded[:, :m] = bits
    shifts = torch.arange(8, dtype=torch.uint8, device=bits.device)
    octets = (padded.view(rows, padded.shape[1] // 8, 8) << shifts).sum(-1, dtype=torch.uint8)
    return octets.view(torch.int64)


def unpack(words: torch.Tensor) -> torch.Tensor:
    """(R, w) int64 words -> (R, 64 w) uint8 bits, the inverse of `pack` (with padding)."""
    octets = words.contiguous().view(torch.uint8)
    shifts = torch.arange(8, dtype=torch.uint8, device=words.device)
    return ((octets.unsqueeze(-1) >> shifts) & 1).view(words.shape[0], 64 * words.shape[1])


def _run_bitwise(part: dict, table: torch.Tensor) -> None:
    """One canonical program over all the part's gates, in cache-sized blocks of gates."""
    k, steps, threshold = part["fan_in"], part["steps"], part["threshold"]
    n, width = part["n"], table.shape[1]
    block = max(1, part["working_words"] // (k * width))
    for lo in range(0, n, block):
        hi = min(n, lo + block)
        x = table.index_select(0, part["sources"][lo * k:hi * k]).view(hi - lo, k, width)
        if part["negate"] is not None:
            x ^= part["negate"][lo:hi]
        state = {}
        for j, s, i in steps:
            if s == 0:
                if j in state:
                    state[j] |= x[:, i]
                else:
                    state[j] = x[:, i].clone()
            elif j in state:
                state[j] |= state[s] & x[:, i]
            else:
                state[j] = state[s] & x[:, i]
        y = state[threshold]
        if part["complement"] is not None:
            y ^= part["complement"][lo:hi]
        table[part["start"] + lo:part["start"] + hi] = y


def _run_constant(part: dict, table: torch.Tensor) -> None:
    table[part["start"]:part["start"] + part["n"]] = part["values"]


def _run_unpacked(part: dict, table: torch.Tensor) -> None:
    """An integer product over the unpacked bits of the part's sources, a few words at a time."""
    rows = slice(part["start"], part["start"] + part["n"])
    step = max(1, UNPACKED_BYTES // (64 * len(part["sources"])))
    for w0 in range(0, table.shape[1], step):
        bits = unpack(table[part["sources"], w0:w0 + step])
        table[rows, w0:w0 + step] = pack(PRODUCT[part["kind"]](part, bits))


def _slots(part: dict, bits: torch.Tensor) -> torch.Tensor:
    """Small integer weights: per block of gates, one gather and multiply-add per fan-in slot."""
    src, weights, threshold, dtype = part["src"], part["weights"], part["threshold"], part["dtype"]
    out = torch.empty((src.shape[0], bits.shape[1]), dtype=torch.bool, device=bits.device)
    block = max(1, (1 << 20) // max(1, bits.shape[1]))
    for lo in range(0, src.shape[0], block):
        hi = min(src.shape[0], lo + block)
        acc = bits.index_select(0, src[lo:hi, 0]).to(dtype) * weights[lo:hi, 0:1]
        for k in range(1, src.shape[1]):
            acc.addcmul_(bits.index_select(0, src[lo:hi, k]).to(dtype), weights[lo:hi, k:k + 1])
        torch.ge(acc, threshold[lo:hi], out=out[lo:hi])
    return out


def _matrix(part: dict, bits: torch.Tensor) -> torch.Tensor:
    """Dense or sparse (CSR) float product, exact by the part's magnitude bits."""
    return part["matrix"] @ bits.to(part["matrix"].dtype) >= part["threshold"]


def _limbs(part: dict, bits: torch.Tensor) -> torch.Tensor:
    sources = bits.to(torch.float64)
    carry = None
    for matrix, limb in zip(part["matrices"], part["threshold"], strict=True):
        d = (matrix @ sources).to(torch.int64) - limb
        if carry is not None:
            d = d + carry
        carry = torch.div(d, 1 << torch_plan.LIMB_BITS, rounding_mode="floor")
    return d >= 0  # the top limb, with every carry below it added


PRODUCT = {"slots": _slots, "dense": _matrix, "csr": _matrix, "limbs": _limbs}
RUN = {"bitwise": _run_bitwise, "constant": _run_constant,
       **{kind: _run_unpacked for kind in PRODUCT}}


def _plan(circuit: Circuit, device: torch.device) -> dict:
    key = ("torch", str(device), FORCE_KIND)
    if key not in circuit.cache:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "sparse CSR support is in beta"
            circuit.cache[key] = torch_plan.make_plan(circuit, device, FORCE_KIND)
    return circuit.cache[key]
