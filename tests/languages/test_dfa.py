"""DFAs: validation, running, minimisation, equivalence, products, counting."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from languages import tomita, zoo
from languages.dfa import DFA
from languages.errors import DFAError
from languages.regular import from_dfa
from tests.languages.oracles import all_words

MINIMAL_STATES = {  # complete minimal DFAs, dead state included
    "parity": 2, "first": 3, "mod3": 3, "even_pairs": 5, "tomita1": 2, "tomita2": 3,
    "tomita3": 5, "tomita4": 4, "tomita5": 4, "tomita6": 3, "tomita7": 5,
}


@st.composite
def dfas(draw, alphabet: str = "ab", max_states: int = 6) -> DFA:
    """Any complete DFA (unreachable and equivalent states included), start 0."""
    n = draw(st.integers(1, max_states))
    rows = tuple(tuple(draw(st.integers(0, n - 1)) for _ in alphabet) for _ in range(n))
    accepting = draw(st.frozensets(st.integers(0, n - 1)))
    return DFA(alphabet=alphabet, transitions=rows, start=0, accepting=accepting)


def _language(dfa: DFA, up_to: int) -> list[bool]:
    """Acceptance of every word up to `up_to`, run by hand (no numpy, no DFA methods)."""
    out = []
    for n in range(up_to + 1):
        for word in itertools.product(range(len(dfa.alphabet)), repeat=n):
            state = dfa.start
            for symbol in word:
                state = dfa.transitions[state][symbol]
            out.append(state in dfa.accepting)
    return out


@pytest.mark.parametrize("name", sorted(MINIMAL_STATES))
def test_zoo_dfas_are_minimal_with_the_known_number_of_states(name):
    dfa = zoo.get(name).dfa
    assert dfa.minimize().states == MINIMAL_STATES[name]
    assert dfa.minimize().equivalent(dfa)


@given(dfas())
@settings(max_examples=60)
def test_minimised_dfa_accepts_the_same_words_and_is_no_bigger(dfa):
    small = dfa.minimize()
    assert _language(small, 7) == _language(dfa, 7)
    assert small.states <= len(dfa.reachable())
    assert small.equivalent(dfa) and dfa.equivalent(small)
    assert small.minimize() == small  # canonical: minimising twice changes nothing


@given(dfas(), dfas())
@settings(max_examples=60)
def test_counterexample_is_the_first_shortest_word_they_disagree_on(a, b):
    words = [w for n in range(9) for w in all_words("ab", n)]
    differing = [w for w in words if a.accepts(w) != b.accepts(w)]
    found = a.counterexample(b)
    if found is None:
        # no difference at any length, so none up to 8 and the same minimal DFA
        assert not differing
        assert a.minimize() == b.minimize()
    else:
        assert a.accepts(found) != b.accepts(found)
        if differing:
            assert found == differing[0]
        assert a.minimize() != b.minimize()


def test_equivalence_finds_a_distinguishing_word():
    assert zoo.get("tomita5").dfa.counterexample(zoo.get("tomita6").dfa) == "00"
    t4, t7 = zoo.get("tomita4").dfa, zoo.get("tomita7").dfa
    assert t4.counterexample(t7) == "000"
    assert not t4.equivalent(t7)


@given(dfas(), dfas())
@settings(max_examples=40)
def test_complement_intersection_and_union_match_the_definitions(a, b):
    for word in (w for n in range(6) for w in all_words("ab", n)):
        x, y = a.accepts(word), b.accepts(word)
        assert a.complement().accepts(word) == (not x)
        assert a.intersection(b).accepts(word) == (x and y)
        assert a.union(b).accepts(word) == (x or y)


@given(dfas(max_states=5), st.integers(0, 10))
@settings(max_examples=40)
def test_count_and_enumerate_match_brute_force(dfa, n):
    accepted = [w for w in all_words("ab", n) if dfa.accepts(w)]
    assert dfa.count(n) == len(accepted)
    assert dfa.count(n, accepting=False) == 2**n - len(accepted)
    assert ["".join("ab"[i] for i in row) for row in dfa.enumerate_indices(n)] == accepted
    language = from_dfa(dfa, name="random")
    if accepted and n:
        words = language.sample(n, 50, seed=n)
        assert all(w in accepted for w in words)


def test_accepts_indices_matches_accepts():
    dfa = zoo.get("tomita3").dfa
    words = all_words("01", 10)
    indices = np.array([[int(c) for c in w] for w in words])
    assert dfa.accepts_indices(indices).tolist() == [dfa.accepts(w) for w in words]


def test_from_dict_names_states_in_order_of_appearance():
    dfa = DFA.from_dict("ab", {("s", "a"): "t", ("s", "b"): "s", ("t", "a"): "t",
                               ("t", "b"): "s"}, start="s", accepting={"t"})
    assert dfa.transitions == ((1, 0), (1, 0)) and dfa.accepting == {1}
    assert dfa.run("ba") == 1 and dfa.accepts("aba")
    assert not dfa.accepts("abc")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"transitions": ()}, r"a DFA needs at least one state; transitions=\(\)"),
    ({"transitions": ((0,),)}, r"state 0 has 1 transitions; the alphabet 'ab' needs 2"),
    ({"transitions": ((0, 2), (0, 0))},
     r"transition from state 0 on symbol 'b' goes to 2; states are 0 \.\. 1"),
    ({"transitions": ((0, True),)}, r"symbol 'b' goes to True"),
    ({"start": 3}, r"start state 3 is not a state; states are 0 \.\. 0"),
    ({"accepting": {1}}, r"accepting state 1 is not a state; states are 0 \.\. 0"),
    ({"alphabet": "aa", "transitions": ((0, 0),)}, r"alphabet 'aa' repeats the symbol 'a'"),
    ({"alphabet": ""}, r"an alphabet is a non-empty string of symbols, got ''"),
])
def test_malformed_dfas_are_refused_naming_the_fault(kwargs, message):
    arguments = {"alphabet": "ab", "transitions": ((0, 0),), **kwargs}
    with pytest.raises(DFAError, match=message):
        DFA(**arguments)


def test_from_dict_refuses_missing_transitions_and_unknown_accepting_states():
    with pytest.raises(DFAError, match="no transition from state 's' on symbol 'b'"):
        DFA.from_dict("ab", {("s", "a"): "s"}, start="s")
    with pytest.raises(DFAError, match="accepting state 'x' is not a state of the DFA"):
        DFA.from_dict("a", {("s", "a"): "s"}, start="s", accepting={"x"})


def test_run_names_a_foreign_symbol_and_products_need_one_alphabet():
    with pytest.raises(DFAError, match="symbol '2' of word '012' is not in the alphabet '01'"):
        tomita.DFAS["tomita1"].run("012")
    with pytest.raises(DFAError, match="cannot combine DFAs over alphabets '01' and 'ab'"):
        zoo.get("parity").dfa.intersection(zoo.get("even_pairs").dfa)


@given(dfas(max_states=5), st.integers(0, 9), st.booleans())
@settings(max_examples=60)
def test_log_counts_are_the_logs_of_the_exact_counts_whatever_was_asked_before(dfa, n, accepting):
    dfa.log_counts(3 * n // 2, accepting)  # a table grown to another length first
    logs = dfa.log_counts(n, accepting)
    assert logs.shape == (n + 1, dfa.states) and not logs.flags.writeable
    for r in range(n + 1):
        exact = [DFA(alphabet=dfa.alphabet, transitions=dfa.transitions, start=q,
                     accepting=dfa.accepting).count(r, accepting) for q in range(dfa.states)]
        assert np.allclose(np.exp(logs[r]), exact, rtol=1e-9, atol=0)


@given(dfas(max_states=5), st.integers(0, 9), st.booleans())
@settings(max_examples=60)
def test_first_indices_is_the_first_word_in_alphabet_order(dfa, n, accepting):
    words = [w for w in all_words("ab", n) if dfa.accepts(w) == accepting]
    first = dfa.first_indices(n, accepting)
    if not words:
        assert first is None
    else:
        assert "".join("ab"[i] for i in first) == words[0]


def test_log_counts_grow_by_doubling_and_reuse_their_rows():
    dfa = zoo.get("tomita3").dfa
    fresh = DFA(alphabet=dfa.alphabet, transitions=dfa.transitions, start=dfa.start,
                accepting=dfa.accepting)
    fresh.log_counts(100)
    table = fresh._log_tables[True]
    fresh.log_counts(150)  # grows to twice what it held
    assert len(fresh._log_tables[True]) == 201
    assert np.array_equal(fresh._log_tables[True][:101], table)
    fresh.log_counts(180)  # a slice, nothing computed
    assert len(fresh._log_tables[True]) == 201
