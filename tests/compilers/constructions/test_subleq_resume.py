"""Resuming a SUBLEQ run: `languages.subleq.snapshot` and ``encode(input, at=snapshot)``.

Oracles: the step-by-step interpreter (`languages.subleq.states`, which
`snapshot` does not use) for the snapshots; for the punchcards, the looped
model's own stream after t loops from the start (dense loops, exact and torch
float64), which must equal, entry by entry, the stream it starts from at the
snapshot after t steps. That equality is what lets `benchmarks.subleq_segments`
compose segments into one run.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.subleq_calculator import calculator
from benchmarks.subleq_segments import LoopCheck, _in_blocks, _line, chain, segment
from compilers.constructions import subleq
from compilers.constructions.subleq_common import SubleqInputError
from compilers.runs.backends import backend_for
from languages import subleq as reference
from languages.errors import LengthError, ProgramError
from languages.strategies import subleq_programs

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "programs"


def _inputs_executed(program, data, steps) -> list[int]:
    """Input instructions executed after each step, from the stepwise interpreter."""
    out, count, pc = [], 0, 0
    memory = program.initial_memory()
    for pc_after, memory_after, _ in reference.states(program, max_steps=steps, input=data,
                                                      bits=8):
        count += memory[pc] == -1
        out.append(count)
        pc, memory = pc_after, memory_after
    return out


@settings(max_examples=25, deadline=None)
@given(subleq_programs(semantics="esolang", max_instructions=4, max_memory=3, bits=8),
       st.binary(max_size=3), st.integers(0, 30))
def test_snapshot_is_the_stepwise_interpreters_state(program, data, split):
    stepwise = list(reference.states(program, max_steps=30, input=data, bits=8))
    inputs = _inputs_executed(program, data, 30)
    whole = reference.run(program, max_steps=30, input=data, bits=8)
    for t in range(len(stepwise) + 1):
        snap = reference.snapshot(program, steps=t, input=data, bits=8)
        if t == 0:
            assert (snap.steps, snap.pc, snap.output, snap.inputs, snap.printed) == (
                0, 0, b"", 0, None)
            continue
        pc, memory, output = stepwise[t - 1]
        before = stepwise[t - 2][2] if t > 1 else b""
        assert (snap.steps, snap.pc, snap.memory, snap.output) == (t, pc, memory, output)
        assert snap.inputs == inputs[t - 1]
        assert snap.printed == (output[-1] if len(output) > len(before) else None)
    last = reference.snapshot(program, steps=30, input=data, bits=8)
    assert (last.halted, last.steps, last.memory, last.pc) == (
        whole.halted, whole.steps, whole.memory, whole.pc)
    middle = reference.snapshot(program, steps=split, input=data, bits=8)
    assert reference.snapshot(program, steps=30, input=data, bits=8, at=middle) == last


def test_snapshot_arguments_are_checked_by_name():
    program = reference.EsolangProgram(memory=(0, 0, -1))
    early = reference.snapshot(program, steps=0)
    with pytest.raises(LengthError, match="steps"):
        reference.snapshot(program, steps=-1)
    later = reference.snapshot(program, steps=1)
    with pytest.raises(LengthError, match="steps"):
        reference.snapshot(program, steps=0, at=later)
    with pytest.raises(ProgramError, match="memory words"):
        reference.snapshot(reference.EsolangProgram(memory=(0, 0, -1, 0)), steps=1, at=early)
    with pytest.raises(ProgramError, match="Snapshot"):
        reference.snapshot(program, steps=1, at=(0, 0))
    construction = subleq.build(program, bits=8)
    with pytest.raises(SubleqInputError, match="Snapshot"):
        construction.encode(construction.prepare(program), at="step 3")


@settings(max_examples=25, deadline=None)
@given(subleq_programs(semantics="esolang", max_instructions=4, max_memory=3, bits=8),
       st.binary(max_size=3), st.integers(0, 10))
def test_machine_steps_as_the_stepwise_interpreter(program, data, split):
    stepwise = list(reference.states(program, max_steps=30, input=data, bits=8))
    at = reference.snapshot(program, steps=split, input=data, bits=8)
    machine = reference.Machine(program, input=data, bits=8, at=at)
    memory = list(at.memory)
    for pc, after, output in stepwise[at.steps:]:
        written = machine.step()
        assert (machine.pc, tuple(machine.memory), bytes(machine.output)) == (
            pc, after, output)
        changed = [i for i, (u, v) in enumerate(zip(memory, after, strict=True)) if u != v]
        assert set(changed) <= ({written} if written is not None else set())
        memory = list(after)
    assert machine.halted == reference.run(program, max_steps=30, input=data, bits=8).halted
    if machine.halted:
        with pytest.raises(ProgramError, match="halted"):
            machine.step()


def test_the_loop_check_names_the_first_difference():
    program, data = calculator(), b"7*6\nq\n"
    construction = subleq.build(program, input_size=len(data))
    bits = construction.layout.bits
    x = construction.prepare((program, data))
    probe = reference.Machine(program, input=data, bits=bits,
                              at=reference.snapshot(program, steps=40, input=data, bits=bits))
    while probe.memory[probe.pc + 1] == -1:  # on to an instruction that writes
        probe.step()
    at = reference.snapshot(program, steps=probe.steps, input=data, bits=bits)
    runner = backend_for(construction, "torch", lookups="index", dense_every=0)
    state = runner.start([construction.encode(x, at=at)], n=construction.positions)
    check = LoopCheck(construction, runner)
    runner.changed_columns()
    state = runner.loop(state, n=construction.positions)
    right = reference.Machine(program, input=data, bits=bits, at=at)
    written = right.step()
    assert check(state, right, written) == []
    ahead = reference.Machine(program, input=data, bits=bits, at=at)
    ahead.step(), ahead.step()
    assert check(state, ahead, written)[1] == "pc"
    right.memory[written] += 1  # the interpreter's word, off by one
    word = right.memory[written]
    assert check(state, right, written) == [at.steps + 1, f"memory[{written}]", word - 1, word]
    # the stream's numpy view (float64 on the CPU) against the runner's own reads, and
    # the check through those reads (as on another device or dtype) finding the same
    entries = [(c, d) for c in (0, written, construction.positions - 1)
               for d in runner.index()]
    assert np.array_equal(check.entries(state, entries),
                          runner.host(runner.read(state, entries))[0])
    check._view = lambda state: None
    assert check(state, right, written) == [at.steps + 1, f"memory[{written}]", word - 1, word]
    assert check(state, ahead, written)[1] == "pc"


def _streams_meet_snapshots(construction, program, data, backend, steps):
    """After every loop from the start, the stream equals the stream started at the
    interpreter's snapshot of that step (a halted run: up to its halt)."""
    be = backend_for(construction, backend)
    x = construction.prepare((program, data))
    n = construction.positions
    state = be.start([construction.encode(x)], n=n)
    bits = construction.layout.bits
    for t in range(1, steps + 1):
        snap = reference.snapshot(program, steps=t, input=data, bits=bits)
        if snap.steps < t:
            return
        state = be.loop(state, n=n)
        fresh = be.start([construction.encode(x, at=snap)], n=n)
        got, want = be.streams(state)[0], be.streams(fresh)[0]
        assert np.array_equal(got, want), (backend, t, np.argwhere(got != want)[:4])
        state = fresh  # and go on from there


