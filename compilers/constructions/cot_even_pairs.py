"""EVEN PAIRS without a chain of thought: one attention layer and a linear read-out.

Huang, Liang & Yang (2025), "How Transformers Learn Regular Language
Recognition: A Theoretical Study on Training Dynamics and Implicit Bias"
(ICML; arXiv 2505.00926): a *one-layer* transformer, an attention layer
followed by a linear layer, solves *even pairs* (as many ``ab`` factors as
``ba`` factors, i.e. the empty word or first symbol = last symbol) directly,
while *parity check* needs a chain of thought
(`compilers.constructions.cot_parity`). They study training by gradient
descent; here the weights are constructed, exact, for the same architecture.

The input is ``<bos> w_1 ... w_n`` (BOS at position 0), read out at the last
position i = n. Directions and weights, all exact:

* embedding: the one-hot symbol ``sym_a``, ``sym_b``, ``word = [w_j ∈ {a, b}]``
  and ``bos``; the positional feature ``first_key = 2j - j^2`` (the
  Cookbook's quadratic lookup of position 1, Sec. 5.3.4:
  ``2·1·j - j^2 = 1 - (j - 1)^2``) and the constant ``one``.
* the attention layer, one causal unique-hard head: score
  ``s_ij = 2 first_key_j + (5/2) bos_j + <sym(w_i), sym(w_j)>``, i.e.
  ``2 + [w_1 = w_n]`` at j = 1, ``5/2`` at the BOS, at most 1 at j >= 2
  (``4j - 2j^2 <= 0`` there). The maximum is position 1 when
  ``w_1 = w_n`` (3 against 5/2) and the BOS otherwise (5/2 against 2): gap
  1/2. Value ``found = word``: 1 exactly when ``w_1 = w_n``.
* the linear read-out: ``logit = found + bos - 1/2`` (``bos`` at the read-out
  position: the empty word, a member): ``±1/2``.

For n = 1 the query's own position is position 1: ``w_1 = w_1``, accepted.

Deviations, named:

1. Hard attention with the BOS as the default key (the Cookbook's BOS
   idiom); the paper's attention is softmax, trained. Every other score is at
   least 1/2 below the maximum, so a softmax at a large scale approaches it,
   and the tie rule (``last``) never decides in exact arithmetic (past the
   float guarantee a tie that rounding makes is flagged, not an error).
2. The positional term ``first_key`` is a fixed polynomial feature; the paper
   trains its positional embeddings.

Float precision. Every value is a half-integer: the feature ``2j - j^2``,
the products and their sums, at most ``2n^2 + 4`` in size; a float dtype of
p significand bits holds them all exactly while ``4n^2 + 8 <= 2^p``, and then
the torch run is the exact one (`guaranteed_length`): n <= 2047 in
float32, 47 453 132 in float64, 22 in float16, 7 in bfloat16.
"""

from __future__ import annotations

import math
from fractions import Fraction

from compilers.constructions.base import Family
from compilers.constructions.recognizer import Recognizer
from compilers.dtypes import UNIT_ROUNDOFF
from compilers.ir import Hard, I
from compilers.library import Model, attention, positions

BOS = "<bos>"


def guaranteed_length(dtype: str) -> int:
    """The largest n with ``4n^2 + 8 <= 2^p`` (p the dtype's significand bits)."""
    p = round(-math.log2(UNIT_ROUNDOFF[dtype]))
    return math.isqrt(((1 << p) - 8) // 4)


def build() -> Recognizer:
    """The one-layer even-pairs recogniser (module docstring)."""
    model = Model("even_pairs", tokens=(BOS, "a", "b"))
    bos = model.token_feature("bos", {BOS: 1})
    word = model.token_feature("word", {"a": 1, "b": 1})
    sym = [model.token_feature(f"sym_{a}", {a: 1}) for a in "ab"]
    first = positions.feature(model, "first_key", 2 * I - I**2)
    one = model.one()
    attention.attend(model, {"found": word},
                     scores=[({one: 2}, first), ({one: Fraction(5, 2)}, bos),
                             *((s, s) for s in sym)],
                     kind=Hard(tie="last", gap=Fraction(1, 2)), mask="causal", prefix="pair")
    transformer = model.build({"logit": {"found": 1, bos: 1}}, bias={"logit": Fraction(-1, 2)})
    return Recognizer(name="even_pairs", transformer=transformer, language="even_pairs",
                      bos=(BOS,), accept="logit", options={},
                      limits={d: guaranteed_length(d) for d in UNIT_ROUNDOFF},
                      note="Huang, Liang & Yang 2025 (ICML), even pairs: one layer, no CoT")


FAMILY = Family(
    name="even_pairs", title="Huang, Liang & Yang's one-layer even-pairs recogniser",
    paper="Huang, Liang & Yang 2025 (ICML), even pairs with one layer (no chain of thought)",
    mode="recognise", options=(), build=build, circuit="recogniser", inputs="words over ab")

__all__ = ["BOS", "FAMILY", "build", "guaranteed_length"]
