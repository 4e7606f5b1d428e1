"""One loop of Giannou et al.'s SUBLEQ computer as a threshold circuit.

Oracles: the reference interpreter (`languages.subleq.states`) for the decoded
state after every loop, and the exact backend's loop (`ExactModel.step`) for
every persistent entry of the punchcard; the circuit's own `promise` bit is
checked on every punchcard it is run on. The circuit is iterated on its own
outputs by `compilers.runs.loop` on the circuit backend (`CircuitBackend`).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import given, settings

from compilers import runs
from compilers.backends.circuit import UnsupportedError
from compilers.backends.circuit.lower_loop import PROMISE, Entry, loop_circuit
from compilers.backends.exact import ExactModel
from compilers.constructions import subleq as construction_module
from compilers.constructions.subleq_common import Decoded, code
from languages import subleq
from languages.strategies import subleq_programs

MULTIPLY = Path(__file__).resolve().parents[4] / "examples" / "programs" / "multiply.giannou"


@cache
def _multiply(bits: int):
    """multiply.giannou at `bits`: the program, its construction, the compiled loop and the
    circuit backend that holds it."""
    program = subleq.parse_program(MULTIPLY.read_text(), semantics="giannou", bits=bits)
    construction = construction_module.build(program)
    runner = runs.backend_for(construction, "circuit")
    return program, construction, runner.loop_model(), runner


class Loop(NamedTuple):
    """One loop run on the circuit: the decoded state, the promise bit, the heads that broke it."""

    state: Decoded
    promise: bool
    broken: tuple[str, ...] = ()


def _loops(construction, program, *, max_steps: int, input: bytes = b"",
           runner=None) -> list[Loop]:
    """Every loop of `program` on the loop circuit fed its own outputs, until it halts or
    faults (`compilers.runs.loop` on the circuit backend)."""
    runner = runner or runs.backend_for(construction, "circuit")
    (result,) = runs.loop(construction, [(program, input)], runner=runner, trace=True,
                     max_steps=max_steps)
    broken = runner.broken.get(0, {})
    return [Loop(state, k not in broken, tuple(broken.get(k, ())))
            for k, state in enumerate(result.values["states"], start=1)]


def _rows(construction, card) -> list[dict]:
    """A punchcard array (columns, input dims) as ``[{dim: value}]`` rows."""
    dims = construction.transformer.inputs.dims
    return [dict(zip(dims, (int(v) for v in row), strict=True)) for row in card]


def _reference(program, steps: int) -> list[tuple[int, tuple[int, ...]]]:
    return [(pc, memory) for pc, memory, _ in subleq.states(program, max_steps=steps)]


@pytest.mark.parametrize("bits", [4, 8])
def test_the_loop_circuit_iterated_runs_multiply_like_the_interpreter(bits):
    program, construction, _, runner = _multiply(bits)
    loops = _loops(construction, program, max_steps=30, runner=runner)
    assert [(loop.state.pc, loop.state.memory) for loop in loops] == _reference(program, 30)
    assert loops[-1].state.halted and len(loops) == 21
    assert all(loop.promise and not loop.broken for loop in loops)


def test_each_loop_matches_the_exact_backend_on_every_persistent_entry():
    program, construction, model, runner = _multiply(4)
    layout = construction.layout
    exact = ExactModel(construction.transformer, precision_bits=128)
    n = layout.columns
    state = runner.start([layout.punchcard(program)], n=n)
    x = exact.embed(state[0].tolist(), range(n), n)
    for _ in range(4):
        rows = _rows(construction, state[0])
        bits = model.outputs(rows)
        assert bits[PROMISE]
        x = exact.step(x, n=n)
        for name, value in bits.items():
            if not name.startswith(PROMISE):
                dim, column = name.split("@")
                assert value == (x[int(column), exact.index[dim]] > 0), name
        state = runner.loop(state, n=n)  # the circuit's outputs written back


@settings(max_examples=12, deadline=None)
@given(program=subleq_programs(semantics="giannou", max_instructions=3, max_memory=3, bits=4))
def test_the_loop_circuit_follows_the_interpreter_and_exact_backend_on_random_programs(program):
    construction = construction_module.build(program)
    loops = _loops(construction, program, max_steps=6)
    got = [(loop.state.pc, loop.state.memory) for loop in loops]
    assert got == _reference(program, 6)
    assert all(loop.promise for loop in loops)
    (exact_run,) = runs.loop(construction, [program], trace=True, max_steps=2)
    exact = [(s.pc, s.memory) for s in exact_run.values["states"]]
    assert got[:2] == exact


@settings(max_examples=4, deadline=None)
@given(program=subleq_programs(semantics="esolang", max_instructions=2, max_memory=2, bits=8))
def test_the_esolang_loop_circuit_follows_the_interpreter_and_keeps_the_promise_every_loop(
        program):
    construction = construction_module.build(program, bits=8, input_size=1)
    loops = _loops(construction, program, max_steps=6, input=b"Z")
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
    loops = _loops(construction, program, max_steps=1000)
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
    program, construction, model, _ = _multiply(4)
    layout = construction.layout
    rows = _rows(construction, layout.punchcard(program))
    names = layout.names()
    rows[0] |= dict(zip(names["pc"], code(1, layout.position), strict=True))  # a memory column
    bits = model.outputs(rows)
    assert not bits[PROMISE]
    assert not bits[f"{PROMISE}:operand_a@0"] and bits[f"{PROMISE}:instruction@0"]


def test_what_the_loop_circuit_refuses():
    _, construction, model, _ = _multiply(4)
    rows = _rows(construction, construction.layout.punchcard(_multiply(4)[0]))
    rows[0]["pc0"] = 0
    with pytest.raises(UnsupportedError, match="input entry 'pc0' at column 0 is 0; this "
                                               "circuit reads -1 or 1 there"):
        model.outputs(rows)
    with pytest.raises(UnsupportedError, match="column 0 sets \\['nope'\\], not among the inputs"):
        loop_circuit(construction.transformer, [{"nope": Entry("x")}], outputs=[])
    with pytest.raises(UnsupportedError, match="input entry 'x': low and high are both 1"):
        Entry("x", 1, 1)


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
    runner = runs.backend_for(construction, "circuit")
    model = runner.loop_model()
    loops = _loops(construction, program, max_steps=5, input=b"A", runner=runner)
    assert [loop.state.byte for loop in loops] == [None, ord("A")]
    assert loops[-1].state.memory[6] == ord("A") and loops[-1].state.halted
    assert [(loop.promise, loop.broken) for loop in loops] == [(True, ())] * 2
    layout = construction.layout
    rows = _rows(construction, layout.punchcard(program, b"A"))
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
    loops = _loops(construction, program, max_steps=5, input=data)
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
    loops = _loops(construction, program, max_steps=3)
    assert len(loops) == 1 and loops[0].state.fault
    assert not loops[0].promise and loops[0].broken == ("operand_a@7",)
