"""Tour section: BB(2) run by Pérez et al.'s transformer, exact and in float64."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from compilers.constructions import tm, tm_run
from compilers.saving import save

BB2 = "1RB1LB_1LA1RZ"


def show(console: Console, out_dir: Path) -> None:
    """Compile BB(2), save it, run it through both backends, print the decoded steps."""
    construction = tm.build(BB2)
    path = save(construction, out_dir / "tm_bb2", dtype="float64")
    t = construction.transformer
    console.print(f"BB(2) {BB2} compiled: encoder width {t.encoder.width}, decoder width "
                  f"{t.width} (2|Q| + 5|Σ| + 11 with |Q| = 2, |Σ| = 2), "
                  f"{len(t.heads())} decoder heads; saved to {path}")
    exact = tm_run.simulate(construction, backend="exact", max_steps=100)
    floats = tm_run.simulate(construction, backend="torch", dtype="float64", max_steps=100)
    table = Table(title="BB(2), decoded from the transformer's outputs (exact = float64 = "
                        "reference)")
    for column in ("step", "state", "head", "read", "write", "move", "next", "head after"):
        table.add_column(column, justify="right")
    for s in exact.steps:
        table.add_row(str(s.step), s.state, str(s.head), s.read, s.write, s.move,
                      s.next_state, str(s.head_after))
    console.print(table)
    for name, result in (("exact", exact), ("torch float64", floats)):
        out = result.as_dict()
        console.print(f"{name:>13}: halted={out['halted']} steps={out['steps']} "
                      f"ones={out['ones']} tape={out['tape']} "
                      f"agrees_with_reference={out['agrees_with_reference']} "
                      f"trusted={out['trusted']}")
    bb4 = tm_run.precision_report("1RB1LB_1LA0LC_1RZ1LD_1RD0RA", dtype="float32", max_steps=200)
    console.print(f"BB(4) in float32: {bb4['steps_run']} steps, first departure "
                  f"{bb4['first_departure']}, guaranteed for {bb4['guaranteed_steps']} steps.")
