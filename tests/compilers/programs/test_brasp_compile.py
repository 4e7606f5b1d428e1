"""B-RASP compiled to masked unique-hard attention: the compiler's central property test.

For random programs (`languages.brasp_strategies`) and random words, every
vector of the program at every position: the interpreter (`languages.brasp`)
== the exact backend == torch float64, on the transformer `compile_brasp`
builds. The interpreter shares no code with the compiler. Depth: one attention
sublayer per level of attention depth.
"""

from __future__ import annotations

from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compilers.ir import Attention, Hard
from compilers.library import size
from compilers.programs import ProgramCompileError, booleans, compile_brasp
from languages import brasp
from languages.brasp import j
from languages.brasp_strategies import brasp_programs
from languages.brasp_text import parse
from languages.strategies import words
from tests.compilers.programs.harness import agree


def _attention_blocks(transformer) -> int:
    return sum(isinstance(b, Attention) for b in transformer.blocks)


def _check(program, word_list) -> None:
    names = [d.name for d in program.definitions]
    transformer = compile_brasp(program, outputs=names)
    depth = max(brasp.depths(program).values())
    assert _attention_blocks(transformer) == depth
    assert size(transformer).layers == max(depth, 1 if transformer.blocks else 0)
    agree(transformer, lambda w: brasp.run(program, w), word_list, names)


@settings(max_examples=100)
@given(brasp_programs(), st.lists(words("ab", min_length=1, max_length=7), min_size=1,
                                  max_size=4))
def test_compiled_programs_agree_with_the_interpreter_on_every_vector_and_position(
        program, word_list):
    _check(program, word_list)


@settings(max_examples=30)
@given(brasp_programs(alphabet="abc", max_definitions=4), st.lists(
    words("abc", min_length=1, max_length=6), min_size=1, max_size=3))
def test_functions_built_as_decision_trees_agree_too(program, word_list):
    with patch.object(booleans, "MAX_INPUTS", 0):  # every function by its disjoint paths
        _check(program, word_list)


@pytest.mark.slow
@settings(max_examples=300)
@given(brasp_programs(alphabet="abc", max_definitions=16, max_leaves=4), st.lists(
    words("abc", min_length=1, max_length=200), min_size=1, max_size=4))
def test_larger_programs_and_longer_words_agree(program, word_list):
    _check(program, word_list)


A_STAR_B_STAR = """alphabet "ab"
b_before(i) := ◀_j [j < i, Q_b(j)] 1 : 0
bad(i)      := Q_a(i) ∧ b_before(i)
some_bad(i) := ▶_j [1, bad(j)] 1 : 0
accept(i)   := ¬some_bad(i)
"""


@pytest.mark.slow
@settings(max_examples=20)
@given(st.lists(words("ab", min_length=1, max_length=1000), min_size=1, max_size=3))
def test_a_star_b_star_agrees_at_length_1000(word_list):
    program = parse(A_STAR_B_STAR)
    transformer = compile_brasp(program, outputs=["bad", "accept"])
    word_list = [*word_list, "a" * 500 + "b" * 500]
    agree(transformer, lambda w: brasp.run(program, w), word_list, ["bad", "accept"])
    for word in word_list:
        assert brasp.accepts(program, word) == (word.rstrip("b").count("b") == 0)


def test_the_papers_example_compiles_with_one_hard_head_per_attention_operation():
    program = parse("""alphabet "ab"
        seen_b(i) := ◀_j [j < i, Q_b(j)] 1 : 0
        ok(i)     := ¬Q_a(i) ∨ ¬seen_b(i)
        last(i)   := ▶_j [1, Q_a(i) ∧ Q_b(j) ∨ Q_b(i) ∧ Q_a(j)] ok(j) ∧ Q_a(i) : Q_b(i)
        output last""")
    transformer = compile_brasp(program, outputs=["ok", "last"])
    heads = transformer.heads()
    assert [(h.kind, h.mask) for h in heads] == [
        (Hard(tie="first", gap=1), "strict_causal"), (Hard(tie="last", gap=1), "none")]
    assert transformer.positions is None  # no positional encoding, as in the paper
    words_ = ["a", "b", "ab", "ba", "abba", "baab", "aabab", "bbbaa"]
    agree(transformer, lambda w: brasp.run(program, w), words_, ["ok", "last"])


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_a_chain_of_k_attention_operations_is_k_attention_layers(k):
    (a,) = brasp.symbols("a")
    x = a
    for _ in range(k):
        x = brasp.rightmost(mask="future", score=True, value=~x(j), default=False)
    program = brasp.program(x, alphabet="a")
    transformer = compile_brasp(program)
    assert program.depth == k == _attention_blocks(transformer) == size(transformer).layers
    agree(transformer, lambda w: brasp.run(program, w), ["a" * n for n in range(1, 9)],
          [program.output])


def test_a_score_that_never_holds_still_takes_a_layer():
    (a,) = brasp.symbols("a")
    x = brasp.leftmost(mask="none", score=a(j) & ~a(j), value=True, default=a)
    program = brasp.program(x, alphabet="a")
    transformer = compile_brasp(program)
    assert _attention_blocks(transformer) == 1
    agree(transformer, lambda w: brasp.run(program, w), ["a", "aa"], [program.output])


def test_vectors_named_like_the_compilers_own_directions_keep_their_values():
    program = parse('alphabet "ab"\none(i) := ◀_j [j < i, Q_b(j)] 1 : 0\n'
                    'Q(i) := ▶_j [1, one(j)] Q_a(i) : 1\n')
    transformer = compile_brasp(program, outputs=["one", "Q"])
    agree(transformer, lambda w: brasp.run(program, w), ["a", "ab", "ba", "abba", "bbab"],
          ["one", "Q"])


def test_bad_arguments_are_refused_by_name():
    with pytest.raises(ProgramCompileError, match="needs a B-RASP Program, got str"):
        compile_brasp("x(i) := 1")
    program = parse('alphabet "a"\nx(i) := 1')
    with pytest.raises(ProgramCompileError, match="output 'y' is not a vector of the program; "
                                                  "its vectors: x"):
        compile_brasp(program, outputs=["y"])


def test_too_large_a_function_is_refused_naming_the_vector():
    program = parse('alphabet "abc"\nx(i) := ◀_j [j < i, Q_a(j)] 1 : 0\n'
                    'y(i) := ◀_j [j < i, Q_b(j)] 1 : 0\nz(i) := x(i) ∨ y(i) ∨ Q_c(i)')
    with patch.object(booleans, "MAX_UNITS", 0), \
            pytest.raises(ProgramCompileError, match=r"^z: a Boolean function of \d+ vectors "
                                                     r"within one layer needs more than 0 "
                                                     r"hidden units"):
        compile_brasp(program)


def test_a_logit_read_at_the_last_position_is_plus_or_minus_one():
    program = parse(A_STAR_B_STAR)
    transformer = compile_brasp(program, outputs=(), position="last", logit="accept")
    assert transformer.readout.outputs == ("accept",)
    assert transformer.readout.position == "last"
    with pytest.raises(ProgramCompileError, match="position 'first'; allowed: all, last"):
        compile_brasp(program, position="first")
    with pytest.raises(ProgramCompileError, match="logit 'accept' must be a name other than "
                                                  r"the outputs \['accept'\]"):
        compile_brasp(program, outputs=["accept"], logit="accept")
