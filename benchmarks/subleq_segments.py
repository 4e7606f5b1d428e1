"""A SUBLEQ run through the looped transformer in segments, each resumed from the interpreter.

The esolang computer's error correction (`compilers.constructions.subleq_gadgets`)
leaves, after every loop, a punchcard that is exactly the encoded machine
state: in float64 the stream after loop t equals, bit for bit, the embedding
of ``construction.encode(input, at=snapshot(t))`` (the calculator program's
run, checked at every loop, in the tests). So a run can be cut into segments
``[s, s + m)``: each starts the transformer from the interpreter's snapshot at
step s, runs m loops (indexed, `lookups='index'`; no dense loop: on a memory
of tens of thousands of words one would take hours), and ends with its
**seam**: the whole stream against the encoding of the interpreter's snapshot
at s + m, entry by entry. A seam of exactly 0
means the segment's last punchcard is the next segment's first, so segments
that cover a run compose into the transformer's uninterrupted run (the loop is
a function of the punchcard), and they can run in any order, on any number of
cores. Within a segment the printed bytes are read from the stream after each
loop and compared with what the interpreter printed in those steps, and each
loop's decoded pc, halt and changed memory words with the interpreter's, run
in lockstep (`LoopCheck`); at its end the decoded memory, pc and halt.

    python -m benchmarks.subleq_segments --program subleq.dec --bits 16 \\
        --memory-size 32767 --input '2 2 + . cr bye\\n' --segment 12050000:15000 [--json F]
    python -m benchmarks.subleq_segments ... --chain 0:16802616:100 --jobs 16 \\
        [--record docs/runs/eforth_chain.jsonl] [--status]

Each ``--segment START:LOOPS`` is reported with its rate and seam; ``--chain
START:STOP:PIECES`` covers a range with segments run by ``--jobs`` processes
and says whether they compose (`chain`). Each process takes a run of
consecutive segments and carries the transformer from one to the next where
the seam is 0 (`between`): only its first segment starts from a snapshot,
with a first loop over every column. ``--record FILE`` keeps each finished
segment, so a chain stopped (or run a part at a time, on several machines)
goes on where it was; ``--status`` reports what the record holds and runs
nothing. Each finished segment of a chain is one line on stderr (`_line`).
eForth's record is kept in the repository (``docs/runs/eforth_chain.jsonl``),
so that sittings add to it. Torch runs on one thread per process, as the
interpreter does.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import multiprocessing
import os
import sys
import time
import traceback
from queue import Empty

import numpy as np
import torch

from benchmarks.interpreter_runs import load_run
from compilers.constructions import subleq
from compilers.runs import backend_for
from languages import subleq as reference


def seam(construction, runner, x, stream, at) -> float:
    """The largest difference between `stream` and the stream the model starts from at the
    interpreter's snapshot `at` (0.0: equal to the bit)."""
    fresh = backend_for(construction, "torch", module=runner.module)
    expected = fresh.streams(fresh.start([construction.encode(x, at=at)],
                                         n=construction.positions))[0]
    return float(np.abs(stream - expected).max())


def segment(construction, program, data: bytes, start: int, loops: int) -> dict:
    """Loops ``start .. start + loops`` (fewer where the run halts) through the torch
    transformer, resumed from the interpreter's snapshot at `start` (module docstring)."""
    bits = construction.layout.bits
    begin = reference.snapshot(program, steps=start, input=data, bits=bits)
    end = reference.snapshot(program, steps=start + loops, input=data, bits=bits, at=begin)
    return between(construction, program, data, begin, end)


