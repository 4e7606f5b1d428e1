"""Feed-forward blocks: exact == torch float64 == an independent reference, in and out of range.

Each block is built into a model that reads vectors; every input of a grid
(and of hypothesis draws over the block's stated range) is one position of a
single sequence, so one forward pass per backend checks them all. The
references are plain Python on Fractions, written from the mathematics (an
interpolation by search, ``min``, ``max``, a truth table looked up, a product),
not from the blocks' weights. Outside its range each block is checked against
the value its docstring states, and each refusal by its message.
"""

from __future__ import annotations

import bisect
import itertools
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compilers.library import LibraryError, Model, ffn, size
from tests.compilers.library.harness import agree, run

F = Fraction
small = st.fractions(min_value=-8, max_value=8, max_denominator=12)


def _model(*dims: str) -> Model:
    return Model("ffn_test", dims=dims)


def _evaluate(model: Model, outputs, inputs) -> tuple[dict, dict]:
    """Every input vector is one position of one sequence."""
    transformer = model.build({o: {o: 1} for o in outputs}, position="all")
    return run(transformer, [[list(map(F, row)) for row in inputs]])


def _one_layer(model: Model) -> int:
    return sum(len(b.hidden) for b in model.blocks)


# -- piecewise-linear functions ------------------------------------------------------------


def _interpolate(points, t):
    """The continuous piecewise-linear function through `points`, extended by its end slopes."""
    xs = [p[0] for p in points]
    k = min(max(bisect.bisect_right(xs, t) - 1, 0), len(points) - 2)
    (x0, y0), (x1, y1) = points[k], points[k + 1]
    return y0 + (y1 - y0) * (t - x0) / (x1 - x0)


POINTS = [[(0, 0), (1, 1)], [(-1, 2), (0, 0), (2, 1), (3, 1)], [(0, 1), (1, 1), (2, 1)],
          [(-2, -1), (-1, 3), (0, -2), (F(1, 2), 5), (4, 4)]]
GRID = [F(k, 4) for k in range(-24, 25)]


@pytest.mark.parametrize("points", POINTS)
def test_piecewise_linear_is_exact_on_a_grid_and_beyond_its_breakpoints(points):
    model = _model("x")
    out = ffn.piecewise_linear(model, "x", points)
    assert _one_layer(model) <= len(points)
    want = [_interpolate([(F(a), F(b)) for a, b in points], t) for t in GRID]
    agree(*_evaluate(model, [out], [[t] for t in GRID]), {out: [want]})


@st.composite
def _breakpoints(draw):
    xs = sorted(set(draw(st.lists(small, min_size=2, max_size=6))))
    if len(xs) < 2:
        xs = [xs[0], xs[0] + 1]
    return [(x, draw(small)) for x in xs]


@settings(max_examples=25, deadline=None)
@given(_breakpoints(), st.lists(st.fractions(min_value=-12, max_value=12, max_denominator=9),
                                min_size=1, max_size=8))
def test_piecewise_linear_matches_the_interpolation_on_random_breakpoints(points, inputs):
    model = _model("x")
    out = ffn.piecewise_linear(model, {"x": 1}, points)
    agree(*_evaluate(model, [out], [[t] for t in inputs]),
          {out: [[_interpolate(points, t) for t in inputs]]})


def test_piecewise_linear_refuses_bad_breakpoints_by_name():
    model = _model("x")
    with pytest.raises(LibraryError, match=r"ffn.piecewise_linear: 1 breakpoint\(s\)"):
        ffn.piecewise_linear(model, "x", [(0, 0)])
    with pytest.raises(LibraryError, match="breakpoints must increase, got x = 1 then 1"):
        ffn.piecewise_linear(model, "x", [(0, 0), (1, 1), (1, 2)])
    with pytest.raises(LibraryError, match=r"0\.5 is not an exact number"):
        ffn.piecewise_linear(model, "x", [(0, 0), (0.5, 1)])
    with pytest.raises(LibraryError, match=r"directions \['z'\] are not in the stream"):
        ffn.piecewise_linear(model, "z", [(0, 0), (1, 1)])


