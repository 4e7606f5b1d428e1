"""B-RASP: the program as a value, its embedded API and its reference interpreter.

The interpreter (n x n matrices in numpy) is checked against `plain`, a loop
over positions written from the definition of Yang, Chiang & Angluin (NeurIPS
2024) alone, on random programs, and on hand-written programs against Python's
own regular expressions.
"""

from __future__ import annotations

import itertools
import re
from unittest.mock import patch

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from languages import brasp, brasp_text
from languages.brasp import (
    And,
    Attention,
    Const,
    Definition,
    Not,
    Or,
    Program,
    RaspError,
    Symbol,
    Var,
    i,
    j,
)
from languages.brasp_strategies import brasp_programs
from languages.errors import LengthError, WordError
from languages.strategies import words


def plain(program: Program, word: str) -> dict[str, list[bool]]:
    """Every vector by the definition, one position at a time."""
    n = len(word)
    vectors: dict[str, list[bool]] = {}

    def at(expr, p: int, q: int | None = None) -> bool:
        if isinstance(expr, Const):
            return expr.value
        if isinstance(expr, Symbol | Var):
            k = p if expr.side == "i" else q
            return word[k] == expr.symbol if isinstance(expr, Symbol) else vectors[expr.name][k]
        if isinstance(expr, Not):
            return not at(expr.operand, p, q)
        if isinstance(expr, And):
            return at(expr.left, p, q) and at(expr.right, p, q)
        return at(expr.left, p, q) or at(expr.right, p, q)

    for d in program.definitions:
        op = d.operation
        if not isinstance(op, Attention):
            vectors[d.name] = [at(op, p) for p in range(n)]
            continue
        out = []
        for p in range(n):
            allowed = {"future": lambda q, p=p: q < p, "past": lambda q, p=p: q > p,
                       "none": lambda q: True}[op.mask]
            order = range(n) if op.choice == "leftmost" else range(n - 1, -1, -1)
            chosen = next((q for q in order if allowed(q) and at(op.score, p, q)), None)
            out.append(at(op.default, p) if chosen is None else at(op.value, p, chosen))
        vectors[d.name] = out
    return vectors


@given(brasp_programs(max_definitions=8), st.data())
def test_interpreter_follows_the_definition_on_random_programs(program, data):
    word = data.draw(words(program.alphabet, max_length=9))
    got = brasp.run(program, word)
    assert {k: list(v) for k, v in got.items()} == plain(program, word)


def _star_free_ab() -> Program:
    """a*b*: no a has a b before it (the NeurIPS paper's style of program)."""
    a, b = brasp.symbols("ab")
    b_before = brasp.leftmost(mask="future", score=b(j), value=True, default=False)
    bad = (a & b_before).named("bad")
    some_bad = brasp.rightmost(mask="none", score=bad(j), value=True, default=False)
    return brasp.program((~some_bad).named("accept"), alphabet="ab")


def _ab_star() -> Program:
    """(ab)+: every position's predecessor (▶ under the strict future mask, score 1) has
    the other symbol, the first is a, and the word ends in b."""
    a, b = brasp.symbols("ab")
    previous_a = brasp.rightmost(mask="future", score=True, value=a(j), default=False)
    ok_here = ((a & ~previous_a) | (b & previous_a)).named("ok_here")
    bad_anywhere = brasp.leftmost(mask="none", score=~ok_here(j), value=True, default=False)
    return brasp.program((~bad_anywhere & b).named("accept"), alphabet="ab")


@pytest.mark.parametrize(("build", "pattern"), [(_star_free_ab, r"a*b*"), (_ab_star, r"(ab)+")])
def test_hand_written_programs_decide_their_languages_on_every_short_word(build, pattern):
    program = build()
    for n in range(1, 9):
        for word in map("".join, itertools.product("ab", repeat=n)):
            assert brasp.accepts(program, word) == bool(re.fullmatch(pattern, word)), word


def test_attention_takes_the_leftmost_or_rightmost_match_else_the_default():
    a, b = brasp.symbols("ab")
    previous_a = brasp.rightmost(mask="future", score=True, value=a(j), default=False)
    for builder, want in ((brasp.leftmost, (False, False, False)),
                          (brasp.rightmost, (True, True, True))):
        x = builder(mask="none", score=b(j), value=previous_a(j), default=a)
        program = brasp.program(x, alphabet="ab")
        assert brasp.evaluate(program, "bab") == want  # the b at 0, or the b at 2
        assert brasp.evaluate(program, "aab") == (True, True, True)
        assert brasp.evaluate(program, "aaa") == (True, True, True)  # the default, a(i)
        assert brasp.evaluate(program, "a") == (True,)


def test_masks_are_strict():
    for mask, want in (("future", (False, True, True)), ("past", (True, True, False)),
                       ("none", (True, True, True))):
        x = brasp.leftmost(mask=mask, score=True, value=True, default=False)
        assert brasp.evaluate(brasp.program(x, alphabet="a"), "aaa") == want, mask


def test_embedded_api_lowers_to_named_definitions_in_dependency_order():
    a, b = brasp.symbols("ab")
    x = (a & ~b).named("x")
    y = brasp.rightmost(mask="past", score=x(i) & b(j), value=x(j), default=x)
    program = brasp.program((y | a).named("out"), alphabet="ab")
    assert [d.name for d in program.definitions] == ["v1", "x", "v2", "out"]
    assert program.definition("v1").operation == Not(Symbol("b"))
    assert program.definition("x").operation == And(Symbol("a"), Var("v1"))
    assert program.definition("v2").operation == Attention(
        choice="rightmost", mask="past", score=And(Var("x", "i"), Symbol("b", "j")),
        value=Var("x", "j"), default=Var("x", "i"))
    assert program.definition("out").operation == Or(Var("v2"), Symbol("a"))
    assert brasp.depths(program) == {"v1": 0, "x": 0, "v2": 1, "out": 1}
    assert program.depth == 1


