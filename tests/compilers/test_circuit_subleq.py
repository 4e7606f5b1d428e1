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
    got = [(s.pc, s.memory) for s in run(model, construction, program, max_steps=30)]
    assert got == _reference(program, 30)
    assert got[-1][0] == len(program.instructions)  # halted after 21 loops


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
            if name != PROMISE:
                dim, column = name.split("@")
                assert value == (x[int(column), exact.index[dim]] > 0), name
        _, rows, _ = step(model, layout, rows, program)


@settings(max_examples=12, deadline=None)
@given(program=subleq_programs(semantics="giannou", max_instructions=3, max_memory=3, bits=4))
def test_the_loop_circuit_follows_the_interpreter_on_random_programs(program):
    construction = construction_module.build(program)
    model = compile_subleq_loop(construction)
    got = [(s.pc, s.memory) for s in run(model, construction, program, max_steps=6)]
    assert got == _reference(program, 6)


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
    assert not model.outputs(rows)[PROMISE]


def test_what_the_loop_circuit_refuses():
    _, construction, model = _multiply(4)
    rows = card_rows(construction.layout, construction.layout.punchcard(_multiply(4)[0]))
    rows[0]["pc0"] = 0
    with pytest.raises(UnsupportedError, match="input entry 'pc0' at column 0 is 0; this "
                                               "circuit reads -1 or 1 there"):
        model.outputs(rows)
    esolang = construction_module.build(subleq.parse_program("0 0 -1", semantics="esolang"))
    with pytest.raises(UnsupportedError, match="built for the giannou semantics; got 'esolang'"):
        compile_subleq_loop(esolang)
    with pytest.raises(UnsupportedError, match="column 0 sets \\['nope'\\], not among the inputs"):
        loop_circuit(construction.transformer, [{"nope": Entry("x")}], outputs=[])


def test_cli_compiles_one_loop_and_runs_multiply_to_its_halt(tmp_path):
    saved = tmp_path / "loop.json"
    result = CliRunner().invoke(main, ["circuit", "subleq", str(MULTIPLY), "--bits", "4",
                                       "--run", "30", "--json", "--save", str(saved)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    program = _multiply(4)[0]
    (pc, memory), = _reference(program, 30)[-1:]
    assert report["run"] == {"loops": 21, "halted": True, "pc": pc, "memory": list(memory),
                             "promise_kept": True, "agrees_with_reference": True}
    assert (report["columns"], report["depth"]) == (13, _multiply(4)[2].circuit.depth)
    assert io.load(saved) == _multiply(4)[2].circuit


def test_cli_scaling_subleq_has_a_flat_depth_and_refuses_esolang(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["scaling", "subleq", "--sizes", "2,4,8", "--bits", "4",
                                  "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [p["columns"] for p in report["points"]] == [7, 11, 19]
    assert len(report["depths"]) == 1
    assert 0.5 < report["size_exponent"] < 3
    esolang = tmp_path / "p.subleq"
    esolang.write_text("0 0 -1\n")
    result = runner.invoke(main, ["circuit", "subleq", str(esolang)])
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {esolang}: the circuit of one SUBLEQ loop is built "
                                    "for the giannou semantics")
