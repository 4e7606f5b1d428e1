"""Addition, iterated addition, linear combinations and multiplication of binary numbers.

Numbers are little-endian lists of wires, unsigned or two's complement (see
`circuitx.gadgets.compare`). Every gadget here writes its result as one integer
weighted sum of bits and takes its bits with `sum_bits_into` (depth 2, see
`circuitx.gadgets.weighted`): bit j of ``T`` is
``[T_j - 2^(j+1) sum_q [T_j >= q 2^(j+1)] >= 2^j]`` with ``T_j`` the sum of the
columns ``<= j``.

**Iterated addition** of m unsigned k-bit numbers (`iterated_addition`):
``T = sum_{i<m, j<k} 2^j x_{i,j}``; the result has ``B = bitlength(m (2^k - 1))``
bits. Column j < k has ``T_j <= m (2^(j+1) - 1)``, so
``Q_j = m - ceil(m / 2^(j+1))`` gates ``[T_j >= q 2^(j+1)]`` and one bit gate.
For j >= k, ``T_j = T`` and every threshold ``q 2^(j+1)`` is already a gate of
column k - 1, so only the bit gates for ``k <= j <= B - 2`` are new (the top
bit is ``[T >= 2^(B-1)]``, also already built). For m >= 2, k >= 1:

.. math:: \\text{depth} = 2, \\quad
          \\text{size} = \\sum_{j<k} (m + 1 - \\lceil m / 2^{j+1} \\rceil) + \\max(0, B - 1 - k).

**Addition** of two k-bit numbers is the case m = 2: depth 2, ``2k`` gates
(the carry ``c_{j+1} = [T_j >= 2^(j+1)]`` and the bit
``[T_j - 2^(j+1) c_{j+1} >= 2^j]`` per position, the top bit is ``c_k``): a
constant-depth carry-lookahead adder, every carry one threshold gate.

**Multiplication** of two k-bit numbers: the ``k^2`` partial products
``p_{a,b} = [x_a + y_b >= 2]`` (depth 1), then the bits of
``T = sum_{a,b} 2^(a+b) p_{a,b}`` over 2k positions (depth 2). With
``N_s = min(s + 1, 2k - 1 - s)`` products in column s and
``Q_j = floor(sum_{s<=j} N_s 2^s / 2^(j+1))``, for k >= 2:

.. math:: \\text{depth} = 3, \\quad
          \\text{size} = k^2 + \\sum_{j=1}^{2k-2} (Q_j + 1)

(bit 0 is ``p_{0,0}`` itself and the top bit ``[T >= 2^(2k-1)]`` is the
``q = 1`` gate of column 2k - 2).

Signed variants use the two's complement weights and return enough bits for
every result in two's complement; the sizes above are for unsigned numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

from circuitx.builder import CircuitBuilder, Wire
from circuitx.circuit import Circuit
from circuitx.errors import GadgetError
from circuitx.gadgets.compare import number_weights
from circuitx.gadgets.counting import check_size
from circuitx.gadgets.weighted import sum_bits_into, sum_width


def linear_combination_into(builder: CircuitBuilder, numbers: Sequence[Sequence[Wire]],
                            coefficients: Sequence[int], constant: int = 0,
                            signed: bool | Sequence[bool] = False, width: int | None = None,
                            label: str | None = None) -> list[Wire]:
    """The bits of ``sum_i coefficients[i] * numbers[i] + constant``: depth 2.

    Args:
        numbers: little-endian numbers (lists of wires).
        coefficients: one integer per number.
        constant: an integer added to the result.
        signed: whether the numbers are two's complement (one flag, or one per number).
        width: result bits (the result is taken mod 2**width); default: exact,
            two's complement when a number is signed or the result can be negative.
    """
    if len(numbers) != len(coefficients):
        raise GadgetError(f"linear combination: {len(numbers)} numbers but "
                          f"{len(coefficients)} coefficients")
    flags = [signed] * len(numbers) if isinstance(signed, bool) else list(signed)
    wires: list[Wire] = []
    weights: list[int] = []
    for number, c, flag in zip(numbers, coefficients, flags, strict=True):
        wires.extend(number)
        weights.extend(c * w for w in number_weights(len(number), flag))
    if width is None:
        width = sum_width(weights, constant, signed=any(flags))
    return sum_bits_into(builder, wires, weights, constant, width, label)


def add_into(builder: CircuitBuilder, xs: Sequence[Wire], ys: Sequence[Wire],
             signed: bool = False, carry_in: Wire | None = None, label: str | None = None
             ) -> list[Wire]:
    """The bits of ``x + y (+ carry_in)``: depth 2, 2k gates for unsigned k-bit numbers."""
    extra = [] if carry_in is None else [[carry_in]]
    return linear_combination_into(builder, [xs, ys, *extra], [1, 1, *([1] * len(extra))],
                                   signed=[signed, signed, *([False] * len(extra))],
                                   label=label)


def subtract_into(builder: CircuitBuilder, xs: Sequence[Wire], ys: Sequence[Wire],
                  signed: bool = False, label: str | None = None) -> list[Wire]:
    """The two's complement bits of ``x - y``: depth 2."""
    return linear_combination_into(builder, [xs, ys], [1, -1], signed=signed, label=label)


def iterated_add_into(builder: CircuitBuilder, numbers: Sequence[Sequence[Wire]],
                      signed: bool = False, label: str | None = None) -> list[Wire]:
    """The bits of the sum of m numbers: depth 2 (size in the module docstring)."""
    return linear_combination_into(builder, numbers, [1] * len(numbers), signed=signed,
                                   label=label)


def multiply_into(builder: CircuitBuilder, xs: Sequence[Wire], ys: Sequence[Wire],
                  signed: bool = False, label: str | None = None) -> list[Wire]:
    """The bits of ``x * y``: partial products then their sum; depth 3."""
    wx, wy = number_weights(len(xs), signed), number_weights(len(ys), signed)
    products, weights = [], []
    for a, x in enumerate(xs):
        for b, y in enumerate(ys):
            products.append(builder.and_(x, y, label=label))
            weights.append(wx[a] * wy[b])
    width = sum_width(weights, signed=True) if signed else len(xs) + len(ys)
    return sum_bits_into(builder, products, weights, width=width, label=label)


def _two_numbers(k: int, make, prefix: str = "s") -> Circuit:
    builder = CircuitBuilder()
    xs = builder.inputs("x", check_size(k, "k", 1))
    ys = builder.inputs("y", k)
    bits = make(builder, xs, ys)
    return builder.build({f"{prefix}{j}": bit for j, bit in enumerate(bits)})


def addition(k: int, signed: bool = False) -> Circuit:
    """``x + y`` for two k-bit numbers (inputs x0.., y0..; outputs s0..): depth 2, 2k gates."""
    return _two_numbers(k, lambda b, xs, ys: add_into(b, xs, ys, signed))


def multiplication(k: int, signed: bool = False) -> Circuit:
    """``x * y`` for two k-bit numbers (outputs p0..p{2k-1}): depth 3."""
    return _two_numbers(k, lambda b, xs, ys: multiply_into(b, xs, ys, signed), prefix="p")


def iterated_addition(m: int, k: int, signed: bool = False) -> Circuit:
    """The sum of m k-bit numbers (inputs x{i}_{j}: bit j of number i; outputs s0..)."""
    check_size(m, "m", 1)
    check_size(k, "k", 1)
    builder = CircuitBuilder()
    numbers = [builder.inputs(f"x{i}_", k) for i in range(m)]
    bits = iterated_add_into(builder, numbers, signed)
    return builder.build({f"s{j}": bit for j, bit in enumerate(bits)})
