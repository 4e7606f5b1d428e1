"""B-RASP as text, in the notation of Yang, Chiang & Angluin (NeurIPS 2024).

One statement per line; ``//`` starts a comment::

    alphabet "ab"
    // the leftmost b before position i, if any
    seen_b(i) := ◀_j [j < i, Q_b(j)] 1 : 0
    ok(i)     := ¬Q_a(i) ∨ ¬seen_b(i)
    output ok

* ``alphabet "..."``: the symbols, as a string literal (once, first);
* ``P(i) := R``: a position-wise operation, R a Boolean combination of vectors
  at i: ``P(i)``, ``Q_a(i)`` (``Q_"("(i)`` for a symbol that is not a letter or
  digit), ``0``/``1`` (or ``false``/``true``), ``¬``/``!``/``not``,
  ``∧``/``&``/``and``, ``∨``/``|``/``or``, parentheses; ¬ binds tightest, then ∧,
  then ∨;
* ``P(i) := ◀_j [M, S] V : D`` (or ``leftmost_j``; ``▶_j``/``rightmost_j``):
  an attention operation with mask ``j < i``, ``j > i`` or ``1``, score S and
  value V over vectors at i and j, default D over vectors at i;
* ``output P``: the output vector (default: the last definition).

Definitions may come in any order; they are sorted by dependency, and a
cycle is an error. Every error is one line that names the line and column
and what was expected (syntax: from lark's parser; names, sides, symbols and
cycles: from the checks here and in `languages.brasp.Program`), raised as
`RaspSyntaxError`.

`to_text` writes a program back in this notation (``ascii=True``: the ASCII
spellings), and ``parse(to_text(p)) == p``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

import lark

from languages.brasp import (
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
    children,
)


class RaspSyntaxError(RaspError):
    """Text that is not a well-formed B-RASP or C-RASP program (line and column named)."""


COMMON = r"""
    NAME: /[A-Za-z_][A-Za-z0-9_]*/
    QUOTED.3: /Q_("[^"\n]+"|'[^'\n]+')/
    STRING: /"(\\.|[^"\\\n])*"|'(\\.|[^'\\\n])*'/
    NOT.2: /not\b|!|¬|~/
    AND.2: /and\b|&&|&|∧/
    OR.2: /or\b|\|\||\||∨/
    DEFINE: ":=" | "≔"
    COMMENT: /\/\/[^\n]*/
    _NL: /(\r?\n)+/
    %ignore /[ \t\f\r]+/
    %ignore COMMENT
"""

GRAMMAR = r"""
    start: (_NL | statement _NL)*
    ?statement: alphabet | output | definition
    alphabet: "alphabet" STRING
    output: "output" NAME
    definition: NAME "(" "i" ")" DEFINE (attention | expr)
    attention: CHOICE "[" mask "," expr "]" expr ":" expr
    CHOICE.2: /(◀|▶)(_j)?/ | /(leftmost|rightmost)(_j)?\b/
    mask: "j" "<" "i" -> future
        | "j" ">" "i" -> past
        | TRUE -> nomask
    ?expr: and_ | expr OR and_ -> or_
    ?and_: not_ | and_ AND not_ -> and_
    ?not_: atom | NOT not_ -> not_
    ?atom: "(" expr ")" | TRUE -> true | FALSE -> false | ref
    ref: (NAME | QUOTED) "(" SIDE ")"
    SIDE: "i" | "j"
    TRUE.2: /true\b|1|⊤/
    FALSE.2: /false\b|0|⊥/
""" + COMMON

NAMES = {"NAME": "a name", "QUOTED": "Q_\"x\"", "STRING": "a string", "_NL": "a new line",
         "$END": "the end", "INT": "an integer", "CHOICE": "◀_j or ▶_j", "SIDE": "i or j",
         "COMP": "a comparison", "NOT": "¬", "AND": "∧", "OR": "∨", "TRUE": "true",
         "FALSE": "false", "DEFINE": ":=", "LE": "'<='", "PLUS": "'+'", "MINUS": "'-'",
         "TIMES": "'*'", "ATOM": "Q_a", "IMPLIES": "→", "SINCE": "S", "UNTIL": "U",
         "YESTERDAY": "Y", "ONCE": "O", "HISTORICALLY": "H"}


@dataclass(frozen=True)
class Place:
    line: int
    column: int

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}"


def syntax_error(error: lark.exceptions.LarkError, parser: lark.Lark, text: str,
                 language: str) -> RaspSyntaxError:
    """A one-line error from lark's: the place, what was found and what was expected."""
    if isinstance(error, lark.exceptions.UnexpectedInput):
        place = Place(error.line, error.column)
        if isinstance(error, lark.exceptions.UnexpectedToken):
            token = error.token
            found = "the end" if token.type == "$END" else (
                "a new line" if token.type == "_NL" else repr(str(token)))
            expected = error.expected
        else:
            found = repr(text[error.pos_in_stream]) if error.pos_in_stream < len(text) else \
                "the end"
            expected = getattr(error, "allowed", None) or set()
        wanted = sorted({_readable(name, parser) for name in expected})
        what = f"expected {' or '.join(wanted)}" if wanted else "unexpected input"
        return RaspSyntaxError(f"{language} text, {place}: {what}; found {found}")
    return RaspSyntaxError(f"{language} text: {error}")


