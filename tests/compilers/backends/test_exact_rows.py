"""The exact backend's integer arithmetic against plain per-entry `Fraction` arithmetic.

The oracle here is a direct evaluation of the IR with one `Fraction` per
entry (dense maps, the softmax exponentials rounded as the exact backend's
docstring states: ``exp(mpf(scale) * mpf(s_j - s_max))`` at `precision_bits`,
then normalised exactly). `ExactModel` must give the very same rationals after
every block, on random transformers and on the SUBLEQ loop. Positional
features evaluated without sympy must be sympy's exact values.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from compilers.backends.common import (
    EvaluationError,
    exact_feature,
    exact_sqrt,
    to_fraction_exact,
)
from compilers.backends.exact import ExactModel, _maxima
from compilers.backends.exact_rows import (
    IntMap,
    add_into,
    common,
    from_values,
    reduce,
    relu,
    to_values,
)
from compilers.constructions import subleq
from compilers.ir import MLP, Attention, AverageHard, Hard, I, LayerNorm, N, Softmax
from compilers.ir.strategies import TOKENS, transformers
from languages import subleq as reference

fractions = st.fractions(min_value=-50, max_value=50, max_denominator=12)
matrices = st.integers(1, 4).flatmap(lambda rows: st.integers(0, 4).flatmap(
    lambda cols: st.lists(st.lists(fractions, min_size=cols, max_size=cols),
                          min_size=rows, max_size=rows)))


def _array(rows) -> np.ndarray:
    out = np.empty((len(rows), len(rows[0])), dtype=object)
    for p, row in enumerate(rows):
        for c, v in enumerate(row):
            out[p, c] = Fraction(v)
    return out


# -- the arithmetic ------------------------------------------------------------------------


@given(matrices)
def test_rows_round_trip_and_reduce_keep_every_rational(rows):
    x = _array(rows)
    assert (to_values(from_values(x)) == x).all()
    assert (to_values(reduce(from_values(x))) == x).all()
    num, d = common(from_values(x))
    assert [[Fraction(v, d) for v in row] for row in num.tolist()] == x.tolist()


@settings(max_examples=25)
@given(matrices, st.data())
def test_integer_map_with_bias_and_relu_equals_fraction_matrix_product(rows, data):
    x = _array(rows)
    width = x.shape[1]
    out = data.draw(st.integers(1, 3))
    weights = data.draw(st.lists(st.lists(fractions, min_size=width, max_size=width),
                                 min_size=out, max_size=out))
    bias = data.draw(st.lists(fractions, min_size=out, max_size=out))
    triples = [(r, c, v) for r, row in enumerate(weights) for c, v in enumerate(row) if v]
    got = to_values(relu(IntMap(triples, out, dict(enumerate(bias)))(from_values(x))))
    for p in range(x.shape[0]):
        for r in range(out):
            want = sum((weights[r][c] * x[p, c] for c in range(width)), Fraction(0)) + bias[r]
            assert got[p, r] == max(want, 0)


@settings(max_examples=25)
@given(matrices, st.data())
def test_adding_into_columns_equals_fraction_addition(rows, data):
    x = _array(rows)
    if x.shape[1] == 0:
        return
    columns = data.draw(st.lists(st.integers(0, x.shape[1] - 1), min_size=1, max_size=3,
                                 unique=True))
    delta = data.draw(st.lists(st.lists(fractions, min_size=len(columns),
                                        max_size=len(columns)),
                               min_size=x.shape[0], max_size=x.shape[0]))
    got = to_values(add_into(from_values(x), [(np.array(columns), from_values(_array(delta)))]))
    want = x.copy()
    for p in range(x.shape[0]):
        for k, c in enumerate(columns):
            want[p, c] += Fraction(delta[p][k])
    assert (got == want).all()


@given(st.lists(st.tuples(st.integers(-10**40, 10**40), st.integers(1, 10**40)), min_size=1,
                max_size=8), st.data())
def test_maxima_are_the_exact_argmax_set_even_where_floats_tie(pairs, data):
    # near-ties that float64 cannot tell apart, and equal values in other terms
    base = data.draw(st.sampled_from(pairs))
    k = data.draw(st.integers(1, 5))
    pairs = [*pairs, (base[0] * k, base[1] * k), (base[0] * 10**30 + 1, base[1] * 10**30)]
    raw = np.array([r for r, _ in pairs], dtype=object)
    dens = np.array([d for _, d in pairs], dtype=object)
    values = [Fraction(r, d) for r, d in pairs]
    assert _maxima(raw, dens) == [j for j, v in enumerate(values) if v == max(values)]
    assert _maxima(raw, None) == [j for j, (r, _) in enumerate(pairs)
                                  if r == max(r for r, _ in pairs)]


# -- whole models against a per-entry Fraction oracle ------------------------------------


def _linear(matrix, x: np.ndarray, rows: dict, cols: dict) -> np.ndarray:
    """``x @ M.T`` entry by entry in Fractions (M sparse: only its entries are visited)."""
    out = np.full((x.shape[0], len(rows)), Fraction(0), dtype=object)
    for (r, c), v in matrix.entries.items():
        for p in range(x.shape[0]):
            out[p, rows[r]] += Fraction(v) * x[p, cols[c]]
    return out


def _softmax(scores: list, scale, n: int, bits: int) -> list:
    with mpmath.workprec(bits):
        value = sympy.N(scale.xreplace({N: sympy.Integer(n)}), int(bits * 0.302) + 10)
        factor = mpmath.mpf(str(value))
        best = max(scores)
        powers = [Fraction(1) if s == best else to_fraction_exact(mpmath.exp(
            factor * (mpmath.mpf((s - best).numerator) / (s - best).denominator)))
            for s in scores]
    return [p / sum(powers) for p in powers]


def _oracle_block(block, x: np.ndarray, index: dict, n: int, bits: int) -> np.ndarray:
    """One block in per-entry Fractions (self-attention only)."""
    if isinstance(block, MLP):
        hidden = {h: k for k, h in enumerate(block.hidden)}
        b_in = np.array([Fraction(block.b_in.get(h, 0)) for h in block.hidden], dtype=object)
        b_out = np.array([Fraction(block.b_out.get(d, 0)) for d in index], dtype=object)
        h = _linear(block.w_in, x, hidden, index) + b_in
        h = np.where(h > 0, h, Fraction(0))
        return x + _linear(block.w_out, h, index, hidden) + b_out
    if isinstance(block, LayerNorm):
        x = x.copy()
        cols = [index[d] for d in block.dims]
        for p in range(x.shape[0]):
            values = [x[p, c] for c in cols]
            mean = sum(values) / len(values)
            var = sum((v - mean) ** 2 for v in values) / len(values) + block.epsilon
            for c, v, d in zip(cols, values, block.dims, strict=True):
                x[p, c] = (block.gain.get(d, 0) * (v - mean) / exact_sqrt(var, bits)
                           + block.bias.get(d, 0))
        return x
    assert isinstance(block, Attention)
    out = x.copy()
    for head in block.heads:
        local = {d: k for k, d in enumerate(head.query.rows)}
        q, k = _linear(head.query, x, local, index), _linear(head.key, x, local, index)
        v = _linear(head.value, x, index, index)
        for i in range(x.shape[0]):
            seen = [j for j in range(x.shape[0]) if SEES[head.mask](i, j)]
            if not seen:  # a strict mask at an end: the head adds nothing
                continue
            scores = [sum((q[i, d] * k[j, d] for d in range(len(local))), Fraction(0))
                      for j in seen]
            if head.score == "neg_abs_dot":
                scores = [-abs(s) for s in scores]
            kind = head.kind
            if not isinstance(kind, Hard) and not (head.query.entries and head.key.entries):
                weights = [Fraction(1, len(seen))] * len(seen)
            elif isinstance(kind, Softmax):
                weights = _softmax(scores, kind.scale, n, bits)
            else:
                winners = [j for j, s in enumerate(scores) if s == max(scores)]
                if isinstance(kind, Hard):
                    winners = [winners[0] if kind.tie == "first" else winners[-1]]
                assert isinstance(kind, Hard | AverageHard)
                weights = [Fraction(int(j in winners), len(winners)) for j in range(len(seen))]
            for j, w in zip(seen, weights, strict=True):
                out[i] += w * v[j]
    return out


SEES = {"none": lambda i, j: True, "causal": lambda i, j: j <= i,
        "strict_causal": lambda i, j: j < i, "anticausal": lambda i, j: j >= i,
        "strict_anticausal": lambda i, j: j > i}
"""Which keys j a query at i sees, per mask (the IR's documented semantics, restated)."""


@settings(max_examples=30)
@given(transformers(), st.lists(st.sampled_from(TOKENS), min_size=1, max_size=5))
def test_every_block_equals_per_entry_fraction_arithmetic_on_random_transformers(model,
                                                                                  word):
    exact = ExactModel(model)
    run = exact.forward(word, n=len(word), record=True)
    x = exact.embed(word, range(len(word)), len(word))
    for block, (label, stream) in zip(model.blocks, run.record, strict=True):
        x = _oracle_block(block, x, exact.index, len(word), exact.bits)
        assert label == block.label
        assert (stream == x).all(), label


def test_subleq_loop_equals_per_entry_fraction_arithmetic_block_by_block():
    # softmax with scale n, keys over many different denominators, large MLPs
    text = (Path(__file__).parents[3] / "examples" / "programs" / "multiply.giannou").read_text()
    program = reference.parse_program(text, semantics="giannou", bits=8)
    construction = subleq.build(program)
    n = construction.layout.columns
    exact = ExactModel(construction.transformer, precision_bits=128)
    x = exact.embed([[int(v) for v in row] for row in construction.layout.punchcard(program)],
                    range(n), n)
    for _ in range(2):
        record: list = []
        stepped = exact.step(x, n=n, record=record)
        for block, (label, stream) in zip(construction.transformer.blocks, record, strict=True):
            x = _oracle_block(block, x, exact.index, n, exact.bits)
            assert (stream == x).all(), label
        assert (stepped == x).all()


def test_remembered_softmax_exponentials_change_no_bit():
    text = (Path(__file__).parents[3] / "examples" / "programs" / "multiply.giannou").read_text()
    program = reference.parse_program(text, semantics="giannou", bits=8)
    construction = subleq.build(program)
    n = construction.layout.columns
    warm = ExactModel(construction.transformer, precision_bits=128)
    x = warm.embed([[int(v) for v in row] for row in construction.layout.punchcard(program)],
                   range(n), n)
    for _ in range(3):
        x = warm.step(x, n=n)
    fresh = ExactModel(construction.transformer, precision_bits=128)
    assert warm._powers and (warm.step(x, n=n) == fresh.step(x, n=n)).all()


@pytest.mark.parametrize("formula", [1 / (I + 1), (I + 1) ** -2, I % 3, I / N, sympy.Integer(1),
                                     (I - N / 2) ** 3 / (N + 1), sympy.Mod(I * N + 1, N + 2),
                                     sympy.cos(sympy.pi * I), sympy.floor(I / 2)])
def test_positional_features_are_sympys_exact_rationals(formula):
    for i in range(10):
        for n in range(1, 6):
            value = formula.xreplace({I: sympy.Integer(i), N: sympy.Integer(n)})
            assert exact_feature(formula, i, n, where="f") == Fraction(int(value.p),
                                                                      int(value.q))


def test_a_positional_division_by_zero_is_still_named():
    with pytest.raises(EvaluationError, match=r"f: formula 1/\(i - 2\) is zoo at i=2, n=3"):
        exact_feature(1 / (I - 2), 2, 3, where="f")


def test_a_float_in_the_stream_is_refused_naming_it():
    x = np.array([[Fraction(1, 2), 0.5]], dtype=object)
    with pytest.raises(EvaluationError, match=r"stream entry 0.5 at position 0 is not a rational"):
        from_values(x)
