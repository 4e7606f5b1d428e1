"""How a float dtype fares as the input grows: where runs go wrong, against what was promised.

* `precision_sweep` (a recogniser): at each length, the torch backend's
  decisions on sampled words (all words when few), their cross-entropy in
  bits per word, and whether the length is within the construction's
  guarantee; `largest_correct_length` reads off how far every word was right.
* `departure` (a decoder): one torch run in the dtype beside the reference
  trace: the first step that departs, the first step the gap check flagged,
  and what the error analysis promised; a departure inside the trusted steps
  is *silent*, which must never happen.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from compilers.runs import validate
from compilers.runs.backends import backend_for
from compilers.runs.check import length_seed, recogniser_words
from compilers.runs.generate import generate
from compilers.runs.recognise import recognise


def cross_entropy_bits(logit: float, label: bool) -> float:
    """``-log2 p(label)`` with ``p(accept) = sigmoid(logit)``, computed stably."""
    z = float(logit) if label else -float(logit)
    # -log2 sigmoid(z) = log2(1 + e^-z)
    return (math.log1p(math.exp(-z)) if z > -30 else -z) / math.log(2)


@dataclass
class SweepPoint:
    length: int
    words: int
    correct: int
    suspect: int
    guaranteed: bool
    mean_bits: float
    max_bits: float

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def precision_sweep(recognizer, lengths: Sequence[int], *, dtype: str, samples: int = 64,
                    device: str = "cpu", seed: int = 0,
                    progress: Callable[[int], None] | None = None) -> list[SweepPoint]:
    """Correctness and cross-entropy (bits per word) of the torch backend at each length."""
    lengths = validate.lengths(lengths)
    samples = validate.integer(samples, "samples", 1)
    seed = validate.seed(seed)
    runner = backend_for(recognizer, "torch", dtype=dtype, device=device)
    points = []
    for length in lengths:
        words = recogniser_words(recognizer, length, samples, length_seed(seed, length))
        results = recognise(recognizer, words, runner=runner)
        logits = [float(r.values["logit"]) for r in results]
        truth = [r.reference for r in results]
        bits = [cross_entropy_bits(z, t) for z, t in zip(logits, truth, strict=True)]
        points.append(SweepPoint(
            length=length, words=len(words),
            correct=int(sum((z > 0) == t for z, t in zip(logits, truth, strict=True))),
            suspect=sum(r.values["suspect"] for r in results),
            guaranteed=recognizer.trusted(dtype, length),
            mean_bits=float(np.mean(bits)), max_bits=float(np.max(bits))))
        if progress is not None:
            progress(1)
    return points


def largest_correct_length(points: Sequence[SweepPoint]) -> int | None:
    """The largest length below which every swept length was classified without error."""
    best = None
    for point in sorted(points, key=lambda p: p.length):
        if point.correct != point.words:
            break
        best = point.length
    return best


def departure(construction, input, *, dtype: str = "float32", max_steps: int = 1000,
              device: str = "cpu", progress=None) -> dict:
    """Where a torch run in `dtype` departs from the reference trace, and what was promised.

    Returns a dict: `steps_run`, `reference_steps`, `first_departure` (the first
    step whose decoded fields differ from the reference's, or where the run
    ended differently; None if none), `guaranteed_steps` (the error analysis's
    bound), `first_flagged` (the first step the gap check flagged),
    `trusted_steps`, and `silent` (a departure at or before `trusted_steps`).
    `progress` is called with 1 after each step.
    """
    (result,) = generate(construction, [input], backend="torch", dtype=dtype, device=device,
                         max_steps=max_steps, progress=progress)
    ours, reference = result.trace, result.reference_trace
    first = next((k + 1 for k, (a, b) in enumerate(zip(ours, reference, strict=False))
                  if a != b), None)
    if first is None and len(ours) != len(reference):
        first = min(len(ours), len(reference)) + 1
    trusted = result.values["trusted_bound"]  # not capped at the steps run
    return {"steps_run": len(ours), "reference_steps": len(reference),
            "first_departure": first,
            "guaranteed_steps": construction.trusted_steps(dtype, input),
            "first_flagged": result.values["flagged_step"], "trusted_steps": trusted,
            "silent": first is not None and first <= trusted}


def length_grid(max_length: int) -> list[int]:
    """Lengths 1, 2, 5, 10, 20, 50, ... up to and including `max_length`."""
    max_length = validate.length(max_length, "max_length", 1)
    grid, scale = [], 1
    while scale <= max_length:
        grid += [m * scale for m in (1, 2, 5) if m * scale <= max_length]
        scale *= 10
    if grid[-1] != max_length:
        grid.append(max_length)
    return grid


def loop_departure(construction, input, *, dtype: str = "float32", max_steps: int = 1000,
                   device: str = "cpu", progress=None) -> dict:
    """A looped construction in `dtype`: refused (the dtype cannot carry its sizes), or
    run loop by loop beside the interpreter: the first loop whose state departs, or the
    drift check that stopped the run. `progress` is called with 1 after each loop."""
    from compilers.errors import CompileError, EvaluationError
    from compilers.runs.loop import loop

    validate.construction(construction, "loop")
    dtype = validate.dtype(dtype)
    try:
        construction.check_dtype(dtype)
    except CompileError as refusal:
        return {"guaranteed": False, "refused": str(refusal), "loops_run": 0,
                "first_departure": None, "stopped": None}
    try:
        (result,) = loop(construction, [input], backend="torch", dtype=dtype, device=device,
                         max_steps=max_steps, trace=True, progress=progress)
    except EvaluationError as stopped:
        return {"guaranteed": True, "refused": None, "loops_run": None,
                "first_departure": None, "stopped": str(stopped)}
    ours, reference = result.trace, result.reference_trace
    first = next((k + 1 for k, (a, b) in enumerate(zip(ours, reference, strict=False))
                  if a != b), None)
    if first is None and len(ours) != len(reference):
        first = min(len(ours), len(reference)) + 1
    return {"guaranteed": True, "refused": None, "loops_run": len(ours),
            "first_departure": first, "stopped": None}
