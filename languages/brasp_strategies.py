"""Hypothesis strategies for random well-formed B-RASP programs.

Importable by users for their own property tests, next to
`languages.strategies` (whose `words(program.alphabet)` draws the inputs)::

    from hypothesis import given, strategies as st
    from languages import brasp
    from languages.brasp_strategies import brasp_programs
    from languages.strategies import words

    @given(brasp_programs(), st.data())
    def test_output_has_a_value_per_position(program, data):
        word = data.draw(words(program.alphabet, max_length=8))
        assert len(brasp.evaluate(program, word)) == len(word)

Programs are built valid by construction, never filtered: definition k reads
only the initial vectors and definitions 0 .. k-1, each expression reads at
the sides its place allows, the output is the last definition, and only the
definitions it reads (directly or not) are kept. Bounds are
keyword-only and checked before anything is drawn (`LengthError`, or
`RaspError` for a bad alphabet).

Shrinking: towards fewer definitions, position-wise operations before
attention, expressions of one leaf, and leaves that are ``Q_a`` of the first
symbol (then constants, then earlier vectors), so a failing program shrinks
to a few short lines.
"""

from __future__ import annotations

from hypothesis import strategies as st

from languages.brasp import (
    CHOICES,
    MASKS,
    And,
    Attention,
    Const,
    Definition,
    Not,
    Or,
    Program,
    RaspError,
    Symbol,
    Var,
    leaves,
)
from languages.language import check_alphabet, check_int

MAX_DEFINITIONS = 1000
MAX_LEAVES = 8


def expressions(draw, *, alphabet: str, names: list[str], sides: tuple[str, ...],
                leaves: int):
    """An expression with `leaves` leaves (drawn: symbols, earlier vectors, constants) read
    at `sides`, joined by ∧ and ∨, each node negated or not."""
    if leaves == 1:
        kind = draw(st.sampled_from(("symbol", "constant", "vector") if names
                                    else ("symbol", "constant")))
        side = draw(st.sampled_from(sides))
        if kind == "symbol":
            node = Symbol(draw(st.sampled_from(alphabet)), side)
        elif kind == "vector":
            node = Var(draw(st.sampled_from(names[::-1])), side)
        else:
            node = Const(draw(st.booleans()))
    else:
        left = draw(st.integers(1, leaves - 1))
        parts = [expressions(draw, alphabet=alphabet, names=names, sides=sides, leaves=k)
                 for k in (left, leaves - left)]
        node = (And if draw(st.booleans()) is False else Or)(*parts)
    return Not(node) if draw(st.booleans()) else node


def used(definitions: list) -> tuple:
    """The definitions the last one reads, directly or not, in order (the others are
    dropped, so that a program shrinks as its output's dependencies do)."""
    wanted = {definitions[-1].name}
    for d in reversed(definitions):
        if d.name in wanted:
            op = d.operation
            parts = (op.score, op.value, op.default) if isinstance(op, Attention) else (op,)
            wanted |= {leaf.name for part in parts for leaf in leaves(part)
                       if isinstance(leaf, Var)}
    return tuple(d for d in definitions if d.name in wanted)


def brasp_programs(*, alphabet: str = "ab", min_definitions: int = 1, max_definitions: int = 6,
                   max_leaves: int = 3, masks: tuple[str, ...] = MASKS,
                   choices: tuple[str, ...] = CHOICES) -> st.SearchStrategy[Program]:
    """B-RASP programs over `alphabet`: `min_definitions` to `max_definitions` definitions
    drawn (those the output does not read then dropped), each expression of 1 to
    `max_leaves` leaves, attention with the given masks and choices (see the module
    docstring).

    Raises:
        RaspError: a bad alphabet, or masks/choices outside `MASKS`/`CHOICES`.
        LengthError: a bound out of range (definitions in [1, 1000], leaves in [1, 8]).
    """
    alphabet = check_alphabet(alphabet, RaspError)
    min_definitions = check_int("min_definitions", min_definitions, 1, MAX_DEFINITIONS)
    max_definitions = check_int("max_definitions", max_definitions, min_definitions,
                                MAX_DEFINITIONS)
    max_leaves = check_int("max_leaves", max_leaves, 1, MAX_LEAVES)
    for name, given, allowed in (("masks", masks, MASKS), ("choices", choices, CHOICES)):
        if not given or not set(given) <= set(allowed):
            raise RaspError(f"brasp_programs: {name} {given!r}; allowed: a non-empty subset "
                            f"of {allowed}")

    @st.composite
    def build(draw) -> Program:
        count = draw(st.integers(min_definitions, max_definitions))
        names: list[str] = []
        definitions = []
        for k in range(count):

            def expr(sides, names=names):
                return expressions(draw, alphabet=alphabet, names=list(names), sides=sides,
                                   leaves=draw(st.integers(1, max_leaves)))

            if draw(st.sampled_from(("position", "attention"))) == "position":
                operation = expr(("i",))
            else:
                operation = Attention(choice=draw(st.sampled_from(choices)),
                                      mask=draw(st.sampled_from(masks)),
                                      score=expr(("j", "i")), value=expr(("j", "i")),
                                      default=expr(("i",)))
            definitions.append(Definition(f"P{k + 1}", operation))
            names.append(f"P{k + 1}")
        return Program(alphabet=alphabet, definitions=used(definitions), output=names[-1])

    return build()
