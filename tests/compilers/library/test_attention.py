"""Attention blocks: exact == torch float64 == an independent reference, on every position.

Models read vectors (or tokens, for BOS); each test runs a batch of
sequences and compares every position's read-out with a plain Python
reference that applies the block's definition: the mean over the keys a mask
lets a query see, the value at the asked-for position, the value one position
back, the leftmost or rightmost maximum. Out-of-range queries are checked
against the stated behaviour (the nearest visible key, or an
`EvaluationError`).
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compilers.backends import make
from compilers.errors import EvaluationError
from compilers.ir import MASKS, N, Softmax
from compilers.library import LibraryError, Model, attention, size, tokens
from tests.compilers.library.harness import agree, run

F = Fraction
SEES = {"none": lambda i, j: True, "causal": lambda i, j: j <= i,
        "strict_causal": lambda i, j: j < i, "anticausal": lambda i, j: j >= i,
        "strict_anticausal": lambda i, j: j > i}
values = st.fractions(min_value=-9, max_value=9, max_denominator=7)


def _run(model: Model, outputs, sequences) -> tuple[dict, dict]:
    transformer = model.build({o: {o: 1} for o in outputs}, position="all")
    return run(transformer, [[[F(v) for v in row] for row in seq] for seq in sequences])


def _mean(xs):
    return sum(xs, F(0)) / len(xs) if xs else F(0)


# -- identity and uniform averages -------------------------------------------------------------


def test_identity_attention_adds_nothing():
    model = Model("identity", dims=("x",))
    assert attention.identity(model) == ()
    assert size(model.build({"y": {"x": 1}})).heads == 1
    sequences = [[[3], [-1], [F(1, 2)]]]
    agree(*_run(model, ["x"], sequences), {"x": [[F(3), F(-1), F(1, 2)]]})


@pytest.mark.parametrize("mask", MASKS)
@settings(max_examples=15, deadline=None)
@given(st.lists(st.lists(values, min_size=5, max_size=5), min_size=1, max_size=3))
def test_uniform_is_the_mean_of_what_the_mask_shows(mask, rows):
    model = Model("uniform", dims=("x",))
    out = attention.uniform(model, "x", mask=mask)
    want = [[_mean([row[j] for j in range(5) if SEES[mask](i, j)]) for i in range(5)]
            for row in rows]
    agree(*_run(model, [out], [[[v] for v in row] for row in rows]), {out: want})


@pytest.mark.parametrize("with_bos", [True, False])
def test_uniform_counts_with_and_without_bos(with_bos):
    """A causal mean of the 'a' indicator is #a/(i+1); with a BOS at position 0 the BOS
    counts as one position and its own mean is 1/(i+1)."""
    model = Model("count", tokens=("$", "a", "b"))
    is_a = model.token_feature("is_a", {"a": 1})
    share = attention.uniform(model, is_a, mask="causal")
    outputs = [share]
    if with_bos:
        outputs.append(attention.uniform(model, tokens.bos(model), mask="causal",
                                         out="inverse"))
    transformer = model.build({o: {o: 1} for o in outputs}, position="all")
    words = ["aab", "bba", "aaa"]
    sequences = [(["$"] if with_bos else []) + list(w) for w in words]
    want = {share: [[F(seq[:i + 1].count("a"), i + 1) for i in range(len(seq))]
                    for seq in sequences]}
    if with_bos:
        want["inverse"] = [[F(1, i + 1) for i in range(len(seq))] for seq in sequences]
    agree(*run(transformer, sequences), want)


@pytest.mark.parametrize("with_bos", [True, False])
@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(st.booleans(), values), min_size=4, max_size=4))
def test_average_where_takes_the_matches_or_the_bos(with_bos, rows):
    dims = ("x", "w", "bos") if with_bos else ("x", "w")
    model = Model("where", dims=dims)
    out = attention.average_where(model, "x", "w", bos="bos" if with_bos else None)
    sequence = [[F(7), F(0), F(1)]] if with_bos else []
    sequence += [[x, F(int(w)), F(0)][:len(dims)] for w, x in rows]
    want = []
    for i in range(len(sequence)):
        matches = [sequence[j][0] for j in range(i + 1) if sequence[j][1] == 1]
        default = [F(7)] if with_bos else [sequence[j][0] for j in range(i + 1)]
        want.append(_mean(matches or default))
    agree(*_run(model, [out], [sequence]), {out: [want]})


@pytest.mark.parametrize("length", range(1, 9))
def test_first_position_from_alternating_signs(length):
    model = Model("first", dims=("x",))
    out = attention.first_position(model)
    agree(*_run(model, [out], [[[0]] * length]), {out: [[F(int(i == 0)) for i in range(length)]]})


# -- index lookups ---------------------------------------------------------------------------------

LOOKUPS = ["quadratic", "neg_abs", "hash", "one_hot"]


def _lookup_model(method: str, n: int, mask: str = "none") -> tuple[Model, str]:
    if method == "one_hot":
        model = Model("lookup", dims=("v", *(f"q{k}" for k in range(n))))
        out = attention.lookup_one_hot(model, [f"q{k}" for k in range(n)], "v", mask=mask)
    else:
        model = Model("lookup", dims=("v", "q"))
        out = getattr(attention, f"lookup_{method}")(model, "q", "v", mask=mask)
    return model, out


def _lookup_inputs(method: str, n: int, index: list, vals: list) -> list:
    if method == "one_hot":
        return [[v, *(F(int(q == k)) for k in range(n))] for q, v in zip(index, vals, strict=True)]
    return [[v, F(q)] for q, v in zip(index, vals, strict=True)]


@pytest.mark.parametrize("method", LOOKUPS)
@settings(max_examples=20, deadline=None)
@given(st.integers(1, 7), st.data())
def test_lookup_reads_the_value_at_the_asked_position(method, n, data):
    index = data.draw(st.lists(st.integers(0, n - 1), min_size=n, max_size=n))
    vals = data.draw(st.lists(values, min_size=n, max_size=n))
    model, out = _lookup_model(method, n)
    agree(*_run(model, [out], [_lookup_inputs(method, n, index, vals)]),
          {out: [[vals[q] for q in index]]})


@pytest.mark.parametrize("method", ["quadratic", "neg_abs", "hash"])
def test_lookup_reaches_every_position_of_a_word_with_its_bos_and_eos(method):
    """n + 2 positions for the n the formulas see: the gaps still hold (the float run is
    trusted and right)."""
    length, vals = 7, [F(k * k - 3) for k in range(7)]
    index = [6, 0, 5, 1, 4, 2, 3]
    model, out = _lookup_model(method, length)
    transformer = model.build({out: {out: 1}}, position="all")
    agree(*run(transformer, [_lookup_inputs(method, length, index, vals)], n=length - 2),
          {out: [[vals[q] for q in index]]})


@pytest.mark.parametrize("method", LOOKUPS)
def test_lookup_under_a_causal_mask_reads_visible_keys(method):
    n, vals = 5, [F(k * k - 3) for k in range(5)]
    index = [0, 0, 2, 1, 4]  # q_i <= i: always visible
    model, out = _lookup_model(method, n, mask="causal")
    agree(*_run(model, [out], [_lookup_inputs(method, n, index, vals)]),
          {out: [[vals[q] for q in index]]})


@pytest.mark.parametrize("method", ["quadratic", "neg_abs", "hash"])
def test_lookup_of_an_index_outside_the_keys_reads_the_nearest_visible_key(method):
    n, vals = 4, [F(10), F(20), F(30), F(40)]
    index = [-3, 7, 5, -1]
    model, out = _lookup_model(method, n)
    agree(*_run(model, [out], [_lookup_inputs(method, n, index, vals)]),
          {out: [[F(10), F(40), F(40), F(10)]]})
    model, out = _lookup_model(method, n, mask="causal")  # position i sees 0..i
    agree(*_run(model, [out], [_lookup_inputs(method, n, [3, 3, 3, 3], vals)]),
          {out: [vals]})


def test_quadratic_lookup_by_softmax_at_a_large_scale_is_within_its_saturation_error():
    """Scores of one query differ by 1 or more, so at scale c every other key weighs at
    most e^-c against the target's 1: the read is within n max|v| e^-c of the value."""
    model = Model("soft", dims=("v", "q"))
    out = attention.lookup_quadratic(model, "q", "v", kind=Softmax(scale=60))
    vals, index = [F(3), F(-5), F(7), F(1)], [2, 0, 3, 3]
    bound = 4 * 7 * math.exp(-60)
    agree(*_run(model, [out], [_lookup_inputs("quadratic", 4, index, vals)]),
          {out: [[vals[q] for q in index]]}, exact=False, tolerance=bound + 1e-15,
          exact_within=F(bound))


