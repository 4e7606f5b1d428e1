"""How far a float run of a compiled RASP program can drift: a forward error bound.

For a dtype of unit roundoff u (`compilers.dtypes.UNIT_ROUNDOFF`), every
direction d of the stream gets a magnitude bound ``B_d`` and an error bound
``E_d`` (float value minus exact value), block by block through the IR, with
Higham's ``gamma_k = k u / (1 - k u)`` for a sum of k rounded products
("Accuracy and Stability of Numerical Algorithms", Sec. 3.1; one more term
for the rounding of the weights themselves):

* inputs: a token's table entry and a positional feature (`bounds` gives
  each feature's largest absolute value at lengths up to N) are exact where
  they are integers below ``2^p``, else within ``u B``;
* a linear form ``y = sum_d w_d x_d`` (a query, a key, a value, a
  pre-activation, an MLP's output, the read-out): ``B_y = sum |w_d| B_d``
  (+ |bias|), ``E_y = sum |w_d| E_d + gamma_{k+1} B_y``. ReLU is 1-Lipschitz,
  so a hidden unit keeps its pre-activation's bounds;
* a head: each score ``sum_r q_r k_r`` is within
  ``e_s = sum_r (B_q E_k + B_k E_q + E_q E_k) + gamma_{r+1} sum_r B_q B_k``. If
  ``e_s < gap/8`` for its declared gap, the float head picks exactly the exact
  head's maxima (a true maximum is computed within ``gap/4`` of the computed
  maximum, which the torch backend counts as a tie and does not flag; any
  other score is at least ``3 gap/4`` below); then its output, a mean of at
  most N + 1 values, is within ``E_v + gamma_{N+2} B_v``;
* the residual adds: ``E_d`` grows by the block's error plus ``u (B_d + B_out)``;
  ``B_d`` is then capped by the range the compiler knows the exact value keeps
  (`CompiledRasp.ranges`: 1 for a one-hot or thermometer entry, the largest
  value of its set for a number), since a bound on the exact value is all the
  rounding terms need.

The read-out decides: a categorical output is a 0/1 entry, read right when
its error is below 1/2 (rounded to the nearest integer); a numerical one is
decoded to the nearest value of its finite value set, right when its error
is below half the smallest gap between two values. `guaranteed` is True when
every head and every output passes at the maximum length; the bounds use the
largest magnitudes over every length up to N, so a pass covers every n <= N.
Loose (worst case, no cancellation), never optimistic.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

from compilers.dtypes import UNIT_ROUNDOFF
from compilers.ir import MLP, Attention, Transformer

SIGNIFICAND = {"float64": 53, "float32": 24, "float16": 11, "bfloat16": 8}


def _gamma(k: int, u: float) -> float:
    return k * u / (1 - k * u) if k * u < 1 else float("inf")


def _form(matrix, bound: dict, error: dict, u: float, bias=None) -> dict:
    """``{row: (B, E)}`` for the linear map `matrix` (rows read the stream's columns)."""
    sums: dict = {}
    for (row, col), w in matrix.entries.items():
        b, e, k = sums.get(row, (0.0, 0.0, 0))
        w = abs(float(w))
        sums[row] = (b + w * bound.get(col, 0.0), e + w * error.get(col, 0.0), k + 1)
    for row, value in (bias or {}).items():
        b, e, k = sums.get(row, (0.0, 0.0, 0))
        sums[row] = (b + abs(float(value)), e, k + 1)
    return {row: (b, e + _gamma(k + 1, u) * b) for row, (b, e, k) in sums.items()}


def error_bounds(transformer: Transformer, dtype: str, bounds: dict, max_seq_len: int,
                 ranges: dict | None = None):
    """``(heads_ok, outputs)``: whether every head's score error is below an eighth of
    its gap, and each read-out output's ``(B, E)`` (see the module docstring); `ranges`
    caps a direction's magnitude where its exact values are known to lie."""
    u = UNIT_ROUNDOFF[dtype]
    exact_below = 2.0 ** SIGNIFICAND[dtype]
    bound: dict[str, float] = {}
    error: dict[str, float] = {}

    def put(d: str, value: float) -> None:
        value = abs(value)
        bound[d] = max(bound.get(d, 0.0), value)
        exact = float(value).is_integer() and value <= exact_below
        error[d] = max(error.get(d, 0.0), 0.0 if exact else u * value)

    for (d, _), w in transformer.inputs.table.entries.items():
        put(d, float(w))
    if transformer.positions is not None:
        for d in transformer.positions.features:
            put(d, float(bounds[d]))
    heads_ok = True
    for block in transformer.blocks:
        if isinstance(block, Attention):
            added: dict = {}
            for head in block.heads:
                q = _form(head.query, bound, error, u)
                k = _form(head.key, bound, error, u)
                spread, total = 0.0, 0.0
                for r in head.query.rows:
                    bq, eq = q.get(r, (0.0, 0.0))
                    bk, ek = k.get(r, (0.0, 0.0))
                    spread += bq * ek + bk * eq + eq * ek
                    total += bq * bk
                score_error = spread + _gamma(len(head.query.rows) + 1, u) * total
                gap = getattr(head.kind, "gap", None)
                if total and (gap is None or score_error >= float(gap) / 8):
                    heads_ok = False
                for d, (b, e) in _form(head.value, bound, error, u).items():
                    pb, pe = added.get(d, (0.0, 0.0))
                    added[d] = (pb + b, pe + e + _gamma(max_seq_len + 2, u) * b)
            _residual(added, bound, error, u, ranges)
        elif isinstance(block, MLP):
            hidden = _form(block.w_in, bound, error, u, block.b_in)
            hb = {h: b for h, (b, _) in hidden.items()}
            he = {h: e for h, (_, e) in hidden.items()}
            _residual(_form(block.w_out, hb, he, u, block.b_out), bound, error, u, ranges)
        else:  # the RASP compiler makes no layer norm
            return False, {}
    readout = transformer.readout
    return heads_ok, _form(readout.matrix, bound, error, u, readout.bias)


def _residual(added: dict, bound: dict, error: dict, u: float, ranges: dict | None) -> None:
    for d, (b, e) in added.items():
        old = bound.get(d, 0.0)
        bound[d] = old + b
        error[d] = error.get(d, 0.0) + e + u * (old + b)
        if ranges and d in ranges:  # the exact value's own range, known from its value set
            bound[d] = min(bound[d], float(ranges[d]))


def guaranteed(transformer: Transformer, dtype: str, bounds: dict, max_seq_len: int, *,
               numerical: bool, values, ranges: dict | None = None) -> bool:
    """Whether a float run in `dtype` decodes every output right at every n <= N."""
    heads_ok, outputs = error_bounds(transformer, dtype, bounds, max_seq_len, ranges)
    if not heads_ok:
        return False
    worst = max((e for _, e in outputs.values()), default=0.0)
    if not numerical:
        return worst < 0.5
    if values is None:
        return False
    ordered = sorted(Fraction(v) for v in values)
    gaps = [float(b - a) for a, b in itertools.pairwise(ordered)]
    return worst < (min(gaps) / 2 if gaps else float("inf"))
