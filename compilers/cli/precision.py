"""`circuitx precision NAME --dtype D ...`: how a float dtype fares as the input grows.

* a recogniser: correctness and cross-entropy at lengths 1, 2, 5, 10, ... up
  to ``--max-length``, beside the length the construction guarantees
  (``--plot`` draws the cross-entropy curve);
* a Turing machine: where a run in the dtype departs from the reference
  trace, beside the steps the error analysis guarantees and the first step
  the gap check flagged (a departure inside the guarantee is a bug: exit 1);
* a SUBLEQ computer: whether the dtype can carry its sizes (else refused, by
  name), and if so where a run departs from the interpreter.
"""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from compilers.cli.common import check_device, device_option, json_option, print_json, progress
from compilers.cli.families import construction, family_group, shown_options, with_options
from compilers.dtypes import DTYPE_NAMES

dtype_required = click.option("--dtype", type=click.Choice(list(DTYPE_NAMES)), required=True)


def _precision_command(family) -> click.Command:
    return {"recognise": _sweep, "generate": _machine, "loop": _program}[family.mode](family)


def _sweep(family) -> click.Command:
    @click.command(name=family.name, help=f"Precision sweep of {family.title}.")
    @with_options(family)
    @dtype_required
    @click.option("--max-length", default=1000, show_default=True,
                  type=click.IntRange(1, 10**7))
    @click.option("--samples", default=64, show_default=True, type=click.IntRange(1, 10**6))
    @click.option("--seed", default=0, show_default=True, type=int)
    @click.option("--plot", "plot_file", type=click.Path(dir_okay=False),
                  help="Draw cross-entropy against length into this PNG.")
    @device_option
    @json_option
    def command(dtype, max_length, samples, seed, plot_file, device, as_json, **params):
        from compilers.runs.precision import largest_correct_length, length_grid, precision_sweep

        device = check_device(device)
        built = construction(family, params)
        sizes = length_grid(max_length)
        with progress(as_json) as bar:
            task = bar.add_task(f"{family.name} in {dtype}", total=len(sizes))
            points = precision_sweep(built, sizes, dtype=dtype, samples=samples, device=device,
                                     seed=seed, progress=lambda k: bar.advance(task, k))
        result = {"construction": family.name, "options": dict(built.options), "dtype": dtype,
                  "guaranteed_up_to": built.limits.get(dtype),
                  "largest_correct_length": largest_correct_length(points),
                  "points": [p.as_dict() for p in points]}
        if plot_file:
            from compilers.runs.plots import plot_cross_entropy

            shown = ", ".join(f"{k}={v}" for k, v in built.options.items())
            label = f"{family.name} ({shown}) in {dtype}"
            plot_cross_entropy({label: points}, plot_file,
                               guaranteed={label: built.limits.get(dtype)},
                               title=f"{family.name}: cross-entropy in {dtype}")
            result["plot"] = plot_file
        if as_json:
            print_json(result)
            return
        table = Table(title=f"{family.name} in {dtype}: guaranteed up to n = "
                            f"{result['guaranteed_up_to']}")
        for column in ("n", "correct", "suspect", "guaranteed", "mean bits", "max bits"):
            table.add_column(column, justify="right")
        for p in points:
            table.add_row(str(p.length), f"{p.correct}/{p.words}", str(p.suspect),
                          "yes" if p.guaranteed else "no", f"{p.mean_bits:.3g}",
                          f"{p.max_bits:.3g}")
        console = Console()
        console.print(table)
        console.print(f"largest length with every word correct: "
                      f"{result['largest_correct_length']}")
        if plot_file:
            console.print(f"plot written to {plot_file}")

    return command


def _machine(family) -> click.Command:
    @click.command(name=family.name, help=f"Where the torch run of {family.title} in --dtype "
                                          "departs from the reference trace.")
    @with_options(family)
    @dtype_required
    @click.option("--max-steps", default=1000, show_default=True, type=click.IntRange(0, 10**7))
    @device_option
    @json_option
    def command(dtype, max_steps, device, as_json, **params):
        from compilers.runs.precision import departure

        built = construction(family, params)
        report = {**built.options, "dtype": dtype, "max_steps": max_steps,
                  **departure(built, built.word, dtype=dtype, max_steps=max_steps,
                              device=check_device(device))}
        _print(report, as_json, f"{report.get('machine', family.name)} on {built.word!r} in "
                                f"{dtype}")
        if report["silent"]:
            click.echo("error: the float run departed inside its guarantee (a bug)", err=True)
            raise SystemExit(1)

    return command


def _program(family) -> click.Command:
    @click.command(name=family.name, help=f"Whether {family.title} is guaranteed in --dtype, "
                                          "and where a run departs from the interpreter.")
    @with_options(family, skip=("input_size",))
    @dtype_required
    @click.option("--input", "text", default="", help="Input bytes (the text, UTF-8) for "
                                                      "esolang.")
    @click.option("--max-steps", default=1000, show_default=True, type=click.IntRange(0, 10**7))
    @device_option
    @json_option
    def command(dtype, text, max_steps, device, as_json, **params):
        from compilers.runs.precision import loop_departure

        shown = shown_options(family, params)
        data = text.encode()
        built = construction(family, params, input_size=len(data))
        report = {"construction": family.name, **shown, "dtype": dtype, "max_steps": max_steps,
                  **loop_departure(built, (built.program, data), dtype=dtype,
                                   max_steps=max_steps, device=check_device(device))}
        _print(report, as_json, f"{family.name} {shown.get('program')} in {dtype}")

    return command


def _print(report: dict, as_json: bool, title: str) -> None:
    if as_json:
        print_json(report)
        return
    table = Table(title=title, show_header=False)
    for key, value in report.items():
        table.add_row(key.replace("_", " "), "-" if value is None else str(value))
    Console().print(table)


precision_group = family_group(
    "precision", "How a float dtype fares as the length (or, for a machine, the step count) "
    "grows.", _precision_command)
