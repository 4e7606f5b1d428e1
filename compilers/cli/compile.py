"""`circuitx compile NAME ... -o DIR` and `circuitx eval DIR WORD...`.

`compile` builds any registered construction from its options and saves it
in ``--dtype`` (`compilers.runs.saving`: model.safetensors + config.json;
``--save-dtype`` is the retired spelling), printing its layers, heads, width,
parameters and guarantees (``--json``: ``{"construction", "options", "out",
"dtype", "summary"}``, the summary as `compilers.runs.stats.describe`); an
existing model in DIR is replaced only with ``--force``, and a saved dtype its
analysis guarantees nothing in is warned about. `eval` runs a saved recogniser on words (one per
line on stdin when none are given; an empty line is the empty word, one row
per line), after `compilers.runs.saving.load_with_module` has verified every
tensor; a word beyond what the saved dtype guarantees is untrusted: a warning,
and exit status 1.
"""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.table import Table

from compilers.cli import inputs
from compilers.cli.common import (
    budget_options,
    force_option,
    json_option,
    option,
    print_json,
    quiet_option,
    read_words,
    show_positions,
    working,
)
from compilers.cli.families import construction, family_group, with_options
from compilers.dtypes import DTYPE_NAMES

SAVE_DTYPES = {"recognise": ("float32", DTYPE_NAMES), "generate": ("float64", DTYPE_NAMES),
               "loop": ("float64", ("float64", "float32")),
               "predict": ("float32", DTYPE_NAMES)}
"""The default and the allowed dtypes of the saved float weights, by mode."""


def _compile_command(family) -> click.Command:
    default, allowed = SAVE_DTYPES[family.mode]
    reads = [o.name for o in family.options if o.argument]

    @click.command(name=family.name, help=f"Compile {family.title} ({family.paper}).")
    @with_options(family)
    @click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False),
                  help="Directory to write the model into (its parent must exist).")
    @option("--dtype", "save_dtype", old=("--save-dtype",), type=click.Choice(list(allowed)),
            default=default, show_default=True, help="dtype of the saved float weights.")
    @force_option
    @json_option
    @quiet_option
    @budget_options
    def command(out_dir: str, save_dtype: str, force: bool, as_json: bool, quiet: bool, budget,
                **params) -> None:
        from compilers.runs import budget as estimates
        from compilers.runs.saving import CONFIG, WEIGHTS, save
        from compilers.runs.stats import describe, summary_table

        out = inputs.output_folder(out_dir, option="-o", force=force, holds=(CONFIG, WEIGHTS))
        inputs.distinct({"-o (config.json)": out / CONFIG, "-o (model.safetensors)": out / WEIGHTS},
                        {name: params.get(name) for name in reads})
        built = construction(family, params)
        size = estimates.saved_bytes(built, save_dtype)
        estimates.Estimate(f"saving {family.name} in {save_dtype} ({size} bytes)", 0,
                           2 * size, size * 2e-8).check(budget)
        with working(f"saving {family.name}", size * 2e-8, quiet):
            path = save(built, out, dtype=save_dtype)
        if as_json:
            print_json({"construction": family.name, "options": dict(built.options),
                        "out": str(path), "dtype": save_dtype, "summary": describe(built)})
        else:
            Console().print(summary_table(built, f"{family.name} -> {path}"))
        if dict(built.limits).get(save_dtype, 0) is None:
            click.echo(f"warning: {family.name} with these options is guaranteed for no input "
                       f"in {save_dtype}: every float run of the saved model is untrusted "
                       "(see `circuitx precision`)", err=True)

    return command


compile_group = family_group(
    "compile", "Compile a construction into a saved transformer (model.safetensors + "
    "config.json).", _compile_command)


@click.command(name="eval")
@click.argument("model_dir", type=click.Path(exists=True, file_okay=False))
@click.argument("words", nargs=-1)
@click.option("--backend", type=click.Choice(["torch", "exact", "circuit"]), default="torch",
              show_default=True, help="torch: the saved float weights; exact: rational "
                                      "arithmetic; circuit: the threshold circuit (exact).")
@json_option
@quiet_option
@budget_options
def eval_command(model_dir: str, words: tuple[str, ...], backend: str, as_json: bool,
                 quiet: bool, budget) -> None:
    """Run a saved recognizer or predictor on WORDS (or one word per line on stdin).

    A recognizer gives each word's accept bit; a predictor (``rasp``, ``ngram``,
    ``induction``) the next symbol's distribution at every position, as ``run`` prints it.
    """
    from compilers.runs import budget as estimates
    from compilers.runs import predict, recognise
    from compilers.runs.backends import backend_for
    from compilers.runs.saving import load_with_module

    loaded, module = load_with_module(model_dir, max_bytes=budget.memory)
    if loaded.mode not in ("recognise", "predict"):
        raise click.BadParameter(f"{model_dir} holds a {loaded.name} construction "
                                 f"({loaded.mode}), not a recognizer or a predictor (run "
                                 f"it with `circuitx run {loaded.name}`)",
                                 param_hint="'MODEL_DIR'")
    batch = read_words(words)
    alphabet = set(loaded.transformer.inputs.tokens) - set(loaded.bos) - set(loaded.eos)
    for word in batch:
        bad = sorted(set(word) - alphabet)
        if bad:
            raise click.BadParameter(f"word {_short(word)} has symbol {bad[0]!r}; the alphabet "
                                     f"of {loaded.name} is {''.join(sorted(alphabet))!r}")
    dtype = str(module.float_dtype).removeprefix("torch.")
    cost = estimates.run(loaded, batch, backend=backend, dtype=dtype).check(budget)
    runner = backend_for(loaded, backend, module=module) if backend == "torch" else None
    runs = recognise if loaded.mode == "recognise" else predict
    with working(f"evaluating {len(batch)} word(s)", cost.seconds, quiet):
        results = runs(loaded, batch, backend=backend, runner=runner, reference=False)
    if loaded.mode == "recognise":
        rows = [{"word": r.input, "accept": r.answer, "p_accept": r.p_accept,
                 "trusted": r.trusted} for r in results]
    else:
        rows = [{"word": r.input, **r.answer.as_dict(), "trusted": r.trusted}
                for r in results]
    if as_json:
        print_json(rows)
    elif loaded.mode == "recognise":
        table = Table()
        for column in ("word", "accept", "p_accept", "trusted"):
            table.add_column(column)
        for r in rows:
            table.add_row(r["word"] or "(empty)", str(r["accept"]), f"{r['p_accept']:.6g}",
                          "yes" if r["trusted"] else "NO")
        Console().print(table)
    else:
        show_positions(rows)
    untrusted = [r for r in results if not r.trusted]
    if untrusted:
        click.echo(f"warning: {len(untrusted)} word(s) are not trusted: "
                   f"{untrusted[0].why_untrusted}; rerun with --backend exact or a model saved "
                   "in float64", err=True)
        sys.exit(1)


def _short(word: str) -> str:
    return repr(word) if len(word) <= 60 else repr(word[:57] + "...")
