"""Tracr's library programs on `languages.rasp`: each against a plain-Python statement of
what it computes, on every input up to a small length and on hypothesis inputs
up to length 32; and Tracr's own table of cases (`tests.languages.rasp_cases`).
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from languages import rasp
from languages import rasp_lib as lib
from languages.brasp import RaspError
from tests.languages.rasp_cases import CASES, CAUSAL_CASES


def balanced(xs, pairs) -> bool:
    """Whether every pair's running count (opens minus closes) stays >= 0 and ends at 0."""
    for open_token, close_token in pairs:
        depth = 0
        for x in xs:
            depth += (x == open_token) - (x == close_token)
            if depth < 0:
                return False
        if depth:
            return False
    return True


def stable_order(keys) -> list[int]:
    """Positions sorted by key, ties by position."""
    return sorted(range(len(keys)), key=lambda i: (keys[i], i))


SORT_LEN = 8
# name -> (program, vocabulary, oracle from the input to the expected output)
PROGRAMS = {
    "length": (lib.make_length, "abc", lambda xs: [len(xs)] * len(xs)),
    "reverse": (lambda: lib.make_reverse(rasp.tokens), "abc", lambda xs: xs[::-1]),
    "frac_prevs": (lambda: lib.make_frac_prevs(rasp.tokens == "a"), "abc",
                   lambda xs: [Fraction(xs[:i + 1].count("a"), i + 1)
                               for i in range(len(xs))]),
    "pair_balance": (lambda: lib.make_pair_balance(rasp.tokens, "(", ")"), "()a",
                     lambda xs: [Fraction(xs[:i + 1].count("(") - xs[:i + 1].count(")"),
                                          i + 1) for i in range(len(xs))]),
    "shuffle_dyck": (lambda: lib.make_shuffle_dyck(["()", "{}"]), "(){}",
                     lambda xs: [balanced(xs, ["()", "{}"])] * len(xs)),
    "shuffle_dyck2": (lib.make_shuffle_dyck2, "({)}",
                      lambda xs: [balanced(xs, ["()", "{}"])] * len(xs)),
    "hist": (lib.make_hist, "abc", lambda xs: [xs.count(x) for x in xs]),
    "sort_unique_by_position": (
        lambda: lib.make_sort_unique(rasp.tokens, -1 * rasp.indices), "abc",
        lambda xs: xs[::-1]),
    "sort": (lambda: lib.make_sort(rasp.indices, rasp.tokens, max_seq_len=SORT_LEN,
                                   min_key=1), [0, 1, 2], stable_order),
    "sort_freq": (lambda: lib.make_sort_freq(SORT_LEN), "abc",
                  lambda xs: [xs[i] for i in stable_order([-xs.count(x) for x in xs])]),
    "shift_by_2": (lambda: lib.shift_by(2, rasp.tokens), "abc",
                   lambda xs: [None, None, *xs][:len(xs)]),
    "detect_pattern_aba": (
        lambda: lib.detect_pattern(rasp.tokens, "aba"), "ab",
        lambda xs: [None if i < 2 else xs[i - 2:i + 1] == list("aba")
                    for i in range(len(xs))]),
    "count_less_freq_2": (
        lambda: lib.make_count_less_freq(2), "abc",
        lambda xs: [sum(xs.count(x) <= 2 for x in xs)] * len(xs)),
    "count_b": (lambda: lib.make_count(rasp.tokens, "b"), "abc",
                lambda xs: [xs.count("b")] * len(xs)),
    "nary_sequencemap": (
        lambda: lib.make_nary_sequencemap(lambda x, y, z: x * y - z, rasp.tokens,
                                          rasp.indices, rasp.tokens), [1, 2, 3],
        lambda xs: [x * i - x for i, x in enumerate(xs)]),
}


def all_inputs(vocab, max_length: int):
    for n in range(1, max_length + 1):
        yield from (list(xs) for xs in itertools.product(list(vocab), repeat=n))


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_equals_its_plain_statement_on_every_short_input(name):
    build, vocab, oracle = PROGRAMS[name]
    program = build()
    max_length = 5 if len(vocab) <= 3 else 4
    for xs in all_inputs(vocab, max_length):
        assert rasp.evaluate(program, xs, exact=True) == oracle(xs), xs


@pytest.mark.parametrize("name", PROGRAMS)
@settings(deadline=None, max_examples=25)
@given(data=st.data())
def test_program_equals_its_plain_statement_on_longer_inputs(name, data):
    build, vocab, oracle = PROGRAMS[name]
    longest = SORT_LEN if name.startswith("sort") else 32
    xs = data.draw(st.lists(st.sampled_from(list(vocab)), min_size=1, max_size=longest))
    assert rasp.evaluate(build(), xs, exact=True) == oracle(xs)


@pytest.mark.parametrize("name", ["frac_prevs", "pair_balance", "shift_by_2",
                                  "detect_pattern_aba"])
def test_causal_programs_give_the_same_output_causally(name):
    build, vocab, _ = PROGRAMS[name]
    program = build()
    for xs in all_inputs(vocab, 4):
        assert rasp.evaluate(program, xs, causal=True) == rasp.evaluate(program, xs)


def test_float_means_are_the_exact_fractions_rounded():
    program = lib.make_pair_balance(rasp.tokens, "(", ")")
    xs = list("(()(()))(((") * 3
    floats, exact = rasp.evaluate(program, xs), rasp.evaluate(program, xs, exact=True)
    assert floats == pytest.approx([float(v) for v in exact], abs=1e-12)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_tracr_case(case):
    assert set(case.xs) <= case.vocab and len(case.xs) <= case.max_seq_len
    assert rasp.evaluate(case.build(), case.xs) == case.expected


@pytest.mark.parametrize("case", CAUSAL_CASES, ids=lambda c: c.name)
def test_tracr_causal_case(case):
    assert rasp.evaluate(case.build(), case.xs, causal=True) == case.expected


def test_library_lists_every_program_it_defines():
    assert all(callable(getattr(lib, name)) for name in lib.PROGRAMS)
    assert len(lib.PROGRAMS) == len(set(lib.PROGRAMS)) == 15


@pytest.mark.parametrize("build, message", [
    (lambda: lib.make_shuffle_dyck([]), "make_shuffle_dyck: pairs must name at least one"),
    (lambda: lib.make_shuffle_dyck(["(", "{}"]), "make_shuffle_dyck: pair '\\(' is not"),
    (lambda: lib.detect_pattern(rasp.tokens, ""), "detect_pattern: the pattern must have"),
    (lambda: lib.make_nary_sequencemap(max), "make_nary_sequencemap: needs at least one"),
])
def test_library_refuses_bad_arguments_by_name(build, message):
    with pytest.raises(RaspError, match=message):
        build()


def test_nary_sequencemap_of_one_sop_is_a_map():
    assert lib.make_nary_sequencemap(lambda x: x + 1, rasp.indices)("abc") == [1, 2, 3]
