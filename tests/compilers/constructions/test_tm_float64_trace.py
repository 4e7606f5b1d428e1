"""Pérez et al.'s transformer in torch float64 follows hypothesis-drawn machines (up to 4
states and 3 symbols) step for step for 200 steps, as the exact backend does: float64's
guarantee (about 3.5e13 steps) covers the whole run, and the run says it is trusted."""

from __future__ import annotations

from hypothesis import given, settings

from compilers.constructions import tm
from compilers.runs import generate
from languages.turing import trace
from tests.compilers.constructions.test_tm import machines_and_words


@settings(max_examples=6, deadline=None)
@given(machines_and_words(max_length=6))
def test_float64_trace_equals_the_reference_trace_for_200_steps(pair):
    machine, word = pair
    construction = tm.build(machine, word)
    (result,) = generate(construction, [construction.word], backend="torch", dtype="float64",
                         max_steps=200)
    assert result.trusted and result.values["trusted_steps"] >= len(result.trace)
    assert list(result.trace) == trace(machine, word, max_steps=200)
    assert result.agrees_with_reference
