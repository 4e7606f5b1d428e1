"""Layer-norm blocks: exact == torch float64 == an independent reference, in and out of range.

References are plain Python from the definitions: mean, biased variance and
square root in mpmath at 400 bits (the exact backend takes irrational square
roots at 256 bits, so it is compared within 2^-200; a pair ``(v, -v)`` has the
square ``v^2`` as its variance, and there the exact backend must be exactly
right). Out of range: a zero variance at epsilon 0 is an `EvaluationError` on
both backends; bad arguments are refused when the block is built.
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compilers.backends import make
from compilers.errors import EvaluationError
from compilers.library import LibraryError, Model, norm, size
from tests.compilers.library.harness import agree, run

F = Fraction
TINY = F(1, 2 ** 200)
ZERO_VARIANCE = {"exact": r"variance \+ epsilon is 0 at position 1; layer norm is undefined",
                 "torch": r"non-finite values .*zero variance in layer norm"}
small = st.fractions(min_value=-6, max_value=6, max_denominator=9)
nonzero = small.filter(bool)
epsilons = st.sampled_from([F(0), F(1, 100), F(1), F(3, 7)])


def _mp(x) -> mpmath.mpf:
    x = F(x)
    return mpmath.mpf(x.numerator) / x.denominator


def _normalised(values, eps, gain=None, bias=None) -> list:
    """LN(values): (x - mean) / sqrt(var + eps) * g + b, in mpmath at 400 bits."""
    with mpmath.workprec(400):
        xs = [_mp(v) for v in values]
        mean = sum(xs) / len(xs)
        var = sum((x - mean) ** 2 for x in xs) / len(xs) + _mp(eps)
        root = mpmath.sqrt(var)
        return [(x - mean) / root * _mp((gain or [1] * len(xs))[k])
                + _mp((bias or [0] * len(xs))[k]) for k, x in enumerate(xs)]


def _run(model: Model, outputs, rows) -> tuple[dict, dict]:
    transformer = model.build({o: {o: 1} for o in outputs}, position="all")
    return run(transformer, [[[F(v) for v in row] for row in rows]])


def _columns(values_per_row: list[list]) -> list[list]:
    return [list(column) for column in zip(*values_per_row, strict=True)]


# -- the layer norm, post-norm and pre-norm ---------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(small, small, small), min_size=1, max_size=5), epsilons,
       st.tuples(small, small, small), st.tuples(small, small, small))
def test_layer_norm_normalises_its_dims_only(rows, eps, gain, bias):
    model = Model("ln", dims=("a", "b", "c", "other"))
    gains, biases = dict(zip("abc", gain, strict=True)), dict(zip("abc", bias, strict=True))
    assert norm.post_norm(model, ("a", "b", "c"), epsilon=eps, gain=gains,
                          bias=biases) == ("a", "b", "c")
    rows = [r for r in rows if eps or len(set(r)) > 1] or [(F(1), F(2), F(0))]
    inputs = [(*r, F(5)) for r in rows]
    want = _columns([_normalised(r, eps, list(gain), list(bias)) for r in rows])
    agree(*_run(model, ["a", "b", "c", "other"], inputs),
          {"a": [want[0]], "b": [want[1]], "c": [want[2]], "other": [[F(5)] * len(rows)]},
          exact=False, exact_within=TINY)


@pytest.mark.parametrize("backend", ["exact", "torch"])
def test_layer_norm_of_a_constant_vector_at_epsilon_zero_is_refused_at_run_time(backend):
    model = Model("ln", dims=("a", "b"))
    norm.layer_norm(model, ("a", "b"))
    transformer = model.build({"a": {"a": 1}}, position="all")
    with pytest.raises(EvaluationError, match=ZERO_VARIANCE[backend]):
        make(backend, transformer).forward([[[F(1), F(2)], [F(3), F(3)]]], n=2)


def test_pre_norm_keeps_the_originals_and_normalises_copies():
    model = Model("pre", dims=("a", "b", "c"))
    copies = norm.pre_norm(model, ("a", "b", "c"), epsilon=F(1, 2), gain={"a": 2})
    assert copies == ("a_normed", "b_normed", "c_normed")
    rows = [(F(1), F(2), F(4)), (F(-3), F(0), F(1, 2)), (F(0), F(0), F(0))]
    want = _columns([_normalised(r, F(1, 2), [2, 1, 1]) for r in rows])
    agree(*_run(model, ["a", "b", "c", *copies], rows),
          {"a": [[r[0] for r in rows]], "b": [[r[1] for r in rows]],
           "c": [[r[2] for r in rows]], copies[0]: [want[0]], copies[1]: [want[1]],
           copies[2]: [want[2]]}, exact=False, exact_within=TINY)
    shape = size(model.build({"y": {"a": 1}}))
    assert (shape.hidden, shape.norms, shape.width) == (6, 1, 6)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(small, small), min_size=1, max_size=5), epsilons)
def test_rms_norm_divides_by_the_root_mean_square(rows, eps):
    model = Model("rms", dims=("a", "b"))
    norm.rms_norm(model, ("a", "b"), epsilon=eps, gain={"b": 3})
    rows = [r for r in rows if eps or any(r)] or [(F(1), F(0))]
    want_a, want_b = [], []
    with mpmath.workprec(400):
        for a, b in rows:
            root = mpmath.sqrt((_mp(a) ** 2 + _mp(b) ** 2) / 2 + _mp(eps))
            want_a.append(_mp(a) / root)
            want_b.append(3 * _mp(b) / root)
        mirrors_a, mirrors_b = [-v for v in want_a], [-v for v in want_b]
    agree(*_run(model, ["a", "b", "a_mirror", "b_mirror"], rows),
          {"a": [want_a], "b": [want_b], "a_mirror": [mirrors_a], "b_mirror": [mirrors_b]},
          exact=False, exact_within=TINY)


# -- signs, epsilon, the hash -------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(st.lists(nonzero, min_size=1, max_size=8))
def test_sign_is_exactly_plus_or_minus_one_at_epsilon_zero(xs):
    model = Model("sign", dims=("x",))
    plus, minus = norm.sign(model, {"x": 1, 1: F(1, 3)})
    xs = [x for x in xs if x != F(-1, 3)] or [F(1)]
    agree(*_run(model, [plus, minus], [[x] for x in xs]),
          {plus: [[F(1) if x + F(1, 3) > 0 else F(-1) for x in xs]],
           minus: [[F(-1) if x + F(1, 3) > 0 else F(1) for x in xs]]})


@pytest.mark.parametrize("backend", ["exact", "torch"])
def test_sign_of_zero_at_epsilon_zero_is_refused_at_run_time(backend):
    model = Model("sign", dims=("x",))
    plus, _ = norm.sign(model, "x")
    transformer = model.build({plus: {plus: 1}}, position="all")
    with pytest.raises(EvaluationError, match=ZERO_VARIANCE[backend]):
        make(backend, transformer).forward([[[F(2)], [F(0)]]], n=2)


@settings(max_examples=30, deadline=None)
@given(st.lists(small, min_size=1, max_size=8), st.sampled_from([F(1, 1000), F(1, 4), F(2)]),
       st.sampled_from([None, F(1, 2), F(3)]))
def test_sign_with_epsilon_and_clip_gives_the_stated_values(xs, eps, clip):
    """x / sqrt(x^2 + eps) for x clipped to [-clip, clip] (or not): the stated value at
    every input, in range or not; for |x| >= clip the same constant, at least
    `magnitude(clip, eps)`."""
    model = Model("sign", dims=("x",))
    plus, minus = norm.sign(model, "x", epsilon=eps, clip=clip)
    want = []
    with mpmath.workprec(400):
        for x in xs:
            v = _mp(x if clip is None else min(max(x, -clip), clip))
            want.append(v / mpmath.sqrt(v * v + _mp(eps)))
        negated = [-w for w in want]
    got_exact, got_float = _run(model, [plus, minus], [[x] for x in xs])
    agree(got_exact, got_float, {plus: [want], minus: [negated]}, exact=False,
          exact_within=TINY)
    if clip is not None:
        for x, value in zip(xs, got_exact[plus][0], strict=True):
            if abs(x) >= clip:
                assert abs(value) >= norm.magnitude(clip, eps)


def test_magnitude_and_largest_epsilon_state_the_role_of_epsilon():
    """PARITY's margin 1/((n+1)(n+2)) at n = 100 (Chiang & Cholak 2022, Sec. 5)."""
    margin = F(1, 101 * 102)
    assert norm.magnitude(margin, 0) == 1
    low = norm.magnitude(margin, F(1, 100000))
    with mpmath.workprec(400):
        true = _mp(margin) / mpmath.sqrt(_mp(margin) ** 2 + mpmath.mpf(1) / 100000)
        assert _mp(low) <= true <= _mp(low) + mpmath.mpf(2) ** -64
    assert 0.03 < low < 0.031  # the output is about 3% of its size at epsilon 0
    eps = norm.largest_epsilon(margin, F(9, 10))
    assert margin * margin / (margin * margin + eps) == F(81, 100)  # exactly 9/10 squared
    assert norm.magnitude(margin, eps * 2) < F(9, 10) <= norm.magnitude(margin, eps) + \
        F(1, 2 ** 64)
    assert norm.largest_epsilon(margin, 1) == 0


