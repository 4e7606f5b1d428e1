"""One looped transformer, many SUBLEQ programs: Giannou et al.'s computer at work.

The weights of Giannou et al.'s looped transformer (ICML 2023) depend only on
the sizes (words of N bits, M memory words, K instruction slots); the program
is its input, the *punchcard*, and each application of the same layers
executes one instruction. Here one compiled model multiplies many pairs of
numbers at once, one punchcard per pair, in a single torch batch, and every
result is compared with the plain interpreter.

    python examples/subleq_programs.py
"""

from __future__ import annotations

from pathlib import Path

from compilers.constructions import subleq
from compilers.runs import run
from languages import subleq as reference

TEXT = (Path(__file__).parent / "programs" / "multiply.giannou").read_text()


def multiply(x: int, y: int) -> reference.GiannouProgram:
    """multiply.giannou with X = x and Y = y (memory words 0 and 1)."""
    program = reference.parse_program(TEXT, semantics="giannou", bits=8)
    return reference.GiannouProgram(instructions=program.instructions,
                                    memory=(x, y, *program.memory[2:]), bits=program.bits)


def main() -> None:
    programs = [multiply(x, y) for x in range(1, 8) for y in range(1, 8)]
    construction = subleq.build(programs[0])
    t = construction.transformer
    print(f"one model for every 8-bit program of {len(programs[0].memory)} words and "
          f"{len(programs[0].instructions)} instructions: {len(t.blocks)} blocks per loop, "
          f"width {t.width}")
    runs = run(construction, programs, backend="torch", dtype="float64", max_steps=200)
    right = sum(r.agrees_with_reference for r in runs)
    print(f"{len(programs)} products in one float64 batch, each compared with the "
          f"interpreter: {right} of {len(programs)} agree")
    print(f"6 x 7: memory word 5 holds {runs[5 * 7 + 6].answer.memory[5]}")
    (exact,) = run(construction, [multiply(3, 5)], backend="exact", max_steps=200)
    print(f"3 x 5 in exact rationals: {exact.answer.memory[5]} after {exact.answer.steps} "
          f"loops; agrees with the interpreter: {exact.agrees_with_reference}")


if __name__ == "__main__":
    main()