def between(construction, program, data: bytes, begin, end, *, carry: dict | None = None
            ) -> dict:
    """The loops from snapshot `begin` to snapshot `end` of one run (`segment`), each
    checked against the interpreter run in lockstep (`LoopCheck`).

    `carry` (a dict, updated): where it holds the run of a segment that ended at
    `begin` with a seam of 0, the loops go on from that run's punchcard, which is then
    the encoding of `begin` bit for bit, and its index (``"resumed": "carried"``: no
    first loop over every column); else from the encoding of `begin`
    (``"snapshot"``). At the end it holds this segment's run, where its seam is 0 and
    the run has not halted, else nothing."""
    if construction.semantics != "esolang":
        raise ValueError("segments run esolang programs (the giannou computer prints nothing)")
    x = construction.prepare((program, data))
    n, halting = construction.positions, construction.halting([x])
    carry = {} if carry is None else carry
    clock = time.perf_counter()
    if carry.get("steps") == begin.steps:
        runner, state, machine, check = (carry[k] for k in ("runner", "state", "machine",
                                                            "check"))
        resumed = "carried"
    else:
        runner = backend_for(construction, "torch", lookups="index", dense_every=0)
        machine = reference.Machine(program, input=data, bits=construction.layout.bits,
                                    at=begin)
        check = LoopCheck(construction, runner)
        state = runner.start([construction.encode(x, at=begin)], n=n)
        runner.changed_columns()  # from here on: the columns each loop changes
        resumed = "snapshot"
    carry.clear()
    printed = bytearray()
    first, wrong = None, []
    flag = [halting.printed]
    for _ in range(end.steps - begin.steps):
        state = runner.loop(state, n=n)
        if check.entries(state, flag)[0] > 0.5:
            signs = check.entries(state, halting.byte)
            printed.append(sum(1 << t for t, x in enumerate(signs) if x > 0))
        written = machine.step()
        if not wrong:
            wrong = check(state, machine, written)
        if first is None:
            first = time.perf_counter() - clock
    seconds = time.perf_counter() - clock
    done = end.steps - begin.steps
    stream = runner.streams(state)[0]
    decoded = construction.decode(stream, runner.index(), x)
    rate = (done - 1) / (seconds - first) if done > 1 else None
    out = {"start": begin.steps, "stop": end.steps, "loops": done, "resumed": resumed,
           "seconds": seconds, "first_loop_s": first, "loops_per_s": rate,
           "printed": printed.decode("latin-1"),
           "printed_agrees": bytes(printed) == end.output[len(begin.output):],
           "every_loop_agrees": not wrong, "first_wrong": wrong or None,
           "state_agrees": (decoded.memory == end.memory and decoded.pc == end.pc
                            and decoded.halted == end.halted),
           "halted": end.halted, "seam": seam(construction, runner, x, stream, end)}
    if _agrees(out) and not end.halted:
        carry.update(steps=end.steps, runner=runner, state=state, machine=machine,
                     check=check)
    return out


def _agrees(part: dict) -> bool:
    """A segment agreed: every loop, its printed bytes and its end state with the
    interpreter's, and its seam 0 (its last punchcard is the next segment's first)."""
    return bool(part["printed_agrees"] and part.get("every_loop_agrees") and
                part["state_agrees"] and part["seam"] == 0.0)


def _segments(construction, program, data: bytes, pairs: list, send) -> None:
    """`pairs` of snapshots in order, each carried on to the next (`between`), each
    result passed to `send` as it ends."""
    carry: dict = {}
    for begin, end in pairs:
        send(between(construction, program, data, begin, end, carry=carry))


