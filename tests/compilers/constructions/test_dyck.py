"""The Cookbook's Dyck recipes: `dyck1` (softmax) and `dyck` (hard and average-hard).

The central property: a plain stack (below, sharing no code with the
constructions or with `languages`) == the language's own oracle (the zoo's
``dyck1``; `languages.dyck.Dyck` with the depth bound) == exact == torch
float64 == circuit, on every word up to length 10 (two bracket pairs: up to 4;
`-m slow`: 12 and 6) and on hypothesis words up to length 500 (members,
non-members and members with one symbol changed; the circuit on those up to
length 12: its size grows like n^3); and the float guarantee per dtype,
checked at its edge.
"""

from __future__ import annotations

import functools
import itertools
import json

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from compilers.cli import main
from compilers.constructions import dyck, dyck1, dyck_average, get
from compilers.errors import CompileError
from compilers.library import size
from compilers.runs import run
from compilers.runs.backends import backend_for
from languages.dyck import Dyck
from languages.strategies import members, nonmembers

CIRCUIT_UP_TO = 12


def in_dyck(word: str, pairs: str, depth: int | None) -> bool:
    """Well-nested over `pairs` (opener, closer, ...) and never deeper than `depth`."""
    stack = []
    for symbol in word:
        k = pairs.index(symbol)
        if k % 2 == 0:
            stack.append(k)
            if depth is not None and len(stack) > depth:
                return False
        elif not stack or stack.pop() != k - 1:
            return False
    return not stack


def _words(alphabet: str, max_length: int) -> list[str]:
    return ["".join(w) for n in range(max_length + 1)
            for w in itertools.product(alphabet, repeat=n)]


@functools.cache
def _construction(name: str, **options):
    return get(name).make(**options)


@functools.cache
def _circuit(name: str, **options):
    """One circuit backend per construction: it keeps the circuit of each length."""
    return backend_for(_construction(name, **options), "circuit")


def _agree(name: str, options: dict, words: list[str], *, depth: int | None,
           backends=("exact", "torch", "circuit")) -> None:
    construction = _construction(name, **options)
    expected = [in_dyck(w, construction.alphabet, depth) for w in words]
    for backend in backends:
        extra = {"runner": _circuit(name, **options)} if backend == "circuit" else {}
        results = run(construction, words, backend=backend, dtype="float64", **extra)
        assert [r.reference for r in results] == expected, backend
        assert [r.answer for r in results] == expected, backend
        assert all(r.trusted for r in results), backend


RECIPES = [("hard", 1, 2), ("average-hard", 1, 2)]
TWO_PAIRS = [("hard", 2, 2), ("average-hard", 2, 2)]


def test_dyck1_agrees_on_every_word_up_to_10():
    assert _construction("dyck1").language == "dyck1"
    _agree("dyck1", {}, _words("()", 10), depth=None)


@pytest.mark.parametrize(("attention", "pairs", "depth"), RECIPES)
def test_dyck_agrees_on_every_word_up_to_10(attention, pairs, depth):
    words = _words("()", 10)
    options = {"attention": attention, "pairs": pairs, "depth": depth}
    exact_up_to = 10 if attention == "hard" else 8  # the exact layer norm costs ~10 ms a word
    _agree("dyck", options, words, depth=depth, backends=("torch", "circuit"))
    _agree("dyck", options, [w for w in words if len(w) <= exact_up_to], depth=depth,
           backends=("exact",))


@pytest.mark.parametrize(("attention", "pairs", "depth"), TWO_PAIRS)
def test_dyck_two_pairs_agrees_on_every_word_up_to_4(attention, pairs, depth):
    _agree("dyck", {"attention": attention, "pairs": pairs, "depth": depth},
           _words("()[]", 4), depth=depth)


@pytest.mark.slow
def test_dyck1_every_word_up_to_14_slow():
    _agree("dyck1", {}, _words("()", 14), depth=None)


@pytest.mark.slow
@pytest.mark.parametrize(("attention", "pairs", "depth", "length"), [
    ("hard", 1, 3, 12), ("average-hard", 1, 3, 12), ("hard", 2, 2, 6),
    ("average-hard", 2, 2, 6), ("hard", 2, 3, 6), ("average-hard", 2, 3, 6),
    ("hard", 3, 1, 4), ("average-hard", 3, 1, 4)])
