"""`circuitx precision NAME --dtype D ...`: how a float dtype fares as the input grows.

* a recogniser: correctness and cross-entropy at ``--lengths`` (by default
  1, 2, 5, 10, ... up to 1000; the retired ``--max-length N``: that grid up
  to N), with a progress bar on stderr, beside the length the construction guarantees for the
  options given (``--plot`` draws the cross-entropy curve); a wrong word at a
  length inside the guarantee contradicts it: reported under
  ``"contradicted"`` and exit status 1, never printed as a guarantee that holds;
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

from compilers.cli.common import (
    budget_options,
    check_device,
    device_option,
    force_option,
    json_option,
    lengths_options,
    print_json,
    progress,
    quiet_option,
    seed_option,
)
from compilers.cli.families import construction, family_group, shown_options, with_options
from compilers.cli.predict import precision_command as _predictor
from compilers.dtypes import DTYPE_NAMES

dtype_required = click.option("--dtype", type=click.Choice(list(DTYPE_NAMES)), required=True)


def _precision_command(family) -> click.Command:
    return {"recognise": _sweep, "generate": _machine, "loop": _program,
            "predict": _predictor}[family.mode](family)


def _sweep(family) -> click.Command:
    @click.command(name=family.name, help=f"Precision sweep of {family.title}.")
    @with_options(family)
    @dtype_required
    @lengths_options
    @click.option("--samples", default=64, show_default=True, type=click.IntRange(1, 10**6))
    @seed_option
    @click.option("--plot", "plot_file", type=click.Path(dir_okay=False),
                  help="Draw cross-entropy against length into this file (.png, .pdf, ...).")
    @device_option
    @json_option
    @force_option
    @quiet_option
    @budget_options
    def command(dtype, sizes, samples, seed, plot_file, device, as_json, force, quiet, budget,
                **params):
        import math

        from compilers.cli.circuit import plot_output
        from compilers.runs import budget as estimates
        from compilers.runs.precision import largest_correct_length, precision_sweep

        device = check_device(device)
        plot_file = plot_output(plot_file, force)
        built = construction(family, params)
        symbols = max(len(built.alphabet), 2)
        counts = {n: samples if n * math.log(symbols) > math.log(samples)
                  else min(samples, symbols ** n) for n in sizes}
        estimates.recognise(built, counts, backend="torch", dtype=dtype,
                            device=device).check(budget)
        with progress(quiet) as bar:
            task = bar.add_task(f"{family.name} in {dtype}", total=len(sizes))
            points = precision_sweep(built, sizes, dtype=dtype, samples=samples, device=device,
                                     seed=seed, progress=lambda k: bar.advance(task, k))
        contradicted = [p.length for p in points if p.guaranteed and p.correct != p.words]
        result = {"construction": family.name, "options": dict(built.options), "dtype": dtype,
                  "guaranteed_up_to": built.limits.get(dtype),
                  "largest_correct_length": largest_correct_length(points),
                  "contradicted": contradicted,
                  "points": [p.as_dict() for p in points]}
        if plot_file:
            from compilers.runs.plots import plot_cross_entropy

            plot_cross_entropy({f"{family.name} {dtype}": points}, plot_file)
            result["plot"] = str(plot_file)
        if as_json:
            print_json(result)
        else:
            guarantee = result["guaranteed_up_to"]
            table = Table(title=f"{family.name} in {dtype}: guaranteed up to n = {guarantee}"
                          if guarantee is not None else f"{family.name} in {dtype}: no length "
                                                        "guaranteed for these options")
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
        if contradicted:
            click.echo(f"error: the float run got words wrong at n = {contradicted[0]}, inside "
                       "its guarantee (a bug in the analysis)", err=True)
            raise SystemExit(1)

    return command


def _machine(family) -> click.Command:
    @click.command(name=family.name, help=f"Where the torch run of {family.title} in --dtype "
                                          "departs from the reference trace.")
    @with_options(family)
    @dtype_required
    @click.option("--max-steps", default=1000, show_default=True, type=click.IntRange(0, 10**7))
    @device_option
    @json_option
    @quiet_option
    @budget_options
    def command(dtype, max_steps, device, as_json, quiet, budget, **params):
        from compilers.runs import budget as estimates
        from compilers.runs.precision import departure

        device = check_device(device)
        estimates.reference(max_steps, "the machine's interpreter").check(budget)
        built = construction(family, params)
        steps, _ = built.reference(built.word, max_steps=max_steps)
        estimates.run(built, [built.word], steps=[len(steps)], backend="torch",
                             dtype=dtype, device=device).check(budget)
        with progress(quiet) as bar:
            task = bar.add_task(f"{family.name} in {dtype}", total=len(steps) + 1)
            found = departure(built, built.word, dtype=dtype, max_steps=max_steps,
                              device=device, progress=lambda k: bar.advance(task, k))
        report = {**built.options, "dtype": dtype, "max_steps": max_steps, **found}
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
    @quiet_option
    @budget_options
    @click.pass_context
    def command(ctx, dtype, text, max_steps, device, as_json, quiet, budget, **params):
        from compilers.cli.run import for_run, program_inputs, reference_steps
        from compilers.runs import budget as estimates
        from compilers.runs.precision import loop_departure

        device = check_device(device)
        data = program_inputs(ctx, family, params, text)
        estimates.reference(max_steps, "the program's interpreter").check(budget)
        shown = shown_options(family, params)
        built = construction(family, for_run(family, params, data, max_steps),
                             input_size=len(data))
        loops = reference_steps(built, built.prepare((built.program, data)), max_steps)
        estimates.loop(built, [loops], backend="torch", dtype=dtype,
                              device=device).check(budget)
        with progress(quiet) as bar:
            task = bar.add_task(f"{family.name} in {dtype}", total=loops)
            found = loop_departure(built, (built.program, data), dtype=dtype,
                                   max_steps=max_steps, device=device,
                                   progress=lambda k: bar.advance(task, k))
        report = {"construction": family.name, **shown, "dtype": dtype, "max_steps": max_steps,
                  **found}
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
