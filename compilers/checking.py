"""The central property check for recognizers, and the precision sweep.

`check_recognizer` runs words of the given lengths through each backend and
compares the decision with the language's own `contains` (the oracle, which
shares no code with the construction): every word of a length when there are
at most `samples` of them, else `samples` words drawn half members, half
non-members. For the torch backend it counts, besides wrong decisions, the
*silent* ones: wrong while the run claimed to be trusted. That count is the
toolkit's promise and must be zero.

`precision_sweep` measures, for one dtype, correctness and cross-entropy
against length.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from compilers.constructions.recognizer import (
    Recognizer,
    cross_entropy_bits,
    exact_logits,
    torch_logits,
)
from languages.zoo import get as get_language


def words_for(language, length: int, samples: int, seed: int) -> list[str]:
    """All words of `length` if there are at most `samples`, else a balanced sample."""
    alphabet = language.alphabet
    if len(alphabet) ** length <= samples:
        return ["".join(w) for w in itertools.product(alphabet, repeat=length)]
    half = samples // 2
    words: list[str] = []
    for label, count in (("member", half), ("nonmember", samples - half)):
        try:
            words += language.sample(length, count, label=label, seed=seed)
        except ValueError:  # no such words at this length: fill from the other label
            words += language.sample(length, count, label="any", seed=seed + 1)
    return words


@dataclass
class Tally:
    """What one backend did on the checked words."""

    checked: int = 0
    failed: int = 0
    untrusted: int = 0
    silent: int = 0  # wrong although trusted: must stay 0
    first_counterexample: dict | None = None

    def as_dict(self) -> dict:
        return {"checked": self.checked, "failed": self.failed, "untrusted": self.untrusted,
                "silent_failures": self.silent,
                "first_counterexample": self.first_counterexample}


@dataclass
class CheckReport:
    construction: str
    language: str
    lengths: list[int]
    backends: dict[str, Tally] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(t.failed == 0 for t in self.backends.values())

    def as_dict(self) -> dict:
        return {"construction": self.construction, "language": self.language,
                "lengths": self.lengths, "ok": self.ok,
                "backends": {name: t.as_dict() for name, t in self.backends.items()}}


BACKENDS = ("exact", "torch")


def check_recognizer(recognizer: Recognizer, lengths: Sequence[int], *, samples: int = 64,
                     backends: Sequence[str] = BACKENDS, dtype: str = "float64",
                     device: str = "cpu", seed: int = 0,
                     progress: Callable[[int], None] | None = None) -> CheckReport:
    """Compare each backend's decisions with the language oracle (see the module docstring)."""
    language = get_language(recognizer.language)
    report = CheckReport(recognizer.name, recognizer.language, list(lengths),
                         {b: Tally() for b in backends})
    module = None
    if "torch" in backends:
        from compilers.backends.torch_module import TorchTransformer

        module = TorchTransformer(recognizer.transformer, dtype=dtype, device=device)
    for length in lengths:
        words = words_for(language, length, samples, seed + length)
        truth = np.array([language.contains(w) for w in words], dtype=bool)
        for backend in backends:
            tally = report.backends[backend]
            if backend == "exact":
                decisions = np.array([v > 0 for v in exact_logits(recognizer, words)])
                trusted = np.ones(len(words), dtype=bool)
            else:
                run = torch_logits(recognizer, words, dtype=dtype, device=device, module=module)
                decisions, trusted = run.logits > 0, run.trusted
            wrong = decisions != truth
            tally.checked += len(words)
            tally.failed += int(wrong.sum())
            tally.untrusted += int((~trusted).sum())
            tally.silent += int((wrong & trusted).sum())
            if wrong.any() and tally.first_counterexample is None:
                k = int(np.flatnonzero(wrong)[0])
                tally.first_counterexample = {"word": words[k], "expected": bool(truth[k]),
                                              "got": bool(decisions[k]),
                                              "trusted": bool(trusted[k])}
        if progress is not None:
            progress(1)
    return report


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


def precision_sweep(recognizer: Recognizer, lengths: Sequence[int], *, dtype: str,
                    samples: int = 64, device: str = "cpu", seed: int = 0,
                    progress: Callable[[int], None] | None = None) -> list[SweepPoint]:
    """Correctness and cross-entropy (bits per word) of the torch backend at each length."""
    from compilers.backends.torch_module import TorchTransformer

    language = get_language(recognizer.language)
    module = TorchTransformer(recognizer.transformer, dtype=dtype, device=device)
    points = []
    for length in lengths:
        words = words_for(language, length, samples, seed + length)
        truth = [language.contains(w) for w in words]
        run = torch_logits(recognizer, words, dtype=dtype, device=device, module=module)
        bits = [cross_entropy_bits(z, t) for z, t in zip(run.logits, truth, strict=True)]
        correct = int(sum((z > 0) == t for z, t in zip(run.logits, truth, strict=True)))
        points.append(SweepPoint(length=length, words=len(words), correct=correct,
                                 suspect=int(run.suspect.sum()),
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
