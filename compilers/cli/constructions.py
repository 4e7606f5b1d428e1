"""`circuitx constructions [--json]`: every registered construction, with its paper.

The JSON is a list of ``{"name", "title", "paper", "mode", "circuit", "inputs",
"options"}``, each option ``{"name", "flag", "kind", "default", "help"}``;
constructions that installed packages register (entry-point group
``circuitx.constructions``) are listed beside circuitx's own.
"""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from compilers.cli.common import json_option, print_json


def rows() -> list[dict]:
    """The registry as the JSON of `circuitx constructions --json`."""
    from compilers.constructions import families

    return [{"name": f.name, "title": f.title, "paper": f.paper, "mode": f.mode,
             "circuit": f.circuit, "inputs": f.inputs,
             "options": [{"name": o.name, "flag": o.flag if not o.argument else
                          (o.metavar or o.name.upper()), "kind": o.kind,
                          "default": o.default, "help": o.help} for o in f.options]}
            for f in families().values()]


@click.command("constructions")
@json_option
def constructions_command(as_json: bool) -> None:
    """List the registered constructions: name, paper, how they run, what the circuit
    backend lowers."""
    listed = rows()
    if as_json:
        print_json(listed)
        return
    table = Table(title="registered constructions")
    for column in ("name", "construction", "paper", "runs as", "circuit", "inputs"):
        table.add_column(column)
    for row in listed:
        table.add_row(row["name"], row["title"], row["paper"], row["mode"],
                      row["circuit"] or "-", row["inputs"])
    Console(soft_wrap=True).print(table)
