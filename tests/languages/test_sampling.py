"""Sampling: uniform over each label, reproducible, and loud about bad arguments."""

from __future__ import annotations

import numpy as np
import pytest

from languages import zoo
from languages.dfa import DFA
from languages.dyck import Dyck
from languages.dyck_paths import _path_direct
from languages.errors import LengthError, NoWordsError, WordError
from languages.language import MAX_LENGTH
from languages.regular import from_regex
from languages.walk import alias_tables, walk_direct
from tests.languages.oracles import ORACLES, all_words, assert_uniform

NAMES = list(ORACLES)


@pytest.mark.parametrize("name", NAMES)
def test_members_and_nonmembers_are_uniform_at_small_lengths(name):
    language, oracle = zoo.get(name), ORACLES[name]
    length = 8 if len(language.alphabet) == 2 else 4
    words = all_words(language.alphabet, length)
    for label, wanted in (("member", True), ("nonmember", False)):
        support = [w for w in words if oracle(w) == wanted]
        assert_uniform(language.sample(length, 40 * len(support), label, seed=1), support)


@pytest.mark.parametrize(("name", "length"), [("dyck1", 16), ("dyck2", 10),
                                              ("shuffle_dyck2", 8), ("tomita3", 12),
                                              ("majority", 11)])
def test_members_are_uniform_across_several_blocks(name, length):
    language = zoo.get(name)
    support = language.enumerate(length)
    assert_uniform(language.sample(length, 30 * len(support), "member", seed=2), support)


def test_direct_dfa_walk_is_uniform():
    dfa = from_regex("(a|bc)*b?", "abc").dfa
    length = 7
    support = [w for w in all_words("abc", length) if dfa.accepts(w)]
    indices = walk_direct(length, dfa._steps(length, True), dfa.table,
                          np.random.default_rng(0), 40 * len(support), dfa.start)
    assert_uniform(["".join("abc"[i] for i in row) for row in indices], support)


@pytest.mark.parametrize("max_depth", [None, 2])
def test_direct_dyck_walk_is_uniform(max_depth):
    length = 12
    language = Dyck(name="d", alphabet="()", max_depth=max_depth)
    depth = length // 2 if max_depth is None else max_depth
    paths = _path_direct(length, depth, max_depth is None, np.random.default_rng(0), 20000)
    support = language.enumerate(length)
    assert_uniform(language.decode(paths), support)


@pytest.mark.parametrize("name", ["parity", "tomita3", "dyck1", "dyck2", "shuffle_dyck2"])
def test_long_words_take_the_direct_walk_and_keep_their_label(name):
    language = zoo.get(name)
    for label in ("member", "nonmember"):
        indices = language.sample_indices(12_000, 2, label, seed=5)
        assert indices.shape == (2, 12_000)
        expected = label == "member"
        assert [language.contains(w) for w in language.decode(indices)] == [expected] * 2


def test_alias_tables_reproduce_the_weights_exactly():
    rng = np.random.default_rng(0)
    weight = rng.random((50, 16)) * (rng.random((50, 16)) < 0.6)
    weight[0] = 0.0
    weight[0, 3] = 1.0
    keep, alias = alias_tables(weight)
    m = weight.shape[1]
    recovered = keep / m
    for row in range(len(weight)):
        np.add.at(recovered[row], alias[row], (1 - keep[row]) / m)
    assert np.allclose(recovered, weight / weight.sum(axis=1, keepdims=True))
    assert (keep[weight == 0] == 0).all()
    assert (np.take_along_axis(weight, alias, axis=1)[weight == 0] > 0).all()


def test_label_any_takes_the_only_label_that_has_words():
    assert all(not zoo.get("dyck1").contains(w)
               for w in zoo.get("dyck1").sample(7, 10, "any"))
    assert zoo.get("anbn").sample(0, 3, "any") == ["", "", ""]
    assert zoo.get("tomita1").sample(0, 2, "any") == ["", ""]


@pytest.mark.parametrize(("name", "length", "label", "message"), [
    ("dyck1", 7, "member", "dyck1 has no members of length 7"),
    ("dyck2", 0, "nonmember", "dyck2 has no non-members of length 0"),
    ("anbn", 0, "nonmember", "anbn has no non-members of length 0"),
    ("anbn", 3, "member", "anbn has no members of length 3"),
    ("majority", 0, "member", "majority has no members of length 0"),
    ("tomita2", 99, "member", "tomita2 has no members of length 99"),
    ("tomita5", 51, "member", "tomita5 has no members of length 51"),
])
def test_asking_for_words_that_do_not_exist_raises_no_words_error(name, length, label,
                                                                 message):
    with pytest.raises(NoWordsError, match=message):
        zoo.get(name).sample(length, 10**6, label)


