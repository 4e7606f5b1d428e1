"""Functions of an integer weighted sum of bits, in depth 2.

Let ``S = sum_i w_i x_i`` over bits ``x_i`` with integer weights; S lies in
``[lo, hi]`` (lo the sum of the negative weights, hi of the positive ones) and
is a multiple of ``g = gcd(w)``.

**Any function of S** (`of_weighted_sum`). Let ``s_1 < ... < s_b`` be the
breakpoints of f: the multiples s of g in ``(lo, hi]`` with
``f(s) != f(s - g)``, and ``d_k = +1`` where f turns on at ``s_k``, ``-1`` where it
turns off. With ``y_k = [S >= s_k]`` (monotone in k),

.. math:: f(S) = f(lo) + \\sum_k d_k y_k = [\\sum_k d_k y_k \\ge 1 - f(lo)].

Depth 2 and ``b + 1`` gates for ``b >= 2`` distinct-input sums of two or more
terms; one gate (``y_1`` or its complement) for ``b = 1``; none for ``b = 0``.
This is the telescoping technique used for symmetric functions by Hajnal,
Maass, Pudlák, Szegedy & Turán, "Threshold circuits of bounded depth" (JCSS
1993), and for functions of weighted sums by Siu, Roychowdhury & Kailath,
*Discrete Neural Computation* (Prentice Hall, 1995).

**The bits of S** (`sum_bits_into`). Bit j of ``S + c`` depends only on
``(S + c) mod M``, ``M = 2**(j + 1)``, so replace every weight by its residue
``r_i = w_i mod M`` and c by ``c mod M``: ``T = sum_i r_i x_i + (c mod M)`` has
the same bit j, is non-negative, and is below ``(Q + 1) M`` with
``Q = floor(T_max / M)``. With ``u_q = [T >= q M]`` for q = 1..Q,
``T - M sum_q u_q = T mod M``, so

.. math:: \\mathrm{bit}_j = [\\sum_i r_i x_i - M \\sum_q u_q \\ge 2^j - (c \\bmod M)].

Depth 2 (1 where every ``Q = 0``), at most ``sum_j (Q_j + 1)`` gates, weights
below ``2**(j + 1)``; the builder shares the ``u_q`` of different bits that
coincide. Negative sums come out in two's complement (``S + c mod 2**width``).
This needs weights up to ``2**width``; the polynomial-weight constructions of
Siu & Roychowdhury ("On optimal depth threshold circuits for multiplication
and related problems", SIAM J. Discrete Math. 1994) are not implemented.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from math import gcd

import numpy as np

from circuitx.builder import CircuitBuilder, Wire
from circuitx.circuit import Circuit
from circuitx.errors import GadgetError

MAX_RANGE = 1 << 20
"""`of_weighted_sum` evaluates f at most this many times."""


def sum_range(weights: Sequence[int], constant: int = 0) -> tuple[int, int]:
    """``(lo, hi)``: the least and greatest value of ``sum w_i x_i + constant``."""
    return (constant + sum(w for w in weights if w < 0),
            constant + sum(w for w in weights if w > 0))


def breakpoints(weights: Sequence[int], f: Callable[[int], bool]) -> tuple[bool, list]:
    """``(f(lo), [(s_k, d_k), ...])``: where f changes on the values the sum can take."""
    lo, hi = sum_range(weights)
    step = 0
    for w in weights:
        step = gcd(step, w)
    step = step or 1
    if (hi - lo) // step > MAX_RANGE:
        raise GadgetError(f"of_weighted_sum: the sum ranges over {(hi - lo) // step + 1} "
                          f"values, more than {MAX_RANGE}; use sum_bits_into or give "
                          f"breakpoints to steps_into")
    start = bool(f(lo))
    steps, previous = [], start
    for s in range(lo + step, hi + 1, step):
        value = bool(f(s))
        if value != previous:
            steps.append((s, 1 if value else -1))
            previous = value
    return start, steps


def steps_into(builder: CircuitBuilder, xs: Sequence[Wire], weights: Sequence[int],
               start: bool, steps: Sequence[tuple[int, int]], label: str | None = None) -> Wire:
    """``start + sum_k d_k [S >= s_k]`` for breakpoints ``steps = [(s_k, d_k)]`` (a 0/1 value)."""
    if not steps:
        return builder.const(start)
    xs, weights = _arrays(builder, xs, weights)
    ys = [builder.gate(xs, weights, s, label) for s, _ in steps]
    if len(ys) == 1:
        return ys[0] if steps[0][1] > 0 else builder.not_(ys[0], label)
    return builder.gate(ys, [d for _, d in steps], 1 - int(start), label)


def _arrays(builder: CircuitBuilder, xs, weights):
    """Wires and weights as int64 arrays when they fit (one conversion for many gates)."""
    if len(xs) < 48 or any(not -(1 << 62) < w < 1 << 62 for w in weights):
        return xs, weights
    return (np.asarray([builder.wire(x) for x in xs], dtype=np.int64),
            np.asarray(weights, dtype=np.int64))


def of_weighted_sum_into(builder: CircuitBuilder, xs: Sequence[Wire], weights: Sequence[int],
                         f: Callable[[int], bool], label: str | None = None) -> Wire:
    """The wire ``f(sum_i weights[i] * xs[i])``: depth 2, one gate per breakpoint plus one."""
    start, steps = breakpoints(list(weights), f)
    return steps_into(builder, xs, weights, start, steps, label)


def of_weighted_sum(weights: Sequence[int], f: Callable[[int], bool]) -> Circuit:
    """The circuit ``f(sum_i weights[i] x_i)`` over inputs x0, x1, ...; output "out"."""
    builder = CircuitBuilder()
    xs = builder.inputs("x", len(weights))
    return builder.build({"out": of_weighted_sum_into(builder, xs, weights, f)})


def sum_width(weights: Sequence[int], constant: int = 0, signed: bool = False) -> int:
    """Bits that hold every value of the sum: unsigned if it is never negative and
    `signed` is false, else two's complement (with a sign bit)."""
    lo, hi = sum_range(weights, constant)
    if lo >= 0 and not signed:
        return max(1, hi.bit_length())
    return max(hi.bit_length(), max(0, -lo - 1).bit_length()) + 1


