"""`circuitx export DIR --to transformer-lens --length N -o OUT`.

Reads a model saved by `circuitx compile ... -o DIR` (verified by
`compilers.runs.saving.load`) and writes it, for words of length N, as
TransformerLens ``HookedTransformer`` weights (`compilers.backends.to_transformer_lens`:
``config.json`` with the ``HookedTransformerConfig`` keywords, and
``model.safetensors`` in float64, from the exact weights). A construction
TransformerLens cannot express is refused with every reason, before anything
is written; an existing export in OUT is replaced only with ``--force``.
"""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from compilers.cli import inputs
from compilers.cli.common import (
    budget_options,
    force_option,
    json_option,
    print_json,
    quiet_option,
    working,
)

TARGETS = ("transformer-lens",)
MAX_LENGTH = 1 << 20


@click.command(name="export")
@click.argument("model_dir", type=click.Path(file_okay=False))
@click.option("--to", "target", type=click.Choice(TARGETS), required=True,
              help="The format to write: TransformerLens HookedTransformer weights.")
@click.option("--length", type=click.IntRange(0, MAX_LENGTH), required=True,
              help="The word length n the export computes (its positions: n plus the "
                   "construction's tokens around the word).")
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder to write config.json and model.safetensors into.")
@force_option
@json_option
@quiet_option
@budget_options
def export_command(model_dir: str, target: str, length: int, out_dir: str, force: bool,
                   as_json: bool, quiet: bool, budget) -> None:
    """Export a saved model (from `circuitx compile -o DIR`) to another library's format."""
    from compilers.backends import to_transformer_lens as tl
    from compilers.runs import budget as estimates
    from compilers.runs.saving import load

    out = inputs.output_folder(out_dir, option="-o", force=force, holds=(tl.CONFIG, tl.WEIGHTS))
    inputs.distinct({"-o": out}, {"MODEL_DIR": model_dir})
    construction = load(model_dir, max_bytes=budget.memory)
    transformer = construction.transformer
    problems = tl.refusals(transformer, n=length)
    if problems:
        raise tl.TransformerLensError(f"{construction.name} cannot be exported to "
                                      f"TransformerLens: {'; '.join(problems)}")
    around = len(getattr(construction, "bos", ())) + len(getattr(construction, "eos", ()))
    positions = length + around
    size = _export_bytes(transformer, positions)
    cost = estimates.Estimate(f"exporting {construction.name} at n = {length} ({size} bytes)",
                              0, 2 * size, size * 2e-8).check(budget)
    with working(f"exporting {construction.name}", cost.seconds, quiet):
        model = tl.to_transformer_lens(transformer, positions=positions, n=length)
        tl.write(model, out, about={"construction": {"name": construction.name,
                                                     "options": dict(construction.options)}})
    row = {"out": str(out), "to": target, "n": length, "positions": positions,
           **{k: model.cfg[k] for k in ("n_layers", "n_heads", "d_model", "d_head", "d_mlp",
                                        "attention_dir")}}
    if as_json:
        print_json(row)
        return
    table = Table(title=f"{construction.name} -> {out} (TransformerLens, float64)")
    table.add_column("field")
    table.add_column("value")
    for key, value in row.items():
        table.add_row(key, str(value))
    Console().print(table)


def _export_bytes(transformer, positions: int) -> int:
    """The float64 bytes of the export: embeddings, and per layer four head maps of
    width x d_head per head, and the MLP."""
    width = len(transformer.stream)
    heads = [len(b.heads) for b in transformer.blocks if hasattr(b, "heads")]
    widest = max([width] + [len(h.query.rows) for h in transformer.heads()])
    hidden = max([len(b.hidden) for b in transformer.blocks if hasattr(b, "hidden")] or [1])
    layers = len(transformer.blocks)
    per_layer = 4 * max(heads or [1]) * width * widest + 2 * width * hidden
    return 8 * ((positions + len(transformer.readout.outputs) + 64) * width
                + layers * per_layer)
