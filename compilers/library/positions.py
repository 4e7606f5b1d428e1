"""Positional encodings: the Cookbook's Sec. 3.5, as exact formulas in the position.

Yang et al. 2026, "The Transformer Cookbook", Sec. 3.5. A positional feature
is a direction holding a sympy formula in the position ``i`` and the length
``n`` (`compilers.ir.PositionalEncoding`). Positions here are 0-based (the
Cookbook counts from 1): its ``1/i`` is ``1/(i + 1)`` here, its ``i/n`` is
``(i + 1)/n``. Each block declares its feature once and returns the same
direction when asked again.

Why rational values only: every backend evaluates a feature from its formula,
and the exact backend evaluates it as an exact rational
(`compilers.backends.common.exact_feature`), which is what lets it decide
every later comparison (an argmax, a ReLU's sign) exactly. The encodings here
are rational at every integer position: ``1/(i + 1)``, ``(i + 1)/n``, powers of
``i + k``, ``(-1)^i``, one-hot positions, sinusoids whose values are rational,
and the rotation by an angle whose cosine and sine are rational. The
transformer's usual ``sin(i / 10000^(2k/d))`` is irrational at every
``i >= 1``; so is ``cos(2 pi i / p)`` for any period p other than 1, 2, 3, 4, 6
(Niven's theorem: the only rational values of the cosine at rational
multiples of pi are 0, ±1/2, ±1). Such encodings are refused by name
(`sinusoidal`); `rotation` gives what they are used for (distinct points on
the circle, a dot product maximal at equal positions) exactly. Deciding
comparisons between irrational features (interval bounds with mpmath at a
stated precision, say) would need the exact backend to carry intervals; it
does not, so nothing here pretends to.

Float backends evaluate each formula in float64 (one rounding per operation)
and round it to their dtype.
"""

from __future__ import annotations

import sympy

from compilers.ir import I, N
from compilers.library.model import LibraryError, Model

RATIONAL_COSINE_PERIODS = (1, 2, 3, 4, 6)  # cos(2 pi i / p) rational at every integer i
RATIONAL_SINE_PERIODS = (1, 2, 4)  # sin(2 pi i / p) rational at every integer i


def feature(model: Model, name: str, formula) -> str:
    """The positional feature `name` = `formula` (declared once; asking again for the same
    formula returns it, another formula under that name is refused)."""
    formula = sympy.sympify(formula)
    if name in model.features:
        if model.features[name] != formula:
            raise LibraryError(f"positions: feature {name!r} is {model.features[name]}, "
                               f"not {formula}")
        return name
    return model.position(name, formula)


def none(model: Model) -> tuple[()]:
    """No positional encoding (Sec. 3.5): the model's only information about position is
    what masks give it; any positional feature asked for later is refused, and the
    constant `Model.one` is written by every token instead. Size: nothing."""
    if model.features:
        raise LibraryError(f"positions.none: {model.label} already has positional features "
                           f"{sorted(model.features)}")
    model.positional = False
    return ()


def index(model: Model) -> str:
    """``i``, the 0-based position (the linear feature of quadratic maximisation,
    Sec. 5.3.4). Unbounded: a float dtype holds it exactly only up to its integer range."""
    return feature(model, "i", I)


def inverse(model: Model) -> str:
    """``1/(i + 1)``: the Cookbook's ``1/i`` (Sec. 3.5), in (0, 1]."""
    return feature(model, "inv_i", 1 / (I + 1))


def fraction(model: Model) -> str:
    """``(i + 1)/n``: the Cookbook's ``i/n`` (Sec. 3.5), in (0, 1], 1 at the last position."""
    return feature(model, "i_over_n", (I + 1) / N)


