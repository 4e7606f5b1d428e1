"""Regular expressions, and the three descriptions of every regular zoo language.

Python's `re.fullmatch` is the independent oracle for our regex compiler; the
hand-written predicate, the DFA and the regex of each Tomita language must
agree on every word up to length 12.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from languages import tomita, zoo
from languages.errors import RegexError
from languages.regex import compile_regex
from languages.regular import from_regex
from tests.languages.oracles import ORACLES, all_words

REGULAR = [name for name in zoo.names() if hasattr(zoo.get(name), "dfa")]
UP_TO = 12


def _every_word(alphabet: str, up_to: int) -> tuple[list[str], list[np.ndarray]]:
    words = [w for n in range(up_to + 1) for w in all_words(alphabet, n)]
    by_length = [np.array([[alphabet.index(c) for c in w] for w in all_words(alphabet, n)],
                          dtype=np.int64).reshape(len(alphabet) ** n, n)
                 for n in range(up_to + 1)]
    return words, by_length


def _python_regex(pattern: str) -> str:
    return pattern.replace("ε", "")


@pytest.mark.parametrize("name", REGULAR)
def test_predicate_dfa_and_regex_agree_on_every_word_up_to_twelve(name):
    language = zoo.get(name)
    words, by_length = _every_word(language.alphabet, UP_TO)
    predicate = [language.predicate(w) for w in words]
    dfa = np.concatenate([language.dfa.accepts_indices(x) for x in by_length]).tolist()
    regex_dfa = compile_regex(language.regex, language.alphabet)
    compiled = np.concatenate([regex_dfa.accepts_indices(x) for x in by_length]).tolist()
    python = re.compile(_python_regex(language.regex))
    assert predicate == dfa == compiled == [ORACLES[name](w) for w in words]
    assert compiled == [python.fullmatch(w) is not None for w in words]
    assert regex_dfa.equivalent(language.dfa)


def test_the_tomita_tables_cover_all_seven():
    names = [f"tomita{i}" for i in range(1, 8)]
    for table in (tomita.PREDICATES, tomita.DFAS, tomita.REGEXES, tomita.DESCRIPTIONS):
        assert list(table) == names


def test_tomita3_examples_from_the_definition():
    t3 = zoo.get("tomita3")
    assert [t3.contains(w) for w in ("10", "1000", "100", "01", "110", "11100", "1011")] == \
        [False, False, True, True, True, True, False]


def _regexes(alphabet: str = "ab"):
    atoms = st.sampled_from([*alphabet, "ε", "()"])

    def extend(inner):
        return st.one_of(
            st.tuples(inner, inner).map(lambda p: p[0] + p[1]),
            st.tuples(inner, inner).map(lambda p: f"({p[0]}|{p[1]})"),
            st.tuples(inner, st.sampled_from("*+?")).map(lambda p: f"({p[0]}){p[1]}"),
            inner.map(lambda r: f"({r}|)"),
        )

    return st.recursive(atoms, extend, max_leaves=8)


@given(_regexes())
@settings(max_examples=80)
def test_compiled_regex_agrees_with_python_re(pattern):
    dfa = compile_regex(pattern, "ab")
    python = re.compile(_python_regex(pattern))
    for n in range(7):
        for word in all_words("ab", n):
            assert dfa.accepts(word) == (python.fullmatch(word) is not None), (pattern, word)
    assert dfa.minimize() == dfa


def test_escapes_make_metacharacters_symbols():
    language = from_regex(r"\(\*\)*", "(*)", name="stars")
    assert language.enumerate(3) == ["(*)"]
    assert language.contains("(*)))") and language.contains("(*") and not language.contains("*)")
    assert from_regex(r"a\|b", "ab|").enumerate(3) == ["a|b"]


def test_from_regex_gives_a_named_regular_language():
    language = from_regex("(ab)+", "ab", name="abs")
    assert language.name == "abs" and language.regex == "(ab)+"
    assert language.description == "regex (ab)+"
    assert [language.count(n) for n in range(6)] == [0, 0, 1, 0, 1, 0]
    assert from_regex("a*", "a").name == "/a*/"


@pytest.mark.parametrize(("pattern", "message"), [
    ("(ab", r"missing '\)' at position 3 of '\(ab'"),
    ("a)b", r"unmatched '\)' at position 1 of 'a\)b'"),
    ("*a", r"'\*' repeats nothing at position 0 of '\*a'"),
    ("a|+", r"'\+' repeats nothing at position 2 of 'a\|\+'"),
    ("abc", r"symbol 'c' is not in the alphabet 'ab' at position 2 of 'abc'"),
    ("a\\", r"'\\' at the end escapes nothing at position 2 of 'a\\\\'"),
    ("(a(b)", r"missing '\)' at position 5"),
])
def test_regex_syntax_errors_name_the_position(pattern, message):
    with pytest.raises(RegexError, match=message):
        compile_regex(pattern, "ab")


def test_regex_needs_a_string_and_an_alphabet():
    with pytest.raises(RegexError, match="a regular expression is a string, got 3"):
        compile_regex(3, "ab")
    with pytest.raises(RegexError, match="alphabet 'abca' repeats the symbol 'a'"):
        compile_regex("a", "abca")
