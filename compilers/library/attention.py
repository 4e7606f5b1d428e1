"""Attention blocks: the Cookbook's Chapter 5, one head each unless said otherwise.

Yang et al. 2026, "The Transformer Cookbook", Sec. 5. A head scores each
visible key j from query i as ``s_ij = sum_k q_k(x_i) k_k(x_j)`` (pairs of
forms: attention has no bias, so a form's constant reads the direction
`Model.one`), weights the keys by its kind and adds ``sum_j a_ij v(x_j)`` to
the stream (`compilers.ir.Head`):

* ``Softmax(scale)``: ``a_ij = softmax_j(scale s_ij)``;
* ``Hard(tie="first" | "last", gap)``: all weight on the leftmost or rightmost
  maximum (unique-hard attention); ``tie=None`` promises a unique maximum;
* ``AverageHard(gap)``: weight spread over every maximum (Def. 5.1).

`gap` is the construction's promise that two scores of one query that differ
at all differ by at least ``gap(i, n)`` (Def. 5.2); float backends use it to
tell a tie from rounding. The blocks below state theirs.

Masks (Sec. 2.2.2), the keys query i sees, by the IR's name or the
Cookbook's (`MASK_NAMES`): ``"none"`` (every j), ``"causal"`` or ``"future"``
(``j <= i``: future positions masked), ``"strict_causal"`` or
``"strict_future"`` (``j < i``), ``"anticausal"`` or ``"past"`` (``j >= i``)
and ``"strict_anticausal"`` or ``"strict_past"`` (``j > i``). A query that
sees no key adds 0. Positions are 0-based.

Gaps that depend on the length hold for inputs of up to ``n + 2`` positions:
a word of n symbols (the n the formulas see) between a BOS and an EOS.

Exactness: scores are rational whenever the stream is, hard and average-hard
attention only compare them, so the exact backend picks the same keys as the
mathematics; a uniform head (every score 0) is a mean. Softmax weights are
irrational; the exact backend carries them at 256 bits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

import sympy

from compilers.errors import CompileError
from compilers.ir import MASKS, AverageHard, Hard, Head, I, N, matrix
from compilers.library import ffn, norm, positions
from compilers.library.model import Form, LibraryError, Model, number, split

TIES = {"leftmost": "first", "rightmost": "last"}
MASK_NAMES = {"future": "causal", "strict_future": "strict_causal", "past": "anticausal",
              "strict_past": "strict_anticausal"}
"""The Cookbook's names of the masks (what is masked) -> the IR's (`compilers.ir.MASKS`)."""


def _check_mask(mask: str, where: str) -> str:
    """The IR's name of `mask` (either name), or a `LibraryError`."""
    if mask in MASKS:
        return mask
    if mask in MASK_NAMES:
        return MASK_NAMES[mask]
    raise LibraryError(f"{where}: mask {mask!r}; allowed: {MASKS} or {tuple(MASK_NAMES)}")


def _terms(model: Model, value: Form, *, where: str) -> tuple[dict, Fraction]:
    """A form's linear part ``{direction: Fraction}`` (every direction declared) and
    its constant."""
    try:
        terms, constant = split(value, where=where)
    except CompileError as error:
        raise LibraryError(str(error)) from None
    model.require(*terms, where=where)
    return terms, constant


def _linear(model: Model, value: Form, *, where: str) -> dict:
    """A form as ``{direction: Fraction}``, its constant on `Model.one`."""
    terms, constant = _terms(model, value, where=where)
    if constant:
        one = model.one()
        terms[one] = terms.get(one, Fraction(0)) + constant
    return terms


