"""`circuitx run NAME ...`: run a construction, or its reference, on its input.

``--backend reference`` runs the reference itself: the language's own
membership test, the Turing machine's or the SUBLEQ program's interpreter
(no transformer is built; no torch is imported). ``exact``, ``torch`` and
``circuit`` run the transformer through the run layer (`compilers.runs.run`)
and print, beside the reference's answer, ``agrees_with_reference`` and
``trusted``. Per construction:

* a recogniser: WORDS (one per line on stdin when none: one line is one word,
  an empty line the empty word); a table, or with ``--json`` a list of
  ``{"word", "accept", "p_accept", "trusted", "agrees_with_reference"}``, one
  per word;
* a Turing machine: MACHINE ``--input WORD``; the interpreter's JSON (halted,
  steps, ones, state, tape, head, tape_start, undefined) plus agreement and
  trust; not halting within ``--max-steps`` is exit status 2 (after the JSON);
* a SUBLEQ program: FILE ``--input TEXT``; its output, or with ``--json`` the
  interpreter's JSON (halted, steps, output, memory, pc, semantics) plus
  agreement; a bad address is the interpreter's one-line error. Without
  ``--bits`` an esolang program runs on unbounded words: the transformer gets
  the word width that holds every word of the run (`Family.run_options`), or
  the run is refused naming the step where a word outgrows 64 bits.

Options that do not apply are refused by name: ``--dtype`` and ``--device``
outside ``--backend torch``, ``--precision`` outside ``--backend circuit``,
``--input`` for a giannou program. Every run is estimated first
(`compilers.runs.budget`; ``--max-seconds`` and the other limits). A float run
past what its precision guarantees warns on stderr and exits with status 1;
it is never returned as if it were right.
"""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.table import Table

from compilers.cli import inputs
from compilers.cli.common import (
    budget_options,
    device_option,
    dtype_option,
    json_option,
    precision_option,
    print_json,
    progress,
    quiet_option,
    read_words,
    working,
)
from compilers.cli.families import construction, family_group, with_options
from compilers.cli.predict import run_command as _predictor
from languages.errors import StepLimitReached

BACKENDS = ("reference", "exact", "torch", "circuit")
DEFAULT_MAX_STEPS = 1_000_000
MAX_STEPS = 10**9

backend_option = click.option(
    "--backend", type=click.Choice(BACKENDS), default="reference", show_default=True,
    help="Who runs it: the reference (language, interpreter), or the transformer in exact "
         "arithmetic, in torch, or as threshold circuits.")
lookups_option = click.option(
    "--lookups", type=click.Choice(("dense", "index")), default="dense", show_default=True,
    help="index: each loop recomputes only the columns whose inputs changed, with indexed "
         "attention lookups (exact and torch; see docs/backends.md).")
dense_every_option = click.option(
    "--dense-every", type=click.IntRange(0, MAX_STEPS), default=None,
    help="With --lookups index: also run the dense loop every K loops and compare the whole "
         "punchcard (the last loop is always compared; 0: never).")
max_steps_option = click.option(
    "--max-steps", type=click.IntRange(0, MAX_STEPS), default=DEFAULT_MAX_STEPS,
    show_default=True, help="Stop after this many steps; not halting by then is an error "
                            "(exit 2).")


def _run_command(family) -> click.Command:
    return {"recognise": _recogniser, "generate": _machine, "loop": _program,
            "predict": _predictor}[family.mode](family)


def backend_applies(ctx: click.Context, backend: str) -> None:
    """Refuse ``--dtype``/``--device`` outside torch and ``--precision`` outside circuit."""
    on = f"this run uses --backend {backend}"
    inputs.inapplicable(ctx, {
        "dtype": None if backend == "torch" else f"applies to --backend torch only; {on}",
        "device": None if backend == "torch" else f"applies to --backend torch only; {on}",
        "precision": None if backend == "circuit" else f"applies to --backend circuit only; "
                                                       f"{on}"})


def _options(backend: str, dtype: str, device: str, precision: str) -> dict:
    if backend == "circuit":
        from compilers.backends.circuit import parse_precision

        parse_precision(precision)
    return {"backend": backend, "dtype": dtype,
            "device": inputs.device(device) if backend == "torch" else "cpu",
            "precision": precision}