class LoopCheck:
    """Each loop's decoded state against the interpreter's after as many steps: the pc,
    the halt, and the memory words at the columns the loop changed
    (`changed_columns`) and at the address the instruction wrote. Every other word is
    unchanged on both sides, so from a start that agrees (the snapshot's encoding), each
    loop's whole decoded memory equals the interpreter's. A call returns
    ``[step, what, transformer's, interpreter's]`` for the first difference, else [].

    Entries are read from the stream's own memory where it is a float64 array on the
    CPU (a numpy view: no copy, no index tensor per loop), else by `runner.read`."""

    def __init__(self, construction, runner):
        layout = construction.layout
        names = layout.names()
        self.runner, self.size, self.dims = runner, layout.memory, runner.index()
        self.scratch = layout.scratch_column
        self.word, self.pcw = list(names["v"]), list(names["pcw"])
        self.word_dims = [self.dims[d] for d in self.word]
        self.head_dims = [self.dims[d] for d in self.pcw] + [self.dims["halt"]]
        self.weights = [1 << t for t in range(len(self.word))]
        self.weights[-1] = -self.weights[-1]  # two's complement
        self._kept: tuple = (None, None)  # (state, its view): a run's state is updated in place

    def _view(self, state):
        """The one stream of `state` as a numpy view, or None where it is not one."""
        if self._kept[0] is state:
            return self._kept[1]
        view = None
        if isinstance(state, torch.Tensor) and state.device.type == "cpu" and \
                state.dtype == torch.float64 and state.shape[0] == 1:
            view = state[0].numpy()
        self._kept = (state, view)
        return view

    def entries(self, state, entries) -> list[float]:
        """The stream's values at `entries` ((column, direction name) pairs)."""
        view = self._view(state)
        if view is None:
            return self.runner.host(self.runner.read(state, entries))[0].tolist()
        return view[[c for c, _ in entries], [self.dims[d] for _, d in entries]].tolist()

    def _number(self, bits) -> int:
        return sum(w for w, x in zip(self.weights, bits, strict=True) if x > 0)

    def __call__(self, state, machine, written: int | None) -> list:
        columns = self.runner.changed_columns()
        if columns is None:
            raise ValueError("the runner does not name the columns a loop changed")
        words = sorted(c for c in set(columns) | {written} if c is not None and
                       0 <= c < self.size)
        s, w = self.scratch, len(self.word)
        view = self._view(state)
        if view is None:
            values = self.entries(state, [(s, d) for d in self.pcw] + [(s, "halt")] +
                                  [(c, d) for c in words for d in self.word])
        else:  # one gather: the pc's bits and the halt at the scratchpad, then each word's
            values = view[[s] * (w + 1) + [c for c in words for _ in range(w)],
                          self.head_dims + self.word_dims * len(words)].tolist()
        pc = self._number(values[:w])
        if pc != machine.pc:
            return [machine.steps, "pc", pc, machine.pc]
        if (values[w] > 0.5) != machine.halted:
            return [machine.steps, "halt", values[w] > 0.5, machine.halted]
        for k, c in enumerate(words):
            value = self._number(values[w + 1 + k * w:w + 1 + (k + 1) * w])
            if value != machine.memory[c]:
                return [machine.steps, f"memory[{c}]", value, machine.memory[c]]
        return []


def _worker(program, data: bytes, bits: int, pairs: list, queue) -> None:
    """A process of `chain` (spawned: nothing inherited, the construction built again):
    its run of consecutive segments, each carried on to the next (`between`), each sent
    to the parent as it ends; an error is sent as its traceback."""
    torch.set_num_threads(1)
    try:
        construction = subleq.build(program, bits=bits, input_size=len(data))
        _segments(construction, program, data, pairs, lambda part: queue.put(("part", part)))
    except Exception:
        queue.put(("error", traceback.format_exc()))


