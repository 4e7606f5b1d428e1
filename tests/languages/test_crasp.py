"""C-RASP: the program as a value, types, depth, the embedded API and the interpreter.

The interpreter (numpy running sums) is checked against `plain`, a loop over
positions written from the definition of Yang & Chiang (COLM 2024) alone,
on random programs, and hand-written programs against oracles written here
(majority, Dyck-1, aⁿbⁿ).
"""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from languages import crasp, crasp_text
from languages.brasp import And, Const, Definition, Not, Or, RaspError, Symbol, Var
from languages.crasp import Add, Compare, Count, Number, Program, Scale, Sub
from languages.crasp_strategies import crasp_programs
from languages.errors import WordError
from languages.strategies import words


def plain(program: Program, word: str) -> dict[str, list]:
    """Every vector by the definition, one position at a time."""
    vectors: dict[str, list] = {}

    def at(expr, p: int):
        if isinstance(expr, Const | Number):
            return expr.value
        if isinstance(expr, Symbol):
            return word[p] == expr.symbol
        if isinstance(expr, Var):
            return vectors[expr.name][p]
        if isinstance(expr, Not):
            return not at(expr.operand, p)
        if isinstance(expr, And):
            return at(expr.left, p) and at(expr.right, p)
        if isinstance(expr, Or):
            return at(expr.left, p) or at(expr.right, p)
        if isinstance(expr, Count):
            return sum(1 for q in range(p + 1) if at(expr.inner, q))
        if isinstance(expr, Scale):
            return expr.factor * at(expr.operand, p)
        if isinstance(expr, Add | Sub):
            sign = 1 if isinstance(expr, Add) else -1
            return at(expr.left, p) + sign * at(expr.right, p)
        a, b = at(expr.left, p), at(expr.right, p)
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "=": a == b,
                "!=": a != b}[expr.op]

    for d in program.definitions:
        vectors[d.name] = [at(d.operation, p) for p in range(len(word))]
    return vectors


@given(crasp_programs(max_definitions=8), st.data())
def test_interpreter_follows_the_definition_on_random_programs(program, data):
    word = data.draw(words(program.alphabet, max_length=9))
    got = crasp.run(program, word)
    assert {k: list(v) for k, v in got.items()} == plain(program, word)


def majority() -> Program:
    a, b = crasp.symbols("ab")
    return crasp.program((crasp.count(a) > crasp.count(b)).named("majority"), alphabet="ab")


def dyck1() -> Program:
    """Balanced brackets: no prefix closes more than it opened, and the whole word is even."""
    opened, closed = crasp.symbols("()")
    balance = crasp.count(opened) - crasp.count(closed)
    below = (balance < 0).named("below")
    ever_below = crasp.count(below) > 0
    return crasp.program((~ever_below & balance.eq(0)).named("dyck"), alphabet="()")


def anbn() -> Program:
    a, b = crasp.symbols("ab")
    seen_b = crasp.count(b) > 0
    a_after_b = crasp.count(a & seen_b) > 0
    return crasp.program((~a_after_b & crasp.count(a).eq(crasp.count(b))).named("anbn"),
                         alphabet="ab")


def _dyck(word: str) -> bool:
    depth = 0
    for s in word:
        depth += 1 if s == "(" else -1
        if depth < 0:
            return False
    return depth == 0


