"""Depth and size of compiled circuits as the input grows: the TC0 picture, measured.

A family of circuits is in TC0 when its depth is bounded by a constant and
its size by a polynomial in n. For each kind of construction the circuit
backend lowers, one measurer compiles it at each size and records the
circuit's measures: `measure` (a recogniser, or a predictor read out at every
position, at word lengths n), `measure_steps`
(a decoder's step t: Merrill & Sabharwal (2023) bound each step, not the
whole run, by a constant-depth circuit) and `measure_sizes` (one loop of a
looped family at the sizes its `Family.sizes` gives). `fit_exponent` fits
``size ~ c n^k`` by least squares on ``(log n, log size)``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from compilers.backends.circuit.fixed import PrecisionError
from compilers.runs import validate
from compilers.runs.backends import backend_for


@dataclass(frozen=True, kw_only=True)
class Point:
    """One compiled size: its measures and the compile time in seconds."""

    n: int
    depth: int
    size: int
    wires: int
    max_fan_in: int
    max_weight_bits: int
    precision: str
    seconds: float

    @classmethod
    def of(cls, n: int, model, seconds: float) -> Point:
        """The measures of `model.circuit` compiled at `n` in `seconds`."""
        stats = model.circuit.stats()
        return cls(n=n, depth=stats.depth, size=stats.size, wires=stats.wires,
                   max_fan_in=stats.max_fan_in, max_weight_bits=stats.max_weight_bits,
                   precision=str(model.precision), seconds=round(seconds, 4))

    def to_dict(self) -> dict:
        return asdict(self)


def check_lengths(lengths: Sequence[int]) -> list[int]:
    """The lengths, or an error naming one that is not an integer, or one below 1."""
    lengths = validate.lengths(lengths, low=-(1 << 62))
    bad = [n for n in lengths if n < 1]
    if bad:
        raise PrecisionError(f"length {bad[0]}: circuits are compiled for lengths >= 1")
    return list(lengths)


def measure(recognizer, lengths: Sequence[int], *, precision="auto", runner=None) -> list[Point]:
    """Compile `recognizer` at every length and measure the circuit (`runner`: a circuit
    backend for it, whose compiled circuits are kept)."""
    runner = (validate.prebuilt(runner, "runner", "recogniser")
              or backend_for(recognizer, "circuit", precision=precision))
    points = []
    for n in check_lengths(lengths):
        start = time.perf_counter()
        model = runner.recogniser(n)
        points.append(Point.of(n, model, time.perf_counter() - start))
    return points


def compile_step(decoder, n: int, t: int, *, precision="auto"):
    """The circuit of decoding step t of `decoder` for words of length n."""
    for what, value in (("n", n), ("t", t)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise PrecisionError(f"{what} must be an integer >= 0, got {value!r}")
        validate.length(value, what)
    return backend_for(decoder, "circuit", precision=precision).step(n, t)


def measure_steps(decoder, steps: Sequence[int], *, n: int = 0, precision="auto",
                  runner=None) -> list[Point]:
    """One `Point` per decoding step t (its ``n`` field holds t; the word length is `n`;
    `runner`: a circuit backend for `decoder`, whose compiled steps are kept)."""
    n = validate.length(n, "n")
    runner = (validate.prebuilt(runner, "runner", "step")
              or backend_for(decoder, "circuit", precision=precision))
    points = []
    for t in validate.sequence(steps, "steps"):
        if isinstance(t, bool) or not isinstance(t, int) or t < 1:
            raise PrecisionError(f"step {t!r}: scaling needs decoding steps t >= 1")
        validate.length(t, "each of steps")
        start = time.perf_counter()
        model = runner.step(n, t)
        points.append(Point.of(t, model, time.perf_counter() - start))
    return points


def measure_sizes(family, sizes: Sequence[int], *, precision="auto", runners: dict | None = None,
                  **options) -> list[Point]:
    """One `Point` per size m of a looped family (`Family.sizes`); ``n``: the positions.
    `runners`, where given, receives m -> (the construction, its circuit backend)."""
    if not callable(getattr(family, "sizes", None)) or not callable(getattr(family, "make",
                                                                               None)):
        raise validate.RunInputError(f"expected a looped construction family with sizes "
                                     f"(such as compilers.constructions.get('subleq')), got "
                                     f"{family!r:.60}")
    points = []
    for m in validate.sequence(sizes, "sizes"):
        if isinstance(m, bool) or not isinstance(m, int) or m < 1:
            raise PrecisionError(f"size {m!r}: punchcards hold at least 1 memory word and slot")
        validate.length(m, "each of sizes")
        start = time.perf_counter()
        construction = family.make(**family.sizes(m, **options))
        runner = backend_for(construction, "circuit", precision=precision)
        model = runner.loop_model()
        if runners is not None:
            runners[m] = (construction, runner)
        points.append(Point.of(construction.positions, model, time.perf_counter() - start))
    return points


def fit_exponent(points: Sequence[Point]) -> float | None:
    """k of the least-squares fit ``log size = k log n + c`` (None with < 2 usable points)."""
    usable = [(math.log(p.n), math.log(p.size)) for p in points if p.n >= 1 and p.size >= 1]
    if len({x for x, _ in usable}) < 2:
        return None
    mean_x = sum(x for x, _ in usable) / len(usable)
    mean_y = sum(y for _, y in usable) / len(usable)
    sxx = sum((x - mean_x) ** 2 for x, _ in usable)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in usable)
    return sxy / sxx