def test_dyck_every_word_slow(attention, pairs, depth, length):
    _agree("dyck", {"attention": attention, "pairs": pairs, "depth": depth},
           _words(dyck.PAIRS[:2 * pairs], length), depth=depth)


# -- hypothesis words up to length 500 ---------------------------------------------------


@st.composite
def _dyck_words(draw, language: Dyck, max_length: int = 500) -> str:
    """A member, a non-member, or a member with one symbol changed (the near misses)."""
    kind = draw(st.sampled_from(("member", "nonmember", "mutant")))
    if kind == "nonmember":
        return draw(nonmembers(language, min_length=1, max_length=max_length))
    word = draw(members(language, max_length=max_length))
    if kind == "member" or not word:
        return word
    at = draw(st.integers(0, len(word) - 1))
    return word[:at] + draw(st.sampled_from(language.alphabet)) + word[at + 1:]


HYPOTHESIS = [("dyck1", {}, None), ("dyck", {"attention": "hard", "pairs": 2, "depth": 3}, 3),
              ("dyck", {"attention": "average-hard", "pairs": 2, "depth": 3}, 3)]


def _hypothesis_agree(name, options, depth, word):
    alphabet = _construction(name, **options).alphabet
    backends = ("exact", "torch", "circuit") if len(word) <= CIRCUIT_UP_TO else ("exact", "torch")
    _agree(name, options, [word], depth=depth, backends=backends)
    assert Dyck(name="d", alphabet=alphabet, max_depth=depth).contains(word) == in_dyck(
        word, alphabet, depth)


def _oracle(name, options, depth) -> Dyck:
    return Dyck(name="d", alphabet=_construction(name, **options).alphabet, max_depth=depth)


@pytest.mark.parametrize(("name", "options", "depth"), HYPOTHESIS,
                         ids=["dyck1", "hard", "average-hard"])
@settings(max_examples=4)
@given(data=st.data())
def test_hypothesis_words_up_to_500(name, options, depth, data):
    word = data.draw(_dyck_words(_oracle(name, options, depth)))
    _hypothesis_agree(name, options, depth, word)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "options", "depth"), HYPOTHESIS,
                         ids=["dyck1", "hard", "average-hard"])
@settings(max_examples=60)
@given(data=st.data())
def test_hypothesis_words_up_to_500_slow(name, options, depth, data):
    word = data.draw(_dyck_words(_oracle(name, options, depth)))
    _hypothesis_agree(name, options, depth, word)


# -- the float guarantee per dtype ---------------------------------------------------------


def _torch(construction, words, dtype):
    return run(construction, words, backend="torch", dtype=dtype)


