"""Tour section: the reference machines, BB(2) step by step and SUBLEQ programs."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from compilers.programs import shipped
from languages import subleq, turing

PROGRAMS = shipped.FOLDER  # examples/programs, as shipped in the package
BB2 = "1RB1LB_1LA1RZ"


def show(console: Console, out_dir: Path) -> None:
    """Run the 2-state busy beaver to halting, then the example SUBLEQ programs."""
    machine = turing.parse_machine(BB2)
    table = Table(title=f"BB(2) {BB2}: one row per step")
    for column in ("step", "state", "head", "read", "write", "move", "next"):
        table.add_column(column, justify="right")
    for step in turing.trace(machine, max_steps=100):
        table.add_row(str(step.step), step.state, str(step.head), step.read, step.write,
                      step.move, step.next_state)
    console.print(table)
    result = turing.run(machine, max_steps=100)
    console.print(f"halted after {result.steps} steps with {result.ones} ones; final tape "
                  f"{result.tape} from cell {result.tape_start}, head at cell {result.head}")

    if not PROGRAMS.is_dir():  # an installed package without the examples folder
        return
    for name in ("hello.subleq", "countdown.subleq", "multiply.subleq"):
        program = subleq.parse_program((PROGRAMS / name).read_text(), semantics="esolang")
        run = subleq.run(program, max_steps=10_000)
        console.print(f"SUBLEQ (esolang) {name}: {len(program.memory)} words, {run.steps} "
                      f"steps, prints {run.output.decode('latin-1')!r}")
    program = subleq.parse_program((PROGRAMS / "multiply.giannou").read_text(),
                                   semantics="giannou", bits=8)
    run = subleq.run(program, max_steps=10_000)
    console.print(f"SUBLEQ (giannou, 8-bit words) multiply.giannou: {run.steps} steps, "
                  f"memory {list(run.memory)} (6 * 7 = {run.memory[5]})")
    console.print("run them yourself: circuitx run tm 1RB1LB_1LA1RZ; "
                  "circuitx run subleq examples/programs/hello.subleq")
