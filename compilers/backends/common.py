"""What the backends share: evaluation errors, positional features, input checks."""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import numpy as np
import sympy

from compilers.errors import EvaluationError
from compilers.ir import I, N, PositionalEncoding, TokenEmbedding, Transformer


def exact_feature(expr: sympy.Expr, i: int, n: int, *, where: str) -> Fraction:
    """The exact rational value of a positional formula at position i, length n."""
    return _exact_feature(expr, i, n, where)


@lru_cache(maxsize=1 << 16)
def _exact_feature(expr: sympy.Expr, i: int, n: int, where: str) -> Fraction:
    program = _rational_program(expr)
    if program is not None:
        try:
            return Fraction(program(Fraction(i), Fraction(n)))
        except ZeroDivisionError:
            pass  # sympy's evaluation below names the failure
    try:
        value = expr.xreplace({I: sympy.Integer(i), N: sympy.Integer(n)})
    except ZeroDivisionError:
        value = sympy.zoo
    if not value.is_Rational:
        raise EvaluationError(f"{where}: formula {expr} is {value} at i={i}, n={n}, "
                              "not a rational number")
    return Fraction(int(value.p), int(value.q))


@lru_cache(maxsize=256)
def _rational_program(expr: sympy.Expr):
    """``(i, n) -> value`` in Fractions, for a formula of +, *, integer powers, Mod,
    rationals, i and n; None for any other formula.

    It walks the same expression tree as sympy's exact substitution, so its
    value is the same rational (a division by zero raises ZeroDivisionError).
    """
    if expr is I:
        return lambda i, n: i
    if expr is N:
        return lambda i, n: n
    if expr.is_Rational:
        value = Fraction(int(expr.p), int(expr.q))
        return lambda i, n: value
    args = [_rational_program(a) for a in expr.args]
    if any(a is None for a in args):
        return None
    if isinstance(expr, sympy.Add):
        return lambda i, n: sum((a(i, n) for a in args), Fraction(0))
    if isinstance(expr, sympy.Mul):
        def product(i, n):
            out = Fraction(1)
            for a in args:
                out *= a(i, n)
            return out
        return product
    if isinstance(expr, sympy.Pow) and expr.exp.is_Integer:
        base, power = args[0], int(expr.exp)
        return lambda i, n: base(i, n) ** power
    if isinstance(expr, sympy.Mod):
        left, right = args
        return lambda i, n: left(i, n) % right(i, n)
    return None


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


def uses_length(model: Transformer) -> bool:
    """Whether any formula of `model` (positional features, softmax scales, gaps; not its
    encoder's) reads the input length n: then a forward pass must be told n, which the
    token count does not give (it counts the bos and eos tokens too)."""
    formulas = list(model.positions.features.values()) if model.positions is not None else []
    for head in model.heads():
        formulas += [getattr(head.kind, "scale", None), getattr(head.kind, "gap", None)]
    formulas.append(model.readout.gap)
    return any(N in getattr(f, "free_symbols", ()) for f in formulas if f is not None)


def require_length(model: Transformer, n: int | None) -> None:
    """`EvaluationError` for a forward pass without n through a model whose formulas read n
    (`uses_length`): the run layer states n; nothing guesses it from the tokens."""
    if n is None and model.encoder is None and uses_length(model):
        raise EvaluationError(f"{model.label}: pass n=, the input length its formulas see; it "
                              "is not guessed from the number of tokens (which counts the "
                              "tokens around the word too)")


def token_ids(model: Transformer, sequence) -> list[int]:
    """Indices of `sequence`'s tokens in the model's embedding, or an error naming the bad one."""
    embedding = model.inputs
    if not isinstance(embedding, TokenEmbedding):
        raise EvaluationError(f"{model.label}: takes vectors ({model.inputs.label}), not tokens")
    index = _token_index(embedding.tokens)
    try:
        return [index[token] for token in sequence]
    except (KeyError, TypeError):  # unhashable or unknown: name the first bad one
        for position, token in enumerate(sequence):
            if not isinstance(token, str) or token not in index:
                raise EvaluationError(f"{embedding.label}: unknown token {token!r} at position "
                                      f"{position}; allowed: {list(embedding.tokens)}") from None
        raise


def char_token_ids(model: Transformer, sequences) -> np.ndarray | None:
    """`token_ids` of same-length `sequences` at once, as a (batch, positions) int64 array,
    where every token of the model's embedding and of the sequences is one character: the
    sequences' characters as UTF-32 code points, looked up in a table. None where that does
    not apply (a longer token, a non-string, an unknown character): then `token_ids` decides,
    and names the bad token."""
    table = _char_table(model.inputs.tokens) if isinstance(model.inputs, TokenEmbedding) else None
    if table is None or not sequences:
        return None
    try:
        joined = ["".join(s) for s in sequences]
    except TypeError:
        return None
    width = len(sequences[0])
    if any(len(text) != width for text in joined) or any(len(s) != width for s in sequences):
        return None
    codes = np.frombuffer("".join(joined).encode("utf-32-le"), dtype=np.uint32)
    if codes.size and int(codes.max()) >= table.size:
        return None
    ids = table[codes]
    if (ids < 0).any():
        return None
    return ids.reshape(len(sequences), width)


@lru_cache(maxsize=64)
def _char_table(tokens: tuple[str, ...]) -> np.ndarray | None:
    """Token index by code point (-1 for none) when every token is one character below
    U+10000, else None."""
    if not tokens or any(len(t) != 1 or ord(t) >= 1 << 16 for t in tokens):
        return None
    table = np.full(max(map(ord, tokens)) + 1, -1, dtype=np.int64)
    for k, token in enumerate(tokens):
        table[ord(token)] = k
    return table


@lru_cache(maxsize=64)
def _token_index(tokens: tuple[str, ...]) -> dict[str, int]:
    return {t: k for k, t in enumerate(tokens)}


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
