"""Past LTL as text: an alphabet line, then one formula (which may span lines).

In the notation of Yang, Chiang & Angluin (NeurIPS 2024), with ASCII
spellings beside the symbols; ``//`` starts a comment::

    alphabet "ab"
    // a*b*: never an a after a b
    ¬O(Q_a ∧ Y O Q_b)

* atoms ``Q_a`` (``Q_"("`` for a symbol that is not a letter or digit), the
  constants ``⊤``/``true``/``1`` and ``⊥``/``false``/``0``;
* ``¬``/``!``/``not``, ``∧``/``&``/``and``, ``∨``/``|``/``or``,
  ``→``/``->``/``implies``;
* since ``φ S ψ`` (or ``since``), until ``φ U ψ`` (or ``until``), and the
  unary ``Y`` (yesterday), ``O`` (once), ``H`` (historically), also spelled
  ``yesterday``, ``once``, ``historically`` or ``●``, ``◆``, ``■``.

Precedence, tightest first: the unary operators (¬, Y, O, H), then S and U
(right-associative), ∧, ∨, and → (right-associative). Errors are one line
naming the line, the column and what was expected (`RaspSyntaxError`, from
lark's parser, or a symbol outside the alphabet named at its place).
``parse(to_text(p)) == p``.
"""

from __future__ import annotations

import lark

from languages.brasp import RaspError
from languages.brasp_text import COMMON, RaspSyntaxError, string_value, symbol_of, syntax_error
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

GRAMMAR = r"""
    start: _NL* (alphabet _NL+)? expr _NL*
    alphabet: "alphabet" STRING
    ?expr: or_ | or_ IMPLIES expr -> implies
    ?or_: and_ | or_ OR _NL* and_ -> or_
    ?and_: temporal | and_ AND _NL* temporal -> and_
    ?temporal: unary | unary SINCE _NL* temporal -> since | unary UNTIL _NL* temporal -> until
    ?unary: atom | NOT unary -> not_ | YESTERDAY unary -> yesterday | ONCE unary -> once
          | HISTORICALLY unary -> historically
    ?atom: "(" _NL* expr _NL* ")" | TRUE -> true | FALSE -> false | ATOM -> atom
    ATOM.3: /Q_("[^"\n]+"|'[^'\n]+'|[A-Za-z0-9])/
    IMPLIES.2: /implies\b|->|→/
    SINCE.2: /since\b|S\b/
    UNTIL.2: /until\b|U\b/
    YESTERDAY.2: /yesterday\b|Y\b|●/
    ONCE.2: /once\b|O\b|◆/
    HISTORICALLY.2: /historically\b|H\b|■/
    TRUE.2: /true\b|1|⊤/
    FALSE.2: /false\b|0|⊥/
""" + COMMON

_PARSER = lark.Lark(GRAMMAR, parser="lalr", maybe_placeholders=False)
UNARY = {"not_": Not, "yesterday": Yesterday, "once": Once, "historically": Historically}
BINARY = {"implies": Implies, "or_": Or, "and_": And, "since": Since, "until": Until}
MAX_DEPTH = 2000  # nesting of the parse tree (deeper text is refused, not recursed into)


def parse(text: str, *, alphabet: str | None = None) -> Program:
    """The LTL `Program` written in `text`; `alphabet` replaces a missing alphabet line.

    Raises:
        RaspSyntaxError: the text is not a well-formed formula (one line naming the place).
    """
    if not isinstance(text, str):
        raise RaspSyntaxError(f"LTL text must be a string, got {type(text).__name__}")
    try:
        tree = _PARSER.parse(text + "\n")
    except lark.exceptions.LarkError as error:
        raise syntax_error(error, _PARSER, text, "LTL") from None
    given = None
    body = tree.children[-1]
    if len(tree.children) == 2:
        given = string_value(tree.children[0].children[0])
    alphabet = alphabet if alphabet is not None else given
    if alphabet is None:
        raise RaspSyntaxError("LTL text: no alphabet line (write alphabet \"ab\" first)")
    root = _formula(body, alphabet)
    try:
        return Program(alphabet=alphabet, formula=root)
    except RaspError as error:
        raise RaspSyntaxError(f"LTL text: {error}") from None


