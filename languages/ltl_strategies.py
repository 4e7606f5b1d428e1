"""Hypothesis strategies for random past-LTL formulas (with until).

Importable by users, like `languages.brasp_strategies` (draw the words with
`languages.strategies.words(program.alphabet)`)::

    from languages.ltl_strategies import ltl_programs

Formulas are built valid by construction (`hypothesis.strategies.recursive`
over atoms of the alphabet and the constants), never filtered. Bounds are
keyword-only and checked before anything is drawn.

Shrinking: towards a single atom (of the first symbol), then constants, then
shallow formulas with few temporal operators.
"""

from __future__ import annotations

from hypothesis import strategies as st

from languages.brasp import RaspError
from languages.language import check_alphabet, check_int
from languages.ltl import (
    And,
    Atom,
    Constant,
    Historically,
    Implies,
    Not,
    Once,
    Or,
    Program,
    Since,
    Until,
    Yesterday,
)

MAX_LEAVES = 200


def ltl_programs(*, alphabet: str = "ab", max_leaves: int = 8,
                 until: bool = True) -> st.SearchStrategy[Program]:
    """LTL programs over `alphabet` with at most about `max_leaves` leaves; `until`: also
    draw the future operator U (else past formulas only).

    Raises:
        RaspError: a bad alphabet.
        LengthError: `max_leaves` outside [1, 200].
    """
    alphabet = check_alphabet(alphabet, RaspError)
    max_leaves = check_int("max_leaves", max_leaves, 1, MAX_LEAVES)
    leaves = st.one_of(st.sampled_from([Atom(a) for a in alphabet]),
                       st.booleans().map(Constant))
    unary = (Not, Yesterday, Once, Historically)
    binary = (And, Or, Implies, Since, *((Until,) if until else ()))

    def extend(inner):
        return st.one_of(
            st.tuples(st.sampled_from(unary), inner).map(lambda t: t[0](t[1])),
            st.tuples(st.sampled_from(binary), inner, inner).map(lambda t: t[0](t[1], t[2])))

    formulas = st.recursive(leaves, extend, max_leaves=max_leaves)
    return formulas.map(lambda root: Program(alphabet=alphabet, formula=root))


__all__ = ["ltl_programs"]
