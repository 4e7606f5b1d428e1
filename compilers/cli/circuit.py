"""`circuitx circuit NAME ...` and `circuitx scaling NAME ...`: constructions as threshold circuits.

`circuit` compiles one circuit and prints its measures (depth, size, wires,
fan-in, weights), optionally writing it (``--save`` JSON, ``--graphml``):

* a recogniser at word length ``--length``;
* a Turing machine's decoding step ``--step`` for words of ``--length`` (or of
  ``--input WORD``, whose real run the circuit is then also evaluated on: its
  decoded next state, symbol and move beside the exact backend's and the
  reference machine's);
* one loop of a SUBLEQ computer for FILE's sizes (``--run STEPS`` iterates
  the circuit on its own outputs, compares every state with the interpreter
  and lists the loops whose unique-argmax promise bit was 0).

`scaling` compiles at a list of sizes (word lengths, decoding steps, or
punchcard sizes) and reports the depths seen and the fitted exponent of the
size (``--plot`` draws both).
"""

from __future__ import annotations

import inspect

import click
from rich.console import Console
from rich.table import Table

from compilers.cli.common import json_option, parse_lengths, precision_option, print_json
from compilers.cli.families import construction, family_group, shown_options, with_options

KEYS = ("depth", "size", "wires", "inputs", "max_fan_in", "max_weight_bits", "gates_per_layer")

graphml_option = click.option("--graphml", type=click.Path(dir_okay=False),
                              help="Write GraphML here.")
save_option = click.option("--save", type=click.Path(dir_okay=False),
                           help="Write the circuit's JSON here.")


def _circuit_command(family) -> click.Command:
    return {"recogniser": _recogniser, "step": _step, "loop": _loop}[family.circuit](family)


def _recogniser(family) -> click.Command:
    @click.command(name=family.name, help=f"Compile {family.title} into a threshold circuit.")
    @with_options(family)
    @click.option("--length", "length", required=True, type=int, help="The word length n.")
    @precision_option
    @json_option
    @graphml_option
    @save_option
    def command(length, precision, as_json, graphml, save, **params):
        from compilers.runs.circuits import circuit_of

        options = shown_options(family, params)
        model = circuit_of(construction(family, params), n=length, precision=precision)
        stats = model.circuit.stats().to_dict()
        report = {"construction": family.name, "options": options, "n": length,
                  "precision": str(model.precision), "precision_auto": model.auto, **stats}
        _write(model.circuit, graphml=graphml, save=save)
        _show(report, stats, as_json, f"{family.name} at n = {length}, precision "
                                      f"{model.precision}{' (auto)' if model.auto else ''}")

    return command


def _step(family) -> click.Command:
    @click.command(name=family.name, help=f"Compile decoding step T of {family.title} into a "
                                          "threshold circuit.")
    @with_options(family)
    @click.option("--step", "t", required=True, type=click.IntRange(0, 4096),
                  help="The decoding step t (the decoder position computed).")
    @click.option("--length", "n", type=click.IntRange(0, 4096), default=None,
                  help="The encoder word's length n (default: the length of --input, else 0).")
    @precision_option
    @json_option
    @graphml_option
    @save_option
    @click.pass_context
    def command(ctx, t, n, precision, as_json, graphml, save, **params):
        from compilers.backends.circuit import UnsupportedError
        from compilers.runs.circuits import step_report
        from compilers.runs.scaling import compile_step

        given = ctx.get_parameter_source("word") != click.core.ParameterSource.DEFAULT
        word = params["word"]
        if given and n is not None and n != len(word):
            raise UnsupportedError(f"--length {n} and --input {word!r} (length {len(word)}) "
                                   "disagree; give one of them")
        n = len(word) if given else (n or 0)
        built = construction(family, params)
        model = compile_step(built, n, t, precision=precision)
        stats = model.circuit.stats().to_dict()
        machine = built.options.get("machine", built.name)
        report = {"construction": family.name, "machine": machine, "step": t, "n": n,
                  "precision": str(model.precision), "precision_auto": precision == "auto",
                  **stats}
        if given:
            report["run"] = step_report(built, word, t, model=model)
        _write(model.circuit, graphml=graphml, save=save)
        rows = {}
        if given:
            run = report["run"]
            rows = {"circuit says": _described(run["circuit"]),
                    "exact backend": _described(run["exact"]),
                    "reference state": str(run["reference_state"] or "- (past the halt)")}
        _show(report, stats, as_json, f"{family.name} {machine} at step t = {t}, n = {n}, "
                                      f"precision {model.precision}", rows)

    return command


