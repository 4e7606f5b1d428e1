"""`circuitx gadget NAME --n N`: build a threshold-circuit gadget and print its measures.

``--n`` is the size of every gadget: the number of input bits for parity,
majority, exactly, mod and count; the bits per number for comparison,
equality, addition, iterated-addition and multiplication. ``--k`` (exactly:
the count) and ``--m`` (mod: the modulus; iterated-addition: how many numbers)
are the extra parameters; ``--signed`` reads numbers in two's complement.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from circuitx import gadgets
from circuitx.errors import GadgetError

SIGNED = {"comparison", "equality", "addition", "iterated-addition", "multiplication"}


def build_gadget(name: str, n: int, k: int | None = None, m: int | None = None,
                 signed: bool = False):
    """The circuit of gadget `name` at size n (see the module docstring)."""
    if name not in gadgets.GADGETS:
        raise GadgetError(f"unknown gadget {name!r}; choose one of "
                          f"{', '.join(sorted(gadgets.GADGETS))}")
    make, size_name, extras = gadgets.GADGETS[name]
    if n < 0:
        raise GadgetError(f"--n must be >= 0, got {n}")
    given = {"k": k, "m": m}
    kwargs = {size_name: n}
    for extra, value in given.items():
        if extra in extras:
            if value is None:
                raise GadgetError(f"gadget {name!r} needs --{extra}")
            if value < 0:
                raise GadgetError(f"--{extra} must be >= 0, got {value}")
            kwargs[extra] = value
        elif value is not None:
            raise GadgetError(f"gadget {name!r} takes no --{extra}")
    if signed:
        if name not in SIGNED:
            raise GadgetError(f"gadget {name!r} takes no --signed")
        kwargs["signed"] = True
    return make(**kwargs)


@click.command()
@click.argument("name")
@click.option("--n", "n", type=int, required=True,
              help="Size: input bits (counting gadgets) or bits per number (arithmetic).")
@click.option("--k", "k", type=int, default=None, help="exactly: the count k.")
@click.option("--m", "m", type=int, default=None,
              help="mod: the modulus; iterated-addition: how many numbers.")
@click.option("--signed", is_flag=True, help="Numbers in two's complement.")
@click.option("--json", "as_json", is_flag=True, help="Print the measures as JSON.")
@click.option("--save", type=click.Path(dir_okay=False), default=None,
              help="Write the circuit as JSON to this file.")
@click.option("--graphml", type=click.Path(dir_okay=False), default=None,
              help="Write the circuit as GraphML to this file.")
def gadget(name: str, n: int, k: int | None, m: int | None, signed: bool, as_json: bool,
           save: str | None, graphml: str | None) -> None:
    """Build gadget NAME (parity, majority, exactly, mod, count, comparison, equality,
    addition, iterated-addition, multiplication) and print depth, size and weights."""
    circuit = build_gadget(name, n, k, m, signed)
    if save or graphml:
        from circuitx import io  # networkx: only when writing a file
    if save:
        io.save(circuit, save)
    if graphml:
        io.to_graphml(circuit, graphml)
    stats = circuit.stats().to_dict()
    if as_json:
        click.echo(json.dumps({"gadget": name, "n": n, "k": k, "m": m, **stats}, indent=1))
        return
    _print_stats(f"gadget {name} (n={n}" + (f", k={k}" if k is not None else "")
                 + (f", m={m}" if m is not None else "") + ")", stats)


def _print_stats(title: str, stats: dict) -> None:
    table = Table(title=title)
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in stats.items():
        table.add_row(key, str(value))
    Console().print(table)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the measures as JSON.")
@click.option("--graphml", type=click.Path(dir_okay=False), default=None,
              help="Also write the circuit as GraphML to this file.")
@click.option("--dot", type=click.Path(dir_okay=False), default=None,
              help="Also write the circuit as Graphviz DOT to this file.")
def stats(file: str, as_json: bool, graphml: str | None, dot: str | None) -> None:
    """Check the circuit saved in FILE (by `gadget --save` or `circuit --save`) and print
    its depth, size, wires, fan-in and weights."""
    from circuitx import io  # networkx

    circuit = io.load(file)  # a malformed file: FormatError naming what is wrong
    if graphml:
        io.to_graphml(circuit, graphml)
    if dot:
        Path(dot).write_text(io.to_dot(circuit))
    measures = circuit.stats().to_dict()
    if as_json:
        click.echo(json.dumps({"file": file, **measures}, indent=1))
        return
    _print_stats(file, measures)
