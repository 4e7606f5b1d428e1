"""Dyck-k of depth at most D by D + 1 layers of unique-hard attention (the Cookbook's UHAT).

Yang et al. (2026), "The Transformer Cookbook", section "Dyck Language",
subsection "UHAT for Dyck-k-D", after Yao et al. (2021, Sec. 5.1). The idea: remove matched pairs
from the inside out. Each position carries a *matched* bit m; in one layer
every unmatched bracket looks at the nearest unmatched position on the side
where its partner must be (a closer to the left, an opener to the right), and
the two are matched when they are an opener and a closer of one type. A
round matches exactly the pairs whose content is already matched, so the
pair removed in round r is one whose subtree of nested pairs has height r:
after D rounds every bracket of a word in ``Dyck_{k,D}`` is matched, and
conversely a word all of whose brackets are matched in D rounds is
well-nested (only pairs of one type, with nothing unmatched between them,
are matched) and has depth at most D (depth = the height of its pair tree).
A last layer checks that every position is matched.

Directions and weights (the library's blocks; `compilers.constructions.dyck`
for the input), all integers:

* embedding: ``open_t``, ``close_t`` (1 at a bracket of type t);
  ``matched = 1`` at ``$`` and 0 elsewhere; ``one = 1`` at every token (no
  positional encoding at all: `positions.none`; masks and tie rules tell
  positions apart).
* rounds ``r = 1 .. D``, one layer each (`Model.parallel`):

  - head ``left`` (`attention.argmax`, unique-hard, strict future mask, ties to
    the rightmost, Cookbook Sec. 5.6): query ``one``, key ``-matched``, so the
    score is 0 at unmatched keys and -1 at matched ones (gap 1): it reads the
    nearest unmatched position j < i (or, with none, the nearest position at
    all), value ``left_t = open_t - matched``, which is 1 iff j is an
    unmatched opener of type t and at most 0 otherwise;
  - head ``right``: the same with a strict past mask and ties to the
    leftmost, value ``right_t = close_t - matched`` (the last symbol sees only
    ``$``, which is matched, and ``$`` sees no key, so adds 0);
  - MLP, per type t, two AND units (`ffn.and_`, Cookbook Sec. 4.8) added into
    ``matched``: ``relu(close_t + left_t - matched - 1)`` and
    ``relu(open_t + right_t - matched - 1)``, each 1 exactly when this
    position is an unmatched closer (opener) of type t whose neighbour is an
    unmatched opener (closer) of type t, and at most 0 otherwise. At most one
    fires (a position has one type), and only where ``matched`` was 0, so
    ``matched`` stays 0/1. The MLP also cancels ``left_t`` and ``right_t``
    (`ffn.clear`, Cookbook Sec. 4.2) so that the next round's heads write
    into the same directions (not after the last round).

* check layer: head ``verdict`` (unique-hard, unmasked): query ``one``, key
  ``-matched``, value ``matched``: an unmatched position if there is one
  (``verdict = 0``), else 1.
* read-out at ``$``: ``logit = 2 verdict - 1``, exactly ±1.

Size: D + 1 layers, 2D + 1 heads, width ``4k + 3``, ``2kD + 4k(D - 1)``
hidden units; the Cookbook's: D + 1 layers, 3D + 1 heads.

Deviations, named:

1. No positional encoding: the Cookbook's score ``p_j - m_j`` with
   ``p_j = j/n`` makes the nearest unmatched key the maximum; here the score
   is ``-m_j`` and the tie rule (rightmost under the strict future mask,
   leftmost under the strict past mask) picks the nearest, which the Cookbook's
   tie-breaking section (Sec. 5.6) allows. Scores are 0 or -1: gap 1.
2. No error bit e and no identity head: a closer whose nearest unmatched left
   neighbour is an opener of another type can never be matched (nothing
   unmatched ever lies between them again), so "every position matched" is
   already the test; the residual connection carries the state, which the
   Cookbook's ``Att^id`` head copies.
3. The state is one-hot per type (``open_t``, ``close_t``: 2k directions) where
   the Cookbook (and Yao et al.) encode the type in ``ceil(log k)`` bits.
4. The check layer reads ``-matched`` only (the Cookbook: ``e + 1 - m``) and
   its value is the read-out (the Cookbook's final ``NOT a AND b`` FFN is the
   affine read-out ``2 verdict - 1``).

Float precision. Every value is an integer of absolute value at most 2 (the
scores 0 and -1, the 0/1 bits, the AND units), the hard heads pick by
comparing scores 0 and -1 (ties decided by the rule, not by rounding), and
each head's output is one value times weight 1: nothing rounds, in any dtype,
at any length. The claim is every n (`ANY_LENGTH`) in float64, float32,
float16 and bfloat16.
"""

from __future__ import annotations

from compilers.constructions.first import ANY_LENGTH
from compilers.ir import Transformer
from compilers.library import Model, attention, ffn, positions


def guaranteed_length(dtype: str, depth: int) -> int:
    """Every n, in every dtype (see "Float precision" in the module docstring)."""
    return ANY_LENGTH


def transformer(pairs: str, depth: int) -> Transformer:
    """The (D+1)-layer unique-hard model over the bracket `pairs` (see the module
    docstring for every weight)."""
    types = range(len(pairs) // 2)
    model = Model("dyck_hard", tokens=(*pairs, "$"))
    positions.none(model)
    opens = [model.token_feature(f"open{t}", {pairs[2 * t]: 1}) for t in types]
    closes = [model.token_feature(f"close{t}", {pairs[2 * t + 1]: 1}) for t in types]
    matched = model.token_feature("matched", {"$": 1})
    nearest_unmatched = [({1: 1}, {matched: -1})]  # score 0 unmatched, -1 matched
    unmatched_here = {1: 1, matched: -1}
    for round_ in range(1, depth + 1):
        with model.parallel(f"round{round_}"):
            left = attention.argmax(
                model, {f"left{t}": {opens[t]: 1, matched: -1} for t in types},
                scores=nearest_unmatched, gap=1, tie="rightmost", mask="strict_causal")
            right = attention.argmax(
                model, {f"right{t}": {closes[t]: 1, matched: -1} for t in types},
                scores=nearest_unmatched, gap=1, tie="leftmost", mask="strict_anticausal")
            for t in types:
                ffn.and_(model, closes[t], left[t], unmatched_here, out=matched)
                ffn.and_(model, opens[t], right[t], unmatched_here, out=matched)
            if round_ < depth:
                ffn.clear(model, *left, *right)
    attention.argmax(model, {"verdict": matched}, scores=nearest_unmatched, gap=1,
                     tie="rightmost")
    return model.build(readout={"logit": {"verdict": 2}}, bias={"logit": -1}, position="last")
