"""C-RASP as text, in the notation of Yang & Chiang (COLM 2024).

One statement per line; ``//`` starts a comment::

    alphabet "ab"
    C_a(i) := #[j <= i] Q_a(j)
    C_b(i) := #[j ≤ i] Q_b(j)
    majority(i) := C_a(i) > C_b(i)
    output majority

* ``alphabet "..."``, ``output P``, names and ``Q_a(i)`` / ``Q_"x"(i)`` as in
  `languages.brasp_text`;
* Boolean operations ``¬``/``!``/``not``, ``∧``/``&``/``and``, ``∨``/``|``/``or``,
  the constants ``true``/``false`` (``⊤``/``⊥``);
* counts: ``#[j <= i] P(j)`` (or ``#[j ≤ i]``; P a vector at j, or a
  parenthesised Boolean expression over vectors at j), integers, ``+``,
  ``-``, ``k * C`` (or ``C * k``), unary ``-``;
* comparisons ``<``, ``<=``/``≤``, ``>``, ``>=``/``≥``, ``=``/``==``, ``!=``/``≠``
  of two counts (at most one per comparison, no chaining).

Precedence, tightest first: unary minus, ``*``, ``+``/``-``, a comparison, ¬, ∧,
∨. Types are checked by `languages.crasp.Program` (a count where a Boolean is
needed is an error naming the line of its definition). Errors are one line,
`RaspSyntaxError`. ``parse(to_text(p)) == p``.
"""

from __future__ import annotations

import lark

from languages.brasp import And, Const, Definition, Not, Or, RaspError, Symbol, Var
from languages.brasp_text import (
    ASCII,
    COMMON,
    UNICODE,
    RaspSyntaxError,
    Reader,
    boolean_text,
    reference,
    syntax_error,
)
from languages.crasp import Add, Compare, Count, Number, Program, Scale, Sub

GRAMMAR = r"""
    start: (_NL | statement _NL)*
    ?statement: alphabet | output | definition
    alphabet: "alphabet" STRING
    output: "output" NAME
    definition: NAME "(" "i" ")" DEFINE expr
    ?expr: and_ | expr OR and_ -> or_
    ?and_: not_ | and_ AND not_ -> and_
    ?not_: compare | NOT not_ -> not_
    ?compare: sum | sum COMP sum -> compare
    ?sum: product | sum PLUS product -> add | sum MINUS product -> sub
    ?product: unary | product TIMES unary -> times
    ?unary: atom | MINUS unary -> negate
    ?atom: "(" expr ")" | INT -> number | TRUE -> true | FALSE -> false | ref | count
    count: "#" "[" "j" LE "i" "]" atom
    ref: (NAME | QUOTED) "(" SIDE ")"
    SIDE: "i" | "j"
    COMP: "<=" | "≤" | ">=" | "≥" | "<" | ">" | "==" | "=" | "!=" | "≠"
    LE: "<=" | "≤"
    PLUS: "+"
    MINUS: "-" | "−"
    TIMES: "*" | "·" | "×"
    INT: /[0-9]+/
    TRUE.2: /true\b|⊤/
    FALSE.2: /false\b|⊥/
""" + COMMON

OPS = {"<=": "<=", "≤": "<=", ">=": ">=", "≥": ">=", "<": "<", ">": ">", "==": "=",
       "=": "=", "!=": "!=", "≠": "!="}
MAX_DIGITS = 30  # integers in the text: a longer one is refused before it is built

_PARSER = lark.Lark(GRAMMAR, parser="lalr", maybe_placeholders=False)


def parse(text: str, *, alphabet: str | None = None) -> Program:
    """The C-RASP `Program` written in `text` (see the module docstring); `alphabet`
    replaces a missing alphabet line.

    Raises:
        RaspSyntaxError: the text is not a well-formed program (one line naming the place).
    """
    if not isinstance(text, str):
        raise RaspSyntaxError(f"C-RASP text must be a string, got {type(text).__name__}")
    try:
        tree = _PARSER.parse(text + "\n")
    except lark.exceptions.LarkError as error:
        raise syntax_error(error, _PARSER, text, "C-RASP") from None
    reader = Reader("C-RASP")
    for statement in tree.children:
        operation = None
        if statement.data == "definition":
            name, _, body = statement.children
            operation = _expr(body, reader, str(name))
        reader.statement(statement, operation)
    return reader.program(Program, alphabet)


