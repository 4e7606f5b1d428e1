"""Attention on exact forms: scores, the argmax set, and its average (never a float division).

Following Merrill, Sabharwal & Smith (2022, Sec. 5, Lemma 4: saturated
attention is a constant-depth threshold circuit) and Merrill & Sabharwal
(2023, Sec. 4), for one head and one query position p over the visible keys j:

0. **The visible keys** j follow the head's mask (`ir.plan.visible`); a query
   that sees none (a strict mask at an end) adds 0.
1. **Scores** ``s_pj = <Q x_p, K x_j>``: the product of two forms is exact
   (`Gates.multiply`, one AND gate per pair of wires; none when either factor
   is constant, which at fixed n is the case for every score that reads only
   positional features). ``neg_abs_dot`` scores ``-|s|`` are never formed:
   their comparisons are made on s itself (`_abs_at_most`).
2. **The argmax set.** Constant scores give a constant set (no gate). Else
   ``ge_jk = [s_j - s_k >= 0]`` and ``gt_jk = [s_j - s_k >= 1/D]`` (one gate
   each) and the selection bit is ``a_j = AND_k ge_jk`` (average-hard) or, for
   hard attention with ties to the first position, ``AND_{k<j} gt_jk AND
   AND_{k>j} ge_jk`` (mirrored for the last).
3. **The output.** Hard: ``sum_j a_j v_j`` (a bit times a form: one AND gate
   per wire). Average-hard over a constant set A: ``sum_{j in A} v_j / |A|``,
   exact. Over a selected set: ``T = sum_j a_j v_j`` and ``C = sum_j a_j``
   are forms, and the rounded average ``y = floor(R T / C) / R`` is read off
   in unary: ``[y >= t / R] = [R T - t C >= 0]``, one threshold gate per
   value ``t`` (a comparison of the sum against count times y, never a
   division). ``R = 2^F`` with F the stated fraction bits, or under "auto"
   the least F with ``2^F >= D c^2`` (D the values' denominator, c the number
   of visible positions): two different averages ``a/(D c1)`` and
   ``b/(D c2)`` differ by at least ``1/(D c1 c2)``, so rounding keeps them
   apart and ordered. At a stated F, where the exact average takes fewer
   values than the unary read-off has steps, the same ``y`` is read off the
   exact average instead (`_divide`): one gate per value it takes.

**Softmax** is lowered as average-hard attention, and only where it
saturates (Merrill et al. 2022, Def. 3): every weight off the argmax set is
at most ``e^{-scale(n) * gap}`` (gap: the least positive difference between
the maximal score and another score of the same query; exact for constant
scores, else at least ``1/L`` with L the lcm of the scores' denominators), and
rounds to 0 at F fraction bits (round to nearest) iff ``scale(n) * gap > (F+1)
ln 2``. F is the stated fraction bits, or under "auto" the least F at which
the uniform weights ``1/c`` over c visible positions do not round to 0
(``F = bit_length(c)``). A head that fails raises `SaturationError` naming
the head, the precision and the margin it lacks. Deviation: the weights of
the argmax set are then taken as exactly ``1/|A|`` (the saturated limit), not
the rounded softmax weights ``1/Z``.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import sympy

from compilers.backends.circuit.fixed import (
    Form,
    Precision,
    SaturationError,
    UnsupportedError,
    combine,
)
from compilers.backends.circuit.gates import MAX_RANGE
from compilers.backends.circuit.lower_linear import add_into, by_row, linear
from compilers.backends.circuit.lower_promise import select_unique
from compilers.ir import Attention, Hard, Head, N, Softmax
from compilers.ir.plan import argmax_positions, is_uniform, visible

ZERO = Form({}, 0, 1)


def lower_attention(ctx, block: Attention, stream: dict, rows: list[int]) -> dict:
    """The stream after the block, at positions `rows` (all heads added to the residual)."""
    delta = {p: {} for p in rows}
    for head in block.heads:
        with ctx.gates.builder.scope(head.label):
            outputs = _head(ctx, head, stream, rows)
        for p in rows:
            delta[p] = add_into(delta[p], outputs[p])
    return {p: add_into(stream[p], delta[p]) for p in rows}


def _head(ctx, head: Head, stream: dict, rows: list[int]) -> dict:
    source = stream
    if head.source == "encoder":
        source = ctx.encoder_stream
        if source is None:
            raise UnsupportedError(f"{head.label}: reads an encoder, but none was lowered")
    length = len(source)
    key_rows, value_rows, query_rows = by_row(head.key), by_row(head.value), by_row(head.query)
    values = [linear(value_rows, source[j]) for j in range(length)]
    uniform = is_uniform(head)
    keys = None if uniform else [linear(key_rows, source[j]) for j in range(length)]
    cache: dict = {}
    out = {}
    for p in rows:
        seen = visible(head.mask, p, length)
        if not seen:  # a strict mask at the first or last position: the head adds 0
            out[p] = {}
            continue
        if uniform:  # every score 0: the average over every visible position
            chosen = tuple(seen)
            if chosen not in cache:
                cache[chosen] = _average_of(values, chosen)
            out[p] = cache[chosen]
            continue
        query = linear(query_rows, stream[p])
        scores = [_score(ctx, head, query, keys[j]) for j in seen]
        seen_values = [values[j] for j in seen]
        if isinstance(head.kind, Softmax):
            _check_saturation(ctx, head, scores, p)
        if all(s.is_constant for s in scores):
            chosen = tuple(seen[c] for c in _constant_choice(head, _score_values(head, scores)))
            if chosen not in cache:
                cache[chosen] = _average_of(values, chosen)
            out[p] = cache[chosen]
        elif isinstance(head.kind, Softmax) and getattr(ctx, "unique_argmax", False):
            out[p] = select_unique(ctx, head, scores, seen_values, _selection_bits, position=p)
        else:
            out[p] = _selected(ctx, head, scores, seen_values)
    return out


def _score(ctx, head: Head, query: dict, key: dict) -> Form:
    """The dot product ``<q, k>`` (for ``neg_abs_dot`` the score is its ``-|.|``)."""
    parts = [ctx.gates.multiply(query[d], key[d], head.label)
             for d in head.query.rows if d in query and d in key]
    return combine([(1, part) for part in parts])


def _score_values(head: Head, dots: list[Form]) -> list[Fraction]:
    """The scores of constant dot products."""
    if head.score == "neg_abs_dot":
        return [-abs(d.value) for d in dots]
    return [d.value for d in dots]


def _constant_choice(head: Head, scores: list[Fraction]) -> tuple[int, ...]:
    """The argmax set of constant scores, by the head's rule (`ir.plan.argmax_positions`)."""
    best = max(scores)
    return tuple(argmax_positions(head, [j for j, s in enumerate(scores) if s == best]))