@pytest.mark.parametrize("backend", ["exact", "torch"])
def test_one_hot_lookup_of_a_missing_index_is_refused_at_run_time(backend):
    model, out = _lookup_model("one_hot", 3)
    transformer = model.build({out: {out: 1}}, position="all")
    rows = [[F(1), F(0), F(0), F(0)], [F(2), F(0), F(1), F(0)], [F(3), F(0), F(0), F(1)]]
    with pytest.raises(EvaluationError, match="hard attention tie"):
        make(backend, transformer).forward([rows], n=3)


def test_quadratic_lookup_of_a_half_integer_is_a_tie_refused_at_run_time():
    model, out = _lookup_model("quadratic", 3)
    transformer = model.build({out: {out: 1}}, position="all")
    with pytest.raises(EvaluationError, match="hard attention tie between positions"):
        run(transformer, [[[F(1), F(1, 2)], [F(2), F(0)], [F(3), F(0)]]])


def _single_query(spacing, mask: str = "none") -> tuple[Model, str]:
    model = Model("single", dims=("v", "q", "k"))
    return model, attention.lookup_single_query(model, "q", {"k": 1}, "v", spacing=spacing,
                                                mask=mask)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(-20, 20), min_size=1, max_size=7, unique=True), st.data())
def test_single_query_reads_the_key_equal_to_the_query(keys, data):
    """Keys on a grid of spacing 1/3, one query for every position (Sec. 5.3)."""
    keys = [F(k, 3) for k in keys]
    query = data.draw(st.sampled_from(keys))
    vals = data.draw(st.lists(values, min_size=len(keys), max_size=len(keys)))
    model, out = _single_query(F(1, 3))
    rows = [[v, query, k] for v, k in zip(vals, keys, strict=True)]
    agree(*_run(model, [out], [rows]), {out: [[vals[keys.index(query)]] * len(keys)]})
    assert size(model.build({out: {out: 1}})).hidden == 3