def _edge_words(n: int, depth: int) -> list[str]:
    """Words of even length n, each a balanced prefix and a tail of length 2D + 2 that tests
    one check: a member, a late negative prefix, an unbalanced end (depth 2 left open),
    a mismatch at the end, a depth of D + 1 at the end."""
    nest = "(" * depth + ")" * depth
    room = n - 2 * depth - 2
    prefix = nest * (room // (2 * depth))
    prefix += "()" * ((room - len(prefix)) // 2)
    tails = ["()" + nest, ")(" + nest, "()" + nest[:-1] + "(", "()" + nest[:-1] + "]",
             "(" * (depth + 1) + ")" * (depth + 1)]
    return [prefix + tail for tail in tails]


def _dyck1_edge_words(n: int) -> list[str]:
    """Members and non-members of Dyck-1 of length n and n - 1 (n odd)."""
    half = n // 2
    return ["(" * half + ")" * half, "()" * (half - 1) + ")(", "(" * (half + 1) + ")" * half,
            "(" * half + ")" * (half + 1), ")" + "()" * half]


@pytest.mark.parametrize(("dtype", "limit"), [("float16", 89), ("bfloat16", 25)])
def test_dyck1_is_right_at_its_guaranteed_length_and_untrusted_beyond(dtype, limit):
    construction = dyck1.build()
    assert construction.limits == {"float64": 10**9, "float32": 2097145, "float16": 89,
                                   "bfloat16": 25}
    results = _torch(construction, _dyck1_edge_words(limit), dtype)
    assert [r.reference for r in results] == [True, False, False, False, False]
    assert all(r.trusted and r.agrees_with_reference for r in results)
    assert not any(r.trusted for r in _torch(construction, ["()" * (limit // 2 + 1)], dtype))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_hard_dyck_is_exact_in_every_dtype(dtype):
    construction = dyck.build(pairs=2, depth=3)
    assert set(construction.limits.values()) == {10**9}
    results = _torch(construction, _edge_words(600, 3), dtype)
    assert [r.reference for r in results] == [True, False, False, False, False]
    assert all(r.trusted and r.agrees_with_reference for r in results)


def test_average_hard_dyck_is_right_at_its_float32_limit_and_untrusted_beyond():
    construction = dyck.build(pairs=2, depth=2, attention="average-hard")
    limit = construction.limits["float32"]
    assert (limit, dyck_average.guaranteed_length("float32", 3)) == (2030, 1466)
    assert construction.limits["float16"] is None and construction.limits["bfloat16"] is None
    results = _torch(construction, _edge_words(limit, 2), "float32")
    assert [r.reference for r in results] == [True, False, False, False, False]
    assert all(r.trusted and r.agrees_with_reference for r in results)
    assert not any(r.trusted for r in _torch(construction, ["()" * (limit // 2 + 1)],
                                             "float32"))
    assert not any(r.trusted for r in _torch(construction, ["(())"], "float16"))


# -- sizes, options, the command line ------------------------------------------------------


@pytest.mark.parametrize(("pairs", "depth"), [(1, 1), (2, 3), (4, 5)])
def test_sizes_are_the_documented_ones(pairs, depth):
    k, d = pairs, depth
    hard = size(dyck.build(pairs=k, depth=d).transformer)
    assert (hard.layers, hard.heads, hard.width, hard.hidden, hard.norms) == (
        d + 1, 2 * d + 1, 4 * k + 3, 2 * k * d + 4 * k * (d - 1), 0)
    average = size(dyck.build(pairs=k, depth=d, attention="average-hard").transformer)
    assert (average.layers, average.heads, average.width, average.hidden, average.norms) == (
        3, 3, 3 * k + 2 * d + 9, k, d + 2)
    assert size(dyck1.build().transformer) == size(dyck1.build().transformer).__class__(
        layers=2, heads=2, width=6, hidden=2, norms=0)


@pytest.mark.parametrize(("options", "message"), [
    ({"attention": "soft"}, "unknown attention 'soft'; allowed: hard, average-hard"),
    ({"pairs": 5}, "pairs is 5; allowed: an integer 1..4"),
    ({"depth": 0}, "depth is 0; allowed: an integer 1..32"),
])
def test_bad_options_are_named(options, message):
    with pytest.raises(CompileError) as error:
        dyck.build(**options)
    assert str(error.value) == message


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize(("args", "checked"), [
    (("dyck1", "--lengths", "0..6"), 127),
    (("dyck", "--pairs", "2", "--depth", "2", "--attention", "average-hard", "--lengths",
      "0..4"), 149),
    (("dyck", "--pairs", "1", "--depth", "3", "--attention", "hard", "--lengths", "0..6"), 127),
])
def test_check_on_every_backend_from_the_command_line(args, checked):
    result = _run("check", *args, "--backends", "exact,torch,circuit", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"]
    for tally in report["backends"].values():
        assert (tally["checked"], tally["failed"], tally["silent_failures"]) == (checked, 0, 0)


def test_constructions_lists_the_dyck_recipes_with_the_cookbook():
    result = _run("constructions", "--json")
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    for name in ("dyck1", "dyck"):
        assert "The Transformer Cookbook" in rows[name]["paper"]
        assert (rows[name]["mode"], rows[name]["circuit"]) == ("recognise", "recogniser")
    assert [o["flag"] for o in rows["dyck"]["options"]] == ["--pairs", "--depth", "--attention"]


def test_a_bad_option_on_the_command_line_is_one_line():
    result = _run("check", "dyck", "--attention", "soft")
    assert result.exit_code == 2
    assert "error:" in result.output and "Traceback" not in result.output
