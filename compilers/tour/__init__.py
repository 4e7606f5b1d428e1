"""The tour: one section per capability, run in order by `run_tour`.

Each section is a module of this package with a `show(console, out_dir)`
function; it prints what its capability does on small, fast inputs (the whole
tour stays under a minute on a laptop CPU).
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path

from rich.console import Console
from rich.rule import Rule

SECTIONS = (
    # (module, title), in reading order: the languages and machines, the three
    # constructions that compute them, then circuits and the circuit backend
    ("languages", "The language zoo"),
    ("machines", "Reference machines: Turing machines and SUBLEQ"),
    ("parity", "Chiang & Cholak: PARITY as a transformer"),
    ("tm", "Pérez et al.: a Turing machine as a transformer"),
    ("subleq", "Giannou et al.: a looped SUBLEQ computer"),
    ("dyck", "The Transformer Cookbook: Dyck-2 of depth 3, hard and average-hard"),
    ("circuits", "Threshold circuits"),
    ("circuit_backend", "The circuit backend: PARITY as a threshold circuit"),
)


def run_tour(out_dir: str | Path, console: Console | None = None) -> None:
    """Run every section of the tour, writing its files under `out_dir`."""
    console = console or Console()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for module, title in SECTIONS:
        console.print(Rule(title))
        importlib.import_module(f"compilers.tour.{module}").show(console, out)
    console.print(Rule())
    console.print(f"tour done in {time.perf_counter() - start:.1f} s; files in {out}/")
