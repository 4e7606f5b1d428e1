"""What both SUBLEQ layouts share: ±1 codes, the matching and writing heads,
the derived temperature, dtype limits.

Codes (Giannou et al. 2023, Sec. 3): a column index j is written as the ±1
vector ``p_j`` of its L binary digits (bit 0 first, digit 1 -> +1, 0 -> -1), so
``<p_i, p_j> = L - 2 hamming(i, j)``: L at i = j, at most L - 2 elsewhere. A
word is N bits of two's complement, each as ±1.

The temperature. Every head of the loop body scores its target column at
least ``lambda`` above every other column (the write head: target L, the
column itself L - 1; the reads: L against at most L - 2; the esolang operand
heads' sentinel: L + 1 against at most L for address -1, at most L - 1
against the match L otherwise; see `subleq_esolang`). With n columns the
weight off the target is at most ``(n - 1) e^{-lambda}``, and since values
differ by at most 2, a read is off by at most ``delta = 2 (n - 1) e^{-lambda}``.
The subtraction MLP forms integers ``sum_s 2^s (y_s - x_s)`` of up to N read
bits, so the error there is below ``2^N delta``; its step gadgets are exact
for errors below 1/4. We take

    lambda = ceil(ln(n) + (N + 6) ln 2)      so that   2^N delta <= 1/32,

which also keeps the score perturbation of a query that carries error delta
small: a score moves by at most delta per query row that carries it (the L
code rows; the esolang operand heads' sentinel adds N), so a gap shrinks by
at most ``2 L lambda delta`` (giannou) or ``2 (L + N) lambda delta`` (esolang,
where ``L <= max(2, N - 1)``: below 0.75 at every esolang size, largest at
N = 2 with 65,536 input columns), and the leak grows by a factor below
``e^0.75 < 2.2``, inside the factor 8 between the 1/32 aimed at and the 1/4
absorbed. Everything after the reads snaps back to exact ±1 / 0 / 1 values
(see `subleq_gadgets`), so the error does not grow from one loop to the next:
the run is exact for as long as the program runs, in exact arithmetic
(softmax through mpmath).

Floats. Rounding adds, per loop, at most about ``c W 2^W u`` to the integer
forms (W = max(N, L + 1) bits weighted by up to 2^W, u the unit roundoff,
c a small constant); we claim a float dtype for the sizes when
``64 W 2^W u <= 1`` (float64: W <= 41, float32: W <= 14, float16: W <= 3,
bfloat16: W <= 1, so never, as L >= 2) and refuse it otherwise. This is a
first-order bound, not a proof about every rounding; each run also checks
after every loop that every state entry is within 1/4 of its exact value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from compilers.dtypes import UNIT_ROUNDOFF
from compilers.errors import CompileError
from compilers.ir import Head, matrix

SAFETY = 64


class SubleqSizeError(CompileError):
    """Sizes that no punchcard can hold (a program larger than its slots, ...)."""


class SubleqInputError(CompileError):
    """More input bytes than the punchcard has input columns."""


class SubleqPrecisionError(CompileError):
    """A float dtype whose precision cannot guarantee the run for these sizes."""


def bits_of(prefix: str, count: int) -> tuple[str, ...]:
    """Direction names ``prefix0 .. prefix{count-1}``."""
    return tuple(f"{prefix}{t}" for t in range(count))


def code(value: int, width: int) -> list[int]:
    """``value``'s low `width` binary digits as ±1, bit 0 first (two's complement)."""
    return [1 if (value >> t) & 1 else -1 for t in range(width)]


def position_bits(columns: int) -> int:
    """L: enough bits to tell the columns 0 .. columns - 1 apart, at least 2."""
    return max(2, (columns - 1).bit_length())


def temperature(columns: int, bits: int) -> int:
    """The softmax scale lambda (see the module docstring)."""
    return math.ceil(math.log(columns) + (bits + 6) * math.log(2))


def max_float_bits(dtype: str) -> int:
    """The largest W with ``SAFETY * W * 2^W * u <= 1`` (0 if none)."""
    u = Fraction(UNIT_ROUNDOFF[dtype])
    w = 0
    while SAFETY * (w + 1) * 2 ** (w + 1) * u <= 1:
        w += 1
    return w


def check_dtype(dtype: str | None, *, bits: int, position: int, columns: int) -> None:
    """Refuse a float dtype that cannot carry N-bit words over `columns` columns."""
    if dtype is None:
        return
    if dtype not in UNIT_ROUNDOFF:
        raise SubleqPrecisionError(f"unknown dtype {dtype!r}; allowed: "
                                   f"{', '.join(UNIT_ROUNDOFF)}")
    need = max(bits, position + 1)
    limit = max_float_bits(dtype)
    if need > limit:
        raise SubleqPrecisionError(
            f"{dtype} cannot guarantee this punchcard: {bits}-bit words and {columns} columns "
            f"({position} position bits) need W = max(bits, position bits + 1) = {need}, but "
            f"{dtype} (unit roundoff 2^{round(math.log2(UNIT_ROUNDOFF[dtype]))}) allows W <= "
            f"{limit} ({SAFETY} W 2^W u <= 1); use float64 or the exact backend")


def match_head(label: str, query_rows, pos_rows, value: dict, *, kind, sink: bool = False,
               sentinel: dict | None = None):
    """A head that reads `value` from the column whose code (`pos_rows`) equals
    the query's code (`query_rows`), both L ±1 bits.

    The score is ``<q, p_j>``: L at the match, at most L - 2 elsewhere (see the
    module docstring). With `sink`, every column but the scratchpad also
    scores the scratchpad 2 (query ``2 (one - scratch)``, key ``scratch``), so
    that a column whose query rows are 0 reads the scratchpad, where the read
    rows are 0, and its read stays (almost) 0 (Giannou et al. 2023, Sec. 3).
    With `sentinel` (a form in the query column's rows), the scratchpad also
    scores that form (key ``scratch``): a sentinel key that the caller makes
    win exactly when the query codes no column (see `subleq_esolang`).
    """
    h = bits_of("h", len(pos_rows))
    q = {(h[t], query_rows[t]): 1 for t in range(len(h))}
    k = {(h[t], pos_rows[t]): 1 for t in range(len(h))}
    rows = list(h)
    if sink:
        q |= {("sink", "one"): 2, ("sink", "scratch"): -2}
        k |= {("sink", "scratch"): 1}
        rows.append("sink")
    if sentinel:
        q |= {("sentinel", d): w for d, w in sentinel.items()}
        k |= {("sentinel", "scratch"): 1}
        rows.append("sentinel")
    return Head(label=label, query=matrix(q, rows=rows), key=matrix(k, rows=rows),
                value=matrix(value), kind=kind)


def write_head(address_rows, pos_rows, new_rows, word_rows, out_rows, *, key_bias: dict,
               kind, sink: dict | None = None) -> Head:
    """The write: memory column j takes `new_rows` (from the scratchpad) if j is
    the address, else keeps its own word, into `out_rows`.

    Column j scores the scratchpad by ``<p_j, address> + b`` (`key_bias`, a
    form in the scratchpad's rows, read through the row ``one`` of the query)
    and every other column i by ``<p_j, p_i> - 1``: with b = 0, the addressed
    column scores the scratchpad L against L - 1 for itself, every other
    column itself L - 1 against at most L - 2. The value is ``new + word``
    (new is 0 off the scratchpad, the word 0 on it). Giannou et al. 2023,
    Sec. 3 (the write of the memory). With `sink` (a form in the query
    column's rows), the scratchpad also scores that form (key ``scratch``).
    """
    h = bits_of("h", len(pos_rows))
    query = {(h[t], pos_rows[t]): 1 for t in range(len(h))} | {("bias", "one"): 1}
    key = ({(h[t], address_rows[t]): 1 for t in range(len(h))}
           | {(h[t], pos_rows[t]): 1 for t in range(len(h))}
           | {("bias", d): w for d, w in key_bias.items()})
    rows = (*h, "bias")
    if sink:
        query |= {("sink", d): w for d, w in sink.items()}
        key |= {("sink", "scratch"): 1}
        rows += ("sink",)
    value = ({(o, r): 1 for o, r in zip(out_rows, new_rows, strict=True)}
             | {(o, r): 1 for o, r in zip(out_rows, word_rows, strict=True)})
    return Head(label="write", query=matrix(query, rows=rows), key=matrix(key, rows=rows),
                value=matrix(value), kind=kind)


def word_value(bits) -> int:
    """The two's-complement integer of 0/1 digits (bit 0 first)."""
    n = len(bits)
    value = sum(int(b) << t for t, b in enumerate(bits))
    return value - (1 << n) if n and bits[-1] else value


@dataclass(frozen=True)
class Decoded:
    """A machine state read back from a punchcard after a loop.

    Attributes:
        pc: the program counter (giannou: the instruction slot; esolang: the word).
        memory: the memory words.
        halted: the machine has halted (no further loop changes anything).
        byte: the byte this loop printed (esolang), or None.
        fault: this punchcard met an out-of-range address (esolang) and froze.
    """

    pc: int
    memory: tuple[int, ...]
    halted: bool = False
    byte: int | None = None
    fault: bool = False