def chain(construction, program, data: bytes, start: int, stop: int, pieces: int, *,
          jobs: int = 1, record: str | None = None, run: bool = True, report=None) -> dict:
    """Steps ``start .. stop`` (to the halt, if sooner) as `pieces` segments of equal
    length, run by `jobs` processes; the snapshots at their bounds are taken in one
    interpreter pass. ``composed``: every segment agreed and met the next at a seam of
    0, so together they are the transformer's run over the whole range.

    `record`: a file of finished segments, one JSON line each, written as each one
    ends; segments it already holds for this program and input are not run again, so a
    run too long for one sitting accumulates over several (``missing``: those not yet
    run; ``covered``: the step ranges the kept segments cover without a gap; ``agree``:
    every kept segment agreed, loop by loop, and ended on a seam of 0). `run` False:
    what the record holds, nothing run. `report(part, kept, segments)` is called as each
    segment ends (a progress line), `kept` counting the record's segments too."""
    bits = construction.layout.bits
    bounds = [reference.snapshot(program, steps=start, input=data, bits=bits)]
    length = -(-(stop - start) // pieces)
    while bounds[-1].steps < stop and not bounds[-1].halted:
        bounds.append(reference.snapshot(program, steps=min(bounds[-1].steps + length, stop),
                                         input=data, bits=bits, at=bounds[-1]))
    pairs = list(itertools.pairwise(bounds))
    spans = [(begin.steps, end.steps) for begin, end in pairs]  # a segment's key in `done`
    key = _fingerprint(program, data, bits)
    done = _recorded(record, key) if record else {}
    todo = [pair for pair, span in zip(pairs, spans, strict=True) if run and span not in done]
    clock = time.perf_counter()

    def keep(part: dict) -> None:
        _keep(done, part, record, key)
        if report is not None:
            report(part, sum(span in done for span in spans), len(pairs))
    if jobs == 1:
        _segments(construction, program, data, todo, keep)
    elif todo:
        _in_blocks(todo, jobs, program, data, bits, keep)
    parts = [done[span] for span in spans if span in done]
    loops = sum(part["loops"] for part in parts)
    busy = sum(part["seconds"] for part in parts)
    agree = all(map(_agrees, parts))
    covered: list[list[int]] = []
    for part in parts:  # in step order
        if covered and covered[-1][1] == part["start"]:
            covered[-1][1] = part["stop"]
        else:
            covered.append([part["start"], part["stop"]])
    return {"start": start, "stop": bounds[-1].steps, "halted": bounds[-1].halted,
            "loops": loops, "segments": len(pairs), "run_now": len(todo),
            "missing": len(pairs) - len(parts), "jobs": jobs,
            "wall_seconds": time.perf_counter() - clock, "busy_seconds": busy,
            "loops_per_s_per_job": loops / busy if busy else None,
            "printed": "".join(part["printed"] for part in parts),
            "covered": covered, "agree": agree,
            "composed": len(parts) == len(pairs) and agree, "parts": parts}


def _in_blocks(todo: list, jobs: int, program, data: bytes, bits: int, keep) -> None:
    """`todo` cut into `jobs` runs of consecutive segments, one per process (`_worker`);
    `keep` is called with each segment as it ends. A process's error, or its end
    without one, stops every process and is raised here. Processes are spawned, not
    forked: a fork of a process that ran torch's threads may hang."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    cuts = [len(todo) * k // jobs for k in range(jobs + 1)]
    workers = [context.Process(target=_worker, args=(program, data, bits, todo[a:b], queue),
                               daemon=True)
               for a, b in itertools.pairwise(cuts) if b > a]
    for worker in workers:
        worker.start()
    try:
        received = 0
        while received < len(todo):
            try:
                kind, item = queue.get(timeout=1.0)
            except Empty:
                ended = [w.exitcode for w in workers if w.exitcode not in (None, 0)]
                if ended:
                    raise RuntimeError(f"a chain process ended with exit code {ended[0]}"
                                       ) from None
                continue
            if kind == "error":
                raise RuntimeError(f"a chain process failed:\n{item}")
            keep(item)
            received += 1
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
            worker.join()


def _fingerprint(program, data: bytes, bits: int) -> str:
    """What a recorded segment belongs to: the program, its input and its word width."""
    return hashlib.sha256(repr((program, data, bits)).encode()).hexdigest()[:16]


def _recorded(record: str, key: str) -> dict:
    """The segments `record` holds for `key`, by (start, stop) step."""
    if not os.path.exists(record):
        return {}
    with open(record) as f:
        parts = [json.loads(line) for line in f if line.strip()]
    return {(part["start"], part["stop"]): part for part in parts if part.get("run") == key}


def _keep(done: dict, part: dict, record: str | None, key: str) -> None:
    done[part["start"], part["stop"]] = part
    if record:
        with open(record, "a") as f:
            f.write(json.dumps({"run": key, "date": time.strftime("%Y-%m-%d", time.gmtime()),
                                **part}) + "\n")


def _line(part: dict, kept: int, segments: int) -> None:
    """One line on stderr as a chain's segment ends (a long chain's progress)."""
    if _agrees(part):
        verdict = "agrees"
    elif part["first_wrong"] is not None:
        verdict = f"DIFFERS (first wrong: {part['first_wrong']})"
    else:  # every loop agreed: name what did not
        failed = [name for name, ok in (("printed", part["printed_agrees"]),
                                        ("end state", part["state_agrees"]),
                                        ("seam", part["seam"] == 0.0)) if not ok]
        verdict = f"DIFFERS ({', '.join(failed)})"
    printed = f", printed {part['printed']!r}" if part["printed"] else ""
    print(f"[{kept}/{segments}] steps {part['start']:,}..{part['stop']:,}: "
          f"{part['loops_per_s']:.0f} loops/s, {verdict}, seam {part['seam']}{printed}",
          file=sys.stderr, flush=True)


def _numbers(parser, flag: str, text: str, count: int) -> tuple[int, ...]:
    try:
        numbers = tuple(int(part) for part in text.split(":"))
    except ValueError:
        numbers = ()
    if len(numbers) != count:
        parser.error(f"{flag} {text!r}: expected {count} integers separated by ':'")
    return numbers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--program", required=True, help="a SUBLEQ program file (esolang)")
    parser.add_argument("--input", default="", help="its input text (backslash escapes "
                        "such as \\n are decoded)")
    parser.add_argument("--bits", type=int, help="its word width (default: the least "
                        "that holds its words)")
    parser.add_argument("--memory-size", type=int, help="pad its memory with zeros to this "
                        "many words")
    parser.add_argument("--segment", action="append", default=[], metavar="START:LOOPS",
                        help="a segment: the interpreter's step to resume at and the loops "
                        "to run (repeat for several)")
    parser.add_argument("--chain", metavar="START:STOP:PIECES",
                        help="steps START..STOP (to the halt, if sooner) as PIECES segments")
    parser.add_argument("--jobs", type=int, default=1, help="processes for --chain")
    parser.add_argument("--record", metavar="FILE", help="for --chain: append each finished "
                        "segment to FILE (JSON lines) and skip those it already holds")
    parser.add_argument("--status", action="store_true", help="for --chain with --record: "
                        "report what the record holds, run nothing")
    parser.add_argument("--json", dest="json_file")
    args = parser.parse_args()
    segments = [_numbers(parser, "--segment", text, 2) for text in args.segment]
    if any(start < 0 or loops < 1 for start, loops in segments):
        parser.error("--segment: START must be >= 0 and LOOPS >= 1")
    cover = _numbers(parser, "--chain", args.chain, 3) if args.chain else None
    if cover and not (0 <= cover[0] < cover[1] and cover[2] >= 1):
        parser.error(f"--chain {args.chain!r}: need 0 <= START < STOP and PIECES >= 1")
    if args.jobs < 1:
        parser.error(f"--jobs {args.jobs}: need at least 1")
    if args.record and not cover:
        parser.error("--record goes with --chain")
    if args.status and not args.record:
        parser.error("--status goes with --chain and --record")
    if not segments and not cover:
        parser.error("give --segment START:LOOPS (one or more) or --chain START:STOP:PIECES")
    torch.set_num_threads(1)
    program, data, construction = load_run(args)
    result = {"words": len(program.memory), "columns": construction.positions,
              "segments": [segment(construction, program, data, start, loops)
                           for start, loops in segments]}
    if cover:
        result["chain"] = chain(construction, program, data, *cover, jobs=args.jobs,
                                record=args.record, run=not args.status, report=_line)
    shown = result
    if cover:  # the segments one by one go to --json (and --record), not the screen
        shown = {**result, "chain": {k: v for k, v in result["chain"].items() if k != "parts"}}
    print(json.dumps(shown, indent=1))
    if args.json_file:
        with open(args.json_file, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
