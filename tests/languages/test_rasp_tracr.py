"""`languages.rasp` against Tracr itself (needs the ``[tracr]`` extra; ``pytest -m tracr``).

Tracr's ``rasp.evaluate`` is the reference here: on every program of Tracr's
``compiler/lib.py``, our rewrite (`languages.rasp_lib`) evaluated by ours, and
Tracr's own program converted by `from_tracr` and evaluated by ours, give
Tracr's values, plainly and causally, on every input up to length 4 and on
drawn inputs of length 8 to 128; random programs agree after `to_tracr`; and
Tracr's integration table (``compiler/test_cases.py``) passes after conversion.
This module is collected only under ``-m tracr`` (see ``conftest.py``).
"""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tracr.compiler import lib as tracr_lib
from tracr.compiler import test_cases as tracr_cases
from tracr.rasp import causal_eval
from tracr.rasp import rasp as tracr

from languages import rasp
from languages import rasp_lib as lib
from languages.brasp import RaspError
from languages.rasp_strategies import rasp_inputs, rasp_programs
from languages.rasp_tracr import from_tracr, to_tracr

pytestmark = pytest.mark.tracr


class Sop:
    """An S-op argument, as a function of the ``rasp`` module it is built from."""

    def __init__(self, build):
        self.build = build


def pair(name: str, *args, **kwargs):
    """The library program `name` on both sides, built from the same arguments."""

    def build(module, side):
        return getattr(module, name)(*[a.build(side) if isinstance(a, Sop) else a
                                       for a in args], **kwargs)

    return build(tracr_lib, tracr), build(lib, rasp)


TOKENS, INDICES = Sop(lambda s: s.tokens), Sop(lambda s: s.indices)


# name -> (Tracr's program, ours, vocabulary, longest input)
LIBRARY = {
    "make_length": (*pair("make_length"), "abc", 128),
    "make_reverse": (*pair("make_reverse", TOKENS), "abc", 128),
    "make_frac_prevs": (*pair("make_frac_prevs", Sop(lambda s: s.tokens == "a")), "abc", 128),
    "make_pair_balance": (*pair("make_pair_balance", TOKENS, "(", ")"), "()x",
                          128),
    "make_shuffle_dyck": (*pair("make_shuffle_dyck", ["()", "[]"]), "()[]", 32),
    "make_shuffle_dyck2": (*pair("make_shuffle_dyck2"), "(){}", 32),
    "make_hist": (*pair("make_hist"), "abc", 128),
    "make_sort_unique": (*pair("make_sort_unique", TOKENS, INDICES),
                         "abc", 128),
    "make_sort": (*pair("make_sort", TOKENS, TOKENS, max_seq_len=128,
                        min_key=1), [1, 2, 3], 128),
    "make_sort_freq": (*pair("make_sort_freq", 128), "abc", 128),
    "shift_by": (*pair("shift_by", 3, TOKENS), "abc", 128),
    "detect_pattern": (*pair("detect_pattern", TOKENS, "aba"), "ab", 128),
    "make_count_less_freq": (*pair("make_count_less_freq", 2), "abcd", 128),
    "make_count": (*pair("make_count", TOKENS, "b"), "abc", 128),
    "make_nary_sequencemap": (*pair("make_nary_sequencemap", lambda x, y, z: x * y - z,
                                    TOKENS, INDICES,
                                    TOKENS), [1, 2, 3], 128),
}


def inputs(vocab, longest: int, seed: int) -> list[list]:
    short = [list(xs) for n in range(1, 5) for xs in itertools.product(list(vocab), repeat=n)]
    rng = random.Random(seed)
    lengths = [n for n in (8, 16, 32, 64, 128) if n <= longest]
    return short + [[rng.choice(list(vocab)) for _ in range(n)] for n in lengths for _ in "ab"]


def test_every_library_program_is_compared():
    assert set(LIBRARY) == set(lib.PROGRAMS)


@pytest.mark.parametrize("name", LIBRARY)
def test_library_program_gives_tracrs_values(name):
    theirs, ours, vocab, longest = LIBRARY[name]
    converted = from_tracr(theirs)
    for xs in inputs(vocab, longest, seed=len(name)):
        expected = tracr.evaluate(theirs, xs)
        assert rasp.evaluate(ours, xs) == expected, xs
        assert rasp.evaluate(converted, xs) == expected, xs


@pytest.mark.parametrize("name", ["make_frac_prevs", "shift_by", "detect_pattern",
                                  "make_length", "make_hist"])
def test_library_program_gives_tracrs_causal_values(name):
    theirs, ours, vocab, _ = LIBRARY[name]
    for xs in inputs(vocab, 16, seed=1):
        assert rasp.evaluate(ours, xs, causal=True) == causal_eval.evaluate(theirs, xs), xs


@pytest.mark.parametrize("case", tracr_cases.TEST_CASES, ids=lambda c: c["testcase_name"])
def test_tracrs_integration_case_after_conversion(case):
    program = from_tracr(case["program"])
    assert rasp.evaluate(program, case["test_input"]) == case["expected_output"]


@pytest.mark.parametrize("case", tracr_cases.CAUSAL_TEST_CASES,
                         ids=lambda c: c["testcase_name"])
def test_tracrs_causal_case_after_conversion(case):
    program = from_tracr(case["program"])
    assert rasp.evaluate(program, case["test_input"], causal=True) == case["expected_output"]


def test_conversion_keeps_names_encodings_and_sharing():
    theirs = LIBRARY["make_pair_balance"][0]
    ours = from_tracr(theirs)
    assert ours.name == theirs.name == "pair_balance" and rasp.is_numerical(ours)
    nodes = rasp.topological_order(ours)
    assert [type(e).__name__ for e in nodes] == [
        type(e).__name__ for e in _tracr_order(theirs)]
    assert len({id(e) for e in nodes}) == len(nodes)
    assert to_tracr(ours).name == "pair_balance"
    assert tracr.is_numerical(to_tracr(ours))


def _tracr_order(expr):
    order, seen = [], set()

    def visit(e):
        if id(e) in seen:
            return
        seen.add(id(e))
        for c in e.children:
            visit(c)
        order.append(e)

    visit(expr)
    return order


@settings(deadline=None, max_examples=60)
@given(rasp_programs(vocab="abc", max_seq_len=8, max_operations=8), st.data())
def test_random_programs_agree_with_tracr_after_conversion(program, data):
    theirs = to_tracr(program)
    back = from_tracr(theirs)
    xs = data.draw(rasp_inputs("abc", max_seq_len=8))
    expected = tracr.evaluate(theirs, xs)
    assert rasp.evaluate(program, xs) == expected
    assert rasp.evaluate(back, xs) == expected
    assert rasp.evaluate(program, xs, causal=True) == causal_eval.evaluate(theirs, xs)


def test_conversion_refuses_what_is_not_an_expression():
    with pytest.raises(RaspError, match="is not a tracr RASP expression"):
        from_tracr(rasp.tokens)
    with pytest.raises(RaspError, match=r"is not a languages\.rasp RASP expression"):
        to_tracr(tracr.tokens)
