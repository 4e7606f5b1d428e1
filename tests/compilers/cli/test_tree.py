"""The command tree: built in one place (`COMMANDS`), loaded lazily, flags from typed options."""

from __future__ import annotations

import importlib
import subprocess
import sys

import click
import pytest

from compilers.cli import COMMANDS, main
from compilers.constructions import families
from compilers.dtypes import DTYPE_NAMES

VERBS = ("compile", "run", "check", "precision", "circuit", "scaling")


def _imported_after(code: str) -> set[str]:
    """The heavy packages present in `sys.modules` after running `code` in a fresh python."""
    probe = (f"{code}\nimport sys\n"
             "print(' '.join(m for m in ('torch', 'sympy', 'networkx', 'matplotlib') "
             "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    return set(done.stdout.split())


def test_importing_the_command_line_imports_no_torch_sympy_networkx_or_matplotlib():
    assert _imported_after("import compilers.cli") == set()


@pytest.mark.parametrize("argv", [["languages"], ["sample", "parity", "--length", "3"],
                                  ["contains", "parity", "0110"],
                                  ["run", "tm", "1RB1LB_1LA1RZ"],
                                  ["run", "subleq", "examples/programs/hello.subleq"]])
def test_reference_commands_run_without_torch(argv):
    code = ("from compilers.cli import main\n"
            f"try:\n    main({argv!r})\nexcept SystemExit as done:\n    assert not done.code")
    assert "torch" not in _imported_after(code)


def test_every_command_of_the_tree_is_a_click_command_where_the_tree_says():
    ctx = click.Context(main)
    assert main.list_commands(ctx) == list(COMMANDS)
    for name, where in COMMANDS.items():
        module, attribute = where.split(":")
        command = main.get_command(ctx, name)
        assert isinstance(command, click.Command)
        assert command is getattr(importlib.import_module(module), attribute)
    assert main.get_command(ctx, "nosuch") is None


def test_each_verb_offers_one_subcommand_per_registered_construction():
    ctx = click.Context(main)
    for verb in VERBS:
        group = main.get_command(ctx, verb)
        expected = [name for name, family in families().items()
                    if verb not in ("circuit", "scaling") or family.circuit is not None]
        assert group.list_commands(ctx) == expected, verb


def test_a_constructions_flags_are_its_typed_options():
    ctx = click.Context(main)
    for family in families().values():
        command = main.get_command(ctx, "compile").get_command(ctx, family.name)
        params = {p.name: p for p in command.params}
        for option in family.options:
            assert option.name in params, (family.name, option.name)
            param = params[option.name]
            assert isinstance(param, click.Argument) == option.argument
            if not option.argument:
                assert option.flag in param.opts


def test_building_a_verb_twice_gives_the_same_flags_and_changes_no_other_command():
    ctx = click.Context(main)
    before = {verb: {name: [p.name for p in main.get_command(ctx, verb).get_command(
        ctx, name).params] for name in main.get_command(ctx, verb).list_commands(ctx)}
        for verb in VERBS}
    for verb in VERBS:
        module = importlib.import_module(COMMANDS[verb].split(":")[0])
        importlib.reload(module)
    after = {verb: {name: [p.name for p in main.get_command(ctx, verb).get_command(
        ctx, name).params] for name in main.get_command(ctx, verb).list_commands(ctx)}
        for verb in VERBS}
    assert before == after


def test_dtype_names_match_the_torch_backend():
    from compilers.backends.torch_module import DTYPES

    assert tuple(DTYPES) == DTYPE_NAMES
