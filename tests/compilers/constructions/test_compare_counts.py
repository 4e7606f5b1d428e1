"""Comparison of two counts (`compilers.constructions.compare_counts`), MAJORITY among them.

The central property: the oracle (the zoo's ``majority``; for other relations
and symbols a plain comparison of ``word.count``) == exact == torch float64 ==
circuit on every word up to length 10 and on hypothesis words up to length
500; and the float guarantee per dtype, checked at its edge.
"""

from __future__ import annotations

import itertools
import json
import operator
import random
from fractions import Fraction

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from compilers.cli import main
from compilers.constructions import get
from compilers.constructions.base import OptionError
from compilers.library import size
from compilers.runs import run
from languages import zoo

COMPARE = {"gt": operator.gt, "ge": operator.ge, "lt": operator.lt, "le": operator.le,
           "eq": operator.eq, "ne": operator.ne}
BACKENDS = ("exact", "torch", "circuit")


def _words(max_length: int, alphabet: str = "01") -> list[str]:
    return ["".join(w) for n in range(max_length + 1)
            for w in itertools.product(alphabet, repeat=n)]


def _agree(construction, words, oracle, backends=BACKENDS, dtype="float64") -> None:
    expected = [oracle(w) for w in words]
    for backend in backends:
        results = run(construction, words, backend=backend, dtype=dtype)
        assert [r.answer for r in results] == expected, backend
        assert [r.reference for r in results] == expected, backend
        assert all(r.trusted for r in results), backend


def _plain(relation: str, first: str = "1", second: str = "0"):
    return lambda w: COMPARE[relation](w.count(first), w.count(second))


def test_majority_agrees_with_the_zoo_on_every_word_up_to_10():
    construction = get("compare_counts").make()
    assert construction.language == "majority"
    _agree(construction, _words(10), zoo.get("majority").contains)


@pytest.mark.parametrize("layernorm", [True, False])
@pytest.mark.parametrize("relation", list(COMPARE))
def test_every_relation_on_every_word_up_to_8(relation, layernorm):
    construction = get("compare_counts").make(relation=relation, layernorm=layernorm)
    _agree(construction, _words(8), _plain(relation))


def test_two_symbols_of_a_larger_alphabet():
    construction = get("compare_counts").make(alphabet="abc", first="c", second="a",
                                              relation="le")
    _agree(construction, _words(6, "abc"), _plain("le", "c", "a"))


@pytest.mark.slow
@pytest.mark.parametrize("relation", list(COMPARE))
def test_every_word_up_to_12_slow(relation):
    _agree(get("compare_counts").make(relation=relation), _words(12), _plain(relation))


def _hypothesis_case(relation, layernorm, words) -> None:
    _agree(get("compare_counts").make(relation=relation, layernorm=layernorm), words,
           _plain(relation))


@settings(max_examples=6)
@given(relation=st.sampled_from(list(COMPARE)), layernorm=st.booleans(),
       words=st.lists(st.text("01", max_size=500), min_size=1, max_size=3))
def test_hypothesis_words_up_to_500(relation, layernorm, words):
    _hypothesis_case(relation, layernorm, words)


@pytest.mark.slow
@settings(max_examples=80)
@given(relation=st.sampled_from(list(COMPARE)), layernorm=st.booleans(),
       words=st.lists(st.text("01", max_size=500), min_size=1, max_size=6))
def test_hypothesis_words_up_to_500_slow(relation, layernorm, words):
    _hypothesis_case(relation, layernorm, words)


# -- the float guarantee ------------------------------------------------------------------


def test_the_guarantee_per_dtype():
    limits = dict(get("compare_counts").make().limits)
    assert {d: limits[d] for d in ("float32", "float16", "bfloat16")} == {
        "float32": 131071, "float16": 15, "bfloat16": 1}
    assert limits["float64"] > 10**13
    assert get("compare_counts").make(scale="1e-60").limits["float16"] is None


def test_float16_right_and_trusted_at_its_guaranteed_length():
    for relation in ("gt", "eq"):
        words = ["".join(w) for w in itertools.product("01", repeat=15)]
        _agree(get("compare_counts").make(relation=relation), words, _plain(relation),
               backends=("torch",), dtype="float16")


def test_float32_right_and_trusted_at_its_guaranteed_length():
    construction = get("compare_counts").make(relation="eq")
    n = construction.limits["float32"]
    rng = random.Random(2)
    half = "1" * (n // 2) + "0" * (n - n // 2)
    words = [half, "1" + half[1:], "0" * n, "".join(rng.choice("01") for _ in range(n))]
    _agree(construction, words, _plain("eq"), backends=("torch",), dtype="float32")


def test_runs_beyond_the_guarantee_are_untrusted():
    (result,) = run(get("compare_counts").make(), ["0110"], backend="torch", dtype="bfloat16")
    assert not result.trusted and "guaranteed up to n = 1" in result.why_untrusted


# -- the construction -------------------------------------------------------------------------


@pytest.mark.parametrize(("relation", "hidden"), [("gt", 3), ("le", 3), ("eq", 5), ("ne", 5)])
def test_one_layer_one_head(relation, hidden):
    figures = size(get("compare_counts").make(relation=relation).transformer)
    assert (figures.layers, figures.heads, figures.width, figures.hidden, figures.norms) == (
        1, 1, 7, hidden, 1)


def test_the_layer_norm_makes_the_answer_exactly_plus_or_minus_the_scale():
    logits = [r.values["logit"] for r in run(get("compare_counts").make(), ["", "1", "0011",
                                                                            "10111"])]
    assert logits == [-4, 4, -4, 4]
    without = get("compare_counts").make(layernorm=False)
    logits = [r.values["logit"] for r in run(without, ["1", "0011"])]
    assert logits == [1, Fraction(-2, 5)]  # ±scale / (2 (n+1))


@pytest.mark.parametrize(("options", "message"), [
    ({"first": "2"}, r"--first is '2'; allowed: one symbol of '01'"),
    ({"first": "0"}, r"--first and --second are both '0'"),
    ({"alphabet": "0$1"}, r"--alphabet '0\$1' has symbol '\$'"),
    ({"alphabet": "011"}, r"lists '1' twice"),
])
def test_bad_options_are_named(options, message):
    with pytest.raises(OptionError, match=message):
        get("compare_counts").make(**options)


def test_the_command_line_checks_and_runs_it():
    done = CliRunner().invoke(main, ["check", "compare_counts", "--relation", "eq", "--lengths",
                                     "0..6", "--backends", "exact,torch,circuit", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["ok"]
    done = CliRunner().invoke(main, ["run", "compare_counts", "110", "10", "--backend", "torch",
                                     "--dtype", "float32", "--json"])
    assert done.exit_code == 0, done.output
    assert [row["accept"] for row in json.loads(done.output)] == [True, False]