def _recogniser(family) -> click.Command:
    @click.command(name=family.name, help=f"Run {family.title} on WORDS (or one word per "
                                          "line on stdin).")
    @with_options(family)
    @click.argument("words", nargs=-1)
    @backend_option
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

        backend_applies(ctx, backend)
        options = _options(backend, dtype, device, precision)
        built = construction(family, params)
        batch = read_words(words)
        _check_symbols(built, batch)
        if backend == "reference":
            rows = [{"word": w, "accept": built.reference(w)} for w in batch]
            results = []
        else:
            cost = estimates.run(built, batch, **options).check(budget)
            with working(f"running {family.name}", cost.seconds, quiet):
                results = run(built, batch, **options)
            rows = [r.as_dict() for r in results]
        if as_json:
            print_json(rows)
        else:
            table = Table()
            for column in rows[0] if rows else ("word", "accept"):
                table.add_column(column)
            for row in rows:
                table.add_row(*(str(v) if k != "word" else (v or "(empty)")
                                for k, v in row.items()))
            Console().print(table)
        _warn(results)

    return command


def _check_symbols(built, words) -> None:
    alphabet = set(built.alphabet)
    for word in words:
        bad = sorted(set(word) - alphabet)
        if bad:
            shown = repr(word) if len(word) <= 60 else repr(word[:57] + "...")
            raise click.BadParameter(f"word {shown} has symbol {bad[0]!r}; the alphabet of "
                                     f"{built.name} is {built.alphabet!r}")


def _warn(results) -> None:
    """Warn about, and exit 1 for, runs that are not trusted or disagree."""
    untrusted = [r for r in results if not r.trusted]
    wrong = [r for r in results if r.trusted and r.agrees_with_reference is False]
    if untrusted:
        click.echo(f"warning: {len(untrusted)} run(s) are not trusted: "
                   f"{untrusted[0].why_untrusted}; rerun with --backend exact or --dtype "
                   "float64", err=True)
    if wrong:
        click.echo(f"error: {len(wrong)} trusted run(s) disagree with the reference (a bug)",
                   err=True)
    if untrusted or wrong:
        sys.exit(1)


def _machine(family) -> click.Command:
    @click.command(name=family.name, help=f"Run {family.title} (or the machine itself) on "
                                          "--input.")
    @with_options(family)
    @max_steps_option
    @backend_option
    @dtype_option
    @device_option
    @precision_option
    @lookups_option
    @json_option
    @quiet_option
    @budget_options
    @click.pass_context
    def command(ctx, max_steps, backend, dtype, device, precision, lookups, as_json, quiet,
                budget, **params) -> None:
        from compilers.runs import budget as estimates

        backend_applies(ctx, backend)
        inputs.inapplicable(ctx, {"lookups": None if backend in ("exact", "torch") else
                                  "applies to --backend exact or torch only; this run uses "
                                  f"--backend {backend}"})
        options = _options(backend, dtype, device, precision)
        estimates.reference(max_steps, "the machine's interpreter").check(budget)
        if backend == "reference":
            word = params.get("word", "")
            with working("running the machine", max_steps * estimates.RATES["reference"],
                         quiet):
                result = family.interpret(params, word, max_steps=max_steps)
            shown, trusted = result.as_dict(), True
        else:
            from compilers.runs import run

            built = construction(family, params)
            steps, _ = built.reference(built.word, max_steps=max_steps)
            cost = estimates.run(built, [built.word], steps=[len(steps)], **options)
            cost.check(budget)
            with progress(quiet) as bar:
                task = bar.add_task(f"{family.name} ({backend})", total=len(steps) + 1)
                (done,) = run(built, [built.word], max_steps=max_steps, lookups=lookups,
                              progress=lambda k: bar.advance(task, k), **options)
            result, shown, trusted = done.answer, done.as_dict(), done.trusted
            if not trusted:
                click.echo(f"warning: the {done.dtype or backend} run is guaranteed for "
                           f"{done.values['trusted_steps']} steps only (first flagged step: "
                           f"{done.values['flagged_step']}); its trace beyond that is "
                           "untrusted: rerun with --backend exact or --dtype float64", err=True)
        if as_json:
            print_json(shown)
        elif hasattr(result, "lines"):  # a run that prints itself (a chain of thought)
            click.echo("\n".join(result.lines()))
        else:
            _print_tape(result)
        if not result.halted:
            raise StepLimitReached(f"machine did not halt within {max_steps} steps (state "
                                   f"{result.state}, head at cell {result.head}); raise "
                                   "--max-steps")
        if not trusted:
            sys.exit(1)

    return command


