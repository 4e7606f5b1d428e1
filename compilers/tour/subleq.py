"""Tour section: Giannou et al.'s looped SUBLEQ computer runs a program, exactly."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from compilers.constructions import subleq
from compilers.programs import shipped
from compilers.runs import loop
from compilers.runs.stats import summary_table
from languages import subleq as reference

PROGRAMS = shipped.FOLDER  # examples/programs, as shipped in the package
COUNTDOWN = """# prints 9876543210 and a newline (esolang; see examples/programs/countdown.subleq)
18 -1 3   19 18 6   19 20 12   21 21 0   22 -1 15   21 21 -1
57 1 10 0 10
"""


def show(console: Console, out_dir: Path) -> None:
    """Compile the countdown program's computer, run it in torch beside the interpreter."""
    path = PROGRAMS / "countdown.subleq"
    text = path.read_text() if path.is_file() else COUNTDOWN
    program = reference.parse_program(text, semantics="esolang")
    construction = subleq.build(program)
    console.print(summary_table(construction,
                                "looped SUBLEQ computer (esolang) for countdown.subleq"))
    (done,) = loop(construction, [program], backend="torch", dtype="float64", max_steps=1000)
    ours = done.answer
    theirs = reference.run(program, max_steps=1000, bits=construction.layout.bits)
    side = Table(title="one loop of the transformer per SUBLEQ instruction")
    for column in ("", "steps", "halted", "prints"):
        side.add_column(column)
    side.add_row("transformer (torch float64)", str(ours.steps), str(ours.halted),
                 repr(ours.output.decode("latin-1")))
    side.add_row("reference interpreter", str(theirs.steps), str(theirs.halted),
                 repr(theirs.output.decode("latin-1")))
    console.print(side)
    console.print(f"same final memory, pc, step count and output as the interpreter: "
                  f"{done.agrees_with_reference}")
    tiny = reference.GiannouProgram(instructions=((0, 1, 2), (0, 1, 0)), memory=(3, 5), bits=4)
    (run,) = loop(subleq.build(tiny), [tiny], backend="exact", max_steps=10, trace=True)
    states = run.values["states"]
    console.print("giannou semantics, exact rationals: a two-instruction program that "
                  "subtracts mem[0] from mem[1] until the result is <= 0; (pc, memory) after "
                  "each loop: " + ", ".join(f"({s.pc}, {list(s.memory)})" for s in states))