def test_single_query_under_a_past_mask_reads_what_each_position_sees():
    """Strict past masking (j > i): the match at position 2 is seen by positions 0 and 1."""
    model, out = _single_query(1, mask="strict_past")
    rows = [[F(5), F(7), F(0)], [F(6), F(7), F(3)], [F(8), F(7), F(7)]]
    agree(*_run(model, [out], [rows]), {out: [[F(8), F(8), F(0)]]})


@pytest.mark.parametrize("backend", ["exact", "torch"])
def test_single_query_without_a_match_is_refused_at_run_time(backend):
    model, out = _single_query(1)
    transformer = model.build({out: {out: 1}}, position="all")
    rows = [[F(1), F(9), F(0)], [F(2), F(9), F(1)]]
    with pytest.raises(EvaluationError, match="hard attention tie"):
        make(backend, transformer).forward([rows], n=2)


def test_single_query_with_a_key_nearer_than_the_spacing_breaks_the_promise():
    """A key 1/2 from the query scores 1/2: the exact backend reads it, a float run is
    flagged (its score sits between 0 and the promised gap of 1)."""
    model, out = _single_query(1)
    transformer = model.build({out: {out: 1}}, position="all")
    rows = [[F(1), F(5), F(0)], [F(2), F(5), F(11, 2)]]
    exact = make("exact", transformer).forward([rows], n=2)
    assert list(exact.outputs[out][0]) == [F(2), F(2)]
    assert make("torch", transformer).forward([rows], n=2).suspect.any()