def power(model: Model, exponent: int, *, offset: int = 1) -> str:
    """``(i + offset)^exponent`` for an integer exponent (Sec. 3.5: other powers of i;
    ``power(model, 2, offset=0)`` is the ``i^2`` of quadratic maximisation).
    Refused: a non-integer or zero exponent (``i^(1/2)`` is irrational), a negative
    exponent with ``offset < 1`` (a division by zero at position ``-offset``)."""
    if isinstance(exponent, bool) or not isinstance(exponent, int) or exponent == 0:
        raise LibraryError(f"positions.power: exponent {exponent!r}; allowed: a non-zero "
                           "integer (other powers of i are irrational)")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0 or (
            exponent < 0 and offset < 1):
        raise LibraryError(f"positions.power: offset {offset!r}; allowed: an integer >= 0, "
                           ">= 1 for a negative exponent")
    if exponent == 1 and offset == 0:
        return index(model)
    sign = "m" if exponent < 0 else ""
    return feature(model, f"i{offset}_pow_{sign}{abs(exponent)}" if offset else
                   f"i_pow_{sign}{abs(exponent)}", (I + offset) ** exponent)


def alternating(model: Model) -> str:
    """``(-1)^i``: 1 at even positions, -1 at odd ones (Sec. 3.5, 5.2)."""
    return feature(model, "alt", (-1) ** I)


def one_hot(model: Model, size: int) -> tuple[str, ...]:
    """``[i = k]`` for ``k = 0 .. size - 1``: the one-hot positions of the Cookbook's
    Sec. 5.3.1 (positions from `size` on have no 1). Refused: ``size < 1``."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise LibraryError(f"positions.one_hot: size {size!r}; allowed: an integer >= 1")
    return tuple(feature(model, f"at_{k}", sympy.Piecewise((1, sympy.Eq(I, k)), (0, True)))
                 for k in range(size))


def sinusoidal(model: Model, period: int, *, phase: str = "cos") -> str:
    """``cos(2 pi i / period)`` (or ``sin``) where every value is rational (see the module
    docstring): periods 1, 2, 3, 4, 6 for the cosine, 1, 2, 4 for the sine.

    Refused by name, with the reason: any other period (the values are irrational,
    so the exact backend could not hold them), and the transformer's own
    ``sin(i / 10000^(2k/d))``, which no period describes; `rotation` gives exact
    rational points on the circle instead.
    """
    allowed = RATIONAL_COSINE_PERIODS if phase == "cos" else RATIONAL_SINE_PERIODS
    if phase not in ("cos", "sin"):
        raise LibraryError(f"positions.sinusoidal: phase {phase!r}; allowed: 'cos', 'sin'")
    if isinstance(period, bool) or not isinstance(period, int) or period not in allowed:
        raise LibraryError(
            f"positions.sinusoidal: {phase}(2 pi i / {period!r}) is irrational at some "
            f"position (Niven's theorem), and the exact backend evaluates positional "
            f"features as exact rationals; rational {phase} periods: {allowed}; for "
            "distinct points on the circle use positions.rotation")
    function = sympy.cos if phase == "cos" else sympy.sin
    return feature(model, f"{phase}_{period}", function(2 * sympy.pi * I / period))


def rotation(model: Model, triple: tuple[int, int, int] = (3, 4, 5)) -> tuple[str, str]:
    """``(cos(i theta), sin(i theta))`` with ``cos theta = a/c`` and ``sin theta = b/c`` for a
    Pythagorean triple ``a^2 + b^2 = c^2``: the real and imaginary parts of
    ``((a + b sqrt(-1)) / c)^i``, rationals of denominator ``c^i`` at every position.
    ``theta`` is not a rational multiple of pi, since ``a/c`` is none of 0, ±1/2, ±1
    (Niven: ``b`` would not be an integer), so the points never repeat:
    ``cos((i - j) theta)``, the dot product of two positions' pairs, is 1 exactly at
    ``i = j`` (the sinusoidal encoding's use, exactly). Denominators grow as ``c^i``:
    fine for the exact backend; a float dtype rounds them as any irrational sinusoid.
    Refused: not a Pythagorean triple of positive integers."""
    try:
        a, b, c = triple
    except (TypeError, ValueError):
        raise LibraryError(f"positions.rotation: {triple!r} is not a triple (a, b, c)") from None
    if (not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in triple)
            or a * a + b * b != c * c):
        raise LibraryError(f"positions.rotation: {triple!r} is not a Pythagorean triple "
                           "a^2 + b^2 = c^2 of positive integers")
    z = (a + b * sympy.I) / c
    return (feature(model, f"cos_{a}_{b}_{c}", sympy.re(z ** I)),
            feature(model, f"sin_{a}_{b}_{c}", sympy.im(z ** I)))
