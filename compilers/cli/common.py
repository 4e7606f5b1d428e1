"""Pieces the commands share: the `compile`, `check` and `precision` groups,
dtype and device options, length ranges, JSON output.

Cheap to import (click only; torch and the constructions are imported inside
the functions that need them), so that every command module can use it and
`circuitx languages` does not pay for torch.
"""

from __future__ import annotations

import json
import sys

import click

from compilers.dtypes import DTYPE_NAMES

dtype_option = click.option("--dtype", type=click.Choice(list(DTYPE_NAMES)), default="float64",
                            show_default=True, help="Float type of the torch backend.")
device_option = click.option("--device", default="cpu", show_default=True,
                             help="Torch device (cpu, cuda, cuda:1, ...).")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON (a contract).")


@click.group(name="compile")
def compile_group() -> None:
    """Compile a construction into a saved transformer (model.safetensors + config.json)."""


@click.group(name="check")
def check_group() -> None:
    """The property test from the command line: oracle == exact == torch."""


@click.group(name="precision")
def precision_group() -> None:
    """How a float dtype fares as the length (or, for a machine, the step count) grows."""


def summary_table(construction, title: str):
    """A rich table of a compiled construction: layers, heads, width, parameters,
    precision limits (`compilers.stats.describe`)."""
    from rich.table import Table

    from compilers.stats import describe

    table = Table(title=title, show_header=False)
    for key, value in describe(construction).items():
        table.add_row(key, str(value))
    return table


def print_json(value) -> None:
    click.echo(json.dumps(value, indent=1, default=str))


def parse_lengths(text: str, option: str | None = None) -> list[int]:
    """``"3..7"`` (inclusive), ``"8,16,32"``, or ``"10"`` -> a list of lengths >= 0.

    The error of a bad `text` names `option` (such as ``"--lengths"``), by
    default the running command's option whose value `text` is.
    """
    def bad(message: str) -> click.BadParameter:
        return click.BadParameter(message, param_hint=f"'{option}'" if option
                                  else _option_holding(text))

    try:
        if ".." in text:
            low, high = (int(part) for part in text.split("..", 1))
            lengths = list(range(low, high + 1))
        else:
            lengths = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise bad(f"{text!r} is not a length range; expected A..B or a comma-separated "
                  "list of integers") from None
    if not lengths:
        raise bad(f"{text!r} names no length")
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
    """The device, or a clear error when it is not available here."""
    import torch

    try:
        probe = torch.device(device)
    except RuntimeError:
        raise click.BadParameter(f"unknown device {device!r}; expected cpu, cuda or "
                                 "cuda:N", param_hint="'--device'") from None
    if probe.type == "cuda" and not torch.cuda.is_available():
        raise click.BadParameter(f"device {device!r} asked for, but torch sees no CUDA "
                                 "device here", param_hint="'--device'")
    return device


def read_words(words: tuple[str, ...]) -> list[str]:
    """Words from the arguments, or one per line from stdin when there are none."""
    if words:
        return list(words)
    if sys.stdin is None or sys.stdin.isatty():
        raise click.UsageError("give words as arguments or one per line on stdin")
    return [line.strip() for line in sys.stdin if line.strip()]


def construction_options(name: str):
    """Decorate a command with the click options of recognizer `name` (its registry entry)."""
    from compilers.constructions import RECOGNIZERS

    def decorate(function):
        for option in reversed(RECOGNIZERS[name].options):
            function = option(function)
        return function
    return decorate