@settings(max_examples=8, deadline=None)
@given(subleq_programs(semantics="esolang", max_instructions=4, max_memory=3, bits=8),
       st.binary(max_size=3))
def test_esolang_stream_after_t_loops_is_the_punchcard_at_step_t(program, data):
    construction = subleq.build(program, bits=8, input_size=3)
    _streams_meet_snapshots(construction, program, data, "torch", 12)


@settings(max_examples=3, deadline=None)
@given(subleq_programs(semantics="esolang", max_instructions=2, max_memory=2, bits=8),
       st.binary(max_size=2))
def test_esolang_exact_stream_after_t_loops_is_the_punchcard_at_step_t(program, data):
    construction = subleq.build(program, bits=8, input_size=2)
    _streams_meet_snapshots(construction, program, data, "exact", 5)


@settings(max_examples=6, deadline=None)
@given(subleq_programs(semantics="giannou", max_instructions=4, max_memory=3, bits=6))
def test_giannou_stream_after_t_loops_is_the_punchcard_at_step_t(program):
    construction = subleq.build(program)
    _streams_meet_snapshots(construction, program, b"", "torch", 10)


def test_a_segment_of_the_calculator_prints_and_meets_the_interpreter_at_its_seam():
    program, data = calculator(), b"7*6\nq\n"
    construction = subleq.build(program, input_size=len(data))
    whole = reference.run(program, max_steps=10**6, input=data, bits=construction.layout.bits)
    assert whole.halted and b"42" in whole.output
    lengths = [len(output) for _, _, output in reference.states(
        program, max_steps=whole.steps, input=data, bits=construction.layout.bits)]
    last_print = max(t for t in range(1, len(lengths)) if lengths[t] > lengths[t - 1]) + 1
    start = last_print - 20
    out = segment(construction, program, data, start, whole.steps)  # on to the halt
    assert out["loops"] == whole.steps - start and out["halted"]
    assert out["printed"] and out["printed"].encode("latin-1") == whole.output[
        lengths[start - 1]:]
    assert out["printed_agrees"] and out["state_agrees"] and out["seam"] == 0.0
    assert out["every_loop_agrees"] and out["first_wrong"] is None


