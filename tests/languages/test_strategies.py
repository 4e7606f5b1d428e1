"""The hypothesis strategies: valid by construction, within their bounds, checked eagerly."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from languages import zoo
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


@given(words("abc", min_length=2, max_length=5))
def test_words_use_the_alphabet_within_the_length_bounds(word):
    assert 2 <= len(word) <= 5 and set(word) <= set("abc")


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
