"""B-RASP text: the paper's notation parsed with lark, written back, errors placed."""

from __future__ import annotations

import pytest
from hypothesis import given

from languages import brasp
from languages.brasp import Attention, Const, Definition, Not, Or, Program, Symbol, Var
from languages.brasp_strategies import brasp_programs
from languages.brasp_text import RaspSyntaxError, parse, to_text

EXAMPLE = """alphabet "ab"
// the leftmost b before position i, if any
seen_b(i) := ◀_j [j < i, Q_b(j)] 1 : 0
ok(i)     := ¬Q_a(i) ∨ ¬seen_b(i)   // no b before an a
output ok
"""


def test_the_papers_notation_parses_to_the_program():
    program = parse(EXAMPLE)
    assert program == Program(alphabet="ab", output="ok", definitions=(
        Definition("seen_b", Attention(choice="leftmost", mask="future", score=Symbol("b", "j"),
                                       value=Const(True), default=Const(False))),
        Definition("ok", Or(Not(Symbol("a")), Not(Var("seen_b"))))))
    assert brasp.evaluate(program, "aabab") == (True, True, True, False, True)


def test_ascii_spellings_and_any_order_of_definitions():
    text = """alphabet 'ab'
    ok(i) := not Q_a(i) or !seen_b(i) | false
    seen_b(i) := rightmost_j [j > i, Q_b(j) and true] Q_a(i) && Q_b(j) : ~(0)
    """
    program = parse(text)
    assert [d.name for d in program.definitions] == ["seen_b", "ok"]
    op = program.definition("seen_b").operation
    assert (op.choice, op.mask, op.default) == ("rightmost", "past", Not(Const(False)))


def test_keywords_inside_names_stay_names_and_quoted_symbols_are_symbols():
    program = parse('alphabet "()"\nandor(i) := Q_"("(i) and Q_\')\'(i)\nnotable(i) := '
                    '!andor(i)\n')
    assert program.definition("andor").operation.left == Symbol("(")
    assert program.output == "notable"


@given(brasp_programs(max_definitions=8))
def test_written_programs_parse_back_to_themselves(program):
    assert parse(to_text(program)) == program
    assert parse(to_text(program, ascii=True)) == program


def test_writing_parenthesises_only_where_precedence_needs_it():
    a, b = Symbol("a"), Symbol("b")
    program = Program(alphabet="ab", output="x",
                      definitions=(Definition("x", (a | b) & ~(a & b)),))
    assert "x(i) := (Q_a(i) ∨ Q_b(i)) ∧ ¬(Q_a(i) ∧ Q_b(i))" in to_text(program)
    assert parse(to_text(program)) == program


@pytest.mark.parametrize(("text", "message"), [
    ('alphabet "ab"\nx(i) := Q_a(i) &', r"line 2, column 17: expected .*; found a new line"),
    ('alphabet "ab"\nx(i) = Q_a(i)', r"line 2, column 6: expected :=; found '='"),
    ('alphabet "ab"\nx(i) := Q_a(i) $', r"line 2, column 16: expected .*∧.*; found '\$'"),
    ('alphabet "ab"\nx(i) := ◀_j [j <= i, 1] 1 : 0', r"line 2, column 17: expected 'i'; "
                                                    r"found '='"),
    ('alphabet "ab"\nx(i) := y(i)\ny(i) := x(i)', r"line 2, column 1: 'x' depends on itself: "
                                                  r"x -> y -> x"),
    ('alphabet "ab"\nx(i) := z(i)', r"line 2, column 9: 'z' is not defined \(vector 'x' "
                                    r"reads it\)"),
    ('alphabet "ab"\nx(i) := 1\nx(i) := 0', r"line 3, column 1: 'x' is defined twice \(first "
                                            r"at line 2, column 1\)"),
    ('alphabet "ab"\nx(i) := Q_c(i)', r"line 2, column 1: .*Q_c reads symbol 'c', which is "
                                      r"not in the alphabet 'ab'"),
    ('alphabet "ab"\nx(i) := ◀_j [j < i, 1] 1 : Q_a(j)', r"line 2, column 1: .*default: "
                                                          r"Q_a\(j\) is read at 'j'"),
    ('alphabet "ab"\nx(i) := Q_a(j)', r"line 2, column 1: .*Q_a\(j\) is read at 'j'"),
    ('x(i) := 1', r"no alphabet line"),
    ('alphabet "ab"\n', r"no definition"),
    ('alphabet "ab"\nalphabet "ab"\nx(i) := 1', r"line 2, column 10: a second alphabet line"),
    ('alphabet "ab"\nx(i) := 1\noutput y', r"line 3, column 8: output 'y' is not defined"),
    ('alphabet "aa"\nx(i) := 1', r"repeats the symbol 'a'"),
])
def test_bad_text_is_one_line_naming_the_place_and_what_was_expected(text, message):
    with pytest.raises(RaspSyntaxError, match=message) as error:
        parse(text)
    assert "\n" not in str(error.value)


def test_a_missing_alphabet_line_can_be_given():
    assert parse("x(i) := Q_a(i)", alphabet="a").alphabet == "a"
    with pytest.raises(RaspSyntaxError, match="must be a string"):
        parse(b"x(i) := 1")
