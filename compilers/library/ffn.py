"""Feed-forward blocks: the Cookbook's Chapter 4, exact ReLU MLPs.

Yang et al. 2026, "The Transformer Cookbook", Sec. 4. Every block here adds
one MLP ``x += W_out relu(W_in x + b_in) + b_out`` (`minimum` and `maximum` of
more than two forms add a few) whose weights are rationals, so that its value
is computed exactly by the exact backend; a float backend rounds each product
and sum once. Inputs are *forms* (a direction, or ``{direction: coefficient,
1: constant}``; `compilers.library.model`). Sizes count hidden units.

Blocks: `piecewise_linear` and `clamp` (one variable), `lattice` (several),
`skip` (the zero FFN), `identity`, `linear`, `add`, `subtract`, `clear`,
`minimum`, `maximum`, the comparators `greater_equal`, `greater`, `equal`,
the Boolean `truth_table`, `not_`, `and_`, `or_`, `if_then_else`,
`boolean_times` and `integer_product`.

Boolean values are 0/1 (``encoding="01"``) or -1/+1 (``encoding="pm1"``)
(Sec. 3.1). A block that assumes Boolean or bounded inputs states the value
it computes on any other input (its ReLU formula); a refusal is raised only
when the block is built (a bad breakpoint, bound or table), as a
`LibraryError` naming the block and the value.

The ReLU gadgets these blocks are made of (identity, replace, clear, robust
steps, gating) are `compilers.library.model.Units` methods.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Any

from compilers.errors import CompileError
from compilers.library.model import Form, LibraryError, Model, Units, number, split

ENCODINGS = ("01", "pm1")
MAX_INPUTS = 12  # a truth table has 2^m rows; beyond this, build it from smaller tables


def _read(model: Model, value: Form, *, where: str) -> tuple[dict, Fraction]:
    """A form's linear part and constant, every direction checked to be in the stream."""
    try:
        terms, constant = split(value, where=where)
    except CompileError as error:
        raise LibraryError(str(error)) from None
    model.require(*terms, where=where)
    return terms, constant


def _sum(*parts: tuple[Any, tuple[dict, Fraction]]) -> dict:
    """``sum coef * form`` as one form (constant under the key 1)."""
    out: dict = {}
    for coef, (terms, constant) in parts:
        for key, w in [*terms.items(), (1, constant)]:
            out[key] = out.get(key, Fraction(0)) + coef * w
    return {k: v for k, v in out.items() if v}


def _encoding(encoding: str, *, where: str) -> None:
    if encoding not in ENCODINGS:
        raise LibraryError(f"{where}: encoding {encoding!r}; allowed: {ENCODINGS}")


def _as_01(terms: dict, constant: Fraction, encoding: str) -> tuple[dict, Fraction]:
    """A Boolean form in the 0/1 encoding: b itself, or ``(b + 1) / 2`` for ±1."""
    if encoding == "01":
        return terms, constant
    return {d: w / 2 for d, w in terms.items()}, (constant + 1) / 2


# -- piecewise-linear functions (Sec. 4.1) ------------------------------------------


