"""`rasp_programs` draws programs that satisfy Tracr's compiler rules, on every input.

`tracr_problems` restates Tracr's static rules (``compiler/validating.py``) and
its dynamic ones, the latter in the stronger form the strategy promises (a
categorical aggregate selects at most one position).
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from languages import rasp
from languages.brasp import RaspError
from languages.errors import LengthError
from languages.rasp_strategies import rasp_inputs, rasp_programs


def tracr_problems(program, inputs) -> list[str]:
    problems = []
    nodes = rasp.topological_order(program)
    for e in nodes:
        if isinstance(e, rasp.TokensType | rasp.IndicesType) and rasp.is_numerical(e):
            problems.append(f"{e.label}: numerical primitive")
        if isinstance(e, rasp.Select) and not (rasp.is_categorical(e.keys)
                                               and rasp.is_categorical(e.queries)):
            problems.append(f"{e.label}: numerical select")
        if isinstance(e, rasp.Aggregate):
            if rasp.get_encoding(e) != rasp.get_encoding(e.sop):
                problems.append(f"{e.label}: encoding changes")
            if rasp.is_categorical(e) and e.default is not None:
                problems.append(f"{e.label}: categorical default")
            if rasp.is_numerical(e) and e.default != 0:
                problems.append(f"{e.label}: numerical default")
        if isinstance(e, rasp.LinearSequenceMap):
            if not all(rasp.is_numerical(x) for x in (e, e.fst, e.snd)):
                problems.append(f"{e.label}: categorical linear map")
        elif isinstance(e, rasp.SequenceMap) and not all(
                rasp.is_categorical(x) for x in (e, e.fst, e.snd)):
            problems.append(f"{e.label}: numerical sequence map")
    for xs in inputs:
        for e in nodes:
            if isinstance(e, rasp.Aggregate):
                widths = rasp.SelectorWidth(e.selector)(xs)
                values = rasp.evaluate(e.sop, xs)
                if rasp.is_categorical(e) and max(widths) > 1:
                    problems.append(f"{e.label}: categorical aggregate of width > 1 on {xs}")
                if rasp.is_numerical(e) and not set(values) <= {0, 1}:
                    problems.append(f"{e.label}: numerical aggregate of {set(values)}")
            if isinstance(e, rasp.Select):
                for side in (e.keys, e.queries):
                    if None in rasp.evaluate(side, xs):
                        problems.append(f"{e.label}: None compared on {xs}")
            if isinstance(e, rasp.SOp) and rasp.is_numerical(e) and not all(
                    isinstance(v, int | float) for v in rasp.evaluate(e, xs)):
                problems.append(f"{e.label}: numerical S-op with a non-number on {xs}")
    return problems


@settings(deadline=None, max_examples=60)
@given(rasp_programs(vocab="ab", max_seq_len=4, max_operations=8))
def test_programs_satisfy_tracrs_rules_on_every_input(program):
    inputs = [list(xs) for n in range(1, 5) for xs in itertools.product("ab", repeat=n)]
    assert tracr_problems(program, inputs) == []


@settings(deadline=None, max_examples=40)
@given(rasp_programs(vocab=[3, 1, 2], max_seq_len=10, max_operations=10), st.data())
def test_programs_over_integer_tokens_satisfy_tracrs_rules(program, data):
    xs = data.draw(rasp_inputs([1, 2, 3], max_seq_len=10))
    assert tracr_problems(program, [xs]) == []


@pytest.mark.parametrize("kind", [rasp.Map, rasp.SequenceMap, rasp.LinearSequenceMap,
                                  rasp.SelectorWidth, rasp.Aggregate, rasp.SelectorAnd,
                                  rasp.SelectorOr, rasp.SelectorNot])
def test_every_operation_is_drawn(kind):
    def has(program):
        return any(type(e) is kind for e in rasp.topological_order(program))

    found = find(rasp_programs(max_operations=8), has, settings=settings(
        database=None, max_examples=2000, phases=[Phase.generate], derandomize=True))
    assert has(found)


def test_programs_shrink_to_a_single_map_of_tokens():
    smallest = find(rasp_programs(), lambda p: True, settings=settings(database=None))
    assert isinstance(smallest, rasp.Map) and smallest.inner is rasp.tokens


@given(rasp_inputs("xyz", max_seq_len=5, min_length=2))
def test_inputs_are_lists_of_vocabulary_tokens(xs):
    assert 2 <= len(xs) <= 5 and set(xs) <= set("xyz")


@pytest.mark.parametrize("call, error, message", [
    (lambda: rasp_programs(vocab=""), RaspError, "a vocabulary is a non-empty set"),
    (lambda: rasp_programs(vocab=["a", 1]), RaspError, "a vocabulary is a non-empty set"),
    (lambda: rasp_programs(vocab=[True]), RaspError, "a vocabulary is a non-empty set"),
    (lambda: rasp_programs(vocab=[1, 1]), RaspError, "repeats a token"),
    (lambda: rasp_programs(max_seq_len=0), LengthError, "max_seq_len must be between 1"),
    (lambda: rasp_programs(min_operations=3, max_operations=2), LengthError,
     "max_operations must be between 3"),
    (lambda: rasp_inputs("ab", max_seq_len=3, min_length=4), LengthError,
     "min_length must be between 0 and 3"),
])
def test_bounds_are_checked_before_drawing(call, error, message):
    with pytest.raises(error, match=message):
        call()
