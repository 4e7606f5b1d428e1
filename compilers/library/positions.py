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
(`sinusoidal`), with two exact alternatives:

* `rotation`: distinct points on the circle with rational coordinates, what
  sinusoids are used for, exactly;
* `rounded_sinusoid` and `sinusoids`: the sinusoid *rounded to the nearest
  multiple of* ``2^-bits`` (a stated precision, 64 bits by default) as an exact
  formula, ``floor(2^bits sin(i w) + 1/2) / 2^bits``. Sympy evaluates the floor
  exactly (mpmath at increasing precision until the integer is certain, which
  it always is: ``sin(i w)`` is transcendental for algebraic ``w != 0`` and
  ``i >= 1``, Lindemann-Weierstrass, so never half-way), so the exact backend
  holds each value as a rational within ``2^-(bits+1)`` of the sinusoid and
  decides every comparison of this rounded model exactly. Whether those are
  the comparisons of the irrational model is a property of the use, decided
  by bounds: `sinusoid_gap` bounds, with mpmath's interval arithmetic at a
  stated precision, by how much a position's pair matches itself better than
  any other position's, after the rounding; where it is positive, the argmax
  of the rounded model is the irrational model's, by at least that gap.

Float backends evaluate each formula in float64 (one rounding per operation)
and round it to their dtype.
"""

from __future__ import annotations

import hashlib
from fractions import Fraction

import mpmath
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
    """``(i + 1)/n``: the Cookbook's ``i/n`` (Sec. 3.5), in (0, 1] on the positions
    ``0 .. n - 1`` of a word of n symbols (above 1 on an EOS after it). Undefined at
    ``n = 0``: every backend raises `EvaluationError` naming the feature (to tell
    positions apart without n, use `inverse`)."""
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
    rational points on the circle instead, `rounded_sinusoid` and `sinusoids` the
    sinusoid rounded at a stated precision. Size: 1 positional feature.
    """
    allowed = RATIONAL_COSINE_PERIODS if phase == "cos" else RATIONAL_SINE_PERIODS
    if phase not in ("cos", "sin"):
        raise LibraryError(f"positions.sinusoidal: phase {phase!r}; allowed: 'cos', 'sin'")
    if isinstance(period, bool) or not isinstance(period, int) or period not in allowed:
        raise LibraryError(
            f"positions.sinusoidal: {phase}(2 pi i / {period!r}) is irrational at some "
            f"position (Niven's theorem), and the exact backend evaluates positional "
            f"features as exact rationals; rational {phase} periods: {allowed}; for "
            "distinct points on the circle use positions.rotation, for the sinusoid "
            "rounded at a stated precision positions.rounded_sinusoid")
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


MAX_BITS = 1024  # precision of a rounded sinusoid, in bits


def _bits(bits, where: str) -> int:
    if isinstance(bits, bool) or not isinstance(bits, int) or not 1 <= bits <= MAX_BITS:
        raise LibraryError(f"{where}: bits {bits!r}; allowed: an integer 1 to {MAX_BITS}")
    return bits


def _frequency(frequency, where: str) -> sympy.Expr:
    try:
        w = sympy.sympify(frequency)
    except (sympy.SympifyError, TypeError):
        raise LibraryError(f"{where}: frequency {frequency!r} is not a number") from None
    if isinstance(frequency, float) or w.free_symbols or not w.is_real or not w.is_positive:
        raise LibraryError(f"{where}: frequency {frequency!r}; allowed: an exact positive "
                           "real number (an int, a Fraction, a sympy expression such as "
                           "10000**(-1/4) written with sympy.Rational)")
    return w


def rounded_sinusoid(model: Model, frequency, *, bits: int = 64,
                     name: str | None = None) -> tuple[str, str]:
    """``(cos(i w), sin(i w))``, each rounded to the nearest multiple of ``2^-bits``
    (Sec. 3.5, sinusoidal encoding at a stated precision; see the module docstring).

    ``floor(2^bits cos(i w) + 1/2) / 2^bits`` (and the same for the sine): an exact
    rational at every position, within ``2^-(bits+1)`` of the sinusoid, which sympy
    evaluates exactly and the exact backend then holds as it is. `frequency` is the
    angle w per position (``1 / 10000^(2k/d)`` for pair k of Vaswani et al.'s
    encoding of width d; `sinusoids`). The directions are ``<name>_cos`` and
    ``<name>_sin``, `name` by default ``sinusoid_`` and a digest of w and bits.
    A float backend evaluates the formula in float64: within about ``(i + 1) 2^-52``
    of the sinusoid for ``bits > 52`` (the rounding is then below float64's), and with
    fewer bits possibly the neighbouring multiple of ``2^-bits`` where the sinusoid is
    within float error of a half-way point.
    Size: 2 positional features. Refused: a frequency that is not an exact positive
    real, bits outside 1 .. `MAX_BITS`."""
    where = "positions.rounded_sinusoid"
    w, bits = _frequency(frequency, where), _bits(bits, where)
    scale, half = sympy.Integer(2) ** bits, sympy.Rational(1, 2)
    if name is None:
        digest = hashlib.sha256(f"{sympy.srepr(w)} {bits}".encode()).hexdigest()[:8]
        name = f"sinusoid_{digest}"
    return tuple(feature(model, f"{name}_{part}", sympy.floor(scale * f(I * w) + half) / scale)
                 for part, f in (("cos", sympy.cos), ("sin", sympy.sin)))


