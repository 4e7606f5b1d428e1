"""Pieces the commands share: dtype and device options, length ranges, JSON output."""

from __future__ import annotations

import json
import sys

import click

from compilers.backends.torch_module import DTYPES

dtype_option = click.option("--dtype", type=click.Choice(list(DTYPES)), default="float64",
                            show_default=True, help="Float type of the torch backend.")
device_option = click.option("--device", default="cpu", show_default=True,
                             help="Torch device (cpu, cuda, cuda:1, ...).")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON (a contract).")


def print_json(value) -> None:
    click.echo(json.dumps(value, indent=1, default=str))


def parse_lengths(text: str) -> list[int]:
    """``"3..7"`` (inclusive), ``"8,16,32"``, or ``"10"`` -> a list of lengths >= 0."""
    try:
        if ".." in text:
            low, high = (int(part) for part in text.split("..", 1))
            lengths = list(range(low, high + 1))
        else:
            lengths = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a length range; expected A..B or "
                                 "a comma-separated list of integers") from None
    if not lengths:
        raise click.BadParameter(f"{text!r} names no length")
    bad = [n for n in lengths if n < 0 or n > 10**7]
    if bad:
        raise click.BadParameter(f"length {bad[0]} is out of range; lengths must be "
                                 "between 0 and 10^7")
    return lengths


def check_device(device: str) -> str:
    """The device, or a clear error when it is not available here."""
    import torch

    try:
        probe = torch.device(device)
    except RuntimeError:
        raise click.BadParameter(f"unknown device {device!r}; expected cpu, cuda or "
                                 "cuda:N", param_hint="--device") from None
    if probe.type == "cuda" and not torch.cuda.is_available():
        raise click.BadParameter(f"device {device!r} asked for, but torch sees no CUDA "
                                 "device here", param_hint="--device")
    return device


def read_words(words: tuple[str, ...]) -> list[str]:
    """Words from the arguments, or one per line from stdin when there are none."""
    if words:
        return list(words)
    if sys.stdin is None or sys.stdin.isatty():
        raise click.UsageError("give words as arguments or one per line on stdin")
    return [line.strip() for line in sys.stdin if line.strip()]