def _described(decoded: dict) -> str:
    return f"state {decoded['state']}, symbol {decoded['symbol']}, move {decoded['move']}"


def _loop(family) -> click.Command:
    @click.command(name=family.name, help=f"Compile one loop of {family.title} for FILE's sizes "
                                          "into a threshold circuit.")
    @with_options(family, skip=("input_size",))
    @click.option("--input", "text", default="", help="esolang: the input bytes (UTF-8 text).")
    @click.option("--run", "max_steps", type=click.IntRange(0, 10**6), default=0,
                  show_default=True,
                  help="Also iterate the circuit on its own outputs for up to this many loops "
                       "and compare every state with the reference interpreter.")
    @precision_option
    @json_option
    @graphml_option
    @save_option
    def command(text, max_steps, precision, as_json, graphml, save, **params):
        from compilers.runs.circuits import circuit_of, loop_report

        data = text.encode()
        built = construction(family, params, input_size=len(data))
        model = circuit_of(built, precision=precision)
        stats = model.circuit.stats().to_dict()
        options = built.options
        sizes = {"bits": options["bits"], "memory": options["memory"],
                 "columns": built.positions}
        sizes |= ({"slots": options["slots"]} if built.semantics == "giannou"
                  else {"input_size": options["input_size"]})
        report = {"construction": family.name, "semantics": built.semantics, **sizes,
                  "precision": str(model.precision), "precision_auto": precision == "auto",
                  **stats}
        rows = {}
        if max_steps:
            run = report["run"] = loop_report(built, (built.program, data), max_steps=max_steps,
                                              precision=precision)
            broken = run["promise_broken"]
            rows = {"loops run": f"{run['loops']} (halted: {run['halted']})",
                    "pc, memory": f"{run['pc']}, {run['memory']}",
                    **({"output": repr(run["output"])} if built.semantics == "esolang" else {}),
                    "agrees with reference": str(run["agrees_with_reference"]),
                    "promise": "kept on every loop" if not broken else
                    f"broken on {len(broken)} loops (first: loop {broken[0]['loop']}, "
                    f"{', '.join(broken[0]['heads'])}): those loops are tested, not proved"}
        _write(model.circuit, graphml=graphml, save=save)
        _show(report, stats, as_json,
              f"{family.name} ({built.semantics}): one loop, {sizes['bits']}-bit words, "
              f"{sizes['memory']} memory words, {sizes['columns']} columns, precision "
              f"{model.precision}", rows)

    return command


def _write(circuit, *, graphml: str | None, save: str | None) -> None:
    """The `--graphml` and `--save` files, where asked for."""
    if graphml or save:
        from circuitx import io  # networkx

    if graphml:
        io.to_graphml(circuit, graphml)
    if save:
        io.save(circuit, save)


def _show(report: dict, stats: dict, as_json: bool, title: str, rows: dict | None = None):
    if as_json:
        print_json(report)
        return
    table = Table(title=title, show_header=False)
    for key in KEYS:
        table.add_row(key, str(stats[key]))
    for key, value in (rows or {}).items():
        table.add_row(key, value)
    Console().print(table)


circuit_group = family_group(
    "circuit", "Compile a construction (at input length N, one decoding step, one loop) into "
    "a threshold circuit; print its measures.", _circuit_command,
    accepts=lambda family: family.circuit is not None)


# -- scaling ---------------------------------------------------------------------------


def _scaling_command(family) -> click.Command:
    return {"recogniser": _scale_lengths, "step": _scale_steps, "loop": _scale_sizes}[
        family.circuit](family)


plot_option = click.option("--plot", "plot_path", type=click.Path(dir_okay=False),
                           help="Write a PNG of depth and size against the size (needs "
                                "matplotlib).")