def cpwl_terms(units: Units, terms: dict, constant: Fraction,
               points: Sequence[tuple[Fraction, Fraction]]) -> tuple[list, Fraction]:
    """The units of ``f(t)`` for ``t = terms . x + constant`` and the piecewise-linear f
    through `points` (checked, increasing): ``(unit terms, constant)`` with
    ``f(t) = y_1 + m_1 relu(t - x_1) - m_1 relu(x_1 - t)
    + sum_{k=2}^{K-1} (m_k - m_{k-1}) relu(t - x_k)``."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    slopes = [(ys[k + 1] - ys[k]) / (xs[k + 1] - xs[k]) for k in range(len(xs) - 1)]
    out = []

    def shifted(sign: int, at: Fraction):  # relu(sign * (t - at))
        return units.unit({d: sign * w for d, w in terms.items()}, sign * (constant - at))

    if slopes[0]:
        out += [(shifted(1, xs[0]), slopes[0]), (shifted(-1, xs[0]), -slopes[0])]
    for k in range(1, len(xs) - 1):
        change = slopes[k] - slopes[k - 1]
        if change:
            out.append((shifted(1, xs[k]), change))
    return out, ys[0]


def _points(points, *, where: str) -> list[tuple[Fraction, Fraction]]:
    try:
        pairs = [(x, y) for x, y in points]
    except (TypeError, ValueError):
        raise LibraryError(f"{where}: points must be (x, y) pairs, got {points!r}") from None
    clean = [(number(x, where=where), number(y, where=where)) for x, y in pairs]
    if len(clean) < 2:
        raise LibraryError(f"{where}: {len(clean)} breakpoint(s); a piecewise-linear function "
                           "needs at least 2")
    for (a, _), (b, _) in itertools.pairwise(clean):
        if not a < b:
            raise LibraryError(f"{where}: breakpoints must increase, got x = {a} then {b}")
    return clean


def piecewise_linear(model: Model, x: Form, points, *, out: str | None = None) -> str:
    """``f(x)`` for the continuous piecewise-linear f through `points` (Sec. 4.1).

    ``points = [(x_1, y_1), ..., (x_K, y_K)]`` with ``x_1 < ... < x_K``; f
    interpolates them linearly and continues the first and last segments
    beyond ``x_1`` and ``x_K`` (repeat the end value, e.g. ``(x_K + 1, y_K)``,
    for a flat end). With ``m_k`` the slope of segment k,
    ``f(x) = y_1 + m_1 relu(x - x_1) - m_1 relu(x_1 - x)
    + sum_{k=2}^{K-1} (m_k - m_{k-1}) relu(x - x_k)``: each unit is a ReLU of
    a rational affine function of x, so f is exact for every real x.

    Size: one MLP of at most K units (the first two only if ``m_1 != 0``,
    knot k only where the slope changes). Refused: fewer than 2 points,
    breakpoints that do not increase, non-exact numbers.
    """
    where = "ffn.piecewise_linear"
    terms, constant = _read(model, x, where=where)
    clean = _points(points, where=where)
    target = model.output(out, "pwl")
    with model.mlp("pwl") as units:
        unit_terms, value = cpwl_terms(units, terms, constant, clean)
        if not unit_terms:  # a constant function: one unit that is 0 on the stream's zero
            unit_terms = [(units.unit({}, 0), 0)]
        units.emit(target, unit_terms)
        units.constant(target, value)
    return target


def clamp(model: Model, x: Form, low, high, *, out: str | None = None) -> str:
    """``min(max(x, low), high)`` for every real x (Sec. 4.1 with flat ends; the clipping
    of Sec. 6.4): ``low + relu(x - low) - relu(x - high)``. Size: 2 units. Refused:
    ``low >= high``."""
    low, high = number(low, where="ffn.clamp low"), number(high, where="ffn.clamp high")
    if not low < high:
        raise LibraryError(f"ffn.clamp: low {low} must be below high {high}")
    return piecewise_linear(model, x, [(low - 1, low), (low, low), (high, high),
                                       (high + 1, high)], out=out or model.fresh("clamp"))


# -- identity, sums, cancelling the residual (Sec. 4.2, 4.3, 4.5) ------------------------


def linear(model: Model, x: Form, *, out: str | None = None) -> str:
    """The affine form x (``sum_d c_d x_d + c``) copied into `out`, for every real input:
    ``relu(f) - relu(-f) + c`` (Sec. 4.3, 4.5). Size: 2 units. Refused: a form without
    a direction (a constant needs no MLP: use a positional feature)."""
    where = "ffn.linear"
    terms, constant = _read(model, x, where=where)
    if not terms:
        raise LibraryError(f"{where}: the form {x!r} reads no direction")
    target = model.output(out, "linear")
    with model.mlp("linear") as units:
        units.emit(target, units.identity(terms))
        units.constant(target, constant)
    return target


def identity(model: Model, x: str, *, out: str | None = None) -> str:
    """x copied into `out`: ``relu(x) - relu(-x) = x`` for every real x (Sec. 4.3).
    Size: 2 units."""
    return linear(model, x, out=out or model.fresh(f"{x}_copy"))


def add(model: Model, x: Form, y: Form, *, out: str | None = None) -> str:
    """``x + y`` for every real x, y (Sec. 4.5): ``relu(x + y) - relu(-x - y)``.
    Size: 2 units."""
    where = "ffn.add"
    return linear(model, _sum((1, _read(model, x, where=where)),
                              (1, _read(model, y, where=where))),
                  out=out or model.fresh("sum"))


def subtract(model: Model, x: Form, y: Form, *, out: str | None = None) -> str:
    """``x - y`` for every real x, y (Sec. 4.5): ``relu(x - y) - relu(y - x)``.
    Size: 2 units."""
    where = "ffn.subtract"
    return linear(model, _sum((1, _read(model, x, where=where)),
                              (-1, _read(model, y, where=where))),
                  out=out or model.fresh("difference"))


def clear(model: Model, *directions: str) -> tuple[str, ...]:
    """Each direction set to exactly 0 (Sec. 4.2, cancelling the residual connection): the
    MLP emits ``-x = -(relu(x) - relu(-x))`` into x, so ``x + (-x) = 0``, in floats too.
    Inside ``model.parallel()``, with a block that writes a new value into x, x holds
    that value alone afterwards. Size: 2 units per direction."""
    model.require(*directions, where="ffn.clear")
    if not directions:
        raise LibraryError("ffn.clear: no direction given")
    with model.mlp("cancel") as units:
        for direction in directions:
            units.clear(direction)
    return directions


# -- min and max (Sec. 4.4) -----------------------------------------------------------------


def minimum(model: Model, *xs: Form, out: str | None = None) -> str:
    """``min(x_1, ..., x_k)`` for every real input (Sec. 4.4): two forms in one MLP,
    ``min(a, b) = a - relu(a - b) = relu(a) - relu(-a) - relu(a - b)`` (3 units);
    k forms pairwise in a tree of ``ceil(log2 k)`` MLPs, ``3 floor(k/2)`` units in
    the first, the results between layers in fresh directions (an odd form out waits
    in the stream, where it still is, for the next layer). Refused: fewer than 2
    forms; more than 2 inside ``model.parallel()`` (a tree is several layers)."""
    return _reduce_all(model, xs, -1, out, "minimum")


def maximum(model: Model, *xs: Form, out: str | None = None) -> str:
    """``max(x_1, ..., x_k)`` for every real input (Sec. 4.4):
    ``max(a, b) = a + relu(b - a)`` (3 units per pair), as `minimum`."""
    return _reduce_all(model, xs, 1, out, "maximum")


def lattice(model: Model, pieces: Sequence[Sequence[Form]], *, out: str | None = None) -> str:
    """``max_g min_{l in S_g} l(x)``: any continuous piecewise-linear function of several
    variables (the multivariate case of Sec. 4.1).

    Every CPWL function ``f: R^d -> R`` with affine pieces ``l_1 .. l_K`` is a max of
    mins of them (the lattice representation: Tarela & Martinez 1999, Ovchinnikov
    2002, Thm. 2.1): ``pieces = [S_1, ..., S_G]``, each ``S_g`` a list of affine forms.
    The mins of all groups are taken side by side, pairwise (``min(a, b) = a -
    relu(a - b)``, 3 units a pair), then the max of the G results likewise: exact
    for every real input, in ``ceil(log2 max |S_g|) + ceil(log2 G)`` MLPs. (The
    Cookbook cites Arora et al. 2018 for ``O(log K)`` layers; this is a construction
    of that depth, not theirs.) A convex f is one group per piece (``[[l_1], ...,
    [l_K]]``), a concave one a single group. Size: 3 units per pairing, at most
    ``3 (K - 1)`` in all. Refused: no group, an empty group, a single form (use
    `linear`), more than one layer inside ``model.parallel()``.
    """
    where = "ffn.lattice"
    try:
        groups = [[_read(model, x, where=where) for x in group] for group in pieces]
    except TypeError:
        raise LibraryError(f"{where}: pieces must be a list of lists of forms, got "
                           f"{pieces!r}") from None
    if not groups or any(not g for g in groups):
        raise LibraryError(f"{where}: pieces {pieces!r}; every group needs at least one form")
    if len(groups) == 1 and len(groups[0]) == 1:
        raise LibraryError(f"{where}: a single affine form is not a lattice; use ffn.linear")
    _one_layer_if_parallel(model, _levels(max(len(g) for g in groups)) + _levels(len(groups)),
                           where)
    mins = _reduce(model, groups, -1, None if len(groups) > 1 else out, "lattice", where)
    if len(mins) == 1:
        return next(iter(mins[0][0]))
    (terms, _), = _reduce(model, [mins], 1, out, "lattice", where)
    return next(iter(terms))


def _reduce_all(model: Model, xs, sign: int, out, name: str) -> str:
    where = f"ffn.{name}"
    if len(xs) < 2:
        raise LibraryError(f"{where}: {len(xs)} form(s); needs at least 2")
    (terms, _), = _reduce(model, [[_read(model, x, where=where) for x in xs]], sign, out,
                          name, where)
    return next(iter(terms))


def _levels(count: int) -> int:
    """MLPs a pairwise tree over `count` forms takes: ``ceil(log2 count)``."""
    return (count - 1).bit_length()


def _one_layer_if_parallel(model: Model, layers: int, where: str) -> None:
    if layers > 1 and model.in_parallel:
        raise LibraryError(f"{where}: needs {layers} layers; model.parallel() merges one")


def _reduce(model: Model, groups: list, sign: int, out, name: str, where: str) -> list:
    """Each group of forms reduced to one by pairwise max (`sign` 1) or min (-1), every
    group in the same MLPs, one MLP per level; the last pairing of a single group writes
    `out` (`Model.output`). Returns each group's result as a form ``({direction: 1}, 0)``
    (or the group's only form, untouched)."""
    groups = [list(g) for g in groups]
    _one_layer_if_parallel(model, _levels(max(len(g) for g in groups)), where)
    while any(len(g) > 1 for g in groups):
        last = len(groups) == 1 and len(groups[0]) == 2
        with model.mlp(name) as units:
            reduced = []
            for group in groups:
                pairs = []
                for k in range(0, len(group) - 1, 2):
                    (a, ca), (b, cb) = group[k], group[k + 1]
                    target = model.output(out, name) if last else model.fresh(f"{name}_part")
                    units.emit(target, units.identity(a))
                    units.constant(target, ca)
                    difference = _sum((sign, (b, cb)), (-sign, (a, ca)))  # b - a or a - b
                    units.emit(target, [(units.unit(difference), sign)])
                    pairs.append(({target: Fraction(1)}, Fraction(0)))
                reduced.append(pairs + group[len(group) - len(group) % 2:])
        groups = reduced
    return [g[0] for g in groups]


def skip(model: Model) -> tuple[()]:
    """The Cookbook's identity FFN (Sec. 4.3): ``W_1 = W_2 = 0``, ``b_1 = b_2 = 0``, so the
    MLP adds 0 and the residual connection passes the stream through (for a layer that
    needs a feed-forward sublayer). `identity` instead copies a direction. Size: 1 unit
    (the IR's MLP has at least one), writes nothing."""
    with model.mlp("skip") as units:
        units.emit(model.stream[0] if model.stream else model.one(),
                   [(units.unit({}, 0), 0)])
    return ()


# -- comparators (Sec. 4.7) ---------------------------------------------------------------


def _tolerance(tolerance, where: str) -> Fraction:
    tolerance = number(tolerance, where=f"{where} tolerance")
    if tolerance <= 0:
        raise LibraryError(f"{where}: tolerance {tolerance} must be > 0")
    return tolerance


def greater_equal(model: Model, x: Form, theta=0, *, tolerance, out: str | None = None) -> str:
    """``[x >= theta]``: exactly 1 for ``x >= theta``, exactly 0 for
    ``x <= theta - tolerance``, linear in between (the Cookbook's GEZero_eps, Sec. 4.7;
    no continuous function is the step itself). Size: 2 units."""
    where = "ffn.greater_equal"
    eps, theta = _tolerance(tolerance, where), number(theta, where=where)
    return piecewise_linear(model, x, [(theta - eps - 1, 0), (theta - eps, 0), (theta, 1),
                                       (theta + 1, 1)], out=out or model.fresh("ge"))


def greater(model: Model, x: Form, theta=0, *, tolerance, out: str | None = None) -> str:
    """``[x > theta]``: exactly 0 for ``x <= theta``, exactly 1 for
    ``x >= theta + tolerance`` (GTZero_eps, Sec. 4.7). Size: 2 units."""
    where = "ffn.greater"
    eps, theta = _tolerance(tolerance, where), number(theta, where=where)
    return piecewise_linear(model, x, [(theta - 1, 0), (theta, 0), (theta + eps, 1),
                                       (theta + eps + 1, 1)], out=out or model.fresh("gt"))


def equal(model: Model, x: Form, theta=0, *, tolerance, out: str | None = None) -> str:
    """``[x = theta]``: exactly 1 at ``x = theta``, exactly 0 for
    ``|x - theta| >= tolerance`` (EqZero_eps, Sec. 4.7). Size: 3 units."""
    where = "ffn.equal"
    eps, theta = _tolerance(tolerance, where), number(theta, where=where)
    return piecewise_linear(model, x, [(theta - eps - 1, 0), (theta - eps, 0), (theta, 1),
                                       (theta + eps, 0), (theta + eps + 1, 0)],
                            out=out or model.fresh("eq"))


# -- Boolean functions (Sec. 3.1, 4.8) ----------------------------------------------------


def truth_table(model: Model, inputs: Sequence[Form],
                table: Mapping | Callable[..., Any], *, encoding: str = "01",
                out: str | None = None) -> str:
    """Any function of m Booleans, exact on Boolean inputs (Sec. 4.8).

    `table` maps each assignment (a tuple of m bools) to its value, or is a
    function of m bools; a bool value is written in the encoding (0/1 or
    ±1), a number as it is. For an assignment ξ in {0,1}^m the unit
    ``h_ξ(b) = relu((2ξ - 1) . b - |ξ| + 1)`` is 1 at ``b = ξ`` and at most 0
    at any other Boolean b (each differing input costs 1), so
    ``c + sum_ξ (φ(ξ) - c) h_ξ`` equals φ on {0,1}^m for any constant c; c is
    the most frequent value (the first such in the order of the assignments,
    all False first, the last input varying fastest), so only the other rows
    need a unit (AND and OR
    need one, NOT one, XOR of two inputs two). Inputs in ±1 enter as
    ``(b + 1) / 2``. On non-Boolean inputs the value is that same formula.

    Size: one MLP with one unit per assignment whose value is not the most
    frequent one (at least 1). Refused: a table missing an assignment, more
    than `MAX_INPUTS` inputs, an unknown encoding.
    """
    where = "ffn.truth_table"
    _encoding(encoding, where=where)
    forms = [_as_01(*_read(model, x, where=where), encoding) for x in inputs]
    m = len(forms)
    if not 1 <= m <= MAX_INPUTS:
        raise LibraryError(f"{where}: {m} inputs; allowed: 1 to {MAX_INPUTS}")
    rows = list(itertools.product((False, True), repeat=m))
    values = {}
    for row in rows:
        try:
            value = table(*row) if callable(table) else table[row]
        except KeyError:
            raise LibraryError(f"{where}: the table has no value for {row}") from None
        if isinstance(value, bool):
            value = (1 if value else -1) if encoding == "pm1" else int(value)
        values[row] = number(value, where=f"{where}[{row}]")
    counts: dict = {}
    for value in values.values():
        counts[value] = counts.get(value, 0) + 1
    common = max(counts, key=counts.get)  # the first (in row order) of the most frequent
    target = model.output(out, "table")
    with model.mlp("table") as units:
        terms = []
        for row, value in values.items():
            if value == common:
                continue
            weights: dict = {1: 1 - sum(row)}
            for (linear_part, constant), bit in zip(forms, row, strict=True):
                sign = 1 if bit else -1
                for d, w in linear_part.items():
                    weights[d] = weights.get(d, Fraction(0)) + sign * w
                weights[1] += sign * constant
            terms.append((units.unit(weights), value - common))
        units.emit(target, terms or [(units.unit({}, 0), 0)])
        units.constant(target, common)
    return target


def not_(model: Model, a: Form, *, encoding: str = "01", out: str | None = None) -> str:
    """NOT a (Sec. 4.8): ``relu(1 - a)`` in 0/1, ``relu(1 - a) - 1`` in ±1. Size: 1 unit."""
    return truth_table(model, [a], lambda x: not x, encoding=encoding,
                       out=out or model.fresh("not"))


def and_(model: Model, *xs: Form, encoding: str = "01", out: str | None = None) -> str:
    """AND of m Booleans (Sec. 4.8): ``relu(sum b - (m - 1))`` in 0/1 (the one true row;
    in ±1 the same on ``(b + 1) / 2``, times 2, minus 1). Size: 1 unit."""
    return truth_table(model, xs, lambda *bits: all(bits), encoding=encoding,
                       out=out or model.fresh("and"))


def or_(model: Model, *xs: Form, encoding: str = "01", out: str | None = None) -> str:
    """OR of m Booleans (Sec. 4.8): ``1 - relu(1 - sum b)`` in 0/1 (the one false row).
    Size: 1 unit."""
    return truth_table(model, xs, lambda *bits: any(bits), encoding=encoding,
                       out=out or model.fresh("or"))


# -- conditionals and products (Sec. 4.9, 4.1) ---------------------------------------------


def if_then_else(model: Model, b: Form, x: Form, y: Form, *, low, high,
                 encoding: str = "01", out: str | None = None) -> str:
    """``x if b else y`` for a Boolean b and x, y in ``[low, high]`` (Sec. 4.9).

    With ``W = high - low``:
    ``relu(x - low - W (1 - b)) + relu(y - low - W b) + low``. At b = 1 the first
    unit is ``x - low >= 0`` and the second ``y - high <= 0`` clips to 0; at b = 0
    the other way round. Exact for b Boolean and x, y in range; elsewhere that
    formula. Size: 2 units. Refused: ``low > high``.
    """
    where = "ffn.if_then_else"
    _encoding(encoding, where=where)
    low, high = number(low, where=f"{where} low"), number(high, where=f"{where} high")
    if low > high:
        raise LibraryError(f"{where}: low {low} is above high {high}")
    width = high - low
    bit = _as_01(*_read(model, b, where=where), encoding)
    x_form, y_form = _read(model, x, where=where), _read(model, y, where=where)
    target = model.output(out, "if")
    with model.mlp("ifelse") as units:
        first = _sum((1, x_form), (-width, ({}, Fraction(1))), (width, bit),
                     (-low, ({}, Fraction(1))))
        second = _sum((1, y_form), (-width, bit), (-low, ({}, Fraction(1))))
        units.emit(target, [(units.unit(first), 1), (units.unit(second), 1)])
        units.constant(target, low)
    return target


def boolean_times(model: Model, b: Form, x: Form, *, bound, encoding: str = "01",
                  out: str | None = None) -> str:
    """``b * x`` for a Boolean b (0/1; in ±1, -1 counts as 0) and ``|x| <= bound`` (Sec. 4.9,
    the gating of the SUBLEQ gadgets): ``relu(x - B (1 - b)) - relu(-x - B (1 - b))``
    with ``B = bound``: ``relu(x) - relu(-x) = x`` at b = 1, and both units clip to 0
    at b = 0. Elsewhere that formula. Size: 2 units. Refused: ``bound < 0``."""
    where = "ffn.boolean_times"
    _encoding(encoding, where=where)
    bound = number(bound, where=f"{where} bound")
    if bound < 0:
        raise LibraryError(f"{where}: bound {bound} must be >= 0")
    bit = _as_01(*_read(model, b, where=where), encoding)
    x_form = _read(model, x, where=where)
    off = _sum((bound, bit), (-bound, ({}, Fraction(1))))  # -B (1 - b)
    target = model.output(out, "gated")
    with model.mlp("gated") as units:
        units.emit(target, [(units.unit(_sum((1, x_form), (1, (off, Fraction(0))))), 1),
                            (units.unit(_sum((-1, x_form), (1, (off, Fraction(0))))), -1)])
    return target


def integer_product(model: Model, x: Form, y: Form, *, x_range, y_range,
                    out: str | None = None) -> str:
    """``x * y`` for integers ``x`` in `x_range` and ``y`` in `y_range` (inclusive pairs).

    By polarisation, ``x y = (s(x + y) - d(x - y)) / 4`` where s and d are the
    piecewise-linear interpolations of ``t^2`` at the integers of the ranges of
    ``x + y`` and ``x - y`` (Sec. 4.1 on the points ``(k, k^2)``): each equals
    ``t^2`` at every integer of its range, so the product is exact on integer
    inputs in range. (The Cookbook's Sec. 4.6 multiplies approximately, by GELU;
    on bounded integers a ReLU MLP is exact.) Elsewhere the value is that
    formula (s and d continue linearly beyond their ranges).

    Size: one MLP of ``2 (X + Y) + 2`` units, X and Y the widths of the ranges.
    Refused: ranges that are not integer pairs ``low < high``.
    """
    where = "ffn.integer_product"
    (xl, xh), (yl, yh) = (_range(r, f"{where} {name}") for r, name in
                          ((x_range, "x_range"), (y_range, "y_range")))
    x_form, y_form = _read(model, x, where=where), _read(model, y, where=where)
    target = model.output(out, "product")
    with model.mlp("product") as units:
        for sign, (lo, hi), t in ((1, (xl + yl, xh + yh), _sum((1, x_form), (1, y_form))),
                                  (-1, (xl - yh, xh - yl), _sum((1, x_form), (-1, y_form)))):
            linear_part, constant = split(t, where=where)
            terms, value = cpwl_terms(units, linear_part, constant,
                                      [(Fraction(k), Fraction(k * k)) for k in range(lo, hi + 1)])
            units.emit(target, terms, Fraction(sign, 4))
            units.constant(target, Fraction(sign, 4) * value)
    return target


def _range(value, where: str) -> tuple[int, int]:
    try:
        low, high = value
    except (TypeError, ValueError):
        raise LibraryError(f"{where}: {value!r} is not a pair (low, high)") from None
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high)) or low >= high:
        raise LibraryError(f"{where}: {value!r} must be integers low < high")
    return low, high