def sinusoids(model: Model, width: int, *, base=10000, bits: int = 64) -> tuple[str, ...]:
    """Vaswani et al.'s sinusoidal encoding of even `width`, rounded to ``2^-bits``:
    ``PE(i, 2k) = sin(i / base^(2k/width))``, ``PE(i, 2k+1) = cos(i / base^(2k/width))``
    for ``k = 0 .. width/2 - 1`` (`rounded_sinusoid` for each k; pair 0 is
    ``(sin i, cos i)``). Returns the `width` directions in that order. Size: `width`
    positional features. Refused: an odd or non-positive width, a base that is not an
    integer above 1."""
    where = "positions.sinusoids"
    if isinstance(width, bool) or not isinstance(width, int) or width < 2 or width % 2:
        raise LibraryError(f"{where}: width {width!r}; allowed: an even integer >= 2")
    if isinstance(base, bool) or not isinstance(base, int) or base < 2:
        raise LibraryError(f"{where}: base {base!r}; allowed: an integer >= 2")
    out = []
    for k in range(width // 2):
        cos, sin = rounded_sinusoid(model, sympy.Integer(base) ** sympy.Rational(-2 * k, width),
                                    bits=bits, name=f"pe{width}_{k}")
        out += [sin, cos]
    return tuple(out)


def sinusoid_gap(frequency, length: int, *, bits: int = 64, precision: int = 128) -> Fraction:
    """A lower bound on how much better each position's `rounded_sinusoid` pair matches
    itself than any other position's, over positions ``0 .. length - 1``.

    The irrational scores are ``p_i . p_j = cos((i - j) w)``: 1 at ``j = i``, at
    most ``1 - m`` elsewhere, with ``m = min_{0 < d < length} (1 - cos(d w))``,
    bounded below with mpmath's interval arithmetic (`mpmath.iv`) at `precision`
    bits (w enclosed from sympy's value at that precision, widened by its last
    digits). Rounding each coordinate by at most ``e = 2^-(bits+1)`` moves a score
    by at most ``E = 2 sqrt2 e + 2 e^2 < 3 e + 2 e^2``, so the rounded self-score
    exceeds every other by at least ``m - 2 (3 e + 2 e^2)``, returned as an exact
    rational: the gap of a hard head matching positions by these pairs, which
    therefore picks what the irrational model picks. Refused (`LibraryError`, naming
    the values): a length below 2, or a bound that is not positive (a d with ``d w``
    a multiple of 2 pi, or too few bits or too little precision to tell)."""
    where = "positions.sinusoid_gap"
    w, bits = _frequency(frequency, where), _bits(bits, where)
    if isinstance(length, bool) or not isinstance(length, int) or length < 2:
        raise LibraryError(f"{where}: length {length!r}; allowed: an integer >= 2")
    if isinstance(precision, bool) or not isinstance(precision, int) or precision < 53:
        raise LibraryError(f"{where}: precision {precision!r}; allowed: an integer >= 53")
    iv = mpmath.iv
    with mpmath.workprec(precision + 32):
        centre = mpmath.mpf(str(sympy.N(w, precision // 3 + 12)))
        widen = mpmath.mpf(2) ** (8 - precision)
        low, high = centre * (1 - widen), centre * (1 + widen)
    saved, iv.prec = iv.prec, precision  # mpmath's interval context has no workprec
    try:
        angle = iv.mpf([low, high])
        highest = max(iv.cos(d * angle).b for d in range(1, length))
        margin = _fraction_down(1 - iv.mpf(highest))
    finally:
        iv.prec = saved
    e = Fraction(1, 2 ** (bits + 1))
    gap = margin - 2 * (3 * e + 2 * e * e)
    if gap <= 0:
        raise LibraryError(f"{where}: no positive gap for frequency {w} over {length} "
                           f"positions at {bits} bits (bound {float(gap):.3g}); raise bits "
                           "or precision, or shorten the length")
    return gap


def _fraction_down(value) -> Fraction:
    """The lower end of an mpmath interval, as the exact rational it is (read from the
    interval's raw binary ends: converting to an mpf would round it to mpmath's working
    precision, upwards as often as not)."""
    mantissa, exponent = mpmath.libmp.to_man_exp(value._mpi_[0])
    return Fraction(int(mantissa)) * Fraction(2) ** int(exponent)
