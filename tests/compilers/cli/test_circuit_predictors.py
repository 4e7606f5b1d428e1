"""The circuit backend on predictors from the command line: `check`, `circuit`, `scaling` and
`run` for Tracr's RASP programs, induction heads and n-grams, each answer against an oracle
written here (Python's `sorted`, `reversed`, a histogram, running fractions, the last earlier
occurrence) or the language's own evaluator (`languages.rasp.evaluate`)."""

import json
from collections import Counter
from fractions import Fraction

import pytest
from click.testing import CliRunner

from compilers.cli import main
from languages import rasp
from languages import rasp_lib as lib
from tests.compilers.constructions.test_induction import oracle as _induction


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _json(*args, code: int = 0):
    done = _run(*args, "--json")
    assert done.exit_code == code, done.output
    return json.loads(done.stdout)


def _predicted(row: dict) -> list:
    return [p["predicted"] for p in row["positions"]]


def _shown(value):
    """A number as `run --json` prints it: an integer, or a fraction as text."""
    value = Fraction(value).limit_denominator(10**6)
    return int(value) if value.denominator == 1 else str(value)


ORACLES = {
    "sort": ("3142", lambda w: sorted(int(c) for c in w)),
    "reverse": ("abca", lambda w: list(reversed(w))),
    "hist": ("abcab", lambda w: [Counter(w)[c] for c in w]),
    "frac_prevs": ("xyxx", lambda w: [_shown(Fraction(w[:t + 1].count("x"), t + 1))
                                      for t in range(len(w))]),
    "count": ("abab", lambda w: [_shown(v) for v in rasp.evaluate(lib.make_count(rasp.tokens,
                                                                                  "a"), list(w))]),
}


@pytest.mark.parametrize("program", sorted(ORACLES))
def test_run_on_the_circuit_backend_agrees_with_an_oracle(program):
    word, oracle = ORACLES[program]
    (row,) = _json("run", "rasp", "--program", program, "--max-seq-len", 5, "--backend",
                   "circuit", word)
    assert _predicted(row) == oracle(word)
    assert row["trusted"] and row["agrees_with_reference"]


def test_run_induction_on_the_circuit_backend():
    rows = _json("run", "induction", "--backend", "circuit", "abcab", "cabbca", "")
    assert [_predicted(r) for r in rows] == [_induction(w) for w in ("abcab", "cabbca", "")]


def test_a_stated_precision_is_untrusted_and_precision_elsewhere_is_refused():
    done = _run("run", "rasp", "--program", "sort", "--max-seq-len", 4, "--backend", "circuit",
                "--precision", "8.8", "3142", "--json")
    assert done.exit_code == 1 and "--precision auto" in done.stderr
    assert _predicted(json.loads(done.stdout)[0]) == [1, 2, 3, 4]
    refused = _run("run", "induction", "--backend", "exact", "--precision", "8.8", "ab")
    assert refused.exit_code == 2
    assert "--precision applies to --backend circuit only" in refused.output


@pytest.mark.parametrize("name, options", [
    ("rasp", ("--program", "sort", "--max-seq-len", 3)),
    ("rasp", ("--program", "shuffle_dyck", "--max-seq-len", 4)),
    ("induction", ()),
    ("ngram", ("--order", 2)),
])
def test_check_counts_the_circuit_backend_beside_the_others(name, options):
    report = _json("check", name, *options, "--lengths", "0..3", "--samples", 40,
                   "--backends", "exact,torch,circuit")
    symbols = {"rasp": 5 if "sort" in options else 2, "induction": 3, "ngram": 2}[name]
    words = sum(min(symbols ** n, 40) for n in range(4))
    for backend in ("exact", "torch", "circuit"):
        tally = report["backends"][backend]
        assert (tally["checked"], tally["failed"], tally["silent_failures"]) == (words, 0, 0)
    assert report["backends"]["circuit"]["untrusted"] == 0 and report["ok"]


