"""`circuitx compile NAME ... -o DIR` and `circuitx eval DIR WORD...`.

`compile` builds any registered construction from its options and saves it
(`compilers.runs.saving`: model.safetensors + config.json), printing its
layers, heads, width, parameters and guarantees. `eval` runs a saved
recogniser on words (one per line on stdin when none are given; an empty
line is the empty word).
"""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from compilers.cli.common import json_option, print_json, read_words
from compilers.cli.families import construction, family_group, with_options
from compilers.dtypes import DTYPE_NAMES

SAVE_DTYPES = {"recognise": ("float32", DTYPE_NAMES), "generate": ("float64", DTYPE_NAMES),
               "loop": ("float64", ("float64", "float32"))}
"""The default and the allowed dtypes of the saved float weights, by mode."""


def _compile_command(family) -> click.Command:
    default, allowed = SAVE_DTYPES[family.mode]

    @click.command(name=family.name, help=f"Compile {family.title} ({family.paper}).")
    @with_options(family)
    @click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False),
                  help="Directory to write the model into.")
    @click.option("--save-dtype", type=click.Choice(list(allowed)), default=default,
                  show_default=True, help="dtype of the saved float weights.")
    def command(out_dir: str, save_dtype: str, **params) -> None:
        from compilers.runs.saving import save
        from compilers.runs.stats import summary_table

        built = construction(family, params)
        path = save(built, out_dir, dtype=save_dtype)
        Console().print(summary_table(built, f"{family.name} -> {path}"))

    return command


compile_group = family_group(
    "compile", "Compile a construction into a saved transformer (model.safetensors + "
    "config.json).", _compile_command)


@click.command(name="eval")
@click.argument("model_dir", type=click.Path(exists=True, file_okay=False))
@click.argument("words", nargs=-1)
@click.option("--backend", type=click.Choice(["torch", "exact"]), default="torch",
              show_default=True)
@json_option
def eval_command(model_dir: str, words: tuple[str, ...], backend: str, as_json: bool) -> None:
    """Run a saved recognizer on WORDS (or one word per line on stdin)."""
    from compilers.runs import recognise
    from compilers.runs.backends import backend_for
    from compilers.runs.saving import load_with_module

    loaded, module = load_with_module(model_dir)
    if loaded.mode != "recognise":
        raise click.BadParameter(f"{model_dir} holds a {loaded.name} construction "
                                 f"({loaded.mode}), not a language recognizer",
                                 param_hint="'MODEL_DIR'")
    batch = read_words(words)
    alphabet = set(loaded.transformer.inputs.tokens) - set(loaded.bos) - set(loaded.eos)
    for word in batch:
        bad = sorted(set(word) - alphabet)
        if bad:
            raise click.BadParameter(f"word {word!r} has symbol {bad[0]!r}; the alphabet of "
                                     f"{loaded.name} is {''.join(sorted(alphabet))!r}")
    runner = backend_for(loaded, backend, module=module) if backend == "torch" else None
    results = recognise(loaded, batch, backend=backend, runner=runner, reference=False)
    rows = [{"word": r.input, "accept": r.answer, "p_accept": r.p_accept, "trusted": r.trusted}
            for r in results]
    if as_json:
        print_json(rows)
    else:
        table = Table()
        for column in ("word", "accept", "p_accept", "trusted"):
            table.add_column(column)
        for r in rows:
            table.add_row(r["word"] or "(empty)", str(r["accept"]), f"{r['p_accept']:.6g}",
                          "yes" if r["trusted"] else "NO")
        Console().print(table)
    untrusted = sum(not r.trusted for r in results)
    if untrusted:
        click.echo(f"warning: {untrusted} word(s) are beyond what the saved dtype "
                   "guarantees; rerun with --backend exact or a model saved in float64",
                   err=True)