def _average_of(values: list[dict], chosen: tuple[int, ...]) -> dict:
    names = sorted({name for j in chosen for name in values[j]})
    share = Fraction(1, len(chosen))
    return {name: combine([(share, values[j].get(name, ZERO)) for j in chosen])
            for name in names}


def _selection_bits(ctx, head: Head, dots: list[Form]) -> list[int]:
    """``a_j``: whether key j is selected (see the module docstring, step 2)."""
    hard = isinstance(head.kind, Hard)
    if hard and head.kind.tie is None:
        raise UnsupportedError(f"{head.label}: hard attention without a tie rule is lowered "
                               "only where its scores are constant (a tie there is an error); "
                               "give the head tie='first' or 'last'")
    compare = _abs_at_most if head.score == "neg_abs_dot" else _at_least
    bits = []
    for j, s_j in enumerate(dots):
        conditions = []
        for k, s_k in enumerate(dots):
            if k == j:
                continue
            strict = hard and ((k < j) == (head.kind.tie == "first"))
            conditions.append(compare(ctx.gates, s_j, s_k, strict, head.label))
        bits.append(ctx.gates.builder.and_(*conditions, label=head.label))
    return bits


def _at_least(gates, a: Form, b: Form, strict: bool, label: str) -> int:
    """``[a > b]`` or ``[a >= b]``: one gate on the difference."""
    return gates.step(combine([(1, a), (-1, b)]), 1 if strict else 0, label)


def _abs_at_most(gates, a: Form, b: Form, strict: bool, label: str) -> int:
    """``[-|a| > -|b|]`` or ``>=``, i.e. ``|a| < |b|`` or ``|a| <= |b|``, with no absolute value.

    ``|a| <= |b|`` iff ``(a - b <= 0 and a + b >= 0) or (a - b >= 0 and a + b <= 0)``;
    ``|a| < |b|`` is its complement with a and b exchanged. Four comparisons, two
    ANDs and an OR: depth 3 over the forms, whatever their range.
    """
    if strict:
        return gates.builder.not_(_abs_at_most(gates, b, a, False, label), label)
    minus, plus = combine([(1, a), (-1, b)]), combine([(1, a), (1, b)])
    below = gates.builder.and_(gates.step(combine([(-1, minus)]), 0, label),
                               gates.step(plus, 0, label), label=label)
    above = gates.builder.and_(gates.step(minus, 0, label),
                               gates.step(combine([(-1, plus)]), 0, label), label=label)
    return gates.builder.or_(below, above, label=label)


