"""Commands for Pérez et al.'s Turing-machine transformer.

* ``circuitx run tm MACHINE --backend exact|torch [--dtype D] [--device D]``:
  adds the transformer backends to `compilers.cli.run_tm.BACKENDS` (the
  reference interpreter's command), with the reference JSON plus
  ``agrees_with_reference``, ``trusted`` and ``trusted_steps``. A torch run
  past its guarantee prints a warning on stderr and exits with status 1.
* ``circuitx compile tm MACHINE [--input WORD] -o DIR``: saves the transformer.
* ``circuitx precision tm MACHINE --dtype D --max-steps T``: where a float run
  departs from the reference trace, beside what the error analysis promises.
"""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from compilers.cli import run_tm
from compilers.cli.common import (
    check_device,
    compile_group,
    device_option,
    json_option,
    precision_group,
    print_json,
    summary_table,
)
from compilers.dtypes import DTYPE_NAMES


def _transformer_backend(backend: str):
    def run_backend(machine, word: str, *, max_steps: int, dtype: str = "float64",
                    device: str = "cpu", **options):
        from compilers.constructions import tm, tm_run

        construction = tm.build(machine, word)
        trace = tm_run.simulate(construction, backend=backend, dtype=dtype,
                                device=check_device(device) if backend == "torch" else "cpu",
                                max_steps=max_steps)
        result = trace.result()
        if not result.trusted:
            click.echo(f"warning: the {dtype} run is guaranteed for {result.trusted_steps} "
                       f"steps only (first flagged step: {trace.flagged_step}); its trace "
                       "beyond that is untrusted: rerun with --backend exact or "
                       "--dtype float64", err=True)
        return result
    return run_backend


def _extend_run_tm() -> None:
    """Add the exact and torch backends, and --dtype/--device, to `circuitx run tm`."""
    run_tm.BACKENDS.setdefault("exact", _transformer_backend("exact"))
    run_tm.BACKENDS.setdefault("torch", _transformer_backend("torch"))
    names = {p.name for p in run_tm.command.params}
    for param in run_tm.command.params:
        if param.name == "backend":
            param.type = click.Choice(list(run_tm.BACKENDS))
            param.help = ("Who runs the machine: the reference interpreter, or Pérez et al.'s "
                          "transformer in exact arithmetic or in torch.")
    if "dtype" not in names:
        run_tm.command.params.append(click.Option(
            ["--dtype"], type=click.Choice(list(DTYPE_NAMES)), default="float64",
            show_default=True, help="Float type of the torch backend."))
    if "device" not in names:
        run_tm.command.params.append(click.Option(
            ["--device"], default="cpu", show_default=True,
            help="Torch device of the torch backend (cpu, cuda, ...)."))


@compile_group.command(name="tm")
@click.argument("machine")
@click.option("--input", "word", default="", help="The input word (its symbols are the "
              "encoder's input; the weights do not depend on it).")
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Directory to write the model into.")
@click.option("--save-dtype", type=click.Choice(list(DTYPE_NAMES)), default="float64",
              show_default=True, help="dtype of the saved float weights.")
def compile_tm(machine: str, word: str, out_dir: str, save_dtype: str) -> None:
    """Compile the Turing machine MACHINE (bbchallenge code or file) into a transformer."""
    from compilers.constructions import tm
    from compilers.saving import save

    construction = tm.build(machine, word)
    path = save(construction, out_dir, dtype=save_dtype)
    q, s = len(construction.machine.states), len(construction.machine.symbols)
    table = summary_table(construction, f"tm -> {path}")
    for key, value in tm.width(q, s).items():
        table.add_row(f"formula: {key}", f"{value}  (|Q| = {q}, |Σ| = {s})")
    Console().print(table)


@precision_group.command(name="tm")
@click.argument("machine")
@click.option("--input", "word", default="", help="The input word.")
@click.option("--dtype", type=click.Choice(list(DTYPE_NAMES)), required=True)
@click.option("--max-steps", default=1000, show_default=True, type=click.IntRange(0, 10**7))
@device_option
@json_option
def precision_tm(machine: str, word: str, dtype: str, max_steps: int, device: str,
                 as_json: bool) -> None:
    """Where the torch run of MACHINE in --dtype departs from the reference trace."""
    from compilers.constructions import tm_run

    report = tm_run.precision_report(machine, word, dtype=dtype, max_steps=max_steps,
                                     device=check_device(device))
    if as_json:
        print_json(report)
    else:
        table = Table(title=f"{report['machine']} on {word!r} in {dtype}", show_header=False)
        for key, value in report.items():
            table.add_row(key.replace("_", " "), "-" if value is None else str(value))
        Console().print(table)
    if report["silent"]:
        click.echo("error: the float run departed inside its guarantee (a bug)", err=True)
        raise SystemExit(1)


_extend_run_tm()


def register(group: click.Group) -> None:
    """The commands attach to the `compile`, `precision` and `run` groups registered elsewhere."""