def attend(model: Model, values: Mapping[str, Form], *, scores: Sequence[tuple[Form, Form]] = (),
           kind=None, mask: str = "none", score: str = "dot",
           prefix: str = "attend") -> tuple[str, ...]:
    """One head (Def. 2.3): ``s_ij = sum_k q_k(x_i) k_k(x_j)`` over the pairs of forms in
    `scores` (``-|s_ij|`` with ``score="neg_abs_dot"``), weighted by `kind` (default
    average-hard: with no scores, the uniform mean) under `mask`; it adds ``v(x_j)`` of
    the form ``values[out]`` into each direction ``out`` (declared if new).
    Size: 1 head, ``len(scores)`` head dimensions."""
    where = f"attention.{prefix}"
    mask = _check_mask(mask, where)
    if not values:
        raise LibraryError(f"{where}: no value to write")
    rows = tuple(f"d{k}" for k in range(max(1, len(scores))))
    query, key = {}, {}
    for k, (q, s) in enumerate(scores):
        query |= {(rows[k], d): w for d, w in _linear(model, q, where=where).items()}
        key |= {(rows[k], d): w for d, w in _linear(model, s, where=where).items()}
    value, written = {}, []
    for out, v in values.items():
        target = model.output(out, out)
        written.append(target)
        value |= {(target, d): w for d, w in _linear(model, v, where=where).items()}
    label = model.block_label(f"{prefix}_h")
    try:
        head = Head(label=label, query=matrix(query, rows=rows), key=matrix(key, rows=rows),
                    value=matrix(value, rows=tuple(written)),
                    kind=AverageHard() if kind is None else kind, mask=mask, score=score)
    except CompileError as error:
        raise LibraryError(f"{where}: {error}") from None
    model.add_heads(prefix, [head])
    return tuple(written)


# -- identity and uniform averages (Sec. 5.1) ----------------------------------------------


def identity(model: Model) -> tuple[()]:
    """The identity (Sec. 5.1.1): a head with ``W_Q = W_K = W_V = 0`` adds 0, so with the
    residual connection the layer's attention does nothing (for a layer that needs an
    attention sublayer). Exact with every kind. Size: 1 head, writes nothing."""
    rows = ("d0",)
    model.add_heads("identity", [Head(
        label=model.block_label("identity_h"), query=matrix({}, rows=rows, cols=()),
        key=matrix({}, rows=rows, cols=()), value=matrix({}, rows=(), cols=()),
        kind=AverageHard())])
    return ()


def uniform(model: Model, x: Form, *, mask: str = "none", out: str | None = None) -> str:
    """The mean of x over the keys query i sees (Sec. 5.1.2): ``W_Q = W_K = 0`` scores every
    key 0, so average-hard (or softmax) attention weighs the c visible keys ``1/c``:
    ``(1/n) sum_j x_j`` unmasked, ``(1/(i+1)) sum_{j<=i} x_j`` causal (0 where a strict
    mask sees nothing). Exact: a mean of rationals.

    With a BOS token at position 0 (`compilers.library.tokens.bos`) the mean counts it:
    a causal mean of the BOS indicator is ``1/(i + 1)`` and a causal mean of a count's
    increments ``C/(i + 1)``, the Cookbook's ``C/i`` (Sec. 3.3) with the BOS as
    position 1; unmasked, ``C/(n + 1)`` over a word of n symbols and its BOS. Without
    BOS the same head averages over the word alone. Size: 1 head."""
    target = model.output(out, "mean")
    attend(model, {target: x}, mask=mask, prefix="uniform")
    return target


def average_where(model: Model, x: Form, where: str, *, bos: str | None, mask: str = "causal",
                  out: str | None = None) -> str:
    """The mean of x over the visible keys where the 0/1 direction `where` is 1, and with
    none, the BOS token's value (the BOS as a default: a Cookbook-style use of BOS).

    Query `one`, key ``where + bos/2``: scores are 1 at the keys that match, 1/2 at
    the BOS (which must not match), 0 elsewhere, so average-hard attention takes the
    mean over the matches, or the BOS alone when none is visible (gap 1/2). Without
    `bos`, a query that sees no match averages every visible key (a gap of 1). Needs
    the BOS visible (position 0 under a causal mask). Exact. Size: 1 head."""
    key: dict = {where: 1} | ({bos: Fraction(1, 2)} if bos is not None else {})
    target = model.output(out, "mean_where")
    attend(model, {target: x}, scores=[({1: 1}, key)], mask=mask, prefix="average_where",
           kind=AverageHard(gap=Fraction(1, 2) if bos is not None else 1))
    return target


def first_position(model: Model, *, out: str | None = None) -> str:
    """``[i = 0]`` from ``(-1)^i`` alone (Sec. 5.2): a causal mean of ``(-1)^j`` is 1 at
    position 0 and ``1/(i+1)`` or 0 after it, at most 1/3; the comparator
    ``greater_equal(., 1, tolerance=2/3)`` (Sec. 4.7) maps 1 to 1 and ``<= 1/3`` to 0.
    Exact. Size: 1 head, 2 hidden units, the feature ``(-1)^i``."""
    mean = uniform(model, positions.alternating(model), mask="causal",
                   out=model.fresh("alt_mean"))
    return ffn.greater_equal(model, mean, 1, tolerance=Fraction(2, 3),
                             out=out or model.fresh("first"))


