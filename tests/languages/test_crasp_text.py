"""C-RASP text: the paper's notation parsed with lark, written back, errors placed."""

from __future__ import annotations

import pytest
from hypothesis import given

from languages import crasp
from languages.brasp import Definition, Not, Symbol, Var
from languages.brasp_text import RaspSyntaxError
from languages.crasp import Add, Compare, Count, Number, Program, Scale, Sub
from languages.crasp_strategies import crasp_programs
from languages.crasp_text import parse, to_text

MAJORITY = """alphabet "ab"
C_a(i) := #[j <= i] Q_a(j)
C_b(i) := #[j ≤ i] Q_b(j)    // the paper writes ≤
majority(i) := C_a(i) > C_b(i)
output majority
"""


def test_the_papers_notation_parses_to_the_program():
    program = parse(MAJORITY)
    assert program == Program(alphabet="ab", output="majority", definitions=(
        Definition("C_a", Count(Symbol("a", "j"))), Definition("C_b", Count(Symbol("b", "j"))),
        Definition("majority", Compare(">", Var("C_a"), Var("C_b")))))
    assert crasp.evaluate(program, "abba") == (True, False, False, False)


def test_arithmetic_precedence_and_integer_products():
    program = parse('alphabet "ab"\nc(i) := #[j <= i] (Q_a(j) | !Q_b(j))\n'
                    'd(i) := 2 * c(i) - -3 - (c(i) - 1) * 4 + -c(i)\n'
                    'x(i) := !d(i) = 0 & d(i) != 1 | c(i) ≥ 2\n')
    d = program.definition("d").operation
    assert d == Add(Sub(Sub(Scale(2, Var("c")), Number(-3)), Scale(4, Sub(Var("c"), Number(1)))),
                    Scale(-1, Var("c")))
    x = program.definition("x").operation
    assert x.left.left == Not(Compare("=", Var("d"), Number(0)))
    assert x.right == Compare(">=", Var("c"), Number(2))


@given(crasp_programs(max_definitions=8))
def test_written_programs_parse_back_to_themselves(program):
    assert parse(to_text(program)) == program
    assert parse(to_text(program, ascii=True)) == program


@pytest.mark.parametrize(("text", "message"), [
    ('alphabet "ab"\nx(i) := Q_a(i) + 1', r"line 2, column 1: .*\+ needs a count operand; "
                                          r"Q_a\(i\) is a Boolean"),
    ('alphabet "ab"\nx(i) := #[j <= i] Q_a(i) > 0', r"line 2, column 1: .*Q_a\(i\) is read at "
                                                    r"'i'; here vectors are read at 'j'"),
    ('alphabet "ab"\nx(i) := #[j <= i] Q_a(j)', r"line 2, column 1: .*output 'x' is a count"),
    ('alphabet "ab"\nx(i) := #[j < i] Q_a(j) > 0', r"line 2, column 13: expected '<='; "
                                                   r"found '<'"),
    ('alphabet "ab"\nx(i) := 1 < 2 < 3', r"line 2, column 15: expected .*; found '<'"),
    ('alphabet "ab"\nc(i) := #[j<=i] Q_a(j)\nx(i) := c(i) * c(i) > 0',
     r"line 3, column 14: a product needs an integer constant on one side"),
    ('alphabet "ab"\nx(i) := 1' + "0" * 40 + ' > 0', r"line 2, column 9: the integer has 41 "
                                                     r"digits; at most 30"),
    ('alphabet "ab"\nx(i) := y(i) > 0\ny(i) := #[j <= i] (x(j))', r"'x' depends on itself"),
    ('alphabet "ab"\nx(i) := true\noutput x\noutput x', r"line 4, column 8: a second output"),
])
def test_bad_text_is_one_line_naming_the_place(text, message):
    with pytest.raises(RaspSyntaxError, match=message) as error:
        parse(text)
    assert "\n" not in str(error.value)
