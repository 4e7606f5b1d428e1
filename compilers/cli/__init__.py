"""The `circuitx` command line.

Each module of this package defines the commands of one topic and a
`register(group)` function; `COMMAND_MODULES` lists them in the order they
are loaded. A user mistake anywhere below (one of the packages' own error
classes, or a bad option or argument that click rejects) becomes a one-line
`error: ...` on stderr and exit status 2, never a traceback.

The modules are loaded lazily: `PROVIDERS` names, for each top-level command,
the modules that define or extend it (``circuitx run`` gains the transformer
backends from `tm` and `subleq`), and running a command loads only those, so
that ``circuitx languages`` pays for neither torch nor sympy. ``--help`` (and
any command not in `PROVIDERS`) loads them all. A test checks `PROVIDERS`
against what the modules register.
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


_RECOGNIZE = "compilers.cli.recognize"
_CIRCUIT = ("compilers.cli.circuit", "compilers.cli.circuit_steps")
_MACHINES = ("compilers.cli.subleq", "compilers.cli.tm")

PROVIDERS: dict[str, tuple[str, ...]] = {
    "tour": ("compilers.cli.tour",),
    "languages": ("compilers.cli.languages",),
    "sample": ("compilers.cli.languages",),
    "contains": ("compilers.cli.languages",),
    "compile": (_RECOGNIZE, *_MACHINES),
    "eval": (_RECOGNIZE,),
    "check": (_RECOGNIZE,),
    "precision": (_RECOGNIZE, *_MACHINES),
    "circuit": _CIRCUIT,
    "scaling": _CIRCUIT,
    "gadget": ("compilers.cli.gadget",),
    "stats": ("compilers.cli.gadget",),
    "run": ("compilers.cli.run", *_MACHINES),
}


class _Group(click.Group):
    """A click group that loads its command modules on demand (`PROVIDERS`) and
    turns user mistakes into one line ``error: ...`` and exit status 2."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._loaded: set[str] = set()

    def load(self, modules=COMMAND_MODULES) -> None:
        """Import `modules` (in `COMMAND_MODULES` order) and register each once."""
        for name in COMMAND_MODULES:
            if name in modules and name not in self._loaded:
                self._loaded.add(name)
                importlib.import_module(name).register(self)

    def get_command(self, ctx: click.Context, name: str):
        self.load(PROVIDERS.get(name, COMMAND_MODULES))
        return super().get_command(ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self.load()
        return super().list_commands(ctx)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except USER_ERRORS as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(2)
        except click.exceptions.NoArgsIsHelpError:
            raise  # a group called bare: click prints its help
        except click.UsageError as error:  # click's own checks: the same one line
            message = " ".join(error.format_message().split()).rstrip(".")
            wrong_value = (isinstance(error, click.BadParameter)
                           and not isinstance(error, click.MissingParameter))
            if error.ctx and not wrong_value:
                message += f"; see '{error.ctx.command_path} --help'"
            click.echo(f"error: {message[:1].lower()}{message[1:]}", err=True)
            sys.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="circuitx")
def main() -> None:
    """circuitx: transformer constructions from theory papers, made executable."""

