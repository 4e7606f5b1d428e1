"""Dyck paths and bracket types: every way of drawing them is uniform, and they agree."""

from __future__ import annotations

import numpy as np
import pytest

from languages import dyck as dyck_module
from languages import dyck_paths
from languages import walk as walk_module
from languages.dyck import Dyck, ShuffleDyck
from languages.dyck_paths import _path_direct, assign_types, sample_paths
from tests.languages.oracles import assert_uniform

PATH_WALKS = {  # (_TABLE_WORDS, dyck_paths._FEW_WORDS): which walk every call takes
    "tables": (0, 0),
    "all at once": (1 << 40, 0),
    "one by one": (1 << 40, 1 << 40),
}


@pytest.mark.parametrize("walk", PATH_WALKS)
@pytest.mark.parametrize("max_depth", [None, 2])
def test_every_path_walk_is_uniform(monkeypatch, walk, max_depth):
    tables, few = PATH_WALKS[walk]
    monkeypatch.setattr(walk_module, "_TABLE_WORDS", tables)
    monkeypatch.setattr(dyck_paths, "_FEW_WORDS", few)
    monkeypatch.setattr(dyck_paths, "_PATH_TABLES", dyck_paths.TableCache(16))
    language = Dyck(name="d", alphabet="()", max_depth=max_depth)
    support = language.enumerate(12)
    assert_uniform(language.sample(12, 40 * len(support), seed=4), support)


@pytest.mark.parametrize(("length", "depth"), [(600, 300), (600, 3), (5000, 2500)])
def test_paths_one_by_one_and_all_at_once_are_the_same(monkeypatch, length, depth):
    one_by_one = _path_direct(length, depth, depth == length // 2,
                              np.random.default_rng(2), 16)
    monkeypatch.setattr(dyck_paths, "_FEW_WORDS", 0)
    assert np.array_equal(one_by_one, _path_direct(length, depth, depth == length // 2,
                                                   np.random.default_rng(2), 16))
    heights = np.cumsum(1 - 2 * one_by_one.astype(np.int64), axis=1)
    assert heights.min() >= 0 and heights.max() <= depth and (heights[:, -1] == 0).all()


@pytest.mark.parametrize("matched", [0, 1 << 40])  # _MATCH_WORDS: never, always
@pytest.mark.parametrize(("length", "pairs"), [(8, "()[]"), (6, "()[]{}")])
def test_types_are_uniform_whichever_way_they_are_matched(monkeypatch, matched, length, pairs):
    monkeypatch.setattr(dyck_paths, "_MATCH_WORDS", matched)
    language = Dyck(name="d", alphabet=pairs)
    support = language.enumerate(length)
    assert_uniform(language.sample(length, 40 * len(support), seed=5), support)


@pytest.mark.parametrize(("count", "length"), [  # matched, matched, packed, a stack per word
    (1, 10_000), (3, 200), (200, 40), (200, 300)])
def test_types_close_the_right_opener_for_every_way_of_matching(count, length):
    pattern = sample_paths(length, length // 2, count, np.random.default_rng(0))
    words = assign_types(pattern, 3, np.random.default_rng(1))
    assert np.array_equal(words & 1, pattern)  # the open/close pattern is kept
    language = Dyck(name="d3", alphabet="()[]{}")
    assert language._contains_indices(words).all()


def test_shuffle_dyck_words_drawn_one_by_one_are_uniform(monkeypatch):
    monkeypatch.setattr(dyck_module, "_FEW_WORDS", 1 << 40)
    language = ShuffleDyck(name="s", alphabet="()[]")
    support = language.enumerate(6)
    assert_uniform(language.sample(6, 40 * len(support), seed=6), support)


def test_bounded_path_probabilities_grow_without_changing_earlier_rows():
    short = dyck_paths._BoundedPaths(3).rows(10).copy()
    paths = dyck_paths._BoundedPaths(3)
    paths.rows(4)
    assert np.array_equal(paths.rows(10), short)
    assert not paths.rows(10).flags.writeable
