"""Selectors of a RASP program in the forms the compiler builds heads from.

A head scores a key by a sum of bilinear terms (`compilers.programs.rasp_compile`),
so a selector is brought to one of two forms:

* a *conjunction* of ``Select``s and negated ``Select``s (`conjunction`): each
  is one 0/1 score term (a negation flips its predicate value by value), and a
  key is selected iff the sum is the number of terms;
* any other tree of ``SelectorAnd``/``SelectorOr``/``SelectorNot``: one
  predicate (`holds`) over the tuples of its distinct key S-ops and of its
  distinct query S-ops (`sops`), which the compiler scores as a single Select.
"""

from __future__ import annotations

from compilers.programs.booleans import ProgramCompileError
from languages import rasp


def selects(predicate, key, query) -> bool:
    """``predicate(key, query)`` as a bool; a `ProgramCompileError` where it fails."""
    try:
        return bool(predicate(key, query))
    except (ArithmeticError, TypeError, ValueError) as error:
        raise ProgramCompileError(f"RASP compiler: a selector's predicate fails on key "
                                  f"{key!r}, query {query!r}: {error}") from None


def conjunction(selector) -> list | None:
    """``[(Select, negated)]`` if `selector` is a conjunction of Selects and their
    negations, else None."""
    if isinstance(selector, rasp.Select):
        return [(selector, False)]
    if isinstance(selector, rasp.SelectorNot) and isinstance(selector.inner, rasp.Select):
        return [(selector.inner, True)]
    if isinstance(selector, rasp.SelectorAnd):
        a, b = conjunction(selector.fst), conjunction(selector.snd)
        return None if a is None or b is None else a + b
    if isinstance(selector, rasp.SelectorNot | rasp.SelectorOr):
        return None
    raise ProgramCompileError(f"RASP compiler: selector {type(selector).__name__} "
                              f"{getattr(selector, 'label', selector)!r} is not compiled "
                              "(ConstantSelector is a testing construct; allowed: Select, "
                              "SelectorAnd, SelectorOr, SelectorNot)")


def sops(selector, side: str) -> list:
    """The distinct key (or query) S-ops of a selector tree, in order."""
    out, seen = [], set()

    def walk(s):
        if isinstance(s, rasp.Select):
            sop = getattr(s, side)
            if id(sop) not in seen:
                seen.add(id(sop))
                out.append(sop)
        elif isinstance(s, rasp.SelectorNot):
            walk(s.inner)
        elif isinstance(s, rasp.SelectorAnd | rasp.SelectorOr):
            walk(s.fst)
            walk(s.snd)
        else:
            conjunction(s)  # raises, naming it
    walk(selector)
    return out


def holds(selector, kt: tuple, qt: tuple, index_k: dict, index_q: dict) -> bool:
    """Whether `selector` selects a key whose key S-ops hold the tuple `kt` for a query
    whose query S-ops hold `qt` (``index_k``, ``index_q``: each S-op's place, by id)."""
    if isinstance(selector, rasp.Select):
        return selects(selector.predicate, kt[index_k[id(selector.keys)]],
                       qt[index_q[id(selector.queries)]])
    if isinstance(selector, rasp.SelectorNot):
        return not holds(selector.inner, kt, qt, index_k, index_q)
    fst = holds(selector.fst, kt, qt, index_k, index_q)
    snd = holds(selector.snd, kt, qt, index_k, index_q)
    return (fst and snd) if isinstance(selector, rasp.SelectorAnd) else (fst or snd)