# -- index lookup (Sec. 5.3) -----------------------------------------------------------------


def lookup_single_query(model: Model, query: Form, key: Form, value: Form, *, spacing,
                        mask: str = "none", out: str | None = None) -> str:
    """``v_j`` at the position j whose key ``k_j`` equals the query q, when every position
    holds the same q (a *single query*, e.g. a count broadcast by an unmasked uniform
    head), Sec. 5.3 (Chiang & Cholak 2022, Sec. 4.1).

    Since q is known at every key position, an MLP there computes the match
    ``e_j = [k_j = q]`` (`ffn.equal` with tolerance `spacing`: exactly 1 at
    ``k_j = q``, exactly 0 where ``|k_j - q| >= spacing``), and one head with query
    ``one``, key ``e_j`` scores the match 1 and every other key 0 (gap 1): hard
    attention without a tie rule reads the match. Exact for keys that differ from q
    by 0 or by at least `spacing`, with exactly one visible match. No visible match
    (every score 0) or two of them is a tie among several keys: every backend raises
    `EvaluationError` (with a single visible key, that key is read). A key nearer
    to q than `spacing` but not equal breaks the promise: it scores between 0 and 1,
    the exact backend still reads the largest score, and a float run is flagged
    untrusted (its score is within the promised gap). Size: 3 hidden
    units, 1 head, 1 head dimension, 1 direction for the match. Refused: a spacing
    that is not positive."""
    where = "attention.lookup_single_query"
    spacing = number(spacing, where=f"{where} spacing")
    if spacing <= 0:
        raise LibraryError(f"{where}: spacing {spacing} must be > 0")
    (key_terms, key_constant), (query_terms, query_constant) = (
        _terms(model, form, where=where) for form in (key, query))
    difference: dict = dict(key_terms)  # k_j - q
    for d, w in query_terms.items():
        difference[d] = difference.get(d, Fraction(0)) - w
    difference[1] = key_constant - query_constant
    match = ffn.equal(model, difference, 0, tolerance=spacing, out=model.fresh("match"))
    target = model.output(out, "lookup")
    attend(model, {target: value}, scores=[({1: 1}, match)], kind=Hard(tie=None, gap=1),
           mask=mask, prefix="lookup_single_query")
    return target


def lookup_one_hot(model: Model, query: Sequence[str], value: Form, *, mask: str = "none",
                   out: str | None = None) -> str:
    """``x[q_i]`` for a one-hot query over k positions (Sec. 5.3.1): the key is the one-hot
    position ``[j = m]`` (`positions.one_hot`), so ``s_ij = [j = q_i]``: 1 at the key
    asked for, 0 elsewhere, gap 1. Hard attention without a tie rule: exact when
    ``q_i`` is a visible position below k; when it is not, every score is 0, a tie,
    and every backend raises `EvaluationError` (the refusal). Size: 1 head, k head
    dimensions, k one-hot positional features."""
    keys = positions.one_hot(model, len(query))
    target = model.output(out, "lookup")
    attend(model, {target: value}, scores=list(zip(query, keys, strict=True)),
           kind=Hard(tie=None, gap=1), mask=mask, prefix="lookup_one_hot")
    return target


def lookup_quadratic(model: Model, index: Form, value: Form, *, mask: str = "none",
                     kind=None, out: str | None = None) -> str:
    """``x[q_i]`` for an integer position ``q_i`` (Sec. 5.3.4): query ``(q_i, 1)``, key
    ``(2j, -j^2)``, so ``s_ij = 2 q_i j - j^2 = q_i^2 - (j - q_i)^2``, uniquely largest
    at ``j = q_i``; two keys' scores differ by ``(j - j')(j + j' - 2 q_i)``, an integer,
    so the gap is 1. Default kind: hard without a tie rule (softmax also works at a
    large scale: the gap is 1). An integer ``q_i`` outside the visible keys reads the
    nearest visible key; a half-integer ties two keys (an `EvaluationError`).
    Size: 1 head, 2 head dimensions, the features ``i`` and ``i^2``."""
    j, square = positions.index(model), positions.power(model, 2, offset=0)
    target = model.output(out, "lookup")
    attend(model, {target: value}, scores=[(index, {j: 2}), ({1: 1}, {square: -1})],
           kind=Hard(tie=None, gap=1) if kind is None else kind, mask=mask,
           prefix="lookup_quadratic")
    return target


