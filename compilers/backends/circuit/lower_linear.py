"""Linear maps, MLPs and the read-out on exact forms.

A linear map ``y_r = sum_c W_rc x_c + b_r`` with rational weights acts on
forms exactly (`combine`): the result's denominator is the lcm of the
denominators involved, no rounding and no gate. This is exact iterated
addition, folded into whichever threshold gate reads y (Merrill, Sabharwal &
Smith 2022, Sec. 5: sums of n numbers in one threshold layer).

ReLU (`lower_mlp`) is a function of one form, lowered by `Gates.apply`:
``relu(v) = max(v, 0)`` with the same denominator, i.e. one step gate per
value of the sum above 0 (or none, when the form is a thermometer form of an
earlier sum, or its interval does not straddle 0).
"""

from __future__ import annotations

from collections import defaultdict

from compilers.backends.circuit.fixed import Form, combine
from compilers.ir import MLP, Matrix

Stream = dict[str, Form]
"""One position of the residual stream: direction -> form (absent: 0)."""


def by_row(matrix: Matrix) -> dict[str, list]:
    """``{row: [(col, weight), ...]}`` of a sparse matrix."""
    rows: dict[str, list] = defaultdict(list)
    for (row, col), value in matrix.entries.items():
        rows[row].append((col, value))
    return dict(rows)


def linear(rows: dict[str, list], x: Stream, bias=None) -> Stream:
    """``W x + b`` for a matrix given `by_row`, exactly."""
    bias = bias or {}
    out = {}
    zero = Form({}, 0, 1)
    for row in [*rows, *(b for b in bias if b not in rows)]:  # a fixed order: same circuit
        out[row] = combine([(w, x.get(col, zero)) for col, w in rows.get(row, ())],
                           bias.get(row, 0))
    return out


def add_into(x: Stream, delta: Stream) -> Stream:
    """``x + delta`` (a new stream)."""
    out = dict(x)
    for name, form in delta.items():
        out[name] = combine([(1, out[name]), (1, form)]) if name in out else form
    return out


def lower_mlp(ctx, block: MLP, stream: dict, rows: list[int]) -> dict:
    """``x += W_out relu(W_in x + b_in) + b_out`` at positions `rows`."""
    w_in, w_out = by_row(block.w_in), by_row(block.w_out)
    out = {}
    for p in rows:
        x = stream[p]
        hidden = linear(w_in, x, block.b_in)
        active = {h: ctx.gates.apply(v, _relu, v.den, f"{block.label}.{h}")
                  for h, v in hidden.items()}
        out[p] = add_into(x, linear(w_out, active, block.b_out))
    return out


def _relu(numerator: int) -> int:
    return max(numerator, 0)
