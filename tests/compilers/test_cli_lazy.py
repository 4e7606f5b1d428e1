"""The command line loads its modules lazily; `PROVIDERS` matches what they register."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from compilers.cli import COMMAND_MODULES, PROVIDERS, main
from compilers.dtypes import DTYPE_NAMES


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
                                  ["run", "tm", "1RB1LB_1LA1RZ"]])
def test_reference_commands_run_without_torch(argv):
    code = ("from compilers.cli import main\n"
            f"try:\n    main({argv!r})\nexcept SystemExit as done:\n    assert not done.code")
    assert "torch" not in _imported_after(code)


def _modules_of(command: click.Command) -> set[str]:
    """The modules that defined `command` and, for a group, each of its subcommands."""
    found = {command.callback.__module__} if command.callback else set()
    for sub in getattr(command, "commands", {}).values():
        found |= _modules_of(sub)
    return found


def test_every_command_module_is_named_in_providers():
    named = {module for modules in PROVIDERS.values() for module in modules}
    assert named == set(COMMAND_MODULES)


def test_providers_name_every_module_that_defines_part_of_a_command():
    ctx = click.Context(main)
    assert set(main.list_commands(ctx)) == set(PROVIDERS)
    for name in PROVIDERS:
        # modules outside COMMAND_MODULES (common, run_tm, ...) come in by import
        used = _modules_of(main.get_command(ctx, name)) & set(COMMAND_MODULES)
        assert used <= set(PROVIDERS[name]), name


def test_dtype_names_match_the_torch_backend():
    from compilers.backends.torch_module import DTYPES

    assert tuple(DTYPES) == DTYPE_NAMES