def lookup_neg_abs(model: Model, index: Form, value: Form, *, mask: str = "none",
                   out: str | None = None) -> str:
    """``x[q_i]`` for an integer position ``q_i`` by the score ``-|<q, k>|`` of Pérez et al.
    (2021, Def. 3): query ``(q_i, 1)``, key ``(1, -j)``, ``s_ij = -|q_i - j|``, largest
    (0) at ``j = q_i``, gap 1. Hard without a tie rule: an integer ``q_i`` outside the
    visible keys reads the nearest one; a half-integer ties (an `EvaluationError`).
    Size: 1 head, 2 head dimensions, the feature ``i``."""
    j = positions.index(model)
    target = model.output(out, "lookup")
    attend(model, {target: value}, scores=[(index, {1: 1}), ({1: 1}, {j: -1})],
           kind=Hard(tie=None, gap=1), mask=mask, score="neg_abs_dot",
           prefix="lookup_neg_abs")
    return target


def hash_gap(size) -> sympy.Expr:
    """The gap of `lookup_hash` over integers ``0 .. size``: ``1/(size^2 + 1)^2``.

    The hashes ``2 phi_q`` and ``2 phi_k`` (unit vectors ``phi``) score ``cos t`` in
    `lookup_hash` (``<2 phi_q, 2 phi_k> / 4``), t the angle between ``(q, 1)`` and
    ``(k, 1)``; for ``q != k`` integers at most `size`,
    ``sin t = |q - k| / (|(q, 1)| |(k, 1)|) >= 1/(size^2 + 1)``, so
    ``2 - 2 cos t = 4 sin^2(t/2) >= sin^2 t >= 1/(size^2 + 1)^2``: the score of a match
    (1) exceeds every other by ``1 - cos t >= hash_gap(size)/2``.
    """
    return 1 / (sympy.sympify(size) ** 2 + 1) ** 2


def lookup_hash(model: Model, index: Form, value: Form, *, mask: str = "none",
                out: str | None = None) -> str:
    """``x[q_i]`` by the layer-norm hash (Sec. 5.3.3; Merrill & Sabharwal 2024, Sec. 3.1):
    ``h(q) = LN(q, 1, -q, -1) = 2 (q, 1, -q, -1) / |(q, 1, -q, -1)|``
    (`norm.layer_norm_hash`; a layer norm over 4 directions at epsilon 0 has norm 2,
    so the Cookbook's ``(q, 1, -q, -1) / sqrt(2 q^2 + 2)`` is half of it) for the
    query, and the same hash of the position j for the key (positional features, no
    MLP); ``s_ij = <h(q_i), h(j)> / 4``, which is 1 exactly when ``q_i = j`` and at
    most ``1 - hash_gap(n + 1)/2`` otherwise, for integers in ``0 .. n + 1`` (every
    position of a word with its BOS and EOS): the Cookbook's constant-width lookup.

    The hashes are irrational: the exact backend computes each square root at 256
    bits and carries the binary rational it rounds to, so the score at ``q_i = j``
    is within about ``2^-250`` of 1 and the argmax is decided exactly while that
    is far below the gap (n up to about ``2^60``); hard attention without a tie
    rule, gap ``hash_gap(n + 1)/2``. An integer ``q_i`` that is not a visible
    position reads the visible key with the closest hash. Size: 1 head, 4 head
    dimensions, one MLP of 2 units and 2 layer norms over 4 fresh directions each
    (the query's and the positions' hashes)."""
    query = norm.layer_norm_hash(model, index)
    keys = norm.position_hash(model)
    target = model.output(out, "lookup")
    scores = [({q: Fraction(1, 4)}, k) for q, k in zip(query, keys, strict=True)]
    attend(model, {target: value}, scores=scores, kind=Hard(tie=None, gap=hash_gap(N + 1) / 2),
           mask=mask, prefix="lookup_hash")
    return target


# -- predecessor (Sec. 5.4) ------------------------------------------------------------------


