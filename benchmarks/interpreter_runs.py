"""Interpreter-scale runs: dense against indexed (``lookups='index'``) against the interpreter.

In one run, side by side:

* ``calculator``: the 1787-word SUBLEQ calculator of `benchmarks.subleq_calculator`
  (esolang, 15-bit words, 1801 columns) on a few lines of input, run to its
  halt by the interpreter and by the torch transformer (float64, CPU) with
  ``lookups='index'`` (every loop checked against the interpreter's state
  afterwards, the last loop against the dense loop); the dense torch loop and
  the exact indexed loop are timed over a few loops (the whole run densely
  would take the issue's 45 minutes) and reported per loop;
* ``bb(2,4)``: the 2-state 4-symbol busy beaver (3,932,964 steps) by the
  interpreter to its halt, and through Pérez et al.'s decoder for the first
  ``--tm-steps`` steps, dense and indexed, exact and float64 (the float64 run
  is trusted only up to its `trusted_steps`; the figure is its speed);
* ``--program FILE [--input TEXT]``: any SUBLEQ program (e.g. a public one,
  fetched for a local run and never committed) on the torch transformer with
  lookups, beside the interpreter, for ``--loops`` loops.

Rates are instructions (loops) or steps per second; torch runs on one thread
(`torch.set_num_threads(1)`), as the interpreter does.

    python -m benchmarks.interpreter_runs [--quick] [--tm-steps 2000] [--json F]
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from benchmarks.subleq_calculator import calculator
from compilers.constructions import subleq, tm
from compilers.runs import backend_for, generate, loop
from languages import subleq as reference
from languages.turing import parse_machine, run

BB2_4 = "1RB2LA1RA1RA_1LB1LA3RB1RZ"
CALCULATOR_INPUT = b"12+34\n7*6\n100/7\n100%7\n3-50\n81*3\nq\n"


def _timed(function):
    start = time.perf_counter()
    value = function()
    return value, time.perf_counter() - start


def _loops(construction, data, program, *, backend: str, lookups: str, loops: int,
           dense_every=None):
    """(result, seconds, seconds of the first loop) for `loops` loops."""
    runner = backend_for(construction, backend, lookups=lookups, dense_every=dense_every)
    n = construction.positions
    card = construction.encode(construction.prepare((program, data)))
    state, first = _timed(lambda: runner.loop(runner.start([card], n=n), n=n))
    start = time.perf_counter()
    for _ in range(loops - 1):
        state = runner.loop(state, n=n)
    return runner, time.perf_counter() - start, first


def calculator_section(args) -> dict:
    program, data = calculator(), CALCULATOR_INPUT
    construction = subleq.build(program, input_size=len(data))
    truth, interpreted = _timed(lambda: reference.run(program, max_steps=10**7, input=data,
                                                      bits=construction.layout.bits))
    out = {"words": len(program.memory), "columns": construction.positions,
           "width": construction.transformer.width, "steps": truth.steps,
           "interpreter_steps_per_s": truth.steps / interpreted}
    runner = backend_for(construction, "torch", lookups="index", dense_every=0)
    (done,), seconds = _timed(lambda: loop(construction, [(program, data)], runner=runner,
                                           max_steps=truth.steps + 1, reference=False))
    assert done.answer.output == truth.output and done.answer.memory == truth.memory
    out["index_torch"] = {"seconds": seconds, "loops_per_s": truth.steps / seconds,
                          "output_agrees": True,
                          "columns_per_loop": runner._runs[0].recomputed / truth.steps}
    for backend, lookups, loops in (("torch", "dense", 3), ("exact", "index", args.exact_loops)):
        _, rest, first = _loops(construction, data, program, backend=backend,
                                lookups=lookups, loops=loops)
        per = rest / (loops - 1) if loops > 1 else first
        out[f"{lookups}_{backend}"] = {"first_loop_s": first, "seconds_per_loop": per,
                                       "loops": loops}
    return out


def tm_section(args) -> dict:
    machine = parse_machine(BB2_4)
    truth, interpreted = _timed(lambda: run(machine, max_steps=10**7))
    out = {"steps": truth.steps, "interpreter_steps_per_s": truth.steps / interpreted,
           "decoder_steps": args.tm_steps}
    construction = tm.build(BB2_4)
    for backend in ("exact", "torch"):
        for lookups in ("dense", "index"):
            (done,), seconds = _timed(lambda b=backend, lk=lookups: generate(
                construction, [""], backend=b, dtype="float64", max_steps=args.tm_steps,
                lookups=lk, reference=False))
            out[f"{lookups}_{backend}"] = {
                "seconds": seconds, "steps_per_s": args.tm_steps / seconds,
                "trusted_steps": done.values.get("trusted_steps")}
    return out


def program_section(args) -> dict:
    program = reference.load_program(args.program)
    data = args.input.encode()
    construction = subleq.build(program, input_size=len(data))
    truth, interpreted = _timed(lambda: reference.run(program, max_steps=args.loops,
                                                      input=data, bits=construction.layout.bits))
    _, rest, first = _loops(construction, data, program, backend="torch",
                            lookups="index", loops=args.loops, dense_every=0)
    return {"words": len(program.memory), "columns": construction.positions,
            "loops": args.loops, "first_loop_s": first,
            "index_torch_loops_per_s": (args.loops - 1) / rest,
            "interpreter_steps_per_s": truth.steps / interpreted}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer decoder steps")
    parser.add_argument("--tm-steps", type=int, default=2000)
    parser.add_argument("--exact-loops", type=int, default=3)
    parser.add_argument("--program", help="a SUBLEQ program file (esolang)")
    parser.add_argument("--input", default="", help="its input text")
    parser.add_argument("--loops", type=int, default=2000)
    parser.add_argument("--json", dest="json_file")
    args = parser.parse_args()
    if args.quick:
        args.tm_steps = min(args.tm_steps, 300)
    torch.set_num_threads(1)
    result = {}
    if args.program:
        result["program"] = program_section(args)
    else:
        result["calculator"] = calculator_section(args)
        result["bb(2,4)"] = tm_section(args)
    print(json.dumps(result, indent=1))
    if args.json_file:
        with open(args.json_file, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
