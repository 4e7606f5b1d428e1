"""Commands with one subcommand per construction, their flags from its typed options.

`FamilyGroup` is a click group whose subcommands are the registered
construction families (`compilers.constructions.families`), built on demand
by the verb's own `make(family)`; an unknown name is a one-line error listing
the known ones. `with_options(family)` turns a family's `Option`s into click
parameters (a flag per option, positional arguments first), and
`construction(family, params)` takes those values back out of a command's
keyword arguments and builds the construction through `Family.make`, which
checks every value. A ``program`` argument that names no file but an example
shipped in the package (``countdown.subleq``, ``examples/programs/countdown.subleq``)
is read from the package (`compilers.programs.shipped.resolve`). A program or
machine argument given as ``-`` is read from stdin (`compilers.cli.inputs`):
a SUBLEQ program (metavar FILE) through a temporary file, so that its
semantics come from ``--semantics`` (default esolang); a RASP or LTL program
as program text (its ``--language`` needed); a machine as its code or table.
"""

from __future__ import annotations

from collections.abc import Callable

import click

from compilers.cli import inputs
from compilers.constructions import families, get
from compilers.constructions.base import Family, Option
from compilers.programs import shipped


class FamilyGroup(click.Group):
    """A verb whose subcommands are the construction families (see the module docstring).

    Args:
        make: ``make(family) -> click.Command``, the verb's subcommand for a family.
        accepts: ``accepts(family) -> bool``: the families the verb offers (default all).
    """

    def __init__(self, *args, make: Callable[[Family], click.Command],
                 accepts: Callable[[Family], bool] = lambda family: True, **kwargs):
        super().__init__(*args, **kwargs)
        self.make, self.accepts = make, accepts
        self._made: dict[str, tuple[Family, click.Command]] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name, family in families().items() if self.accepts(family)]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        family = get(name)  # an unknown name: RegistryError listing the known ones
        if not self.accepts(family):
            return None
        if name not in self._made or self._made[name][0] is not family:
            self._made[name] = (family, self.make(family))
        return self._made[name][1]

    def resolve_command(self, ctx: click.Context, args):
        if args and not args[0].startswith("-"):
            get(args[0])  # one line naming the known constructions, not click's "no such"
        return super().resolve_command(ctx, args)


def family_group(name: str, help: str, make, accepts=None) -> FamilyGroup:
    """A `FamilyGroup` named `name`."""
    return FamilyGroup(name=name, help=help, make=make,
                       **({"accepts": accepts} if accepts else {}))


def with_options(family: Family, *, skip: tuple[str, ...] = (), defaults: dict | None = None):
    """A decorator adding `family`'s options (but `skip`) as click parameters."""
    defaults = defaults or {}

    def decorate(function):
        for option in reversed([o for o in family.options if o.name not in skip]):
            function = _parameter(option, defaults.get(option.name, option.default))(function)
        return function
    return decorate


def _parameter(option: Option, default):
    name, flag = option.name, option.flag
    if option.argument:
        extra = {} if option.required else {"required": False, "default": default}
        if name == "program":  # a file, or an example shipped in the package by its name
            extra["callback"] = lambda ctx, param, value: shipped.resolve(
                _from_stdin(option, value))
        elif name == "machine":
            extra["callback"] = lambda ctx, param, value: _from_stdin(option, value)
        return click.argument(name, metavar=option.metavar or name.upper(), **extra)
    common = {"help": option.help, "default": default, "show_default": default is not None}
    if option.kind == "flag":
        return click.option(f"{flag}/--no-{flag[2:]}", name, **common)
    if option.kind == "int":
        return click.option(flag, name, type=click.IntRange(option.low, option.high), **common)
    if option.kind == "choice":
        return click.option(flag, name, type=click.Choice(list(option.choices)), **common)
    return click.option(flag, name, **common)  # number, text: checked by the family


def _from_stdin(option: Option, value):
    """`value`, or for ``-`` what stdin holds (see the module docstring)."""
    if value != inputs.STDIN:
        return value
    what = option.metavar or option.name.upper()
    if option.metavar == "FILE":  # a reader that takes a path
        return inputs.stdin_file(what)
    text = inputs.stdin_text(what)
    if option.name == "machine" and "\n" not in text.strip():
        return text.strip()  # a one-line code
    return text if "\n" in text else text + "\n"  # program text, told from a name by its line


def construction(family: Family, params: dict, *, skip: tuple[str, ...] = (), **fixed):
    """Build `family`'s construction from a command's keyword arguments, taking its
    options out of `params` (what remains is the verb's own)."""
    values = {o.name: params.pop(o.name) for o in family.options
              if o.name in params and o.name not in skip}
    return family.make(**values, **fixed)


def shown_options(family: Family, params: dict) -> dict:
    """The family's options among `params`, as given (for JSON headers)."""
    return {o.name: params[o.name] for o in family.options if o.name in params}