def test_clamp_and_the_comparators_on_a_grid():
    model = _model("x")
    clamp = ffn.clamp(model, "x", -1, F(3, 2))
    ge = ffn.greater_equal(model, "x", 1, tolerance=F(1, 2))
    gt = ffn.greater(model, "x", 1, tolerance=F(1, 2))
    eq = ffn.equal(model, "x", 1, tolerance=F(1, 2))

    def ramp(t):  # 0 below 0, 1 above 1, linear between
        return min(max(t, F(0)), F(1))

    want = {clamp: [[min(max(t, F(-1)), F(3, 2)) for t in GRID]],
            ge: [[ramp((t - F(1, 2)) * 2) for t in GRID]],
            gt: [[ramp((t - 1) * 2) for t in GRID]],
            eq: [[max(F(0), 1 - abs(t - 1) * 2) for t in GRID]]}
    agree(*_evaluate(model, list(want), [[t] for t in GRID]), want)
    assert [want[ge][0][GRID.index(t)] for t in (F(1, 2), 1, 2)] == [0, 1, 1]
    assert [want[gt][0][GRID.index(t)] for t in (1, F(3, 2), 2)] == [0, 1, 1]


def test_comparators_refuse_a_tolerance_that_is_not_positive():
    with pytest.raises(LibraryError, match=r"ffn.greater_equal: tolerance 0 must be > 0"):
        ffn.greater_equal(_model("x"), "x", tolerance=0)
    with pytest.raises(LibraryError, match=r"ffn\.clamp: low 2 must be below high 1"):
        ffn.clamp(_model("x"), "x", 2, 1)


# -- identity, sums, clearing ------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(small, small), min_size=1, max_size=10))
def test_identity_add_subtract_and_linear_are_exact_for_every_real(pairs):
    model = _model("x", "y")
    copy = ffn.identity(model, "x")
    total = ffn.add(model, "x", {"y": 2, 1: -1})
    difference = ffn.subtract(model, "x", "y")
    affine = ffn.linear(model, {"x": F(1, 3), "y": -5, 1: 7})
    assert size(model.build({copy: {copy: 1}}, position="all")).hidden == 8
    want = {copy: [[x for x, _ in pairs]], total: [[x + 2 * y - 1 for x, y in pairs]],
            difference: [[x - y for x, y in pairs]],
            affine: [[x / 3 - 5 * y + 7 for x, y in pairs]]}
    agree(*_evaluate(model, list(want), pairs), want)


def test_linear_refuses_a_form_without_a_direction():
    with pytest.raises(LibraryError, match=r"ffn.linear: the form \{1: 3\} reads no direction"):
        ffn.linear(_model("x"), {1: 3})
    with pytest.raises(LibraryError, match="form key 2 is neither a direction nor 1"):
        ffn.linear(_model("x"), {2: 3})


def test_clear_in_a_parallel_layer_replaces_a_direction():
    """Sec. 4.2: x + (-x) + f(x) = f(x) in one MLP."""
    model = _model("x", "y")
    with model.parallel():
        ffn.clear(model, "x", "y")
        ffn.piecewise_linear(model, "x", [(0, 0), (1, 3)], out="x")
    assert len(model.blocks) == 1
    inputs = [(F(k, 3), F(5 - k)) for k in range(-4, 5)]
    agree(*_evaluate(model, ["x", "y"], inputs),
          {"x": [[3 * x for x, _ in inputs]], "y": [[F(0)] * len(inputs)]})


# -- min and max --------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 3, 5])
def test_minimum_and_maximum_of_several_forms(count):
    dims = tuple(f"x{k}" for k in range(count))
    model = _model(*dims)
    low = ffn.minimum(model, *dims)
    high = ffn.maximum(model, *dims[:-1], {dims[-1]: 1, 1: F(1, 2)})
    layers = (count - 1).bit_length()
    assert len(model.blocks) == 2 * layers
    inputs = [tuple(F((7 * k + 3 * j) % 11 - 5, 1 + j % 3) for j in range(count))
              for k in range(12)]
    want = {low: [[min(row) for row in inputs]],
            high: [[max(*row[:-1], row[-1] + F(1, 2)) for row in inputs]]}
    agree(*_evaluate(model, list(want), inputs), want)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(small, small, small), min_size=1, max_size=8))
def test_minimum_and_maximum_on_random_inputs(rows):
    model = _model("a", "b", "c")
    pair_min, pair_max = ffn.minimum(model, "a", "b"), ffn.maximum(model, "b", "c")
    triple = ffn.maximum(model, "a", "b", "c")
    want = {pair_min: [[min(a, b) for a, b, _ in rows]],
            pair_max: [[max(b, c) for _, b, c in rows]], triple: [[max(r) for r in rows]]}
    agree(*_evaluate(model, list(want), rows), want)


