"""Dyck-k of depth at most D by three layers of average-hard attention and layer norm.

Yang et al. (2026), "The Transformer Cookbook", section "Dyck Language",
subsection "AHAT for Dyck-k-D", after Yao et al. (2021, Sec. 5.2; App. B.3 adapts their generator
to recognition). Let ``h_i`` be the depth after position i (openers minus
closers among ``w_1 .. w_{i+1}``; ``$`` counts 0, so ``h_n`` is the final
depth). A word is in ``Dyck_{k,D}`` iff (a) every ``h_i`` lies in ``0..D``,
(b) ``h_n = 0``, and (c) every closer at i has the type of its partner, which,
given (a), is the rightmost opener j < i with ``h_j = h_i + 1`` (between the
two every opener is deeper, and every closer at that depth would have closed
j).

Directions and weights (the library's blocks; `compilers.constructions.dyck`
for the input). With thresholds ``c = -1/2, 1/2, ..., D + 1/2`` (D + 2 of
them, ``c = k + 1/2`` for ``k = -1 .. D``):

* embedding: ``open_t``, ``close_t``; positional features
  ``cut_k = (k + 1/2)/(i + 1)``, ``one = 1``.
* layer 1, attention (one average-hard head with no scores: uniform, future
  masked, Cookbook Sec. 5.1.2): value ``sum_t open_t - sum_t close_t`` written
  into each ``above_k``, which then holds ``h_i/(i + 1)``.
* layer 1, D + 2 layer norms, one over each pair ``(above_k, cut_k)``
  (epsilon 0; Cookbook Sec. 6, the [x, -x] sign of Chiang & Cholak): over a
  pair ``(a, b)`` a layer norm gives ``(sign(a - b), -sign(a - b))``, so
  ``above_k = sign(h_i - k - 1/2)``: +1 iff ``h_i > k``, exactly (the square
  root of a square is exact), never undefined (``h_i`` is an integer, the cut a
  half-integer). This is the Cookbook's integer-comparison recipe (a
  comparison of counts, normalised to ±1) without its clipping MLP, which
  epsilon 0 does not need. Then ``[h_i = k] = (above_{k-1} - above_k)/2``.
* layer 2, attention (`attention.argmax`, average-hard, strict future mask,
  ties to the rightmost by the tie-breaker ``(1/2) j/(n + 2)``, Cookbook
  Sec. 5.6): query ``([h_i = k - 1])_{k=1..D}, one``, key
  ``([h_j = k])_{k=1..D}, sum_t open_t``, so the score is
  ``[h_j = h_i + 1] + [j is an opener]``, an integer (gap 1): its rightmost
  maximum is the partner of a closer at i. Value ``partner_t = open_t``.
* layer 2, MLP (k units, `ffn.and_`): ``mismatch = sum_t relu(close_t -
  partner_t)``, 1 exactly at a closer whose partner has another type (or is
  no opener).
* layer 3, attention (average-hard with no scores: uniform, unmasked), read
  at ``$``: the mean of ``bad = mismatch + (1 - above_{-1})/2 +
  (1 + above_D)/2`` (the mismatch, plus ``h_i < 0``, plus ``h_i > D``; an
  integer) over the n + 1 positions: ``verdict`` is 0 iff (a) and (c) hold
  everywhere, and at least ``1/(n + 1)`` otherwise.
* read-out at ``$``: ``logit = margin - verdict - 1 + (above_{-1} - above_0)/2``
  with the positional feature ``margin = 1/(2(n + 1))``, that is
  ``margin - verdict - [h_n != 0]``: ``margin`` on a member, at most
  ``-margin`` otherwise.

Size: 3 layers, 3 heads, D + 2 layer norms, k hidden units, width
``3k + 2D + 9``; the Cookbook's (a generator): 2 layers, 2 heads per
layer at most, a 2-layer FFN with layer norm.

Deviations, named:

1. Recognition, not generation (Yao et al., App. B.3): layer 3 gathers the
   per-position checks (a), (c) at ``$`` as a mean (a uniform head, whose
   circuit needs no division: an argmax over ``bad`` would give ±1 logits but
   costs the circuit backend a unary division per value), and the read-out
   adds (b).
2. Depths are compared through D + 2 signs made by layer norms (one-hot
   depths), where Yao et al. encode a depth as a point on a circle
   (trigonometric features and layer norm, their App. B.1) and the Cookbook
   leaves the comparison open; no FFN is needed for it.
3. The partner's head matches depths (the closer's depth before it, the
   opener's after it) and prefers openers (the Cookbook's "zero out the score
   where ``o_j != 1``" as a bonus of 1); ties go to the rightmost by the
   library's tie-breaker ``j/(n + 2)`` (the Cookbook's ``j/n``, which the BOS
   and end symbols would push past 1).
4. No identity head: the residual connection carries the stream.

Float precision. The running sums are integers (exact while ``n + 1 <= 2^p``)
and ``above_k`` before its layer norm is their correctly rounded quotient;
the cut is rounded once more. An integer h and a half-integer cut
``|c| <= D + 1/2`` differ by at least ``max(|h|, |c|)/kappa`` with
``kappa = 4D + 2``, so the pair keeps its order, and the layer norm's
centring, variance and division give ``±(1 + e)`` with ``|e| <= (4 kappa + 5) u``
(first order; we take ``delta = 8 kappa u``). Layer 2's scores then carry an
error of at most ``E = 3 (delta + u) + D (delta + u)^2 + 3 (D + 3) u`` (two
products near 1, D near 0, a sum of D + 3 terms), against the gap
``1/(2(n + 2))`` the tie-breaker leaves; a float backend tells ties from
rounding with that gap (ties below a quarter of it, suspect up to three
quarters), so the partner is the exact one while ``32 (n + 2) E <= 1`` (a
factor 2 to spare). The partner's value and ``mismatch`` are then exact; each
``bad`` is an integer up to ``delta + 2u``, so on a member the logit is at least
``margin - 2 delta - 4u > 0`` (the condition above gives
``delta <= 1/(96 (n + 2))``) and on a non-member at most about ``-margin``.
We also ask ``delta <= 1/32`` and the layer norm's variance
``>= 1/(16 (n + 1)^2)`` to be a normal number. For D = 3:
n <= 1466 in float32 (n <= 497 for D = 10), every n we claim in float64, and
none in float16 and bfloat16 (``delta`` is too large: the tie-breaker's
resolution ``1/(2(n+2))`` is what average-hard attention pays for picking one
key). Runs beyond that are reported untrusted.
"""

