"""The `program` construction: a B-RASP, C-RASP or LTL program as a recogniser on every backend.

The reference is the program's own interpreter; `runs.check` compares it
with the exact, torch float64 and circuit backends (no failure, no silent
failure, everything trusted within the stated limits). Programs come from
the library, a file or text, and a saved model is rebuilt from its options
without the file.
"""

from __future__ import annotations

import pytest

from compilers.constructions import get
from compilers.constructions.base import OptionError
from compilers.constructions.first import ANY_LENGTH
from compilers.constructions.program import ProgramRecognizer, integer_bound
from compilers.programs.sources import ProgramSourceError
from compilers.runs.check import check
from compilers.runs.recognise import recognise
from compilers.runs.saving import load, save
from languages.brasp_text import RaspSyntaxError
from languages.errors import WordError

FAMILY = get("program")


@pytest.mark.parametrize("name", ["majority", "dyck1", "tomita7.brasp", "tomita4.ltl",
                                  "knee_deep_3", "last.ltl"])
def test_every_backend_agrees_with_the_interpreter(name):
    built = FAMILY.make(program=name)
    report = check(built, lengths=[1, 2, 3, 5, 8], samples=24,
                   backends=("exact", "torch", "circuit")).as_dict()
    for backend, tally in report["backends"].items():
        assert tally["checked"] > 0 and tally["failed"] == tally["silent_failures"] == 0, (
            backend, tally)
        assert tally["untrusted"] == 0, (backend, tally)


def test_softmax_heads_compute_what_average_hard_ones_do():
    words = ["1", "10", "0110", "11100", "101010101"]
    hard = recognise(FAMILY.make(program="majority"), words, backend="torch")
    soft = recognise(FAMILY.make(program="majority", attention="softmax"), words,
                     backend="torch")
    assert [r.answer for r in hard] == [r.answer for r in soft] == [
        w.count("1") > w.count("0") for w in words]


def test_a_program_from_a_file_or_text_rebuilds_from_its_options(tmp_path):
    path = tmp_path / "mine.brasp"
    path.write_text('alphabet "ab"\nseen_b(i) := ◀_j [j < i, Q_b(j)] 1 : 0\n'
                    'ok(i) := ¬Q_a(i) ∨ ¬seen_b(i)\nall_ok(i) := ▶_j [1, ¬ok(j)] 0 : 1\n')
    built = FAMILY.make(program=str(path))
    assert built.options["language"] == "brasp" and "\n" in built.options["program"]
    folder = tmp_path / "model"
    save(built, folder)
    path.unlink()  # the saved options hold the program's text
    loaded = load(folder)
    words = ["ab", "ba", "aabb", "abab"]
    assert [r.answer for r in recognise(loaded, words)] == [
        True, False, True, False]
    text = FAMILY.make(program=built.options["program"], language="brasp")
    assert text.transformer == built.transformer


def test_limits_state_exactness_for_b_rasp_and_a_derived_length_for_c_rasp():
    tomita = FAMILY.make(program="tomita4.brasp")
    assert dict(tomita.limits) == dict.fromkeys(("float64", "float32", "float16", "bfloat16"),
                                               ANY_LENGTH)
    assert integer_bound(tomita.transformer) <= 2**8
    majority = FAMILY.make(program="majority")
    assert majority.limits["float64"] > 10**6 > majority.limits["float32"] > 100
    assert majority.trusted("float32", majority.limits["float32"])
    assert not majority.trusted("float32", majority.limits["float32"] + 1)


def test_details_put_the_program_beside_its_transformer():
    built = FAMILY.make(program="dyck1_depth2.ltl")
    assert isinstance(built, ProgramRecognizer)
    assert built.details == {"program": "dyck1_depth2.ltl", "program language": "LTL",
                             "program depth": 3, "program vectors": 7, "attention layers": 3}
    assert built.bos == () and FAMILY.make(program="anbn").bos == ("$",)


@pytest.mark.parametrize(("options", "error", "message"), [
    ({"program": "tomita4.ltl", "attention": "softmax"}, OptionError,
     r"^--attention applies to C-RASP programs only; this one is LTL$"),
    ({"program": "nosuch"}, ProgramSourceError,
     r"^program 'nosuch' is neither a file nor in the library; the library: ab_star.brasp"),
    ({"program": "tomita4"}, ProgramSourceError,
     r"^the library has 'tomita4' in brasp and ltl; name one: tomita4.brasp, tomita4.ltl$"),
    ({"program": "majority", "language": "ltl"}, ProgramSourceError,
     r"^the library has 'majority' in crasp only, not in ltl$"),
    ({"program": "knee_deep_65"}, ProgramSourceError, r"knee_deep_K for K = 1..64$"),
    ({"program": 'alphabet "a"\nx(i) := Q_b(i)', "language": "brasp"}, RaspSyntaxError,
     r"^B-RASP text, line 2, column 1: .*Q_b reads symbol 'b', which is not in the alphabet"),
    ({"program": 'alphabet "a"\nx(i) := Q_a(i)'}, ProgramSourceError,
     r"^program text needs its language: brasp, crasp or ltl$"),
    ({"program": "majority", "language": "python"}, OptionError, r"--language is 'python'"),
])
def test_bad_options_are_refused_by_name(options, error, message):
    with pytest.raises(error, match=message):
        FAMILY.make(**options)


def test_the_empty_word_is_refused_by_name():
    built = FAMILY.make(program="majority")
    with pytest.raises(WordError, match="the empty word has no last position"):
        recognise(built, [""])


def test_inapplicable_names_attention_for_b_rasp_and_ltl_only():
    assert FAMILY.inapplicable({"program": "majority"}) == {"attention": None}
    assert FAMILY.inapplicable({"program": "first.brasp"}) == {
        "attention": "applies to C-RASP programs only; this one is B-RASP"}
    assert FAMILY.inapplicable({"program": "nosuch"}) == {}