def test_hash_lookup_gap_holds_for_every_pair_of_integers():
    """1 - <phi_q, phi_k> >= hash_gap(K)/2 for q != k in 0..K (in exact arithmetic)."""
    import sympy

    for k_max in (1, 3, 10):
        gap = attention.hash_gap(k_max)
        for q in range(k_max + 1):
            for k in range(k_max + 1):
                if q != k:
                    cos = sympy.Rational(q * k + 1) / sympy.sqrt((q * q + 1) * (k * k + 1))
                    assert sympy.N(2 - 2 * cos - gap, 50) >= 0


# -- predecessor ---------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["tie", "quadratic"])
@settings(max_examples=20, deadline=None)
@given(st.lists(st.lists(values, min_size=6, max_size=6), min_size=1, max_size=2))
def test_predecessor_reads_position_i_minus_one_and_zero_at_the_start(method, rows):
    model = Model("previous", dims=("x",))
    out = attention.predecessor(model, "x", method=method)
    agree(*_run(model, [out], [[[v] for v in row] for row in rows]),
          {out: [[F(0), *row[:-1]] for row in rows]})


def test_predecessor_by_ties_needs_no_positional_feature():
    model = Model("previous", tokens=("a", "b"))
    x = model.token_feature("x", {"a": 1, "b": 2})
    out = attention.predecessor(model, x)
    transformer = model.build({out: {out: 1}}, position="all")
    assert transformer.positions is None
    agree(*run(transformer, [list("abba")]), {out: [[F(0), F(1), F(2), F(2)]]})


# -- tie-breaking ----------------------------------------------------------------------------


def _argmax_reference(scores, vals, tie, mask):
    out = []
    for i in range(len(scores)):
        seen = [j for j in range(len(scores)) if SEES[mask](i, j)]
        if not seen:
            out.append(F(0))
            continue
        best = max(scores[j] for j in seen)
        top = [j for j in seen if scores[j] == best]
        out.append(vals[top[0] if tie == "leftmost" else top[-1]])
    return out


VARIANTS = [("hard", "i/n"), ("average-hard", "i/n"), ("average-hard", "1/(i+1)")]


@pytest.mark.parametrize(("via", "by"), VARIANTS)
@pytest.mark.parametrize("tie", ["leftmost", "rightmost"])
@pytest.mark.parametrize("mask", ["none", "causal", "strict_anticausal"])
@settings(max_examples=8, deadline=None)
@given(st.lists(st.tuples(st.integers(-2, 2), values), min_size=1, max_size=6))
def test_argmax_breaks_ties_toward_the_chosen_side(via, by, tie, mask, rows):
    model = Model("argmax", dims=("s", "v"))
    (out,) = attention.argmax(model, {"picked": "v"}, scores=[({1: 1}, "s")], gap=1, tie=tie,
                              mask=mask, via=via, by=by)
    scores, vals = [F(s) for s, _ in rows], [v for _, v in rows]
    agree(*_run(model, [out], [[[s, v] for s, v in zip(scores, vals, strict=True)]]),
          {out: [_argmax_reference(scores, vals, tie, mask)]})


