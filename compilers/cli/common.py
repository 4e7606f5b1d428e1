"""Pieces the commands share: dtype, device, JSON, quiet, budget and ``--force`` options,
options with retired spellings (`Aliased`), length ranges, words from stdin, progress on
stderr. Every flag here is one of the vocabulary's (`compilers.cli.vocabulary`).

Cheap to import (click only; torch and the constructions are imported inside
the functions that need them), so that every command module can use it and
`circuitx languages` does not pay for torch. The checks themselves live in
`compilers.cli.inputs`, the input boundary.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sys

import click

from compilers.cli import inputs
from compilers.dtypes import DTYPE_NAMES

MAX_LENGTHS = 100_000  # lengths (or steps, sizes) one --lengths may name
DEFAULT_GATES, DEFAULT_MEMORY, DEFAULT_SECONDS = 20_000_000, "4GiB", 600.0

dtype_option = click.option("--dtype", type=click.Choice(list(DTYPE_NAMES)), default="float64",
                            show_default=True, help="Float type of the torch backend.")
device_option = click.option("--device", default="cpu", show_default=True,
                             help="Torch device (cpu, cuda, cuda:1, ...).")
json_option = click.option("--json", "as_json", is_flag=True,
                           help="Print JSON on stdout (a contract); progress stays on stderr.")
quiet_option = click.option("-q", "--quiet", is_flag=True,
                            help="No progress bar or spinner on stderr.")
precision_option = click.option(
    "--precision", default="auto", show_default=True,
    help="The circuit backend's precision: 'auto' (exact where possible; bits derived from "
         "exact intervals) or INT.FRAC fixed-point bits, e.g. 4.12.")


class Aliased(click.Option):
    """An option that also accepts retired spellings (`old`, see
    `compilers.cli.vocabulary.RETIRED`): the parser reads them, while ``--help``, error
    hints and shell completion show the vocabulary's names alone."""

    def __init__(self, param_decls=None, *, old: tuple[str, ...] = (), **attrs):
        super().__init__([*(param_decls or ()), *old], **attrs)
        self.old = tuple(old)
        self.opts = [name for name in self.opts if name not in self.old]

    def add_to_parser(self, parser, ctx) -> None:
        shown = self.opts
        self.opts = [*shown, *self.old]
        try:
            super().add_to_parser(parser, ctx)
        finally:
            self.opts = shown


def option(*param_decls: str, old: tuple[str, ...] = (), **attrs):
    """`click.option` with retired spellings `old` accepted and hidden (`Aliased`)."""
    return click.option(*param_decls, cls=Aliased, old=old, **attrs)


force_option = click.option("--force", is_flag=True,
                            help="Replace output files (or a saved model) that exist already.")
seed_option = click.option("--seed", default=0, show_default=True, type=inputs.SEED,
                           help="The same seed draws the same inputs.")


def budget_options(function):
    """``--max-gates``, ``--max-memory``, ``--max-seconds``: passed to `function` as one
    `compilers.runs.budget.Budget` keyword, ``budget``."""
    @click.option("--max-gates", type=click.IntRange(1), default=DEFAULT_GATES,
                  show_default=True, help="Most gates plus wires of the circuits built "
                                          "(estimated first; past it: refused).")
    @click.option("--max-memory", type=inputs.MemorySize(), default=DEFAULT_MEMORY,
                  show_default=True, help="Most memory held at once, e.g. 4GiB, 512M "
                                          "(estimated first).")
    @click.option("--max-seconds", type=click.FloatRange(0, 1e9, min_open=True),
                  default=DEFAULT_SECONDS, show_default=True,
                  help="Most seconds of work (estimated first, within a factor of a few).")
    @functools.wraps(function)
    def wrapper(*args, max_gates, max_memory, max_seconds, **kwargs):
        from circuitx.builder import limited
        from compilers.runs.budget import Budget

        budget = Budget(gates=max_gates, memory=max_memory, seconds=max_seconds)
        with limited(max_gates, "--max-gates"):  # each circuit built, past its estimate
            return function(*args, budget=budget, **kwargs)
    return wrapper


DEFAULT_SWEEP = 1000  # a precision sweep's lengths: 1, 2, 5, 10, ... up to this


def lengths_options(function):
    """``--lengths`` of a precision sweep (default: 1, 2, 5, 10, 20, 50, ... up to
    `DEFAULT_SWEEP`), or the retired ``--max-length N`` (hidden: that grid up to N); passed
    to `function` as the list ``sizes`` (every length at least 1)."""
    @click.option("--lengths", default=None,
                  help=f"Input lengths: A..B, or a list 1,10,100 (default: 1, 2, 5, 10, 20, "
                       f"50, ... up to {DEFAULT_SWEEP}).")
    @click.option("--max-length", type=click.IntRange(1, 10**7), default=None, hidden=True,
                  help="Retired: the lengths 1, 2, 5, ... up to this; use --lengths.")
    @functools.wraps(function)
    def wrapper(*args, lengths, max_length, **kwargs):
        from compilers.runs.precision import length_grid

        if lengths is not None and max_length is not None:
            raise click.UsageError("--lengths and --max-length (its retired spelling) are both "
                                   "given; give --lengths")
        if lengths is None:
            sizes = length_grid(max_length or DEFAULT_SWEEP)
        else:
            sizes = parse_lengths(lengths, "--lengths")
            if min(sizes) < 1:
                raise click.BadParameter(f"{lengths!r} names length {min(sizes)}; a precision "
                                         "sweep starts at length 1", param_hint="'--lengths'")
        return function(*args, sizes=sizes, **kwargs)
    return wrapper


