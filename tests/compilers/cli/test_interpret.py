"""`circuitx interpret` and the `program` construction on the command line.

`interpret` prints every vector at every position by the program's own
interpreter (checked here against hand-computed values); `run`, `check` and
`circuit` take a program like any construction; `circuit` reports the
program's depth beside the circuit's; bad programs and words are one line
``error: ...`` with exit status 2.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from compilers.cli import main


def _run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input)


def test_interpret_json_gives_every_vector_at_every_position():
    result = _run("interpret", "majority", "0110", "1101", "--json")
    assert result.exit_code == 0, result.output
    first, second = json.loads(result.output)
    assert (first["word"], first["accepts"], second["accepts"]) == ("0110", False, True)
    assert first["language"] == "crasp" and first["depth"] == 1
    assert first["vectors"] == [
        {"name": "ones", "type": "count", "depth": 1, "values": [0, 1, 2, 2]},
        {"name": "zeros", "type": "count", "depth": 1, "values": [1, 1, 1, 2]},
        {"name": "majority", "type": "bool", "depth": 1,
         "values": [False, False, True, False]}]


def test_interpret_names_ltl_subformulas_and_reads_stdin():
    result = _run("interpret", "tomita4.ltl", "--json", input="0001\n")
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.output)
    values = {v["name"]: v["values"] for v in report["vectors"]}
    assert values["Q_0 ∧ Y (Q_0 ∧ Y Q_0)"] == [False, False, True, False]
    assert values["¬O (Q_0 ∧ Y (Q_0 ∧ Y Q_0))"] == [True, True, False, False]
    assert report["accepts"] is False


def test_interpret_table_and_the_empty_word():
    result = _run("interpret", "first.brasp", "10", "")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())  # the titles may wrap
    assert "B-RASP first.brasp on '10': accepts" in text
    assert "B-RASP first.brasp on '': has no last position" in text


def test_interpret_a_file_with_its_language(tmp_path):
    path = tmp_path / "prog.txt"
    path.write_text('alphabet "ab"\nx(i) := ▶_j [j < i, 1] Q_a(j) : 0\n')
    result = _run("interpret", str(path), "aab", "--language", "brasp", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["vectors"][0]["values"] == [False, True, True]


@pytest.mark.parametrize(("args", "message"), [
    (["interpret", "majority", "012"], "error: word '012' has symbol '2' at position 2; the "
                                       "alphabet of the program is '01'"),
    (["interpret", "nosuch", "01"], "error: program 'nosuch' is neither a file nor in the "
                                    "library"),
    (["run", "program", "tomita4.ltl", "01", "--attention", "softmax"],
     "error: --attention applies to C-RASP programs only; this one is LTL"),
    (["run", "program", "majority", ""], "error: the empty word has no last position"),
])
def test_bad_input_is_one_line_and_exit_2(args, message, tmp_path):
    result = _run(*args)
    assert result.exit_code == 2, result.output
    assert result.output.startswith(message), result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_syntax_error_in_a_program_file_names_the_place(tmp_path):
    path = tmp_path / "bad.crasp"
    path.write_text('alphabet "ab"\nx(i) := #[j <= i] Q_a(j)\ny(i) := x(i) & Q_a(i)\n')
    result = _run("interpret", str(path), "ab")
    assert result.exit_code == 2
    assert result.output == ("error: C-RASP text, line 3, column 1: C-RASP program: vector "
                             "'y': ∧ needs a Boolean operand; x(i) is a count\n")


def test_check_runs_a_program_on_every_backend():
    result = _run("check", "program", "knee_deep_2", "--lengths", "1..6", "--backends",
                  "exact,torch,circuit", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    for tally in report["backends"].values():
        assert tally["checked"] > 0 and tally["failed"] == tally["silent_failures"] == 0


def test_circuit_reports_the_programs_depth_beside_the_circuits():
    result = _run("circuit", "program", "knee_deep_3", "--length", "16", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["details"]["program depth"] == report["details"]["attention layers"] == 3
    assert report["depth"] >= 3
    table = _run("circuit", "program", "knee_deep_3", "--length", "16")
    assert "program depth" in table.output and "C-RASP" in table.output