def _print_tape(result) -> None:
    how = "at an undefined transition" if result.undefined else f"in state {result.state}"
    if result.halted:
        click.echo(f"halted after {result.steps} steps {how}; {result.ones} non-blank cells")
    end = result.tape_start + len(result.tape) - 1
    lead = f"tape (cells {result.tape_start}..{end}): "
    click.echo(lead + result.tape)
    click.echo(" " * (len(lead) + result.head - result.tape_start)
               + f"^ head at cell {result.head}")


def program_inputs(ctx: click.Context, family, params: dict, text: str) -> bytes:
    """The input bytes of a program run, once the options that do not apply are refused."""
    reasons = dict(family.inapplicable(params)) if family.inapplicable else {}
    inputs.inapplicable(ctx, {"text": reasons.pop("input", None), **reasons})
    return inputs.text_bytes(text, option="--input")


def for_run(family, params: dict, data: bytes, max_steps: int) -> dict:
    """The options of a transformer run of `data` for `max_steps` (`Family.run_options`)."""
    if family.run_options is None:
        return params
    return family.run_options(params, data, max_steps)


def _program(family) -> click.Command:
    @click.command(name=family.name, help=f"Run the program in FILE, on {family.title} or on "
                                          "the interpreter, and print its output.")
    @with_options(family, skip=("input_size",))
    @click.option("--input", "text", default="", help="Input bytes (the text, UTF-8) for "
                                                      "esolang.")
    @max_steps_option
    @backend_option
    @dtype_option
    @device_option
    @precision_option
    @lookups_option
    @dense_every_option
    @json_option
    @quiet_option
    @budget_options
    @click.pass_context
    def command(ctx, text, max_steps, backend, dtype, device, precision, lookups, dense_every,
                as_json, quiet, budget, **params) -> None:
        from compilers.runs import budget as estimates

        backend_applies(ctx, backend)
        indexed = backend in ("exact", "torch")
        inputs.inapplicable(ctx, {name: None if indexed else "applies to --backend exact or "
                                  f"torch only; this run uses --backend {backend}"
                                  for name in ("lookups", "dense_every")})
        if dense_every is not None and lookups != "index":
            raise click.UsageError("--dense-every applies to --lookups index only")
        data = program_inputs(ctx, family, params, text)
        options = _options(backend, dtype, device, precision)
        estimates.reference(max_steps, "the program's interpreter").check(budget)
        if backend == "reference":
            with working("running the program", max_steps * estimates.RATES["reference"],
                         quiet):
                result = family.interpret(params, data, max_steps=max_steps)
            shown = result.as_dict()
            semantics = _semantics(params)
        else:
            from compilers.runs import run

            built = construction(family, for_run(family, params, data, max_steps),
                                 input_size=len(data))
            program = built.prepare((built.program, data))
            steps = reference_steps(built, program, max_steps)
            estimates.run(built, [program], steps=[steps], **options).check(budget)
            with progress(quiet) as bar:
                task = bar.add_task(f"{family.name} ({backend})", total=steps)
                (done,) = run(built, [program], max_steps=max_steps, lookups=lookups,
                              dense_every=dense_every,
                              progress=lambda k: bar.advance(task, k), **options)
            if done.error is not None:
                raise done.error
            result, shown, semantics = done.answer, done.as_dict(), built.semantics
        if as_json:
            print_json({**shown, "semantics": semantics})
        else:
            click.echo(result.output.decode("latin-1"), nl=False)
        if not result.halted:
            raise StepLimitReached(f"program did not halt within {max_steps} steps (pc "
                                   f"{result.pc}); raise --max-steps")

    return command


def reference_steps(built, program, max_steps: int) -> int:
    """The steps the reference takes (the loops a transformer run will make)."""
    from languages.errors import LanguageError

    try:
        return built.reference(program, max_steps=max_steps).steps
    except LanguageError:  # the interpreter's own error (a bad address): count up to it
        count = 0
        try:
            for _ in built.reference_states(program, max_steps=max_steps):
                count += 1
        except LanguageError:
            count += 1
        return count


def _semantics(params: dict) -> str:
    from pathlib import Path

    given = params.get("semantics")
    return given or ("giannou" if Path(params["program"]).suffix == ".giannou" else "esolang")


run_group = family_group(
    "run", "Run a construction (or its reference: the language, the machine, the program) "
    "on its input.", _run_command)