def _formula(tree, alphabet: str):
    """The formula of a parse tree, built bottom-up without recursion."""
    done: dict[int, object] = {}
    stack = [(tree, False, 0)]
    while stack:
        node, expanded, level = stack.pop()
        if isinstance(node, lark.Token):
            done[id(node)] = _leaf(node, alphabet)
            continue
        if level > MAX_DEPTH:
            raise RaspSyntaxError(f"LTL text: the formula nests more than {MAX_DEPTH} deep")
        kids = [c for c in node.children if isinstance(c, lark.Tree) or c.type == "ATOM"
                or c.type in ("TRUE", "FALSE")]
        if not expanded:
            stack.append((node, True, level))
            stack.extend((c, False, level + 1) for c in kids)
            continue
        if node.data in ("true", "false", "atom"):
            done[id(node)] = _leaf(node.children[0], alphabet)
        elif node.data in UNARY:
            done[id(node)] = UNARY[node.data](done[id(kids[-1])])
        else:
            done[id(node)] = BINARY[node.data](done[id(kids[0])], done[id(kids[-1])])
    return done[id(tree)]


def _leaf(token: lark.Token, alphabet: str):
    if token.type == "TRUE":
        return Constant(True)
    if token.type == "FALSE":
        return Constant(False)
    symbol = symbol_of(lark.Token("QUOTED" if str(token)[2:3] in "\"'" else "NAME", str(token)))
    if symbol not in alphabet:
        raise RaspSyntaxError(f"LTL text, line {token.line}, column {token.column}: "
                              f"{token} reads symbol {symbol!r}, which is not in the alphabet "
                              f"{alphabet!r}")
    return Atom(symbol)


# -- writing ---------------------------------------------------------------------------

UNICODE = {Not: "¬", Yesterday: "Y ", Once: "O ", Historically: "H ", And: " ∧ ", Or: " ∨ ",
           Implies: " → ", Since: " S ", Until: " U "}
ASCII = {Not: "!", Yesterday: "Y ", Once: "O ", Historically: "H ", And: " & ", Or: " | ",
         Implies: " -> ", Since: " S ", Until: " U "}
LEVEL = {Implies: 1, Or: 2, And: 3, Since: 4, Until: 4, Not: 5, Yesterday: 5, Once: 5,
         Historically: 5, Atom: 6, Constant: 6}


def formula_text(root, *, ascii: bool = False) -> str:
    """One formula in the text syntax, parenthesised only where precedence needs it
    (bottom-up, without recursion)."""
    words = ASCII if ascii else UNICODE
    text: dict = {}
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if node in text:
            continue
        kids = node.operands()
        if not expanded and kids:
            stack.append((node, True))
            stack.extend((c, False) for c in kids)
            continue
        text[node] = _node_text(node, words, text, ascii)
    return text[root]


def _node_text(node, words: dict, text: dict, ascii: bool) -> str:
    if isinstance(node, Atom):
        symbol = node.symbol
        return f"Q_{symbol}" if symbol.isascii() and symbol.isalnum() else f"Q_{symbol!r}"
    if isinstance(node, Constant):
        return ("true" if node.value else "false") if ascii else ("⊤" if node.value else "⊥")
    level = LEVEL[type(node)]

    def operand(child, least: int) -> str:
        return text[child] if LEVEL[type(child)] >= least else f"({text[child]})"

    if len(node.operands()) == 1:
        return words[type(node)] + operand(node.operand, level)
    right_associative = isinstance(node, Implies | Since | Until)
    left = operand(node.left, level + right_associative)
    right = operand(node.right, level + (not right_associative))
    return left + words[type(node)] + right


def to_text(program: Program, *, ascii: bool = False) -> str:
    """`program` in the text syntax (Unicode as in the paper, or ASCII)."""
    return f"alphabet {program.alphabet!r}\n{formula_text(program.formula, ascii=ascii)}\n"


__all__ = ["RaspSyntaxError", "formula_text", "parse", "to_text"]
