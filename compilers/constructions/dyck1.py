"""Dyck-1 by softmax attention: the Transformer Cookbook's "SMAT for Dyck-1" recipe.

Yang et al. (2026), "The Transformer Cookbook" (TMLR; arXiv 2510.00368), the
recipes chapter, section "Dyck Language", subsection "SMAT for Dyck-1" (cited
by title: its number in the published version was not checked here): a
softmax-attention transformer with future masking recognises Dyck-1, after
Bhattamishra, Ahuja & Goyal (2020, Sec. 4), whose construction for
shuffle-Dyck-k is specialised to one bracket pair. A word is in Dyck-1 iff
(1) no prefix has more closing than opening brackets and (2) the whole word
has as many of each.

The input is ``w_1 ... w_n $`` (the end symbol ``$`` at position n, where the
read-out reads); positions are 0-based, so position i holds ``w_{i+1}``. Let
``h_i`` be the depth after position i (openers minus closers among
``w_1 .. w_{i+1}``; the end symbol counts 0, so ``h_n`` is the final depth).
Every weight is an integer; the blocks are the library's
(`compilers.library`):

* embedding: ``step = +1`` for ``(``, ``-1`` for ``)``, ``0`` for ``$``.
* layer 1, attention (one softmax head, query and key 0, so uniform, under
  future masking, Cookbook Sec. 5.1.2): ``depth_i = h_i / (i + 1)``, the
  Cookbook's ``(#open_i - #close_i)/i``.
* layer 1, MLP (2 units): ``below = relu(-depth)`` and
  ``size = relu(depth) + relu(-depth) = |depth|``.
* layer 2, attention (one softmax head, uniform, unmasked), read at ``$``:
  ``negatives = (1/(n+1)) sum_i below_i``, 0 iff no prefix is negative and
  otherwise at least ``1/(n+1)^2`` (the first negative prefix i has
  ``below_i = 1/(i+1)``).
* read-out at ``$``: ``logit = margin - size - negatives`` with the positional
  feature ``margin = 1/(2 (n+1)^2)``. On a member ``size = negatives = 0`` and
  the logit is ``margin > 0``; otherwise ``size >= 1/(n+1)`` (the final depth
  is not 0) or ``negatives >= 1/(n+1)^2``, so the logit is at most
  ``-margin``.

Size: 2 layers, 2 heads, 2 hidden units, width 6 (`compilers.library.size`);
the Cookbook's recipe is 1 layer, 1 head.

Deviations, named:

1. The Cookbook (and Bhattamishra et al.) stop after layer 1: "a FFN can then
   check membership", at each position. Condition (1) is about every prefix,
   which one position's FFN cannot see; layer 2 (a second uniform head)
   gathers the per-prefix checks at the read-out position, and the read-out
   is affine. This is the one extra layer.
2. The embedding is one direction ``step = ±1`` where the Cookbook writes the
   pair ``[1, -1]`` / ``[-1, 1]``; the second coordinate is the first negated.
3. The end symbol ``$`` (the CLS convention of the recognisers) holds the
   answer, and the empty word is accepted there (``h_0 = 0``).

Float precision. The head's scores are 0, so the torch backend takes the mean
as a running sum over the count (`compilers.backends.torch_attention`): the sums
are integers, exact while ``n + 1 <= 2^p`` (p the significand bits), and
``depth_i`` is their correctly rounded quotient, so it is exactly 0 iff
``h_i = 0`` and has the sign of ``h_i``; ``below`` and ``size`` are exact
functions of it. On a member the logit is therefore exactly the rounded
``margin``, positive. On a non-member ``size + negatives >= 2 margin``; the
mean over ``n + 1`` positions carries a relative error of at most about
``(n + 3) u``, the feature and the read-out's sum a few u more, so the
computed logit stays below 0 while ``(n + 7) u < 1/2``. We claim the lengths
with ``SAFETY (n + 7) u <= 1`` (SAFETY = 8, a factor 4 to spare) whose
``margin`` is a normal number of the dtype: n <= 2097145 in float32, 89 in
float16 (the margin leaves the normal range), 25 in bfloat16, and every n we
claim (`ANY_LENGTH`) in float64. Runs beyond that are reported untrusted.
"""

from __future__ import annotations

import sympy

from compilers.constructions.base import Family
from compilers.constructions.first import ANY_LENGTH
from compilers.constructions.parity import largest
from compilers.constructions.recognizer import Recognizer
from compilers.dtypes import SMALLEST_NORMAL, UNIT_ROUNDOFF
from compilers.ir import N, Softmax
from compilers.library import Model, attention, positions

SAFETY = 8  # see "Float precision" in the module docstring
SIGNIFICAND_BITS = {"float64": 53, "float32": 24, "float16": 11, "bfloat16": 8}


def guaranteed_length(dtype: str) -> int | None:
    """The largest n (at most `ANY_LENGTH`) the float analysis covers in `dtype` (see "Float
    precision" in the module docstring)."""
    u, tiny = UNIT_ROUNDOFF[dtype], SMALLEST_NORMAL[dtype]
    exact_sums = 2 ** SIGNIFICAND_BITS[dtype] - 1

    def holds(n: int) -> bool:
        return (SAFETY * (n + 7) * u <= 1 and n <= exact_sums
                and 1 / (2 * (n + 1) ** 2) >= tiny)

    return largest(holds, ANY_LENGTH)


def build() -> Recognizer:
    """The Dyck-1 recogniser (see the module docstring for every weight)."""
    model = Model("dyck1", tokens=("(", ")", "$"))
    step = model.token_feature("step", {"(": 1, ")": -1})
    depth, = attention.attend(model, {"depth": step}, kind=Softmax(), mask="causal",
                              prefix="count")  # h_i / (i + 1)
    with model.mlp("check") as units:
        up, down = units.unit({depth: 1}), units.unit({depth: -1})
        below, size = model.new("below"), model.new("size")
        units.emit(below, [(down, 1)])  # relu(-depth)
        units.emit(size, [(up, 1), (down, 1)])  # |depth|
    negatives, = attention.attend(model, {"negatives": below}, kind=Softmax(), prefix="gather")
    margin = positions.feature(model, "margin", sympy.Rational(1, 2) / (N + 1) ** 2)
    transformer = model.build(readout={"logit": {margin: 1, size: -1, negatives: -1}},
                              position="last")
    return Recognizer(
        name="dyck1", transformer=transformer, language="dyck1", eos=("$",), accept="logit",
        options={}, limits={dtype: guaranteed_length(dtype) for dtype in UNIT_ROUNDOFF},
        note="Yang et al. 2026 (Transformer Cookbook), Dyck recipes: SMAT for Dyck-1 "
             "(Bhattamishra et al. 2020, Sec. 4)")


FAMILY = Family(
    name="dyck1", title="Dyck-1 by softmax attention (Transformer Cookbook)",
    paper="Yang et al. 2026, The Transformer Cookbook, Dyck recipes: SMAT for Dyck-1 "
          "(after Bhattamishra et al. 2020, Sec. 4)",
    mode="recognise", options=(), build=build, circuit="recogniser",
    inputs="words over ()")
