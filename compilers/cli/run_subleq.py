"""`circuitx run subleq FILE`: run a SUBLEQ program under a named semantics.

``--semantics`` defaults to giannou for a ``.giannou`` file and to esolang
otherwise (see `languages.subleq` for both). ``--backend`` picks who runs it
through `BACKENDS`: a function ``(program, *, max_steps, input, bits, **options)
-> SubleqResult``, where `options` are the values of any options a backend
module adds to this command. Not halting within ``--max-steps`` exits with
status 2 and a one-line message naming the limit (after the output or JSON).
"""

from __future__ import annotations

from pathlib import Path

import click

from compilers.cli.common import device_option, dtype_option, json_option, print_json
from compilers.cli.subleq import transformer_backends
from languages import subleq
from languages.errors import ProgramError, StepLimitReached

DEFAULT_MAX_STEPS = 1_000_000


def _run_reference(program, *, max_steps: int, input: bytes, bits: int | None,
                   **options) -> subleq.SubleqResult:
    return subleq.run(program, max_steps=max_steps, input=input, bits=bits)


BACKENDS = {"reference": _run_reference, **transformer_backends()}  # + exact, torch


def read_program(path: str, semantics: str | None, bits: int | None):
    """The program in file `path`; the semantics from the suffix when not given."""
    if semantics is None:
        semantics = "giannou" if Path(path).suffix == ".giannou" else "esolang"
    try:
        text = Path(path).read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise ProgramError(f"cannot read program file {path!r}: "
                           f"{error.strerror or error}") from None
    try:
        return subleq.parse_program(text, semantics=semantics, bits=bits)
    except ProgramError as error:
        raise ProgramError(f"{path} ({semantics}): {error}") from None


@click.command("subleq")
@click.argument("file")
@click.option("--semantics", type=click.Choice(subleq.SEMANTICS), default=None,
              help="esolang or giannou (default: giannou for a .giannou file, else esolang).")
@click.option("--input", "text", default="", help="Input bytes (the text, UTF-8) for esolang.")
@click.option("--bits", type=int, default=None,
              help=f"Word width: esolang wraps every result to N bits (default: unbounded); "
                   f"giannou words have N bits (default {subleq.GIANNOU_DEFAULT_BITS}).")
@click.option("--max-steps", type=click.IntRange(0, subleq.MAX_STEPS),
              default=DEFAULT_MAX_STEPS, show_default=True,
              help="Stop after this many instructions; not halting by then is an error (exit 2).")
@click.option("--backend", type=click.Choice(list(BACKENDS)), default="reference",
              show_default=True, help="Who runs the program.")
@dtype_option
@device_option
@json_option
def command(file: str, semantics: str | None, text: str, bits: int | None, max_steps: int,
            backend: str, as_json: bool, **options) -> None:
    """Run the SUBLEQ program in FILE and print its output.

    With --json: the keys halted, steps, output, memory, pc and semantics.
    Exit status 2 if it does not halt within --max-steps.
    """
    program = read_program(file, semantics, bits)
    run_bits = bits if program.semantics == "esolang" else None
    result = BACKENDS[backend](program, max_steps=max_steps, input=text.encode(),
                               bits=run_bits, **options)
    if as_json:
        print_json({**result.as_dict(), "semantics": program.semantics})
    else:
        click.echo(result.output.decode("latin-1"), nl=False)
    if not result.halted:
        raise StepLimitReached(f"program did not halt within {max_steps} steps (pc "
                               f"{result.pc}); raise --max-steps")
