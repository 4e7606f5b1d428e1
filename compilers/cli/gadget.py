"""`circuitx gadget NAME --length N`: build a threshold-circuit gadget and print its measures.

``--length`` (n; the retired ``--n`` is still read) is the size of every
gadget: the number of input bits for parity, majority, exactly, mod and count;
the bits per number for comparison, equality, addition, iterated-addition and
multiplication. ``--k`` (exactly: the count) and ``--m`` (mod: the modulus;
iterated-addition: how many numbers) are the extra parameters; ``--signed``
reads numbers in two's complement.

A gadget is estimated before it is built (its gates and wires, from the same
gadget at two small sizes, grown by the fitted exponent: `compilers.runs.budget`)
and refused past ``--max-gates``; ``exactly`` refuses a count k above n (no
n bits hold more than n ones). `stats` reads a circuit file within
``--max-memory`` and checks it (`circuitx.io.load`). Output files are checked
before any work: ``-o/--out`` ends in .json, ``--graphml`` in .graphml or .xml,
``--dot`` in .dot or .gv; the folder exists; an existing file needs ``--force``;
no output replaces the circuit file read, or another output; ``-`` writes one
of them to stdout (`compilers.cli.files`). `stats` reads FILE ``-`` from stdin.
"""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from circuitx import gadgets
from circuitx.errors import GadgetError
from compilers.cli import files, inputs
from compilers.cli.common import (
    budget_options,
    force_option,
    json_option,
    option,
    print_json,
    quiet_option,
)

MAX_SIZE = 1 << 40  # any --length, --k, --m past this is absurd before it is estimated

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
        raise GadgetError(f"--length must be >= 0, got {n}")
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
    for flag, value in (("--length", n), ("--k", k), ("--m", m)):
        if value is not None and value > MAX_SIZE:
            raise GadgetError(f"{flag} is {value}; at most {MAX_SIZE}")
    if name == "exactly" and k > n:
        raise GadgetError(f"gadget 'exactly' counts k of n bits: --k must be between 0 and "
                          f"--length ({n}), got {k}")
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


out_option = option("-o", "--out", "out", old=("--save",), default=None,
                    type=click.Path(dir_okay=False, allow_dash=True),
                    help="Write the circuit as JSON to this file (.json; -: stdout).")
graphml_option = click.option("--graphml", type=click.Path(dir_okay=False, allow_dash=True),
                              default=None, help="Also write the circuit as GraphML to this "
                                                 "file (.graphml or .xml; -: stdout).")
dot_option = click.option("--dot", type=click.Path(dir_okay=False, allow_dash=True),
                          default=None, help="Also write the circuit as Graphviz DOT to this "
                                             "file (.dot or .gv; -: stdout).")


@click.command()
@click.argument("name")
@option("--length", "n", old=("--n",), type=int, required=True,
        help="Size n: input bits (counting gadgets) or bits per number (arithmetic).")
@click.option("--k", "k", type=int, default=None, help="exactly: the count k.")
@click.option("--m", "m", type=int, default=None,
              help="mod: the modulus; iterated-addition: how many numbers.")
@click.option("--signed", is_flag=True, help="Numbers in two's complement.")
@json_option
@out_option
@graphml_option
@dot_option
@force_option
@quiet_option
@budget_options
def gadget(name: str, n: int, k: int | None, m: int | None, signed: bool, as_json: bool,
           out: str | None, graphml: str | None, dot: str | None, force: bool, quiet: bool,
           budget) -> None:
    """Build gadget NAME (parity, majority, exactly, mod, count, comparison, equality,
    addition, iterated-addition, multiplication) and print depth, size and weights."""
    from compilers.cli.common import working

    gadget_request(name, n, k, m, signed)
    written = files.outputs(force, out=out, graphml=graphml, dot=dot, as_json=as_json)
    cost = gadget_estimate(name, n, k, m, signed).check(budget)
    with working(f"building gadget {name}", cost.seconds, quiet):
        circuit = build_gadget(name, n, k, m, signed)
    files.write_circuit(circuit, **written)
    stats = circuit.stats().to_dict()
    if as_json:
        print_json({"gadget": name, "n": n, "k": k, "m": m, **stats})
        return
    _print_stats(f"gadget {name} (n={n}" + (f", k={k}" if k is not None else "")
                 + (f", m={m}" if m is not None else "") + ")", stats,
                 stderr=files.to_stdout(written))


def _print_stats(title: str, stats: dict, *, stderr: bool = False) -> None:
    table = Table(title=title)
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in stats.items():
        table.add_row(key, str(value))
    Console(stderr=stderr).print(table)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@json_option
@graphml_option
@dot_option
@force_option
@budget_options
def stats(file: str, as_json: bool, graphml: str | None, dot: str | None, force: bool,
          budget) -> None:
    """Check the circuit saved in FILE (by `gadget -o` or `circuit -o`; -: stdin) and print
    its depth, size, wires, fan-in and weights."""
    from circuitx import io  # networkx
    from circuitx.jsonfile import loads

    reads = {} if file == inputs.STDIN else {"circuit file": file}
    written = files.outputs(force, reads, graphml=graphml, dot=dot, as_json=as_json)
    if file == inputs.STDIN:  # malformed: FormatError naming the key
        data = inputs.stdin_bytes("FILE", max_bytes=budget.memory)
        circuit = io.from_dict(loads(data, what="the circuit on stdin", max_bytes=budget.memory))
    else:
        circuit = io.load(file, max_bytes=budget.memory)
    files.write_circuit(circuit, **written)
    measures = circuit.stats().to_dict()
    if as_json:
        print_json({"file": file, **measures})
        return
    _print_stats("stdin" if file == inputs.STDIN else file, measures,
                 stderr=files.to_stdout(written))
