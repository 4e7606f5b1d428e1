"""The `circuitx` command line.

Each module of this package defines the commands of one topic and a
`register(group)` function; `COMMAND_MODULES` lists them in the order
`circuitx --help` shows them. A user mistake anywhere below (one of the
packages' own error classes) becomes a one-line `error: ...` on stderr and
exit status 2, never a traceback.
"""

from __future__ import annotations

import importlib
import sys

import click

from circuitx.errors import CircuitError
from compilers.errors import CompileError
from languages.errors import LanguageError

USER_ERRORS = (LanguageError, CircuitError, CompileError)

COMMAND_MODULES = (
    "compilers.cli.tour",
    "compilers.cli.languages",
    "compilers.cli.recognize",
    "compilers.cli.circuit",
    "compilers.cli.circuit_steps",
    "compilers.cli.subleq",
    "compilers.cli.tm",
    "compilers.cli.gadget",
    "compilers.cli.run",
)


class _Group(click.Group):
    """A click group that turns the packages' own errors into exit status 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except USER_ERRORS as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="circuitx")
def main() -> None:
    """circuitx: transformer constructions from theory papers, made executable."""


for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(main)
