"""Tracr's own RASP expressions to `languages.rasp` and back (the optional ``[tracr]`` extra).

Needs Tracr (``pip install -e ".[tracr]"``); the only module of this project that
imports it. `from_tracr` rebuilds a Tracr expression DAG node for node on
`languages.rasp`: the same classes, children, functions and predicates (Tracr's
`Comparison` members become ours of the same name), fills, constants and
defaults, and the same annotations (Tracr's `Encoding` becomes ours); a node
that Tracr shares is shared in the copy. Maps are rebuilt with
``simplify=False``, so the copy has exactly Tracr's nodes. `to_tracr` is the
inverse. Both walk the DAG without recursion.

Not checked: that the functions inside behave the same on both sides (they are
the same Python objects; a predicate that closes over a Tracr expression still
refers to it).
"""

from __future__ import annotations

from collections.abc import Callable

from tracr.rasp import rasp as tracr

from languages import rasp
from languages.brasp import RaspError

_PRIMITIVES = {  # side -> (class there, the primitive on the other side)
    tracr: ((tracr.TokensType, rasp.tokens), (tracr.IndicesType, rasp.indices),
            (tracr.LengthType, rasp.length)),
    rasp: ((rasp.TokensType, tracr.tokens), (rasp.IndicesType, tracr.indices),
           (rasp.LengthType, tracr.length)),
}


def _order(expr, children: Callable) -> list:
    order, seen, stack = [], set(), [(expr, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(children(node)) if id(c) not in seen)
    return order


def _annotations(expr, encodings: dict) -> dict:
    """The annotations set on `expr` (not defaults), encodings translated."""
    out = {}
    for key in expr.annotations:
        value = expr.annotations[key]
        out[key] = encodings.get(value, value) if key == "encoding" else value
    return out


def _predicate(p, comparisons: dict):
    return comparisons.get(p, p) if isinstance(p, rasp.Comparison | tracr.Comparison) else p


def _convert(expr, side, other, got: dict, encodings: dict, comparisons: dict):
    """One node of `side`'s classes rebuilt with `other`'s, its children already in
    `got`."""
    kid = [got[id(c)] for c in expr.children]
    for cls, primitive in _PRIMITIVES[side]:
        if isinstance(expr, cls):
            return primitive
    if isinstance(expr, side.LinearSequenceMap):
        return other.LinearSequenceMap(kid[0], kid[1], expr.fst_fac, expr.snd_fac)
    if isinstance(expr, side.SequenceMap):
        return other.SequenceMap(expr.f, kid[0], kid[1])
    if isinstance(expr, side.Map):
        return other.Map(expr.f, kid[0], simplify=False)
    if isinstance(expr, side.Full):
        return other.Full(expr.fill)
    if isinstance(expr, side.ConstantSOp):
        return other.ConstantSOp(expr.value, check_length=expr.check_length)
    if isinstance(expr, side.SelectorWidth):
        return other.SelectorWidth(kid[0])
    if isinstance(expr, side.Aggregate):
        return other.Aggregate(kid[0], kid[1], default=expr.default)
    if isinstance(expr, side.Select):
        return other.Select(kid[0], kid[1], _predicate(expr.predicate, comparisons))
    if isinstance(expr, side.ConstantSelector):
        return other.ConstantSelector(expr.value, check_length=expr.check_length)
    if isinstance(expr, side.SelectorAnd):
        return other.SelectorAnd(kid[0], kid[1])
    if isinstance(expr, side.SelectorOr):
        return other.SelectorOr(kid[0], kid[1])
    if isinstance(expr, side.SelectorNot):
        return other.SelectorNot(kid[0])
    raise RaspError(f"no conversion for {type(expr).__name__} ({expr!r})")


def _translate(expr, side, other) -> object:
    if not isinstance(expr, side.RASPExpr):
        where = "tracr" if side is tracr else "languages.rasp"
        raise RaspError(f"{expr!r} is not a {where} RASP expression")
    encodings = {e: other.Encoding[e.name] for e in side.Encoding}
    comparisons = {c: other.Comparison[c.name] for c in side.Comparison}
    got: dict = {}
    for node in _order(expr, lambda e: list(e.children)):
        new = _convert(node, side, other, got, encodings, comparisons)
        annotations = _annotations(node, encodings)
        got[id(node)] = other.annotate(new, **annotations) if annotations else new
    return got[id(expr)]


def from_tracr(expr: tracr.RASPExpr) -> rasp.RASPExpr:
    """A Tracr RASP expression rebuilt on `languages.rasp` (module docstring).

    Raises:
        RaspError: `expr` is not a Tracr expression, or has a class Tracr's ``rasp``
            does not define.
    """
    return _translate(expr, tracr, rasp)


def to_tracr(expr: rasp.RASPExpr) -> tracr.RASPExpr:
    """A `languages.rasp` expression rebuilt on Tracr's ``rasp`` (the inverse of
    `from_tracr`).

    Raises:
        RaspError: `expr` is not a `languages.rasp` expression.
    """
    return _translate(expr, rasp, tracr)