def _selected(ctx, head: Head, scores: list[Form], values: list[dict]) -> dict:
    gates = ctx.gates
    bits = _selection_bits(ctx, head, scores)
    names = sorted({name for v in values[:len(scores)] for name in v})
    out = {}
    if isinstance(head.kind, Hard):
        for name in names:
            out[name] = combine([(1, gates.bit_times(a, values[j].get(name, ZERO), head.label))
                                 for j, a in enumerate(bits)])
        return out
    count = combine([(1, Form.wire(a) if a > 1 else Form.constant(a)) for a in bits])
    for name in names:
        column = [values[j].get(name, ZERO) for j in range(len(scores))]
        total = combine([(1, gates.bit_times(a, v, head.label)) for a, v in zip(bits, column,
                                                                            strict=True)])
        out[name] = _divide(ctx, head, total, count, column)
    return out


def _divide(ctx, head: Head, total: Form, count: Form, column: list[Form]) -> Form:
    """``floor(R total / count) / R`` in unary: one gate ``[R T - t C >= 0]`` per value t;
    where the context asks for exact means (`Context.exact_means`), `_exact_mean`.

    At a stated precision (``R = 2^F``, F the stated fraction bits) the rounded mean is a
    function of the exact one, so where the exact mean takes fewer values than the
    ``R (high - low)`` steps of the unary read-off it is built exactly (`_exact_mean`, one
    gate per value) and rounded down piece by piece over the same gates (`Gates.apply` on
    a chain: no gate); a stated ``8.16`` then costs what ``auto`` does, not ``2^16`` gates
    per mean and position. The unary gates are nested as well (``[mean >= t / R]`` for
    increasing t; C >= 1), so they too are declared a chain (`Gates.chain`): a later
    function of the rounded mean is re-expressed over them, never a table of their sum.
    """
    ranges = [ctx.gates.bounds(v) for v in column]
    low, high = min(r[0] for r in ranges), max(r[1] for r in ranges)
    if getattr(ctx, "exact_means", False):
        return _exact_mean(ctx, head, total, count, low, high)
    den = total.den
    bits = ctx.average_bits(den, len(column))
    scale = 1 << bits
    y_low, y_high = math.floor(low * scale), math.floor(high * scale)
    if isinstance(ctx.precision, Precision):
        values = _mean_values(ctx, total, count, low, high, y_high - y_low)
        if values is not None:
            exact = _chain_mean(ctx, head, total, count, values, low)
            return ctx.gates.apply(exact, lambda num: num * scale // exact.den, scale,
                                   head.label)
    if y_high - y_low > MAX_RANGE:
        raise UnsupportedError(f"{head.label}: the average takes {y_high - y_low + 1} values "
                               f"at {bits} fraction bits, more than {MAX_RANGE}")
    terms: dict[int, int] = {}
    const = y_low
    chain = []
    for t in range(y_low + 1, y_high + 1):
        weights = {x: scale * w for x, w in total.terms.items()}
        for x, w in count.terms.items():
            weights[x] = weights.get(x, 0) - t * den * w
        wire = ctx.gates.builder.gate(list(weights), list(weights.values()),
                                      t * den * count.const - scale * total.const, head.label)
        if wire == 1:
            const += 1
        elif wire > 1:
            terms[wire] = terms.get(wire, 0) + 1
            chain.append(wire)
    ctx.gates.chain(chain)
    return Form(terms, const, scale).reduced()


