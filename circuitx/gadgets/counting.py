"""Symmetric functions: parity, majority, exactly-k, counting modulo m, the count in binary.

All read n bits ``x_0 .. x_{n-1}`` through their count ``S = sum_i x_i``.

* `parity`: ``g_k = [S >= k]`` for k = 1..n and ``out = [sum_k (-1)^(k+1) g_k >= 1]``
  (Hajnal, Maass, Pudlák, Szegedy & Turán, JCSS 1993). Depth 2, ``n + 1`` gates
  for n >= 2; parity(1) is the input itself and parity(0) the constant False.
* `majority`: strict majority ``[S >= floor(n/2) + 1]``. Depth 1, one gate for
  n >= 2 (majority(1) is the input; majority(0) is False).
* `exactly`: ``[S = k] = [g_k - g_{k+1} >= 1]``. For 0 < k < n: depth 2, 3 gates;
  k = 0 (``[-S >= 0]``) and k = n (``[S >= n]``): depth 1, 1 gate; k outside
  [0, n]: the constant False. (n >= 2.)
* `mod`: ``[S = r (mod m)]``. With the thresholds ``s_1 < ... < s_p``, the values
  s in [1, n] with ``s = r (mod m)``, ``u_q = [S >= s_q]`` and
  ``U = S + (m - r)`` (so ``S = r`` iff ``U = 0 (mod m)``):
  ``U mod m = U - m (sum_q u_q + [r = 0])``, and ``out = [-(U mod m) >= 0]``.
  Depth 2 and ``p + 1`` gates with ``p = #{s in [1, n] : s = r (mod m)}`` (for
  n >= 2 and p >= 1; depth 1 and one gate for p = 0, r = 0); mod(n, 1) is the
  constant True.
* `count_into`: the bits of S, `sum_bits_into` with unit weights.
"""

from __future__ import annotations

from collections.abc import Sequence

from circuitx.builder import CircuitBuilder, Wire
from circuitx.circuit import Circuit
from circuitx.errors import GadgetError
from circuitx.gadgets.weighted import of_weighted_sum_into, sum_bits_into


def check_size(value: int, name: str, least: int = 0) -> int:
    """`value` as an int, refusing non-integers and values below `least`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise GadgetError(f"{name} must be an integer, got {value!r}")
    if value < least:
        raise GadgetError(f"{name} must be >= {least}, got {value}")
    return value


def _standalone(n: int, make) -> Circuit:
    builder = CircuitBuilder()
    xs = builder.inputs("x", check_size(n, "n"))
    return builder.build({"out": make(builder, xs)})


def parity_into(builder: CircuitBuilder, xs: Sequence[Wire], label: str | None = None) -> Wire:
    """``x_0 XOR ... XOR x_{n-1}``: depth 2, n + 1 gates."""
    return of_weighted_sum_into(builder, xs, [1] * len(xs), lambda s: s % 2 == 1, label)


def majority_into(builder: CircuitBuilder, xs: Sequence[Wire], label: str | None = None) -> Wire:
    """``[sum x > n / 2]``: one gate."""
    return builder.majority(*xs, label=label)


def exactly_into(builder: CircuitBuilder, xs: Sequence[Wire], k: int,
                 label: str | None = None) -> Wire:
    """``[sum x = k]``: depth 2, 3 gates for 0 < k < n."""
    return of_weighted_sum_into(builder, xs, [1] * len(xs), lambda s: s == k, label)


def mod_into(builder: CircuitBuilder, xs: Sequence[Wire], m: int, r: int = 0,
             label: str | None = None) -> Wire:
    """``[sum x = r (mod m)]``: depth 2, one gate per s in [1, n] with s = r (mod m), plus one."""
    check_size(m, "m", 1)
    if not 0 <= r < m:
        raise GadgetError(f"residue r must be in [0, {m}), got {r}")
    if m == 1:
        return builder.const(True)
    n = len(xs)
    thresholds = range(r if r > 0 else m, n + 1, m)
    us = [builder.at_least(xs, s, label) for s in thresholds]
    # -(U mod m) = -S - (m - r) + m * (sum_q u_q + [r == 0]) >= 0
    wires = [*xs, *us]
    weights = [-1] * n + [m] * len(us)
    return builder.gate(wires, weights, (m - r) - (m if r == 0 else 0), label)


def count_into(builder: CircuitBuilder, xs: Sequence[Wire], label: str | None = None
               ) -> list[Wire]:
    """The little-endian bits of ``sum x`` (bit length of n bits); depth 2."""
    return sum_bits_into(builder, xs, [1] * len(xs), label=label)


def parity(n: int) -> Circuit:
    """Parity of n bits (inputs x0..x{n-1}, output "out"); depth 2, n + 1 gates for n >= 2."""
    return _standalone(n, parity_into)


def majority(n: int) -> Circuit:
    """Strict majority of n bits; one gate."""
    return _standalone(n, majority_into)


def exactly(n: int, k: int) -> Circuit:
    """``[sum x = k]`` over n bits."""
    check_size(k, "k")
    return _standalone(n, lambda b, xs: exactly_into(b, xs, k))


def mod(n: int, m: int, r: int = 0) -> Circuit:
    """``[sum x = r (mod m)]`` over n bits."""
    check_size(m, "m", 1)
    return _standalone(n, lambda b, xs: mod_into(b, xs, m, r))


def count(n: int) -> Circuit:
    """The bits of the number of ones among n bits (outputs c0, c1, ...; little-endian)."""
    builder = CircuitBuilder()
    xs = builder.inputs("x", check_size(n, "n"))
    bits = count_into(builder, xs) if n else []
    return builder.build({f"c{j}": bit for j, bit in enumerate(bits)})