@pytest.mark.parametrize("jobs", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_a_chain_of_segments_is_the_whole_run(jobs):
    program, data = calculator(), b"7*6\nq\n"
    construction = subleq.build(program, input_size=len(data))
    whole = reference.run(program, max_steps=10**6, input=data, bits=construction.layout.bits)
    out = chain(construction, program, data, 0, whole.steps + 50, 4, jobs=jobs)  # to the halt
    assert out["composed"] and out["halted"] and out["segments"] >= 2
    assert out["stop"] == out["loops"] == whole.steps
    assert out["printed"].encode("latin-1") == whole.output
    starts = [part["start"] for part in out["parts"]]
    assert starts == sorted(starts) and starts[0] == 0
    # one process runs its segments in order, each carried on to the next (its seam
    # 0); two start one each from a snapshot
    resumed = [part["resumed"] for part in out["parts"]]
    assert resumed.count("snapshot") == jobs and resumed[0] == "snapshot"


def test_a_chain_process_that_fails_is_reported_with_its_error():
    # a segment whose snapshots belong to another program: the process sends its
    # traceback, the parent stops every process and raises it
    program, data = calculator(), b"7*6\nq\n"
    construction = subleq.build(program, input_size=len(data))
    bits = construction.layout.bits
    other = reference.load_program(str(EXAMPLES / "hello.subleq"))
    pair = (reference.snapshot(other, steps=0, bits=bits),
            reference.snapshot(other, steps=2, bits=bits))
    kept = []
    with pytest.raises(RuntimeError, match=r"(?s)chain process failed.*30 memory words"):
        _in_blocks([pair, pair], 2, program, data, bits, kept.append)
    assert kept == []


def test_a_recorded_chain_runs_only_the_segments_it_lacks(tmp_path):
    program, data = calculator(), b"7*6\nq\n"
    construction = subleq.build(program, input_size=len(data))
    whole = reference.run(program, max_steps=10**6, input=data, bits=construction.layout.bits)
    record, stop = tmp_path / "chain.jsonl", whole.steps + 50
    first = chain(construction, program, data, 0, stop, 4, record=str(record))
    lines = record.read_text().splitlines()
    assert first["composed"] and first["run_now"] == first["segments"] == len(lines) > 3
    other = json.loads(lines[2]) | {"run": "another program"}  # not this run's: ignored
    record.write_text("\n".join([*lines[:2], json.dumps(other)]) + "\n")
    held = chain(construction, program, data, 0, stop, 4, record=str(record), run=False)
    assert held["run_now"] == 0 and held["missing"] == first["segments"] - 2
    assert held["covered"] == [[0, first["parts"][1]["stop"]]] and held["agree"]
    assert not held["composed"]
    reported = []
    again = chain(construction, program, data, 0, stop, 4, record=str(record),
                  report=lambda part, kept, total: reported.append((part["start"], kept, total)))
    segments = first["segments"]  # each segment run now reported with the count kept
    assert reported == [(part["start"], k, segments)
                        for k, part in enumerate(again["parts"][2:], start=3)]
    assert again["run_now"] == first["segments"] - 2 and again["missing"] == 0
    assert [part.get("resumed") for part in again["parts"][2:]] == \
        ["snapshot"] + ["carried"] * (first["segments"] - 3)
    assert again["composed"] and again["printed"] == first["printed"]
    assert [part["seam"] for part in again["parts"]] == [part["seam"] for part in first["parts"]]


def test_a_chain_reports_each_segment_in_one_line(capsys):
    part = {"start": 168027, "stop": 336054, "loops_per_s": 812.4, "printed": " 4",
            "printed_agrees": True, "every_loop_agrees": True, "state_agrees": True,
            "seam": 0.0, "first_wrong": None}
    _line(part, 3, 100)
    assert capsys.readouterr().err == ("[3/100] steps 168,027..336,054: 812 loops/s, agrees, "
                                       "seam 0.0, printed ' 4'\n")
    _line(part | {"seam": 0.5, "first_wrong": [7, "pc", 3, 4]}, 4, 100)
    assert "DIFFERS (first wrong: [7, 'pc', 3, 4]), seam 0.5" in capsys.readouterr().err
