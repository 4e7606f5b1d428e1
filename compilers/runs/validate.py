"""The run layer's argument checks: what a caller of `compilers.runs` passes, checked first.

The run functions (`run`, `recognise`, `generate`, `loop`, `check`,
`precision_sweep`, the scaling measurers) take values from users of the
Python API as the command line takes them from a shell; each checks them here,
before any work, and a bad one raises `RunInputError` (a `CompileError`)
naming the argument, the value and what is allowed, as the command line's
`compilers.cli.inputs` does for its options (which call `device` below).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from compilers.errors import CompileError

MAX_SEED = 2**63 - 1


class RunInputError(CompileError):
    """An argument of a run function that cannot be used."""


class DeviceError(RunInputError):
    """A device that torch on this machine cannot run."""


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def integer(value: Any, name: str, low: int = 0, high: int | None = None) -> int:
    """`value` if it is an int in ``low..high``, else `RunInputError` naming it."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise RunInputError(f"{name} must be an integer, got {_shown(value)}")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise RunInputError(f"{name} must be {bound}, got {_shown(value)}")
    return value


def seed(value: Any) -> int:
    """A seed: an int in ``0 .. 2^63 - 1`` (what numpy and the samplers accept)."""
    return integer(value, "seed", 0, MAX_SEED)


def sequence(values: Any, name: str) -> list:
    """`values` as a list (a str or bytes is one value, not a sequence of them)."""
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise RunInputError(f"{name} must be a list, got {_shown(values)}")
    return list(values)


def lengths(values: Any, name: str = "lengths", low: int = 0) -> list[int]:
    """A list of integer lengths, each at least `low`."""
    return [integer(v, f"each of {name}", low) for v in sequence(values, name)]


def words(construction, values: Any) -> list[str]:
    """Words of a recogniser: strings over its alphabet (the first bad one named)."""
    checked = sequence(values, "words")
    alphabet = set(construction.alphabet)
    for word in checked:
        if not isinstance(word, str):
            raise RunInputError(f"words are strings, got {_shown(word)}")
        bad = sorted(set(word) - alphabet)
        if bad:
            raise RunInputError(f"word {_shown(word)} has symbol {bad[0]!r}; the alphabet of "
                                f"{construction.name} is {construction.alphabet!r}")
    return checked


def device(text: Any) -> str:
    """`text` if torch here can run on it: cpu (index 0), cuda[:N] for the devices torch
    sees, mps where torch sees one; anything else (cpu:99, meta, xpu:3) by name."""
    import torch

    if isinstance(text, torch.device):
        text = str(text)
    if not isinstance(text, str):
        raise DeviceError(f"a device is a string such as 'cpu' or 'cuda:0', got {_shown(text)}")
    try:
        probe = torch.device(text)
    except (RuntimeError, ValueError, TypeError):
        raise DeviceError(f"unknown device {_shown(text)}; expected cpu, cuda or cuda:N") from None
    if probe.type == "cpu":
        if probe.index not in (None, 0):
            raise DeviceError(f"device {text!r}: torch has one CPU device, cpu (or cpu:0)")
        return text
    if probe.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(f"device {text!r} asked for, but torch sees no CUDA device here")
        count = torch.cuda.device_count()
        if probe.index is not None and probe.index >= count:
            raise DeviceError(f"device {text!r}: torch sees {count} CUDA device(s) here "
                              f"(cuda:0..cuda:{count - 1})")
        return text
    if probe.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available() or probe.index not in (None, 0):
            raise DeviceError(f"device {text!r} asked for, but torch sees no MPS device here")
        return text
    why = " (meta tensors hold no values)" if probe.type == "meta" else ""
    raise DeviceError(f"device {text!r}{why}: the torch backend runs on cpu, cuda or cuda:N "
                      "(and mps where torch sees one)")


__all__ = ["DeviceError", "RunInputError", "device", "integer", "lengths", "seed", "sequence",
           "words"]
