"""The precision sweep of a predictor: how a float dtype fares as the word grows.

`prediction_sweep` runs the torch backend in a dtype at each length on sampled
words (all words when few; `compilers.runs.check.symbol_words`) and counts
the words predicted right at every position (`compilers.runs.predict`),
beside whether the construction's error analysis guarantees the length; a
wrong word at a guaranteed length contradicts the analysis.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from compilers.runs import validate
from compilers.runs.backends import backend_for
from compilers.runs.check import length_seed, symbol_words
from compilers.runs.predict import predict


@dataclass
class PredictPoint:
    """One length of a `prediction_sweep`."""

    length: int
    words: int
    correct: int  # words right at every position
    suspect: int
    guaranteed: bool

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def prediction_sweep(construction, lengths: Sequence[int], *, dtype: str, samples: int = 64,
                     device: str = "cpu", seed: int = 0,
                     progress: Callable[[int], None] | None = None) -> list[PredictPoint]:
    """At each length, the words (all when few, else `samples` uniform ones) a torch run in
    `dtype` predicted right at every position, beside the guarantee."""
    lengths = validate.lengths(lengths)
    samples = validate.integer(samples, "samples", 1)
    seed = validate.seed(seed)
    runner = backend_for(construction, "torch", dtype=dtype, device=device)
    points = []
    for length in lengths:
        words = symbol_words(construction.alphabet, length, samples,
                             length_seed(seed, length))
        results = predict(construction, words, runner=runner)
        points.append(PredictPoint(
            length=length, words=len(words),
            correct=sum(bool(r.agrees_with_reference) for r in results),
            suspect=sum(r.values["suspect"] for r in results),
            guaranteed=construction.trusted(dtype, length)))
        if progress is not None:
            progress(1)
    return points
