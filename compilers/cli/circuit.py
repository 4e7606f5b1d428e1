"""Commands for the circuit backend: circuit (compile at one n) and scaling (depth, size vs n).

Both are groups with one subcommand per registered recognizer, so that each
construction lists its own options (``circuitx circuit parity --attention
average-hard --length 16 --json``).
"""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from compilers.backends.circuit import UnsupportedError
from compilers.cli.common import construction_options, json_option, parse_lengths, print_json
from compilers.constructions import RECOGNIZERS

precision_option = click.option(
    "--precision", default="auto", show_default=True,
    help="'auto' (exact where possible; bits derived from exact intervals) or INT.FRAC "
         "fixed-point bits, e.g. 4.12.")


class _Constructions(click.Group):
    """A group of one subcommand per construction; an unknown one is a one-line error."""

    def resolve_command(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            raise UnsupportedError(f"unknown construction {args[0]!r}; known: "
                                   f"{', '.join(self.commands)}")
        return super().resolve_command(ctx, args)


@click.group(name="circuit", cls=_Constructions)
def circuit_group() -> None:
    """Compile a construction at input length N into a threshold circuit; print its measures."""


@click.group(name="scaling", cls=_Constructions)
def scaling_group() -> None:
    """Depth and size of a construction's circuit against n, with the fitted size exponent."""


def _add_commands(name: str) -> None:
    entry = RECOGNIZERS[name]

    @circuit_group.command(name=name, help=f"Compile {entry.title} into a threshold circuit.")
    @construction_options(name)
    @click.option("--length", "length", required=True, type=int, help="The word length n.")
    @precision_option
    @json_option
    @click.option("--graphml", type=click.Path(dir_okay=False), help="Write GraphML here.")
    @click.option("--save", type=click.Path(dir_okay=False), help="Write the circuit's JSON here.")
    def circuit_command(length, precision, as_json, graphml, save, **options):
        from compilers.backends.circuit import compile_recognizer

        model = compile_recognizer(entry.build(**options), length, precision=precision)
        stats = model.circuit.stats().to_dict()
        report = {"construction": name, "options": options, "n": length,
                  "precision": str(model.precision), "precision_auto": model.auto, **stats}
        write_circuit(model.circuit, graphml=graphml, save=save)
        if as_json:
            print_json(report)
            return
        table = Table(title=f"{name} at n = {length}, precision {model.precision}"
                            f"{' (auto)' if model.auto else ''}", show_header=False)
        for key in ("depth", "size", "wires", "inputs", "max_fan_in", "max_weight_bits",
                    "gates_per_layer"):
            table.add_row(key, str(stats[key]))
        Console().print(table)

    @scaling_group.command(name=name, help=f"Depth and size of {entry.title} against n.")
    @construction_options(name)
    @click.option("--lengths", required=True, help="A list such as 8,16,32,64 (or A..B).")
    @precision_option
    @json_option
    @click.option("--plot", "plot_path", type=click.Path(dir_okay=False),
                  help="Write a PNG of depth and size against n (needs matplotlib).")
    def scaling_command(lengths, precision, as_json, plot_path, **options):
        from compilers.backends.circuit import parse_precision
        from compilers.backends.circuit.scaling import check_lengths, measure

        parse_precision(precision)
        sizes = check_lengths(parse_lengths(lengths))
        points = measure(entry.build(**options), sizes, precision=precision)
        print_scaling(points, {"construction": name, "options": options,
                               "precision": precision},
                      key="n", symbol="n", as_json=as_json, plot_path=plot_path,
                      plot_title=f"{name}: compiled circuit",
                      table_title=f"{name}: circuit depth and size against n")


def write_circuit(circuit, *, graphml: str | None, save: str | None) -> None:
    """The `--graphml` and `--save` files of a `circuit` command, where asked for."""
    if graphml or save:
        from circuitx import io  # networkx

    if graphml:
        io.to_graphml(circuit, graphml)
    if save:
        io.save(circuit, save)


def print_scaling(points, header: dict, *, key: str, symbol: str, as_json: bool, plot_path,
                  plot_title: str, table_title: str, xlabel: str | None = None) -> None:
    """The report of a `scaling` command, as JSON (`header`, the points with their x
    value under `key`, the depths seen, the fitted exponent of size in `symbol`) or a
    table, and the plot if asked for."""
    from compilers.backends.circuit.scaling import fit_exponent, plot

    exponent = fit_exponent(points)
    report = {**header,
              "points": [{key: p.n, **{k: v for k, v in p.to_dict().items() if k != "n"}}
                         for p in points],
              "depths": sorted({p.depth for p in points}),
              "size_exponent": None if exponent is None else round(exponent, 4)}
    if plot_path:
        axis = {} if xlabel is None else {"variable": symbol, "xlabel": xlabel}
        report["plot"] = str(plot(points, plot_path, title=plot_title, **axis))
    if as_json:
        print_json(report)
        return
    table = Table(title=table_title)
    for column in (key, "depth", "size", "wires", "max fan-in", "precision", "seconds"):
        table.add_column(column, justify="right")
    for p in points:
        table.add_row(str(p.n), str(p.depth), str(p.size), str(p.wires), str(p.max_fan_in),
                      p.precision, f"{p.seconds:.2f}")
    console = Console()
    console.print(table)
    fit = "n/a" if exponent is None else f"{exponent:.2f}"
    console.print(f"depths seen: {report['depths']}; size ~ {symbol}^{fit} "
                  "(least squares, log-log)")
    if plot_path:
        console.print(f"plot: {report['plot']}")


for _name in RECOGNIZERS:
    _add_commands(_name)


def register(group: click.Group) -> None:
    for command in (circuit_group, scaling_group):
        group.add_command(command)
