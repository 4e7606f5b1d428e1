"""`circuitx eval` on a saved predictor: the next symbol at every position, against oracles
written here (Python's `sorted` for Tracr's `make_sort`; the last earlier occurrence for the
induction head), in float64 and exactly."""

import json

import pytest
from click.testing import CliRunner

from compilers.cli import main
from tests.compilers.cli.test_circuit_predictors import _predicted
from tests.compilers.constructions.test_induction import oracle as _induction


def _run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


@pytest.mark.parametrize("backend", ["torch", "exact", "circuit"])
def test_a_saved_rasp_sort_sorts(tmp_path, backend):
    out = tmp_path / "sort"
    made = _run("compile", "rasp", "--program", "sort", "--max-seq-len", "5", "-o", out)
    assert made.exit_code == 0, made.output
    words = ["3142", "5", "22131", ""]
    done = _run("eval", out, "--backend", backend, "--json", input="\n".join(words) + "\n")
    assert done.exit_code == 0, done.output
    rows = json.loads(done.output)
    assert [r["word"] for r in rows] == words
    for row in rows:
        assert _predicted(row) == sorted(int(c) for c in row["word"]) and row["trusted"]


def test_a_saved_induction_head_predicts_and_prints_a_table(tmp_path):
    out = tmp_path / "ind"
    assert _run("compile", "induction", "-o", out).exit_code == 0
    rows = json.loads(_run("eval", out, "abcab", "cabbca", "--json").output)
    assert [_predicted(r) for r in rows] == [_induction("abcab"), _induction("cabbca")]
    table = _run("eval", out, "abcab")
    assert table.exit_code == 0 and "predicted" in table.output


def test_a_machine_is_refused_by_name(tmp_path):
    out = tmp_path / "tm"
    assert _run("compile", "tm", "1RB1LB_1LA1RZ", "-o", out).exit_code == 0
    done = _run("eval", out, "1")
    assert done.exit_code == 2
    assert "holds a tm construction (generate), not a recognizer or a predictor" in done.output


def test_precision_of_a_rasp_program_stops_at_its_longest_word():
    done = _run("precision", "rasp", "--program", "length", "--max-seq-len", "8", "--dtype",
                "float32", "--samples", "4", "--json")
    assert done.exit_code == 0, done.output
    assert [p["length"] for p in json.loads(done.output)["points"]] == [1, 2, 5, 8]
    longer = _run("precision", "rasp", "--program", "length", "--max-seq-len", "8", "--dtype",
                  "float32", "--lengths", "9")
    assert longer.exit_code == 2 and "longer than 8" in longer.output
