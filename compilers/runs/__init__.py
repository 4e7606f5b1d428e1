"""The run layer: any construction, any backend, one result type.

A construction runs one of four ways (`compilers.constructions.base`):
`recognise` (one forward pass per word), `generate` (position by position,
the read-out fed back), `loop` (the same blocks applied until a halt) and
`predict` (one forward pass per word, read out at every position),
each one function written once against the Backend seam
(`compilers.backends.base`). `run` picks the one the construction's mode
names::

    from compilers.constructions import get
    from compilers.runs import run

    parity = get("parity").make(layernorm=True)
    for result in run(parity, ["0110", "111"], backend="torch", dtype="float32"):
        print(result.input, result.answer, result.agrees_with_reference, result.trusted)

Every run returns `Result`s: the decoded answer, the reference's answer,
their agreement, the trace where there is one, and whether the run can be
trusted (with the reason when not).
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence

from compilers.errors import CompileError
from compilers.runs import validate
from compilers.runs.backends import backend_for
from compilers.runs.generate import generate
from compilers.runs.loop import loop
from compilers.runs.predict import predict
from compilers.runs.recognise import recognise
from compilers.runs.results import Result, UntrustedRunError

RUNNERS = {"recognise": recognise, "generate": generate, "loop": loop, "predict": predict}


def run(construction, inputs: Sequence, *, backend: str = "exact", dtype: str = "float64",
        device: str = "cpu", **options) -> list[Result]:
    """Run `construction` on every input with the runner its mode names.

    Args:
        construction: any construction (`compilers.constructions.base.Construction`).
        inputs: its inputs: words (recognise, predict; generate for a Turing machine)
            or programs (loop).
        backend: ``exact`` (rationals, the ground truth), ``torch`` (floats) or
            ``circuit`` (threshold circuits, where the construction lowers).
        dtype: the torch backend's float type.
        device: the torch backend's device.
        options: passed to the runner (``max_steps``, ``precision``, ``strict``, ...).
    """
    mode = getattr(construction, "mode", None)
    if mode not in RUNNERS:
        raise CompileError(f"{construction!r} is not a construction (mode {mode!r}; allowed: "
                           f"{', '.join(RUNNERS)})")
    runner = RUNNERS[mode]
    allowed = [name for name in inspect.signature(runner).parameters
               if name not in ("construction", "inputs", "words")]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise validate.RunInputError(f"{construction.name} runs as {mode!r}, which takes no "
                                     f"option {unknown[0]!r}; allowed: {', '.join(allowed)}")
    return runner(construction, validate.sequence(inputs, "inputs"), backend=backend,
                         dtype=dtype, device=device, **options)


__all__ = ["RUNNERS", "Result", "UntrustedRunError", "backend_for", "generate", "loop",
           "predict", "recognise", "run"]
