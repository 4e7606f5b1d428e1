"""`circuitx run` and `circuitx precision` for a predictor (a next-symbol model).

A predictor (`compilers.constructions.predictor`, mode ``predict``) reads a
word and gives, at every position t = 0 .. n, the distribution of the next
symbol. Its commands:

* ``run NAME WORDS``: per word and position, the distribution (its non-zero
  probabilities, exact) and the most likely outcome, from the reference (the
  table, the rule; ``--backend reference``, no transformer built) or the
  transformer (``exact``, ``torch``, or ``circuit``: one threshold circuit per
  word length, read out at every position, exact at ``--precision auto``, rounded
  and untrusted at a stated ``I.F``), with ``agrees_with_reference`` and
  ``trusted``; ``--json`` gives a list of
  ``{"word", "positions": [{"t", "next", "predicted"}], "trusted",
  "agrees_with_reference"}`` (the reference: ``{"word", "positions"}``). A
  float run past what its precision guarantees warns on stderr and exits 1.
* ``precision NAME --dtype D``: at ``--lengths`` (by default 1, 2, 5, ... up
  to 1000, or to the longest word the predictor takes, RASP's ``--max-seq-len``;
  the retired ``--max-length N``: that grid up to N), the sampled
  words a torch run in D predicted right at every position, beside the length
  the construction guarantees; a wrong word inside the guarantee is reported
  under ``"contradicted"`` with exit 1.

Options that do not apply (``--dtype``/``--device`` outside the torch backend,
``--precision`` outside the circuit backend,
a family's own, such as an n-gram's ``--order`` beside ``--table``) are refused
by name; every run is estimated first (`compilers.runs.budget`).
"""

from __future__ import annotations

import sys

import click
from click.core import ParameterSource
from rich.console import Console
from rich.table import Table

from compilers.cli import inputs
from compilers.cli.common import (
    budget_options,
    check_device,
    device_option,
    dtype_option,
    json_option,
    lengths_options,
    precision_option,
    print_json,
    progress,
    quiet_option,
    read_words,
    seed_option,
    show_positions,
    working,
)
from compilers.cli.families import construction, with_options
from compilers.dtypes import DTYPE_NAMES

BACKENDS = ("reference", "exact", "torch", "circuit")


def _refuse(ctx, family, params: dict, torch: bool, circuit: bool | None = None) -> None:
    reasons = dict(family.inapplicable(params)) if family.inapplicable else {}
    reasons.pop("input", None)
    why = None if torch else "applies to --backend torch only"
    extra = {} if circuit is None else {
        "precision": None if circuit else "applies to --backend circuit only"}
    inputs.inapplicable(ctx, {"dtype": why, "device": why, **extra, **reasons})


def run_command(family) -> click.Command:
    """``circuitx run NAME`` for a predictor (see the module docstring)."""
    @click.command(name=family.name, help=f"Run {family.title} on WORDS (or one word per "
                                          "line on stdin): the next symbol's distribution "
                                          "at every position.")
    @with_options(family)
    @click.argument("words", nargs=-1)
    @click.option("--backend", type=click.Choice(BACKENDS), default="reference",
                  show_default=True, help="Who runs it: the reference (the table, the rule), "
                                          "or the transformer in exact arithmetic, torch, or "
                                          "as threshold circuits (one per word length).")
    @dtype_option
    @device_option
    @precision_option
    @json_option
    @quiet_option
    @budget_options
    @click.pass_context
    def command(ctx, words, backend, dtype, device, precision, as_json, quiet, budget,
                **params) -> None:
        from compilers.runs import budget as estimates
        from compilers.runs import run

        _refuse(ctx, family, params, backend == "torch", backend == "circuit")
        device = inputs.device(device) if backend == "torch" else "cpu"
        if backend == "circuit":
            from compilers.backends.circuit import parse_precision

            parse_precision(precision)
        built = construction(family, params)
        batch = read_words(words)
        for word in batch:
            bad = sorted(set(word) - set(built.alphabet))
            if bad:
                shown = repr(word) if len(word) <= 60 else repr(word[:57] + "...")
                raise click.BadParameter(f"word {shown} has symbol {bad[0]!r}; the alphabet of "
                                         f"{built.name} is {built.alphabet!r}")
        if backend == "reference":
            rows = [{"word": w, **built.reference(w).as_dict()} for w in batch]
            results = []
        else:
            cost = estimates.run(built, batch, backend=backend, dtype=dtype, device=device,
                                 precision=precision).check(budget)
            with working(f"running {family.name}", cost.seconds, quiet):
                results = run(built, batch, backend=backend, dtype=dtype, device=device,
                              precision=precision)
            rows = [r.as_dict() for r in results]
        if as_json:
            print_json(rows)
        else:
            show_positions(rows)
        _warn(results)

    return command


