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

Softmax heads (`compilers.programs.rasp_softmax`). A head of kind
``Softmax(beta)`` stands for the average-hard head the compiler built, whose
scores put every selected key (or the BOS, where none is) at the maximum M
and every other key at most ``M - g`` (`gaps`: g = 1/2 for an Aggregate, 1
for a SelectorWidth). The analysis bounds the softmax head's distance from
that average-hard head and carries it downstream as one more error, so the
same decoding test covers both. With ``e`` the score error (the float error
above, plus the rounding ``u sum_r B_q B_k`` of ``beta s``) and at most N keys
outside the maxima (N + 1 keys, at least one selected), the weight outside
the maxima is

    ``A <= N exp(-beta (g - 2e))``            (needs ``2e < g``),

the weights inside them are uniform up to the factor ``exp(2 beta e)``
(``rho = exp(2 beta e) - 1``), so the distance of the softmax weights a from
the uniform weights p on the maxima is ``||a - p||_1 <= 2A + rho``, and an
output direction of value bound ``B_v`` and error ``E_v`` is off by at most

    ``E_v + B_v (2A + rho) + (B_v + E_v) (gamma_{N+4} + gamma_{N+2}) + N tiny``

(``gamma_{N+4}``: the relative error of a float softmax weight, one exp, a
sum of N + 1 terms and a division; ``gamma_{N+2}`` the weighted sum's; tiny:
the smallest normal number, for a weight that underflows). A head also fails
when ``beta sum_r B_q B_k`` overflows the dtype. The exact backend computes
each exponential with mpmath at 256 bits: its analysis (dtype ``"exact"``)
is the same with ``u = EXACT_ROUNDOFF``, so a pass proves that the exact
backend's softmax answer, rounded as a float one is, decodes to the
average-hard one (and the RASP evaluator's) at every n <= N.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import sympy

from compilers.dtypes import LARGEST, SMALLEST_NORMAL, UNIT_ROUNDOFF
from compilers.ir import MLP, Attention, N, Softmax, Transformer

SIGNIFICAND = {"float64": 53, "float32": 24, "float16": 11, "bfloat16": 8, "exact": 200}
EXACT_ROUNDOFF = 2.0**-200
"""The ``u`` of the exact backend's softmax: mpmath exponentials at 256 bits, less what a
scale times a score difference of up to 2^50 in size costs."""


def roundoff(dtype: str) -> float:
    """The unit roundoff of a float dtype, or `EXACT_ROUNDOFF` for ``"exact"``."""
    return EXACT_ROUNDOFF if dtype == "exact" else UNIT_ROUNDOFF[dtype]


def scale_at(kind: Softmax, n: int) -> float:
    """A softmax head's scale at length n, as a float."""
    return float(sympy.sympify(kind.scale).xreplace({N: sympy.Integer(n)}))


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


def _softmax_error(beta: float, gap: float | None, score_error: float, total: float,
                   max_seq_len: int, dtype: str):
    """``(off(B_v, E_v), ok)``: the error a softmax head adds to an output of value bound
    ``B_v`` beyond ``E_v`` (module docstring), and whether the bound applies at all."""
    u = roundoff(dtype)
    e = score_error + u * total  # the rounding of beta * s, as a score error
    largest = LARGEST.get(dtype, float("inf"))
    if gap is None or 2 * e >= gap or beta * total >= largest / 2 or 2 * beta * e > 700:
        return (lambda b, err: float("inf")), False
    keys = max_seq_len
    leak = keys * math.exp(-beta * (gap - 2 * e))
    rho = math.expm1(2 * beta * e)
    weights = _gamma(max_seq_len + 4, u) + _gamma(max_seq_len + 2, u)
    tiny = keys * SMALLEST_NORMAL.get(dtype, 0.0)

    def off(b: float, err: float) -> float:
        return b * (2 * leak + rho + tiny) + (b + err) * weights
    return off, math.isfinite(leak + rho)


def error_bounds(transformer: Transformer, dtype: str, bounds: dict, max_seq_len: int,
                 ranges: dict | None = None, *, gaps: dict | None = None,
                 beta_override: float | None = None):
    """``(heads_ok, outputs)``: whether every average-hard head's score error is below an
    eighth of its gap and every softmax head's bound applies, and each read-out output's
    ``(B, E)`` (see the module docstring); `ranges` caps a direction's magnitude where its
    exact values are known to lie; `gaps` gives each softmax head's score gap (by label),
    `beta_override` reads every head as softmax at that inverse temperature (a search's
    trial), whatever its kind in the IR.
    `dtype`: a float dtype or ``"exact"`` (the exact backend's softmax)."""
    u = roundoff(dtype)
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
                values = _form(head.value, bound, error, u)
                if isinstance(head.kind, Softmax) or beta_override is not None:
                    beta = beta_override if beta_override is not None else scale_at(
                        head.kind, max_seq_len)
                    off, ok = _softmax_error(beta, float(gaps[head.label]) if gaps and
                                             head.label in gaps else None,
                                             score_error, total, max_seq_len, dtype)
                    heads_ok = heads_ok and ok
                    for d, (b, e) in values.items():
                        pb, pe = added.get(d, (0.0, 0.0))
                        added[d] = (pb + b, pe + e + off(b, e))
                    continue
                gap = getattr(head.kind, "gap", None)
                if total and (gap is None or score_error >= float(gap) / 8):
                    heads_ok = False
                for d, (b, e) in values.items():
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
            bound[d] = min(bound[d], float(ranges[d]) + error[d])


def guaranteed(transformer: Transformer, dtype: str, bounds: dict, max_seq_len: int, *,
               numerical: bool, values, ranges: dict | None = None, gaps: dict | None = None,
               beta_override: float | None = None) -> bool:
    """Whether a run in `dtype` (a float dtype, or ``"exact"`` for the exact backend's
    softmax) decodes every output right at every n <= N."""
    heads_ok, outputs = error_bounds(transformer, dtype, bounds, max_seq_len, ranges,
                                     gaps=gaps, beta_override=beta_override)
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
