"""`circuitx gadget NAME --n N`: build a threshold-circuit gadget and print its measures.

``--n`` is the size of every gadget: the number of input bits for parity,
majority, exactly, mod and count; the bits per number for comparison,
equality, addition, iterated-addition and multiplication. ``--k`` (exactly:
the count) and ``--m`` (mod: the modulus; iterated-addition: how many numbers)
are the extra parameters; ``--signed`` reads numbers in two's complement.

A gadget is estimated before it is built (its gates and wires, from the same
gadget at two small sizes, grown by the fitted exponent: `compilers.runs.budget`)
and refused past ``--max-gates``; ``exactly`` refuses a count k above n (no
n bits hold more than n ones). `stats` reads a circuit file within
``--max-memory`` and checks it (`circuitx.io.load`). Output files are checked
before any work: ``--save`` ends in .json, ``--graphml`` in .graphml or .xml,
``--dot`` in .dot or .gv; the folder exists; an existing file needs ``--force``;
no output replaces the circuit file read, or another output.
"""

from __future__ import annotations

import json

import click
from rich.console import Console
from rich.table import Table

from circuitx import gadgets
from circuitx.errors import GadgetError
from compilers.cli.common import budget_options, force_option

MAX_SIZE = 1 << 40  # any --n, --k, --m past this is absurd before it is estimated

SIGNED = {"comparison", "equality", "addition", "iterated-addition", "multiplication"}


def gadget_request(name: str, n: int, k: int | None = None, m: int | None = None,
                   signed: bool = False):
    """(constructor, keywords) of gadget `name` at size n, every argument checked (see the
    module docstring)."""
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
    for flag, value in (("--n", n), ("--k", k), ("--m", m)):
        if value is not None and value > MAX_SIZE:
            raise GadgetError(f"{flag} is {value}; at most {MAX_SIZE}")
    if name == "exactly" and k > n:
        raise GadgetError(f"gadget 'exactly' counts k of n bits: --k must be between 0 and "
                          f"--n ({n}), got {k}")
    if signed:
        if name not in SIGNED:
            raise GadgetError(f"gadget {name!r} takes no --signed")
        kwargs["signed"] = True
    return make, kwargs


def build_gadget(name: str, n: int, k: int | None = None, m: int | None = None,
                 signed: bool = False):
    """The circuit of gadget `name` at size n (see the module docstring)."""
    make, kwargs = gadget_request(name, n, k, m, signed)
    return make(**kwargs)


def gadget_estimate(name: str, n: int, k: int | None, m: int | None, signed: bool):
    """The gates and wires of gadget `name`, extrapolated from the same gadget at sizes 8
    and 16 (n, and m, scaled down together; see `compilers.runs.budget.extrapolate`)."""
    import time

    from compilers.runs import budget as estimates

    largest = max(n, m or 0)
    what = f"gadget {name} (n = {n}{f', m = {m}' if m is not None else ''})"
    if largest <= 16:
        return estimates.Estimate(what, 0, 0, 0)

    def measure(p: int):
        scale = p / largest
        small_n = max(1, round(n * scale)) if n else 0
        small_m = None if m is None else max(1, round(m * scale))
        small_k = None if k is None else min(k, small_n)
        start = time.perf_counter()
        stats = build_gadget(name, small_n, small_k, small_m, signed).stats()
        return p, stats.size + stats.wires, time.perf_counter() - start

    fit = estimates.extrapolate(measure, largest)
    elements, seconds = fit.at(largest)
    return estimates.Estimate(what, elements, elements * estimates.ELEMENT_BYTES, seconds)


def written(force: bool, reads: dict | None = None, **paths) -> dict:
    """The output paths, checked before any work (see the module docstring)."""
    from compilers.cli.circuit import outputs

    return outputs(force, reads, **paths)


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
              help="Write the circuit as JSON to this file (.json).")
@click.option("--graphml", type=click.Path(dir_okay=False), default=None,
              help="Write the circuit as GraphML to this file (.graphml or .xml).")
@force_option
@budget_options
def gadget(name: str, n: int, k: int | None, m: int | None, signed: bool, as_json: bool,
           save: str | None, graphml: str | None, force: bool, budget) -> None:
    """Build gadget NAME (parity, majority, exactly, mod, count, comparison, equality,
    addition, iterated-addition, multiplication) and print depth, size and weights."""
    from compilers.cli.common import working

    gadget_request(name, n, k, m, signed)
    files = written(force, save=save, graphml=graphml)
    cost = gadget_estimate(name, n, k, m, signed).check(budget)
    with working(f"building gadget {name}", cost.seconds, as_json):
        circuit = build_gadget(name, n, k, m, signed)
    if save or graphml:
        from circuitx import io  # networkx: only when writing a file
    if files["graphml"]:
        io.to_graphml(circuit, files["graphml"])
    if files["save"]:
        io.save(circuit, files["save"])
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
              help="Also write the circuit as GraphML to this file (.graphml or .xml).")
@click.option("--dot", type=click.Path(dir_okay=False), default=None,
              help="Also write the circuit as Graphviz DOT to this file (.dot or .gv).")
@force_option
@budget_options
def stats(file: str, as_json: bool, graphml: str | None, dot: str | None, force: bool,
          budget) -> None:
    """Check the circuit saved in FILE (by `gadget --save` or `circuit --save`) and print
    its depth, size, wires, fan-in and weights."""
    from circuitx import io  # networkx
    from circuitx.jsonfile import write

    files = written(force, {"circuit file": file}, graphml=graphml, dot=dot)
    circuit = io.load(file, max_bytes=budget.memory)  # malformed: FormatError naming the key
    if files["graphml"]:
        io.to_graphml(circuit, files["graphml"])
    if files["dot"]:
        write(files["dot"], io.to_dot(circuit), what="DOT file")
    measures = circuit.stats().to_dict()
    if as_json:
        click.echo(json.dumps({"file": file, **measures}, indent=1))
        return
    _print_stats(file, measures)
