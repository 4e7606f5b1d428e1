"""`circuitx compile subleq FILE -o DIR`, and the transformer backends of `run subleq`.

`compile subleq` builds Giannou et al.'s looped SUBLEQ computer for the
program's sizes (or larger ones), saves it (`compilers.saving`) and prints the
loop body's layers, heads and width and the punchcard's shape. The backends
``exact`` and ``torch`` of ``circuitx run subleq`` (`transformer_backends`, put
into `compilers.cli.run_subleq.BACKENDS`) run the program on that transformer
and report, beside the reference's JSON, ``agrees_with_reference``.
"""

from __future__ import annotations

import click
from rich.console import Console

from compilers.cli.common import compile_group, summary_table
from languages import subleq as reference

PUBLISHED_LAYERS_PER_LOOP = 10  # the released code of Giannou et al. (the paper's Thm.: 13)


def _build(program, *, bits, memory=None, slots=None, dtype=None, input_size=0):
    from compilers.constructions import subleq

    esolang = program.semantics == "esolang"
    return subleq.build(program, bits=bits if esolang else None, memory=memory,
                        slots=None if esolang else slots, dtype=dtype,
                        input_size=input_size if esolang else 0)


def transformer_backends() -> dict:
    """``exact`` and ``torch`` for `run_subleq.BACKENDS`."""

    def make(backend: str):
        def run_on_transformer(program, *, max_steps: int, input: bytes, bits: int | None,
                               dtype: str = "float64", device: str = "cpu", **options):
            from compilers.cli.common import check_device
            from compilers.constructions.subleq_run import run

            construction = _build(program, bits=bits, input_size=len(input),
                                  dtype=dtype if backend == "torch" else None)
            return run(construction, program, backend=backend, dtype=dtype,
                       device=check_device(device) if backend == "torch" else "cpu",
                       max_steps=max_steps, input=input)
        run_on_transformer.__name__ = f"run_{backend}"
        return run_on_transformer

    return {"exact": make("exact"), "torch": make("torch")}


@compile_group.command(name="subleq")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--semantics", type=click.Choice(reference.SEMANTICS), default=None,
              help="esolang or giannou (default: giannou for a .giannou file, else esolang).")
@click.option("--bits", type=click.IntRange(2, 64), default=None,
              help="Word width N (default: giannou 16, esolang the fewest that hold the program).")
@click.option("--memory", type=click.IntRange(1, 1 << 16), default=None,
              help="Memory words M (default: the program's).")
@click.option("--slots", type=click.IntRange(1, 1 << 16), default=None,
              help="Giannou instruction slots (default: the program's instructions).")
@click.option("--input-size", type=click.IntRange(0, 1 << 16), default=0, show_default=True,
              help="Esolang input columns: the most input bytes a run may read.")
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Directory to write the model into.")
@click.option("--save-dtype", type=click.Choice(["float64", "float32"]), default="float64",
              show_default=True, help="dtype of the saved float weights (checked against the "
                                      "sizes).")
def compile_subleq(file: str, semantics, bits, memory, slots, input_size: int, out_dir: str,
                   save_dtype: str) -> None:
    """Compile the looped SUBLEQ transformer for the program in FILE."""
    from compilers.cli.run_subleq import read_program
    from compilers.saving import save

    program = read_program(file, semantics, bits)
    construction = _build(program, bits=bits, memory=memory, slots=slots, dtype=save_dtype,
                          input_size=input_size)
    path = save(construction, out_dir, dtype=save_dtype)
    table = summary_table(construction, f"subleq ({construction.semantics}) -> {path}")
    columns, width = construction.punchcard_shape
    table.add_row("punchcard (columns x rows)", f"{columns} x {width}")
    table.add_row("softmax scale (derived)", str(construction.scale))
    table.add_row("published layers per loop", f"{PUBLISHED_LAYERS_PER_LOOP} (released code)")
    Console().print(table)


def register(group: click.Group) -> None:
    """The `compile subleq` subcommand is attached to `compile` on import."""
