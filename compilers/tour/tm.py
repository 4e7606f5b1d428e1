"""Tour section: BB(2) run by Pérez et al.'s transformer, exact and in float64."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from compilers.constructions import tm
from compilers.runs import generate
from compilers.runs.precision import departure
from compilers.runs.saving import save

BB2 = "1RB1LB_1LA1RZ"


def show(console: Console, out_dir: Path) -> None:
    """Compile BB(2), save it, run it through both backends, print the decoded steps."""
    construction = tm.build(BB2)
    path = save(construction, out_dir / "tm_bb2", dtype="float64")
    t = construction.transformer
    console.print(f"BB(2) {BB2} compiled: {len(t.heads())} decoder heads, encoder width "
                  f"{t.encoder.width}, decoder width {t.width} = 2|Q| + 5|Σ| + 11 "
                  f"(|Q| = |Σ| = 2)")
    console.print(f"saved to {path}")
    (exact,) = generate(construction, [""], backend="exact", max_steps=100)
    (floats,) = generate(construction, [""], backend="torch", dtype="float64", max_steps=100)
    table = Table(title="BB(2), decoded from the transformer's outputs")
    for column in ("step", "state", "head", "read", "write", "move", "next", "head after"):
        table.add_column(column, justify="right")
    for s in exact.trace:
        table.add_row(str(s.step), s.state, str(s.head), s.read, s.write, s.move,
                      s.next_state, str(s.head_after))
    console.print(table)
    runs = Table(title="the whole run, against the reference interpreter")
    for column in ("backend", "halted", "steps", "tape", "agrees", "trusted"):
        runs.add_column(column)
    for name, result in (("exact", exact), ("torch float64", floats)):
        out = result.as_dict()
        runs.add_row(name, str(out["halted"]), str(out["steps"]), out["tape"],
                     str(out["agrees_with_reference"]), str(out["trusted"]))
    console.print(runs)
    bb4 = departure(tm.build("1RB1LB_1LA0LC_1RZ1LD_1RD0RA"), "", dtype="float32", max_steps=200)
    first = bb4["first_departure"]
    console.print(f"BB(4) in float32: {bb4['steps_run']} steps, "
                  + ("no departure from the reference trace" if first is None
                     else f"first departure at step {first}")
                  + f"; the error analysis guarantees {bb4['guaranteed_steps']} steps. "
                  "Try `circuitx precision tm 1RB1LB_1LA0LC_1RZ1LD_1RD0RA --dtype float16`.")
