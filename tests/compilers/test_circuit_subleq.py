"""One loop of Giannou et al.'s SUBLEQ computer as a threshold circuit.

Oracles: the reference interpreter (`languages.subleq.states`) for the decoded
state after every loop, and the exact backend's loop (`ExactModel.step`) for
every persistent entry of the punchcard; the circuit's own `promise` bit is
checked on every punchcard it is run on.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings

from circuitx import io
from compilers.backends.circuit import UnsupportedError
from compilers.backends.circuit.lower_loop import PROMISE, Entry, loop_circuit
from compilers.backends.circuit.subleq_loop import (
    card_rows,
    compile_subleq_loop,
    run,
    step,
)
from compilers.backends.exact import ExactModel
from compilers.cli import main
from compilers.constructions import subleq as construction_module
from compilers.constructions.subleq_common import code
from compilers.constructions.subleq_run import exact_states
from languages import subleq
from languages.strategies import subleq_programs

MULTIPLY = Path(__file__).resolve().parents[2] / "examples" / "programs" / "multiply.giannou"


@cache
def _multiply(bits: int):
    program = subleq.parse_program(MULTIPLY.read_text(), semantics="giannou", bits=bits)
    construction = construction_module.build(program)
    return program, construction, compile_subleq_loop(construction)


def _reference(program, steps: int) -> list[tuple[int, tuple[int, ...]]]:
    return [(pc, memory) for pc, memory, _ in subleq.states(program, max_steps=steps)]


@pytest.mark.parametrize("bits", [4, 8])
def test_the_loop_circuit_iterated_runs_multiply_like_the_interpreter(bits):
    program, construction, model = _multiply(bits)
    loops = list(run(model, construction, program, max_steps=30))
    assert [(loop.state.pc, loop.state.memory) for loop in loops] == _reference(program, 30)
    assert loops[-1].state.halted and len(loops) == 21
    assert all(loop.promise and not loop.broken for loop in loops)


def test_each_loop_matches_the_exact_backend_on_every_persistent_entry():
    program, construction, model = _multiply(4)
    layout = construction.layout
    exact = ExactModel(construction.transformer, precision_bits=128)
    n = layout.columns
    rows = card_rows(layout, layout.punchcard(program))
    x = exact.embed([[row[d] for d in layout.inputs()] for row in rows], range(n), n)
    for _ in range(4):
        bits = model.outputs(rows)
        assert bits[PROMISE]
        x = exact.step(x, n=n)
        for name, value in bits.items():
            if not name.startswith(PROMISE):
                dim, column = name.split("@")
                assert value == (x[int(column), exact.index[dim]] > 0), name
        _, rows = step(model, layout, rows, program)


@settings(max_examples=12, deadline=None)
@given(program=subleq_programs(semantics="giannou", max_instructions=3, max_memory=3, bits=4))
def test_the_loop_circuit_follows_the_interpreter_and_exact_backend_on_random_programs(program):
    construction = construction_module.build(program)
    model = compile_subleq_loop(construction)
    loops = list(run(model, construction, program, max_steps=6))
    got = [(loop.state.pc, loop.state.memory) for loop in loops]
    assert got == _reference(program, 6)
    assert all(loop.promise for loop in loops)
    exact = [(s.pc, s.memory) for s in exact_states(construction, program, max_steps=2)]
    assert got[:2] == exact


@settings(max_examples=4, deadline=None)
@given(program=subleq_programs(semantics="esolang", max_instructions=2, max_memory=2, bits=8))
def test_the_esolang_loop_circuit_follows_the_interpreter_and_keeps_the_promise_every_loop(
        program):
    construction = construction_module.build(program, bits=8, input_size=1)
    model = compile_subleq_loop(construction)
    loops = list(run(model, construction, program, max_steps=6, input=b"Z"))
    output, got = b"", []
    for loop in loops:
        output += b"" if loop.state.byte is None else bytes([loop.state.byte])
        got.append((loop.state.pc, loop.state.memory, output))
    assert got == list(subleq.states(program, max_steps=6, input=b"Z", bits=8))
    assert all(loop.promise and not loop.broken for loop in loops)  # input/output loops too


@pytest.mark.parametrize(("name", "printed"), [("countdown.subleq", "9876543210\n"),
                                               ("hello.subleq", "Hello, world!\n"),
                                               ("multiply.subleq", "42\n")])
def test_every_loop_of_the_esolang_examples_keeps_the_promise(name, printed):
    program = subleq.parse_program((MULTIPLY.parent / name).read_text(), semantics="esolang")
    construction = construction_module.build(program, bits=8)
    loops = list(run(compile_subleq_loop(construction), construction, program,
                     max_steps=1000))
    output, got = b"", []
    for loop in loops:
        output += b"" if loop.state.byte is None else bytes([loop.state.byte])
        got.append((loop.state.pc, loop.state.memory, output))
    assert got == list(subleq.states(program, max_steps=1000, bits=8))
    assert output.decode() == printed and loops[-1].state.halted
    assert _printing_loops(program, 1000)  # the printing loops are among those proved
    assert [loop.broken for loop in loops if not loop.promise] == []


def test_depth_stays_put_and_size_grows_modestly_with_the_word_width():
    small, large = (_multiply(bits)[2].circuit.stats() for bits in (4, 8))
    assert small.depth == large.depth <= 12
    assert small.size < large.size < 4 * small.size


def test_the_promise_bit_flags_a_punchcard_whose_pc_names_no_instruction():
    program, construction, model = _multiply(4)
    layout = construction.layout
    rows = card_rows(layout, layout.punchcard(program))
    names = layout.names()
    rows[0] |= dict(zip(names["pc"], code(1, layout.position), strict=True))  # a memory column
    bits = model.outputs(rows)
    assert not bits[PROMISE]
    assert not bits[f"{PROMISE}:operand_a@0"] and bits[f"{PROMISE}:instruction@0"]


def test_what_the_loop_circuit_refuses():
    _, construction, model = _multiply(4)
    rows = card_rows(construction.layout, construction.layout.punchcard(_multiply(4)[0]))
    rows[0]["pc0"] = 0
    with pytest.raises(UnsupportedError, match="input entry 'pc0' at column 0 is 0; this "
                                               "circuit reads -1 or 1 there"):
        model.outputs(rows)
    with pytest.raises(UnsupportedError, match="column 0 sets \\['nope'\\], not among the inputs"):
        loop_circuit(construction.transformer, [{"nope": Entry("x")}], outputs=[])
    with pytest.raises(UnsupportedError, match="input entry 'x': low and high are both 1"):
        Entry("x", 1, 1)


def test_cli_compiles_one_loop_and_runs_multiply_to_its_halt(tmp_path):
    saved = tmp_path / "loop.json"
    result = CliRunner().invoke(main, ["circuit", "subleq", str(MULTIPLY), "--bits", "4",
                                       "--run", "30", "--json", "--save", str(saved)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    program = _multiply(4)[0]
    (pc, memory), = _reference(program, 30)[-1:]
    assert report["run"] == {"loops": 21, "halted": True, "fault": False, "pc": pc,
                             "memory": list(memory), "output": "", "promise_broken": [],
                             "agrees_with_reference": True}
    assert (report["columns"], report["depth"]) == (13, _multiply(4)[2].circuit.depth)
    assert io.load(saved) == _multiply(4)[2].circuit


def test_cli_scaling_subleq_has_a_flat_depth_in_the_columns():
    result = CliRunner().invoke(main, ["scaling", "subleq", "--sizes", "2,4,8", "--bits", "4",
                                       "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [p["columns"] for p in report["points"]] == [7, 11, 19]
    assert len(report["depths"]) == 1
    assert 0.5 < report["size_exponent"] < 3


def test_cli_runs_countdown_on_the_esolang_loop_circuit_with_every_loop_proved():
    path = MULTIPLY.parent / "countdown.subleq"
    result = CliRunner().invoke(main, ["circuit", "subleq", str(path), "--run", "100",
                                       "--json"])
    assert result.exit_code == 0, result.output
    run_report = json.loads(result.output)["run"]
    program = subleq.parse_program(path.read_text(), semantics="esolang")
    final = subleq.run(program, max_steps=100, bits=8)
    assert run_report["output"] == final.output.decode() == "9876543210\n"
    assert (run_report["loops"], run_report["pc"]) == (final.steps, final.pc)
    assert run_report["memory"] == list(final.memory) and run_report["agrees_with_reference"]
    # the 11 printing loops (instruction "a -1 c") keep the promise like every other
    assert len(_printing_loops(program, 100)) == 11
    assert run_report["promise_broken"] == []


def _printing_loops(program, steps: int) -> list[int]:
    """The (1-based) loops whose instruction prints: memory[pc + 1] == -1 before the loop."""
    pc, memory, loops = 0, list(program.memory), []
    for k, (pc_after, memory_after, _) in enumerate(subleq.states(program, max_steps=steps,
                                                                  bits=8), start=1):
        if memory[pc + 1] == -1:
            loops.append(k)
        pc, memory = pc_after, list(memory_after)
    return loops


def test_an_esolang_read_loop_keeps_the_promise_and_reads_the_input_byte():
    # "-1 6 3" reads at address -1, whose low bits (111) code no column: 011, 101
    # and 110 would tie at L - 2 without the scratchpad's sentinel key
    program = subleq.parse_program("-1 6 3\n6 -1 -1\n0\n", semantics="esolang")
    construction = construction_module.build(program, bits=8, input_size=1)
    model = compile_subleq_loop(construction)
    loops = list(run(model, construction, program, max_steps=5, input=b"A"))
    assert [loop.state.byte for loop in loops] == [None, ord("A")]
    assert loops[-1].state.memory[6] == ord("A") and loops[-1].state.halted
    assert [(loop.promise, loop.broken) for loop in loops] == [(True, ())] * 2
    layout = construction.layout
    rows = card_rows(layout, layout.punchcard(program, b"A"))
    bits = model.outputs(rows)
    assert bits[f"{PROMISE}:operand_a@{layout.scratch_column}"]
    # nothing to write there: the scratchpad's sink wins whatever the input, a constant argmax
    assert f"{PROMISE}:write@{layout.scratch_column}" not in bits


@pytest.mark.parametrize(("memory", "data"), [((7, -1, 3, 6, 6, -1, 0, 65), b""),
                                            ((-1, 7, 3, 6, 6, -1, 0, 65), b"B")])
def test_address_minus_one_beats_the_column_its_low_bits_code(memory, data):
    # M = 8 = 2^L: the low 3 bits of -1 code column 7, which scores L; the
    # scratchpad's sentinel scores L + 1, so the read at -1 is still unique
    program = subleq.EsolangProgram(memory=memory)
    construction = construction_module.build(program, bits=8, input_size=len(data))
    assert construction.layout.memory == 2 ** construction.layout.position
    loops = list(run(compile_subleq_loop(construction), construction, program, max_steps=5,
                     input=data))
    output, got = b"", []
    for loop in loops:
        output += b"" if loop.state.byte is None else bytes([loop.state.byte])
        got.append((loop.state.pc, loop.state.memory, output))
    assert got == list(subleq.states(program, max_steps=5, input=data, bits=8))
    assert [loop.promise for loop in loops] == [True, True]


def test_the_esolang_promise_bit_flags_a_fault_that_codes_no_column():
    # "7 0 0" with M = 7: address 7 is out of range (the run faults), and its low
    # bits 111 code no memory column (the scratchpad, column 7, has code 0):
    # columns 3, 5 and 6 tie; the sentinel covers -1 only
    program = subleq.EsolangProgram(memory=(7, 0, 0, 0, 0, 0, 0))
    construction = construction_module.build(program, bits=8)
    loops = list(run(compile_subleq_loop(construction), construction, program, max_steps=3))
    assert len(loops) == 1 and loops[0].state.fault
    assert not loops[0].promise and loops[0].broken == ("operand_a@7",)
