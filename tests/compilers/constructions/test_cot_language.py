"""What `cot` simulates: DFA tables (`languages.dfa_text`) and language specs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compilers.constructions.cot_language import automaton, regex_alphabet
from languages import zoo
from languages.dfa_text import format_table, parse_table
from languages.errors import DFAError, UnknownLanguageError
from languages.strategies import dfas


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(("ab", "abc", "01")).flatmap(lambda a: dfas(alphabet=a, max_states=12)),
       st.sampled_from(("\n", "; ")))
def test_a_table_parses_back_to_the_same_automaton(dfa, separator):
    parsed, names = parse_table(format_table(dfa, separator=separator))
    assert names[0] == f"q{dfa.start}" and parsed.start == 0
    assert parsed.equivalent(dfa)
    renumber = {int(name[1:]): k for k, name in enumerate(names)}
    assert all(parsed.transitions[renumber[q]][i] == renumber[dfa.transitions[q][i]]
               for q in range(dfa.states) for i in range(len(dfa.alphabet)))
    assert {renumber[q] for q in dfa.accepting} == parsed.accepting


def test_a_table_with_comments_names_and_accepting_marks():
    dfa, names = parse_table("# parity\n   0  1\neven even odd  # start\nodd* odd even\n")
    assert names == ("even", "odd") and dfa.alphabet == "01"
    assert dfa.accepting == {1} and dfa.transitions == ((0, 1), (1, 0))


@pytest.mark.parametrize("text,message", [
    ("", "the DFA table is empty"),
    ("0 1", "no state rows"),
    ("01 1; a a a", "symbol '01' is not one character"),
    ("0 0; a a a", "must be distinct"),
    ("0 1; a a", "line 2: 1 next states for 2 symbols"),
    ("0 1; a a b", "line 2: next state 'b' has no row; the states are a"),
    ("0 1; a-b a a", "state name 'a-b'"),
    ("0 1; a a a; a* a a", "line 3: state 'a' has a second row"),
])
def test_bad_tables_are_refused_by_line(text, message):
    with pytest.raises(DFAError, match=message):
        parse_table(text)


def test_specs_name_a_zoo_language_a_regex_a_table_or_a_file(tmp_path):
    assert automaton("tomita3").dfa is zoo.get("tomita3").dfa
    regex = automaton("/(ab)*/")
    assert regex.dfa.alphabet == "ab" and regex.dfa.accepts("abab")
    assert not regex.dfa.accepts("aba")
    wider = automaton("/a*/", "ab")
    assert wider.dfa.alphabet == "ab" and not wider.dfa.accepts("b")
    table = automaton("0 1; even even odd; odd* odd even")
    assert table.names == ("even", "odd") and table.run("011") == ("even", "odd", "even")
    path = tmp_path / "parity.dfa"
    path.write_text("0 1\neven even odd\nodd* odd even\n")
    assert automaton(str(path)).run("1") == ("odd",)


def test_bad_specs_say_what_is_allowed(tmp_path):
    with pytest.raises(UnknownLanguageError, match=r"'nope' is not a regular language of the "
                                                   r"zoo .*a /regex/, a DFA table"):
        automaton("nope")
    with pytest.raises(DFAError, match="'dyck1' is not a regular language"):
        automaton("dyck1")
    with pytest.raises(DFAError, match=r"an alphabet .* goes with a /regex/ only"):
        automaton("parity", "01")
    with pytest.raises(DFAError, match="names no symbol; give its alphabet"):
        automaton("/()/")
    with pytest.raises(DFAError, match="symbol 'x' at position 2; the alphabet is '01'"):
        automaton("parity").check_word("01x")
    binary = tmp_path / "binary.dfa"
    binary.write_bytes(b"\xff\xfe")
    with pytest.raises(DFAError, match="is not UTF-8 text"):
        automaton(str(binary))


def test_regex_alphabet_reads_escapes_and_skips_metacharacters():
    assert regex_alphabet("(ab)*|c?") == "abc"
    assert regex_alphabet(r"a\*b+") == "a*b"
    assert regex_alphabet("ε|()") == ""
