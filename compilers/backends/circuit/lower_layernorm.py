"""Layer norm over two directions, at fixed precision.

Over a pair ``(a, b)`` the mean is ``(a+b)/2`` and the biased variance
``u^2/4`` with ``u = a - b``, so

.. math:: LN(a, b) = (g_a f(u) + \\beta_a, \\; -g_b f(u) + \\beta_b), \\quad
          f(u) = \\frac{u}{\\sqrt{u^2 + 4 \\epsilon}},

a function of the one form u (`Gates.apply`: one step gate per breakpoint,
none when u is a thermometer form, as in PARITY).

* ``epsilon = 0``: ``f(u) = sign(u)``, exact: two threshold gates, ``[u > 0]``
  and ``[u < 0]``. This is Chiang & Cholak's (2022, Sec. 5) layer norm of the
  ``[x, -x]`` doubling. Where ``u = 0`` the layer norm is undefined: a
  constant ``u = 0`` is an `EvaluationError` at once; otherwise the form u is
  recorded (`Context.undefined`), and `CircuitModel` raises the exact
  backend's error on every word where it is 0 (the circuit itself outputs
  ``f = 0``, the biases, there; no gate is added).
* ``epsilon > 0``: ``f(u)`` is irrational in general; it is rounded down to a
  multiple of ``2^-F`` exactly (integer square roots, no floats), with F the
  stated fraction bits, or under "auto" the least F with ``2^F >= D (n+1)^2``
  (D the denominator of u).

Layer norms over three or more directions need a square root of a sum of
squares of several forms; they are lowered only where every direction is a
constant at the position (a layer-norm hash of positions or of counts that
the one-hot inputs fix, as in Merrill & Sabharwal's chain of thought,
`compilers.constructions.cot`): folded at compile time exactly as the exact
backend computes it (the square root by `common.exact_sqrt` at `EXACT_BITS`,
the exact backend's default), so the circuit makes the exact backend's
decisions on it. Elsewhere they raise `UnsupportedError` naming the block.
"""

from __future__ import annotations

import math
from fractions import Fraction

from compilers.backends.circuit.fixed import Form, UnsupportedError, combine
from compilers.backends.common import exact_sqrt
from compilers.errors import EvaluationError
from compilers.ir import LayerNorm

ZERO = Form({}, 0, 1)
EXACT_BITS = 256  # the exact backend's square roots (`compilers.backends.exact`)


def lower_layernorm(ctx, block: LayerNorm, stream: dict, rows: list[int]) -> dict:
    """The stream after the block at positions `rows`."""
    if len(block.dims) != 2:
        return _constant(block, stream, rows)
    first, second = block.dims
    out = {}
    for p in rows:
        x = stream[p]
        u = combine([(1, x.get(first, ZERO)), (-1, x.get(second, ZERO))])
        if block.epsilon == 0:
            _note_undefined(ctx, block, u, p)
        f = _normalised(ctx, block, u)
        y = dict(x)
        y[first] = combine([(block.gain.get(first, 0), f)], block.bias.get(first, 0))
        y[second] = combine([(-block.gain.get(second, 0), f)], block.bias.get(second, 0))
        out[p] = y
    return out


def _constant(block: LayerNorm, stream: dict, rows: list[int]) -> dict:
    """A layer norm over three or more directions, each a constant at every position: the
    exact backend's values (see the module docstring)."""
    out = {}
    for p in rows:
        x = stream[p]
        forms = [x.get(d, ZERO) for d in block.dims]
        if not all(f.is_constant for f in forms):
            raise UnsupportedError(f"{block.label}: layer norm over {len(block.dims)} "
                                   "directions that depend on the input (position "
                                   f"{p}); the circuit backend lowers layer norm over exactly "
                                   "2 directions (the [x, -x] doubling of Chiang & Cholak), or "
                                   "over constants")
        values = [f.value for f in forms]
        mean = sum(values) / len(values)
        var = sum((v - mean) ** 2 for v in values) / len(values) + block.epsilon
        if var == 0:
            raise EvaluationError(f"{block.label}: variance + epsilon is 0 at position {p}; "
                                  "layer norm is undefined there")
        root = exact_sqrt(var, EXACT_BITS)
        y = dict(x)
        for d, v in zip(block.dims, values, strict=True):
            y[d] = Form.constant(block.gain.get(d, 0) * (v - mean) / root
                                 + block.bias.get(d, 0))
        out[p] = y
    return out


def _note_undefined(ctx, block: LayerNorm, u: Form, position: int) -> None:
    """Where u = 0 (zero variance at epsilon 0): an error now, or a form to check later."""
    if u.is_constant:
        if u.value == 0:
            raise EvaluationError(f"{block.label}: variance + epsilon is 0 at position "
                                  f"{position}; layer norm is undefined there")
        return
    ctx.undefined.append((block.label, position, u))


def _normalised(ctx, block: LayerNorm, u: Form) -> Form:
    """``f(u) = u / sqrt(u^2 + 4 eps)``: the sign for eps = 0, else rounded down at F bits."""
    if block.epsilon == 0:
        return ctx.gates.apply(u, lambda v: (v > 0) - (v < 0), 1, block.label)
    bits = ctx.average_bits(u.den, ctx.n + 1)
    scale = 1 << bits
    eps = Fraction(block.epsilon)

    def rounded(num: int) -> int:
        # f = num / sqrt(num^2 + 4 eps den^2); floor(scale * f) with exact integer roots
        square = Fraction(scale * scale * num * num) / (num * num + 4 * eps * u.den ** 2)
        root = math.isqrt(math.floor(square))  # floor(sqrt(square))
        if num >= 0:
            return root
        return -root if root * root == square else -root - 1

    return ctx.gates.apply(u, rounded, scale, block.label)
