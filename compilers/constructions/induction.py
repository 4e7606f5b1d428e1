"""Induction heads: after the previous occurrence of the current symbol, predict what followed.

Yang et al. 2026, "The Transformer Cookbook" (TMLR; arXiv 2510.00368), the
Recipes chapter, section "Induction heads" (the two-head circuit of Elhage et
al. 2021 and Olsson et al. 2022, built from the Cookbook's predecessor and
tie-breaking ingredients). The rule: at position t, holding the symbol
``x_t``, let p < t be the last earlier position with ``x_p = x_t``; predict
``x_{p+1}``; with no such p, predict nothing (the outcome ``none``).

The input is ``$ x_1 ... x_n`` (the BOS ``$`` at position 0); the read-out is
at every position t = 0 .. n, one output per symbol and one for ``none``,
exactly one-hot. Directions and weights, all exact:

* embedding: ``is_s`` (1 where the symbol s is), ``bos``; no positional
  encoding (``attention="hard"``).
* layer 1, the predecessor head (Cookbook Sec. 5.4, `attention.attend` as in
  `attention.predecessor`, method "tie"): every score 0 under a strict causal
  mask, unique-hard attention with ties to the rightmost key, so position t
  reads position t - 1: ``prev_s = is_s(t-1)`` (0 at positions 0 and 1, where
  the key is none or the BOS). One head writes all ``|S|`` directions.
* layer 2, the induction head (Sec. 5.6, `attention.argmax`): query
  ``(is_s)_s`` and the constant 1, key ``(prev_s)_s`` and ``bos/2``, causal:
  ``s_tj = [x_{j-1} = x_t] + bos_j/2``: 1 at every j <= t that follows an
  earlier occurrence of ``x_t`` (j = p + 1, p < t), 1/2 at the BOS, 0
  elsewhere (gap 1/2). Ties go to the rightmost key, the last occurrence;
  with no occurrence the BOS wins. Value: ``next_s = is_s(j)`` and
  ``none = bos(j)``: the symbol after the occurrence, or ``none``.
* read-out at every position: ``p_s = next_s``, ``p_none = none``.

``attention="average-hard"``: the same induction head with average-hard
attention, the rightmost match made the unique maximum by the tie-breaker
``-(1/4)/(j+1)`` (Sec. 5.6's average-hard tie-breaking, with the feature
``1/(i+1)``): matches score in ``[7/8, 1)``, the BOS ``1/4``, others in
``[-1/8, 0)``, and two keys of one query t differ by at least
``1/(4 (t+1)(t+2))``, the gap declared.

Deviations, named:

1. The predecessor head writes the whole one-hot previous symbol (one head);
   `attention.predecessor` copies one form per head, which would take
   ``|S|`` heads.
2. The BOS is the default key (score 1/2) so that "no earlier occurrence" is
   an outcome (``none``) rather than a copy of an arbitrary position.
3. The read-out is the one-hot prediction itself (probabilities 0 and 1), not
   logits for a softmax.

Float precision. With ``attention="hard"`` every score is 0, 1/2 or 1 and
every value 0 or 1, exactly representable in every dtype, so a float run is
exact at every n (`EVERY_LENGTH`). With ``attention="average-hard"`` the
tie-breaker ``inv/4`` carries a relative error of about u and the score sum
one more rounding: an absolute error below ``2u`` per score, and below ``4u``
in a difference ``max - score``; the torch backend tells ties from rounding
while that is below a quarter of the gap, ``1/(16 (t+1)(t+2))``: we claim n
with ``64 u (n+1)(n+2) <= 1`` (510 in float32, about 1.2e7 in float64, 4 in
float16, 0 in bfloat16).
"""

from __future__ import annotations

import math
from fractions import Fraction

from compilers.constructions.base import Family, Option
from compilers.constructions.predictor import Predictor, checked_alphabet, direction
from compilers.dtypes import UNIT_ROUNDOFF
from compilers.ir import AverageHard, Hard, I
from compilers.library import Model, attention, positions, tokens

BOS = "$"
ATTENTION = ("hard", "average-hard")
EVERY_LENGTH = 10**9  # the claim "every n", as a number a limit table can hold
SAFETY = 64  # the average-hard variant's error constant (see "Float precision")