def _scale_lengths(family) -> click.Command:
    @click.command(name=family.name, help=f"Depth and size of {family.title} against n.")
    @with_options(family)
    @click.option("--lengths", required=True, help="A list such as 8,16,32,64 (or A..B).")
    @precision_option
    @json_option
    @plot_option
    def command(lengths, precision, as_json, plot_path, **params):
        from compilers.backends.circuit import parse_precision
        from compilers.runs.scaling import check_lengths, measure

        parse_precision(precision)
        options = shown_options(family, params)
        sizes = check_lengths(parse_lengths(lengths))
        points = measure(construction(family, params), sizes, precision=precision)
        print_scaling(points, {"construction": family.name, "options": options,
                               "precision": precision},
                      key="n", symbol="n", as_json=as_json, plot_path=plot_path,
                      plot_title=f"{family.name}: compiled circuit",
                      table_title=f"{family.name}: circuit depth and size against n")

    return command


def _scale_steps(family) -> click.Command:
    @click.command(name=family.name, help=f"Depth and size of a decoding step of "
                                          f"{family.title} against t.")
    @with_options(family, skip=("word",))
    @click.option("--steps", required=True,
                  help="Decoding steps, a list such as 4,8,16,32 (or A..B).")
    @click.option("--length", "n", type=click.IntRange(0, 4096), default=0, show_default=True,
                  help="The encoder word's length n.")
    @precision_option
    @json_option
    @plot_option
    def command(steps, n, precision, as_json, plot_path, **params):
        from compilers.backends.circuit import parse_precision
        from compilers.runs.scaling import measure_steps

        parse_precision(precision)
        built = construction(family, params)
        name = built.options.get("machine", family.name)
        points = measure_steps(built, parse_lengths(steps), n=n, precision=precision)
        print_scaling(points, {"construction": family.name, "machine": name, "n": n,
                               "precision": precision},
                      key="t", symbol="t", xlabel="decoding step t", as_json=as_json,
                      plot_path=plot_path, plot_title=f"{family.name} {name}: one decoding step",
                      table_title=f"{family.name} {name}: circuit of one decoding step "
                                  f"against t (n = {n})")

    return command


def _scale_sizes(family) -> click.Command:
    keywords = [p for p in inspect.signature(family.sizes).parameters.values()
                if p.kind is p.KEYWORD_ONLY]
    defaults = {p.name: p.default for p in keywords}
    skip = tuple(o.name for o in family.options if o.name not in defaults)

    @click.command(name=family.name, help=f"Depth and size of one loop of {family.title} "
                                          "against its size.")
    @click.option("--sizes", required=True, help="Sizes, a list such as 4,8,16,32 (or A..B).")
    @with_options(family, skip=skip, defaults=defaults)
    @precision_option
    @json_option
    @plot_option
    def command(sizes, precision, as_json, plot_path, **params):
        from compilers.backends.circuit import parse_precision
        from compilers.runs.scaling import measure_sizes

        parse_precision(precision)
        points = measure_sizes(family, parse_lengths(sizes), precision=precision, **params)
        fixed = {k: v for k, v in family.sizes(1, **params).items()
                 if family.sizes(2, **params)[k] == v}
        words = f" ({params['bits']}-bit words)" if "bits" in params else ""
        print_scaling(points, {"construction": family.name, **fixed, "precision": precision},
                      key="columns", symbol="n", xlabel="punchcard columns n", as_json=as_json,
                      plot_path=plot_path, plot_title=f"{family.name}{words}: one loop",
                      table_title=f"{family.name}{words}: circuit of one loop against the "
                                  "columns")

    return command


def print_scaling(points, header: dict, *, key: str, symbol: str, as_json: bool, plot_path,
                  plot_title: str, table_title: str, xlabel: str | None = None) -> None:
    """The report of a `scaling` command, as JSON (`header`, the points with their x
    value under `key`, the depths seen, the fitted exponent of size in `symbol`) or a
    table, and the plot if asked for."""
    from compilers.runs.scaling import fit_exponent

    exponent = fit_exponent(points)
    report = {**header,
              "points": [{key: p.n, **{k: v for k, v in p.to_dict().items() if k != "n"}}
                         for p in points],
              "depths": sorted({p.depth for p in points}),
              "size_exponent": None if exponent is None else round(exponent, 4)}
    if plot_path:
        from compilers.runs.plots import plot_scaling

        axis = {} if xlabel is None else {"variable": symbol, "xlabel": xlabel}
        report["plot"] = str(plot_scaling(points, plot_path, title=plot_title,
                                          exponent=exponent, **axis))
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


scaling_group = family_group(
    "scaling", "Depth and size of a construction's circuit against n, with the fitted size "
    "exponent.", _scaling_command,
    accepts=lambda family: family.circuit is not None and (
        family.circuit != "loop" or family.sizes is not None))
