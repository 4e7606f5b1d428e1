"""Depth and size of compiled circuits as n grows: the TC0 picture, measured.

A family of circuits is in TC0 when its depth is bounded by a constant and
its size by a polynomial in n. `measure` compiles a recognizer at each length
and records the circuit's measures; `fit_exponent` fits ``size ~ c n^k`` by
least squares on ``(log n, log size)``; `plot` draws depth (flat) and size
(a straight line of slope k on log-log axes).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from compilers.backends.circuit.fixed import PrecisionError


@dataclass(frozen=True, kw_only=True)
class Point:
    """One compiled length: its measures and the compile time in seconds."""

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


def measure(recognizer, lengths: Sequence[int], *, precision="auto") -> list[Point]:
    """Compile `recognizer` at every length and measure the circuit."""
    from compilers.backends.circuit import compile_recognizer

    points = []
    for n in lengths:
        start = time.perf_counter()
        model = compile_recognizer(recognizer, n, precision=precision)
        points.append(Point.of(n, model, time.perf_counter() - start))
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


def check_lengths(lengths: Sequence[int]) -> list[int]:
    """The lengths, or `PrecisionError` naming one below 1."""
    bad = [n for n in lengths if n < 1]
    if bad:
        raise PrecisionError(f"length {bad[0]}: circuits are compiled for lengths >= 1")
    return list(lengths)


def plot(points: Sequence[Point], path: str | Path, *, title: str, variable: str = "n",
         xlabel: str = "input length n") -> Path:
    """Depth against n (left) and size against n on log-log axes with the fit (right).

    `variable` and `xlabel` name the x axis (e.g. ``t``, "decoding step t").
    """
    from compilers.plots import _pyplot

    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.8))
    ns = [p.n for p in points]
    left.plot(ns, [p.depth for p in points], marker="o")
    left.set_xscale("log", base=2)
    left.set_ylim(0, max(p.depth for p in points) + 2)
    left.yaxis.get_major_locator().set_params(integer=True)
    left.set_xlabel(xlabel)
    left.set_ylabel("depth (gates)")
    left.set_title("depth: constant")
    right.plot(ns, [max(p.size, 1) for p in points], marker="o", label="size")
    k = fit_exponent(points)
    if k is not None:
        anchor = points[-1]
        right.plot(ns, [max(anchor.size, 1) * (n / anchor.n) ** k for n in ns], linestyle="--",
                   label=f"fit: {variable}^{k:.2f}")
    right.set_xscale("log", base=2)
    right.set_yscale("log")
    right.set_xlabel(xlabel)
    right.set_ylabel("size (gates)")
    right.set_title("size: polynomial")
    right.legend(fontsize=8)
    for ax in (left, right):
        ax.grid(True, which="both", alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
