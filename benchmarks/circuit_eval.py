"""Evaluate a 10^6-gate threshold circuit on 4096 inputs: torch evaluator vs the reference.

A random layered circuit (10 layers of 10^5 gates, fan-in 4 from the layer below,
weights in [-3, 3]) evaluated by the plain numpy reference (gate by gate,
vectorised over the batch) and by the torch evaluator (bit-packed: 64 inputs
per word, the small gates as bitwise programs), in the same run; prints both
rates, their ratio, and checks that the results agree bit for bit. Torch runs
on `--threads` threads (default 1, like numpy here: a per-core comparison,
and steady on a shared machine, where waiting threads stall each operation).

    python -m benchmarks.circuit_eval [--gates 1000000] [--batch 4096] [--device cpu]
        [--threads 1] [--reference-gates 100000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from circuitx.circuit import Circuit
from circuitx.evaluate import evaluate


def layered_circuit(gates: int, layers: int, fan_in: int, inputs: int, seed: int) -> Circuit:
    rng = np.random.default_rng(seed)
    per_layer = gates // layers
    first = 2 + inputs
    below_lo, below_hi = 2, first
    wires = []
    for layer in range(layers):
        start = first + layer * per_layer
        wires.append(rng.integers(below_lo, below_hi, size=(per_layer, fan_in)))
        below_lo, below_hi = start, start + per_layer
    wires = np.concatenate(wires).reshape(-1)
    n = per_layer * layers
    weights = rng.integers(-3, 4, size=n * fan_in)
    thresholds = rng.integers(-1, 3, size=n)
    last = first + (layers - 1) * per_layer
    outputs = [(f"y{i}", last + i) for i in range(min(64, per_layer))]
    return Circuit(inputs=[f"x{i}" for i in range(inputs)],
                   fanin_ptr=np.arange(0, n * fan_in + 1, fan_in), fanin_wires=wires,
                   weights=weights, thresholds=thresholds, outputs=outputs,
                   layers=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gates", type=int, default=1_000_000)
    parser.add_argument("--layers", type=int, default=10)
    parser.add_argument("--batch", type=int, default=4096)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--reference-gates", type=int, default=None,
                        help="time the reference on a circuit of this many gates, same shape, and "
                             "compare rates (default: the whole circuit)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    circuit = layered_circuit(args.gates, args.layers, 4, 256, seed=0)
    print(f"circuit: {circuit.size} gates, depth {circuit.depth}, "
          f"{len(circuit.fanin_wires)} wires, built in {time.perf_counter() - start:.1f} s")
    bits = np.random.default_rng(1).integers(0, 2, size=(args.batch, 256)).astype(bool)

    evaluate(circuit, bits[:8], backend="torch", device=args.device)  # plan and warm-up
    start = time.perf_counter()
    fast = evaluate(circuit, bits, backend="torch", device=args.device)
    t_torch = time.perf_counter() - start
    torch_rate = circuit.size * args.batch / t_torch

    small = circuit
    if args.reference_gates and args.reference_gates < args.gates:
        small = layered_circuit(args.reference_gates, args.layers, 4, 256, seed=0)
        fast = evaluate(small, bits, backend="torch", device=args.device)
    start = time.perf_counter()
    slow = evaluate(small, bits)
    t_ref = time.perf_counter() - start
    assert np.array_equal(fast, slow), "torch and reference disagree"
    ref_rate = small.size * args.batch / t_ref

    scaled = "" if small is circuit else f" (timed on {small.size} gates)"
    print(f"reference (numpy, gate by gate): {ref_rate:.3g} gate-evaluations/s{scaled}")
    print(f"torch ({args.device}, {args.threads} thread(s), bit-packed): {torch_rate:.3g} "
          f"gate-evaluations/s "
          f"({t_torch:.2f} s for {circuit.size} gates x {args.batch} inputs)")
    print(f"ratio torch / reference: {torch_rate / ref_rate:.1f}x; results agree bit for bit")


if __name__ == "__main__":
    main()
