"""MOD-m counting without positional encodings (`compilers.constructions.modcount`).

The central property: the language's oracle (the zoo's ``mod3``; for other m
and r a plain ``word.count("1") % m == r``) == exact == torch float64 ==
circuit, on every word up to length 10 and on hypothesis words up to length
500 (the circuit on those up to 40: its compile time grows with n^2); and the
float guarantee per dtype, checked at its edge.
"""

from __future__ import annotations

import itertools
import json
import random

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from compilers.cli import main
from compilers.constructions import get, modcount
from compilers.constructions.base import OptionError
from compilers.library import size
from compilers.runs import run
from languages import zoo


def _words(max_length: int) -> list[str]:
    return ["".join(w) for n in range(max_length + 1) for w in itertools.product("01", repeat=n)]


def _agree(construction, words, oracle, backends=("exact", "torch", "circuit")) -> None:
    expected = [oracle(w) for w in words]
    for backend in backends:
        results = run(construction, words, backend=backend, dtype="float64")
        assert [r.answer for r in results] == expected, backend
        assert [r.reference for r in results] == expected, backend
        assert all(r.trusted for r in results), backend


def test_mod3_agrees_with_the_zoo_on_every_word_up_to_10():
    construction = get("modcount").make()
    assert construction.language == "mod3"
    _agree(construction, _words(10), zoo.get("mod3").contains)


@pytest.mark.parametrize(("m", "r"), [(2, 0), (2, 1), (4, 1), (5, 3), (7, 6)])
def test_other_moduli_agree_with_a_plain_count_on_every_word_up_to_8(m, r):
    construction = get("modcount").make(modulus=m, residue=r)
    _agree(construction, _words(8), lambda w: w.count("1") % m == r)


@pytest.mark.slow
@pytest.mark.parametrize(("m", "r"), [(2, 1), (3, 0), (3, 2), (4, 0), (6, 5)])
def test_every_word_up_to_12_slow(m, r):
    _agree(get("modcount").make(modulus=m, residue=r), _words(12),
           lambda w: w.count("1") % m == r)


moduli = st.tuples(st.integers(2, 9), st.integers(0, 8)).map(lambda p: (p[0], p[1] % p[0]))


def _hypothesis_case(mr, words) -> None:
    m, r = mr
    construction = get("modcount").make(modulus=m, residue=r)
    oracle = lambda w: w.count("1") % m == r  # noqa: E731
    _agree(construction, words, oracle, backends=("exact", "torch"))
    _agree(construction, [w for w in words if len(w) <= 40], oracle, backends=("circuit",))


@settings(max_examples=4)
@given(mr=moduli, words=st.lists(st.text("01", max_size=500), min_size=1, max_size=3))
def test_hypothesis_words_up_to_500(mr, words):
    _hypothesis_case(mr, words)


@pytest.mark.slow
@settings(max_examples=60)
@given(mr=moduli, words=st.lists(st.text("01", max_size=500), min_size=1, max_size=6))
def test_hypothesis_words_up_to_500_slow(mr, words):
    _hypothesis_case(mr, words)


# -- the float guarantee ------------------------------------------------------------------


def test_the_guarantee_per_dtype():
    limits = dict(get("modcount").make().limits)
    assert limits == {"float64": modcount.guaranteed_length("float64", modulus=3),
                      "float32": 43689, "float16": 4, "bfloat16": None}
    assert limits["float64"] > 10**13
    smaller = dict(get("modcount").make(modulus=30).limits)
    assert smaller["float32"] < limits["float32"] // 9  # the bound is linear in m
    assert modcount.guaranteed_length("float32", modulus=3, scale="1e-60") is None


def test_float32_correct_at_its_guaranteed_length():
    construction = get("modcount").make()
    n = construction.limits["float32"]
    rng = random.Random(5)
    words = ["1" * n, "1" * (n - n % 3) + "0" * (n % 3), "0" * n]
    words += ["".join(rng.choice("01") for _ in range(n)) for _ in range(3)]
    results = run(construction, words, backend="torch", dtype="float32")
    assert all(r.trusted and r.agrees_with_reference for r in results)


def test_float16_is_right_and_trusted_up_to_4_and_untrusted_beyond():
    construction = get("modcount").make()
    inside = run(construction, _words(4), backend="torch", dtype="float16")
    assert all(r.trusted and r.agrees_with_reference for r in inside)
    beyond = run(construction, ["01101", "1" * 30], backend="torch", dtype="float16")
    assert not any(r.trusted for r in beyond)
    assert "guaranteed up to n = 4" in beyond[0].why_untrusted


# -- the construction -------------------------------------------------------------------------


def test_two_attention_layers_two_heads_no_mlp_no_positions():
    construction = get("modcount").make(modulus=5, residue=2)
    assert size(construction.transformer) == size(get("modcount").make().transformer)
    figures = size(construction.transformer)
    assert (figures.layers, figures.heads, figures.width, figures.hidden, figures.norms) == (
        2, 2, 6, 0, 0)
    assert construction.transformer.positions is None


def test_the_logit_is_plus_or_minus_a_quarter_of_the_scale():
    construction = get("modcount").make(scale="8")
    logits = [r.values["logit"] for r in run(construction, ["", "1", "111", "0101"])]
    assert logits == [2, -2, 2, -2]


@pytest.mark.parametrize(("options", "message"), [
    ({"modulus": 1}, r"--modulus is 1; allowed: 2\.\.1000"),
    ({"modulus": 3, "residue": 3}, r"--residue is 3; allowed: 0\.\.2"),
    ({"scale": "0"}, r"--scale must be positive"),
])
def test_bad_options_are_named(options, message):
    with pytest.raises(OptionError, match=message):
        get("modcount").make(**options)


def test_the_command_line_checks_it_on_every_backend():
    done = CliRunner().invoke(main, ["check", "modcount", "--modulus", "4", "--residue", "1",
                                     "--lengths", "0..6", "--backends", "exact,torch,circuit",
                                     "--json"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.output)
    assert report["ok"] and report["language"] is None
    assert {b: t["checked"] for b, t in report["backends"].items()} == dict.fromkeys(
        ("exact", "torch", "circuit"), 127)
    done = CliRunner().invoke(main, ["run", "modcount", "111", "11", "--backend", "circuit",
                                     "--json"])
    assert done.exit_code == 0, done.output
    assert [row["accept"] for row in json.loads(done.output)] == [True, False]
