"""Regular expressions over a stated alphabet, compiled to a minimal DFA.

Syntax, loosest binding first:

* ``x|y``: union (an empty side is the empty word: ``(|a)`` is ``a?``);
* ``xy``: concatenation;
* ``x*``, ``x+``, ``x?``: zero or more, one or more, zero or one;
* ``(x)``: grouping; ``()`` and ``ε`` are the empty word;
* a symbol of the alphabet stands for itself; ``\\c`` is the symbol ``c``
  even when ``c`` is one of the metacharacters ``|*+?()\\ε``.

There is no whitespace skipping, no character class and no empty-set symbol.
`compile_regex` parses (recursive descent), builds a Thompson NFA, determinises
it by the subset construction and returns the minimised DFA.
"""

from __future__ import annotations

from collections import deque

from languages.dfa import DFA
from languages.errors import RegexError
from languages.language import check_alphabet

META = set("|*+?()\\ε")


def compile_regex(pattern: str, alphabet: str) -> DFA:
    """The minimal DFA over `alphabet` of the language of `pattern`.

    Raises:
        RegexError: a syntax error or a symbol outside the alphabet, with its position.
    """
    check_alphabet(alphabet, RegexError)
    if not isinstance(pattern, str):
        raise RegexError(f"a regular expression is a string, got {pattern!r}")
    tree = _Parser(pattern, alphabet).parse()
    nfa = _NFA()
    start, end = nfa.build(tree)
    return _determinise(nfa, start, end, alphabet).minimize()


class _Parser:
    """Recursive descent: alt := cat ('|' cat)*; cat := rep*; rep := atom [*+?]*."""

    def __init__(self, pattern: str, alphabet: str):
        self.text, self.alphabet, self.at = pattern, alphabet, 0

    def fail(self, message: str):
        raise RegexError(f"{message} at position {self.at} of {self.text!r}")

    def peek(self) -> str | None:
        return self.text[self.at] if self.at < len(self.text) else None

    def parse(self):
        tree = self.alternation()
        if self.peek() is not None:
            self.fail(f"unexpected {self.peek()!r}" if self.peek() != ")"
                      else "unmatched ')'")
        return tree

    def alternation(self):
        branches = [self.concatenation()]
        while self.peek() == "|":
            self.at += 1
            branches.append(self.concatenation())
        return branches[0] if len(branches) == 1 else ("alt", *branches)

    def concatenation(self):
        parts = []
        while self.peek() is not None and self.peek() not in "|)":
            parts.append(self.repetition())
        if not parts:
            return ("eps",)
        return parts[0] if len(parts) == 1 else ("cat", *parts)

    def repetition(self):
        if self.peek() in ("*", "+", "?"):
            self.fail(f"{self.peek()!r} repeats nothing")
        tree = self.atom()
        while self.peek() in ("*", "+", "?"):
            tree = ({"*": "star", "+": "plus", "?": "opt"}[self.peek()], tree)
            self.at += 1
        return tree

    def atom(self):
        char = self.peek()
        if char == "(":
            self.at += 1
            tree = self.alternation()
            if self.peek() != ")":
                self.fail("missing ')'")
            self.at += 1
            return tree
        if char == "ε":
            self.at += 1
            return ("eps",)
        if char == "\\":
            self.at += 1
            char = self.peek()
            if char is None:
                self.fail("'\\' at the end escapes nothing")
        if char not in self.alphabet:
            self.fail(f"symbol {char!r} is not in the alphabet {self.alphabet!r}")
        self.at += 1
        return ("sym", self.alphabet.index(char))


class _NFA:
    """Thompson's construction: every fragment has one start and one end state."""

    def __init__(self):
        self.moves: list[dict[int, set[int]]] = []
        self.empty: list[set[int]] = []

    def state(self) -> int:
        self.moves.append({})
        self.empty.append(set())
        return len(self.moves) - 1

    def build(self, tree) -> tuple[int, int]:
        kind = tree[0]
        start, end = self.state(), self.state()
        if kind == "eps":
            self.empty[start].add(end)
        elif kind == "sym":
            self.moves[start].setdefault(tree[1], set()).add(end)
        elif kind == "cat":
            previous = start
            for part in tree[1:]:
                s, e = self.build(part)
                self.empty[previous].add(s)
                previous = e
            self.empty[previous].add(end)
        elif kind == "alt":
            for part in tree[1:]:
                s, e = self.build(part)
                self.empty[start].add(s)
                self.empty[e].add(end)
        else:  # star, plus, opt
            s, e = self.build(tree[1])
            self.empty[start].add(s)
            self.empty[e].add(end)
            if kind in ("star", "opt"):
                self.empty[start].add(end)
            if kind in ("star", "plus"):
                self.empty[e].add(s)
        return start, end

    def closure(self, states) -> frozenset[int]:
        seen, stack = set(states), list(states)
        while stack:
            for r in self.empty[stack.pop()]:
                if r not in seen:
                    seen.add(r)
                    stack.append(r)
        return frozenset(seen)


def _determinise(nfa: _NFA, start: int, end: int, alphabet: str) -> DFA:
    first = nfa.closure([start])
    number, rows, queue = {first: 0}, [], deque([first])
    while queue:
        current = queue.popleft()
        row = []
        for i in range(len(alphabet)):
            target = nfa.closure({r for q in current for r in nfa.moves[q].get(i, ())})
            if target not in number:
                number[target] = len(number)
                queue.append(target)
            row.append(number[target])
        rows.append(tuple(row))
    accepting = frozenset(i for subset, i in number.items() if end in subset)
    return DFA(alphabet=alphabet, transitions=tuple(rows), start=0, accepting=accepting)
