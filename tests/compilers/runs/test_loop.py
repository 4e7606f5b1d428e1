"""`compilers.runs.loop`: a batch of programs of different lengths, each as the interpreter runs it.

Oracle: `languages.subleq.run`, program by program.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from compilers.constructions import subleq
from compilers.runs import loop
from languages import subleq as reference

COUNTDOWN = Path(__file__).resolve().parents[3] / "examples" / "programs" / "countdown.subleq"


def _print_and_halt(size: int) -> reference.EsolangProgram:
    """Jumps to its last instruction, which prints 'A' and runs off the memory's end: it
    halts in the loop that prints."""
    memory = [3, 3, size - 3, 0, 65] + [0] * (size - 8) + [4, -1, 0]
    return reference.EsolangProgram(memory=tuple(memory))


@pytest.mark.parametrize("backend", ["exact", "torch", "circuit"])
def test_a_run_that_halts_in_the_loop_that_prints_prints_once_while_the_batch_goes_on(backend):
    countdown = reference.parse_program(COUNTDOWN.read_text(), semantics="esolang")
    programs = [_print_and_halt(len(countdown.initial_memory())), countdown]
    construction = subleq.build(programs[1], bits=8)
    results = loop(construction, programs, backend=backend, max_steps=200)
    for program, result in zip(programs, results, strict=True):
        expected = reference.run(program, max_steps=200, bits=8)
        assert result.answer.output == expected.output
        assert result.agrees_with_reference
    assert [r.answer.output for r in results] == [b"A", b"9876543210\n"]


def test_progress_is_called_once_per_loop_and_the_loops_are_the_interpreters_steps():
    countdown = reference.parse_program(COUNTDOWN.read_text(), semantics="esolang")
    expected = reference.run(countdown, max_steps=500, bits=8)
    ticks: list[int] = []
    (result,) = loop(subleq.build(countdown, bits=8), [countdown], backend="exact",
                     max_steps=500, progress=ticks.append)
    assert result.answer.output == expected.output
    assert ticks == [1] * expected.steps
