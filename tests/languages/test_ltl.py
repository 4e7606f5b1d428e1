"""Past LTL: its semantics, its translation to B-RASP, and its text syntax.

The oracle is `holds` below: the definitions of the module docstring written
as quantifiers over positions (``∃ j < i ... ∀ k ...``), sharing nothing with
`languages.ltl.evaluate` (recurrences) or `languages.ltl.to_brasp` (attention
operations, run by `languages.brasp.run`).
"""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from languages import brasp, ltl
from languages.brasp import RaspError
from languages.brasp_text import RaspSyntaxError
from languages.errors import WordError
from languages.ltl_strategies import ltl_programs
from languages.ltl_text import parse, to_text
from languages.strategies import words


def holds(formula, word: str) -> tuple[bool, ...]:
    """The formula's truth at every position of `word`, by the quantifier definitions."""
    n = len(word)

    @cache
    def at(node, i: int) -> bool:
        if isinstance(node, ltl.Atom):
            return word[i] == node.symbol
        if isinstance(node, ltl.Constant):
            return node.value
        if isinstance(node, ltl.Not):
            return not at(node.operand, i)
        if isinstance(node, ltl.And):
            return at(node.left, i) and at(node.right, i)
        if isinstance(node, ltl.Or):
            return at(node.left, i) or at(node.right, i)
        if isinstance(node, ltl.Implies):
            return not at(node.left, i) or at(node.right, i)
        if isinstance(node, ltl.Since):
            return any(at(node.right, j) and all(at(node.left, k) for k in range(j + 1, i))
                       for j in range(i))
        if isinstance(node, ltl.Until):
            return any(at(node.right, j) and all(at(node.left, k) for k in range(i + 1, j))
                       for j in range(i + 1, n))
        if isinstance(node, ltl.Yesterday):
            return i > 0 and at(node.operand, i - 1)
        if isinstance(node, ltl.Once):
            return any(at(node.operand, j) for j in range(i + 1))
        assert isinstance(node, ltl.Historically)
        return all(at(node.operand, j) for j in range(i + 1))

    return tuple(at(formula, i) for i in range(n))


@settings(max_examples=200)
@given(ltl_programs(), st.lists(words("ab", max_length=9), min_size=1, max_size=4))
def test_the_recurrences_and_the_translation_agree_with_the_quantifier_definitions(
        program, word_list):
    translated = ltl.to_brasp(program)
    for word in word_list:
        want = holds(program.formula, word)
        assert ltl.evaluate(program, word) == want
        assert brasp.evaluate(translated, word) == want


@settings(max_examples=100)
@given(ltl_programs(alphabet="abc", max_leaves=12))
def test_the_translated_program_has_the_formulas_temporal_depth(program):
    assert ltl.to_brasp(program).depth == program.depth == ltl.depth(program.formula)


@settings(max_examples=100)
@given(ltl_programs(alphabet="ab(", max_leaves=12), st.booleans())
def test_text_round_trips(program, ascii):
    assert parse(to_text(program, ascii=ascii)) == program


def test_the_papers_operators_by_example():
    a, b = ltl.atoms("ab")
    cases = {ltl.since(a, b): "abaab", ltl.until(a, b): "aabab", ltl.yesterday(b): "abba",
             ltl.once(b): "aaba", ltl.historically(a): "aaba"}
    expected = {ltl.since(a, b): (False, False, True, True, True),
                ltl.until(a, b): (True, True, True, True, False),
                ltl.yesterday(b): (False, False, True, True),
                ltl.once(b): (False, False, True, True),
                ltl.historically(a): (True, True, False, False)}
    for formula, word in cases.items():
        program = ltl.program(formula, alphabet="ab")
        assert ltl.evaluate(program, word) == expected[formula]
        assert brasp.evaluate(ltl.to_brasp(program), word) == expected[formula]


def test_shared_subformulas_are_one_vector():
    a, b = ltl.atoms("ab")
    shared = ltl.once(b)
    program = ltl.program(ltl.since(shared, a) & ltl.yesterday(shared), alphabet="ab")
    names = [d.name for d in ltl.to_brasp(program).definitions]
    assert names == ["once_1", "since_2", "prev_3", "formula"]


def test_the_text_syntax_reads_the_papers_notation_and_ascii():
    unicode = parse('alphabet "ab"\n// a*b*\n¬O(Q_a ∧ Y O Q_b)')
    spelled = parse("alphabet 'ab'\nnot once (Q_a and yesterday once Q_b)")
    assert unicode == spelled
    assert ltl.accepts(unicode, "aabb") and not ltl.accepts(unicode, "aba")
    assert parse('alphabet "ab"\nQ_a S Q_b S Q_a') == ltl.program(
        ltl.since(ltl.Atom("a"), ltl.since(ltl.Atom("b"), ltl.Atom("a"))), alphabet="ab")


@pytest.mark.parametrize(("text", "message"), [
    ('alphabet "ab"\nQ_c', r"^LTL text, line 2, column 1: Q_c reads symbol 'c', which is not "
                           r"in the alphabet 'ab'$"),
    ('alphabet "ab"\nQ_a ∧', r"^LTL text, line 2, column 6: expected .*Q_a.*; found the end$"),
    ("Q_a", r"^LTL text: no alphabet line"),
    ('alphabet "ab"\n(Q_a S', r"^LTL text, line 2, column 7: expected .*; found the end$"),
])
def test_bad_text_is_one_line_naming_the_place(text, message):
    with pytest.raises(RaspSyntaxError, match=message):
        parse(text)


def test_bad_values_are_refused_by_name():
    with pytest.raises(RaspError, match="Q_c reads symbol 'c', which is not in the alphabet"):
        ltl.program(ltl.Atom("c"), alphabet="ab")
    with pytest.raises(RaspError, match="'x' is not an LTL formula"):
        ltl.program(ltl.Not("x"), alphabet="ab")
    with pytest.raises(WordError, match="the empty word has no last position"):
        ltl.accepts(ltl.program(True, alphabet="a"), "")
    with pytest.raises(WordError, match="has symbol 'c' at position 1"):
        ltl.evaluate(ltl.program(True, alphabet="ab"), "acb")
