"""MOD-m counting without positional encodings: the number of 1s is r modulo m.

Yang et al. 2026, "The Transformer Cookbook" (TMLR; arXiv 2510.00368), the
Recipes chapter, section "Computing MOD without positional encodings" (a
special case of Merrill, Sabharwal et al. 2024, "A little depth goes a long
way", Lemma 1): a causally masked transformer with a BOS token and no
positional encoding decides whether ``#1(w) = r (mod m)``. Like the
Cookbook's, the construction has two layers and two heads; unlike it, it
needs no layer norm and no MLP (deviation 1).

The input is ``$ w_1 ... w_n`` (the BOS ``$`` at position 0), read out at the
last position; a_i is the number of 1s among ``w_1 .. w_i``. Directions and
weights, all exact:

* embedding: ``is_1``, ``bos``, and ``one`` (written by every token: the
  constant the keys read, in place of a positional feature).
* layer 1, one uniform causal head (Cookbook Sec. 5.1.2, `attention.attend`
  with no scores): ``ones = a_i/(i+1)`` (value ``is_1``) and
  ``inv = 1/(i+1)`` (value ``bos``: the BOS is the one key every query sees).
* layer 2, one causal average-hard head with the score ``-|<q, k>|`` (Pérez et
  al. 2021, Def. 3; the Cookbook's lookup by ``-|dot product|``, Sec. 5.3):
  query ``(ones, inv)``, key ``(inv - bos, -m + (2m - r) inv - (m - r) bos)``.
  At a key j >= 1 that is ``(1, -(m(j-1) + r)) / (j+1)``, so
  ``<q_i, k_j> = (a_i - m(j-1) - r) / ((i+1)(j+1))``: 0 exactly when key j
  *stands for* the count ``a_i`` (``a_i = m(j-1) + r``), and at most
  ``-1/((i+1)(j+1)) <= -1/(i+1)^2`` in score otherwise. At the BOS the key is
  exactly 0, so the BOS scores 0 for every query. The maximal score is
  therefore 0, reached by the BOS alone, or by the BOS and the one key
  ``j* = (a_i - r)/m + 1`` when ``a_i = r (mod m)`` (visible: ``j* <= i`` for
  m >= 2). Gap ``1/(i+1)^2``. Value ``one - bos`` (0 at the BOS, 1 elsewhere),
  so ``found`` is the average over the maxima: ``1/2`` exactly on a member
  prefix, 0 otherwise.
* read-out at the last position: ``logit = scale (found - 1/4)``, plus
  ``scale/2`` at the BOS when r = 0 (the empty word, whose 0 ones are a
  member; there the only key is the BOS itself, so ``found = 0``).

The same read-out at position i decides the prefix ``w_1 .. w_i``: the
Cookbook's "output at each token i is the parity of prefix i".

Deviations, named:

1. The Cookbook (after Merrill et al.) matches ``a_i`` against ``2j`` with the
   layer-norm hash (a selective pre-norm), retrieves the key's hash and checks
   it against ``phi(a_i)`` in a final MLP. Here the ``-|dot|`` score compares
   the two integers directly (the query ``(a_i, 1)/(i+1)`` against the key
   ``(1, -(m(j-1) + r))/(j+1)``, linear in what layer 1 gives), and the check is
   the tie with the BOS under average-hard attention: no layer norm, no
   irrational square roots, no MLP, and the decision is a constant ``±scale/4``.
2. Key j >= 1 stands for ``m(j-1) + r`` (not ``2j``), so that every count up to
   n has its key among the visible ones, and the BOS is left free to be the
   tie partner.

Float precision. ``ones``, ``inv`` and the key's ``inv`` carry a relative error
of at most u (exact integer sums, one division); the key's second entry an
absolute error below ``5 m u``; so a score's error is below
``4u |s| + 11 m u/(i+1)`` (its two products are each below ``m/(i+1)`` where
they nearly cancel). The BOS scores exactly 0 and every score ``-|s|`` is at
most 0, so the maximum is exactly 0; the match's score is within
``11 m u/(i+1)`` of it and every other at least ``(1 - 4u)/(i+1)^2`` below, so
the torch backend (ties within a quarter of the gap, flags beyond) decides
exactly while ``59 m u (i+1) <= 1``. We claim n with ``SAFETY m u (n+1) <= 1``,
``SAFETY = 128`` (for m = 3: 43 689 in float32, about 2.3e13 in float64, 4 in
float16, none in bfloat16), and the logit ``scale/4`` a normal number of the
dtype.
"""