@settings(max_examples=30, deadline=None)
@given(st.lists(small, min_size=1, max_size=6), st.sampled_from([F(0), F(1, 10), F(2)]))
def test_layer_norm_hash_is_the_normalised_quadruple(xs, eps):
    model = Model("hash", dims=("x",))
    dims = norm.layer_norm_hash(model, {"x": 2, 1: -1}, epsilon=eps)
    want = _columns([_normalised([2 * x - 1, 1, 1 - 2 * x, -1], eps) for x in xs])
    agree(*_run(model, list(dims), [[x] for x in xs]),
          {d: [want[k]] for k, d in enumerate(dims)}, exact=False, exact_within=TINY)


def test_hash_is_scale_invariant_and_matches_only_equal_quotients():
    """phi(p, c) = phi(p/c, 1) (Cookbook Sec. 5.3.3: C/i and 1/i give the hash of C), and
    <h(q), h(k)> = 4 (h = 2 phi, phi a unit vector) exactly when q = k."""
    model = Model("hash", dims=("p", "c"))
    dims = norm.layer_norm_hash(model, "p", y="c")
    rows = [(F(3), F(1)), (F(3, 4), F(1, 4)), (F(2), F(1)), (F(-6), F(2))]
    want = _columns([_normalised([p / c, 1, -p / c, -1], 0) for p, c in rows])
    got_exact, got_float = _run(model, list(dims), rows)
    agree(got_exact, got_float, {d: [want[k]] for k, d in enumerate(dims)}, exact=False,
          exact_within=TINY)
    vectors = [[got_exact[d][0][k] for d in dims] for k in range(len(rows))]
    with mpmath.workprec(400):
        dot = [sum(_mp(a) * _mp(b) for a, b in zip(vectors[0], v, strict=True))
               for v in vectors]
        for d, (p, c) in zip(dot, rows, strict=True):  # 4 cos(angle of (3, 1), (p/c, 1))
            r = _mp(p / c)
            assert abs(d - 4 * (3 * r + 1) / mpmath.sqrt(10 * (r * r + 1))) < _mp(TINY)
    assert abs(dot[0] - 4) < _mp(TINY) and abs(dot[1] - 4) < _mp(TINY)
    assert dot[2] < 3.96 and dot[3] < 0