from __future__ import annotations

from fractions import Fraction

from compilers.constructions.first import ANY_LENGTH
from compilers.constructions.parity import largest
from compilers.dtypes import SMALLEST_NORMAL, UNIT_ROUNDOFF
from compilers.ir import I, N, Transformer
from compilers.library import Model, attention, ffn, norm, positions

SIGNIFICAND_BITS = {"float64": 53, "float32": 24, "float16": 11, "bfloat16": 8}
HALF = Fraction(1, 2)


def guaranteed_length(dtype: str, depth: int) -> int | None:
    """The largest n (at most `ANY_LENGTH`) the float analysis covers in `dtype` for depth
    bound `depth`, None for none (see "Float precision" in the module docstring)."""
    u, tiny = UNIT_ROUNDOFF[dtype], SMALLEST_NORMAL[dtype]
    kappa = 4 * depth + 2
    delta = 8 * kappa * u
    if delta > 1 / 32:
        return None
    error = 3 * (delta + u) + depth * (delta + u) ** 2 + 3 * (depth + 3) * u
    exact_sums = 2 ** SIGNIFICAND_BITS[dtype] - 1

    def holds(n: int) -> bool:
        return (32 * (n + 2) * error <= 1 and n <= exact_sums
                and 1 / (16 * (n + 1) ** 2) >= tiny)

    return largest(holds, ANY_LENGTH)


def transformer(pairs: str, depth: int) -> Transformer:
    """The three-layer average-hard model over the bracket `pairs` (see the module
    docstring for every weight)."""
    types = range(len(pairs) // 2)
    model = Model("dyck_average", tokens=(*pairs, "$"))
    opens = [model.token_feature(f"open{t}", {pairs[2 * t]: 1}) for t in types]
    closes = [model.token_feature(f"close{t}", {pairs[2 * t + 1]: 1}) for t in types]
    levels = range(-1, depth + 1)  # the cut k + 1/2 between depth k and k + 1
    step = {**dict.fromkeys(opens, 1), **dict.fromkeys(closes, -1)}
    above = dict(zip(levels, attention.attend(
        model, {f"above{k}".replace("-", "m"): step for k in levels}, mask="causal",
        prefix="depth"), strict=True))  # each h_i / (i + 1)
    for k in levels:
        cut = positions.feature(model, f"cut{k}".replace("-", "m"), (k + HALF) / (I + 1))
        norm.layer_norm(model, (above[k], cut))  # above_k = sign(h_i - k - 1/2)

    def at(k: int) -> dict:  # [h = k] = (above_{k-1} - above_k) / 2
        return {above[k - 1]: HALF, above[k]: -HALF}

    scores = [(at(k - 1), at(k)) for k in range(1, depth + 1)]
    scores.append(({1: 1}, dict.fromkeys(opens, 1)))  # prefer openers
    with model.parallel("partner"):
        partner = attention.argmax(model, {f"partner{t}": opens[t] for t in types},
                                   scores=scores, gap=1, tie="rightmost", mask="strict_causal",
                                   via="average-hard")
        for t in types:
            ffn.and_(model, closes[t], {1: 1, partner[t]: -1}, out="mismatch")
    bad = {"mismatch": 1, above[-1]: -HALF, above[depth]: HALF, 1: 1}
    verdict = attention.uniform(model, bad, out="verdict")  # (number of bad) / (n + 1)
    margin = positions.feature(model, "margin", HALF / (N + 1))
    return model.build(readout={"logit": {margin: 1, verdict: -1, above[-1]: HALF,
                                          above[0]: -HALF}},
                       bias={"logit": -1}, position="last")
