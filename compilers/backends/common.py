"""What the backends share: evaluation errors, positional features, input checks."""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import numpy as np
import sympy

from compilers.errors import CompileError
from compilers.ir import I, N, PositionalEncoding, TokenEmbedding, Transformer


class EvaluationError(CompileError):
    """A run cannot go on (an unknown token, a zero variance, an undecidable argmax)."""


def exact_feature(expr: sympy.Expr, i: int, n: int, *, where: str) -> Fraction:
    """The exact rational value of a positional formula at position i, length n."""
    return _exact_feature(expr, i, n, where)


@lru_cache(maxsize=1 << 16)
def _exact_feature(expr: sympy.Expr, i: int, n: int, where: str) -> Fraction:
    try:
        value = expr.xreplace({I: sympy.Integer(i), N: sympy.Integer(n)})
    except ZeroDivisionError:
        value = sympy.zoo
    if not value.is_Rational:
        raise EvaluationError(f"{where}: formula {expr} is {value} at i={i}, n={n}, "
                              "not a rational number")
    return Fraction(int(value.p), int(value.q))


def positional_exact(pe: PositionalEncoding, positions: range, n: int) -> dict[str, list]:
    """``{direction: [exact value at each position]}``."""
    return {name: [exact_feature(expr, i, n, where=f"{pe.label}[{name!r}]") for i in positions]
            for name, expr in pe.features.items()}


@lru_cache(maxsize=256)
def _lambdified(expr: sympy.Expr):
    return sympy.lambdify((I, N), expr, modules="numpy")


def positional_float(pe: PositionalEncoding, positions: np.ndarray,
                     n: int) -> dict[str, np.ndarray]:
    """``{direction: float64 values at each position}``, vectorised over positions.

    Each formula is evaluated in float64 (one rounding per operation); a
    non-finite value is an `EvaluationError` naming the feature.
    """
    out = {}
    i = positions.astype(np.float64)
    for name, expr in pe.features.items():
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.broadcast_to(np.asarray(_lambdified(expr)(i, float(n)), dtype=np.float64),
                                     i.shape).copy()
        if not np.all(np.isfinite(values)):
            bad = int(positions[~np.isfinite(values)][0])
            raise EvaluationError(f"{pe.label}[{name!r}]: formula {expr} is not finite at "
                                  f"i={bad}, n={n}")
        out[name] = values
    return out


def token_ids(model: Transformer, sequence) -> list[int]:
    """Indices of `sequence`'s tokens in the model's embedding, or an error naming the bad one."""
    embedding = model.inputs
    if not isinstance(embedding, TokenEmbedding):
        raise EvaluationError(f"{model.label}: takes vectors ({model.inputs.label}), not tokens")
    index = {t: k for k, t in enumerate(embedding.tokens)}
    ids = []
    for position, token in enumerate(sequence):
        if token not in index:
            raise EvaluationError(f"{embedding.label}: unknown token {token!r} at position "
                                  f"{position}; allowed: {list(embedding.tokens)}")
        ids.append(index[token])
    return ids


def to_fraction_exact(x) -> Fraction:
    """An mpmath number as the exact binary rational it holds."""
    mantissa, exponent = x.man_exp
    mantissa = int(mantissa)
    return Fraction(mantissa << exponent) if exponent >= 0 else Fraction(mantissa, 1 << -exponent)


def exact_sqrt(value: Fraction, bits: int) -> Fraction:
    """``sqrt(value)``: exact when num and den are perfect squares, else to `bits` bits."""
    import math

    import mpmath

    num, den = value.numerator, value.denominator
    rn, rd = math.isqrt(num), math.isqrt(den)
    if rn * rn == num and rd * rd == den:
        return Fraction(rn, rd)
    with mpmath.workprec(bits):
        return to_fraction_exact(mpmath.sqrt(mpmath.mpf(num) / den))