def _readable(name: str, parser: lark.Lark) -> str:
    if name in NAMES:
        return NAMES[name]
    try:
        pattern = parser.get_terminal(name).pattern
    except KeyError:
        return name
    return repr(pattern.value) if pattern.type == "str" else name


def symbol_of(token: lark.Token) -> str:
    """The symbol of ``Q_a`` or ``Q_"x"``, or None for a vector name."""
    text = str(token)
    if token.type == "QUOTED":
        return ast.literal_eval(text[2:])
    return text[2] if len(text) == 3 and text.startswith("Q_") else None


def string_value(token: lark.Token) -> str:
    return ast.literal_eval(str(token))


class Reader:
    """Statements collected from a parse tree, with the places of names and references."""

    def __init__(self, language: str):
        self.language = language
        self.alphabet: str | None = None
        self.output: tuple[str, Place] | None = None
        self.definitions: dict[str, tuple[object, Place]] = {}
        self.references: dict[str, list[tuple[str, Place]]] = {}

    def error(self, place: Place, message: str) -> RaspSyntaxError:
        return RaspSyntaxError(f"{self.language} text, {place}: {message}")

    def statement(self, tree: lark.Tree, operation) -> None:
        kind = tree.data
        first = tree.children[0]
        place = Place(first.line, first.column) if isinstance(first, lark.Token) else None
        if kind == "alphabet":
            if self.alphabet is not None:
                raise self.error(place, "a second alphabet line")
            self.alphabet = string_value(first)
        elif kind == "output":
            if self.output is not None:
                raise self.error(place, "a second output line")
            self.output = (str(first), place)
        else:
            name = str(first)
            if name in self.definitions:
                raise self.error(place, f"{name!r} is defined twice (first at "
                                        f"{self.definitions[name][1]})")
            self.definitions[name] = (operation, place)

    def reference(self, definition: str, token: lark.Token, side: str):
        symbol = symbol_of(token)
        if symbol is not None:
            return Symbol(symbol, side)
        self.references.setdefault(definition, []).append(
            (str(token), Place(token.line, token.column)))
        return Var(str(token), side)

    def ordered(self) -> list[str]:
        """Definition names in dependency order (a stable topological sort); undefined
        references and cycles are errors at their places."""
        for name, refs in self.references.items():
            for ref, place in refs:
                if ref not in self.definitions:
                    raise self.error(place, f"{ref!r} is not defined (vector {name!r} reads it)")
        order, state = [], {}
        for root in self.definitions:
            stack = [(root, iter(dict.fromkeys(r for r, _ in self.references.get(root, []))))]
            if state.get(root):
                continue
            state[root] = "open"
            while stack:
                node, pending = stack[-1]
                for ref in pending:
                    if state.get(ref) == "open":
                        cycle = [n for n, _ in stack[[n for n, _ in stack].index(ref):]]
                        raise self.error(self.definitions[ref][1],
                                         f"{ref!r} depends on itself: "
                                         f"{' -> '.join([*cycle, ref])}")
                    if not state.get(ref):
                        state[ref] = "open"
                        stack.append((ref, iter(dict.fromkeys(
                            r for r, _ in self.references.get(ref, [])))))
                        break
                else:
                    stack.pop()
                    state[node] = "done"
                    order.append(node)
        return order

    def program(self, build, alphabet: str | None):
        alphabet = alphabet if alphabet is not None else self.alphabet
        if alphabet is None:
            raise RaspSyntaxError(f"{self.language} text: no alphabet line (write "
                                  "alphabet \"ab\" first)")
        if not self.definitions:
            raise RaspSyntaxError(f"{self.language} text: no definition")
        order = self.ordered()
        output = self.output[0] if self.output else list(self.definitions)[-1]
        if self.output and output not in self.definitions:
            raise self.error(self.output[1], f"output {output!r} is not defined")
        definitions = tuple(Definition(name, self.definitions[name][0]) for name in order)
        try:
            return build(alphabet=alphabet, definitions=definitions, output=output)
        except RaspError as error:
            raise RaspSyntaxError(self._placed(str(error))) from None

    def _placed(self, message: str) -> str:
        """`message` from the program's checks, with the line of the first vector it names."""
        if self.output and f"output {self.output[0]!r}" in message:
            return f"{self.language} text, {self.output[1]}: {message}"
        for name, (_, place) in self.definitions.items():
            if f"vector {name!r}" in message or f"output {name!r}" in message:
                return f"{self.language} text, {place}: {message}"
        return f"{self.language} text: {message}"


