"""The promised selection: a softmax head under the unique-argmax promise.

Called by `lower_attention` for a softmax head whose scores depend on the
input when the context has the promise on (`lower_loop.LoopContext`). See
`compilers.backends.circuit.lower_loop` for the promise, its soundness and
why the output is re-expressed in steps (`SNAP_VALUES`).
"""

from __future__ import annotations

import itertools
from fractions import Fraction

from circuitx.circuit import FALSE, TRUE
from compilers.backends.circuit.fixed import Form, combine

PROMISE = "promise"
"""The output bit that is 1 iff every input-dependent softmax argmax was a single position."""

SNAP_VALUES = 4
"""The most values a promised head's output coordinate may take to be re-expressed in steps."""


def select_unique(ctx, head, scores: list[Form], values: list[dict], selection_bits, *,
                  position: int) -> dict:
    """``sum_j a_j v_j`` under the unique-argmax promise, recorded and snapped (docstring)."""
    gates = ctx.gates
    bits = selection_bits(ctx, head, scores)
    count = combine([(1, Form.wire(a) if a > TRUE else Form.constant(a)) for a in bits])
    name = f"{head.label}@{position}"
    with gates.builder.scope("promise"):
        if not count.is_constant:
            ctx.promise_bits.append((name, gates.builder.and_(
                gates.step(count, 1, head.label), gates.step(combine([(-1, count)]), -1,
                                                              head.label), label=head.label)))
        elif count.value != 1:
            ctx.promise_bits.append((name, FALSE))
    names = sorted({name for v in values[:len(scores)] for name in v})  # deterministic
    zero = Form({}, 0, 1)
    out = {}
    for name in names:
        column = [values[j].get(name, zero) for j in range(len(scores))]
        total = combine([(1, gates.bit_times(a, v, head.label))
                         for a, v in zip(bits, column, strict=True) if a != FALSE])
        out[name] = _snap(gates, total, column, head.label)
    return out


def _snap(gates, total: Form, column: list[Form], label: str) -> Form:
    if total.is_constant or len(total.terms) <= 1:
        return total
    union: set[Fraction] = set()
    for form in column:
        found = value_set(gates, form)
        if found is None:
            return total
        union |= found
        if len(union) > SNAP_VALUES:
            return total
    ordered = sorted(union)
    parts = []
    for below, u in itertools.pairwise(ordered):
        need = -((-u.numerator * total.den) // u.denominator)  # ceil(u * den)
        wire = gates.step(total, need, label)
        parts.append((u - below, Form.wire(wire) if wire > TRUE else Form.constant(wire)))
    return combine(parts, ordered[0])


def value_set(gates, form: Form, *, max_wires: int = 12) -> set[Fraction] | None:
    """Every value `form` can take (a superset), or None when that is not cheap to know."""
    if form.is_constant:
        return {form.value}
    base = gates._thermometer(form)
    if base is not None:
        num, seen = form.const, {form.const}
        for _, w in sorted((gates.steps[wire][base], w) for wire, w in form.terms.items()):
            num += w
            seen.add(num)
        return {Fraction(v, form.den) for v in seen}
    if len(form.terms) > max_wires:
        return None
    weights = list(form.terms.values())
    sums = {0}
    for w in weights:
        sums |= {s + w for s in sums}
    return {Fraction(form.const + s, form.den) for s in sums}


__all__ = ["PROMISE", "SNAP_VALUES", "select_unique", "value_set"]