def test_a_shared_vector_is_defined_once():
    (a,) = brasp.symbols("a")
    x = ~a
    program = brasp.program((x & x).named("y"), alphabet="a")
    assert len(program.definitions) == 2


def test_depth_counts_nested_attention_only():
    (a,) = brasp.symbols("a")
    x = brasp.leftmost(mask="future", score=a(j), value=True, default=False)
    y = brasp.leftmost(mask="future", score=x(j), value=True, default=x)
    assert brasp.program(~y & x, alphabet="a").depth == 2


@pytest.mark.parametrize(("definitions", "output", "message"), [
    ((Definition("x", Var("y")),), "x", r"'y' is not defined before it"),
    ((Definition("x", Symbol("c")),), "x", r"Q_c reads symbol 'c', which is not in the alphabet"),
    ((Definition("x", Symbol("a", "j")),), "x", r"Q_a\(j\) is read at 'j'; here a vector is "
                                                r"read at i"),
    ((Definition("x", Const(True)), Definition("x", Const(False))), "x", "defined twice"),
    ((Definition("and", Const(True)),), "and", "reserved"),
    ((Definition("Q_a", Const(True)),), "Q_a", "reserved"),
    ((Definition("x y", Const(True)),), "x y", "not an identifier"),
    ((Definition("x", Const(1)),), "x", "not True or False"),
    ((Definition("x", Const(True)),), "z", "output 'z' is not a defined vector"),
    ((Definition("x", Attention(choice="middle", mask="none", score=Const(True),
                                value=Const(True), default=Const(True))),), "x",
     r"choice 'middle'"),
    ((Definition("x", Attention(choice="leftmost", mask="j<=i", score=Const(True),
                                value=Const(True), default=Symbol("a", "j"))),), "x",
     r"mask 'j<=i'.*default: Q_a\(j\) is read at 'j'"),
])
def test_malformed_programs_are_refused_with_every_problem_named(definitions, output, message):
    with pytest.raises(RaspError, match=message):
        Program(alphabet="ab", definitions=definitions, output=output)


def test_bad_alphabet_and_bad_words_are_refused():
    with pytest.raises(RaspError, match="repeats the symbol 'a'"):
        Program(alphabet="aa", definitions=(Definition("x", Const(True)),), output="x")
    program = Program(alphabet="ab", definitions=(Definition("x", Const(True)),), output="x")
    with pytest.raises(WordError, match=r"word 'abc' has symbol 'c' at position 2; the "
                                        r"alphabet of the program is 'ab'"):
        brasp.run(program, "abc")
    with pytest.raises(WordError, match="empty word has no last position"):
        brasp.accepts(program, "")
    assert brasp.run(program, "") == {"x": ()}


def test_embedded_api_refuses_bad_sides_masks_and_names():
    (a,) = brasp.symbols("a")
    with pytest.raises(RaspError, match="read at 'i' or 'j', not 'k'"):
        a("k")
    with pytest.raises(RaspError, match="mask 'j<i'"):
        brasp.leftmost(mask="j<i", score=True, value=True, default=True)
    with pytest.raises(RaspError, match="reserved"):
        (~a).named("output")
    x, y = (~a).named("x"), (a & a).named("x")
    with pytest.raises(RaspError, match="two different vectors are named 'x'"):
        brasp.program(x | y, alphabet="a")


def test_strategy_bounds_are_checked_before_drawing():
    with pytest.raises(LengthError, match="max_definitions"):
        brasp_programs(min_definitions=3, max_definitions=2)
    with pytest.raises(RaspError, match="masks"):
        brasp_programs(masks=("sideways",))


@pytest.mark.slow
def test_programs_shrink_to_a_few_short_lines():
    deep = find(brasp_programs(max_definitions=8), lambda p: p.depth >= 2,
                settings=settings(database=None, max_examples=100, derandomize=True))
    assert len(deep.definitions) == 2
    assert all(isinstance(d.operation, Attention) for d in deep.definitions)
    assert len(brasp_text.to_text(deep).splitlines()) == 4  # alphabet, 2 lines, output


@given(brasp_programs(min_definitions=2, max_definitions=4, max_leaves=2))
def test_strategy_draws_programs_within_its_bounds(program):
    # unread definitions are dropped after the draw: fewer than min_definitions may remain
    assert len(program.definitions) <= 4  # the output is the last one: never empty
    assert program.output == program.definitions[-1].name
    read = {leaf.name for d in program.definitions for part in (
        (d.operation.score, d.operation.value, d.operation.default)
        if isinstance(d.operation, Attention) else (d.operation,))
        for leaf in brasp.leaves(part) if isinstance(leaf, Var)}
    assert read | {program.output} == {d.name for d in program.definitions}  # none unused


@settings(max_examples=50)
@given(brasp_programs(), words("ab", max_length=12))
def test_the_interpreter_in_blocks_of_rows_agrees_with_the_definition(program, word):
    with patch.object(brasp, "ROWS", 5):  # a block of at most max(1, 5 // n) rows
        got = brasp.run(program, word)
    assert {name: list(v) for name, v in got.items()} == plain(program, word)