_PARSER = lark.Lark(GRAMMAR, parser="lalr", maybe_placeholders=False)


def parse(text: str, *, alphabet: str | None = None) -> Program:
    """The B-RASP `Program` written in `text` (see the module docstring); `alphabet`
    replaces a missing alphabet line.

    Raises:
        RaspSyntaxError: the text is not a well-formed program (one line naming the place).
    """
    if not isinstance(text, str):
        raise RaspSyntaxError(f"B-RASP text must be a string, got {type(text).__name__}")
    try:
        tree = _PARSER.parse(text + "\n")
    except lark.exceptions.LarkError as error:
        raise syntax_error(error, _PARSER, text, "B-RASP") from None
    reader = Reader("B-RASP")
    for statement in tree.children:
        operation = None
        if statement.data == "definition":
            name, _, body = statement.children
            operation = _operation(body, reader, str(name))
        reader.statement(statement, operation)
    return reader.program(Program, alphabet)


def _operation(tree, reader: Reader, name: str):
    if isinstance(tree, lark.Tree) and tree.data == "attention":
        choice, mask, score, value, default = tree.children
        return Attention(choice="leftmost" if str(choice)[0] in "◀l" else "rightmost",
                         mask={"future": "future", "past": "past", "nomask": "none"}[mask.data],
                         score=_expr(score, reader, name), value=_expr(value, reader, name),
                         default=_expr(default, reader, name))
    return _expr(tree, reader, name)


def _expr(tree, reader: Reader, name: str):
    if isinstance(tree, lark.Token):
        return Const(tree.type == "TRUE")
    kind = tree.data
    if kind == "ref":
        token, side = tree.children
        return reader.reference(name, token, str(side))
    if kind in ("true", "false"):
        return Const(kind == "true")
    parts = [_expr(c, reader, name) for c in tree.children if not _operator(c)]
    return {"not_": lambda: Not(parts[0]), "and_": lambda: And(*parts),
            "or_": lambda: Or(*parts)}[kind]()


def _operator(child) -> bool:
    return isinstance(child, lark.Token) and child.type in ("NOT", "AND", "OR")


# -- writing ---------------------------------------------------------------------------

UNICODE = {"not": "¬", "and": " ∧ ", "or": " ∨ ", "leftmost": "◀_j", "rightmost": "▶_j"}
ASCII = {"not": "!", "and": " & ", "or": " | ", "leftmost": "leftmost_j",
         "rightmost": "rightmost_j"}
PRECEDENCE = {Or: 1, And: 2, Not: 3}


def reference(leaf) -> str:
    """``P(i)``, ``Q_a(j)`` or ``Q_"("(i)``."""
    if isinstance(leaf, Symbol):
        symbol = leaf.symbol
        name = f"Q_{symbol}" if symbol.isascii() and symbol.isalnum() else f"Q_{symbol!r}"
        return f"{name}({leaf.side})"
    return f"{leaf.name}({leaf.side})"


def boolean_text(expr, words: dict, sub=None, parent: int = 0, one="1", zero="0") -> str:
    """An expression in the text syntax, parenthesised only where precedence needs it;
    `sub` writes node types other than the Boolean ones (C-RASP's)."""
    if isinstance(expr, Symbol | Var):
        return reference(expr)
    if isinstance(expr, Const):
        return one if expr.value else zero
    if type(expr) not in PRECEDENCE:
        return sub(expr, parent)
    level = PRECEDENCE[type(expr)]
    if isinstance(expr, Not):
        inner = boolean_text(expr.operand, words, sub, level, one, zero)
        text = words["not"] + inner
    else:
        left, right = children(expr)
        text = (boolean_text(left, words, sub, level, one, zero) + words[
            "and" if isinstance(expr, And) else "or"]
            + boolean_text(right, words, sub, level + 1, one, zero))
    return f"({text})" if level < parent else text


def to_text(program: Program, *, ascii: bool = False) -> str:
    """`program` in the text syntax (Unicode as in the paper, or ASCII)."""
    words = ASCII if ascii else UNICODE
    lines = [f"alphabet {program.alphabet!r}"]
    for d in program.definitions:
        op = d.operation
        if isinstance(op, Attention):
            mask = {"future": "j < i", "past": "j > i", "none": "1"}[op.mask]
            body = (f"{words[op.choice]} [{mask}, {boolean_text(op.score, words)}] "
                    f"{boolean_text(op.value, words)} : "
                    f"{boolean_text(op.default, words)}")
        else:
            body = boolean_text(op, words)
        lines.append(f"{d.name}(i) := {body}")
    lines.append(f"output {program.output}")
    return "\n".join(lines) + "\n"