# -- several variables: the lattice (max of mins) -----------------------------------------------


def _affine(coefficients, row):
    """c_0 + sum c_k x_k on the row's values."""
    return coefficients[0] + sum(c * x for c, x in zip(coefficients[1:], row, strict=True))


@pytest.mark.parametrize("shape", [(1, 2), (2, 1), (3, 1), (2, 2), (3, 3), (1, 5), (4, 2)])
@settings(max_examples=10, deadline=None)
@given(st.data())
def test_lattice_is_the_max_of_mins_of_its_affine_pieces(shape, data):
    groups, per_group = shape
    coefficients = st.tuples(small, small, small, small)
    pieces = [[data.draw(coefficients) for _ in range(per_group)] for _ in range(groups)]
    rows = data.draw(st.lists(st.tuples(small, small, small), min_size=1, max_size=6))
    model = _model("a", "b", "c")
    out = ffn.lattice(model, [[{"a": c[1], "b": c[2], "c": c[3], 1: c[0]} for c in group]
                              for group in pieces])
    layers = (per_group - 1).bit_length() + (groups - 1).bit_length()
    assert len(model.blocks) == layers
    want = [max(min(_affine(c, row) for c in group) for group in pieces) for row in rows]
    agree(*_evaluate(model, [out], rows), {out: [want]})


def test_lattice_builds_the_median_and_the_l1_norm():
    model = _model("a", "b", "c")
    median = ffn.lattice(model, [["a", "b"], ["b", "c"], ["a", "c"]])
    l1 = ffn.lattice(model, [[{"a": sa, "b": sb}] for sa in (1, -1) for sb in (1, -1)])
    rows = [tuple(F(v) for v in row) for row in itertools.product((-2, 0, F(1, 2), 3),
                                                                  repeat=3)]
    want = {median: [[sorted(row)[1] for row in rows]], l1: [[abs(a) + abs(b)
                                                             for a, b, _ in rows]]}
    agree(*_evaluate(model, list(want), rows), want)


def test_lattice_refuses_what_is_not_a_lattice():
    with pytest.raises(LibraryError, match=r"ffn\.lattice: a single affine form is not a "
                                           r"lattice; use ffn\.linear"):
        ffn.lattice(_model("a"), [["a"]])
    with pytest.raises(LibraryError, match=r"ffn\.lattice: pieces \[\['a'\], \[\]\]; every "
                                           r"group needs at least one form"):
        ffn.lattice(_model("a"), [["a"], []])
    with pytest.raises(LibraryError, match=r"ffn\.lattice: pieces must be a list of lists"):
        ffn.lattice(_model("a"), [3])
    model = _model("a", "b", "c")
    with model.parallel(), pytest.raises(LibraryError, match=r"ffn\.maximum: needs 2 layers; "
                                                            r"model\.parallel\(\) merges one"):
        ffn.maximum(model, "a", "b", "c")
    with model.parallel(), pytest.raises(LibraryError, match=r"ffn\.lattice: needs 2 layers"):
        ffn.lattice(model, [["a", "b"], ["c"]])


def test_skip_is_the_zero_feed_forward_layer():
    model = _model("x", "y")
    assert ffn.skip(model) == ()
    (block,) = model.blocks
    assert len(block.hidden) == 1
    rows = [(F(3), F(-1)), (F(1, 2), F(7))]
    agree(*_evaluate(model, ["x", "y"], rows), {"x": [[F(3), F(1, 2)]], "y": [[F(-1), F(7)]]})


def test_minimum_needs_two_forms():
    with pytest.raises(LibraryError, match=r"ffn.minimum: 1 form\(s\); needs at least 2"):
        ffn.minimum(_model("x"), "x")


# -- Boolean functions ----------------------------------------------------------------------------

ENCODE = {"01": {False: F(0), True: F(1)}, "pm1": {False: F(-1), True: F(1)}}


def _stated_table(table, encoding, inputs):
    """The documented value on any input: c + sum_ξ (φ(ξ) - c) relu((2ξ - 1).b - |ξ| + 1)."""
    values = list(table.values())
    common = max(dict.fromkeys(values), key=values.count)
    bits = [x if encoding == "01" else (x + 1) / 2 for x in inputs]
    total = common
    for row, value in table.items():
        pre = sum((b if bit else -b) for b, bit in zip(bits, row, strict=True)) - sum(row) + 1
        total += (value - common) * max(pre, F(0))
    return total


