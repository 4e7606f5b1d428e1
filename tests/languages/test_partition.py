"""Hopcroft minimisation: the same minimal DFA as Moore's refinement, and fast on long cycles."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings

from languages.dfa import DFA
from languages.partition import equivalence_classes
from languages.strategies import dfas
from tests.languages.oracles import moore_minimal


def _cycle(n: int, accepting) -> DFA:
    """States 0 .. n-1 in a ring: every symbol moves one step on."""
    return DFA(alphabet="ab", transitions=tuple(((q + 1) % n,) * 2 for q in range(n)),
               accepting=frozenset(accepting))


def _random_dfa(n: int, seed: int, symbols: str = "ab") -> DFA:
    rng = random.Random(seed)
    rows = tuple(tuple(rng.randrange(n) for _ in symbols) for _ in range(n))
    return DFA(alphabet=symbols, transitions=rows,
               accepting=frozenset(q for q in range(n) if rng.random() < 0.5))


@settings(max_examples=150)
@given(dfas(alphabet="abc", max_states=8))
def test_hopcroft_gives_moores_minimal_dfa_in_the_same_canonical_order(dfa):
    small = dfa.minimize()
    assert (small.transitions, small.accepting) == moore_minimal(
        dfa.transitions, dfa.start, dfa.accepting)
    assert small.start == 0


@settings(max_examples=100)
@given(dfas(alphabet="ab", max_states=6))
def test_states_share_a_block_exactly_when_no_short_word_tells_them_apart(dfa):
    blocks = equivalence_classes(dfa.transitions, [q in dfa.accepting for q in
                                                   range(dfa.states)])
    words = [w for n in range(dfa.states + 1) for w in itertools.product((0, 1), repeat=n)]

    def behaviour(q: int) -> tuple[bool, ...]:
        out = []
        for word in words:
            state = q
            for symbol in word:
                state = dfa.transitions[state][symbol]
            out.append(state in dfa.accepting)
        return tuple(out)

    # words up to the number of states separate every two inequivalent states
    seen = [behaviour(q) for q in range(dfa.states)]
    for p, q in itertools.combinations(range(dfa.states), 2):
        assert (blocks[p] == blocks[q]) == (seen[p] == seen[q])


def test_a_2000_state_cycle_with_one_accepting_state_is_already_minimal():
    cycle = _cycle(2000, {0})
    assert cycle.minimize() == cycle  # BFS order from 0 is the ring order


@pytest.mark.parametrize("period", [1, 2, 16, 400])  # divisors of 2000
def test_a_cycle_accepting_periodically_shrinks_to_its_period(period):
    small = _cycle(2000, range(0, 2000, period)).minimize()
    assert small == _cycle(period, {0})


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "n"), [("cycle", 2000), ("random", 2000), ("random", 300)])
def test_hopcroft_matches_moore_on_large_dfas(kind, n):
    dfa = _cycle(n, {0, n // 3}) if kind == "cycle" else _random_dfa(n, seed=n, symbols="abc")
    small = dfa.minimize()
    assert (small.transitions, small.accepting) == moore_minimal(
        dfa.transitions, dfa.start, dfa.accepting)


def test_one_block_when_every_state_accepts_or_none_does():
    assert equivalence_classes([(1, 0), (0, 1)], [True, True]) == [0, 0]
    assert equivalence_classes([(0,)], [False]) == [0]
