"""The `circuitx` command line: one explicit command tree, loaded lazily.

`COMMANDS` is the whole tree's first level: each command's name and the
module attribute that defines it. Running a command imports that one module
(``circuitx languages`` pays for neither torch nor sympy); ``--help`` imports
them all to show their one-line help. The commands that take a construction
(`compile`, `run`, `check`, `precision`, `circuit`, `scaling`) are groups with
one subcommand per registered construction (`compilers.cli.families`): their
flags come from the construction's typed options. A command module parses
its arguments, calls the run layer (`compilers.runs`) and prints; nothing
else.

A user mistake anywhere below (one of the packages' own error classes, or a
bad option or argument that click rejects) becomes a one-line ``error: ...``
on stderr and exit status 2, never a traceback; so does an `OSError` the
readers and writers did not name themselves (a full disk, a file that went
away), as a last line of defence. A word of the message longer than
`LONGEST_WORD` characters (an echoed input, say a 9000-symbol machine code)
is shortened in the middle.
"""

from __future__ import annotations

import importlib
import os
import re
import sys

import click

from circuitx.errors import CircuitError
from compilers.cli.vocabulary import RETIRED
from compilers.errors import CompileError
from languages.errors import LanguageError

USER_ERRORS = (LanguageError, CircuitError, CompileError)
LONGEST_WORD = 120  # characters of one word of an error line; longer ones are cut short


def one_line(message: str) -> str:
    """`message` with every word longer than `LONGEST_WORD` shortened in the middle."""
    def cut(match: re.Match) -> str:
        word = match.group(0)
        return f"{word[:80]}...({len(word) - 100} more)...{word[-20:]}"

    return re.sub(rf"\S{{{LONGEST_WORD + 1},}}", cut, str(message))


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that the flush at exit does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _os_error(error: OSError) -> str:
    where = f" {error.filename!r}" if getattr(error, "filename", None) else ""
    return f"cannot read or write{where}: {error.strerror or type(error).__name__}"

COMMANDS: dict[str, str] = {
    "tour": "compilers.cli.tour:tour",
    "languages": "compilers.cli.languages:languages_command",
    "sample": "compilers.cli.languages:sample_command",
    "contains": "compilers.cli.languages:contains_command",
    "constructions": "compilers.cli.constructions:constructions_command",
    "compile": "compilers.cli.compile:compile_group",
    "eval": "compilers.cli.compile:eval_command",
    "export": "compilers.cli.export:export_command",
    "interpret": "compilers.cli.interpret:interpret_command",
    "run": "compilers.cli.run:run_group",
    "check": "compilers.cli.check:check_group",
    "precision": "compilers.cli.precision:precision_group",
    "circuit": "compilers.cli.circuit:circuit_group",
    "scaling": "compilers.cli.circuit:scaling_group",
    "gadget": "compilers.cli.gadget:gadget",
    "stats": "compilers.cli.gadget:stats",
    "sweep": "compilers.cli.sweep:sweep_command",
}
"""Every top-level command: name -> ``module:attribute`` (the tree, in one place)."""


class _Root(click.Group):
    """The top-level group: commands from `COMMANDS`, imported when asked for; user
    mistakes become one line ``error: ...`` and exit status 2."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute = COMMANDS[name].split(":")
        return getattr(importlib.import_module(module), attribute)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except USER_ERRORS as error:
            click.echo(f"error: {one_line(error)}", err=True)
            sys.exit(2)
        except BrokenPipeError:  # the reader of stdout went away: nothing left to tell
            _quiet_stdout()
            sys.exit(1)
        except OSError as error:  # not named by a reader or writer: still one line
            click.echo(f"error: {one_line(_os_error(error))}", err=True)
            sys.exit(2)
        except click.exceptions.NoArgsIsHelpError:
            raise  # a group called bare: click prints its help
        except click.UsageError as error:  # click's own checks: the same one line
            message = " ".join(error.format_message().split()).rstrip(".")
            if isinstance(error, click.NoSuchOption):  # click's suggestion, in the same line
                near = sorted({name for name in error.possibilities or ()
                               if name not in RETIRED})
                message = f"no such option '{error.option_name}'" + (
                    f" (did you mean {' or '.join(repr(name) for name in near)}?)"
                    if near else "")
            wrong_value = (isinstance(error, click.BadParameter)
                           and not isinstance(error, click.MissingParameter))
            if error.ctx and not wrong_value:
                message += f"; see '{error.ctx.command_path} --help'"
            click.echo(f"error: {one_line(message[:1].lower() + message[1:])}", err=True)
            sys.exit(2)


@click.group(cls=_Root, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="circuitx")
def main() -> None:
    """circuitx: transformer constructions from theory papers, made executable."""


def leaves() -> list[tuple[str, ...]]:
    """Every leaf of the command tree as its path: ``("tour",)``, ``("run", "tm")``, ...
    (each verb's subcommand per construction included; importing every command)."""
    ctx = click.Context(main)
    found: list[tuple[str, ...]] = []
    for name in COMMANDS:
        command = main.get_command(ctx, name)
        if isinstance(command, click.Group):
            found += [(name, sub) for sub in command.list_commands(ctx)]
        else:
            found.append((name,))
    return found
