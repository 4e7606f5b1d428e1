"""The chain walker: tables, all-at-once and one-by-one walks agree in law (and in words)."""

from __future__ import annotations

import numpy as np
import pytest

from languages import dfa as dfa_module
from languages import walk as walk_module
from languages import zoo
from languages.dfa import DFA
from languages.regular import from_regex
from languages.walk import TableCache, prefer_tables, walk_direct
from tests.languages.oracles import all_words, assert_uniform

PATHS = {  # (_TABLE_WORDS, _FEW_WORDS): which walk every call takes
    "tables": (0, 0),
    "all at once": (1 << 40, 0),
    "one by one": (1 << 40, 1 << 40),
}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("pattern", "alphabet", "length"), [
    ("(a|bc)*b?", "abc", 7), ("(0|1(00(00)*1)*1)*(1(00(00)*1)*(00)*)?", "01", 10)])
def test_every_walk_draws_uniform_members(monkeypatch, path, pattern, alphabet, length):
    tables, few = PATHS[path]
    monkeypatch.setattr(walk_module, "_TABLE_WORDS", tables)
    monkeypatch.setattr(walk_module, "_FEW_WORDS", few)
    language = from_regex(pattern, alphabet)  # a fresh DFA: no tables cached yet
    support = [w for w in all_words(alphabet, length) if language.dfa.accepts(w)]
    assert_uniform(language.sample(length, 40 * len(support), seed=3), support)


def _ring(states: int) -> DFA:
    """A ring: 0 moves one state on, 1 moves two; every third state accepts."""
    rows = tuple(((q + 1) % states, (q + 2) % states) for q in range(states))
    return DFA(alphabet="01", transitions=rows, accepting=frozenset(range(0, states, 3)))


@pytest.mark.parametrize("kept", [True, False])  # step tables kept, or computed per call
@pytest.mark.parametrize(("dfa", "count"), [
    (zoo.get("tomita3").dfa, 1), (zoo.get("tomita3").dfa, 16), (_ring(5), 5),
    (_ring(40), 1), (_ring(40), 16)])  # 40 states: the loop that reads one row a step
def test_one_by_one_and_all_at_once_give_the_same_words(monkeypatch, kept, dfa, count):
    if not kept:
        monkeypatch.setattr(dfa_module, "_MAX_CACHED", 0)
        dfa = DFA(alphabet=dfa.alphabet, transitions=dfa.transitions, start=dfa.start,
                  accepting=dfa.accepting)  # nothing kept from earlier calls

    def words():
        return walk_direct(300, dfa._steps(300, True), dfa.table, np.random.default_rng(9),
                           count, dfa.start)

    one_by_one = words()
    monkeypatch.setattr(walk_module, "_FEW_WORDS", 0)
    assert np.array_equal(one_by_one, words())
    assert all(dfa.accepts("".join("01"[i] for i in row)) for row in one_by_one)
    assert bool(dfa._step_tables) == kept


@pytest.mark.parametrize("count", [1, 40])
def test_kept_and_computed_step_tables_give_the_same_words(monkeypatch, count):
    language = from_regex("(0|1(00(00)*1)*1)*(1(00(00)*1)*(00)*)?", "01")
    language.sample(900, 1)  # keeps tables up to 900
    kept = language.sample(500, count, "any", seed=8)
    monkeypatch.setattr(dfa_module, "_MAX_CACHED", 0)
    fresh = from_regex("(0|1(00(00)*1)*1)*(1(00(00)*1)*(00)*)?", "01")
    assert fresh.sample(500, count, "any", seed=8) == kept
    assert not fresh.dfa._log_tables and not fresh.dfa._step_tables


def test_tables_are_built_only_for_many_words():
    assert not prefer_tables(2, 5, 100, 1)
    assert not prefer_tables(2, 5, 100, 4095)
    assert prefer_tables(2, 5, 100, 4096)
    assert not prefer_tables(2, 1000, 100_000, 10**6)  # too big to hold


@pytest.mark.parametrize("name", ["tomita3", "dyck2"])
def test_the_same_arguments_give_the_same_words_whatever_was_sampled_before(name):
    language = zoo.get(name)
    before = language.sample(40, 20, "any", seed=11)
    language.sample(40, 10_000, "any", seed=12)  # builds and keeps tables for length 40
    assert language.sample(40, 20, "any", seed=11) == before


def test_single_words_over_a_range_of_lengths_build_no_tables():
    language = from_regex("(0|1(00(00)*1)*1)*(1(00(00)*1)*(00)*)?", "01")
    for length in range(101):
        assert language.contains(language.sample(length, 1, seed=length)[0])
    assert not language.dfa._walk_tables._items


def test_the_table_cache_drops_the_least_recently_used():
    cache = TableCache(size=3)
    built = []

    def build(key):
        return lambda: built.append(key) or key

    for key in "abc":
        cache.get(key, build(key))
    cache.get("a", build("a"))  # a hit: a is now the most recent
    cache.get("d", build("d"))  # drops b
    assert built == list("abcd")
    assert "a" in cache and "b" not in cache and "c" in cache and "d" in cache
