"""One vocabulary of flags: every leaf's ``--help`` against `compilers.cli.vocabulary`.

Each leaf of the command tree (every verb's subcommand per construction
included) is asked for its ``--help``, and every flag in its options column
must be one of the vocabulary's, one of that command's own (`OWN`), or one of
its construction's typed options; no retired spelling may show anywhere in the
help. The retired spellings must still be read, and mean what they meant.
``docs/cli.md`` must show every flag of the table.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from compilers.cli import leaves, main
from compilers.cli.vocabulary import OWN, RETIRED, SHORT, VOCABULARY
from compilers.constructions import families

DOCS = Path(__file__).parents[3] / "docs" / "cli.md"
VERBS = {"compile", "run", "check", "precision", "circuit", "scaling"}
KNOWN = {"tour", "languages", "sample", "contains", "constructions", "compile", "eval",
         "export", "interpret", "run", "check", "precision", "circuit", "scaling", "gadget",
         "stats", "sweep"}
"""The commands this table was written for: held to it strictly. A command added later is
held to the rest (no retired spelling) until its own flags are named in `OWN`."""


LEAVES = leaves()


def _run(*args, **kwargs):
    return CliRunner().invoke(main, [str(a) for a in args], **kwargs)


def _shown_flags(help_text: str) -> set[str]:
    """The flags in the options column of click's help."""
    options = help_text.split("\nOptions:\n", 1)[1]
    flags = set()
    for line in options.splitlines():
        if not line.startswith("  -"):
            continue  # a wrapped help line
        column = re.split(r"\s{2,}", line.strip())[0]
        flags |= set(re.findall(r"(?<![\w-])--?[A-Za-z][\w-]*", column))
    return flags


def _construction_flags(path: tuple[str, ...]) -> set[str]:
    if path[0] not in VERBS:
        return set()
    family = families()[path[1]]
    flags = {o.flag for o in family.options if not o.argument}
    return flags | {f"--no-{o.flag[2:]}" for o in family.options
                    if o.kind == "flag" and not o.argument}


@pytest.mark.parametrize("path", LEAVES, ids=" ".join)
def test_every_leaf_help_uses_only_the_vocabulary(path):
    result = _run(*path, "--help")
    assert result.exit_code == 0, result.output
    for old in RETIRED:
        assert not re.search(rf"(?<![\w-]){re.escape(old)}(?![\w-])", result.output), (
            f"{' '.join(path)} --help shows the retired {old}")
    if path[0] not in KNOWN:
        return
    allowed = (set(VOCABULARY) | set(SHORT) | set(OWN.get(path[0], {}))
               | _construction_flags(path))
    shown = _shown_flags(result.output)
    assert "--help" in shown
    assert shown <= allowed, f"{' '.join(path)}: {sorted(shown - allowed)} not in the vocabulary"


def test_no_construction_option_takes_a_retired_name():
    for name, family in families().items():
        for option in family.options:
            if not option.argument:
                assert option.flag not in RETIRED, (name, option.flag)


def test_docs_show_every_flag_of_the_table():
    text = DOCS.read_text()
    for flag in [*VOCABULARY, *SHORT, *RETIRED, *(f for own in OWN.values() for f in own)]:
        assert re.search(rf"`[^`]*(?<![\w-]){re.escape(flag)}(?![\w-])", text), flag
    assert "_CIRCUITX_COMPLETE=bash_source circuitx" in text  # shell completion


def test_every_leaf_prints_json_and_every_long_one_can_be_quiet():
    quiet_free = {("languages",), ("contains",), ("constructions",), ("interpret",),
                  ("stats",)}  # answered in well under a second
    for path in LEAVES:
        if path[0] not in KNOWN:
            continue
        ctx = click.Context(main)
        command = main.get_command(ctx, path[0])
        if len(path) > 1:
            command = command.get_command(ctx, path[1])
        names = {name for p in command.params for name in getattr(p, "opts", ())}
        assert "--json" in names, path
        assert ("--quiet" in names) != (path in quiet_free), path


# -- retired spellings still work, and mean what they meant -------------------------------


def test_retired_spellings_are_read_as_before(tmp_path):
    old = _run("sample", "tomita3", "--length", "9", "--count", "7", "--seed", "3")
    new = _run("sample", "tomita3", "--length", "9", "--samples", "7", "--seed", "3")
    assert old.exit_code == 0 and old.output == new.output and len(old.output.split()) == 7

    assert _run("gadget", "mod", "--n", "5", "--m", "3", "--save", tmp_path / "a.json"
                ).exit_code == 0
    assert _run("gadget", "mod", "--length", "5", "--m", "3", "-o", tmp_path / "b.json"
                ).exit_code == 0
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()

    grid = json.loads(_run("precision", "parity", "--dtype", "float64", "--max-length", "10",
                           "--samples", "4", "--json").output)
    assert [p["length"] for p in grid["points"]] == [1, 2, 5, 10]
    both = _run("precision", "parity", "--dtype", "float64", "--max-length", "10",
                "--lengths", "3")
    assert both.exit_code == 2 and "both" in both.output

    assert _run("compile", "parity", "--save-dtype", "float64", "-o", tmp_path / "m").exit_code == 0
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert "float64" in json.dumps(config)


def test_a_retired_spelling_is_named_by_the_new_one_in_errors(tmp_path):
    result = _run("gadget", "parity", "--length", "3", "--save", tmp_path / "c.txt")
    assert result.exit_code == 2 and "'--out'" in result.output and "--save" not in result.output


def test_precision_lengths_are_a_list_like_everywhere_else():
    report = json.loads(_run("precision", "parity", "--dtype", "float64", "--lengths", "3,7",
                             "--samples", "4", "--json").output)
    assert [p["length"] for p in report["points"]] == [3, 7]
    zero = _run("precision", "parity", "--dtype", "float64", "--lengths", "0..2")
    assert zero.exit_code == 2 and "starts at length 1" in zero.output


def _complete(words: str) -> list[str]:
    env = {"_CIRCUITX_COMPLETE": "bash_complete", "COMP_WORDS": words,
           "COMP_CWORD": str(len(words.split()) - 1)}
    result = CliRunner().invoke(main, [], env=env, prog_name="circuitx")
    assert result.exit_code == 0, result.output
    return [line.split(",", 1)[1] for line in result.output.splitlines()]


def test_shell_completion_offers_commands_constructions_and_vocabulary_flags_only():
    assert _complete("circuitx che") == ["check"]
    assert "parity" in _complete("circuitx check par")
    assert _complete("circuitx gadget parity --s") == ["--signed"]  # not the retired --save
    flags = _complete("circuitx sample parity --")
    assert "--samples" in flags and not set(flags) & set(RETIRED)
