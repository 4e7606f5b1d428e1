"""Hypothesis strategies for random well-formed C-RASP programs.

Importable by users, like `languages.brasp_strategies` (draw the words with
`languages.strategies.words(program.alphabet)`)::

    from languages.crasp_strategies import crasp_programs

Programs are built valid and well-typed by construction, never filtered:
each definition draws its type (Boolean or count; the last is Boolean, the
output), then an expression of that type over the initial vectors and earlier
definitions of the right types; a count ``#[j ≤ i] P(j)`` counts a Boolean
expression read at j. Bounds are keyword-only and checked before anything is
drawn. Only the definitions the output reads (directly or not) are kept.

Shrinking: towards fewer definitions, Boolean definitions, one-leaf
expressions, ``Q_a`` of the first symbol and constants before comparisons and
references to other vectors, small constants and factors.
"""

from __future__ import annotations

from hypothesis import strategies as st

from languages.brasp import And, Const, Definition, Not, Or, RaspError, Symbol, Var
from languages.brasp_strategies import MAX_DEFINITIONS, MAX_LEAVES, expressions, used
from languages.crasp import COMPARISONS, Add, Compare, Count, Number, Program, Scale, Sub
from languages.language import check_alphabet, check_int


def crasp_programs(*, alphabet: str = "ab", min_definitions: int = 1, max_definitions: int = 6,
                   max_leaves: int = 3, max_constant: int = 3,
                   max_factor: int = 3) -> st.SearchStrategy[Program]:
    """C-RASP programs over `alphabet`: `min_definitions` to `max_definitions` definitions
    drawn (those the output does not read then dropped), expressions of 1 to
    `max_leaves` leaves, integer constants in
    ``[-max_constant, max_constant]`` and factors in ``[-max_factor, max_factor]``.

    Raises:
        RaspError: a bad alphabet.
        LengthError: a bound out of range.
    """
    alphabet = check_alphabet(alphabet, RaspError)
    min_definitions = check_int("min_definitions", min_definitions, 1, MAX_DEFINITIONS)
    max_definitions = check_int("max_definitions", max_definitions, min_definitions,
                                MAX_DEFINITIONS)
    max_leaves = check_int("max_leaves", max_leaves, 1, MAX_LEAVES)
    max_constant = check_int("max_constant", max_constant, 0, 10**6)
    max_factor = check_int("max_factor", max_factor, 0, 10**6)

    @st.composite
    def build(draw) -> Program:
        count = draw(st.integers(min_definitions, max_definitions))
        booleans: list[str] = []
        counts: list[str] = []
        definitions = []

        def counted():
            """``#[j ≤ i] P(j)`` for a Boolean expression P over vectors at j."""
            return Count(expressions(draw, alphabet=alphabet, names=list(booleans),
                                     sides=("j",), leaves=draw(st.integers(1, max_leaves))))

        def count_expr(leaves: int):
            if leaves == 1:
                kind = draw(st.sampled_from(("number", "count", "vector") if counts
                                            else ("number", "count")))
                if kind == "count":
                    node = counted()
                elif kind == "vector":
                    node = Var(draw(st.sampled_from(counts[::-1])))
                else:
                    node = Number(draw(st.integers(-max_constant, max_constant)))
            else:
                left = draw(st.integers(1, leaves - 1))
                parts = [count_expr(left), count_expr(leaves - left)]
                node = (Add if draw(st.booleans()) is False else Sub)(*parts)
            if draw(st.booleans()):
                node = Scale(draw(st.integers(-max_factor, max_factor)), node)
            return node

        def boolean_expr(leaves: int):
            if leaves == 1:
                kind = draw(st.sampled_from(("symbol", "constant", "compare", "vector")
                                            if booleans else ("symbol", "constant", "compare")))
                if kind == "compare":
                    node = Compare(draw(st.sampled_from(COMPARISONS)),
                                   count_expr(draw(st.integers(1, max_leaves))),
                                   count_expr(draw(st.integers(1, max_leaves))))
                elif kind == "symbol":
                    node = Symbol(draw(st.sampled_from(alphabet)))
                elif kind == "vector":
                    node = Var(draw(st.sampled_from(booleans[::-1])))
                else:
                    node = Const(draw(st.booleans()))
            else:
                left = draw(st.integers(1, leaves - 1))
                parts = [boolean_expr(left), boolean_expr(leaves - left)]
                node = (And if draw(st.booleans()) is False else Or)(*parts)
            return Not(node) if draw(st.booleans()) else node

        for k in range(count):
            name = f"P{k + 1}"
            last = k == count - 1
            if last or draw(st.sampled_from(("bool", "count"))) == "bool":
                definitions.append(Definition(name, boolean_expr(
                    draw(st.integers(1, max_leaves)))))
                booleans.append(name)
            else:
                definitions.append(Definition(name, count_expr(draw(st.integers(1, max_leaves)))))
                counts.append(name)
        return Program(alphabet=alphabet, definitions=used(definitions), output=f"P{count}")

    return build()