def sum_bits_into(builder: CircuitBuilder, xs: Sequence[Wire], weights: Sequence[int],
                  constant: int = 0, width: int | None = None, label: str | None = None
                  ) -> list[Wire]:
    """The little-endian bits of ``(sum_i weights[i] * xs[i] + constant) mod 2**width``.

    Args:
        builder: where the gates go.
        xs: the bits.
        weights: one integer per bit.
        constant: added to the sum.
        width: output bits; default `sum_width` (exact, two's complement if the
            sum can be negative).
        label: label of the gates.

    Returns:
        `width` wires; depth 2 (see the module docstring for the gate count).
    """
    weights = [int(w) for w in weights]
    if len(weights) != len(xs):
        raise GadgetError(f"sum_bits: {len(xs)} bits but {len(weights)} weights")
    width = sum_width(weights, constant) if width is None else width
    if width < 0:
        raise GadgetError(f"sum_bits: width must be >= 0, got {width}")
    src = np.asarray([builder.wire(x) for x in xs], dtype=np.int64)
    bits = []
    for j in range(width):
        modulus = 1 << (j + 1)
        residues = [w % modulus for w in weights]
        c = constant % modulus
        q_max = (sum(residues) + c) // modulus
        r = np.array(residues, dtype=np.int64) if j < 61 else residues
        us = [builder.gate(src, r, q * modulus - c, label) for q in range(1, q_max + 1)]
        if isinstance(r, np.ndarray):
            inputs = np.concatenate((src, np.asarray(us, dtype=np.int64)))
            coefficients = np.concatenate((r, np.full(len(us), -modulus, dtype=np.int64)))
        else:
            inputs = [*src.tolist(), *us]
            coefficients = [*r, *([-modulus] * len(us))]
        bits.append(builder.gate(inputs, coefficients, (1 << j) - c, label))
    return bits
