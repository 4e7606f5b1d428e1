"""SUBLEQ instructions per second: the looped transformer beside the reference interpreter.

In one run, on the same programs:

* ``batch``: 1024 giannou programs (K = 8 instructions, M = 8 words, 16-bit
  words, one punchcard each; half random, half countdowns from random starts
  that run for T/2 .. T instructions) run together for T loops by
  `compilers.runs.loop(..., backend="torch")` on one prebuilt torch backend
  (`compilers.runs.backend_for`, passed as ``runner=``); the rate counts only
  instructions executed before each program halted (a halted punchcard still
  costs its share of every loop);
* ``single``: one long program (nested count-down loops) of about 10^4
  instructions, run alone by `loop`, its final state and step count
  checked against the interpreter (and, without --quick, every loop's state:
  `loop(..., trace=True, stop_at_halt=False)`, the decoded states in
  ``Result.values["states"]``);
* ``reference``: `languages.subleq.run` on the same programs.

The transformer runs are timed with ``reference=False`` (the interpreter is
timed on its own, and the answers, `Result.answer`, compared with its).

Also printed: the loop body's layers, heads, width and parameters for the
sizes used, against the 10 layers per loop of Giannou et al.'s released code.

    python -m benchmarks.subleq_steps [--device cpu] [--dtype float64] [--quick] [--json F]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from compilers.constructions import subleq
from compilers.runs import backend_for, loop
from compilers.runs.stats import transformer_stats
from languages import subleq as reference

PUBLISHED_LAYERS = 10


def random_programs(count: int, *, k: int, m: int, bits: int, seed: int):
    rng = np.random.default_rng(seed)
    low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    out = []
    for _ in range(count):
        triples = tuple((int(rng.integers(m)), int(rng.integers(m)), int(rng.integers(k + 1)))
                        for _ in range(k))
        memory = tuple(int(v) for v in rng.integers(low, high + 1, size=m))
        out.append(reference.GiannouProgram(instructions=triples, memory=memory, bits=bits))
    return out


def countdown(iterations: int, *, bits: int, slots: int, memory: int, outer: int = 1):
    """Nested count-down loops: X from `iterations` to 0, `outer` times.

    0: X -= ONE (X <= 0: goto 2)   1: goto 0   2: Y -= ONE (Y <= 0: halt)
    3: X -= -X0 (X = X0)           4: goto 0
    About outer * (2 X0 + 2) instructions; every word stays below X0 + 1.
    """
    x, one, z, y, minus = 0, 1, 2, 3, 4
    triples = ((one, x, 2), (z, z, 0), (one, y, slots), (minus, x, 4), (z, z, 0))
    triples += ((z, z, 0),) * (slots - len(triples))
    words = (iterations, 1, 0, outer, -iterations) + (0,) * (memory - 5)
    return reference.GiannouProgram(instructions=triples, memory=words, bits=bits)


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float64")
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--loops", type=int, default=200, help="T for the batch")
    parser.add_argument("--iterations", type=int, default=1000,
                        help="inner count of the single long run (5 rounds, ~10^4 instructions)")
    parser.add_argument("--quick", action="store_true", help="small sizes, a few seconds")
    parser.add_argument("--json", dest="json_file")
    args = parser.parse_args()
    if args.quick:
        args.batch, args.loops, args.iterations = 64, 30, 20
    k, m = 8, 8
    bits = 16 if args.dtype == "float64" else 12  # float32 guarantees W <= 14
    rng = np.random.default_rng(0)
    programs = [countdown(int(x), bits=bits, slots=k, memory=m)
                for x in rng.integers(args.loops // 4, args.loops // 2 + 1, size=args.batch)]
    programs[::2] = random_programs(len(programs[::2]), k=k, m=m, bits=bits, seed=1)
    construction = subleq.build(programs[0], dtype=args.dtype)
    runner = backend_for(construction, "torch", dtype=args.dtype, device=args.device)
    module = runner.module
    stats = transformer_stats(construction.transformer)

    def run(programs, **options):
        """The transformer's answers (`languages.subleq.SubleqResult`) for `programs`."""
        return [r.answer for r in loop(construction, programs, runner=runner, reference=False,
                                       **options)]

    run(programs[:2], max_steps=2)  # warm-up
    _sync(args.device)
    start = time.perf_counter()
    ours = run(programs, max_steps=args.loops, check_every=64)
    _sync(args.device)
    batch_s = time.perf_counter() - start
    start = time.perf_counter()
    theirs = [reference.run(p, max_steps=args.loops) for p in programs]
    ref_batch_s = time.perf_counter() - start
    executed = sum(r.steps for r in theirs)
    n = construction.positions
    x = module.embed(torch.as_tensor(np.stack([construction.encode(construction.prepare(p))
                                               for p in programs]), device=module.device),
                     None, n)
    _sync(args.device)
    start = time.perf_counter()
    with torch.no_grad():
        for _ in range(args.loops):
            x = module.step(x, n=n)
    _sync(args.device)
    loops_s = time.perf_counter() - start
    batch_ok = all((o.halted, o.steps, o.memory, o.pc) == (t.halted, t.steps, t.memory, t.pc)
                   for o, t in zip(ours, theirs, strict=True))

    long = countdown(args.iterations, bits=bits, slots=k, memory=m, outer=5)
    start = time.perf_counter()
    (single,) = run([long], max_steps=10**7, check_every=256)
    _sync(args.device)
    single_s = time.perf_counter() - start
    start = time.perf_counter()
    truth = reference.run(long, max_steps=10**7)
    ref_single_s = time.perf_counter() - start
    single_ok = (single.halted, single.steps, single.memory, single.pc) == (
        truth.halted, truth.steps, truth.memory, truth.pc)
    every_loop_ok = None
    if not args.quick:
        expected = reference.states(long, max_steps=truth.steps)
        (every,) = loop(construction, [long], runner=runner, reference=False, trace=True,
                        stop_at_halt=False, max_steps=truth.steps)
        every_loop_ok = all((s.pc, s.memory) == (pc, mem) for s, (pc, mem, _)
                            in zip(every.values["states"], expected, strict=True))

    result = {
        "device": args.device, "dtype": args.dtype,
        "sizes": {"instructions": k, "memory": m, "bits": bits,
                  "punchcard": list(construction.punchcard_shape),
                  "scale": construction.scale},
        "model": {"attention layers per loop": stats["layers"], "blocks": stats["blocks"],
                  "heads": stats["heads"], "width": stats["width"],
                  "mlp hidden units": stats["mlp hidden units"],
                  "parameters (dense)": stats["parameters (dense)"],
                  "non-zero weights": stats["non-zero weights"],
                  "published layers per loop": PUBLISHED_LAYERS},
        "batch": {"programs": args.batch, "loops": args.loops, "instructions": executed,
                  "seconds": batch_s, "instructions_per_s": executed / batch_s,
                  "correct": batch_ok,
                  "loops_only_program_steps_per_s": args.batch * args.loops / loops_s},
        "reference_batch": {"seconds": ref_batch_s,
                            "instructions_per_s": executed / ref_batch_s},
        "single": {"instructions": truth.steps, "seconds": single_s,
                   "instructions_per_s": truth.steps / single_s, "final_state_exact": single_ok,
                   "every_loop_exact": every_loop_ok},
        "reference_single": {"seconds": ref_single_s,
                             "instructions_per_s": truth.steps / ref_single_s},
    }
    print(f"looped SUBLEQ transformer (giannou, K={k}, M={m}, N={bits}), {args.dtype} on "
          f"{args.device}")
    mdl = result["model"]
    print(f"  loop body: {mdl['attention layers per loop']} attention layers + MLPs "
          f"({mdl['blocks']} blocks), {mdl['heads']} heads, width {mdl['width']}, "
          f"{mdl['parameters (dense)']:,} dense parameters ({mdl['non-zero weights']:,} "
          f"non-zero); published: {PUBLISHED_LAYERS} layers per loop")
    b, rb = result["batch"], result["reference_batch"]
    print(f"  batch of {args.batch}: {executed} instructions in {b['seconds']:.2f} s = "
          f"{b['instructions_per_s']:,.0f}/s (reference {rb['instructions_per_s']:,.0f}/s; "
          f"ratio {b['instructions_per_s'] / rb['instructions_per_s']:.3g}); all agree: "
          f"{batch_ok}")
    print(f"    loops alone (no encoding, decoding or halting checks): "
          f"{b['loops_only_program_steps_per_s']:,.0f} punchcard-steps/s")
    s, rs = result["single"], result["reference_single"]
    print(f"  one program: {truth.steps} instructions in {s['seconds']:.2f} s = "
          f"{s['instructions_per_s']:,.0f}/s (reference {rs['instructions_per_s']:,.0f}/s; "
          f"ratio {s['instructions_per_s'] / rs['instructions_per_s']:.3g}); final state "
          f"exact: {single_ok}; every loop exact: {every_loop_ok}")
    if args.json_file:
        with open(args.json_file, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
