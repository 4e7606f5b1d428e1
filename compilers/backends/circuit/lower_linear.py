"""Linear maps and the read-out on exact forms.

A linear map ``y_r = sum_c W_rc x_c + b_r`` with rational weights acts on
forms exactly (`combine`): the result's denominator is the lcm of the
denominators involved, no rounding and no gate. This is exact iterated
addition, folded into whichever threshold gate reads y (Merrill, Sabharwal &
Smith 2022, Sec. 5: sums of n numbers in one threshold layer). MLPs are
lowered in `lower_pieces`.
"""

from __future__ import annotations

from collections import defaultdict

from compilers.backends.circuit.fixed import Form, combine
from compilers.ir import Matrix

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
