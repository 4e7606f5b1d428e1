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
"""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from compilers.cli.common import (
    check_device,
    device_option,
    dtype_option,
    json_option,
    parse_lengths,
    precision_option,
    print_json,
    progress,
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
    @click.option("--seed", default=0, show_default=True, type=int)
    @click.option("--max-steps", default=64, show_default=True, type=click.IntRange(0, 10**6),
                  help="Steps (a machine) or loops (a program) of each run.")
    @dtype_option
    @device_option
    @precision_option
    @json_option
    def command(lengths, samples, backends, seed, max_steps, dtype, device, precision,
                as_json, **params):
        from compilers.runs.check import check

        chosen = [b.strip() for b in backends.split(",") if b.strip()]
        unknown = [b for b in chosen if b not in allowed]
        if unknown or not chosen:
            raise click.BadParameter(f"unknown backend {unknown[0] if unknown else ''!r}; "
                                     f"allowed: {', '.join(allowed)}",
                                     param_hint="'--backends'")
        sizes = parse_lengths(lengths, "--lengths") if family.mode != "loop" else [0]
        device = check_device(device) if "torch" in chosen else device
        built = construction(family, params)
        with progress(as_json) as bar:
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
