"""`circuitx check NAME ...`: the central property test, oracle == exact == torch == circuit.

Inputs are drawn for the construction (`compilers.runs.check`): words of each
of ``--lengths`` for a recogniser (all of them when there are at most
``--samples``), words over the machine's symbols for a Turing machine, the
program and ``--samples`` random programs of its sizes for SUBLEQ. Every
backend in ``--backends`` (``circuit`` where the construction lowers) runs
them and each answer is compared with the reference. Prints, per backend, the
inputs checked, the wrong ones, the untrusted ones and the silent failures
(wrong while trusted: must be 0), and the first counterexample; exit status 1
when any backend got one wrong.

The whole check is estimated first (`compilers.runs.budget`: every backend on
every input, up to ``--max-steps``) and refused past the budget; options that
do not apply (``--dtype`` without the torch backend, ``--precision`` without
the circuit backend, ``--max-steps`` for a recogniser, ``--lengths`` for a
program) are refused by name.
"""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from compilers.cli import inputs
from compilers.cli.common import (
    budget_options,
    check_device,
    device_option,
    dtype_option,
    json_option,
    parse_lengths,
    precision_option,
    print_json,
    progress,
    quiet_option,
    seed_option,
)
from compilers.cli.families import construction, family_group, with_options


def _check_command(family) -> click.Command:
    allowed = ("exact", "torch") + (("circuit",) if family.circuit else ())
    lengths = family.mode != "loop"

    @click.command(name=family.name, help=f"Check {family.title} against its reference.")
    @with_options(family, skip=("word",))
    @click.option("--lengths", required=lengths, hidden=not lengths,
                  help="Input lengths: A..B, or a list 8,16,32.")
    @click.option("--samples", default=64 if lengths else 8, show_default=True,
                  type=click.IntRange(1 if lengths else 0, 10**6),
                  help="Inputs per length (all when there are fewer); SUBLEQ: random "
                       "programs of the same sizes.")
    @click.option("--backends", default="exact,torch", show_default=True,
                  help=f"Comma-separated: {', '.join(allowed)}.")
    @seed_option
    @click.option("--max-steps", default=64, show_default=True, type=click.IntRange(0, 10**6),
                  help="Steps (a machine) or loops (a program) of each run.")
    @dtype_option
    @device_option
    @precision_option
    @json_option
    @quiet_option
    @budget_options
    @click.pass_context
    def command(ctx, lengths, samples, backends, seed, max_steps, dtype, device, precision,
                as_json, quiet, budget, **params):
        from compilers.runs.check import check

        chosen = [b.strip() for b in backends.split(",") if b.strip()]
        unknown = [b for b in chosen if b not in allowed]
        if unknown or not chosen:
            raise click.BadParameter(f"unknown backend {unknown[0] if unknown else ''!r}; "
                                     f"allowed: {', '.join(allowed)}",
                                     param_hint="'--backends'")
        without = f"--backends is {','.join(chosen)}"
        reasons = dict(family.inapplicable(params)) if family.inapplicable else {}
        reasons.pop("input", None)
        inputs.inapplicable(ctx, {
            "dtype": None if "torch" in chosen else f"applies to the torch backend; {without}",
            "device": None if "torch" in chosen else f"applies to the torch backend; {without}",
            "precision": None if "circuit" in chosen else f"applies to the circuit backend; "
                                                          f"{without}",
            "max_steps": None if family.mode not in ("recognise", "predict") else (
                "applies to machines and programs, not to words"),
            "lengths": None if family.mode != "loop" else "applies to words and machines; a "
                                                          "program is checked on programs",
            **reasons})
        sizes = parse_lengths(lengths, "--lengths") if family.mode != "loop" else [0]
        device = check_device(device) if "torch" in chosen else device
        if "circuit" in chosen:
            from compilers.backends.circuit import parse_precision

            parse_precision(precision)
        if family.run_options is not None:
            params = family.run_options(params, b"", max_steps)
        built = construction(family, params)
        cost = estimate(built, sizes, samples, chosen, max_steps, dtype=dtype, device=device,
                        precision=precision)
        cost.check(budget)
        with progress(quiet) as bar:
            task = bar.add_task(f"checking {family.name}", total=len(sizes))
            report = check(built, lengths=sizes if family.mode != "loop" else (),
                           samples=samples, backends=chosen, dtype=dtype, device=device,
                           seed=seed, max_steps=max_steps, precision=precision,
                           progress=lambda k: bar.advance(task, k))
        if as_json:
            print_json(report.as_dict())
        else:
            _print(report, family, lengths)
        if not report.ok:
            raise SystemExit(1)

    return command


def estimate(built, sizes, samples: int, backends, max_steps: int, **options):
    """The budget estimate of checking `built` (see the module docstring)."""
    import math

    from compilers.runs import budget as estimates

    total = estimates.Estimate(f"checking {built.name} on {', '.join(backends)}")
    for backend in backends:
        if built.mode in ("recognise", "predict"):
            symbols = len(built.alphabet)
            counts = {n: samples if n * math.log(max(symbols, 2)) > math.log(samples)
                      else min(samples, symbols ** n) for n in sizes}
            cost = estimates.recognise(built, counts, backend=backend, **options)
        elif built.mode == "generate":
            symbols = len(built.machine.symbols)
            runs = [(n, max_steps, samples if n * math.log(max(symbols, 2)) > math.log(samples)
                     else min(samples, symbols ** n)) for n in sizes]
            cost = estimates.generate(built, runs, backend=backend, **options)
        else:
            programs = samples + (built.program is not None)
            cost = estimates.loop(built, [max_steps] * programs, backend=backend, **options)
        total = total + cost
    return estimates.Estimate(total.what.split(";")[0], total.gates, total.memory,
                              total.seconds)


def _print(report, family, lengths) -> None:
    against = report.header.get("language") or "its reference"
    where = f", lengths {lengths}" if family.mode != "loop" else (
        f", {report.header['programs']} programs")
    table = Table(title=f"{family.name} vs {against}{where}")
    for column in ("backend", "checked", "failed", "untrusted", "silent failures",
                   "first counterexample"):
        table.add_column(column)
    for backend, tally in report.backends.items():
        example = tally.first_counterexample
        shown = "-" if example is None else repr(example.get("word", example.get("input")))
        table.add_row(backend, str(tally.checked), str(tally.failed), str(tally.untrusted),
                      str(tally.silent), shown)
    Console().print(table)


check_group = family_group(
    "check", "The property test from the command line: oracle == exact == torch == circuit.",
    _check_command)