from __future__ import annotations

from fractions import Fraction

from compilers.constructions.base import Family, Option, OptionError, exact_number
from compilers.constructions.predicate import PredicateRecognizer
from compilers.constructions.recognizer import Recognizer
from compilers.dtypes import LARGEST, SMALLEST_NORMAL, UNIT_ROUNDOFF
from compilers.ir import AverageHard, I
from compilers.library import Model, attention, positions, tokens

BOS = "$"
SAFETY = 128  # the error constant of the analysis above, with a factor ~2 to spare
MAX_MODULUS = 1000


def guaranteed_length(dtype: str, *, modulus: int, scale=4) -> int | None:
    """The largest n the float analysis covers in `dtype`, None for none."""
    top = int(1 / (SAFETY * modulus * UNIT_ROUNDOFF[dtype])) - 1
    logit = float(Fraction(scale)) / 4
    if top < 0 or not SMALLEST_NORMAL[dtype] <= logit <= LARGEST[dtype] / 4:
        return None
    return top


def build(*, modulus: int = 3, residue: int = 0, scale="4") -> Recognizer:
    """The MOD-m recogniser (see the module docstring for every weight)."""
    m, r = modulus, residue
    if not isinstance(m, int) or not 2 <= m <= MAX_MODULUS:
        raise OptionError(f"--modulus is {m!r}; allowed: 2..{MAX_MODULUS}")
    if not isinstance(r, int) or not 0 <= r < m:
        raise OptionError(f"--residue is {r!r}; allowed: 0..{m - 1} (below the modulus)")
    scale = exact_number(scale, name="--scale")
    model = Model("modcount", tokens=(BOS, "0", "1"))
    positions.none(model)
    bos = tokens.bos(model, BOS)
    is_1 = model.token_feature("is_1", {"1": 1})
    one = model.one()
    attention.attend(model, {"ones": is_1, "inv": bos}, mask="causal", prefix="count")
    attention.attend(model, {"found": {one: 1, bos: -1}},
                     scores=[("ones", {"inv": 1, bos: -1}),
                             ("inv", {1: -m, "inv": 2 * m - r, bos: -(m - r)})],
                     kind=AverageHard(gap=1 / (I + 1) ** 2), mask="causal",
                     score="neg_abs_dot", prefix="match")
    readout = {"logit": {"found": scale} | ({bos: scale / 2} if r == 0 else {})}
    transformer = model.build(readout, bias={"logit": -scale / 4})
    common = dict(name="modcount", transformer=transformer, bos=(BOS,), accept="logit",
                  options={"modulus": m, "residue": r, "scale": str(scale)},
                  limits={d: guaranteed_length(d, modulus=m, scale=scale)
                          for d in UNIT_ROUNDOFF},
                  note="Yang et al. 2026 (Transformer Cookbook), Recipes: MOD without "
                       "positional encodings")
    if (m, r) == (3, 0):
        return Recognizer(language="mod3", **common)
    return PredicateRecognizer(symbols="01", predicate=lambda w: w.count("1") % m == r,
                               description=f"the number of 1s is {r} modulo {m}", **common)


FAMILY = Family(
    name="modcount", title="MOD-m counting without positional encodings",
    paper="Yang et al. 2026, The Transformer Cookbook, Recipes: MOD without positional "
          "encodings (after Merrill et al. 2024, Lemma 1)", mode="recognise",
    options=(Option(name="modulus", kind="int", default=3, low=2, high=MAX_MODULUS,
                    help="m: accept when the number of 1s is --residue modulo m."),
             Option(name="residue", kind="int", default=0, low=0, high=MAX_MODULUS - 1,
                    help="r, below m."),
             Option(name="scale", kind="number", default="4",
                    help="The logit is ±scale/4 (an exact rational).")),
    build=build, circuit="recogniser", inputs="words over 01")