@pytest.mark.parametrize("encoding", ["01", "pm1"])
@pytest.mark.parametrize("m", [1, 2])
def test_every_truth_table_of_one_and_two_inputs_is_exact_on_booleans(encoding, m):
    rows = list(itertools.product((False, True), repeat=m))
    dims = tuple(f"b{k}" for k in range(m))
    model = _model(*dims)
    outs, tables = [], []
    for outputs in itertools.product((False, True), repeat=len(rows)):
        table = dict(zip(rows, outputs, strict=True))
        tables.append(table)
        outs.append(ffn.truth_table(model, dims, table, encoding=encoding))
    inputs = [[ENCODE[encoding][bit] for bit in row] for row in rows]
    want = {out: [[ENCODE[encoding][table[row]] for row in rows]]
            for out, table in zip(outs, tables, strict=True)}
    agree(*_evaluate(model, outs, inputs), want)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 4), st.data())
def test_random_truth_tables_with_numeric_values_in_and_out_of_range(m, data):
    encoding = data.draw(st.sampled_from(["01", "pm1"]))
    rows = list(itertools.product((False, True), repeat=m))
    table = {row: data.draw(st.sampled_from([F(0), F(1), F(-2), F(5, 3)])) for row in rows}
    dims = tuple(f"b{k}" for k in range(m))
    model = _model(*dims)
    out = ffn.truth_table(model, dims, table, encoding=encoding)
    values = list(table.values())
    assert len(model.blocks[0].hidden) == max(1, len(rows) - values.count(
        max(dict.fromkeys(values), key=values.count)))
    boolean = [[ENCODE[encoding][bit] for bit in row] for row in rows]
    other = data.draw(st.lists(st.lists(small, min_size=m, max_size=m), max_size=4))
    want = [table[row] for row in rows] + [_stated_table(table, encoding, x) for x in other]
    agree(*_evaluate(model, [out], boolean + other), {out: [want]})


@pytest.mark.parametrize("encoding", ["01", "pm1"])
def test_not_and_or_take_one_unit_each(encoding):
    model = _model("a", "b", "c")
    ops = {ffn.not_(model, "a", encoding=encoding): lambda a, b, c: not a,
           ffn.and_(model, "a", "b", "c", encoding=encoding): lambda a, b, c: a and b and c,
           ffn.or_(model, "a", "b", encoding=encoding): lambda a, b, c: a or b}
    assert [len(block.hidden) for block in model.blocks] == [1, 1, 1]
    rows = list(itertools.product((False, True), repeat=3))
    want = {out: [[ENCODE[encoding][bool(f(*row))] for row in rows]] for out, f in ops.items()}
    agree(*_evaluate(model, list(ops), [[ENCODE[encoding][b] for b in row] for row in rows]),
          want)


def test_truth_table_refusals_name_the_block_and_the_value():
    model = _model("a", "b")
    with pytest.raises(LibraryError, match=r"ffn.truth_table: the table has no value for "
                                           r"\(True, True\)"):
        ffn.truth_table(model, ["a", "b"], {(False, False): 1, (False, True): 0,
                                            (True, False): 0})
    with pytest.raises(LibraryError, match=r"ffn.truth_table: encoding 'bits'; allowed"):
        ffn.truth_table(model, ["a"], {(False,): 1, (True,): 0}, encoding="bits")
    with pytest.raises(LibraryError, match=r"ffn\.truth_table: 13 inputs; allowed: 1 to 12"):
        ffn.truth_table(model, ["a"] * 13, lambda *bits: True)


# -- conditionals and products ------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.booleans(), small, small), min_size=1, max_size=10),
       st.sampled_from(["01", "pm1"]))
def test_if_then_else_is_exact_for_bounded_values(rows, encoding):
    model = _model("b", "x", "y")
    out = ffn.if_then_else(model, "b", "x", "y", low=-8, high=8, encoding=encoding)
    assert len(model.blocks[0].hidden) == 2
    inputs = [(ENCODE[encoding][b], x, y) for b, x, y in rows]
    agree(*_evaluate(model, [out], inputs), {out: [[x if b else y for b, x, y in rows]]})


