"""ReLU gadgets of the SUBLEQ computer: robust steps, sign snapping, gated outputs.

Every gadget is a handful of hidden units of one `MLP`, collected by the
library's `Units` (`compilers.library.model`), which holds the generic ReLU
gadgets of the Transformer Cookbook (Yang et al. 2026, Sec. 4.2, 4.3, 4.7):
``ge``, ``snap``, ``identity``, ``replace``, ``clear`` and gating. This module
binds them to the SUBLEQ computer's inputs and adds its own arithmetic.
Inputs are *nearly* exact: a ±1 bit, a 0/1 flag or an integer-valued linear
form, each off by at most 1/4 (attention leaks a little weight, floats round).
Outputs are exact in exact arithmetic and within a few units of roundoff in
floats, whatever the input error below 1/4: this is the error correction that
keeps a looped run from drifting (Giannou et al. 2023, Sec. 4, "error
correction"; there a separate layer, here folded into each MLP).

* ``ge``: ``[f >= theta]`` for an integer-valued form f,
  ``relu(2(f - theta) + 3/2) - relu(2(f - theta) + 1/2)``: exactly 1 for
  ``f >= theta - 1/4``, exactly 0 for ``f <= theta - 3/4``.
* ``snap``: ``clamp(2 w, -1, 1) = relu(2w + 1) - relu(2w - 1) - 1``: exactly
  ``±1`` for ``w`` within 1/2 of ``±1``.
* ``identity``: ``x = relu(x) - relu(-x)``; an MLP that emits ``-x`` into the
  direction x it read *replaces* x (``x + (new - x)``), and emitting ``-x``
  alone clears x exactly, even in floats (``x - x = 0``).

A *gate* direction (1 at the columns where the gadget acts, 0 elsewhere, e.g.
the scratchpad indicator) adds ``-K (1 - gate)`` to every pre-activation, with
K above the largest value the form can take (inputs bounded by
`INPUT_BOUND` in absolute value), so that off the gate every unit is exactly 0.
"""

from __future__ import annotations

from fractions import Fraction

from compilers.library.model import Units

__all__ = ["INPUT_BOUND", "Units", "bit_terms", "clear", "ge", "identity", "low_bits_of_sum",
           "replace", "signed_form", "snap", "subtract", "unsigned_form"]

INPUT_BOUND = 2  # |x_d| <= 2 for every direction a gadget reads, at every column
HALF = Fraction(1, 2)


def ge(units: Units, form: dict, theta, *, const=0, gate: str | None = None) -> list:
    """``[form + const >= theta]`` (0/1) for a form that is an integer up to 1/4."""
    return units.ge(form, theta, const=const, gate=gate, bound=INPUT_BOUND)


def snap(units: Units, direction: str, *, gate: str | None = None) -> list:
    """``clamp(2 x, -1, 1)``: exactly ±1 for x within 1/2 of ±1 (0 off the gate)."""
    return units.snap(direction, gate=gate, bound=INPUT_BOUND)


def identity(units: Units, direction: str) -> list:
    """``x = relu(x) - relu(-x)``."""
    return units.identity(direction)


def replace(units: Units, direction: str, terms) -> None:
    """Emit ``new - x`` into x: after the residual add, x holds the new value."""
    units.replace(direction, terms)


def clear(units: Units, direction: str) -> None:
    """Emit ``-x`` into x: exactly 0 afterwards."""
    units.clear(direction)


def bit_terms(units: Units, form: dict, thresholds, *, const=0, gate: str) -> list:
    """``2 sum_k s_k [f >= theta_k] - gate`` (a ±1 bit) for signed thresholds (theta, s)."""
    terms = []
    for theta, sign in thresholds:
        terms += [(u, 2 * sign * c) for u, c in ge(units, form, theta, const=const, gate=gate)]
    return terms + [(u, -c) for u, c in units.gate_term(gate)]


def unsigned_form(rows, upto: int) -> tuple[dict, Fraction]:
    """The value of the low ``upto + 1`` ±1 bits of a word: (form, constant).

    A ±1 digit b stands for the binary digit ``(b + 1) / 2``, so the value is
    ``sum_{s <= upto} 2^s b_s / 2 + (2^(upto+1) - 1) / 2``.
    """
    return ({rows[s]: HALF * 2**s for s in range(upto + 1)}, HALF * (2 ** (upto + 1) - 1))


def signed_form(rows) -> tuple[dict, Fraction]:
    """The two's-complement value of a ±1 word (the top digit weighs ``-2^(N-1)``):
    (form, constant)."""
    n = len(rows)
    form = {rows[s]: HALF * 2**s for s in range(n - 1)} | {rows[-1]: -HALF * 2 ** (n - 1)}
    return form, HALF * (2 ** (n - 1) - 1) - HALF * 2 ** (n - 1)


def subtract(units: Units, x, y, r, leq: str, *, gate: str) -> None:
    """``r <- wrap_N(y - x)`` as N ±1 bits and ``leq <- [wrap_N(y - x) <= 0]`` (0/1),
    for N-bit ±1 words x, y (Giannou et al. 2023, Sec. 5: the SUBLEQ step).

    Bit t of the result depends on the low t + 1 bits only: with
    ``z = sum_{s<=t} 2^s (y_s - x_s) / 2`` (an integer in ``(-2^(t+1), 2^(t+1))``)
    it is ``[z >= 2^t] - [z >= 0] + [z >= -2^t]``, the borrow chain folded into
    three thresholds. With D the signed difference (in ``(-2^N, 2^N)``),
    ``[wrap_N(D) <= 0] = [D >= 2^(N-1)] + [D >= -2^(N-1)] - [D >= 1]``.
    """
    n = len(r)
    for t in range(n):
        form = {y[s]: HALF * 2**s for s in range(t + 1)}
        form |= {x[s]: -HALF * 2**s for s in range(t + 1)}
        units.emit(r[t], bit_terms(units, form, [(2**t, 1), (0, -1), (-(2**t), 1)],
                                   gate=gate))
    dy, _ = signed_form(y)
    dx, _ = signed_form(x)
    diff = dy | {d: -w for d, w in dx.items()}
    for theta, sign in ((2 ** (n - 1), 1), (-(2 ** (n - 1)), 1), (1, -1)):
        units.emit(leq, ge(units, diff, theta, gate=gate), sign)


def low_bits_of_sum(t: int, addend: int) -> list[tuple[int, int]]:
    """Signed thresholds on ``y = z + addend`` (``0 <= z < 2^(t+1)``) giving bit t of y.

    Bit t of y is ``sum_k (-1)^(k+1) [y >= k 2^t]`` over k = 1, 2, ... while
    ``k 2^t <= 2^(t+1) - 1 + addend``; the caller's form must compute y itself
    (the addend folded into its constant).
    """
    out, k = [], 1
    while k * (1 << t) <= (1 << (t + 1)) - 1 + addend:
        out.append((k * (1 << t), 1 if k % 2 else -1))
        k += 1
    return out
