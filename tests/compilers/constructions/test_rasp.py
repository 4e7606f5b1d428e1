"""The ``rasp`` family: Tracr's library programs by name, run and checked like any construction."""

import pytest
from click.testing import CliRunner

from compilers.cli import main
from compilers.constructions import get
from compilers.constructions.base import OptionError
from compilers.constructions.rasp import PROGRAMS, canonical
from compilers.runs import run
from compilers.runs.check import check
from languages import rasp
from languages.errors import WordError


@pytest.mark.parametrize("program", PROGRAMS)
def test_every_library_program_checks_without_a_failure(program):
    construction = get("rasp").make(program=program, max_seq_len=5)
    report = check(construction, lengths=range(6), samples=12, backends=("exact", "torch"))
    for backend, tally in report.backends.items():
        assert tally.checked > 0 and tally.failed == 0, (backend, tally.first_counterexample)
        assert tally.untrusted == 0 or construction.limits["float64"] is None, backend


def test_sort_sorts_and_the_answer_is_the_evaluators():
    construction = get("rasp").make(program="sort", max_seq_len=6)
    (result,) = run(construction, ["3142"], backend="torch", dtype="float64")
    assert result.answer.values == (1, 2, 3, 4)
    assert result.agrees_with_reference and result.trusted and result.mode == "predict"
    assert result.as_dict()["positions"][0] == {"t": 0, "next": {"value": 1}, "predicted": 1}


def test_causal_programs_agree_with_the_causal_evaluator():
    construction = get("rasp").make(program="frac_prevs", max_seq_len=5, causal=True)
    words = ["xyxx", "yyxy", "x"]
    for word, result in zip(words, run(construction, words), strict=True):
        expected = rasp.evaluate(construction.program, list(word), causal=True)
        assert result.answer.values == tuple(canonical(v) for v in expected)
        assert result.agrees_with_reference


def test_options_and_words_outside_what_was_compiled_are_refused_by_name():
    family = get("rasp")
    with pytest.raises(OptionError, match="give digits"):
        family.make(program="sort", alphabet="ab")
    with pytest.raises(OptionError, match="not meant for causal"):
        family.make(program="sort", causal=True)
    with pytest.raises(OptionError, match="program"):
        family.make(program="nope")
    construction = family.make(program="length", max_seq_len=3)
    with pytest.raises(WordError, match="longer than 3"):
        construction.tokens("abca")


def test_float_limits_are_derived_and_hold():
    construction = get("rasp").make(program="hist", max_seq_len=8)
    assert construction.limits["float64"] == 8 and construction.limits["bfloat16"] is None
    report = check(construction, lengths=[8], samples=20, backends=("torch",), dtype="float32")
    tally = report.backends["torch"]
    assert tally.failed == 0 and tally.silent == 0


def test_the_command_line_runs_checks_and_compiles_a_program(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["run", "rasp", "--program", "sort", "2211", "--backend",
                                  "exact", "--json"])
    assert result.exit_code == 0, result.output
    assert '"predicted": 1' in result.output and '"agrees_with_reference": true' in result.output
    result = runner.invoke(main, ["check", "rasp", "--program", "shuffle_dyck", "--lengths",
                                  "0..4", "--backends", "exact,torch"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["compile", "rasp", "--program", "reverse", "--max-seq-len",
                                  "4", "-o", str(tmp_path / "model")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["run", "rasp", "--program", "length", "--max-seq-len", "2",
                                  "abc", "--backend", "exact"])
    assert result.exit_code == 2 and "longer than 2" in result.output


def test_a_saved_program_loads_back_verified(tmp_path):
    import compilers.api as cx

    construction = get("rasp").make(program="shuffle_dyck", max_seq_len=5)
    cx.save(construction, tmp_path / "model")
    loaded = cx.load(tmp_path / "model")
    assert loaded.options == construction.options
    (result,) = run(loaded, ["(())"], backend="torch", dtype="float32")
    assert result.answer.values == (True,) * 4 and result.agrees_with_reference
