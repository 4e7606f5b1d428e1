"""Threshold gates as straight-line bitwise programs, for the bit-packed evaluator.

A gate ``[sum_i w_i x_i >= t]`` with small fan-in and small weights is a short
program of ANDs and ORs over its input words (64 batch rows per int64 word).
The gate is first put in a canonical form, exactly, in integers:

1. constants fold: a read of wire 1 (True) moves its weight into the
   threshold, ``t -= w``; a read of wire 0 (False) and a zero weight drop out;
2. negative weights flip their literal: ``w x = -|w| + |w| (1 - x)``, so
   ``t += |w|`` and the gate reads ``not x`` with weight ``|w|``; now every
   weight p_i is positive, and with ``P = sum p_i`` the gate is constant True
   if ``t <= 0`` and constant False if ``t > P``;
3. a weight above the threshold is clamped to it (``p_i x_i >= t`` alone
   already decides), and the literals are sorted by weight, largest first;
4. the complement ``[sum p x >= t] = not [sum p (not x) >= P - t + 1]`` gives a
   second form; the one with the shorter program is kept.

The program is the dynamic programme over the literals: ``S_j`` is the word
"the partial sum so far is at least j", for j = 1 .. t, and reading literal x
of weight p updates, for j from t down, ``S_j |= S_{j-p} & x`` (``S_j |= x``
when ``j <= p``). States below ``t - (weight still to come)`` can no longer
reach t and are dropped; the gate is ``S_t``. Forms with the same truth table
over their sorted literals (say weights (3, 2, 1) with t = 3 and (2, 1, 1)
with t = 2) share the cheaper one's program, and the evaluator runs each
program once over all of a layer's gates that use it, with per-gate literal
and output negations as XOR masks.

Gates whose canonical program would be long (large thresholds, wide fan-in)
are left to the evaluator's integer products; see `circuitx.torch_eval`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

MAX_FANIN = 8
FIELD_BITS = 7
MAX_THRESHOLD = (1 << FIELD_BITS) - 1
"""Canonical thresholds (and so clamped weights) must fit a 7-bit key field."""


@cache
def program(weights: tuple[int, ...], threshold: int) -> tuple[tuple[int, int, int], ...]:
    """The steps ``(j, s, i)`` of ``S_j |= S_s & x_i`` (``s = 0``: ``S_j |= x_i``).

    `weights` are positive and sorted largest first, ``1 <= threshold <= sum``.
    """
    steps = []
    live: set[int] = set()
    rest = sum(weights)
    for i, p in enumerate(weights):
        rest -= p
        for j in range(threshold, max(1, threshold - rest) - 1, -1):
            if j <= p:
                steps.append((j, 0, i))
                live.add(j)
            elif j - p in live:
                steps.append((j, j - p, i))
                live.add(j)
    return tuple(steps)


@cache
def cost(key: int) -> int:
    """Word operations of the program for an encoded key (see `decode`)."""
    weights, threshold = decode(key)
    seen, ops = set(), 0
    for j, s, _ in program(weights, threshold):
        ops += 1 if (s == 0 or j not in seen) else 2
        seen.add(j)
    return ops


def decode(key: int) -> tuple[tuple[int, ...], int]:
    """(weights, threshold) from a key: the threshold in the low field, then the weights."""
    mask = (1 << FIELD_BITS) - 1
    threshold = key & mask
    weights = []
    key >>= FIELD_BITS
    while key:
        weights.append(key & mask)
        key >>= FIELD_BITS
    return tuple(weights), threshold


@dataclass(frozen=True, kw_only=True)
class Canonical:
    """Per gate (of the gates given): the canonical form, or why there is none.

    Attributes:
        key: the encoded (weights, threshold), -1 where the gate is not bitwise.
        constant: 1 or 0 for constant gates, -1 otherwise.
        sources: (n, K) wires of the sorted literals (0-padded).
        negate: (n, K) whether each literal is negated.
        complement: (n,) whether the output is negated.
        fan_in: (n,) literals per gate.
        cost: (n,) word operations of the program (0 for constants).
    """

    key: np.ndarray
    constant: np.ndarray
    sources: np.ndarray
    negate: np.ndarray
    complement: np.ndarray
    fan_in: np.ndarray
    cost: np.ndarray


def canonical(src: np.ndarray, weights: np.ndarray, thresholds: np.ndarray) -> Canonical:
    """Canonical forms of gates given as padded (n, K) wires and weights (weight 0 pads).

    Weights and thresholds must be int64 with every ``sum |w| + |t|`` below 2**62.
    """
    n = src.shape[0]
    w = np.where(src <= 1, 0, weights)  # reads of the constants fold
    t = thresholds - np.where(src == 1, weights, 0).sum(axis=1)
    negative = w < 0
    t = t + np.where(negative, -w, 0).sum(axis=1)
    p = np.abs(w)
    total = p.sum(axis=1)
    constant = np.where(t <= 0, 1, np.where(t > total, 0, -1))
    forms = [_form(src, p, negative, t), _form(src, p, ~negative, total - t + 1)]
    keys, costs = _merge(np.concatenate([forms[0]["key"], forms[1]["key"]]))
    forms[0]["key"], forms[1]["key"] = keys[:n], keys[n:]
    costs = costs[:n], costs[n:]
    pick = costs[1] < costs[0]
    out = {name: np.where(pick.reshape((n,) + (1,) * (forms[0][name].ndim - 1)),
                          forms[1][name], forms[0][name]) for name in forms[0]}
    cost_ = np.where(pick, costs[1], costs[0])
    out["key"] = np.where(constant >= 0, -1, out["key"])
    cost_ = np.where(constant >= 0, 0, cost_)
    return Canonical(key=out["key"], constant=constant, sources=out["sources"],
                     negate=out["negate"],
                     complement=pick & (constant < 0), fan_in=(out["p"] > 0).sum(axis=1),
                     cost=cost_)


def _form(src, p, negate, t) -> dict:
    """Clamp, sort and encode one of the two forms; key -1 where t is out of the key's range."""
    ok = (t >= 1) & (t <= MAX_THRESHOLD)
    clamped = np.minimum(p, np.clip(t, 1, MAX_THRESHOLD)[:, None])
    order = np.argsort(-clamped, axis=1, kind="stable")
    p = np.take_along_axis(clamped, order, axis=1)
    key = np.where(ok, t, 0).astype(np.int64)
    for i in range(p.shape[1]):
        key |= p[:, i].astype(np.int64) << (FIELD_BITS * (i + 1))
    return {"key": np.where(ok, key, -1), "p": p,
            "sources": np.take_along_axis(src, order, axis=1),
            "negate": np.take_along_axis(negate, order, axis=1)}


def _merge(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every key replaced by the cheapest present key of the same function, and its cost.

    Keys compute the same function of their sorted literals when they have the
    same literal count and truth table (e.g. weights (3, 2, 1) with t = 3 and
    (2, 1, 1) with t = 2 both give ``x_0 or (x_1 and x_2)``); one program then
    serves the gates of both. Keys -1 (no form) stay -1, at cost 2**30.
    """
    unique, inverse = np.unique(keys, return_inverse=True)
    best: dict = {}
    for key in unique.tolist():
        if key >= 0:
            best[function(key)] = min(best.get(function(key), (cost(key), key)),
                                      (cost(key), key))
    pairs = [best[function(key)] if key >= 0 else (1 << 30, -1) for key in unique.tolist()]
    table = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    inverse = inverse.reshape(-1)
    return table[inverse, 1], table[inverse, 0]


@cache
def function(key: int) -> tuple[int, bytes]:
    """The literal count and truth table of a key's gate (bit a: the gate on assignment a)."""
    weights, threshold = decode(key)
    k = len(weights)
    assignments = (np.arange(1 << k)[:, None] >> np.arange(k)) & 1
    return k, np.packbits(assignments @ np.array(weights, dtype=np.int64) >= threshold).tobytes()
