"""RASP as Tracr defines it: the API, and `evaluate` against a plain per-position oracle.

The oracle (`tests.languages.rasp_oracle.plain`) computes each position from
the definitions with exact means; hand-written cases fix the conventions that
Tracr's API documents (``Select`` is ``predicate(key, query)`` at ``[query][key]``,
None passes through maps, a single selected value is returned as it is).
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from languages import rasp
from languages.brasp import RaspError
from languages.rasp_strategies import rasp_inputs, rasp_programs
from tests.languages.rasp_oracle import plain

C = rasp.Comparison


def test_primitives_are_the_tokens_their_positions_and_the_length():
    assert rasp.evaluate(rasp.tokens, "abc") == ["a", "b", "c"]
    assert rasp.evaluate(rasp.indices, "abc") == [0, 1, 2]
    assert rasp.evaluate(rasp.length, "abc") == [3, 3, 3]
    assert rasp.tokens([3, 1]) == [3, 1]
    assert [rasp.tokens.label, rasp.indices.label, rasp.length.label] == [
        "tokens", "indices", "length"]


def test_map_applies_its_function_and_passes_none_through():
    calls = []
    shifted = rasp.Aggregate(rasp.Select(rasp.indices, rasp.indices,
                                         lambda k, q: q == k + 1), rasp.indices)
    doubled = rasp.Map(lambda x: calls.append(x) or 2 * x, shifted)
    assert doubled([7, 7, 7]) == [None, 0, 2]
    assert calls == [0, 1]


def test_map_of_a_map_is_one_map_unless_simplify_is_false():
    inner = rasp.Map(lambda x: x + 1, rasp.indices)
    merged = rasp.Map(lambda x: 10 * x, inner)
    kept = rasp.Map(lambda x: 10 * x, inner, simplify=False)
    assert merged.inner is rasp.indices and kept.inner is inner
    assert merged("abc") == kept("abc") == [10, 20, 30]


def test_sequence_maps_combine_two_sops_position_by_position():
    diff = rasp.SequenceMap(lambda x, y: x - y, rasp.length, rasp.indices)
    assert diff("abc") == [3, 2, 1]
    linear = rasp.LinearSequenceMap(rasp.indices, rasp.length, 2, -1)
    assert linear("abcd") == [-4, -2, 0, 2]
    assert (linear.fst, linear.snd, linear.fst_fac, linear.snd_fac) == (
        rasp.indices, rasp.length, 2, -1)
    none_first = rasp.SequenceMap(lambda x, y: 1 / 0, rasp.Full(None), rasp.indices)
    assert none_first("ab") == [None, None]


def test_full_and_constant_sops_hold_their_values():
    assert rasp.Full(4)("abc") == [4, 4, 4]
    assert rasp.ConstantSOp([1, 2])("ab") == [1, 2]
    assert rasp.ConstantSOp([1, 2], check_length=False)("abc") == [1, 2]
    with pytest.raises(RaspError, match="ConstantSOp has length 2; the input has length 3"):
        rasp.ConstantSOp([1, 2])("abc")


@pytest.mark.parametrize("comparison, op", [
    (C.EQ, lambda k, q: k == q), (C.LT, lambda k, q: k < q), (C.LEQ, lambda k, q: k <= q),
    (C.GT, lambda k, q: k > q), (C.GEQ, lambda k, q: k >= q), (C.NEQ, lambda k, q: k != q),
    (C.TRUE, lambda k, q: True), (C.FALSE, lambda k, q: False)])
def test_each_comparison_is_called_as_key_then_query(comparison, op):
    for key, query in itertools.product(range(3), repeat=2):
        assert comparison(key, query) == op(key, query)


def test_a_comparison_refuses_none():
    with pytest.raises(RaspError, match=r"Comparison\.LT of key None and query 1"):
        C.LT(None, 1)


def test_select_is_indexed_query_first():
    before = rasp.Select(rasp.indices, rasp.indices, C.LT)
    assert before("abc") == [[False, False, False], [True, False, False],
                             [True, True, False]]
    by_token = rasp.Select(rasp.tokens, rasp.Full("b"), C.EQ)
    assert by_token("ab") == [[False, True], [False, True]]


def test_selector_combinations_are_the_elementwise_logic():
    lt = rasp.Select(rasp.indices, rasp.indices, C.LT)
    same = rasp.Select(rasp.tokens, rasp.tokens, C.EQ)
    xs = "abab"
    a, b = lt(xs), same(xs)
    assert rasp.SelectorAnd(lt, same)(xs) == [[x and y for x, y in zip(r, s, strict=True)]
                                              for r, s in zip(a, b, strict=True)]
    assert rasp.SelectorOr(lt, same)(xs) == [[x or y for x, y in zip(r, s, strict=True)]
                                             for r, s in zip(a, b, strict=True)]
    assert rasp.SelectorNot(lt)(xs) == [[not x for x in r] for r in a]


def test_selector_operators_merge_selects_over_the_same_sops():
    lt = rasp.Select(rasp.indices, rasp.indices, C.LT)
    eq = rasp.Select(rasp.indices, rasp.indices, C.EQ)
    merged = lt | eq
    assert isinstance(merged, rasp.Select)
    assert merged("abcd") == rasp.Select(rasp.indices, rasp.indices, C.LEQ)("abcd")
    assert isinstance(~lt, rasp.Select)
    assert (~lt)("abc") == rasp.Select(rasp.indices, rasp.indices, C.GEQ)("abc")
    other = rasp.Select(rasp.tokens, rasp.tokens, C.EQ)
    assert isinstance(lt & other, rasp.SelectorAnd)
    with_full = rasp.Select(rasp.Full(1), rasp.indices, C.LT) & lt
    assert isinstance(with_full, rasp.Select)
    assert with_full("abcd") == rasp.SelectorAnd(
        rasp.Select(rasp.Full(1), rasp.indices, C.LT), lt)("abcd")
    assert isinstance(rasp.selector_and(lt, eq, simplify=False), rasp.SelectorAnd)


def test_aggregate_returns_one_selected_value_as_it_is_and_means_several():
    everything = rasp.Select(rasp.indices, rasp.indices, C.TRUE)
    prefix = rasp.Select(rasp.indices, rasp.indices, C.LEQ)
    assert rasp.Aggregate(prefix, rasp.indices)("abcd") == [0, 0.5, 1.0, 1.5]
    assert rasp.evaluate(rasp.Aggregate(prefix, rasp.indices), "abc", exact=True) == [
        0, Fraction(1, 2), Fraction(1)]
    assert rasp.Aggregate(prefix, rasp.tokens)("a") == ["a"]
    nothing = rasp.Select(rasp.indices, rasp.indices, C.FALSE)
    assert rasp.Aggregate(nothing, rasp.tokens)("ab") == [None, None]
    assert rasp.Aggregate(nothing, rasp.tokens, default=0)("ab") == [0, 0]
    with pytest.raises(RaspError, match=r"Aggregate of several values \['a', 'b'\]"):
        rasp.Aggregate(everything, rasp.tokens)("ab")


def test_selector_width_counts_each_row():
    before = rasp.Select(rasp.indices, rasp.indices, C.LT)
    assert rasp.SelectorWidth(before)("abcd") == [0, 1, 2, 3]
    assert rasp.SelectorWidth(rasp.Select(rasp.tokens, rasp.tokens, C.EQ))("abca") == [
        2, 1, 1, 2]


def test_causal_evaluation_masks_every_selector_to_earlier_keys():
    everything = rasp.Select(rasp.tokens, rasp.tokens, C.TRUE)
    assert rasp.evaluate(rasp.SelectorWidth(everything), "abcd", causal=True) == [1, 2, 3, 4]
    later = rasp.SelectorNot(rasp.Select(rasp.indices, rasp.indices, C.LEQ))
    assert rasp.evaluate(rasp.SelectorWidth(later), "abc", causal=True) == [0, 0, 0]


def test_encodings_default_to_categorical_and_annotations_copy():
    mapped = rasp.Map(lambda x: x, rasp.tokens)
    num = rasp.numerical(mapped)
    assert rasp.is_categorical(mapped) and rasp.is_numerical(num)
    assert rasp.get_encoding(rasp.categorical(num)) is rasp.Encoding.CATEGORICAL
    assert num is not mapped and num.f is mapped.f and num.inner is mapped.inner
    assert rasp.get_encoding(mapped) is rasp.Encoding.CATEGORICAL
    selector = rasp.Select(rasp.tokens, rasp.tokens, C.EQ)
    with pytest.raises(RaspError, match="is a selector; only an S-op has an encoding"):
        rasp.get_encoding(selector)
    with pytest.raises(KeyError, match="no annotation 'colour'"):
        mapped.annotations["colour"]


def test_names_and_labels():
    mapped = rasp.Map(lambda x: x, rasp.tokens)
    assert mapped.name == "map" and mapped.label == f"map_{mapped.unique_id}"
    named = mapped.named("copy")
    assert named.name == "copy" and named.unique_id != mapped.unique_id
    assert rasp.numerical(named).name == "copy"
    assert named.annotated(colour="red").annotations["colour"] == "red"
    assert rasp.Select(rasp.tokens, rasp.tokens, C.EQ).name == "select"
    assert rasp.LinearSequenceMap(rasp.indices, rasp.indices, 1, 1).name == (
        "linear_sequence_map")
    labels = {rasp.Map(abs, rasp.indices).label for _ in range(50)}
    assert len(labels) == 50


def test_children_are_in_tracrs_order():
    sel = rasp.Select(rasp.tokens, rasp.indices, C.EQ)
    agg = rasp.Aggregate(sel, rasp.length)
    assert sel.children == [rasp.tokens, rasp.indices]
    assert agg.children == [sel, rasp.length]
    assert rasp.SelectorWidth(sel).children == [sel]
    assert rasp.SequenceMap(max, rasp.indices, rasp.length).children == [
        rasp.indices, rasp.length]
    assert rasp.SelectorNot(sel).children == [sel]
    assert rasp.Full(1).children == [] and rasp.tokens.children == []


def test_sop_operators_build_maps_and_sequence_maps():
    is_a = rasp.tokens == "a"
    assert isinstance(is_a, rasp.Map) and is_a("aba") == [True, False, True]
    assert (1 - rasp.indices)("abc") == [1, 0, -1]
    assert (rasp.indices - 1)("abc") == [-1, 0, 1]
    assert isinstance(rasp.indices + rasp.length, rasp.SequenceMap)
    assert (rasp.indices * rasp.length)("abc") == [0, 3, 6]
    assert (6 / (rasp.indices + 1))("abc") == [6.0, 3.0, 2.0]
    assert (~is_a)("ab") == [False, True]
    assert (is_a | (rasp.indices > 0))("ab") == [True, True]
    assert (False | is_a)("ab") == [True, False]
    assert {is_a: 1}[is_a] == 1  # hashed by identity although == builds a Map


def test_topological_order_lists_each_expression_once_after_what_it_reads():
    x = rasp.Map(lambda v: v + 1, rasp.indices)
    y = rasp.SequenceMap(lambda a, b: a * b, x, x)
    z = rasp.Aggregate(rasp.Select(x, y, C.LT), y, default=0)
    order = rasp.topological_order(z)
    assert order[-1] is z and len(order) == len({id(e) for e in order}) == 5
    place = {id(e): k for k, e in enumerate(order)}
    assert all(place[id(c)] < place[id(e)] for e in order for c in e.children)


def test_shared_subexpressions_are_evaluated_once():
    calls = []
    x = rasp.Map(lambda v: calls.append(v) or v, rasp.indices)
    total = x
    for _ in range(20):
        total = rasp.SequenceMap(lambda a, b: a + b, total, x)
    assert total("abc") == [0, 21, 42]
    assert len(calls) == 3


@pytest.mark.parametrize("build, message", [
    (lambda: rasp.Map(3, rasp.tokens), "Map: the function must be a Python callable, got 3"),
    (lambda: rasp.Map(abs, "tokens"), "Map: inner must be a SOp, got 'tokens'"),
    (lambda: rasp.SequenceMap(max, rasp.tokens, 1), "SequenceMap: snd must be a SOp, got 1"),
    (lambda: rasp.LinearSequenceMap(rasp.tokens, rasp.tokens, "2", 1),
     "LinearSequenceMap: a factor must be a number, got '2'"),
    (lambda: rasp.Select(rasp.tokens, rasp.Select(rasp.tokens, rasp.tokens, C.EQ), C.EQ),
     "Select: queries must be a SOp"),
    (lambda: rasp.Select(rasp.tokens, rasp.tokens, "=="),
     "Select: the function must be a Python callable, got '=='"),
    (lambda: rasp.Aggregate(rasp.tokens, rasp.tokens), "Aggregate: selector must be a Selector"),
    (lambda: rasp.Aggregate(rasp.Select(rasp.tokens, rasp.tokens, C.EQ), rasp.tokens,
                            default=[0]), "Aggregate: default must be None, a str"),
    (lambda: rasp.SelectorWidth(rasp.tokens), "SelectorWidth: selector must be a Selector"),
    (lambda: rasp.SelectorNot(rasp.tokens), "SelectorNot: inner must be a Selector"),
    (lambda: rasp.numerical(rasp.Select(rasp.tokens, rasp.tokens, C.EQ)),
     "numerical: the argument must be a SOp"),
    (lambda: rasp.evaluate("tokens", "ab"), "'tokens' is not a RASP expression"),
])
def test_malformed_expressions_are_refused_by_name(build, message):
    with pytest.raises(RaspError, match=message):
        build()


@settings(deadline=None)
@given(rasp_programs(vocab="abc", max_seq_len=6, max_operations=8), st.data())
def test_evaluate_equals_the_plain_oracle_on_random_programs(program, data):
    xs = data.draw(rasp_inputs("abc", max_seq_len=6))
    for causal in (False, True):
        assert rasp.evaluate(program, xs, causal=causal, exact=True) == plain(
            program, xs, causal=causal)


@settings(deadline=None)
@given(rasp_programs(vocab=[0, 1, 2], max_seq_len=5, max_operations=8), st.data())
def test_float_means_equal_exact_means_up_to_rounding(program, data):
    xs = data.draw(rasp_inputs([0, 1, 2], max_seq_len=5))
    floats = rasp.evaluate(program, xs)
    exact = rasp.evaluate(program, xs, exact=True)
    for a, b in zip(floats, exact, strict=True):
        if isinstance(b, Fraction):
            assert a == pytest.approx(float(b), abs=1e-9)


def test_an_expression_class_without_a_rule_is_refused_by_name():
    class Weird(rasp.SOp):
        pass

    with pytest.raises(RaspError, match="no evaluation rule for Weird"):
        rasp.evaluate(Weird(), "ab")
