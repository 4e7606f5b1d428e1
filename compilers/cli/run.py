"""`circuitx run`: run a reference machine (a Turing machine, a SUBLEQ program).

The subcommands live in their own modules (`run_tm`, `run_subleq`), each a
click command with a ``--backend`` option and a `BACKENDS` dispatch dict, so
that the transformer constructions can add their backends beside the
reference interpreter.
"""

from __future__ import annotations

import click

from compilers.cli import run_subleq, run_tm


@click.group("run")
def run() -> None:
    """Run a Turing machine or a SUBLEQ program.

    A machine or program that does not halt within --max-steps is an error
    (exit status 2, after the JSON when --json is given).
    """


run.add_command(run_tm.command, "tm")
run.add_command(run_subleq.command, "subleq")


def register(group: click.Group) -> None:
    group.add_command(run)
