"""Positional encodings: exact == torch float64 == an independent reference, at every position.

Each feature is read out at every position of inputs of several lengths. The
references are plain Python written from the definitions: Fractions for the
rational formulas, Gaussian-integer powers for the rotation, the half-integer
table of Niven's cosines from a float cosine, and mpmath at 300 bits (not
sympy, which the blocks use) for the rounded sinusoids. Outside their range
the features do what their docstrings say: a refusal when built, or an
`EvaluationError` when run (``(i + 1)/n`` at n = 0).
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from compilers.backends import make
from compilers.errors import EvaluationError
from compilers.ir import Hard, I
from compilers.library import LibraryError, Model, attention, positions
from tests.compilers.library.harness import agree, run

F = Fraction


def _read(model: Model, names, length: int, *, n: int | None = None):
    """Every feature in `names` at every position of one input of `length` zero vectors."""
    transformer = model.build({name: {name: 1} for name in names}, position="all")
    return run(transformer, [[[F(0)]] * length], n=n)


def _table(formula, length: int, n: int) -> list:
    return [[formula(i, n) for i in range(length)]]


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 12), st.integers(-3, 4).filter(bool), st.integers(1, 3))
def test_rational_features_at_every_position(length, exponent, offset):
    model = Model("positions", dims=("x",))
    features = {
        positions.index(model): lambda i, n: F(i),
        positions.inverse(model): lambda i, n: F(1, i + 1),
        positions.fraction(model): lambda i, n: F(i + 1, n),
        positions.alternating(model): lambda i, n: F(1 if i % 2 == 0 else -1),
        positions.power(model, exponent, offset=offset): lambda i, n: F(i + offset) ** exponent,
    }
    if exponent > 0:
        features[positions.power(model, exponent, offset=0)] = lambda i, n: F(i) ** exponent
    agree(*_read(model, list(features), length),
          {name: _table(f, length, length) for name, f in features.items()})


def test_features_see_the_length_the_run_states():
    """With n = 3 and 5 positions (a word between a BOS and an EOS), (i + 1)/n passes 1."""
    model = Model("positions", dims=("x",))
    share = positions.fraction(model)
    agree(*_read(model, [share], 5, n=3), {share: [[F(k, 3) for k in range(1, 6)]]})


@pytest.mark.parametrize("backend", ["exact", "torch"])
def test_fraction_is_refused_at_length_zero(backend):
    model = Model("positions", dims=("x",))
    share = positions.fraction(model)
    transformer = model.build({share: {share: 1}}, position="all")
    with pytest.raises(EvaluationError, match=r"i_over_n"):
        make(backend, transformer).forward([[[F(0)]] * 2], n=0)


def test_one_hot_positions_have_one_one_below_their_size():
    model = Model("positions", dims=("x",))
    hot = positions.one_hot(model, 3)
    agree(*_read(model, hot, 5),
          {name: [[F(int(i == k)) for i in range(5)]] for k, name in enumerate(hot)})


def test_asking_again_returns_the_same_feature_and_a_new_formula_is_refused():
    model = Model("positions", dims=("x",))
    assert positions.inverse(model) == positions.inverse(model)
    assert positions.power(model, 1, offset=0) == positions.index(model) == "i"
    assert len(model.features) == 2
    with pytest.raises(LibraryError, match=r"positions: feature 'i' is i, not i\*\*2"):
        positions.feature(model, "i", I ** 2)


# -- sinusoids with rational values, and the rotation ----------------------------------------


@pytest.mark.parametrize(("phase", "period"), [("cos", p) for p in (1, 2, 3, 4, 6)]
                         + [("sin", p) for p in (1, 2, 4)])
def test_sinusoids_of_niven_periods_are_rational_at_every_position(phase, period):
    model = Model("positions", dims=("x",))
    wave = positions.sinusoidal(model, period, phase=phase)
    function = math.cos if phase == "cos" else math.sin
    want = [F(round(2 * function(2 * math.pi * i / period)), 2) for i in range(13)]
    agree(*_read(model, [wave], 13), {wave: [want]})


@pytest.mark.parametrize("period", [5, 7, 8, 12])
def test_sinusoids_of_other_periods_are_refused_by_name(period):
    with pytest.raises(LibraryError, match=rf"positions.sinusoidal: cos\(2 pi i / {period}\) "
                                           r"is irrational .*positions.rounded_sinusoid"):
        positions.sinusoidal(Model("p", dims=("x",)), period)
    with pytest.raises(LibraryError, match=r"phase 'tan'; allowed: 'cos', 'sin'"):
        positions.sinusoidal(Model("p", dims=("x",)), 4, phase="tan")


def _gaussian_power(a: int, b: int, c: int, i: int) -> tuple[Fraction, Fraction]:
    """((a + b sqrt(-1)) / c)^i by repeated multiplication of Gaussian integers."""
    re, im = 1, 0
    for _ in range(i):
        re, im = re * a - im * b, re * b + im * a
    return F(re, c ** i), F(im, c ** i)


@pytest.mark.parametrize("triple", [(3, 4, 5), (5, 12, 13), (8, 15, 17)])
def test_rotation_is_the_power_of_a_rational_point_on_the_circle(triple):
    model = Model("positions", dims=("x",))
    cos, sin = positions.rotation(model, triple)
    points = [_gaussian_power(*triple, i) for i in range(9)]
    agree(*_read(model, [cos, sin], 9), {cos: [[p[0] for p in points]],
                                          sin: [[p[1] for p in points]]})
    assert all(x * x + y * y == 1 for x, y in points)
    assert len({p for p in points}) == len(points)  # the points never repeat


def test_rotation_refuses_what_is_not_a_pythagorean_triple():
    for triple in [(1, 1, 2), (3, 4), (0, 1, 1), (3.0, 4, 5)]:
        with pytest.raises(LibraryError, match=r"positions\.rotation: .* is not a"):
            positions.rotation(Model("p", dims=("x",)), triple)


# -- sinusoids rounded at a stated precision --------------------------------------------------


def _rounded(function, angle: mpmath.mpf, bits: int) -> Fraction:
    """floor(2^bits f(angle) + 1/2) / 2^bits with mpmath at 300 bits (bits <= 200 here)."""
    with mpmath.workprec(300):
        value = int(mpmath.floor(mpmath.ldexp(function(angle), bits) + mpmath.mpf(1) / 2))
    return F(value, 2 ** bits)


def _angle(frequency_numerator: int, frequency_denominator: int, i: int) -> mpmath.mpf:
    with mpmath.workprec(300):
        return mpmath.mpf(i * frequency_numerator) / frequency_denominator


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 9), st.integers(1, 7), st.sampled_from([8, 30, 64, 100]),
       st.integers(2, 9))
def test_rounded_sinusoid_is_the_sinusoid_rounded_to_the_stated_bits(p, q, bits, length):
    model = Model("positions", dims=("x",))
    cos, sin = positions.rounded_sinusoid(model, F(p, q), bits=bits)
    want = {cos: [[_rounded(mpmath.cos, _angle(p, q, i), bits) for i in range(length)]],
            sin: [[_rounded(mpmath.sin, _angle(p, q, i), bits) for i in range(length)]]}
    # float64 evaluates sin(i w) within ~ (i + 1) 2^-52, and below 53 bits may round that to
    # the neighbouring multiple of 2^-bits (see the docstring)
    agree(*_read(model, [cos, sin], length), want,
          tolerance=1e-13 if bits > 52 else 2.0 ** -bits + 1e-13)


def test_vaswani_sinusoids_are_pairs_of_falling_frequency():
    model = Model("positions", dims=("x",))
    names = positions.sinusoids(model, 4, base=100, bits=40)
    assert names == ("pe4_0_sin", "pe4_0_cos", "pe4_1_sin", "pe4_1_cos")
    with mpmath.workprec(300):
        frequencies = [mpmath.mpf(1), mpmath.mpf(1) / 10]  # 100^(-2k/4)
        want = {}
        for k, w in enumerate(frequencies):
            want[names[2 * k]] = [[_rounded(mpmath.sin, i * w, 40) for i in range(6)]]
            want[names[2 * k + 1]] = [[_rounded(mpmath.cos, i * w, 40) for i in range(6)]]
    agree(*_read(model, list(names), 6), want, tolerance=2.0 ** -40 + 1e-13)


def test_rounded_sinusoids_refuse_inexact_or_bad_arguments():
    model = Model("positions", dims=("x",))
    with pytest.raises(LibraryError, match=r"frequency 0.5; allowed: an exact positive real"):
        positions.rounded_sinusoid(model, 0.5)
    with pytest.raises(LibraryError, match=r"frequency -1; allowed"):
        positions.rounded_sinusoid(model, -1)
    with pytest.raises(LibraryError, match=r"bits 0; allowed: an integer 1 to 1024"):
        positions.rounded_sinusoid(model, 1, bits=0)
    with pytest.raises(LibraryError, match=r"width 3; allowed: an even integer >= 2"):
        positions.sinusoids(model, 3)
    with pytest.raises(LibraryError, match=r"base 1; allowed: an integer >= 2"):
        positions.sinusoids(model, 2, base=1)


@pytest.mark.parametrize(("p", "q", "length", "bits"), [(1, 1, 7, 64), (1, 10, 12, 64),
                                                        (7, 3, 9, 30)])
def test_sinusoid_gap_bounds_every_self_match_of_the_rounded_pairs(p, q, length, bits):
    """The rounded self-score beats every other score by the gap (checked on exact
    rationals from mpmath), and a hard head with that gap matches each position to
    itself on both backends."""
    gap = positions.sinusoid_gap(F(p, q), length, bits=bits)
    pairs = [(_rounded(mpmath.cos, _angle(p, q, i), bits),
              _rounded(mpmath.sin, _angle(p, q, i), bits)) for i in range(length)]
    for i, (ci, si) in enumerate(pairs):
        own = ci * ci + si * si
        assert all(own - (ci * cj + si * sj) >= gap
                   for j, (cj, sj) in enumerate(pairs) if j != i)
    model = Model("match", dims=("x",))
    cos, sin = positions.rounded_sinusoid(model, F(p, q), bits=bits)
    attention.attend(model, {"read": "x"}, scores=[(cos, cos), (sin, sin)],
                     kind=Hard(tie=None, gap=gap))
    transformer = model.build({"read": {"read": 1}}, position="all")
    xs = [F(3 * k - 7, k + 1) for k in range(length)]
    agree(*run(transformer, [[[x] for x in xs]]), {"read": [xs]})


def test_sinusoid_gap_is_refused_where_no_bound_is_positive():
    with pytest.raises(LibraryError, match=r"no positive gap for frequency pi/2 over 6 "
                                           r"positions at 64 bits"):
        positions.sinusoid_gap(sympy.pi / 2, 6)  # cos(4 pi/2) = 1: position 4 matches 0
    with pytest.raises(LibraryError, match=r"no positive gap .* at 8 bits"):
        positions.sinusoid_gap(F(1, 100), 5, bits=8)  # 1 - cos(1/100) < the rounding
    with pytest.raises(LibraryError, match=r"length 1; allowed: an integer >= 2"):
        positions.sinusoid_gap(1, 1)


# -- no positional encoding, and the refusals -----------------------------------------------


def test_no_positional_encoding_leaves_only_masks_and_tokens():
    model = Model("nope", tokens=("a", "b"))
    assert positions.none(model) == ()
    one = model.one()
    is_a = model.token_feature("is_a", {"a": 1})
    share = attention.uniform(model, is_a, mask="future")  # causal: #a / (i + 1)
    transformer = model.build({share: {share: 1}, one: {one: 1}}, position="all")
    assert transformer.positions is None
    agree(*run(transformer, [list("abaab")]),
          {share: [[F("abaab"[:i + 1].count("a"), i + 1) for i in range(5)]],
           one: [[F(1)] * 5]})
    with pytest.raises(LibraryError, match=r"positional feature 'i', but the model declared "
                                           r"no positional encoding"):
        positions.index(model)


def test_none_is_refused_after_a_feature():
    model = Model("late", dims=("x",))
    positions.inverse(model)
    with pytest.raises(LibraryError, match=r"positions.none: late already has positional "
                                           r"features \['inv_i'\]"):
        positions.none(model)


def test_vector_model_without_positions_needs_an_input_one():
    model = Model("vectors", dims=("x",))
    positions.none(model)
    with pytest.raises(LibraryError, match="has no constant direction; give it an input "
                                           "dim 'one'"):
        model.one()


@pytest.mark.parametrize(("call", "message"), [
    (lambda m: positions.power(m, 0), r"exponent 0; allowed: a non-zero integer"),
    (lambda m: positions.power(m, F(1, 2)), r"exponent Fraction\(1, 2\)"),
    (lambda m: positions.power(m, -1, offset=0), r"offset 0; allowed: an integer >= 0, >= 1 "
                                                 r"for a negative exponent"),
    (lambda m: positions.one_hot(m, 0), r"size 0; allowed: an integer >= 1"),
])
def test_positional_refusals_name_the_value(call, message):
    with pytest.raises(LibraryError, match=message):
        call(Model("p", dims=("x",)))
