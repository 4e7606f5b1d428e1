"""The public API: the few calls a user needs, typed, in one module.

::

    import compilers.api as cx

    parity = cx.build("parity", layernorm=True)          # a construction, its IR exact
    results = cx.run(parity, ["0110", "111"], backend="torch", dtype="float32")
    report = cx.check(parity, lengths=range(8))           # oracle == exact == torch
    model = cx.to_torch(parity)                           # an nn.Module with hook points
    hard = cx.build("parity", attention="average-hard")
    circuit = cx.to_circuit(hard, n=8).circuit            # a threshold circuit
    cx.save(parity, "model")                              # safetensors + JSON; cx.load back
    cx.to_transformer_lens(cx.build("parity"), "tl", n=8)  # HookedTransformer weights

Why here and not in the ``circuitx`` package: imports run one way,
``languages <- circuitx <- compilers`` (``tests/test_layering.py``), and
``circuitx`` is the threshold-circuit layer that ``compilers`` builds on; a
``circuitx.run`` would import the top of the tree from its bottom. The
distribution's version is ``circuitx.__version__`` (read from the installed
metadata, no import of ``compilers``), also here as `__version__`. This module
sits above the run layer and imports only from below it.

Each call checks its arguments at the boundary and raises the packages' own
errors (`compilers.errors.CompileError` and its kin) naming the bad value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol, cast

from circuitx import __version__
from circuitx.circuit import Circuit
from compilers.backends import to_transformer_lens as _tl
from compilers.backends.torch_module import TorchTransformer
from compilers.constructions import families, get
from compilers.constructions.base import Construction
from compilers.errors import CompileError
from compilers.runs import Result, saving, validate
from compilers.runs import run as _run
from compilers.runs.check import CheckReport
from compilers.runs.check import check as _check
from compilers.runs.circuits import circuit_of


class Lowered(Protocol):
    """A construction compiled to a threshold circuit: `circuit` (a `circuitx.Circuit`),
    with its precision; a recogniser's also ``encode(words)`` and ``accepts(words)``."""

    circuit: Circuit


__all__ = ["Lowered", "__version__", "build", "check", "constructions", "load", "run", "save",
           "to_circuit", "to_torch", "to_transformer_lens", "word_length"]


def constructions() -> list[str]:
    """The names of the registered constructions (circuitx's own, then installed ones)."""
    return list(families())


def build(name: str, **options: Any) -> Construction:
    """The construction `name` built with `options` (each checked against its typed
    `Option`; ``circuitx constructions`` lists them), e.g. ``build("parity",
    layernorm=True)``."""
    if not isinstance(name, str):
        raise CompileError(f"a construction's name is a string, got {name!r}")
    built: Construction = get(name).make(**options)
    return built


def run(construction: Construction, inputs: Iterable[Any], *, backend: str = "exact",
        dtype: str = "float64", device: str = "cpu", **options: Any) -> list[Result]:
    """`construction` on every input, on one backend: ``exact`` (rationals, the ground
    truth), ``torch`` (floats in `dtype` on `device`) or ``circuit``; one `Result` per
    input (answer, the reference's answer, agreement, trust). `options` go to the mode's
    runner (``max_steps``, ``precision``, ...): `compilers.runs.run`."""
    return _run(construction, list(inputs), backend=backend, dtype=dtype, device=device,
                **options)


def check(construction: Construction, *, lengths: Sequence[int] = (), samples: int = 64,
          backends: Sequence[str] = ("exact", "torch"), dtype: str = "float64",
          device: str = "cpu", seed: int = 0, max_steps: int = 64,
          precision: str = "auto") -> CheckReport:
    """The central property check: inputs drawn for the construction's mode, every
    backend in `backends` against the reference, wrong and silently wrong answers
    counted (``report.ok``, ``report.as_dict()``): `compilers.runs.check.check`."""
    return _check(construction, lengths=list(lengths), samples=samples, backends=backends,
                  dtype=dtype, device=device, seed=seed, max_steps=max_steps,
                  precision=precision)


def word_length(construction: Construction) -> Callable[[int], int] | None:
    """How the input length n follows from the number of positions, as the construction
    states it: its own ``word_length(positions)`` if it has one, else, for a recogniser,
    the positions less its tokens around the word (``bos``, ``eos``); None otherwise."""
    stated = getattr(construction, "word_length", None)
    if callable(stated):
        return cast(Callable[[int], int], stated)
    if construction.mode == "recognise":
        around = _around(construction)
        return lambda positions: positions - around
    return None


def _around(construction: Construction) -> int:
    """The tokens a recogniser puts around the word."""
    return len(getattr(construction, "bos", ())) + len(getattr(construction, "eos", ()))


def to_torch(construction: Construction, *, dtype: str = "float64",
             device: str = "cpu") -> TorchTransformer:
    """The construction as a `torch.nn.Module` (`TorchTransformer`) with its exact weights
    in `dtype` on `device`; n follows from the tokens as the construction states
    (`word_length`), and it has TransformerLens-style hook points (``run_with_cache``,
    ``run_with_hooks``: `compilers.backends.torch_hooks`)."""
    validate.construction(construction)
    return TorchTransformer(construction.transformer, dtype=dtype,
                            device=validate.device(device),
                            word_length=word_length(construction))


def to_circuit(construction: Construction, *, n: int | None = None, t: int | None = None,
               precision: str = "auto") -> Lowered:
    """The construction lowered to a threshold circuit (its ``.circuit``, a
    `circuitx.Circuit`): a recogniser at word length `n`, a decoder's step `t` (words of
    length `n`), a looped model's one loop; `precision` ``auto`` or ``INT.FRAC`` bits."""
    validate.construction(construction)
    lowered: Lowered = circuit_of(construction, n=n, t=t, precision=precision)
    return lowered


def save(construction: Construction, directory: str | Path, *, dtype: str = "float32") -> Path:
    """Write ``model.safetensors`` and ``config.json`` into `directory`
    (`compilers.runs.saving`); `load` reads them back, verified."""
    return saving.save(construction, directory, dtype=dtype)


def load(directory: str | Path) -> Construction:
    """The construction saved in `directory`, rebuilt from its options and verified
    against every saved weight."""
    loaded: Construction = saving.load(directory)
    return loaded


def to_transformer_lens(construction: Construction, directory: str | Path, *,
                        n: int) -> Path:
    """Write the construction at word length `n` as TransformerLens ``HookedTransformer``
    weights (``config.json``, ``model.safetensors``) into `directory`, or refuse naming
    every reason (`compilers.backends.to_transformer_lens`)."""
    validate.construction(construction)
    n = validate.integer(n, "n")
    model = _tl.to_transformer_lens(construction.transformer, positions=n + _around(construction),
                                    n=n)
    return _tl.write(model, directory, about={"construction": {
        "name": construction.name, "options": dict(construction.options)}})
