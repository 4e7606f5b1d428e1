"""Pieces the commands share: dtype, device and JSON options, length ranges,
words from stdin, the summary table of a construction.

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
precision_option = click.option(
    "--precision", default="auto", show_default=True,
    help="The circuit backend's precision: 'auto' (exact where possible; bits derived from "
         "exact intervals) or INT.FRAC fixed-point bits, e.g. 4.12.")


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


def progress(quiet: bool = False):
    """A transient rich progress bar on stderr; silent with `quiet` or off a terminal (the
    bar never mixes into printed output or an error line)."""
    from rich.console import Console
    from rich.progress import Progress

    console = Console(stderr=True)
    return Progress(console=console, transient=True, disable=quiet or not console.is_terminal)
