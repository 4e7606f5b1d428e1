"""FIRST: Chiang & Cholak's transformer for "the word starts with 1".

Chiang & Cholak (2022), "Overcoming a Theoretical Limitation of Self-Attention"
(ACL), Sec. 4.2 (the exact construction), Sec. 5 (layer normalisation with
epsilon 0 and the ``[x, -x]`` doubling) and Sec. 6 (log-length scaled
attention, which keeps the attention on one position as n grows).

The input is ``$ w_1 ... w_n`` (the CLS symbol at position 0). Directions and
weights, all exact:

* embedding: ``tok0``, ``tok1``, ``cls`` one-hot; the position feature
  ``at1 = [i = 1]``.
* MLP: ``first1 = relu(tok1 + at1 - 1)``, 1 exactly at position 1 when
  ``w_1 = 1``, else 0.
* attention (one softmax head, query ``sharpness * cls``, key ``at1``): from
  the CLS position, score ``s = sharpness`` at position 1 and 0 elsewhere,
  times ``log(n+1)`` with ``log_scaling``. The value is
  ``first1 - at1/2 - cls/2``: ``±1/2`` at position 1, ``-1/2`` at the CLS
  position, 0 elsewhere, so
  ``answer = (±e^s - 1) / (2 (e^s + n))``: positive iff ``w_1 = 1`` (for any
  ``s > 0``), but shrinking like ``1/n`` for a fixed ``s`` (Hahn's lemma, the
  cross-entropy tends to 1 bit) and constant for ``s = sharpness log(n+1)``
  with ``sharpness > 1``.
* read-out at CLS: ``logit = output_scale * answer``; with ``layernorm=True``
  a layer norm over the doubled pair ``(answer, answer_neg)`` makes it
  ``±output_scale`` at ``eps = 0``, at every n.

Deviations, named:

1. The paper's first layer has an attention sub-layer that does nothing; it is
   left out.
2. The ``-cls/2`` term of the value is ours: it makes the empty word (where
   position 1 does not exist) a reject instead of a zero logit, and keeps the
   layer norm defined there; for n >= 1 it costs a factor ``(e^s-1)/e^s``.
3. Log-length scaling multiplies scores by ``log(n+1)`` (the paper's n counts
   the CLS symbol, so this is its ``log n``).
4. With layer norm, the positions other than CLS carry ``-1`` in ``answer``
   (``+1`` in ``answer_neg``) from the positional encoding: there the
   attention average can be exactly 0 and a layer norm over the pair with
   ``eps = 0`` undefined. (The paper normalises the whole stream, which other
   coordinates keep non-zero.) The read-out position is unaffected.

Float precision. At the CLS position ``answer = (w_1 - w_0) / 2`` for a 1 at
position 1, with ``w_1 = 1/Z`` and ``w_0 = e^{-s}/Z`` after the softmax
subtracts its maximum (``Z = 1 + n e^{-s}``, s the score at position 1): a
difference of two rounded terms of one sign, whose sign is right when they lie
apart by more than their rounding, ``1 - e^{-s} >= 64 u``; a 0 at position 1
gives ``-(w_1 + w_0)/2``, no cancellation. The analysis is about relative
errors, so it also needs every value to stay a normal number of the dtype
(between its smallest normal number and its largest): the sharpness, the
output scale and epsilon as weights, ``1/Z``, the margin
``a = (1 - e^{-s}) / (2Z)`` and the logit ``output_scale * a`` (with layer
norm: ``output_scale * a / sqrt(a^2 + eps)``, and ``a^2`` or ``eps`` normal).
`guaranteed_length` gives the largest n where these hold, bounding Z by its
largest value up to n and ``1 - e^{-s}`` by its smallest (with
`log_scaling`, s grows with n); with the defaults that is every n we claim
(`ANY_LENGTH`) in float64, float32 and bfloat16, and about 1.8e8 in float16.
A tiny sharpness (1e-10: ``1 - e^{-s}`` is below float32's rounding) or
output scale (1e-18 in float16: the logit underflows) gets no length at all
(None): every float run is then untrusted.
"""

from __future__ import annotations

import math
from fractions import Fraction

import sympy

from compilers.constructions.base import Family, Option, exact_number
from compilers.constructions.parity import EPSILON, LAYERNORM, OUTPUT_SCALE, largest
from compilers.constructions.recognizer import Recognizer
from compilers.dtypes import LARGEST, SMALLEST_NORMAL, UNIT_ROUNDOFF
from compilers.errors import CompileError
from compilers.ir import (
    MLP,
    Attention,
    Head,
    I,
    LayerNorm,
    N,
    PositionalEncoding,
    Readout,
    Softmax,
    TokenEmbedding,
    Transformer,
    matrix,
)

ANY_LENGTH = 10**9  # the claim "every n", as a number a limit table can hold
CANCELLATION = 64  # 1 - e^{-s} must exceed this many units of roundoff