def _integer(token: lark.Token, reader: Reader) -> int:
    if len(token) > MAX_DIGITS:
        raise RaspSyntaxError(f"C-RASP text, line {token.line}, column {token.column}: the "
                              f"integer has {len(token)} digits; at most {MAX_DIGITS}")
    return int(token)


def _expr(tree, reader: Reader, name: str):
    kind = tree.data
    kids = tree.children
    if kind == "ref":
        token, side = kids
        return reader.reference(name, token, str(side))
    if kind == "number":
        return Number(_integer(kids[0], reader))
    if kind in ("true", "false"):
        return Const(kind == "true")
    if kind == "count":
        return Count(_expr(kids[-1], reader, name))
    if kind == "negate":
        operand = _expr(kids[-1], reader, name)
        return Number(-operand.value) if isinstance(operand, Number) else Scale(-1, operand)
    if kind == "times":
        left, right = _expr(kids[0], reader, name), _expr(kids[2], reader, name)
        if isinstance(left, Number):
            return Scale(left.value, right)
        if isinstance(right, Number):
            return Scale(right.value, left)
        raise RaspSyntaxError(f"C-RASP text, line {kids[1].line}, column {kids[1].column}: "
                              "a product needs an integer constant on one side")
    if kind == "compare":
        return Compare(OPS[str(kids[1])], _expr(kids[0], reader, name),
                       _expr(kids[2], reader, name))
    parts = [_expr(c, reader, name) for c in kids if isinstance(c, lark.Tree)]
    return {"not_": lambda: Not(parts[0]), "and_": lambda: And(*parts),
            "or_": lambda: Or(*parts), "add": lambda: Add(*parts),
            "sub": lambda: Sub(*parts)}[kind]()


# -- writing ---------------------------------------------------------------------------

LEVEL = {Compare: 4, Add: 5, Sub: 5, Scale: 6, Number: 8, Count: 8}
COMPARE_TEXT = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "=": "=", "!=": "≠"}


def _count_text(expr, parent: int, words: dict, ascii: bool) -> str:
    """A count or comparison expression (the nodes `boolean_text` does not know)."""

    def text(e, p):
        if isinstance(e, Symbol | Var | Const | Not | And | Or):
            return boolean_text(e, words, sub, p, "true", "false")
        return sub(e, p)

    def sub(e, p):
        level = LEVEL[type(e)]
        if isinstance(e, Number):
            return str(e.value) if e.value >= 0 or p < 6 else f"({e.value})"
        if isinstance(e, Count):
            return f"#[j {'<=' if ascii else '≤'} i] " + text(e.inner, 8)
        if isinstance(e, Compare):
            op = e.op if ascii else COMPARE_TEXT[e.op]
            out = f"{text(e.left, 5)} {op} {text(e.right, 5)}"
        elif isinstance(e, Scale):
            out = f"{e.factor} * {text(e.operand, 7)}" if e.factor >= 0 else \
                f"({e.factor}) * {text(e.operand, 7)}"
        else:
            out = f"{text(e.left, 5)} {'+' if isinstance(e, Add) else '-'} {text(e.right, 6)}"
        return f"({out})" if level < p else out

    return sub(expr, parent)


def to_text(program: Program, *, ascii: bool = False) -> str:
    """`program` in the text syntax (Unicode as in the paper, or ASCII)."""
    words = ASCII if ascii else UNICODE

    def sub(e, p):
        return _count_text(e, p, words, ascii)

    lines = [f"alphabet {program.alphabet!r}"]
    for d in program.definitions:
        body = boolean_text(d.operation, words, sub, 0, "true", "false")
        lines.append(f"{d.name}(i) := {body}")
    lines.append(f"output {program.output}")
    return "\n".join(lines) + "\n"


__all__ = ["Definition", "RaspError", "RaspSyntaxError", "parse", "reference", "to_text"]
