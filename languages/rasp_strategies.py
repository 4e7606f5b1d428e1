"""Hypothesis strategies for well-typed RASP programs (as Tracr compiles them) and their inputs.

Importable by users for their own property tests::

    from hypothesis import given, strategies as st
    from languages import rasp
    from languages.rasp_strategies import rasp_inputs, rasp_programs

    @given(rasp_programs(vocab="abc", max_seq_len=6), st.data())
    def test_one_value_per_position(program, data):
        xs = data.draw(rasp_inputs("abc", max_seq_len=6))
        assert len(rasp.evaluate(program, xs)) == len(xs)

A program is an S-op built valid by construction, never filtered: each of its
operations reads S-ops drawn earlier (starting from `tokens` and `indices`)
whose type allows it, so that every program satisfies Tracr's static rules
(``compiler/validating.py``) and its dynamic ones on every input of length 1 to
`max_seq_len`:

* a `Select` reads categorical, never-None S-ops, and orders (``LT``, ``LEQ``,
  ``GT``, ``GEQ``) only values of one kind (two token S-ops, or two integer or
  Boolean ones);
* a `SequenceMap` reads and gives categorical values, a `LinearSequenceMap`
  numerical ones;
* a numerical `Aggregate` averages a numerical S-op with values in {0, 1}, with
  default 0;
* a categorical `Aggregate` selects at most one position: its selector is
  ``Select(indices, p, EQ)`` for a *pointer* p (an integer S-op with
  ``0 <= p_i <= i``: `indices` and what ``x // 2``, ``max(x - 1, 0)``,
  ``min(x, 2)``, ``x % 2``, ``min`` and ``max`` make of pointers), possibly
  and-ed with a second selector, or Tracr's shift ``q == k + offset``; its
  default is None, so its value may be None (and such an S-op is then read only
  by maps and aggregates, where None passes through);
* selectors are combined by `SelectorAnd`, `SelectorOr` and `SelectorNot` (built
  directly, not merged), which Tracr refuses to compile and circuitx compiles.

Every value is finite and drawn from finite sets: tokens, small integers,
Booleans and, for numerical S-ops, means of 0/1 values and their images under
a few maps. Maps are built with ``simplify=False`` so that every drawn
operation stays a node. Bounds are keyword-only and checked before anything is
drawn (`RaspError` for a bad vocabulary, `LengthError` for a bound).

Shrinking: towards fewer operations, the first operation kind (a map), the
first function of its table, operands drawn latest-first, and comparisons
``EQ``; a failing program shrinks to a few maps of `tokens` and `indices`.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from languages import rasp
from languages.brasp import RaspError
from languages.language import check_int

MAX_OPERATIONS = 200
MAX_SEQ_LEN = 4096


@dataclass(frozen=True)
class Typed:
    """An S-op drawn so far and what its values may be: `kind` is ``token``, ``int``,
    ``bool`` (categorical) or ``binary`` (0/1), ``number`` (numerical); `nullable`: may
    be None; `pointer`: an int with ``0 <= value_i <= i``."""

    sop: rasp.SOp
    kind: str
    nullable: bool = False
    pointer: bool = False

    @property
    def numerical(self) -> bool:
        return self.kind in ("binary", "number")


# name, function, kind of the result, whether it keeps a pointer a pointer
_INT_MAPS = (
    ("half", lambda x: x // 2, "int", True),
    ("dec", lambda x: max(x - 1, 0), "int", True),
    ("min2", lambda x: min(x, 2), "int", True),
    ("mod2", lambda x: x % 2, "int", True),
    ("plus1", lambda x: x + 1, "int", False),
    ("neg", lambda x: -x, "int", False),
    ("pos", lambda x: x > 0, "bool", False),
    ("even", lambda x: x % 2 == 0, "bool", False),
    ("int_to_num", lambda x: x, "number", False),
    ("pos_to_num", lambda x: 1 if x > 0 else 0, "binary", False),
)
_BOOL_MAPS = (
    ("not", lambda x: not x, "bool", False),
    ("to_int", lambda x: int(x), "int", False),
    ("bool_to_num", lambda x: 1 if x else 0, "binary", False),
)
_NUMBER_MAPS = (
    ("gt_half", lambda x: x > 0.5, "bool", False),
    ("is_zero", lambda x: x == 0, "bool", False),
    ("double", lambda x: 2 * x, "number", False),
    ("one_minus", lambda x: 1 - x, "number", False),
    ("square", lambda x: x * x, "number", False),
)
_PAIR_MAPS = {  # (kind, kind) -> name, function, kind, keeps pointers
    ("int", "int"): (("min", min, "int", True), ("max", max, "int", True),
                     ("add", lambda x, y: x + y, "int", False),
                     ("sub", lambda x, y: x - y, "int", False),
                     ("lt", lambda x, y: x < y, "bool", False)),
    ("bool", "bool"): (("and", lambda x, y: x and y, "bool", False),
                       ("or", lambda x, y: x or y, "bool", False),
                       ("xor", lambda x, y: x != y, "bool", False)),
}
_SAME = ("same", lambda x, y: x == y, "bool", False)
_FACTORS = (1, -1, 2, 0.5)
_OPERATIONS = ("map", "sequence_map", "selector_width", "categorical_aggregate",
               "numerical_aggregate", "linear_sequence_map")
_ORDERED = (rasp.Comparison.LT, rasp.Comparison.LEQ, rasp.Comparison.GT, rasp.Comparison.GEQ)


def check_vocab(vocab) -> list:
    """`vocab` as a sorted list of distinct tokens, all str or all int (not bool)."""
    tokens = sorted(set(vocab)) if isinstance(vocab, str) else None
    if tokens is None:
        try:
            tokens = list(vocab)
        except TypeError:
            tokens = None
    kinds = {str if isinstance(t, str) else int if type(t) is int else None
             for t in (tokens or [None])}
    if not tokens or len(kinds) != 1 or None in kinds:
        raise RaspError(f"a vocabulary is a non-empty set of str or of int tokens, got "
                        f"{vocab!r}")
    if len(set(tokens)) != len(tokens):
        raise RaspError(f"vocabulary {vocab!r} repeats a token")
    return sorted(tokens)


def _maps(item: Typed, vocab: list) -> list[tuple]:
    if item.kind == "token":
        rank = {t: k for k, t in enumerate(vocab)}
        out = [("rank", rank.__getitem__, "int", False)]
        for t in vocab:
            out.append((f"is_{t}", lambda x, t=t: x == t, "bool", False))
            out.append((f"is_{t}_to_num", lambda x, t=t: 1 if x == t else 0, "binary",
                        False))
        return out
    if item.kind == "int":
        return list(_INT_MAPS)
    if item.kind == "bool":
        return list(_BOOL_MAPS)
    return list(_NUMBER_MAPS)


def _pick(draw, pool: list[Typed], ok) -> Typed | None:
    """An S-op of `pool` that `ok` accepts, latest-first (so shrinking reaches `tokens`)."""
    fits = [t for t in reversed(pool) if ok(t)]
    return draw(st.sampled_from(fits)) if fits else None


def _one(draw, pool: list[Typed], ok) -> Typed:
    """As `_pick`, where `tokens` or `indices` always fits."""
    found = _pick(draw, pool, ok)
    assert found is not None, "tokens and indices are categorical, never None"
    return found


def _select(draw, pool: list[Typed]) -> rasp.Selector:
    keys = _one(draw, pool, lambda t: not t.numerical and not t.nullable)
    queries = _one(draw, pool, lambda t: not t.numerical and not t.nullable)
    ordered = (keys.kind == queries.kind == "token"
               or {keys.kind, queries.kind} <= {"int", "bool"})
    comparisons = [c for c in rasp.Comparison if ordered or c not in _ORDERED]
    comparisons.sort(key=lambda c: c is not rasp.Comparison.EQ)
    return rasp.Select(keys.sop, queries.sop, draw(st.sampled_from(comparisons)))


def _selector(draw, pool: list[Typed], depth: int = 2) -> rasp.Selector:
    """A Select, or (depth allowing) the and, or, not of smaller selectors."""
    shape = draw(st.sampled_from(("select", "and", "or", "not") if depth else ("select",)))
    if shape == "select":
        return _select(draw, pool)
    if shape == "not":
        return rasp.SelectorNot(_selector(draw, pool, depth - 1))
    both = (_selector(draw, pool, depth - 1), _selector(draw, pool, depth - 1))
    return rasp.SelectorAnd(*both) if shape == "and" else rasp.SelectorOr(*both)


def _operation(draw, pool: list[Typed], vocab: list, max_seq_len: int) -> Typed | None:
    """One drawn operation on `pool`, or None where its operands are not there."""
    op = draw(st.sampled_from(_OPERATIONS))
    if op == "map":
        item = _one(draw, pool, lambda t: True)
        name, f, kind, keeps = draw(st.sampled_from(_maps(item, vocab)))
        if item.nullable and kind in ("binary", "number"):
            return None
        sop: rasp.SOp = rasp.Map(f, item.sop, simplify=False).named(name)
        if kind in ("binary", "number"):
            sop = rasp.numerical(sop)
        return Typed(sop, kind, item.nullable, item.pointer and keeps)
    if op == "sequence_map":
        fst = _one(draw, pool, lambda t: not t.numerical)
        snd = _one(draw, pool, lambda t: not t.numerical and t is not fst)
        table = (*_PAIR_MAPS.get((fst.kind, snd.kind), ()), _SAME)
        name, f, kind, keeps = draw(st.sampled_from(table))
        return Typed(rasp.SequenceMap(f, fst.sop, snd.sop).named(name), kind,
                     fst.nullable or snd.nullable, fst.pointer and snd.pointer and keeps)
    if op == "linear_sequence_map":
        fst = _pick(draw, pool, lambda t: t.numerical)
        snd = fst and _pick(draw, pool, lambda t: t.numerical and t is not fst)
        if snd is None:
            return None
        a, b = draw(st.sampled_from(_FACTORS)), draw(st.sampled_from(_FACTORS))
        return Typed(rasp.numerical(rasp.LinearSequenceMap(fst.sop, snd.sop, a, b)),
                     "number")
    if op == "selector_width":
        width = rasp.SelectorWidth(_selector(draw, pool))
        if draw(st.booleans()):
            return Typed(rasp.numerical(width), "number")
        return Typed(width, "int")
    if op == "numerical_aggregate":
        values = _pick(draw, pool, lambda t: t.kind == "binary")
        if values is None:
            return None
        sop = rasp.Aggregate(_selector(draw, pool), values.sop, default=0)
        return Typed(rasp.numerical(sop), "number")
    values = _one(draw, pool, lambda t: not t.numerical)
    pointer = _one(draw, pool, lambda t: t.pointer)
    shape = draw(st.sampled_from(("pointer", "pointer_and", "shift")))
    indices = pool[1].sop
    if shape == "shift":
        offset = draw(st.integers(1, max(1, max_seq_len - 1)))
        selector: rasp.Selector = rasp.Select(indices, indices,
                                              lambda k, q, o=offset: q == k + o)
    else:
        selector = rasp.Select(indices, pointer.sop, rasp.Comparison.EQ)
        if shape == "pointer_and":
            selector = rasp.SelectorAnd(selector, _selector(draw, pool, 1))
    nullable = values.nullable or shape != "pointer"
    return Typed(rasp.Aggregate(selector, values.sop), values.kind, nullable,
                 values.pointer and not nullable)


def rasp_programs(*, vocab="abc", max_seq_len: int = 8, min_operations: int = 1,
                  max_operations: int = 6) -> st.SearchStrategy[rasp.SOp]:
    """Well-typed RASP programs over `vocab` for inputs of length 1 to `max_seq_len`:
    `min_operations` to `max_operations` operations drawn (a drawn operation whose
    operands are missing is skipped), the output the last S-op made (see the module
    docstring).

    Raises:
        RaspError: a bad vocabulary.
        LengthError: a bound out of range (operations in [1, 200], max_seq_len in
            [1, 4096]).
    """
    vocab = check_vocab(vocab)
    max_seq_len = check_int("max_seq_len", max_seq_len, 1, MAX_SEQ_LEN)
    min_operations = check_int("min_operations", min_operations, 1, MAX_OPERATIONS)
    max_operations = check_int("max_operations", max_operations, min_operations,
                               MAX_OPERATIONS)

    @st.composite
    def build(draw) -> rasp.SOp:
        pool = [Typed(rasp.tokens, "token"), Typed(rasp.indices, "int", pointer=True)]
        made = None
        for _ in range(draw(st.integers(min_operations, max_operations))):
            new = _operation(draw, pool, vocab, max_seq_len)
            if new is not None:
                pool.append(new)
                made = new
        if made is None:  # every drawn operation was skipped: fall back on a map
            name, f, _, _ = _maps(pool[0], vocab)[1]
            return rasp.Map(f, rasp.tokens, simplify=False).named(name)
        return made.sop

    return build()


def rasp_inputs(vocab="abc", *, max_seq_len: int = 8, min_length: int = 1
                ) -> st.SearchStrategy[list]:
    """Inputs for `rasp_programs`: lists of `min_length` to `max_seq_len` tokens of
    `vocab`; they shrink towards shorter lists of the smallest token.

    Raises:
        RaspError: a bad vocabulary.
        LengthError: a bound out of range.
    """
    vocab = check_vocab(vocab)
    max_seq_len = check_int("max_seq_len", max_seq_len, 1, MAX_SEQ_LEN)
    min_length = check_int("min_length", min_length, 0, max_seq_len)
    return st.lists(st.sampled_from(vocab), min_size=min_length, max_size=max_seq_len)