def _warn(results) -> None:
    """Warn about, and exit 1 for, runs that are not trusted or disagree."""
    untrusted = [r for r in results if not r.trusted]
    wrong = [r for r in results if r.trusted and r.agrees_with_reference is False]
    if untrusted:
        fix = ("--precision auto" if untrusted[0].backend == "circuit"
               else "--dtype float64")
        click.echo(f"warning: {len(untrusted)} run(s) are not trusted: "
                   f"{untrusted[0].why_untrusted}; rerun with --backend exact or {fix}",
                   err=True)
    if wrong:
        click.echo(f"error: {len(wrong)} trusted run(s) disagree with the reference (a bug)",
                   err=True)
    if untrusted or wrong:
        sys.exit(1)


def precision_command(family) -> click.Command:
    """``circuitx precision NAME`` for a predictor (see the module docstring)."""
    @click.command(name=family.name, help=f"Precision sweep of {family.title}.")
    @with_options(family)
    @click.option("--dtype", type=click.Choice(list(DTYPE_NAMES)), required=True)
    @lengths_options
    @click.option("--samples", default=64, show_default=True, type=click.IntRange(1, 10**6))
    @seed_option
    @device_option
    @json_option
    @quiet_option
    @budget_options
    @click.pass_context
    def command(ctx, dtype, sizes, samples, seed, device, as_json, quiet, budget, **params):
        import math

        from compilers.runs import budget as estimates
        from compilers.runs.predict_precision import prediction_sweep

        _refuse(ctx, family, params, True)
        device = check_device(device)
        built = construction(family, params)
        default = all(ctx.get_parameter_source(name) is ParameterSource.DEFAULT
                      for name in ("lengths", "max_length"))
        if default and built.max_length is not None:  # the grid, up to the longest word
            sizes = [n for n in sizes if n < built.max_length] + [built.max_length]
        symbols = max(len(built.alphabet), 2)
        counts = {n: samples if n * math.log(symbols) > math.log(samples)
                  else min(samples, symbols ** n) for n in sizes}
        estimates.recognise(built, counts, backend="torch", dtype=dtype,
                            device=device).check(budget)
        with progress(quiet) as bar:
            task = bar.add_task(f"{family.name} in {dtype}", total=len(sizes))
            points = prediction_sweep(built, sizes, dtype=dtype, samples=samples,
                                      device=device, seed=seed,
                                      progress=lambda k: bar.advance(task, k))
        contradicted = [p.length for p in points if p.guaranteed and p.correct != p.words]
        result = {"construction": family.name, "options": dict(built.options), "dtype": dtype,
                  "guaranteed_up_to": built.limits.get(dtype), "contradicted": contradicted,
                  "points": [p.as_dict() for p in points]}
        if as_json:
            print_json(result)
        else:
            guarantee = result["guaranteed_up_to"]
            table = Table(title=f"{family.name} in {dtype}: guaranteed up to n = {guarantee}"
                          if guarantee is not None else f"{family.name} in {dtype}: no length "
                                                        "guaranteed for these options")
            for column in ("n", "right at every position", "suspect", "guaranteed"):
                table.add_column(column, justify="right")
            for p in points:
                table.add_row(str(p.length), f"{p.correct}/{p.words}", str(p.suspect),
                              "yes" if p.guaranteed else "no")
            Console().print(table)
        if contradicted:
            click.echo(f"error: the float run got words wrong at n = {contradicted[0]}, inside "
                       "its guarantee (a bug in the analysis)", err=True)
            raise SystemExit(1)

    return command