@pytest.mark.parametrize(("by", "declared"), [("i/n", F(1)), ("1/(i+1)", F(1))])
def test_argmax_via_average_hard_declares_a_gap_that_holds_with_bos_and_eos(by, declared):
    """On n + 2 positions (a word of n symbols between a BOS and an EOS), every score that
    differs from the best differs by the declared gap or more (exact tie-breakers from the
    definition: (gap/2) j/(n+2), or -(gap/2)/(j+1)), and the run breaks ties right."""
    model = Model("argmax", dims=("s", "v"))
    attention.argmax(model, {"picked": "v"}, scores=[({1: 1}, "s")], gap=2,
                     via="average-hard", by=by)
    (head,) = model.build({"y": {"picked": 1}}).heads()
    for n in range(0, 7):
        length = n + 2
        gap = F(str(head.kind.gap.subs(N, n)))
        assert gap == declared / ((n + 2) if by == "i/n" else (n + 1) * (n + 2))
        breaker = [F(j, n + 2) if by == "i/n" else -F(1, j + 1) for j in range(length)]
        for scores in ([0] * length, [2 * (j % 2) for j in range(length)],
                       [2 * (j == 0) for j in range(length)]):
            total = [s + t for s, t in zip(scores, breaker, strict=True)]
            best = max(total)
            assert all(best - t >= gap for t in total if t != best)
            assert total.index(best) == max(j for j in range(length)
                                            if scores[j] == max(scores))
        transformer = model.build({"picked": {"picked": 1}}, position="all")
        rows = [[F(2 * (j % 2)), F(j)] for j in range(length)]
        agree(*run(transformer, [rows], n=n),
              {"picked": [[F(length - 1 - (length % 2 == 1 and length > 1))] * length]})


@pytest.mark.parametrize(("cookbook", "ir"), list(attention.MASK_NAMES.items()))
def test_the_cookbooks_mask_names_are_the_irs_masks(cookbook, ir):
    """Future masking is causal (j <= i), strict future masking j < i, past masking
    j >= i, strict past masking j > i: the same head under either name."""
    rows = [[F(v)] for v in (3, -1, 4, 1, -5)]
    outputs = []
    for mask in (cookbook, ir):
        model = Model("names", dims=("x",))
        out = attention.uniform(model, "x", mask=mask)
        outputs.append(_run(model, [out], [rows])[0][out])
    want = [[_mean([rows[j][0] for j in range(5) if SEES[ir](i, j)]) for i in range(5)]]
    assert outputs[0] == outputs[1] == want


# -- refusals --------------------------------------------------------------------------------


def test_attention_blocks_refuse_bad_options_by_name():
    model = Model("bad", dims=("x", "s"))
    with pytest.raises(LibraryError, match=r"attention.uniform: mask 'sideways'; allowed: "
                                           r"\('none', .*\) or \('future', "):
        attention.uniform(model, "x", mask="sideways")
    with pytest.raises(LibraryError, match=r"attention.lookup_single_query: spacing 0 must "
                                           r"be > 0"):
        attention.lookup_single_query(model, "x", "s", "x", spacing=0)
    with pytest.raises(LibraryError, match=r"attention.predecessor: method 'shift'"):
        attention.predecessor(model, "x", method="shift")
    with pytest.raises(LibraryError, match=r"attention.argmax: tie 'middle'"):
        attention.argmax(model, {"y": "x"}, scores=[("x", "s")], gap=1, tie="middle")
    with pytest.raises(LibraryError, match=r"attention.argmax: via 'soft'"):
        attention.argmax(model, {"y": "x"}, scores=[("x", "s")], gap=1, via="soft")
    with pytest.raises(LibraryError, match=r"attention.argmax: by 'log'"):
        attention.argmax(model, {"y": "x"}, scores=[("x", "s")], gap=1, via="average-hard",
                         by="log")
    with pytest.raises(LibraryError, match="needs a positive rational gap, got 1/n"):
        attention.argmax(model, {"y": "x"}, scores=[("x", "s")], gap="1/n",
                         via="average-hard")
    with pytest.raises(LibraryError, match=r"attention.attend: directions \['z'\] are not"):
        attention.attend(model, {"y": "z"})
