"""Interpreter-scale runs: dense against indexed (``lookups='index'``) against the interpreter.

In one run, side by side:

* ``calculator``: the 1787-word SUBLEQ calculator of `benchmarks.subleq_calculator`
  (esolang, 15-bit words, 1823 columns) on a few lines of input, run to its
  halt by the interpreter and by the torch transformer (float64, CPU) with
  ``lookups='index'`` (its output and memory compared with the interpreter's);
  the dense torch loop and the exact indexed loop are timed over a few loops
  (the whole run densely would take over an hour) and reported per loop;
* ``bb(2,4)``: the 2-state 4-symbol busy beaver (3,932,964 steps) by the
  interpreter to its halt; through Pérez et al.'s decoder for the first
  ``--tm-steps`` steps by `compilers.runs.generate`, dense and indexed, exact
  and float64; and to its halt by `stream_tm` (float64, indexed, each step
  checked against the machine's rule as it is decoded, no trace kept) to its
  halt (``--no-tm-halt``, or ``--quick``: for ``--tm-steps`` steps), its final
  tape, head, state and step count compared with the interpreter's;
* ``bb(5)``: the champion by the interpreter to its halt (47,176,870 steps),
  by `stream_tm` for ``--bb5-steps`` steps and the time to its halt projected
  from that rate, or with ``--bb5-halt`` to its halt (about 40 minutes),
  compared with the interpreter's as for BB(2,4);
* ``--program FILE [--input TEXT] [--bits N] [--memory-size M]``: any SUBLEQ
  program (e.g. a public one, fetched for a local run and never committed) on
  the torch transformer with lookups, beside the interpreter, for ``--loops``
  loops, and its halt projected (`program_section`).

Rates are instructions (loops) or steps per second of wall-clock time; torch
runs on one thread (`torch.set_num_threads(1)`), as the interpreter does.

    python -m benchmarks.interpreter_runs [--quick] [--tm-steps 10000] [--only bb(2,4)]
        [--no-tm-halt] [--bb5-steps 50000 | --bb5-halt] [--json F]
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from benchmarks.subleq_calculator import calculator
from compilers.constructions import subleq, tm
from compilers.constructions.tm_decode import TMDecoder, row_reader
from compilers.runs import backend_for, generate, loop
from languages import subleq as reference
from languages.turing import parse_machine, run

BB2_4 = "1RB2LA1RA1RA_1LB1LA3RB1RZ"
BB5 = "1RB1LC_1RC1RB_1RD0LE_1LA1LD_1RZ0LA"  # the champion (47,176,870 steps, 4098 ones)
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
    steps = truth.steps if args.tm_halt else args.tm_steps
    streamed, seconds = _timed(lambda: stream_tm(construction, "", steps))
    answer = streamed.pop("answer")
    if args.tm_halt:
        assert answer == truth, (answer, truth)  # final tape, steps, state and head
    out["index_torch_streamed"] = {
        **streamed, "steps": answer.steps, "seconds": seconds,
        "steps_per_s": answer.steps / streamed["loop_seconds"], "halted": answer.halted,
        "ones": answer.ones, "agrees_with_interpreter": answer == run(
            machine, max_steps=steps)}
    return out


def bb5_section(args) -> dict:
    """BB(5)'s champion: the interpreter to its halt; the streamed decoder for
    ``--bb5-steps`` steps, and its projected time to the halt."""
    machine = parse_machine(BB5)
    truth, interpreted = _timed(lambda: run(machine, max_steps=10**8))
    construction = tm.build(BB5)
    steps = truth.steps if args.bb5_halt else args.bb5_steps
    streamed, seconds = _timed(lambda: stream_tm(construction, "", steps))
    answer = streamed.pop("answer")
    if args.bb5_halt:
        assert answer == truth, (answer, truth)  # final tape, steps, state and head
    rate = answer.steps / streamed["loop_seconds"]
    return {"steps": truth.steps, "ones": truth.ones,
            "interpreter_steps_per_s": truth.steps / interpreted,
            "index_torch_streamed": {**streamed, "steps": answer.steps, "seconds": seconds,
                                     "steps_per_s": rate, "halted": answer.halted,
                                     "ones": answer.ones,
                                     "agrees_with_interpreter": answer == run(
                                         machine, max_steps=steps),
                                     "projected_halt_s": truth.steps / rate}}


def stream_tm(construction, word: str, max_steps: int) -> dict:
    """A Turing-machine run through the decoder in torch float64 with ``lookups='index'``,
    each step on Python floats (`lookups_step.FloatStep.push_one`) and checked as it is
    decoded against the machine's rule (`tm_decode.TMDecoder`, ``verify=True``), no
    trace kept: what `compilers.runs.generate` does for one word, without its trace.

    Returns the decoded `TMResult` (``answer``), the positions pushed and the seconds
    they took (``loop_seconds``: the steps, not building the model), the queries
    the index could not certify and ran over every cached key (``scans``), whether the
    generator's gap check flagged any step (``flagged``) and the steps the error
    analysis guarantees in float64 (``guaranteed``)."""
    be = backend_for(construction, "torch", dtype="float64", lookups="index")
    encoded = construction.encode(word)
    generator = be.generator(n=encoded.n, batch=1, encoder_inputs=[encoded.encoder]).generator
    fast = generator.fast
    if fast is None or generator._feedback is None:
        raise SystemExit("error: the float step does not cover this decoder")
    feedback = generator._feedback.tolist()
    read = row_reader(construction.layout, construction.transformer.readout.outputs)
    decoder = TMDecoder(construction, word, max_steps, keep_trace=False, verify=True)
    vector = be.inputs([encoded.first]).tolist()[0]
    position = 0
    start = time.perf_counter()
    while True:
        row = fast.push_one(vector)
        decoder.feed(position, read(row, position))
        if decoder.done or position == max_steps + 1:
            break
        vector = [row[c] for c in feedback]
        position += 1
    seconds = time.perf_counter() - start
    return {"answer": decoder.answer(), "positions": position + 1, "loop_seconds": seconds,
            "scans": fast.scans, "flagged": bool(generator.suspect.any()),
            "guaranteed": construction.trusted_steps("float64", word)}


def load_run(args) -> tuple:
    """``(program, data, construction)`` from ``--program``, ``--bits``, ``--memory-size``
    and ``--input`` (its backslash escapes such as ``\\n`` decoded)."""
    program = reference.load_program(args.program, bits=args.bits,
                                     memory_size=args.memory_size)
    data = args.input.encode().decode("unicode_escape").encode("latin-1")
    return program, data, subleq.build(program, bits=args.bits, input_size=len(data))


def program_section(args) -> dict:
    """Any SUBLEQ program (``--program``, its ``--bits`` and ``--memory-size``) on the
    torch transformer with lookups for ``--loops`` loops (fewer where it halts), its memory
    and output then compared with the interpreter's after as many steps; the rate of the
    loops after the first, the first loop's seconds, and the time to the program's halt
    projected from that rate (the halt: the interpreter's run, at most ``--halt-steps``)."""
    program, data, construction = load_run(args)
    bits = construction.layout.bits
    truth = reference.run(program, max_steps=args.loops, input=data, bits=bits)
    whole, interpreted = _timed(lambda: reference.run(program, max_steps=args.halt_steps,
                                                      input=data, bits=bits))
    runner = backend_for(construction, "torch", lookups="index", dense_every=0)
    marks: list[float] = []
    start = time.perf_counter()
    (done,), seconds = _timed(lambda: loop(
        construction, [(program, data)], runner=runner, max_steps=args.loops,
        reference=False, progress=lambda _: marks.append(time.perf_counter())))
    rate = (len(marks) - 1) / (marks[-1] - marks[0]) if len(marks) > 1 else None
    return {"words": len(program.memory), "bits": bits, "columns": construction.positions,
            "loops": len(marks), "seconds": seconds, "first_loop_s": marks[0] - start,
            "index_torch_loops_per_s": rate,
            "agrees_with_interpreter": (done.answer.memory == truth.memory
                                        and done.answer.output == truth.output),
            "output": bytes(done.answer.output).decode("latin-1"),
            "interpreter_steps_per_s": whole.steps / interpreted,
            "halt_steps": whole.steps if whole.halted else None,
            "halt_output": bytes(whole.output).decode("latin-1"),
            "projected_halt_h": whole.steps / rate / 3600 if rate and whole.halted else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer decoder steps")
    parser.add_argument("--tm-steps", type=int, default=2000)
    parser.add_argument("--tm-halt", action=argparse.BooleanOptionalAction, default=True,
                        help="stream BB(2,4) to its halt (else for --tm-steps steps)")
    parser.add_argument("--bb5-steps", type=int, default=50_000)
    parser.add_argument("--bb5-halt", action="store_true",
                        help="stream BB(5) to its halt (about 40 minutes)")
    parser.add_argument("--only", choices=("calculator", "bb(2,4)", "bb(5)"),
                        help="one section only")
    parser.add_argument("--exact-loops", type=int, default=3)
    parser.add_argument("--program", help="a SUBLEQ program file (esolang)")
    parser.add_argument("--input", default="", help="its input text (backslash escapes "
                        "such as \\n are decoded)")
    parser.add_argument("--bits", type=int, help="its word width (default: the least "
                        "that holds its words)")
    parser.add_argument("--memory-size", type=int, help="pad its memory with zeros to this "
                        "many words")
    parser.add_argument("--loops", type=int, default=2000)
    parser.add_argument("--halt-steps", type=int, default=10**8,
                        help="the interpreter's steps at most, to find the halt")
    parser.add_argument("--json", dest="json_file")
    args = parser.parse_args()
    if args.quick:
        args.tm_steps, args.tm_halt = min(args.tm_steps, 300), False
        args.bb5_steps, args.bb5_halt = min(args.bb5_steps, 2000), False
    torch.set_num_threads(1)
    result = {}
    if args.program:
        result["program"] = program_section(args)
    else:
        sections = {"calculator": calculator_section, "bb(2,4)": tm_section,
                    "bb(5)": bb5_section}
        for name, section in sections.items():
            if args.only in (None, name):
                result[name] = section(args)
    print(json.dumps(result, indent=1))
    if args.json_file:
        with open(args.json_file, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
