"""The hypothesis strategies: valid by construction, within their bounds, checked eagerly."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from languages import zoo
from languages.dyck import Dyck
from languages.errors import DFAError, LengthError, NoWordsError, ProgramError, WordError
from languages.strategies import (
    dfas,
    members,
    nonmembers,
    subleq_programs,
    turing_machines,
    words,
)
from languages.subleq import EsolangProgram, GiannouProgram, run, word_range
from languages.turing import HALT
from tests.languages.oracles import ORACLES, all_words

# hypothesis's own defaults (a 200 ms deadline, so a 1 s budget for the first ten
# draws, and every health check on), not the suite's profile, which turns too_slow off
DEFAULTS = settings(settings.get_profile("default"), database=None, derandomize=True,
                    max_examples=10)
SHRINK = settings(database=None, phases=(Phase.generate, Phase.shrink))


@given(words("abc", min_length=2, max_length=5))
def test_words_use_the_alphabet_within_the_length_bounds(word):
    assert 2 <= len(word) <= 5 and set(word) <= set("abc")


@pytest.mark.parametrize("bounds", [{"min_length": 10_000, "max_length": 10_000},
                                    {"min_length": 4000, "max_length": 5000}])
def test_long_words_pass_the_default_health_checks_and_shrink_to_one_symbol(bounds):
    @DEFAULTS
    @given(words("xyz", **bounds))
    def check(word):
        assert bounds["min_length"] <= len(word) <= bounds["max_length"]
        assert set(word) <= set("xyz")

    check()
    shortest = find(words("xyz", **bounds), lambda w: True, settings=SHRINK)
    assert shortest == "x" * bounds["min_length"]


@given(members("dyck1", max_length=12))
def test_members_of_dyck1_are_balanced(word):
    assert zoo.get("dyck1").contains(word)
    depth = 0
    for symbol in word:
        depth += 1 if symbol == "(" else -1
        assert depth >= 0
    assert depth == 0 and len(word) <= 12


@pytest.mark.parametrize("name", ["parity", "majority", "anbn", "tomita3", "dyck2"])
def test_members_and_nonmembers_have_the_right_label(name):
    language = zoo.get(name)

    @settings(max_examples=20)
    @given(members(language, min_length=1, max_length=9),
           nonmembers(language, min_length=1, max_length=9))
    def check(member, nonmember):
        assert language.contains(member) and 1 <= len(member) <= 9
        assert not language.contains(nonmember) and 1 <= len(nonmember) <= 9
        assert set(nonmember) <= set(language.alphabet)

    check()


@given(members("parity", length=7))
def test_members_with_an_exact_length(word):
    assert len(word) == 7 and word.count("1") % 2 == 1


@settings(max_examples=30)
@given(dfas(alphabet="ab", max_states=4))
def test_dfas_are_complete_and_count_like_brute_force(dfa):
    assert len(dfa.transitions) == dfa.states  # a row for every state
    assert all(len(row) == 2 and all(0 <= r < dfa.states for r in row)
               for row in dfa.transitions)
    for n in range(4):
        brute = sum(dfa.accepts("".join(w)) for w in itertools.product("ab", repeat=n))
        assert dfa.count(n) == brute


@given(turing_machines(min_states=2, max_states=3, max_symbols=3, min_halting=2))
def test_turing_machines_have_complete_tables_and_enough_halting_transitions(machine):
    assert 2 <= len(machine.states) <= 3 and 2 <= len(machine.symbols) <= 3
    assert machine.states == tuple("ABC"[: len(machine.states)])
    assert machine.blank == "0"
    transitions = list(machine.delta.values())
    assert len(transitions) == len(machine.states) * len(machine.symbols)
    assert None not in transitions
    assert sum(t.next == HALT for t in transitions) >= 2


@settings(max_examples=60)
@given(subleq_programs(semantics="esolang", max_instructions=6, max_memory=5, bits=8),
       st.binary(max_size=3))
def test_esolang_programs_never_leave_their_memory_nor_rewrite_their_code(program, data):
    assert isinstance(program, EsolangProgram)
    low, high = word_range(8)
    assert all(low <= v <= high for v in program.memory)
    start = program.memory[2]  # the first instruction jumps over the data to the code
    result = run(program, max_steps=200, input=data, bits=8)  # never an AddressError
    assert result.memory[start:] == program.memory[start:]
    assert result.memory[:3] == program.memory[:3]


@given(subleq_programs(semantics="giannou", max_instructions=5, max_memory=4, bits=4))
def test_giannou_programs_are_within_their_bounds(program):
    assert isinstance(program, GiannouProgram) and program.bits == 4
    k, m = len(program.instructions), len(program.memory)
    assert all(0 <= a < m and 0 <= b < m and 0 <= c <= k for a, b, c in program.instructions)
    assert all(-8 <= v <= 7 for v in program.memory)
    result = run(program, max_steps=100)  # addresses in range: never an AddressError
    assert all(-8 <= v <= 7 for v in result.memory)


def test_bounds_are_checked_before_anything_is_drawn():
    with pytest.raises(LengthError, match="max_length must be between 5 and 10000, got 3"):
        words("01", min_length=5, max_length=3)
    with pytest.raises(WordError, match="alphabet 'aa' repeats the symbol 'a'"):
        words("aa")
    with pytest.raises(NoWordsError, match="dyck1 has no members of any length in \\[3, 3\\]"):
        members("dyck1", length=3)
    with pytest.raises(LengthError, match="max_states must be between 1 and 1000, got 0"):
        dfas(max_states=0)
    with pytest.raises(DFAError, match="an alphabet is a non-empty string"):
        dfas(alphabet="")
    with pytest.raises(LengthError, match="max_symbols must be between 2 and 10, got 11"):
        turing_machines(max_symbols=11)
    with pytest.raises(LengthError, match="min_halting must be between 0 and 2, got 3"):
        turing_machines(min_states=1, min_symbols=2, min_halting=3)
    with pytest.raises(ProgramError, match="giannou programs need a word width"):
        subleq_programs(semantics="giannou", bits=None)
    with pytest.raises(LengthError, match="do not fit in 4-bit words"):
        subleq_programs(semantics="esolang", bits=4)


@pytest.mark.parametrize("name", ["dyck1", "dyck2", "shuffle_dyck2", "tomita3", "parity",
                                  "majority"])
@pytest.mark.parametrize("bounds", [{"length": 10_000}, {"min_length": 9_000,
                                                         "max_length": 10_000},
                                    {"max_length": 100}])
@pytest.mark.parametrize("strategy", [members, nonmembers])
def test_members_and_nonmembers_at_the_maximum_length_pass_the_default_health_checks(
        name, bounds, strategy):
    language = zoo.get(name)
    wanted = strategy is members

    @DEFAULTS
    @given(strategy(language, **bounds))
    def check(word):
        assert language.contains(word) == wanted

    check()


def _depth(word: str) -> int:
    depth = deepest = 0
    for c in word:
        depth += 1 if c == "(" else -1
        deepest = max(deepest, depth)
    return deepest


def test_a_dyck1_member_of_depth_three_shrinks_to_the_shortest_one():
    assert find(members("dyck1", max_length=40), lambda w: _depth(w) >= 3,
                settings=SHRINK) == "((()))"


def test_a_failing_property_reports_the_shortest_deepest_member():
    failing = []

    @settings(SHRINK, max_examples=200)
    @given(members("dyck1", max_length=60))
    def never_three_deep(word):
        if _depth(word) >= 3:
            failing.append(word)
        assert _depth(word) < 3

    with pytest.raises(AssertionError, match="assert 3 < 3"):
        never_three_deep()
    assert failing[-1] == "((()))"  # the example hypothesis reports, run last


@pytest.mark.parametrize("name", sorted(ORACLES))
def test_examples_shrink_to_the_first_word_of_the_shortest_length(name):
    language, oracle = zoo.get(name), ORACLES[name]
    for strategy, wanted in ((members, True), (nonmembers, False)):
        word = find(strategy(language, min_length=3, max_length=12), lambda w: True,
                    settings=SHRINK)
        shortest = next(n for n in range(3, 13)
                        if any(oracle(w) == wanted for w in all_words(language.alphabet, n)))
        first = next(w for w in all_words(language.alphabet, shortest) if oracle(w) == wanted)
        assert word == first, (strategy.__name__, word, first)


@pytest.mark.parametrize("label", ["member", "nonmember"])
def test_the_first_word_of_every_length_is_first_in_alphabet_order(label):
    languages = [zoo.get(name) for name in ORACLES] + [
        Dyck(name="bounded", alphabet="()[]", max_depth=2)]
    for language in languages:
        oracle = ORACLES.get(language.name, language.contains)
        for n in range(9 if len(language.alphabet) == 2 else 7):
            words = [w for w in all_words(language.alphabet, n)
                     if oracle(w) == (label == "member")]
            first = language._first_indices(n, label)
            if not words:
                assert first is None
            else:
                assert first is not None, (language.name, n)
                assert language.decode(first[None, :]) == words[:1], (language.name, n)
