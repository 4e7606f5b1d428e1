"""Compile PARITY into a threshold circuit: time, memory, depth, size, against the hand-built one.

Side by side, in one run, at each n:

* ``compiled``: Chiang & Cholak's PARITY transformer (average-hard attention,
  with the layer norm of Sec. 5) through the circuit backend
  (`compilers.runs.circuits.circuit_of(parity, n=n, precision=...)`), precision
  "auto";
* ``fixed``: the same at a stated fixed point ``2.F`` with ``F = 2 ceil(log2(n+1)) + 2``
  (every direction rounded after every block: the log-precision regime);
* ``hand-built``: `circuitx.gadgets.parity(n)`, the n + 1 gate optimum
  (n step gates ``[sum x >= s]`` and one alternating sum).

Reported: compile seconds, peak Python memory (tracemalloc), depth, size, wires,
and the size ratio compiled / hand-built (1.00: the compiler pays nothing). The
compiled circuit's accept bit is checked against the language on 64 random words.
Then one decoding step t of Pérez et al.'s Turing-machine transformer (BB(2),
an input of length 8; `compilers.runs.scaling.compile_step`): depth and size
against t. Then one loop of Giannou et al.'s SUBLEQ computer (giannou
semantics, 8-bit words) under the unique-argmax promise
(`compilers.backends.circuit.lower_loop`, compiled by the circuit backend's
`loop_model`): depth and size against the punchcard's columns (M memory words
and M slots), and examples/programs/multiply.giannou (and, without --quick,
countdown.subleq on the esolang loop) run to their halt by iterating the
circuit (`compilers.runs.loop(..., trace=True)` on that circuit backend),
beside the exact backend's loop in the same run (milliseconds per loop, ratio
exact / circuit; both timed with ``reference=False``), checked against the
reference interpreter, with the number of loops whose promise bit is 0 (the
backend's ``broken`` loops).

    python -m benchmarks.circuit_compile [--quick] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import time
import tracemalloc

from circuitx import gadgets
from compilers.constructions import parity
from compilers.runs.circuits import circuit_of
from languages import zoo


def _measure(make):
    tracemalloc.start()
    start = time.perf_counter()
    result = make()
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, seconds, peak / 2**20


def _check(model, n: int) -> bool:
    rng = random.Random(n)
    words = ["".join(rng.choice("01") for _ in range(n)) for _ in range(64)]
    language = zoo.get("parity")
    return model.accepts(words).tolist() == [language.contains(w) for w in words]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n = 16 .. 128 only")
    parser.add_argument("--json", action="store_true", help="print JSON rows")
    args = parser.parse_args()
    lengths = [16, 32, 64, 128] if args.quick else [16, 32, 64, 128, 256, 512, 1024]
    recognizer = parity.build(attention="average-hard", layernorm=True)
    rows = []
    for n in lengths:
        hand, hand_s, _ = _measure(lambda n=n: gadgets.parity(n))
        row = {"n": n, "hand_size": hand.size, "hand_depth": hand.depth,
               "hand_seconds": round(hand_s, 4)}
        frac = 2 * (n + 1 - 1).bit_length() + 2
        for name, precision in (("compiled", "auto"), ("fixed", f"2.{frac}")):
            if name == "fixed" and n > 256 and args.quick:
                continue
            model, seconds, peak = _measure(
                lambda p=precision, n=n: circuit_of(recognizer, n=n, precision=p))
            stats = model.circuit.stats()
            row[name] = {"precision": str(model.precision), "seconds": round(seconds, 3),
                         "peak_mib": round(peak, 1), "depth": stats.depth, "size": stats.size,
                         "wires": stats.wires, "ratio": round(stats.size / hand.size, 3),
                         "correct": _check(model, n)}
        rows.append(row)
        if not args.json:
            parts = [f"n={n:5d}  hand-built: depth {hand.depth} size {hand.size:5d}"]
            for name in ("compiled", "fixed"):
                r = row.get(name)
                if r:
                    parts.append(f"{name} ({r['precision']}): {r['seconds']:7.2f} s "
                                 f"{r['peak_mib']:7.1f} MiB depth {r['depth']} size {r['size']:5d}"
                                 f" ratio {r['ratio']:.2f}{'' if r['correct'] else ' WRONG'}")
            print(" | ".join(parts), flush=True)
    steps = _tm_steps([4, 8, 16] if args.quick else [4, 8, 16, 32, 64], quiet=args.json)
    examples = [("multiply.giannou", "giannou")]
    if not args.quick:
        examples.append(("countdown.subleq", "esolang"))
    loops = _subleq_loops([2, 4, 8] if args.quick else [2, 4, 8, 16, 32], examples,
                          quiet=args.json)
    if args.json:
        print(json.dumps({"parity": rows, "tm_step": steps, "subleq_loop": loops}, indent=1))


def _tm_steps(ts: list[int], *, quiet: bool) -> list[dict]:
    """One decoding step t of Pérez et al.'s TM transformer (BB(2), a word of length 8)."""
    from compilers.constructions import tm
    from compilers.runs.scaling import compile_step

    construction = tm.build("1RB1LB_1LA1RZ", "1" * 8)
    rows = []
    for t in ts:
        model, seconds, peak = _measure(lambda t=t: compile_step(construction, 8, t))
        stats = model.circuit.stats()
        rows.append({"t": t, "seconds": round(seconds, 3), "peak_mib": round(peak, 1),
                     "depth": stats.depth, "size": stats.size, "wires": stats.wires})
        if not quiet:
            print(f"TM step t={t:3d}: {seconds:6.2f} s {peak:7.1f} MiB depth {stats.depth} "
                  f"size {stats.size:6d} wires {stats.wires}", flush=True)
    return rows