def test_position_hash_is_normalised_once_however_often_asked():
    model = Model("hash", dims=("x",))
    dims = norm.position_hash(model)
    assert norm.position_hash(model) == dims
    assert sum(1 for b in model.blocks if b.label.startswith("norm")) == 1
    want = _columns([_normalised([i, 1, -i, -1], 0) for i in range(6)])
    got_exact, got_float = run(model.build({d: {d: 1} for d in dims}, position="all"),
                               [[[F(0)]] * 6])
    agree(got_exact, got_float, {d: [want[k]] for k, d in enumerate(dims)}, exact=False,
          exact_within=TINY)


# -- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("call", "message"), [
    (lambda m: norm.layer_norm(m, ("a",)), r"norm.layer_norm: 1 direction\(s\); a layer norm "
                                           r"needs at least 2"),
    (lambda m: norm.layer_norm(m, ("a", "b"), epsilon=-1), r"epsilon -1 must be >= 0"),
    (lambda m: norm.layer_norm(m, ("a", "z")), r"directions \['z'\] are not in the stream"),
    (lambda m: norm.rms_norm(m, ()), r"norm.rms_norm: no direction given"),
    (lambda m: norm.sign(m, "a", clip=0), r"norm.sign: clip 0 must be > 0"),
    (lambda m: norm.sign(m, {1: 2}), r"norm.sign: the form \{1: 2\} reads no direction"),
    (lambda m: norm.layer_norm(m, ("a", "b"), epsilon=1e-5), r"1e-05 is not an exact number"),
    (lambda m: norm.magnitude(0, 1), r"norm.magnitude: margin 0 must be > 0"),
    (lambda m: norm.largest_epsilon(1, 2), r"target 2 in \(0, 1\]"),
])
def test_norm_refusals_name_the_block_and_the_value(call, message):
    with pytest.raises(LibraryError, match=message):
        call(Model("bad", dims=("a", "b")))