def test_if_then_else_outside_its_range_gives_its_stated_formula():
    model = _model("b", "x", "y")
    out = ffn.if_then_else(model, "b", "x", "y", low=0, high=1)
    inputs = [(1, 3, 0), (0, 0, -2), (F(1, 2), F(1, 2), F(1, 2)), (1, F(1, 2), 4)]

    def stated(b, x, y):  # relu(x - low - W(1 - b)) + relu(y - low - W b) + low
        return max(F(x) - (1 - F(b)), F(0)) + max(F(y) - F(b), F(0))

    agree(*_evaluate(model, [out], inputs), {out: [[stated(*row) for row in inputs]]})


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.booleans(), small), min_size=1, max_size=10),
       st.sampled_from(["01", "pm1"]))
def test_boolean_times_a_bounded_value(rows, encoding):
    model = _model("b", "x")
    out = ffn.boolean_times(model, "b", "x", bound=8, encoding=encoding)
    inputs = [(ENCODE[encoding][b], x) for b, x in rows]
    agree(*_evaluate(model, [out], inputs), {out: [[x if b else F(0) for b, x in rows]]})


def test_boolean_times_outside_its_range_gives_its_stated_formula():
    """relu(x - B (1 - b)) - relu(-x - B (1 - b)) with B = 2: a value above the bound leaks
    through b = 0, a fractional b scales."""
    model = _model("b", "x")
    out = ffn.boolean_times(model, "b", "x", bound=2)
    inputs = [(0, 5), (0, -3), (F(1, 2), 2), (1, 9), (F(1, 4), -1)]

    def stated(b, x):
        off = 2 * (1 - F(b))
        return max(F(x) - off, F(0)) - max(-F(x) - off, F(0))

    want = [stated(*row) for row in inputs]
    agree(*_evaluate(model, [out], inputs), {out: [want]})
    assert want[:2] == [3, -1]  # out of range: not 0


def test_conditionals_refuse_bad_bounds():
    with pytest.raises(LibraryError, match=r"ffn\.if_then_else: low 2 is above high 1"):
        ffn.if_then_else(_model("b", "x", "y"), "b", "x", "y", low=2, high=1)
    with pytest.raises(LibraryError, match=r"ffn\.boolean_times: bound -1 must be >= 0"):
        ffn.boolean_times(_model("b", "x"), "b", "x", bound=-1)


def _square_interpolation(t, low, high):
    """t^2 at the integers low..high, linear between and continued linearly beyond."""
    points = [(F(k), F(k * k)) for k in range(low, high + 1)]
    return _interpolate(points, F(t))


@pytest.mark.parametrize(("x_range", "y_range"), [((0, 3), (0, 3)), ((-3, 2), (-1, 4)),
                                                  ((-5, -1), (2, 3))])
def test_integer_product_is_exact_on_every_pair_in_range(x_range, y_range):
    model = _model("x", "y")
    out = ffn.integer_product(model, "x", "y", x_range=x_range, y_range=y_range)
    widths = (x_range[1] - x_range[0]) + (y_range[1] - y_range[0])
    assert len(model.blocks[0].hidden) <= 2 * widths + 2
    pairs = list(itertools.product(range(x_range[0], x_range[1] + 1),
                                   range(y_range[0], y_range[1] + 1)))
    agree(*_evaluate(model, [out], pairs), {out: [[F(x * y) for x, y in pairs]]})


def test_integer_product_outside_its_range_gives_its_stated_formula():
    model = _model("x", "y")
    out = ffn.integer_product(model, "x", "y", x_range=(0, 2), y_range=(0, 2))
    inputs = [(3, 2), (-1, 1), (F(1, 2), F(3, 2)), (2, 5)]
    want = [(_square_interpolation(x + y, 0, 4) - _square_interpolation(F(x) - y, -2, 2)) / 4
            for x, y in inputs]
    agree(*_evaluate(model, [out], inputs), {out: [want]})
    assert want[0] != 6  # out of range: not the product


def test_integer_product_refuses_ranges_that_are_not_integer_pairs():
    with pytest.raises(LibraryError, match=r"ffn.integer_product x_range: \(2, 2\) must be "
                                           "integers low < high"):
        ffn.integer_product(_model("x", "y"), "x", "y", x_range=(2, 2), y_range=(0, 1))
    with pytest.raises(LibraryError, match="y_range: 3 is not a pair"):
        ffn.integer_product(_model("x", "y"), "x", "y", x_range=(0, 2), y_range=3)
