"""C-RASP compiled to future-masked attention: the compiler's central property test.

For random programs (`languages.crasp_strategies`) and random words, every
Boolean vector of the program at every position: the interpreter
(`languages.crasp`) == the exact backend == torch float64, on the transformer
`compile_crasp` builds (run on ``$`` + word), with average-hard and with
softmax heads. Depth: one attention layer per level of counting depth, as
Knee-Deep counts it, and the Cookbook's layer count equal to it.
"""

from __future__ import annotations

from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compilers.ir import Attention, AverageHard, LayerNorm, Softmax
from compilers.library import size
from compilers.programs import ProgramCompileError, booleans, compile_crasp
from languages import crasp, zoo
from languages.crasp_strategies import crasp_programs
from languages.crasp_text import parse
from languages.strategies import members, words
from tests.compilers.programs.harness import agree


def _attention_blocks(transformer) -> int:
    return sum(isinstance(b, Attention) for b in transformer.blocks)


def _check(program, word_list, attention="average-hard") -> None:
    names = [d.name for d in program.definitions if program.types[d.name] == "bool"]
    transformer = compile_crasp(program, outputs=names, attention=attention)
    depths = crasp.depths(program)
    assert _attention_blocks(transformer) == max(depths[n] for n in names)
    agree(transformer, lambda w: crasp.run(program, w), word_list, names, bos="$")


@settings(max_examples=100)
@given(crasp_programs(), st.lists(words("ab", min_length=1, max_length=8), min_size=1,
                                  max_size=4), st.sampled_from(("average-hard", "softmax")))
def test_compiled_programs_agree_with_the_interpreter_on_every_vector_and_position(
        program, word_list, attention):
    _check(program, word_list, attention)


@settings(max_examples=30)
@given(crasp_programs(alphabet="abc", max_definitions=4), st.lists(
    words("abc", min_length=1, max_length=6), min_size=1, max_size=3))
def test_functions_built_as_decision_trees_agree_too(program, word_list):
    with patch.object(booleans, "MAX_INPUTS", 0):  # every function by its disjoint paths
        _check(program, word_list)


@pytest.mark.slow
@settings(max_examples=300)
@given(crasp_programs(alphabet="abc", max_definitions=16, max_leaves=4, max_constant=20,
                      max_factor=9),
       st.lists(words("abc", min_length=1, max_length=200), min_size=1, max_size=4))
def test_larger_programs_and_longer_words_agree(program, word_list):
    _check(program, word_list)


DYCK1 = """alphabet "()"
balance(i) := #[j <= i] Q_"("(j) - #[j <= i] Q_")"(j)
below(i)   := balance(i) < 0
dyck(i)    := #[j <= i] below(j) = 0 ∧ balance(i) = 0
"""


@pytest.mark.slow
@settings(max_examples=20)
@given(st.lists(st.one_of(members("dyck1", min_length=2, max_length=1000),
                          words("()", min_length=1, max_length=1000)), min_size=1, max_size=3))
def test_dyck1_agrees_at_length_1000(word_list):
    program = parse(DYCK1)
    transformer = compile_crasp(program)
    agree(transformer, lambda w: crasp.run(program, w), word_list, ["dyck"], bos="$")
    for word in word_list:
        assert crasp.accepts(program, word) == zoo.get("dyck1").contains(word)


MAJORITY = """alphabet "ab"
C_a(i) := #[j <= i] Q_a(j)
C_b(i) := #[j <= i] Q_b(j)
majority(i) := C_a(i) > C_b(i)
"""


def test_majority_is_one_uniform_causal_layer_and_a_layer_norm():
    program = parse(MAJORITY)
    for attention, kind in (("average-hard", AverageHard), ("softmax", Softmax)):
        transformer = compile_crasp(program, attention=attention)
        assert {(type(h.kind), h.mask) for h in transformer.heads()} == {(kind, "causal")}
        assert sum(isinstance(b, LayerNorm) for b in transformer.blocks) == 1
        assert transformer.positions is None and size(transformer).layers == 1
        words_ = ["a", "b", "ab", "ba", "aab", "abb", "abab", "aaabb", "bbbaa"]
        agree(transformer, lambda w: crasp.run(program, w), words_, ["majority"], bos="$")


def _depth_family(k: int) -> crasp.Program:
    """``P_0 = Q_a``, ``P_{m+1} = #[j <= i] P_m(j) > #[j <= i] ¬P_m(j)``: counting depth k."""
    (a,) = crasp.symbols("a")[:1]
    b = crasp.symbols("ab")[1]
    p = a
    for _ in range(k):
        p = crasp.count(p) > crasp.count(~p | (b & ~b))
    return crasp.program(p, alphabet="ab")


@pytest.mark.parametrize("k", [1, 2, 3, 4, 6])
def test_counting_depth_k_is_k_layers(k):
    program = _depth_family(k)
    transformer = compile_crasp(program)
    assert program.depth == k == _attention_blocks(transformer) == size(transformer).layers
    word_list = ["ab" * 3, "aab" * 2, "abbb", "aaaa", "baaab", "bbbbbba"]
    agree(transformer, lambda w: crasp.run(program, w), word_list, [program.output], bos="$")


def test_constant_comparisons_and_depth_zero_programs_need_no_layer():
    program = parse('alphabet "ab"\nx(i) := 1 < 2 & Q_a(i)\n')
    transformer = compile_crasp(program)
    assert _attention_blocks(transformer) == 0
    agree(transformer, lambda w: crasp.run(program, w), ["a", "ab", "bba"], ["x"], bos="$")


def test_vectors_named_like_the_compilers_own_directions_keep_their_values():
    program = parse('alphabet "ab"\none(i) := #[j <= i] Q_a(j) > 1\nbos(i) := !one(i)\n'
                    'sign(i) := #[j <= i] bos(j) >= 2 | one(i)\n')
    names = ["one", "bos", "sign"]
    transformer = compile_crasp(program, outputs=names)
    agree(transformer, lambda w: crasp.run(program, w), ["a", "ab", "aab", "bbab", "baaab"],
          names, bos="$")


def test_bad_arguments_are_refused_by_name():
    program = parse(MAJORITY + 'c(i) := #[j <= i] Q_a(j)\noutput majority\n')
    with pytest.raises(ProgramCompileError, match="needs a C-RASP Program, got str"):
        compile_crasp(MAJORITY)
    with pytest.raises(ProgramCompileError, match="attention 'hard'; allowed: average-hard, "
                                                  "softmax"):
        compile_crasp(program, attention="hard")
    with pytest.raises(ProgramCompileError, match="bos 'a' must be one symbol outside the "
                                                  "alphabet 'ab'"):
        compile_crasp(program, bos="a")
    with pytest.raises(ProgramCompileError, match="output 'c' is a count"):
        compile_crasp(program, outputs=["c"])
    with pytest.raises(ProgramCompileError, match="output 'nope' is not a vector"):
        compile_crasp(program, outputs=["nope"])