def test_check_counts_a_rounded_circuit_wrong_and_untrusted_never_silent():
    report = _json("check", "ngram", "--lengths", "1..2", "--backends",
                   "exact,circuit", "--precision", "2.2", code=1)
    circuit = report["backends"]["circuit"]
    assert circuit["checked"] == 2 + 4 and circuit["untrusted"] == 6
    assert circuit["failed"] > 0 and circuit["silent_failures"] == 0
    assert report["backends"]["exact"]["failed"] == 0
    assert circuit["first_counterexample"]["trusted"] is False


def test_circuit_of_a_predictor_reports_every_position_and_refuses_past_max_seq_len():
    report = _json("circuit", "rasp", "--program", "sort", "--max-seq-len", 4, "--length", 4)
    assert report["positions"] == 5 and report["n"] == 4 and report["precision_auto"]
    assert report["depth"] >= 1 and report["size"] >= report["gates_per_layer"][-1]
    assert report["inputs"] == 4 * 5  # one-hot: 4 positions, 5 symbols
    long = _run("circuit", "rasp", "--program", "sort", "--max-seq-len", 4, "--length", 5)
    assert long.exit_code == 2
    assert "n = 5 is longer than 4, the length rasp was compiled for" in long.output


def test_a_rounded_predictor_circuit_is_verified_against_the_exact_backend():
    report = _json("circuit", "rasp", "--program", "sort", "--max-seq-len", 2, "--length", 2,
                   "--precision", "8.10")
    assert report["verified"]["checked"] == 25 and report["verified"]["computes_exact"]
    wrong = _run("circuit", "ngram", "--length", 2, "--precision", "2.2")
    assert wrong.exit_code == 1 and "disagrees with the exact construction" in wrong.stderr


def test_a_stated_precision_finishes_and_a_small_budget_refuses_by_name():
    """``--precision 8.16`` once tabulated 2^16 rounded values per mean and position (and
    never finished); a rounded mean is now the exact mean's chain, rounded piece by piece,
    and a function of a sum of them is tabulated at the values the sum takes."""
    rounded = _json("circuit", "rasp", "--program", "sort", "--max-seq-len", 4, "--length", 4,
                    "--precision", "8.16")
    exact = _json("circuit", "rasp", "--program", "sort", "--max-seq-len", 4, "--length", 4)
    assert rounded["size"] <= 2 * exact["size"]
    assert rounded["verified"]["checked"] == 5 ** 4 and rounded["verified"]["computes_exact"]
    dyck = _json("circuit", "rasp", "--program", "shuffle_dyck", "--max-seq-len", 4,
                 "--length", 4, "--precision", "8.16")  # an MLP on a sum of two rounded means
    assert dyck["size"] < 1000 and dyck["verified"]["checked"] == 2 ** 4
    refused = _run("circuit", "rasp", "--program", "sort", "--max-seq-len", 4, "--length", 4,
                   "--precision", "8.16", "--max-gates", 2000)
    assert refused.exit_code == 2 and "--max-gates" in refused.output


def test_scaling_compiles_one_rasp_model_per_length():
    scaled = _json("scaling", "rasp", "--program", "sort", "--lengths", "2,4")
    assert [p["n"] for p in scaled["points"]] == [2, 4]
    for point in scaled["points"]:
        alone = _json("circuit", "rasp", "--program", "sort", "--max-seq-len", point["n"],
                      "--length", point["n"])
        assert (point["depth"], point["size"]) == (alone["depth"], alone["size"])
    assert "max_seq_len" not in scaled["options"]
    refused = _run("scaling", "rasp", "--max-seq-len", 4, "--lengths", "2,4")
    assert refused.exit_code == 2 and "--max-seq-len" in refused.output


def test_scaling_an_induction_head_keeps_its_depth():
    scaled = _json("scaling", "induction", "--lengths", "2,4,8")
    assert [p["n"] for p in scaled["points"]] == [2, 4, 8]
    assert len(scaled["depths"]) == 1 and scaled["size_exponent"] > 1
