"""Tour section: PARITY compiled into a threshold circuit; depth flat, size polynomial."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from circuitx import gadgets
from compilers.constructions import parity
from compilers.runs.circuits import circuit_of
from compilers.runs.scaling import fit_exponent, measure


def show(console: Console, out_dir: Path) -> None:
    """Compile PARITY (average-hard) at a few n; compare with the hand-built circuit; plot."""
    recognizer = parity.build(attention="average-hard", layernorm=True)
    model = circuit_of(recognizer, n=6)
    words = ["110100", "110101"]
    console.print(f"PARITY (average-hard, layer norm) at n = 6: accept bits "
                  f"{dict(zip(words, model.accepts(words).tolist(), strict=True))}; "
                  f"the circuit's logits {[str(z) for z in model.logits(words)]} are the "
                  "exact backend's.")
    points = measure(recognizer, [4, 8, 16, 32, 64, 128])
    table = Table(title="compiled PARITY circuit vs the hand-built one (n + 1 gates)")
    for column in ("n", "depth", "size", "hand-built size", "wires", "precision", "seconds"):
        table.add_column(column, justify="right")
    for p in points:
        table.add_row(str(p.n), str(p.depth), str(p.size), str(gadgets.parity(p.n).size),
                      str(p.wires), p.precision, f"{p.seconds:.2f}")
    console.print(table)
    exponent = fit_exponent(points)
    console.print(f"depth {sorted({p.depth for p in points})} at every n (TC0: constant depth); "
                  f"size ~ n^{exponent:.2f}.")
    try:
        from compilers.runs.plots import plot_scaling

        path = plot_scaling(points, out_dir / "parity_circuit_scaling.png",
                            title="PARITY compiled to a threshold circuit", exponent=exponent)
        console.print(f"scaling plot: {path}")
    except Exception as error:  # matplotlib missing: the tour goes on without the picture
        console.print(f"(no plot: {error})")
