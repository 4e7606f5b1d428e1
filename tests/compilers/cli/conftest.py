"""The fuzzing suite's figures at the end of a run: cases and clean ones per command."""

from __future__ import annotations


def pytest_terminal_summary(terminalreporter) -> None:
    """Print `test_fuzz.summary()` where the fuzzing tests ran in this session."""
    import sys

    fuzz = sys.modules.get("tests.compilers.cli.test_fuzz")
    lines = fuzz.summary() if fuzz is not None else []
    if lines:
        terminalreporter.section("fuzzing: cases per command")
        for line in lines:
            terminalreporter.write_line(line)
