"""The MLP lowerings: unit by unit, or each output as one piecewise-linear function per sum.

A hidden unit ``relu(c + g S)`` of a weighted sum S is a function of one
form, which `Gates.apply` lowers as one step gate ``[S >= s]`` per value of S
above its breakpoint. Where many units read the *same* sum S and their output
weights cancel (the step gadget ``relu(2f + 3/2) - relu(2f + 1/2)``, the
identity ``relu(x) - relu(-x)`` of Giannou et al.'s SUBLEQ MLPs), lowering each
unit on its own would make up to ``range(S)`` gates per unit that the
read-out never uses: correct, but slow for wide sums (16-bit words: 2^17
values per sum).

`lower_mlp_pieces` computes the exact function grouped instead: for one
output direction r and one base S (`Gates.base_of`), the units over S
contribute

.. math:: f_r(S) = \\sum_k a_k \\max(c_k + g_k S, 0) / D_k,

a piecewise-linear function of the integer S whose first difference
``f(s) - f(s-1)`` is constant between the units' breakpoints (it is evaluated,
exactly, only around them). With alpha the difference that holds over most of
S's range,

.. math:: f_r(S) = f_r(lo) + \\alpha (S - lo) + \\sum_{s} (d(s) - \\alpha) [S \\ge s],

an affine form over S's own wires (no gate) plus one step gate per value s
where ``d(s) != alpha``: a step gadget costs its one or two steps, an identity
costs none. Units over a constant or a thermometer form (a function of an
earlier sum) go through `Gates.apply` one by one. Exact: the tests compare it
with the MLP's own arithmetic on every input.

`lower_mlp`, the rule of `lower.LOWERINGS`, groups where the context asks
(`Context.group_sums`: one loop of a looped model, whose MLPs are wide sums
of gadgets) and otherwise lowers unit by unit (`lower_units`), which keeps
recognisers' and decoding steps' circuits as they have always been compiled.
Both are exact; the grouped one is never larger.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from fractions import Fraction

from circuitx.circuit import FALSE, TRUE
from compilers.backends.circuit.fixed import Form, UnsupportedError, combine
from compilers.backends.circuit.gates import MAX_RANGE
from compilers.backends.circuit.lower_linear import add_into, by_row, linear
from compilers.ir import MLP


def _relu(numerator: int) -> int:
    return max(numerator, 0)


def lower_mlp(ctx, block: MLP, stream: dict, rows: list[int]) -> dict:
    """The MLP rule: `lower_mlp_pieces` where the context groups sums, else `lower_units`."""
    grouped = getattr(ctx, "group_sums", False)
    return (lower_mlp_pieces if grouped else lower_units)(ctx, block, stream, rows)


def lower_units(ctx, block: MLP, stream: dict, rows: list[int]) -> dict:
    """``x += W_out relu(W_in x + b_in) + b_out``, each hidden unit a function of its form."""
    w_in, w_out = by_row(block.w_in), by_row(block.w_out)
    out = {}
    for p in rows:
        x = stream[p]
        hidden = linear(w_in, x, block.b_in)
        active = {h: ctx.gates.apply(v, _relu, v.den, f"{block.label}.{h}")
                  for h, v in hidden.items()}
        out[p] = add_into(x, linear(w_out, active, block.b_out))
    return out


def lower_mlp_pieces(ctx, block: MLP, stream: dict, rows: list[int]) -> dict:
    """``x += W_out relu(W_in x + b_in) + b_out``, grouped by sum (module docstring)."""
    gates = ctx.gates
    w_in = by_row(block.w_in)
    readers: dict[str, list] = defaultdict(list)  # unit -> [(output row, weight)]
    for row, entries in by_row(block.w_out).items():
        for unit, weight in entries:
            readers[unit].append((row, Fraction(weight)))
    out = {}
    for p in rows:
        x = stream[p]
        hidden = linear(w_in, x, block.b_in)
        parts: dict[str, list] = defaultdict(list)
        groups: dict[int, list] = defaultdict(list)
        for unit in block.hidden:
            v = hidden.get(unit)
            if v is None or not readers.get(unit):
                continue
            if v.is_constant or gates._thermometer(v) is not None:
                active = gates.apply(v, _relu, v.den, f"{block.label}.{unit}")
                for row, weight in readers[unit]:
                    parts[row].append((weight, active))
            else:
                base, g = gates.base_of(v.terms)
                groups[base].append((unit, v.const, g, v.den))
        for base, units in groups.items():
            by_output: dict[str, list] = defaultdict(list)
            for unit, c, g, den in units:
                for row, weight in readers[unit]:
                    by_output[row].append((weight / den, c, g))
            for row in sorted(by_output):
                parts[row].append((1, _piecewise(gates, base, by_output[row],
                                                 f"{block.label}.{row}")))
        delta = {row: combine(items) for row, items in parts.items()}
        for row, value in block.b_out.items():
            delta[row] = combine([(1, delta.get(row, Form({}, 0, 1)))], value)
        out[p] = add_into(x, delta)
    return out


def _piecewise(gates, base: int, terms: list, label: str) -> Form:
    """``sum_k a_k max(c_k + g_k S, 0)`` over the base's S, as in the module docstring."""
    wires, weights, lo, hi = gates.bases[base]

    def f(s: int) -> Fraction:
        return sum((a * max(c + g * s, 0) for a, c, g in terms), Fraction(0))

    events = {lo + 1, hi + 1}
    for _, c, g in terms:
        root = -c // g  # floor(-c / g): the relu's kink lies in [root, root + 1]
        events.update(s for s in (root, root + 1, root + 2) if lo + 1 <= s <= hi)
    events = sorted(events)
    segments = []  # (start, end, first difference on [start, end))
    for start, end in itertools.pairwise(events):
        segments.append((start, end, f(start) - f(start - 1)))
    length: dict[Fraction, int] = defaultdict(int)
    for start, end, d in segments:
        length[d] += end - start
    alpha = max(length, key=lambda d: (length[d], -abs(d))) if length else Fraction(0)
    steps = sum(end - start for start, end, d in segments if d != alpha)
    if steps > MAX_RANGE:
        raise UnsupportedError(f"{label}: a piecewise-linear function of a sum with {steps} "
                               f"breakpoints (more than {MAX_RANGE})")
    parts = [(alpha, Form(dict(zip(wires, weights, strict=True)), 0, 1))]
    const = f(lo) - alpha * lo
    for start, end, d in segments:
        if d == alpha:
            continue
        for s in range(start, end):
            wire = gates.base_step(base, s, label)
            if wire == TRUE:
                const += d - alpha
            elif wire != FALSE:
                parts.append((d - alpha, Form.wire(wire)))
    return combine(parts, const)


__all__ = ["lower_mlp", "lower_mlp_pieces", "lower_units"]
