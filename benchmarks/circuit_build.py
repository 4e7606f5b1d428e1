"""Build iterated addition of 256 16-bit numbers and parity(4096): seconds and peak memory.

    python benchmarks/circuit_build.py
"""

from __future__ import annotations

import time
import tracemalloc

from circuitx import gadgets


def measure(name: str, make) -> None:
    tracemalloc.start()
    start = time.perf_counter()
    circuit = make()
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    s = circuit.stats()
    print(f"{name:34s} {seconds:6.2f} s  peak {peak / 2**20:7.1f} MiB  depth {s.depth}  "
          f"size {s.size}  wires {s.wires}  max weight bits {s.max_weight_bits}")


def main() -> None:
    measure("iterated addition 256 x 16 bits", lambda: gadgets.iterated_addition(256, 16))
    measure("parity(4096)", lambda: gadgets.parity(4096))
    measure("multiplication 32 bits", lambda: gadgets.multiplication(32))


if __name__ == "__main__":
    main()
