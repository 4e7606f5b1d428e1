"""Commands for language recognizers: compile, eval, check, precision.

`compile`, `check` and `precision` are groups with one subcommand per
construction (``circuitx compile parity --layernorm -o DIR``), so that each
construction lists its own options in ``--help``. Other constructions (the
Turing machine, SUBLEQ) add their own subcommands to `compile`.
"""

from __future__ import annotations

import click
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from compilers.cli.common import (
    check_device,
    check_group,
    compile_group,
    construction_options,
    device_option,
    dtype_option,
    json_option,
    parse_lengths,
    precision_group,
    print_json,
    read_words,
    summary_table,
)
from compilers.constructions import RECOGNIZERS
from compilers.dtypes import DTYPE_NAMES


def _build(name: str, options: dict):
    return RECOGNIZERS[name].build(**options)


def _add_recognizer_commands(name: str) -> None:
    entry = RECOGNIZERS[name]

    @compile_group.command(name=name, help=f"Compile {entry.title}.")
    @construction_options(name)
    @click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False),
                  help="Directory to write the model into.")
    @click.option("--save-dtype", type=click.Choice(list(DTYPE_NAMES)),
                  default="float32", show_default=True, help="dtype of the saved float weights.")
    def compile_command(out_dir: str, save_dtype: str, **options) -> None:
        from compilers.saving import save

        construction = _build(name, options)
        path = save(construction, out_dir, dtype=save_dtype)
        Console().print(summary_table(construction, f"{name} -> {path}"))

    @check_group.command(name=name, help=f"Check {entry.title} against its language.")
    @construction_options(name)
    @click.option("--lengths", required=True, help="A..B, or a list 8,16,32.")
    @click.option("--samples", default=64, show_default=True, type=click.IntRange(1, 10**6),
                  help="Words per length (all words when there are fewer).")
    @click.option("--backends", default="exact,torch", show_default=True,
                  help="Comma-separated: exact, torch.")
    @click.option("--seed", default=0, show_default=True, type=int)
    @dtype_option
    @device_option
    @json_option
    def check_command(lengths, samples, backends, seed, dtype, device, as_json, **options):
        from compilers.checking import BACKENDS, check_recognizer

        chosen = [b.strip() for b in backends.split(",") if b.strip()]
        unknown = [b for b in chosen if b not in BACKENDS]
        if unknown or not chosen:
            raise click.BadParameter(f"unknown backend {unknown[0] if unknown else ''!r}; "
                                     f"allowed: {', '.join(BACKENDS)}", param_hint="'--backends'")
        sizes = parse_lengths(lengths, "--lengths")
        device = check_device(device)
        construction = _build(name, options)
        with Progress(transient=True, disable=as_json) as bar:
            task = bar.add_task(f"checking {name}", total=len(sizes))
            report = check_recognizer(construction, sizes, samples=samples, backends=chosen,
                                      dtype=dtype, device=device, seed=seed,
                                      progress=lambda k: bar.advance(task, k))
        if as_json:
            print_json(report.as_dict())
        else:
            table = Table(title=f"{name} vs {report.language}, lengths {lengths}")
            for column in ("backend", "checked", "failed", "untrusted", "silent failures",
                           "first counterexample"):
                table.add_column(column)
            for backend, tally in report.backends.items():
                example = tally.first_counterexample
                table.add_row(backend, str(tally.checked), str(tally.failed),
                              str(tally.untrusted), str(tally.silent),
                              "-" if example is None else repr(example["word"]))
            Console().print(table)
        if not report.ok:
            raise SystemExit(1)

    @precision_group.command(name=name, help=f"Precision sweep of {entry.title}.")
    @construction_options(name)
    @click.option("--dtype", type=click.Choice(list(DTYPE_NAMES)),
                  required=True)
    @click.option("--max-length", default=1000, show_default=True,
                  type=click.IntRange(1, 10**7))
    @click.option("--samples", default=64, show_default=True, type=click.IntRange(1, 10**6))
    @click.option("--seed", default=0, show_default=True, type=int)
    @click.option("--plot", "plot_file", type=click.Path(dir_okay=False),
                  help="Draw cross-entropy against length into this PNG.")
    @device_option
    @json_option
    def precision_command(dtype, max_length, samples, seed, plot_file, device, as_json,
                          **options):
        from compilers.checking import largest_correct_length, precision_sweep

        device = check_device(device)
        construction = _build(name, options)
        sizes = length_grid(max_length)
        with Progress(transient=True, disable=as_json) as bar:
            task = bar.add_task(f"{name} in {dtype}", total=len(sizes))
            points = precision_sweep(construction, sizes, dtype=dtype, samples=samples,
                                     device=device, seed=seed,
                                     progress=lambda k: bar.advance(task, k))
        result = {"construction": name, "options": dict(construction.options), "dtype": dtype,
                  "guaranteed_up_to": construction.limits.get(dtype),
                  "largest_correct_length": largest_correct_length(points),
                  "points": [p.as_dict() for p in points]}
        if plot_file:
            from compilers.plots import plot_cross_entropy

            plot_cross_entropy({f"{name} {dtype}": points}, plot_file)
            result["plot"] = plot_file
        if as_json:
            print_json(result)
            return
        table = Table(title=f"{name} in {dtype}: guaranteed up to n = "
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


def length_grid(max_length: int) -> list[int]:
    """Lengths 1, 2, 5, 10, 20, 50, ... up to and including `max_length`."""
    grid, scale = [], 1
    while scale <= max_length:
        grid += [m * scale for m in (1, 2, 5) if m * scale <= max_length]
        scale *= 10
    if grid[-1] != max_length:
        grid.append(max_length)
    return grid


@click.command(name="eval")
@click.argument("model_dir", type=click.Path(exists=True, file_okay=False))
@click.argument("words", nargs=-1)
@click.option("--backend", type=click.Choice(["torch", "exact"]), default="torch",
              show_default=True)
@json_option
def eval_command(model_dir: str, words: tuple[str, ...], backend: str, as_json: bool) -> None:
    """Run a saved recognizer on WORDS (or one word per line on stdin)."""
    import math

    from compilers.constructions.recognizer import Recognizer, exact_logits, torch_logits
    from compilers.saving import load_with_module

    construction, module = load_with_module(model_dir)
    if not isinstance(construction, Recognizer):
        raise click.BadParameter(f"{model_dir} holds a {type(construction).__name__}, "
                                 "not a language recognizer", param_hint="'MODEL_DIR'")
    batch = read_words(words)
    alphabet = set(construction.transformer.inputs.tokens) - set(construction.bos) - set(
        construction.eos)
    for word in batch:
        bad = sorted(set(word) - alphabet)
        if bad:
            raise click.BadParameter(f"word {word!r} has symbol {bad[0]!r}; the alphabet of "
                                     f"{construction.name} is {''.join(sorted(alphabet))!r}")
    if backend == "exact":
        logits = [float(v) for v in exact_logits(construction, batch)]
        trusted = [True] * len(batch)
    else:
        run = torch_logits(construction, batch, module=module)
        logits, trusted = run.logits.tolist(), run.trusted.tolist()
    rows = [{"word": w, "accept": z > 0, "p_accept": 1 / (1 + math.exp(-z)) if z > -700 else 0.0,
             "trusted": t} for w, z, t in zip(batch, logits, trusted, strict=True)]
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
    if not all(trusted):
        click.echo(f"warning: {trusted.count(False)} word(s) are beyond what the saved dtype "
                   "guarantees; rerun with --backend exact or a model saved in float64",
                   err=True)


for _name in RECOGNIZERS:
    _add_recognizer_commands(_name)


def register(group: click.Group) -> None:
    for command in (compile_group, eval_command, check_group, precision_group):
        group.add_command(command)
