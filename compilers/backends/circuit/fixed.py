"""Numbers on wires: exact linear forms over circuit wires, precisions, and the errors.

A value of the residual stream (one coordinate at one position) is held as a
*form*

.. math:: v = (c + \\sum_k w_k b_k) / D

with integer weights ``w_k`` over wires ``b_k`` of a `CircuitBuilder`, an
integer constant ``c`` and a positive integer denominator ``D``: a
fixed-point number whose "bits" are any wires with any integer weights (a
binary number is the special case ``w_k = 2^k``, ``D = 2^F``). Linear maps
with rational weights act on forms exactly and cost no gates (their sums are
folded into the threshold gates that read them, as in the iterated-addition
argument of Merrill, Sabharwal & Smith 2022, Lemma 3); only non-linear steps
(ReLU, comparisons, selection, division, layer norm) make gates.

Every form has an exact interval ``[lo, hi]`` (the bits taken as independent):
this is the interval propagation the "auto" precision rests on. A coordinate
that is constant needs no wire at all, and a 0/1 coordinate one.

Errors raised by the circuit backend are `CircuitCompileError` subclasses:

* `PrecisionError`: a bad precision, or a value that overflows the integer
  bits of a stated precision;
* `SaturationError`: a softmax head that provably does not saturate at the
  precision (the message names the head and the margin it lacks);
* `UnsupportedError`: a block or model feature this backend does not lower
  (the message names the block and what is supported).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

from compilers.errors import CompileError


class CircuitCompileError(CompileError):
    """Base class of the circuit backend's errors."""


class PrecisionError(CircuitCompileError):
    """A precision that is malformed, or too small for a value of the stream."""


class SaturationError(CircuitCompileError):
    """A softmax head whose non-maximal weights do not all round to 0 at the precision."""


class UnsupportedError(CircuitCompileError):
    """A block or feature the circuit backend does not lower."""


@dataclass(frozen=True, kw_only=True)
class Precision:
    """Signed fixed point with `int_bits` integer bits and `frac_bits` fraction bits.

    A value ``v`` is representable iff ``-2^int_bits <= v < 2^int_bits``; every
    rounding point rounds down to a multiple of ``2^-frac_bits``.
    """

    int_bits: int
    frac_bits: int

    def __post_init__(self):
        for name in ("int_bits", "frac_bits"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 4096:
                raise PrecisionError(f"precision {name} must be an integer in 0..4096, "
                                     f"got {value!r}")

    def __str__(self) -> str:
        return f"{self.int_bits}.{self.frac_bits}"


_PRECISION = re.compile(r"\s*(\d+)\.(\d+)\s*\Z")


def parse_precision(text) -> Precision | str:
    """``"auto"``, a `Precision`, or a string ``"I.F"`` (e.g. ``"8.16"``) -> the precision."""
    if isinstance(text, Precision):
        return text
    if text == "auto":
        return "auto"
    match = _PRECISION.match(text) if isinstance(text, str) else None
    if not match:
        raise PrecisionError(f"precision {text!r}; expected 'auto' or INT.FRAC bits such as "
                             "'8.16'")
    return Precision(int_bits=int(match.group(1)), frac_bits=int(match.group(2)))


class Form:
    """The exact value ``(const + sum_k terms[k] * wire_k) / den`` (see the module docstring).

    Immutable by convention: `terms` is never changed after construction.
    """

    __slots__ = ("terms", "const", "den")

    def __init__(self, terms: dict[int, int], const: int, den: int):
        self.terms = terms
        self.const = const
        self.den = den

    @staticmethod
    def constant(value) -> Form:
        value = Fraction(value)
        return Form({}, value.numerator, value.denominator)

    @staticmethod
    def wire(wire: int) -> Form:
        return Form({wire: 1}, 0, 1)

    @property
    def is_constant(self) -> bool:
        return not self.terms

    @property
    def value(self) -> Fraction:
        """The value of a constant form."""
        return Fraction(self.const, self.den)

    def numerator_range(self) -> tuple[int, int]:
        """Least and greatest numerator (bits taken as independent)."""
        lo = self.const + sum(w for w in self.terms.values() if w < 0)
        hi = self.const + sum(w for w in self.terms.values() if w > 0)
        return lo, hi

    def bounds(self) -> tuple[Fraction, Fraction]:
        """The exact interval of the value."""
        lo, hi = self.numerator_range()
        return Fraction(lo, self.den), Fraction(hi, self.den)

    def evaluate(self, wire_values: dict[int, int]) -> Fraction:
        """The value when each wire has the given 0/1 value."""
        total = self.const + sum(w * wire_values[x] for x, w in self.terms.items())
        return Fraction(total, self.den)

    def reduced(self) -> Form:
        """The same value in lowest terms (zero weights dropped)."""
        terms = {x: w for x, w in self.terms.items() if w}
        g = math.gcd(self.den, self.const, *terms.values())
        if g > 1:
            return Form({x: w // g for x, w in terms.items()}, self.const // g, self.den // g)
        return Form(terms, self.const, self.den)

    def __repr__(self) -> str:
        return f"Form({len(self.terms)} terms, const={self.const}, den={self.den})"


ZERO = Form({}, 0, 1)


def combine(parts, constant=0) -> Form:
    """``constant + sum coef * form`` over ``parts = [(coef, form), ...]``, exactly.

    Coefficients are rationals; the result is in lowest terms (the gcd of the
    constant, every weight and the denominator is 1).
    """
    constant = Fraction(constant)
    items = [(Fraction(c), f) for c, f in parts if c and (f.terms or f.const)]
    den = constant.denominator
    for c, f in items:
        den = math.lcm(den, c.denominator * f.den // math.gcd(c.numerator, f.den))
    total = constant.numerator * (den // constant.denominator)
    terms: dict[int, int] = {}
    get = terms.get
    for c, f in items:
        factor = Fraction(den * c.numerator, c.denominator * f.den)
        assert factor.denominator == 1
        k = factor.numerator
        total += k * f.const
        for x, w in f.terms.items():
            terms[x] = get(x, 0) + k * w
    terms = {x: w for x, w in terms.items() if w}
    g = math.gcd(den, total, *terms.values()) if terms else math.gcd(den, total)
    if g > 1:
        den //= g
        total //= g
        terms = {x: w // g for x, w in terms.items()}
    return Form(terms, total, den)


def add(a: Form, b: Form) -> Form:
    return combine([(1, a), (1, b)])


def fits(precision: Precision, low: Fraction, high: Fraction) -> bool:
    """Whether ``[low, high]`` lies in the representable range of `precision`."""
    limit = 1 << precision.int_bits
    return -limit <= low and high < limit


def int_bits_for(low: Fraction, high: Fraction) -> int:
    """The least integer bits I with ``-2^I <= low`` and ``high < 2^I``."""
    bits = 0
    while not (-(1 << bits) <= low and high < (1 << bits)):
        bits += 1
    return bits