def rule(word: str) -> list[str | None]:
    """The induction rule, plainly: for t = 0 .. n, the symbol after the last earlier
    occurrence of ``x_t`` (word[t-1]), or None (t = 0, or no earlier occurrence)."""
    out: list[str | None] = [None]
    for t in range(1, len(word) + 1):
        current, found = word[t - 1], None
        for p in range(t - 2, -1, -1):
            if word[p] == current:
                found = word[p + 1]
                break
        out.append(found)
    return out


def guaranteed_length(dtype: str, kind: str) -> int:
    """The largest n the float analysis covers (see "Float precision")."""
    if kind == "hard":
        return EVERY_LENGTH
    bound = 1 / (SAFETY * UNIT_ROUNDOFF[dtype])
    n = max(0, math.isqrt(int(bound)) - 2)
    while (n + 2) * (n + 3) <= bound:
        n += 1
    while n > 0 and (n + 1) * (n + 2) > bound:
        n -= 1
    return min(n, EVERY_LENGTH)


def build(*, alphabet: str = "abc", attention_kind: str = "hard") -> Predictor:
    """The induction-head predictor over `alphabet` (see the module docstring)."""
    alphabet = checked_alphabet(alphabet, reserved=BOS, where="--alphabet")
    model = Model("induction", tokens=(BOS, *alphabet))
    if attention_kind == "hard":
        positions.none(model)
    bos = tokens.bos(model, BOS)
    name = {s: direction(s) for s in alphabet}
    is_ = {s: model.token_feature(f"is_{name[s]}", {s: 1}) for s in alphabet}
    prev = {s: f"prev_{name[s]}" for s in alphabet}
    attention.attend(model, {prev[s]: is_[s] for s in alphabet}, scores=[({}, {})],
                     kind=Hard(tie="last"), mask="strict_causal", prefix="predecessor")
    values = {f"next_{name[s]}": is_[s] for s in alphabet} | {"none": bos}
    scores = [(is_[s], prev[s]) for s in alphabet]
    if attention_kind == "hard":
        attention.argmax(model, values, scores=[*scores, ({1: 1}, {bos: Fraction(1, 2)})],
                         gap=Fraction(1, 2), tie="rightmost", mask="causal", via="hard")
    else:
        inv = positions.inverse(model)
        attention.attend(model, values, scores=[*scores, ({1: 1}, {bos: Fraction(1, 2),
                                                                  inv: Fraction(-1, 4)})],
                         kind=AverageHard(gap=1 / (4 * (I + 1) * (I + 2))), mask="causal",
                         prefix="induction")
    outputs = (*(f"p_{name[s]}" for s in alphabet), "p_none")
    readout = {f"p_{name[s]}": {f"next_{name[s]}": 1} for s in alphabet}
    transformer = model.build(readout | {"p_none": {"none": 1}}, position="all")
    outcomes = (*alphabet, "none")

    def predict(word: str) -> list[tuple[int, ...]]:
        return [tuple(int(o == (p if p is not None else "none")) for o in outcomes)
                for p in rule(word)]

    return Predictor(
        name="induction", transformer=transformer, alphabet=alphabet, outputs=outputs,
        outcomes=outcomes, predict=predict, denominator=1, bos=(BOS,),
        options={"alphabet": alphabet, "attention_kind": attention_kind},
        limits={d: guaranteed_length(d, attention_kind) for d in UNIT_ROUNDOFF},
        note="Yang et al. 2026 (Transformer Cookbook), Recipes: induction heads")


FAMILY = Family(
    name="induction", title="Induction heads: predict what followed the previous occurrence",
    paper="Yang et al. 2026, The Transformer Cookbook, Recipes: induction heads",
    mode="predict",
    options=(Option(name="alphabet", kind="text", default="abc",
                    help="The symbols (1 to 16, distinct, not '$')."),
             Option(name="attention_kind", kind="choice", choices=ATTENTION, default="hard",
                    cli="--attention",
                    help="The induction head: unique-hard attention with ties to the "
                         "rightmost, or average-hard attention with a 1/(i+1) tie-breaker.")),
    build=build, circuit="predictor", inputs="words over the alphabet")
