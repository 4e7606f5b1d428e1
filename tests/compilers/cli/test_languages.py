"""`circuitx languages`, `sample` and `contains`: output formats and one-line errors."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from compilers.cli import main
from languages import zoo
from tests.languages.oracles import ALPHABETS, ORACLES


def _run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input)


def test_languages_json_lists_the_zoo():
    result = _run("languages", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["name"] for r in rows] == list(ORACLES)
    for row in rows:
        assert set(row) == {"name", "alphabet", "description", "regular"}
        assert row["alphabet"] == ALPHABETS[row["name"]]
        assert row["regular"] == (row["name"] not in {"majority", "dyck1", "dyck2",
                                                      "shuffle_dyck2", "anbn"})


def test_languages_table_names_every_language():
    result = _run("languages")
    assert result.exit_code == 0, result.output
    for name in ORACLES:
        assert name in result.output
    assert "strictly more 1s than 0s" in result.output


@pytest.mark.parametrize("label", ["member", "nonmember"])
def test_sample_prints_one_word_per_line_with_the_label(label):
    result = _run("sample", "dyck2", "--length", "14", "--samples", "50", "--label", label,
                  "--seed", "3")
    assert result.exit_code == 0, result.output
    words = result.output.splitlines()
    assert len(words) == 50 and all(len(w) == 14 for w in words)
    assert all(ORACLES["dyck2"](w) == (label == "member") for w in words)
    assert words == zoo.get("dyck2").sample(14, 50, label, seed=3)


def test_sample_any_is_balanced_and_the_seed_reproduces():
    first = _run("sample", "tomita3", "--length", "30", "--samples", "101", "--label", "any",
                 "--seed", "9").output
    assert first == _run("sample", "tomita3", "--length", "30", "--samples", "101", "--label",
                         "any", "--seed", "9").output
    words = first.splitlines()
    assert sum(ORACLES["tomita3"](w) for w in words) == 51


def test_sample_of_the_empty_word_prints_empty_lines():
    result = _run("sample", "tomita1", "--length", "0", "--samples", "3")
    assert result.exit_code == 0
    assert result.output == "\n\n\n"
    assert _run("sample", "parity", "--length", "5", "--samples", "0").output == ""


def test_contains_plain_and_json():
    result = _run("contains", "parity", "1", "10", "11", "")
    assert result.exit_code == 0, result.output
    assert result.output == "1\ttrue\n10\ttrue\n11\tfalse\n\tfalse\n"
    result = _run("contains", "dyck1", "--json", input="(())\n(()\n\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [{"word": "(())", "member": True},
                                         {"word": "(()", "member": False},
                                         {"word": "", "member": True}]


@pytest.mark.parametrize(("args", "message"), [
    (("sample", "dyck3", "--length", "4"),
     "error: unknown language 'dyck3'; known languages: parity, first, majority, mod3, "
     "even_pairs, dyck1, dyck2, shuffle_dyck2, anbn, tomita1"),
    (("contains", "regular", "0"), "error: unknown language 'regular'; known languages: "),
    (("sample", "dyck1", "--length", "-3"),
     "error: length must be between 0 and 100000, got -3"),
    (("sample", "dyck1", "--length", "1000000000"),
     "error: length must be between 0 and 100000, got 1000000000"),
    (("sample", "dyck1", "--length", "4", "--samples", "-1"),
     "error: count must be between 0 and 100000000, got -1"),
    (("sample", "parity", "--length", "100000", "--samples", "100000"),
     "error: 100000 words of length 100000 are 10000000000 symbols; one sample holds at most"),
    (("sample", "dyck1", "--length", "3"), "error: dyck1 has no members of length 3"),
    (("sample", "anbn", "--length", "0", "--label", "nonmember"),
     "error: anbn has no non-members of length 0"),
    (("sample", "dyck1", "--length", "4", "--label", "maybe"),
     "error: unknown label 'maybe'; expected member, nonmember or any"),
    (("sample", "dyck1", "--length", "4", "--seed", "-5"),
     "error: seed must be between 0 and 9223372036854775807, got -5"),
    (("contains", "parity", "01", "0120"),
     "error: word '0120' has symbol '2', which is not in the alphabet '01' of parity"),
])
def test_bad_input_is_one_line_and_exit_status_two(args, message):
    result = _run(*args)
    assert result.exit_code == 2
    assert result.output.startswith(message)
    assert result.output.count("\n") == 1
    assert "Traceback" not in result.output
