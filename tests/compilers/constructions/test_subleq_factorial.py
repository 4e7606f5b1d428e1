"""examples/programs/factorial.giannou: N! through the interpreter and the looped transformer.

The oracle is `math.factorial`, and the reference interpreter (`languages.subleq`)
for the state after every loop.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from compilers.constructions import subleq
from compilers.runs import loop
from languages import subleq as reference

FACTORIAL = Path(__file__).parents[3] / "examples" / "programs" / "factorial.giannou"


def _factorial(n: int) -> reference.GiannouProgram:
    """factorial.giannou with I = n (memory word 1), 8-bit words."""
    program = reference.parse_program(FACTORIAL.read_text(), semantics="giannou", bits=8)
    return reference.GiannouProgram(instructions=program.instructions,
                                    memory=(1, n, *program.memory[2:]), bits=program.bits)


@pytest.mark.parametrize("n", range(1, 6))
def test_the_interpreter_leaves_n_factorial_in_word_zero(n):
    result = reference.run(_factorial(n), max_steps=1000)
    assert result.halted and result.pc == 12
    assert result.memory[0] == math.factorial(n)


def test_the_file_runs_five_factorial_in_84_steps_as_its_header_says():
    program = reference.parse_program(FACTORIAL.read_text(), semantics="giannou", bits=8)
    result = reference.run(program, max_steps=1000)
    assert (result.halted, result.steps, result.memory) == (True, 84, (120, 0, 0, -1, -120, 1,
                                                                        0))


def test_the_transformer_computes_five_factorial_in_float32():
    dtype = "float32"  # float64: the command-line test below
    program = _factorial(5)
    construction = subleq.build(program, dtype=dtype)
    (run,) = loop(construction, [program], backend="torch", dtype=dtype, max_steps=1000)
    result = run.answer
    assert (result.halted, result.steps, result.memory[0]) == (True, 84, 120)
    assert run.agrees_with_reference


def test_the_exact_backend_follows_the_interpreter_after_every_loop():
    program = _factorial(4)
    construction = subleq.build(program)
    (run,) = loop(construction, [program], trace=True, max_steps=1000)
    got = [(s.pc, s.memory) for s in run.values["states"]]
    want = [(pc, memory) for pc, memory, _ in reference.states(program, max_steps=1000)]
    assert got[:len(want)] == want
    assert got[len(want) - 1][1][0] == math.factorial(4) == 24


def test_one_batch_computes_every_factorial_up_to_five():
    programs = [_factorial(n) for n in range(1, 6)]
    construction = subleq.build(programs[-1])
    results = [r.answer for r in loop(construction, programs, backend="torch", max_steps=1000)]
    assert [r.memory[0] for r in results] == [math.factorial(n) for n in range(1, 6)]
    for program, result in zip(programs, results, strict=True):
        expected = reference.run(program, max_steps=1000)
        assert (result.halted, result.steps, result.memory) == (True, expected.steps,
                                                                 expected.memory)


def test_run_subleq_on_the_torch_float64_transformer_prints_the_reference_json():
    # what `circuitx run subleq FACTORIAL --bits 8 --backend torch --json` prints
    construction = subleq.build_from_options(str(FACTORIAL), bits=8)
    (result,) = loop(construction, [construction.program], backend="torch", max_steps=1000)
    data = result.as_dict()
    assert data["memory"][0] == 120 and data["halted"] and data["agrees_with_reference"]
