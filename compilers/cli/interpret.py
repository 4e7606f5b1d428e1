"""`circuitx interpret PROGRAM WORD...`: a program's own semantics, every vector at every position.

PROGRAM is what the ``program`` construction takes (a library name, a file
``.brasp``/``.crasp``/``.ltl``, `compilers.programs.sources.load`; ``-``: program
text on stdin, with ``--language``); the words come from the arguments or one
per line from stdin (`compilers.cli.inputs.words`; not both from stdin).
For each word it prints every vector of the program (every subformula of an
LTL formula) at every position, by the language's interpreter, with its
type and depth, and whether the program accepts (its output at the last
position; the empty word has none: ``accepts`` is null). ``--json`` prints
one object per word. No transformer is built: this is the reference the
compiled program is checked against.
"""

from __future__ import annotations

import click

from compilers.cli import inputs
from compilers.cli.common import json_option, print_json, read_words


@click.command("interpret")
@click.argument("program")
@click.argument("words", nargs=-1)
@click.option("--language", type=click.Choice(["brasp", "crasp", "ltl"]),
              help="The program's language (default: from the file's suffix or the library).")
@json_option
def interpret_command(program: str, words: tuple[str, ...], language: str | None,
                      as_json: bool) -> None:
    """Run PROGRAM's interpreter on WORDS (or one word per line on stdin): every vector at
    every position, and whether it accepts."""
    from compilers.programs.sources import load

    if program == inputs.STDIN:
        program = inputs.stdin_text("PROGRAM")
        program = program if "\n" in program else program + "\n"
    source = load(program, language=language)
    checked = read_words(words)
    reports = []
    for word in checked:
        vectors = source.vectors(word)  # a symbol outside the alphabet: one line, exit 2
        reports.append({"program": source.name, "language": source.language, "word": word,
                        "accepts": source.accepts(word) if word else None,
                        "depth": source.depth, "vectors": vectors})
    if as_json:
        print_json(reports)
        return
    for report in reports:
        _show(report, source.title)


def _cell(values: list, kind: str) -> str:
    if kind == "bool":
        return "".join("1" if v else "0" for v in values)
    return " ".join(str(v) for v in values)


def _show(report: dict, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    word = report["word"]
    accepts = {True: "accepts", False: "rejects", None: "has no last position"}[
        report["accepts"]]
    table = Table(title=f"{title} {report['program']} on {word!r}: {accepts}")
    for column in ("vector", "type", "depth", "values"):
        table.add_column(column, justify="right" if column == "depth" else "left",
                         overflow="fold")
    table.add_row("(word)", "", "", word)
    for vector in report["vectors"]:
        table.add_row(vector["name"], vector["type"], str(vector["depth"]),
                      _cell(vector["values"], vector["type"]))
    Console().print(table)
