"""The run layer's argument checks: what a caller of `compilers.runs` passes, checked first.

The run functions (`run`, `recognise`, `generate`, `loop`, `check`,
`precision_sweep`, the scaling measurers) take values from users of the
Python API as the command line takes them from a shell; each checks them here,
before any work, and a bad one raises `RunInputError` (a `CompileError`)
naming the argument, the value and what is allowed, as the command line's
`compilers.cli.inputs` does for its options (which call `device` below).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from compilers.dtypes import DTYPE_NAMES
from compilers.errors import CompileError

MAX_SEED = 2**63 - 1
MAX_LENGTH = 10**7
"""The longest input length (word length n, decoding step t) a run function takes: the
command line's bound (`compilers.cli.common.parse_lengths`); what is longer than its
budget is refused there by its estimate."""


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


def length(value: Any, name: str = "n", low: int = 0) -> int:
    """An input length (a word's n, a decoding step t): an int in ``low..MAX_LENGTH``."""
    return integer(value, name, low, MAX_LENGTH)


def lengths(values: Any, name: str = "lengths", low: int = 0) -> list[int]:
    """A list of input lengths, each in ``low..MAX_LENGTH``."""
    return [integer(v, f"each of {name}", low, MAX_LENGTH) for v in sequence(values, name)]


def word(value: Any, name: str = "word") -> str:
    """A word: a string (its symbols are checked by the construction)."""
    if not isinstance(value, str):
        raise RunInputError(f"{name} must be a string, got {_shown(value)}")
    return value


def path(value: Any, name: str = "path") -> Path:
    """A file or folder path: a non-empty str or `os.PathLike` without NUL bytes."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise RunInputError(f"{name} must be a path (str or pathlib.Path), got {_shown(value)}")
    if not value.strip() or "\0" in value:
        raise RunInputError(f"{name} {_shown(value)} is not a usable path")
    return Path(value)


def dtype(value: Any) -> str:
    """A float type's name (``float64``, ``float32``, ``bfloat16``, ``float16``); a torch
    dtype of those four is taken by its name."""
    name = value
    if type(value).__module__ == "torch" and type(value).__name__ == "dtype":
        name = str(value).removeprefix("torch.")
    if not isinstance(name, str) or name not in DTYPE_NAMES:
        raise RunInputError(f"dtype must be one of {', '.join(DTYPE_NAMES)}, got "
                            f"{_shown(value)}")
    return name


def construction(value: Any, *modes: str) -> Any:
    """`value` if it is a construction (a name, a mode, a transformer), in one of `modes`
    where given."""
    mode = getattr(value, "mode", None)
    if not isinstance(getattr(value, "name", None), str) or mode is None or not hasattr(
            value, "transformer"):
        raise RunInputError(f"expected a construction (such as "
                            f"compilers.constructions.get('parity').make()), got {_shown(value)}")
    if modes and mode not in modes:
        raise RunInputError(f"{value.name!r} runs as {mode!r}; this needs a construction that "
                            f"runs as {' or '.join(repr(m) for m in modes)}")
    return value


def prebuilt(value: Any, name: str, *methods: str) -> Any:
    """`value` (None, or a prebuilt backend or model that has `methods`), else
    `RunInputError` naming what it lacks."""
    lacking = [m for m in methods if value is not None and not callable(getattr(value, m, None))]
    if lacking:
        raise RunInputError(f"{name} must be what this package builds for it (with "
                            f"{', '.join(methods)}), got {_shown(value)}")
    return value


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


__all__ = ["MAX_LENGTH", "DeviceError", "RunInputError", "construction", "device", "dtype",
           "integer", "length", "lengths", "path", "prebuilt", "seed", "sequence", "word", "words"]