def predecessor(model: Model, x: Form, *, method: str = "tie", out: str | None = None) -> str:
    """``x_{i-1}`` at position i, and 0 at position 0 (Sec. 5.4).

    ``method="tie"``: every score 0 under a strict causal mask, unique-hard attention
    with ties to the rightmost key: the keys ``0 .. i-1`` all tie, the rightmost is
    ``i - 1``. No positional feature; exact in every backend (scores are exactly 0
    in floats too). ``method="quadratic"``: the lookup of Sec. 5.3.4 with
    ``q_i = i - 1`` under a strict causal mask, ``s_ij = 2 (i - 1) j - j^2``, gap 1:
    average-hard attention (softmax also works at a large scale). Position 0 sees no
    key under either mask, so it adds 0. Size: 1 head (the quadratic one: 2 head
    dimensions and the features ``i``, ``i^2``)."""
    target = model.output(out, "previous")
    if method == "tie":
        attend(model, {target: x}, scores=[({}, {})], kind=Hard(tie="last"),
               mask="strict_causal", prefix="predecessor")
    elif method == "quadratic":
        i = positions.index(model)
        lookup_quadratic(model, {i: 1, 1: -1}, x, mask="strict_causal",
                         kind=AverageHard(gap=1), out=target)
    else:
        raise LibraryError(f"attention.predecessor: method {method!r}; allowed: 'tie', "
                           "'quadratic'")
    return target


# -- tie-breaking (Sec. 5.6) -----------------------------------------------------------------


def argmax(model: Model, values: Mapping[str, Form], *, scores: Sequence[tuple[Form, Form]],
           gap, tie: str = "rightmost", mask: str = "none", via: str = "hard",
           by: str = "i/n") -> tuple[str, ...]:
    """The values at the leftmost or rightmost key of maximal score (Sec. 5.6).

    `gap` (a number or a formula in i, n) is the promise that the scores `scores`
    of one query that differ at all differ by at least `gap`.

    * ``via="hard"``: unique-hard attention with that tie rule and gap.
    * ``via="average-hard"`` (Sec. 5.6: average-hard attention simulating unique-hard
      attention): the scores plus a tie-breaker ``t(j)`` read through a head
      dimension with the constant query ``one``. With ``by="i/n"``,
      ``t(j) = ±(gap/2) j/(n + 2)`` (+ for rightmost; the Cookbook's ``i/n``, over
      ``n + 2`` so that it stays below 1 on every position of a word with its BOS and
      EOS, and is defined at n = 0): ``|t| < gap/2``, so a maximum stays above
      every non-maximum (their scores differ by ``gap`` or more, the tie-breakers by
      less than ``gap/2``), and among the maxima the rightmost (leftmost) wins by
      ``gap/(2(n + 2))`` or more. Two new scores that differ at all differ by at
      least ``gap/(2(n + 2))``, the gap it declares. With ``by="1/(i+1)"`` (the
      Cookbook's ``1/(j+1)``, a feature that does not need n),
      ``t(j) = ∓(gap/2)/(j + 1)``: neighbours j, j + 1 differ by
      ``(gap/2)/((j + 1)(j + 2))``, at least ``gap/(2(n + 1)(n + 2))`` on ``n + 2``
      positions, the gap it declares.

    Both gaps are exact rationals at each n, so the exact backend decides each
    argmax exactly and a float backend can tell a tie from rounding.
    Size: 1 head (one more head dimension and one positional feature via
    average-hard). Refused: an unknown tie, via or by; via average-hard, a gap that
    is not a positive rational."""
    where = "attention.argmax"
    if tie not in TIES:
        raise LibraryError(f"{where}: tie {tie!r}; allowed: {tuple(TIES)}")
    gap = sympy.sympify(gap)
    if via == "hard":
        return attend(model, values, scores=scores, kind=Hard(tie=TIES[tie], gap=gap),
                      mask=mask, prefix="argmax")
    if via != "average-hard":
        raise LibraryError(f"{where}: via {via!r}; allowed: 'hard', 'average-hard'")
    if not gap.is_Rational or gap <= 0:
        raise LibraryError(f"{where}: via 'average-hard' needs a positive rational gap, got "
                           f"{gap}")
    sign = 1 if tie == "rightmost" else -1
    if by == "i/n":
        feature, new_gap = positions.feature(model, "i_by_n2", I / (N + 2)), gap / (2 * (N + 2))
    elif by == "1/(i+1)":
        feature, sign = positions.inverse(model), -sign
        new_gap = gap / (2 * (N + 1) * (N + 2))
    else:
        raise LibraryError(f"{where}: by {by!r}; allowed: 'i/n', '1/(i+1)'")
    weight = Fraction(int(gap.p), int(gap.q)) * sign / 2
    return attend(model, values, scores=[*scores, ({1: 1}, {feature: weight})],
                  kind=AverageHard(gap=new_gap),
                  mask=mask, prefix="argmax")
