"""Tour section: Chiang & Cholak's PARITY compiled, checked, and its cross-entropy curve."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from compilers.constructions import parity
from compilers.runs.check import check
from compilers.runs.precision import largest_correct_length, length_grid, precision_sweep
from compilers.runs.saving import save
from compilers.runs.stats import summary_table


def show(console: Console, out_dir: Path) -> None:
    """Compile PARITY with layer norm, save it, check it, sweep float32 and plot CE curves."""
    recognizer = parity.build(layernorm=True)
    path = save(recognizer, out_dir / "parity")
    console.print(summary_table(recognizer, "PARITY with layer norm (Sec. 5)"))
    console.print(f"saved to {path}")

    report = check(recognizer, lengths=range(0, 9), samples=256)
    for backend, tally in report.backends.items():
        console.print(f"{backend:>5}: {tally.checked} words of length 0..8 (all of them), "
                      f"{tally.failed} wrong")

    curves = {}
    lengths = length_grid(5000)
    for label, options in (("no layer norm", {}), ("layer norm, eps 0", {"layernorm": True}),
                           ("layer norm, eps 1e-5", {"layernorm": True, "epsilon": "1e-5"})):
        curves[label] = precision_sweep(parity.build(**options), lengths, dtype="float32",
                                        samples=16)
    table = Table(title="float32: mean cross-entropy, bits per word (x: a wrong answer)")
    table.add_column("n", justify="right")
    for label in curves:
        table.add_column(label, justify="right")
    for row, n in enumerate(lengths):
        cells = [f"{p.mean_bits:.4f}" + ("" if p.correct == p.words else " x")
                 for p in (curves[label][row] for label in curves)]
        table.add_row(str(n), *cells)
    console.print(table)
    console.print(f"float32 is guaranteed up to n = {recognizer.limits['float32']} by the "
                  "error analysis; the sweep shows every word right up to "
                  f"n = {largest_correct_length(curves['layer norm, eps 0'])}.")
    try:
        from compilers.runs.plots import plot_cross_entropy

        plot = plot_cross_entropy(curves, out_dir / "parity_cross_entropy.png",
                                  title="PARITY, float32",
                                  guaranteed={"layer norm, eps 0": recognizer.limits["float32"]})
        console.print(f"cross-entropy curves: {plot}")
    except Exception as error:  # matplotlib missing: the tour goes on without the picture
        console.print(f"(no plot: {error})")