def print_json(value) -> None:
    """`value` as indented JSON; an integer past Python's 4300-digit limit for decimal
    text is written as a hexadecimal string (``"0x..."``), exactly."""
    click.echo(json.dumps(_printable(value), indent=1, default=str))


def show_positions(rows: list[dict]) -> None:
    """A predictor's rows (``{"word", "positions": [{"t", "next", "predicted"}], ...}``) as a
    table, a line per position; ``trusted`` and ``agrees_with_reference`` where present."""
    from rich.console import Console
    from rich.table import Table

    table = Table()
    extra = [c for c in ("trusted", "agrees_with_reference") if rows and c in rows[0]]
    for column in ("word", "t", "next", "predicted", *extra):
        table.add_column(column)
    for row in rows:
        for place in row["positions"]:
            shown = ", ".join(f"{o}: {p}" for o, p in place["next"].items())
            table.add_row(row["word"] or "(empty)", str(place["t"]), shown,
                          str(place["predicted"]), *(str(row[c]) for c in extra))
    Console().print(table)


def _printable(value):
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 14_000:
        return hex(value)
    if isinstance(value, dict):
        return {k: _printable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_printable(v) for v in value]
    return value


def parse_lengths(text: str, option: str | None = None) -> list[int]:
    """``"3..7"`` (inclusive), ``"8,16,32"``, or ``"10"`` -> a list of lengths >= 0.

    The error of a bad `text` names `option` (such as ``"--lengths"``), by
    default the running command's option whose value `text` is.
    """
    def bad(message: str) -> click.BadParameter:
        return click.BadParameter(message, param_hint=f"'{option}'" if option
                                  else _option_holding(text))

    if len(text) > 100_000:
        raise bad(f"a list of {len(text)} characters; at most 100000")
    try:
        if ".." in text:
            low, high = (int(part) for part in text.split("..", 1))
            if high - low >= MAX_LENGTHS:
                raise bad(f"{text!r} names {high - low + 1} values; at most {MAX_LENGTHS}")
            lengths = list(range(low, high + 1))
        else:
            lengths = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise bad(f"{text!r} is not a length range; expected A..B or a comma-separated "
                  "list of integers") from None
    if not lengths:
        raise bad(f"{text!r} names no length")
    if len(lengths) > MAX_LENGTHS:
        raise bad(f"{text!r} names {len(lengths)} values; at most {MAX_LENGTHS}")
    wrong = [n for n in lengths if n < 0 or n > 10**7]
    if wrong:
        raise bad(f"length {wrong[0]} is out of range; lengths must be between 0 and 10^7")
    return lengths


def _option_holding(value) -> str | None:
    """The error hint (``'--lengths'``) of the running command's parameter set to `value`."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return None
    for param in ctx.command.params:
        if param.name in ctx.params and ctx.params[param.name] == value:
            return param.get_error_hint(ctx)
    return None


def check_device(device: str) -> str:
    """The device, or `inputs.DeviceError` naming it (`compilers.cli.inputs.device`)."""
    return inputs.device(device)


def read_words(words: tuple[str, ...]) -> list[str]:
    """Words from the arguments, or one per line from stdin (`compilers.cli.inputs.words`:
    an empty line is the empty word)."""
    return inputs.words(words)


def progress(quiet: bool = False):
    """A transient rich progress bar on stderr; silent with `quiet` or off a terminal (the
    bar never mixes into printed output or an error line). What the work prints to stdout
    meanwhile is shown above the bar where stdout is a terminal too, and left alone where
    it is not (a file or a pipe gets all of it)."""
    from rich.console import Console
    from rich.progress import Progress

    console = Console(stderr=True)
    stdout = getattr(sys.stdout, "isatty", None)
    return Progress(console=console, transient=True, disable=quiet or not console.is_terminal,
                    redirect_stdout=bool(stdout and stdout()), redirect_stderr=False)


@contextlib.contextmanager
def working(what: str, seconds: float, quiet: bool = False):
    """A spinner on stderr naming `what` and its estimated time, for work estimated past
    two seconds (silent with `quiet` or off a terminal, like `progress`)."""
    from rich.console import Console

    console = Console(stderr=True)
    if quiet or seconds < 2 or not console.is_terminal:
        yield
        return
    from compilers.runs.budget import duration

    with console.status(f"{what} (about {duration(seconds)})"):
        yield
