"""Tour section: threshold circuits, built from gadgets, measured, evaluated and verified."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from circuitx import gadgets, io, verify
from circuitx.evaluate import evaluate


def show(console: Console, out_dir: Path) -> None:
    """Build parity(n) and a k-bit adder, print their measures, check them, save one."""
    table = Table(title="constant-depth threshold circuits")
    for column in ("circuit", "depth", "size", "wires", "max |w| bits"):
        table.add_column(column, justify="right" if column != "circuit" else "left")
    rows = [(f"parity({n})", gadgets.parity(n)) for n in (4, 16, 64)]
    rows += [(f"addition({k} bits)", gadgets.addition(k)) for k in (4, 16)]
    rows.append(("iterated addition (8 x 8 bits)", gadgets.iterated_addition(8, 8)))
    rows.append(("multiplication (8 bits)", gadgets.multiplication(8)))
    for name, circuit in rows:
        s = circuit.stats()
        table.add_row(name, str(s.depth), str(s.size), str(s.wires), str(s.max_weight_bits))
    console.print(table)

    adder = gadgets.addition(4)
    verdict = verify.computes(adder, _add_reference, vectorized=True)
    console.print(f"addition(4) against x + y on all 256 inputs: "
                  f"{'equal' if verdict else verdict.counterexample}")
    same = verify.equivalent(gadgets.parity(12), gadgets.mod(12, 2, 1))
    console.print(f"parity(12) equivalent to mod(12, 2, r=1): {bool(same)} ({same.method})")
    rng = np.random.default_rng(0)
    words = rng.integers(0, 2, size=(4096, 64), dtype=np.uint8).astype(bool)
    agree = np.array_equal(evaluate(gadgets.parity(64), words, backend="torch")[:, 0],
                           words.sum(axis=1) % 2 == 1)
    console.print(f"parity(64), torch evaluator, 4096 random words: agrees with sum mod 2: "
                  f"{agree}")
    path = Path(out_dir) / "adder4.graphml"
    io.to_graphml(adder, path)
    console.print(f"wrote {path} (also: circuitx gadget addition --length 4 --graphml FILE)")


def _add_reference(bits: np.ndarray) -> np.ndarray:
    powers = 1 << np.arange(4)
    total = bits[:, :4] @ powers + bits[:, 4:] @ powers
    return ((total[:, None] >> np.arange(5)) & 1).astype(bool)
