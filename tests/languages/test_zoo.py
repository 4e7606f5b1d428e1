"""The zoo against plain oracles: membership, counts, enumeration, sampled labels."""

from __future__ import annotations

import math

import numpy as np
import pytest

from languages import zoo
from languages.errors import UnknownLanguageError
from tests.languages.oracles import ALPHABETS, ORACLES, all_words

NAMES = list(ORACLES)


def _catalan(m: int) -> int:
    return math.comb(2 * m, m) // (m + 1)


def _even(n: int, value: int) -> int:
    return value if n % 2 == 0 else 0


def _tribonacci_no_000(n: int) -> int:
    # words avoiding 000: a(n) = a(n-1) + a(n-2) + a(n-3), a(0..2) = 1, 2, 4
    a = [1, 2, 4]
    while len(a) <= n:
        a.append(a[-1] + a[-2] + a[-3])
    return a[n]


CLOSED_FORMS = {
    "parity": lambda n: 2 ** (n - 1) if n else 0,
    "first": lambda n: 2 ** (n - 1) if n else 0,
    "majority": lambda n: sum(math.comb(n, k) for k in range(n + 1) if 2 * k > n),
    "mod3": lambda n: sum(math.comb(n, k) for k in range(0, n + 1, 3)),
    "even_pairs": lambda n: 2 ** (n - 1) if n > 1 else n + 1,  # first symbol == last
    "dyck1": lambda n: _even(n, _catalan(n // 2)),
    "dyck2": lambda n: _even(n, _catalan(n // 2) * 2 ** (n // 2)),
    # sum_k C(2m, 2k) Cat(k) Cat(m - k) = Cat(m) Cat(m + 1)
    "shuffle_dyck2": lambda n: _even(n, _catalan(n // 2) * _catalan(n // 2 + 1)),
    "anbn": lambda n: _even(n, 1),
    "tomita1": lambda n: 1,
    "tomita2": lambda n: _even(n, 1),
    "tomita4": _tribonacci_no_000,
    "tomita5": lambda n: _even(n, 2 ** (n - 1) if n else 1),
    "tomita6": lambda n: sum(math.comb(n, k) for k in range(n + 1) if (2 * k - n) % 3 == 0),
    "tomita7": lambda n: sum(math.comb(n, k) for k in range(4)),  # 0w has <= 3 changes
}


def _brute_force_length(name: str) -> int:
    return 12 if len(ALPHABETS[name]) == 2 else 8


def test_zoo_names_and_alphabets_are_those_of_the_issue():
    assert zoo.names() == NAMES
    for name in NAMES:
        assert zoo.get(name).alphabet == ALPHABETS[name]
        assert zoo.get(name).name == name
        assert zoo.get(name).description


def test_unknown_language_is_named_with_the_known_ones():
    with pytest.raises(UnknownLanguageError, match="unknown language 'dyck3'; known "
                                                   "languages: parity, first, majority"):
        zoo.get("dyck3")


@pytest.mark.parametrize("name", NAMES)
def test_contains_enumerate_and_count_match_brute_force(name):
    language, oracle = zoo.get(name), ORACLES[name]
    for n in range(_brute_force_length(name) + 1):
        words = all_words(language.alphabet, n)
        members = [w for w in words if oracle(w)]
        assert [language.contains(w) for w in words] == [oracle(w) for w in words], n
        assert language.enumerate(n) == members, n
        assert language.count(n) == len(members), n
        assert language.count_nonmembers(n) == len(words) - len(members), n
        assert language.has_members(n) == bool(members), n
        assert language.has_nonmembers(n) == (len(members) < len(words)), n
        if n:
            assert language.contains_many(words).tolist() == [oracle(w) for w in words]


@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
def test_count_matches_the_closed_form(name):
    language = zoo.get(name)
    for n in range(41):
        assert language.count(n) == CLOSED_FORMS[name](n), n


@pytest.mark.parametrize("name", NAMES)
def test_enumerate_lists_count_words_at_length_twelve(name):
    language = zoo.get(name)
    words = language.enumerate(12)
    assert len(words) == language.count(12) == len(set(words))
    assert words == sorted(words, key=lambda w: [language.alphabet.index(c) for c in w])
    assert all(ORACLES[name](w) for w in words)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("length", [0, 1, 2, 7, 12, 33, 100])
def test_sampled_members_and_nonmembers_have_their_label(name, length):
    language, oracle = zoo.get(name), ORACLES[name]
    for label, wanted in (("member", True), ("nonmember", False)):
        available = language.has_members if wanted else language.has_nonmembers
        if not available(length):
            continue
        words = language.sample(length, 300, label, seed=length)
        assert len(words) == 300
        assert all(len(w) == length and set(w) <= set(language.alphabet) for w in words)
        assert all(oracle(w) == wanted for w in words), (label, words[:3])
        assert all(language.contains(w) == wanted for w in words)


@pytest.mark.parametrize("name", NAMES)
def test_label_any_is_balanced_and_reproducible(name):
    language, oracle = zoo.get(name), ORACLES[name]
    words = language.sample(20, 1001, "any", seed=7)
    truth = np.array([oracle(w) for w in words])
    assert truth.sum() == 501
    assert 0 < truth[:100].sum() < 100  # shuffled, not members first
    assert words == language.sample(20, 1001, "any", seed=7)
    assert words != language.sample(20, 1001, "any", seed=8)
    assert language.sample(20, 5, "member", seed=3) == language.sample(20, 5, "member", seed=3)