def _subleq_loops(sizes: list[int], programs, *, quiet: bool) -> dict:
    """One SUBLEQ loop (giannou, 8-bit words) against the columns; example programs run on it."""
    from pathlib import Path

    from compilers.constructions import subleq
    from compilers.runs import backend_for, loop
    from languages import subleq as reference

    rows = []
    for m in sizes:
        construction = subleq.build(semantics="giannou", bits=8, memory=m, slots=m)
        model, seconds, peak = _measure(lambda c=construction: circuit_of(c))
        stats = model.circuit.stats()
        rows.append({"memory": m, "slots": m, "columns": construction.layout.columns,
                     "seconds": round(seconds, 3), "peak_mib": round(peak, 1),
                     "depth": stats.depth, "size": stats.size, "wires": stats.wires})
        if not quiet:
            print(f"SUBLEQ loop M=S={m:3d} ({construction.layout.columns:3d} columns): "
                  f"{seconds:6.2f} s {peak:7.1f} MiB depth {stats.depth} size {stats.size:6d} "
                  f"wires {stats.wires}", flush=True)
    folder = Path(__file__).resolve().parents[1] / "examples" / "programs"
    runs = []
    for name, semantics in programs:
        program = reference.parse_program((folder / name).read_text(), semantics=semantics,
                                          bits=8 if semantics == "giannou" else None)
        construction = subleq.build(program, bits=8)
        runner = backend_for(construction, "circuit")
        model = runner.loop_model()
        start = time.perf_counter()
        (ours,) = loop(construction, [program], runner=runner, trace=True, max_steps=1000,
                       reference=False)
        circuit_s = time.perf_counter() - start
        start = time.perf_counter()
        (exact,) = loop(construction, [program], backend="exact", trace=True, max_steps=1000,
                        reference=False)
        exact_s = time.perf_counter() - start
        exact = [(s.pc, s.memory) for s in exact.values["states"]]
        want = [(pc, mem) for pc, mem, _ in reference.states(
            program, max_steps=1000, bits=8 if semantics == "esolang" else None)]
        got = [(s.pc, s.memory) for s in ours.values["states"]]
        stats = model.circuit.stats()
        row = {"program": name, "bits": 8, "columns": construction.layout.columns,
               "loops": len(got), "depth": stats.depth, "size": stats.size,
               "circuit_ms_per_loop": round(1000 * circuit_s / max(len(got), 1), 2),
               "exact_ms_per_loop": round(1000 * exact_s / max(len(exact), 1), 2),
               "ratio_exact_over_circuit": round(exact_s / max(circuit_s, 1e-9), 2),
               "unproved_loops": len(runner.broken.get(0, {})),
               "correct": got == want == exact}
        runs.append(row)
        if not quiet:
            print(f"SUBLEQ {name} (8-bit, {row['columns']} columns): depth {row['depth']} size "
                  f"{row['size']}, {row['loops']} loops ({row['unproved_loops']} unproved), "
                  f"circuit {row['circuit_ms_per_loop']} ms/loop, exact backend "
                  f"{row['exact_ms_per_loop']} ms/loop (ratio {row['ratio_exact_over_circuit']}),"
                  f" {'agrees with the interpreter' if row['correct'] else 'WRONG'}", flush=True)
    return {"sizes": rows, "runs": runs}


if __name__ == "__main__":
    main()