def _exact_mean(ctx, head: Head, total: Form, count: Form, low: Fraction,
                high: Fraction) -> Form:
    """``T / C`` exactly, in unary over the values it can take (module docstring, step 3).

    T's numerator is an integer t over its denominator D and C is an integer k in
    ``[k_lo, k_hi]`` (at least 1: the argmax set is never empty), so the mean is one of
    ``v = t / (D k)`` in ``[low, high]`` (the column's bounds). With those values in
    increasing order ``v_0 < v_1 < ...``,

    .. math:: T / C = v_0 + \\sum_{i \\ge 1} (v_i - v_{i-1}) [T - v_i C \\ge 0],

    one threshold gate ``[q T - p C >= 0]`` per value ``v_i = p / q`` (a comparison,
    never a division). The gates are nested (a mean at least ``v_i`` is at least every
    smaller value), so they are declared a chain (`Gates.chain`): every later function
    of the mean (a RASP selector width's table, a step on a numerical aggregate) reuses
    them. More than `MAX_RANGE` values is refused, naming the head.
    """
    if count.den != 1:
        raise UnsupportedError(f"{head.label}: the count of selected keys is not an integer "
                               "form")
    values = _mean_values(ctx, total, count, low, high, MAX_RANGE)
    if values is None:
        k_hi = max(int(ctx.gates.bounds(count)[1]), 1)
        raise UnsupportedError(
            f"{head.label}: the exact mean of its selected values takes more than "
            f"{MAX_RANGE} values (means of up to {k_hi} values over denominator {total.den}, "
            f"in [{low}, {high}]); the circuit backend cannot hold it exactly: give a "
            "precision I.F to round it")
    return _chain_mean(ctx, head, total, count, values, low)


def _mean_values(ctx, total: Form, count: Form, low: Fraction, high: Fraction,
                 limit: int) -> list[Fraction] | None:
    """The values ``t / (D k)`` in ``[low, high]`` that ``T / C`` can take, in increasing
    order (`_exact_mean`), or None where there are more than `limit` or C's numerator
    is not an integer."""
    if count.den != 1:
        return None
    den = total.den
    t_lo, t_hi = total.numerator_range()
    k_lo, k_hi = (max(int(b), 1) for b in ctx.gates.bounds(count))
    values: set[Fraction] = set()
    for k in range(k_lo, k_hi + 1):
        first = max(t_lo, math.ceil(low * den * k))
        last = min(t_hi, math.floor(high * den * k))
        if last - first + 1 > limit:  # distinct t give distinct t / (D k)
            return None
        values.update(Fraction(t, den * k) for t in range(first, last + 1))
        if len(values) > limit:
            return None
    return sorted(values)


def _chain_mean(ctx, head: Head, total: Form, count: Form, ordered: list[Fraction],
                low: Fraction) -> Form:
    """``T / C`` over the increasing values `ordered` it can take: one gate per value
    after the first, declared a chain (`_exact_mean`)."""
    if not ordered:
        return Form.constant(low)
    den = total.den
    scale = 1
    for v in ordered:
        scale = math.lcm(scale, v.denominator)
    const = ordered[0] * scale
    terms: dict[int, int] = {}
    chain = []
    for previous, v in itertools.pairwise(ordered):
        p, q = v.numerator, v.denominator
        weights = {x: q * w for x, w in total.terms.items()}
        for x, w in count.terms.items():
            weights[x] = weights.get(x, 0) - p * den * w
        wire = ctx.gates.builder.gate(list(weights), list(weights.values()),
                                      p * den * count.const - q * total.const, head.label)
        step = (v - previous) * scale
        if wire == 1:
            const += step
        elif wire > 1:
            terms[wire] = terms.get(wire, 0) + int(step)
            chain.append(wire)
    ctx.gates.chain(chain)
    return Form(terms, int(const), scale).reduced()


def _check_saturation(ctx, head: Head, scores: list[Form], position: int) -> None:
    """Raise `SaturationError` unless every non-maximal weight rounds to 0 (module docstring)."""
    if all(s.is_constant for s in scores):
        distinct = sorted(set(_score_values(head, scores)))
        if len(distinct) < 2:
            return
        gap = distinct[-1] - distinct[-2]
        how = "exactly"
    else:
        lcm = 1
        for s in scores:
            lcm = math.lcm(lcm, s.den)
        gap, how = Fraction(1, lcm), "at least (1/lcm of the score denominators)"
    bits = ctx.weight_bits(len(scores))
    scale = head.kind.scale.xreplace({N: sympy.Integer(ctx.n)})
    margin = sympy.N(scale * sympy.Rational(gap.numerator, gap.denominator), 30)
    needed = sympy.N((bits + 1) * sympy.log(2), 30)
    if not margin > needed:
        raise SaturationError(
            f"{head.label}: softmax does not saturate at {bits} fraction bits (n = {ctx.n}, "
            f"query position {position}): scale(n) * gap = {float(margin):.6g} (gap {how} "
            f"{gap}) must exceed (F+1) ln 2 = {float(needed):.6g} for every non-maximal weight "
            f"to round to 0; it lacks {float(needed - margin):.6g}")

