"""Dyck-k (with and without a depth bound) and shuffle-Dyck against a plain counter."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from languages.dyck import Dyck, ShuffleDyck
from languages.errors import WordError
from tests.languages.oracles import all_words


def _depth_ok(word: str, pairs: str, max_depth: int | None) -> bool:
    """A plain stack: closers match their opener, and at most max_depth open at once."""
    stack = []
    for c in word:
        i = pairs.index(c)
        if i % 2 == 0:
            stack.append(i)
            if max_depth is not None and len(stack) > max_depth:
                return False
        elif not stack or stack.pop() != i - 1:
            return False
    return not stack


@pytest.mark.parametrize(("pairs", "max_depth", "up_to"), [
    ("()", 1, 12), ("()", 3, 12), ("()[]", 2, 8), ("()[]{}", None, 6), ("()[]{}", 1, 6),
])
def test_bounded_and_wider_dyck_match_a_plain_stack(pairs, max_depth, up_to):
    language = Dyck(name="d", alphabet=pairs, max_depth=max_depth)
    for n in range(up_to + 1):
        words = all_words(pairs, n)
        members = [w for w in words if _depth_ok(w, pairs, max_depth)]
        assert [language.contains(w) for w in words] == [w in set(members) for w in words]
        assert language.enumerate(n) == members, n
        assert language.count(n) == len(members), n
        if n:
            assert language.contains_many(words).tolist() == [w in set(members) for w in words]
        if members:
            assert all(_depth_ok(w, pairs, max_depth) for w in language.sample(n, 200, seed=n))
        if len(members) < len(words):
            assert not any(_depth_ok(w, pairs, max_depth)
                           for w in language.sample(n, 200, "nonmember", seed=n))


def test_depth_one_dyck_words_are_repeated_pairs():
    language = Dyck(name="flat", alphabet="()", max_depth=1)
    assert language.enumerate(6) == ["()()()"]
    assert [language.count(n) for n in range(0, 9, 2)] == [1, 1, 1, 1, 1]


def test_dyck_k_counts_are_catalan_times_k_to_the_m():
    language = Dyck(name="d3", alphabet="()[]{}")
    for m in range(30):
        assert language.count(2 * m) == math.comb(2 * m, m) // (m + 1) * 3**m
        assert language.count(2 * m + 1) == 0


def test_a_bound_of_half_the_length_binds_nothing():
    bounded = Dyck(name="b", alphabet="()", max_depth=5)
    free = Dyck(name="f", alphabet="()")
    assert bounded.count(10) == free.count(10)
    assert bounded.sample(10, 20, seed=1) == free.sample(10, 20, seed=1)


@given(st.text(alphabet="()[]", max_size=40))
@settings(max_examples=200)
def test_vectorised_membership_matches_contains(word):
    for language in (Dyck(name="d", alphabet="()[]"), Dyck(name="b", alphabet="()[]",
                                                         max_depth=3),
                     ShuffleDyck(name="s", alphabet="()[]")):
        indices = language.encode([word], dtype=np.uint8)
        assert bool(language._contains_indices(indices)[0]) == language.contains(word)


def test_shuffle_dyck_counts_with_three_pairs_match_brute_force():
    language = ShuffleDyck(name="s3", alphabet="()[]{}")

    def each_balanced(w):
        return all(min([0] + [sum((c == o) - (c == k) for c in w[:i + 1])
                              for i in range(len(w))]) >= 0
                   and w.count(o) == w.count(k) for o, k in ("()", "[]", "{}"))

    for n in range(7):
        members = [w for w in all_words("()[]{}", n) if each_balanced(w)]
        assert language.count(n) == len(members)
        assert language.enumerate(n) == members
    words = language.sample(6, 300, seed=0)
    assert all(each_balanced(w) for w in words)
    assert len(set(words)) > 100


def test_foreign_symbols_are_not_members():
    assert not Dyck(name="d", alphabet="()").contains("(x)")
    assert not ShuffleDyck(name="s", alphabet="()[]").contains("(x)")


@pytest.mark.parametrize(("make", "message"), [
    (lambda: Dyck(name="d", alphabet="()["), r"bracket pairs '\(\)\[' must have even length"),
    (lambda: ShuffleDyck(name="s", alphabet="(("), r"alphabet '\(\(' repeats the symbol"),
    (lambda: Dyck(name="d", alphabet="()", max_depth=-1),
     "max_depth must be None or an integer >= 0, got -1"),
])
def test_malformed_dyck_languages_are_refused(make, message):
    with pytest.raises(WordError, match=message):
        make()
