"""Past LTL compiled through B-RASP: the transformer equals the formula's semantics.

For random formulas (`languages.ltl_strategies`) and random words, the
formula's truth at every position by `languages.ltl.evaluate` (recurrences,
no B-RASP) == the exact backend == torch float64 on the transformer that
`compile_brasp` builds from `languages.ltl.to_brasp`; its attention layers
are the formula's temporal depth.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compilers.ir import Attention
from compilers.programs import compile_brasp
from languages import ltl
from languages.ltl_strategies import ltl_programs
from languages.strategies import words
from tests.compilers.programs.harness import agree


def _check(program, word_list) -> None:
    transformer = compile_brasp(ltl.to_brasp(program))
    assert sum(isinstance(b, Attention) for b in transformer.blocks) == program.depth
    agree(transformer, lambda w: {"formula": ltl.evaluate(program, w)}, word_list,
          ["formula"])


@settings(max_examples=60, deadline=None)
@given(ltl_programs(max_leaves=6), st.lists(words("ab", min_length=1, max_length=8),
                                            min_size=1, max_size=4))
def test_compiled_formulas_agree_with_their_semantics_at_every_position(program, word_list):
    _check(program, word_list)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(ltl_programs(alphabet="abc", max_leaves=16), st.lists(
    words("abc", min_length=1, max_length=120), min_size=1, max_size=3))
def test_larger_formulas_and_longer_words_agree(program, word_list):
    _check(program, word_list)
