"""Plain-Python helpers the circuitx tests use as oracles (independent of circuitx)."""

import itertools

import numpy as np


def all_rows(n: int) -> np.ndarray:
    """Every input of n bits, as rows of a (2**n, n) bool array."""
    rows = list(itertools.product((False, True), repeat=n))
    return np.array(rows, dtype=bool).reshape(len(rows), n)


def value(bits, signed: bool = False) -> int:
    """The integer of little-endian bits (two's complement if signed)."""
    bits = [bool(b) for b in bits]
    total = sum(1 << i for i, b in enumerate(bits) if b)
    if signed and bits and bits[-1]:
        total -= 1 << len(bits)
    return total


def bits_of(number: int, width: int) -> list[bool]:
    """The little-endian width-bit two's complement bits of number."""
    return [bool(number >> i & 1) for i in range(width)]
