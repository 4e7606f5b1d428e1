"""The language zoo on the command line: `languages`, `sample`, `contains`.

    circuitx languages [--json]
    circuitx sample LANG --length N [--samples K] [--label member|nonmember|any] [--seed S]
                    [--json]
    circuitx contains LANG WORD... [--json]        (words one per line on stdin if none)

`sample` prints one word per line, exactly K lines: the empty word (length 0)
is an empty line (``--count`` is the retired spelling of ``--samples``); with
``--json``, ``{"language", "length", "label", "seed", "words"}``. `contains`
reads the words it is given, or one per line from stdin (one line is one
word, an empty line the empty word: so
``circuitx sample dyck1 --length 0 --samples 5 | circuitx contains dyck1``
answers five times; an empty stdin is an error), and prints one row per word:
``word<TAB>true|false``, or with ``--json`` a list of ``{"word", "member"}``.
The JSON of `languages` is a list of ``{"name", "alphabet", "description",
"regular"}``. A word with a symbol outside the language's alphabet, an unknown
language, or a length or count out of range is a one-line ``error: ...`` and
exit status 2.
"""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.table import Table

from compilers.cli.common import (
    json_option,
    option,
    print_json,
    quiet_option,
    read_words,
    working,
)
from languages import zoo
from languages.errors import WordError
from languages.language import LABELS, Language

SECONDS_PER_SYMBOL = 1e-8  # sampling, measured: 10^6 words of length 100 in about 1 s


def is_regular(language: Language) -> bool:
    """Whether the zoo language carries a DFA (a regular language)."""
    return hasattr(language, "dfa")


def zoo_rows() -> list[dict]:
    """The zoo as the JSON contract of `circuitx languages --json`."""
    return [{"name": name, "alphabet": zoo.get(name).alphabet,
             "description": zoo.get(name).description, "regular": is_regular(zoo.get(name))}
            for name in zoo.names()]


def check_symbols(language: Language, words: list[str]) -> None:
    """Raise `WordError` naming the first symbol outside the alphabet, if any."""
    alphabet = set(language.alphabet)
    for word in words:
        for symbol in word:
            if symbol not in alphabet:
                raise WordError(f"word {word!r} has symbol {symbol!r}, which is not in the "
                                f"alphabet {language.alphabet!r} of {language.name}")


@click.command("languages")
@json_option
def languages_command(as_json: bool) -> None:
    """List the language zoo: names, alphabets, members."""
    rows = zoo_rows()
    if as_json:
        print_json(rows)
        return
    table = Table(title="the language zoo")
    for column in ("name", "alphabet", "members", "regular"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["name"], row["alphabet"], row["description"],
                      "yes" if row["regular"] else "no")
    Console(soft_wrap=True).print(table)


@click.command("sample")
@click.argument("language")
@click.option("--length", "length", type=int, required=True, help="Length of every word.")
@option("--samples", "count", old=("--count",), type=int, default=10, show_default=True,
        help="How many words.")
@click.option("--label", default="member", show_default=True,
              help=f"{', '.join(LABELS)} (any: half and half, shuffled).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="The same seed gives the same words (0 .. 2^63 - 1).")
@json_option
@quiet_option
def sample_command(language: str, length: int, count: int, label: str, seed: int,
                   as_json: bool, quiet: bool) -> None:
    """Print SAMPLES uniform words of LANGUAGE with the given label, one per line.

    The empty word (--length 0) prints as an empty line, so there are always
    SAMPLES lines.
    """
    target = zoo.get(language)
    with working(f"sampling {count} words of {language}", SECONDS_PER_SYMBOL
                 * max(count, 0) * max(length, 1), quiet):
        words = target.sample(length, count, label, seed=seed)
    if as_json:
        print_json({"language": language, "length": length, "label": label, "seed": seed,
                    "words": list(words)})
        return
    if words:
        sys.stdout.write("\n".join(words) + "\n")
        sys.stdout.flush()


@click.command("contains")
@click.argument("language")
@click.argument("words", nargs=-1)
@json_option
def contains_command(language: str, words: tuple[str, ...], as_json: bool) -> None:
    """Whether each WORD is in LANGUAGE (words one per line on stdin when none given)."""
    target = zoo.get(language)
    checked = read_words(words)
    check_symbols(target, checked)
    members = [target.contains(word) for word in checked]
    if as_json:
        print_json([{"word": w, "member": m} for w, m in zip(checked, members, strict=True)])
        return
    lines = [f"{w}\t{'true' if m else 'false'}" for w, m in zip(checked, members, strict=True)]
    if lines:
        sys.stdout.write("\n".join(lines) + "\n")
        sys.stdout.flush()
