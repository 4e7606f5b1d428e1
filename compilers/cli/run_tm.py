"""`circuitx run tm MACHINE`: run a Turing machine on a word.

MACHINE is a bbchallenge code (``1RB1LB_1LA1RZ``) or a file holding a code or a
table (`languages.turing_formats`). ``--backend`` picks who runs it through
`BACKENDS`: a function ``(machine, word, *, max_steps, **options) -> TMResult``,
where `options` are the values of any options a backend module adds to this
command. Not halting within ``--max-steps`` exits with status 2 and a one-line
message naming the limit (after printing the JSON with ``"halted": false``); a
halted run whose result has ``trusted`` false (a float run past what its error
analysis guarantees; the backend says so on stderr) exits with status 1.
"""

from __future__ import annotations

import sys

import click

from compilers.cli.common import json_option, print_json
from languages.errors import StepLimitReached
from languages.turing import MAX_STEPS, TMResult, TuringMachine, parse_machine, run

DEFAULT_MAX_STEPS = 1_000_000


def _run_reference(machine: TuringMachine, word: str, *, max_steps: int, **options) -> TMResult:
    return run(machine, word, max_steps=max_steps)


BACKENDS = {"reference": _run_reference}


@click.command("tm")
@click.argument("machine")
@click.option("--input", "word", default="", help="The input word, written from cell 0.")
@click.option("--max-steps", type=click.IntRange(0, MAX_STEPS), default=DEFAULT_MAX_STEPS,
              show_default=True,
              help="Stop after this many steps; not halting by then is an error (exit 2).")
@click.option("--backend", type=click.Choice(list(BACKENDS)), default="reference",
              show_default=True, help="Who runs the machine.")
@json_option
def command(machine: str, word: str, max_steps: int, backend: str, as_json: bool,
            **options) -> None:
    """Run the Turing machine MACHINE (a bbchallenge code or a file) on --input.

    Prints whether it halted, the steps, the non-blank cells and the tape; with
    --json the keys halted, steps, ones, state, tape, head, tape_start and
    undefined. Exit status 2 if it does not halt within --max-steps.
    """
    tm = parse_machine(machine)
    result = BACKENDS[backend](tm, word, max_steps=max_steps, **options)
    if as_json:
        print_json(result.as_dict())
    else:
        how = "at an undefined transition" if result.undefined else f"in state {result.state}"
        if result.halted:
            click.echo(f"halted after {result.steps} steps {how}; {result.ones} non-blank cells")
        end = result.tape_start + len(result.tape) - 1
        click.echo(f"tape (cells {result.tape_start}..{end}): {result.tape}")
        click.echo(" " * (len(f"tape (cells {result.tape_start}..{end}): ")
                          + result.head - result.tape_start) + f"^ head at cell {result.head}")
    if not result.halted:
        raise StepLimitReached(f"machine did not halt within {max_steps} steps (state "
                               f"{result.state}, head at cell {result.head}); raise --max-steps")
    if not getattr(result, "trusted", True):
        sys.exit(1)