def test_a_depth_bound_of_zero_has_only_the_empty_word():
    language = Dyck(name="flat", alphabet="()", max_depth=0)
    assert language.sample(0, 2) == ["", ""]
    with pytest.raises(NoWordsError, match="flat has no members of length 2"):
        language.sample(2, 1)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"length": -1}, "length must be between 0 and 100000, got -1"),
    ({"length": MAX_LENGTH + 1}, "length must be between 0 and 100000, got 100001"),
    ({"length": 2.5}, "length must be an integer between 0 and 100000, got 2.5"),
    ({"length": True}, "length must be an integer between 0 and 100000, got True"),
    ({"count": -3}, "count must be between 0 and 100000000, got -3"),
    ({"count": "10"}, "count must be an integer between 0 and 100000000, got '10'"),
    ({"label": "maybe"}, "unknown label 'maybe'; expected member, nonmember or any"),
    ({"seed": -1}, r"seed must be between 0 and 9223372036854775807, got -1"),
    ({"seed": 0.5}, r"seed must be an integer between 0 and 9223372036854775807, got 0.5"),
    ({"length": 100_000, "count": 30_000},
     "30000 words of length 100000 are 3000000000 symbols; one sample holds at most"),
])
def test_bad_sampling_arguments_raise_length_error(kwargs, message):
    arguments = {"length": 4, "count": 2, "label": "member", "seed": 0, **kwargs}
    with pytest.raises(LengthError, match=message):
        zoo.get("parity").sample(**arguments)


@pytest.mark.parametrize("name", NAMES)
def test_counts_and_enumeration_reject_bad_lengths(name):
    language = zoo.get(name)
    for method in (language.count, language.has_members, language.has_nonmembers,
                   language.enumerate):
        with pytest.raises(LengthError, match="length must be between 0 and 100000, got -2"):
            method(-2)


def test_enumerate_refuses_more_than_a_million_words():
    with pytest.raises(LengthError, match=r"parity has 524288 members of length 20|"
                                          "parity has 549755813888 members of length 40; "
                                          "enumerate lists at most 1000000"):
        zoo.get("parity").enumerate(40)


def test_zero_words_and_numpy_integers_are_fine():
    parity = zoo.get("parity")
    assert parity.sample(5, 0) == []
    assert parity.sample_indices(5, 0).shape == (0, 5)
    assert parity.sample(np.int64(3), np.int32(2), seed=np.uint8(4)) == parity.sample(3, 2,
                                                                                        seed=4)


def test_encode_and_decode_round_trip_and_name_bad_symbols():
    dyck2 = zoo.get("dyck2")
    words = dyck2.sample(16, 50, "any", seed=3)
    assert dyck2.decode(dyck2.encode(words)) == words
    assert dyck2.encode([]).shape == (0, 0)
    with pytest.raises(WordError, match=r"word '\(\{' has symbol '\{', which is not in the "
                                        r"alphabet '\(\)\[\]' of dyck2"):
        dyck2.encode(["()", "({"])
    with pytest.raises(WordError, match=r"encode needs words of one length; '\(\)\[\]' has "
                                        r"length 4, the first word '\(\)' has 2"):
        dyck2.encode(["()", "()[]"])
    with pytest.raises(WordError, match="words are strings, got 3"):
        dyck2.encode([3])


def test_non_ascii_alphabets_work_end_to_end():
    language = from_regex("(αβ)*", "αβ", name="alpha")
    assert language.sample(4, 3) == ["αβαβ"] * 3
    assert language.contains_many(["αβαβ", "ββαα"]).tolist() == [True, False]


def test_a_dfa_with_no_accepting_state_has_no_members():
    language = from_regex("a", "ab")
    empty = type(language)(name="empty", dfa=DFA(alphabet="ab", transitions=((0, 0),)))
    assert empty.count(5) == 0
    with pytest.raises(NoWordsError, match="empty has no members of length 5"):
        empty.sample(5, 1)
    assert len(empty.sample(5, 4, "any")) == 4
