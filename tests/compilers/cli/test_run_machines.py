"""`circuitx run tm` and `circuitx run subleq`: outputs, JSON keys, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from compilers.cli import main

PROGRAMS = Path(__file__).resolve().parents[3] / "examples" / "programs"
BB4 = "1RB1LB_1LA0LC_1RZ1LD_1RD0RA"


def _run(*args):
    return CliRunner().invoke(main, list(args))


def test_run_tm_json_has_the_contract_keys():
    result = _run("run", "tm", BB4, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert {"halted", "steps", "ones", "state", "tape", "head", "tape_start"} <= set(report)
    assert (report["halted"], report["steps"], report["ones"], report["state"]) == (
        True, 107, 13, "Z")


def test_run_tm_reads_a_table_file_and_an_input(tmp_path):
    path = tmp_path / "walk.table"
    path.write_text("# walk right over 1s, write a 1 on the first blank\n  0 1\nA 1RZ 1RA\n")
    result = _run("run", "tm", str(path), "--input", "111")
    assert result.exit_code == 0, result.output
    assert "halted after 4 steps in state Z; 4 non-blank cells" in result.output
    assert "tape (cells 0..4): 11110" in result.output


def test_run_tm_not_halting_prints_the_json_then_fails_naming_the_limit():
    result = _run("run", "tm", BB4, "--max-steps", "50", "--json")
    assert result.exit_code == 2
    report = json.loads(result.output[: result.output.index("error:")])
    assert (report["halted"], report["steps"]) == (False, 50)
    assert "error: machine did not halt within 50 steps (state A" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["1RB1LX_1LA1RZ"], "error: machine code '1RB1LX_1LA1RZ', state A, symbol 1: transition "
                        "'1LX': state 'X' unknown; states are A, B (and Z halts)"),
    (["1RB1LB_1LA1RZ", "--max-steps", "-1"],
     "error: invalid value for '--max-steps': -1 is not in the range 0<=x<=1000000000"),
    (["1RB1LB_1LA1RZ", "--input", "012"],
     "error: input word '012' has the symbol '2' at position 2"),
    (["no-such-file.tm"], "error: 'no-such-file.tm' is neither a bbchallenge machine code"),
])
def test_run_tm_user_errors_are_one_line(args, message):
    result = _run("run", "tm", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_run_subleq_prints_the_program_output():
    result = _run("run", "subleq", str(PROGRAMS / "hello.subleq"))
    assert (result.exit_code, result.output) == (0, "Hello, world!\n")
    result = _run("run", "subleq", str(PROGRAMS / "countdown.subleq"), "--bits", "8")
    assert (result.exit_code, result.output) == (0, "9876543210\n")


def test_run_subleq_json_for_both_semantics():
    result = _run("run", "subleq", str(PROGRAMS / "multiply.subleq"), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert {"halted", "steps", "output", "memory", "pc"} <= set(report)
    assert (report["halted"], report["output"], report["semantics"]) == (True, "42\n", "esolang")
    result = _run("run", "subleq", str(PROGRAMS / "multiply.giannou"), "--bits", "8", "--json")
    report = json.loads(result.output)
    assert (report["semantics"], report["steps"], report["memory"]) == (
        "giannou", 21, [6, 0, -42, 1, 0, 42])


def test_run_subleq_feeds_input(tmp_path):
    path = tmp_path / "echo.subleq"
    path.write_text("-1 9 3  9 -1 6  10 10 -1  0 0")  # read one byte, print it, halt
    result = _run("run", "subleq", str(path), "--input", "Q")
    assert (result.exit_code, result.output) == (0, "Q")


def test_run_subleq_not_halting_fails_naming_the_limit():
    result = _run("run", "subleq", str(PROGRAMS / "countdown.subleq"), "--max-steps", "5")
    assert result.exit_code == 2
    assert "error: program did not halt within 5 steps (pc 3); raise --max-steps" in result.output


@pytest.mark.parametrize(("text", "args", "message"), [
    ("1 2 3\n4 x", [], "bad.subleq (esolang): line 2: 'x' is not an integer"),
    ("0 0 1 ; 0", ["--semantics", "giannou", "--bits", "4", "--max-steps", "-2"],
     "error: invalid value for '--max-steps': -2 is not in the range 0<=x<=1000000000"),
    ("0 0 1 0", ["--semantics", "giannou"],
     "bad.subleq (giannou): a giannou program has exactly one ';'"),
    ("5 1 0", [], "error: instruction at pc 0 (5 1 0): address 5 is outside the memory [0, 3)"),
])
def test_run_subleq_user_errors_are_one_line(tmp_path, text, args, message):
    path = tmp_path / "bad.subleq"
    path.write_text(text)
    result = _run("run", "subleq", str(path), *args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_run_subleq_missing_file_is_one_line():
    result = _run("run", "subleq", "no-such.subleq")
    assert result.exit_code == 2
    assert "error: cannot read program file 'no-such.subleq'" in result.output


def test_tour_section_runs_bb2_and_the_subleq_programs(tmp_path):
    import io

    from rich.console import Console

    from compilers.tour import machines

    buffer = io.StringIO()
    machines.show(Console(file=buffer, width=120), tmp_path)
    text = buffer.getvalue()
    assert "halted after 6 steps with 4 ones; final tape 1111 from cell -2" in text
    assert "prints 'Hello, world!\\n'" in text and "(6 * 7 = 42)" in text