@pytest.mark.parametrize(("build", "oracle", "depth"), [
    (majority, lambda w: w.count("a") > w.count("b"), 1),
    (dyck1, _dyck, 2),
    (anbn, lambda w: w == "a" * (len(w) // 2) + "b" * (len(w) // 2), 2),
])
def test_hand_written_programs_decide_their_languages_on_every_short_word(build, oracle, depth):
    program = build()
    assert program.depth == depth
    for n in range(1, 11):
        for word in map("".join, itertools.product(program.alphabet, repeat=n)):
            assert crasp.accepts(program, word) == oracle(word), word


def test_embedded_api_builds_typed_linear_combinations():
    a, b = crasp.symbols("ab")
    combination = 2 * crasp.count(a) - crasp.count(b) + 1 - (-crasp.count(b))
    program = crasp.program((combination >= 3).named("x"), alphabet="ab")
    assert program.types["x"] == "bool" and program.types["v1"] == "count"
    assert program.definition("v1").operation == Count(Symbol("a", "j"))
    assert program.definition("v2").operation == Scale(2, Var("v1"))
    assert crasp.run(program, "abb")[program.definitions[-2].name] == (3, 3, 3)
    assert crasp.evaluate(program, "aab") == (True, True, True)
    assert crasp.depths(program)["x"] == 1


def test_count_of_a_constant_counts_positions():
    program = crasp.program((crasp.count(True) > crasp.constant(2)).named("x"), alphabet="a")
    assert crasp.evaluate(program, "aaaa") == (False, False, True, True)


@pytest.mark.parametrize(("build", "message"), [
    (lambda a, c: crasp.count(c), r"#\[j <= i\] \.\.\. needs a Boolean operand; got a count"),
    (lambda a, c: a + 1, r"\+ needs a count operand; got a Boolean"),
    (lambda a, c: c & a, r"needs a Boolean operand; got a count"),
    (lambda a, c: c * c, r"multiplied by an integer constant"),
    (lambda a, c: c < 1.5, r"needs a Vector or an int, got 1.5"),
])
def test_embedded_api_refuses_ill_typed_operations_at_once(build, message):
    a = crasp.symbols("a")[0]
    with pytest.raises(RaspError, match=message):
        build(a, crasp.count(a))


@pytest.mark.parametrize(("definitions", "output", "message"), [
    ((Definition("x", And(Count(Symbol("a", "j")), Symbol("b"))),), "x",
     r"vector 'x': ∧ needs a Boolean operand; its Count operand is a count"),
    ((Definition("c", Count(Symbol("a", "j"))), Definition("x", Not(Var("c")))), "x",
     r"¬ needs a Boolean operand; c\(i\) is a count"),
    ((Definition("x", Compare("<", Symbol("a"), Number(1))),), "x",
     r"comparison '<' needs a count operand; Q_a\(i\) is a Boolean"),
    ((Definition("x", Compare("<<", Number(0), Number(1))),), "x", r"comparison '<<'"),
    ((Definition("c", Count(Symbol("a"))),), "c", r"Q_a\(i\) is read at 'i'; here vectors are "
                                                  r"read at 'j'"),
    ((Definition("c", Count(Count(Symbol("a", "j")))),), "c", r"a count inside #\[j <= i\]"),
    ((Definition("c", Count(Symbol("a", "j"))),), "c", r"output 'c' is a count"),
    ((Definition("x", Compare("<", Var("y"), Number(1))),), "x", r"'y' is not defined"),
    ((Definition("x", Compare("<", Scale(1.5, Number(1)), Number(1))),), "x",
     r"factor 1.5 is not an integer"),
    ((Definition("x", Compare("<", Number(True), Number(1))),), "x", r"number True is not"),
    ((Definition("x", Or(Symbol("c"), Const(True))),), "x", r"symbol 'c', which is not in"),
    ((Definition("x", Add(Number(1), Number(2))),), "x", "output 'x' is a count"),
    ((Definition("x", Sub(Symbol("a"), Number(2))),), "x", "- needs a count operand"),
])
def test_ill_typed_programs_are_refused_naming_the_vector(definitions, output, message):
    with pytest.raises(RaspError, match=message):
        Program(alphabet="ab", definitions=definitions, output=output)


def test_bad_words_are_refused():
    program = majority()
    with pytest.raises(WordError, match="symbol 'c' at position 1"):
        crasp.run(program, "ac")
    with pytest.raises(WordError, match="empty word"):
        crasp.accepts(program, "")


def test_programs_shrink_to_one_short_line():
    counting = find(crasp_programs(max_definitions=8), lambda p: p.depth >= 1,
                    settings=settings(database=None, max_examples=100, derandomize=True))
    assert counting == crasp_text.parse('alphabet "ab"\nP1(i) := #[j <= i] Q_a(j) < 0\n')


def _names_read(node) -> set[str]:
    """Every `Var` name under `node` (a plain walk over the dataclass tree)."""
    if isinstance(node, Var):
        return {node.name}
    if not dataclasses.is_dataclass(node):
        return set()
    return set().union(*(_names_read(getattr(node, f.name)) for f in dataclasses.fields(node)))


@given(crasp_programs(min_definitions=3, max_definitions=5))
def test_strategy_draws_well_typed_programs_with_a_boolean_output(program):
    # definitions the output does not read are dropped after the draw (the strategy's
    # docstring), so fewer than min_definitions may remain, never more than the maximum
    assert len(program.definitions) <= 5  # the output is the last one: never empty
    assert program.output == program.definitions[-1].name
    assert program.types[program.output] == "bool"
    read = set().union(*(_names_read(d.operation) for d in program.definitions))
    assert read | {program.output} == {d.name for d in program.definitions}  # none unused