def guaranteed_length(dtype: str, *, sharpness=10, log_scaling: bool = False, output_scale=5,
                      epsilon=0, layernorm: bool = False) -> int | None:
    """The largest n (at most `ANY_LENGTH`) the float analysis covers in `dtype` for these
    options, None for none (see "Float precision" in the module docstring)."""
    u, tiny, big = UNIT_ROUNDOFF[dtype], SMALLEST_NORMAL[dtype], LARGEST[dtype]
    s, scale = float(Fraction(sharpness)), float(Fraction(output_scale))
    eps = float(Fraction(epsilon))
    if not (tiny <= s <= big and tiny <= scale <= big / 2) or (
            eps and not tiny <= eps <= big / 4):
        return None

    def score(n: int) -> float:
        return s * math.log(n + 1) if log_scaling else s

    least_gap = -math.expm1(-score(1))  # 1 - e^{-s}, smallest at n = 1

    def leak(n: int) -> float:  # n e^{-s(n)}, the weight off position 1 (before 1/Z)
        return n * math.exp(-score(n))

    def in_range(top: int) -> bool:
        if top == 0:
            return scale / 2 >= tiny  # the empty word: answer -1/2
        peaks = [1, top]
        if log_scaling and s > 1:
            peaks.append(min(top, max(1, round(1 / (s - 1)))))
        z = 1 + max(leak(n) for n in peaks)  # Z's largest value for n <= top
        if least_gap < CANCELLATION * u or z > big / 4 or 1 / z < tiny:
            return False
        margin = least_gap / (2 * z)
        logit = scale * (margin if not layernorm else margin / math.sqrt(margin**2 + eps))
        variance = margin**2 >= tiny or eps >= tiny
        return margin >= tiny and logit >= tiny and (variance or not layernorm)

    return largest(in_range, ANY_LENGTH) if in_range(1) else (0 if in_range(0) else None)


def build(*, layernorm: bool = False, log_scaling: bool = False, output_scale=5,
          epsilon=0, sharpness=10) -> Recognizer:
    """The FIRST recognizer (see the module docstring for every weight)."""
    scale = exact_number(output_scale, name="output scale")
    eps = exact_number(epsilon, name="epsilon", positive=False)
    sharp = exact_number(sharpness, name="sharpness")
    if eps and not layernorm:
        raise CompileError("epsilon applies to the layer-norm variant; add layernorm=True")
    pair = ("answer", "answer_neg") if layernorm else ("answer",)
    stream = ("tok0", "tok1", "cls", "at1", "first1", *pair)
    embedding = TokenEmbedding(label="embed", tokens=("0", "1", "$"), table=matrix(
        {("tok0", "0"): 1, ("tok1", "1"): 1, ("cls", "$"): 1},
        rows=("tok0", "tok1", "cls"), cols=("0", "1", "$")))
    at1 = sympy.Piecewise((1, sympy.Eq(I, 1)), (0, True))
    mlp = MLP(label="mark", hidden=("h",), w_in=matrix({("h", "tok1"): 1, ("h", "at1"): 1}),
              w_out=matrix({("first1", "h"): 1}), b_in={"h": -1})
    value = {("answer", "first1"): 1, ("answer", "at1"): Fraction(-1, 2),
             ("answer", "cls"): Fraction(-1, 2)}
    if layernorm:
        value |= {("answer_neg", col): -v for (_, col), v in list(value.items())}
    head = Head(label="look", query=matrix({("q", "cls"): sharp}), key=matrix({("q", "at1"): 1}),
                value=matrix(value),
                kind=Softmax(scale=sympy.log(N + 1) if log_scaling else sympy.Integer(1)))
    features = {"at1": at1}
    blocks = [mlp, Attention(label="attend", heads=(head,))]
    if layernorm:  # see deviation 4: keep the pair non-zero away from the CLS position
        away = sympy.Piecewise((0, sympy.Eq(I, 0)), (1, True))
        features |= {"answer": -away, "answer_neg": away}
        blocks.append(LayerNorm(label="norm", dims=pair, epsilon=eps))
    transformer = Transformer(
        label="first", stream=stream, inputs=embedding,
        positions=PositionalEncoding(label="positions", features=features),
        blocks=tuple(blocks),
        readout=Readout(label="out", matrix=matrix({("logit", "answer"): scale}),
                        position="first"))
    return Recognizer(
        name="first", transformer=transformer, language="first", bos=("$",), accept="logit",
        options={"layernorm": layernorm, "log_scaling": log_scaling,
                 "output_scale": str(scale), "epsilon": str(eps), "sharpness": str(sharp)},
        limits={dtype: guaranteed_length(dtype, sharpness=sharp, log_scaling=log_scaling,
                                         output_scale=scale, epsilon=eps, layernorm=layernorm)
                for dtype in UNIT_ROUNDOFF},
        note="Chiang & Cholak 2022, Sec. 4.2 (Sec. 5 layer norm, Sec. 6 log scaling)")


FAMILY = Family(
    name="first", title="Chiang & Cholak's FIRST transformer",
    paper="Chiang & Cholak 2022, Sec. 4.2 (Sec. 5: layer norm, Sec. 6: log scaling)",
    mode="recognise",
    options=(LAYERNORM, OUTPUT_SCALE, EPSILON,
             Option(name="log_scaling", kind="flag", default=False,
                    help="Chiang & Cholak Sec. 6: scale scores by log(n+1)."),
             Option(name="sharpness", kind="number", default="10",
                    help="The query weight (score at position 1).")),
    build=build, circuit="recogniser", inputs="words over 01")
